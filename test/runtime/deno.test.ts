/**
 * Weir under Deno: `deno run src/runtime/deno.ts serve` against the file's Postgres database, over
 * real HTTP — a workflow with an HTTP call and a wait runs to completion; SIGTERM drains and exits 0.
 * Also `deno check src/` (the whole source typechecks under Deno's compiler).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { useTestDatabase } from '../support/db.ts';
import { startStub, type Stub } from '../support/stub-server.ts';
import { advanceSql, cleanEnv, denoBinary, freePort, repo, runSmoke, spawnProcess, waitForOk, type Spawned } from './_support.ts';

const db = useTestDatabase();
const ADMIN = 'deno-smoke-admin-key-0123456789';
// Deno's module cache, per run: nothing from the registry (npm: specifiers resolve from node_modules).
const DENO_DIR = mkdtempSync(join(tmpdir(), 'weir-deno-'));
let stub: Stub;
let proc: Spawned;
let base: string;

beforeAll(async () => {
  stub = await startStub(() => ({ body: { message: 'hello from the stub' } }));
  const port = await freePort();
  proc = spawnProcess(denoBinary(), ['run', '--allow-all', '--cached-only', 'src/runtime/deno.ts', 'serve'], {
    env: cleanEnv({
      DENO_DIR,
      NO_COLOR: '1',
      DATABASE_URL: db.current.url,
      PORT: String(port),
      WEIR_HOST: '127.0.0.1',
      WEIR_ADMIN_KEY: ADMIN,
      WEIR_HTTP_ALLOW_PRIVATE: 'true',
      WEIR_DB_POOL_MAX: '4',
      WEIR_DB_POOL_MIN: '1',
      WEIR_POLL_INTERVAL_MAX: '200',
    }),
  });
  base = `http://127.0.0.1:${port}`;
  await waitForOk(`${base}/health/ready`, proc, 90_000);
}, 120_000);

afterAll(async () => {
  await proc?.stop();
  await stub?.close();
});

describe('Deno', () => {
  test('serves the API and runs a call + wait workflow to completion over real HTTP', async () => {
    const unauthorized = await fetch(`${base}/v1/instances`);
    expect(unauthorized.status).toBe(401);
    await runSmoke({ base, headers: { authorization: `Bearer ${ADMIN}` } }, stub.url, advanceSql(db.current.sql));
    expect(stub.requests.some((r) => r.path === '/greeting')).toBe(true);
  });

  test('SIGTERM drains and exits 0', async () => {
    expect(await proc.stop()).toBe(0);
    expect(proc.output.join('')).not.toMatch(/unexpected error/);
  });
});

test('deno serve takes the edge module as-is (export default { fetch }): health, and the drain route behind an admin key', async () => {
  const port = await freePort();
  const edge = spawnProcess(denoBinary(), ['serve', '--allow-all', '--cached-only', '--host', '127.0.0.1', '--port', String(port), 'src/runtime/edge.ts'], {
    env: cleanEnv({ DENO_DIR, NO_COLOR: '1', DATABASE_URL: db.current.url, WEIR_ADMIN_KEY: ADMIN, WEIR_DB_POOL_MAX: '2' }),
  });
  try {
    const url = `http://127.0.0.1:${port}`;
    await waitForOk(`${url}/health/live`, edge, 90_000);
    expect((await fetch(`${url}/v1/admin/drain`, { method: 'POST' })).status).toBe(401);
    const res = await fetch(`${url}/v1/admin/drain`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ maxMessages: 10, maxMillis: 2_000 }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ messages: 0, stoppedBy: 'idle' });
  } finally {
    await edge.stop();
  }
}, 120_000);

test('deno check src/ passes (offline: npm specifiers from node_modules)', () => {
  const r = spawnSync(denoBinary(), ['check', '--quiet', 'src/'], {
    cwd: repo,
    env: { ...cleanEnv({ DENO_DIR, NO_COLOR: '1' }) },
    encoding: 'utf8',
    timeout: 240_000,
  });
  expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
}, 250_000);
