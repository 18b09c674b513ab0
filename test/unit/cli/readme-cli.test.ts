/** The README's `weir validate` and `weir run` lines work as written (through the real CLI entry). */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';

const repo = new URL('../../../', import.meta.url).pathname;
const weir = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: repo, encoding: 'utf8', timeout: 60_000 });

test('the README shows these exact commands', () => {
  const readme = readFileSync(`${repo}README.md`, 'utf8');
  expect(readme).toContain('npm run weir -- validate examples/hello.yaml');
  expect(readme).toContain(`npm run weir -- run examples/hello.yaml --input '{"name": "Weir"}'`);
});

test('weir validate examples/hello.yaml: valid, exit 0; a broken file: its pointer, exit 1', () => {
  const ok = weir('validate', 'examples/hello.yaml');
  expect(ok.status).toBe(0);
  expect(ok.stdout).toContain('examples/hello.yaml: valid');
  const bad = weir('validate', 'test/unit/cli/fixtures/broken.yaml');
  expect(bad.status).toBe(1);
  expect(bad.stdout + bad.stderr).toMatch(/\/do\/0\/oops/);
});

test('weir run examples/hello.yaml prints the output, exit 0; a faulting workflow prints problem JSON, exit 1', () => {
  const ok = weir('run', 'examples/hello.yaml', '--input', '{"name": "Weir"}');
  expect(ok.status).toBe(0);
  expect(JSON.parse(ok.stdout)).toEqual({ greeting: 'Hello, Weir!' });
  const fault = weir('run', 'test/unit/cli/fixtures/raises.yaml');
  expect(fault.status).toBe(1);
  expect(JSON.parse(fault.stderr)).toMatchObject({ status: 418, type: 'https://example.com/teapot' });
});
