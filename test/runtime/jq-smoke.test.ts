/**
 * Weir's jq engine runs unchanged on Deno and Bun: the runtime-neutral smoke script
 * (scripts/jq-smoke.ts: ~30 representative programs) passes under each.
 */
import { spawnSync } from 'node:child_process';
import { expect, test } from 'vitest';
import { bunBinary, denoBinary, repo } from './_support.ts';

const run = (cmd: string, args: string[]) => spawnSync(cmd, args, { cwd: repo, encoding: 'utf8', timeout: 120_000, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', DENO_DIR: '/tmp/weir-deno-dir' } });

test('jq smoke under Deno', () => {
  const r = run(denoBinary(), ['run', '--cached-only', '--no-prompt', 'scripts/jq-smoke.ts']);
  expect(r.stderr).not.toMatch(/error/i);
  expect(r.stdout).toMatch(/jq smoke: \d+ passed, 0 failed/);
  expect(r.status).toBe(0);
});

test('jq smoke under Bun', () => {
  const r = run(bunBinary(), ['scripts/jq-smoke.ts']);
  expect(r.stdout).toMatch(/jq smoke: \d+ passed, 0 failed/);
  expect(r.status).toBe(0);
});
