/**
 * PGlite is single-process: a second process on one data directory gets a clear error, and a
 * lock left by a dead process is taken over.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { acquireDataDirLock } from '../../../src/runtime/data-dir-lock.ts';

const root = mkdtempSync(join(tmpdir(), 'weir-lock-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const repo = new URL('../../../', import.meta.url).pathname;

test('a second process on the same PGlite directory is refused with a clear error', () => {
  const dataDir = join(root, 'held');
  const lock = acquireDataDirLock(dataDir);
  try {
    const child = spawnSync(join(repo, 'node_modules/.bin/tsx'), [join(repo, 'src/cli/main.ts'), 'migrate', '--data-dir', dataDir], {
      encoding: 'utf8',
      env: { ...process.env, DATABASE_URL: '' },
      timeout: 60_000,
    });
    expect(child.status).toBe(1);
    expect(child.stderr).toContain(`the embedded database in ${dataDir} is in use by process ${process.pid}`);
    expect(child.stderr).toContain('set WEIR_DATA_DIR to another folder');
  } finally {
    lock.release();
  }
  expect(existsSync(`${dataDir}.lock`)).toBe(false);
});

test('a lock whose process is dead is taken over', () => {
  const dataDir = join(root, 'stale');
  const dead = spawnSync('true').pid as number; // exited already
  writeFileSync(`${dataDir}.lock`, JSON.stringify({ pid: dead, host: hostname(), startedAt: 'then' }));
  const lock = acquireDataDirLock(dataDir);
  expect(lock.path).toBe(`${dataDir}.lock`);
  expect(() => acquireDataDirLock(dataDir)).not.toThrow(); // same pid re-acquires (idempotent in-process)
  lock.release();
});
