/**
 * The API under Bun and Deno (both installed as npm packages): a script drives it through
 * app.request() on an in-memory PGlite. Deno gets deno.json's import map, plus any dependency the
 * map does not list yet (so a missing entry shows up as a note, not as a failure here).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, test } from 'vitest';
import { bunBinary, denoBinary } from '../../runtime/_support.ts';

const run = promisify(execFile);
const root = new URL('../../../', import.meta.url).pathname;
const script = join(root, 'test/integration/api/_runtime-smoke.ts');

const expected = { register: 201, start: 202, get: 200, event: 202, hook: 202, metrics: 200, openapi: 200, docs: 200, docsScript: 200 };

function lastJsonLine(stdout: string): Record<string, number> {
  const line = stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop();
  return JSON.parse(line ?? '{}');
}

describe('other runtimes', () => {
  // The binaries come from the npm packages @oven/bun-linux-x64 and @deno/linux-x64-glibc (npm ci).
  test('Bun', { timeout: 120_000 }, async () => {
    const { stdout } = await run(bunBinary(), ['run', script], { cwd: root, timeout: 110_000 });
    const out = lastJsonLine(stdout);
    expect(out).toMatchObject(expected);
    expect(out.docsScriptChars).toBeGreaterThan(1_000_000);
  });

  test('Deno', { timeout: 180_000 }, async () => {
    const config = JSON.parse(readFileSync(join(root, 'deno.json'), 'utf8')) as { imports: Record<string, string>; nodeModulesDir?: string; tasks?: unknown };
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    for (const [name, range] of Object.entries(pkg.dependencies)) {
      config.imports[name] ??= `npm:${name}@${range}`;
      config.imports[`${name}/`] ??= `npm:/${name}@${range}/`;
    }
    config.nodeModulesDir = 'manual'; // the packages npm installed; no download
    delete config.tasks;
    const dir = mkdtempSync(join(tmpdir(), 'weir-deno-'));
    try {
      writeFileSync(join(dir, 'deno.json'), JSON.stringify(config));
      const { stdout } = await run(denoBinary(), ['run', '--config', join(dir, 'deno.json'), '-A', script], { cwd: root, timeout: 170_000 });
      const out = lastJsonLine(stdout);
      expect(out).toMatchObject(expected);
      expect(out.docsScriptChars).toBeGreaterThan(1_000_000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
