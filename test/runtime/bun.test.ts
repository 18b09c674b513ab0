/**
 * Weir under Bun: `bun src/runtime/bun.ts serve` against the file's Postgres database, over real
 * HTTP — a workflow with an HTTP call and a wait runs to completion; SIGTERM drains and exits 0.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { useTestDatabase } from '../support/db.ts';
import { startStub, type Stub } from '../support/stub-server.ts';
import { advanceSql, bunBinary, cleanEnv, freePort, runSmoke, spawnProcess, waitForOk, type Spawned } from './_support.ts';

const db = useTestDatabase();
const ADMIN = 'bun-smoke-admin-key-0123456789';
let stub: Stub;
let proc: Spawned;
let base: string;

beforeAll(async () => {
  stub = await startStub(() => ({ body: { message: 'hello from the stub' } }));
  const port = await freePort();
  proc = spawnProcess(bunBinary(), ['src/runtime/bun.ts', 'serve'], {
    env: cleanEnv({
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
  await waitForOk(`${base}/health/ready`, proc, 60_000);
}, 90_000);

afterAll(async () => {
  await proc?.stop();
  await stub?.close();
});

describe('Bun', () => {
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
