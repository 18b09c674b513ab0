/** The console under Deno (with the repository's deno.json, as `deno task serve` runs) and Bun. */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, test } from 'vitest';
import { bunBinary, denoBinary } from '../../runtime/_support.ts';

const run = promisify(execFile);
const root = new URL('../../../', import.meta.url).pathname;
const script = join(root, 'test/integration/console/_runtime-smoke.ts');
const expected = { register: 201, instances: 200, workflow: 200, diagram: true, login: 302, css: 200 };
const lastJson = (stdout: string) => JSON.parse(stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop() ?? '{}');

test('Deno', { timeout: 180_000 }, async () => {
  const { stdout } = await run(denoBinary(), ['run', '--config', join(root, 'deno.json'), '-A', script], { cwd: root, timeout: 170_000 });
  expect(lastJson(stdout)).toEqual(expected);
});

test('Bun', { timeout: 120_000 }, async () => {
  const { stdout } = await run(bunBinary(), ['run', script], { cwd: root, timeout: 110_000 });
  expect(lastJson(stdout)).toEqual(expected);
});
