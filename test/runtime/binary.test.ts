/**
 * The single binary: `npm run build:binary` once per run, then `dist/weir` copied into an empty
 * folder and run with a clean environment (no PATH, so no node; no node_modules): `weir dev`
 * answers /health/ready within 3 s on an empty data directory, is open without a key on loopback,
 * runs a workflow (HTTP call + wait), drains on SIGTERM, and after a restart finishes the instance
 * and reads it back from the same embedded database. `weir serve` with DATABASE_URL uses Postgres.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { useTestDatabase } from '../support/db.ts';
import { startStub, type Stub } from '../support/stub-server.ts';
import { advanceSql, freePort, getInstance, registerAndStart, repo, runSmoke, spawnProcess, waitForOk, waitForStatus, type Api, type Spawned } from './_support.ts';

const db = useTestDatabase();
let stub: Stub;
let folder: string;
let binary: string;
const running: Spawned[] = [];

/** The binary in an empty folder, with nothing from this environment but what the test passes. */
function weir(command: string, env: Record<string, string>, cwd = folder): Spawned {
  const p = spawnProcess(binary, [command], { cwd, env: { HOME: cwd, WEIR_LOG_LEVEL: 'warn', ...env } });
  running.push(p);
  return p;
}

beforeAll(async () => {
  stub = await startStub(() => ({ body: { message: 'hello from the stub' } }));
  const built = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/build-binary.ts'], { cwd: repo, encoding: 'utf8', timeout: 280_000 });
  expect(built.status, `${built.stdout}\n${built.stderr}`).toBe(0);
  console.log(built.stdout.trim().split('\n').at(-1));
  folder = mkdtempSync(join(tmpdir(), 'weir-binary-'));
  binary = join(folder, 'weir');
  copyFileSync(join(repo, 'dist/weir'), binary);
}, 300_000);

afterAll(async () => {
  await Promise.all(running.map((p) => p.stop(5_000)));
  await stub?.close();
  if (folder) rmSync(folder, { recursive: true, force: true });
});

describe('dist/weir', () => {
  test('is at most 130 MB', () => {
    const size = statSync(binary).size;
    console.log(`binary size: ${(size / 1024 / 1024).toFixed(1)} MiB`);
    expect(size).toBeLessThanOrEqual(130 * 1000 * 1000);
  });

  test('dev: ready within 3 s on an empty data directory, open on loopback; runs a workflow; state survives a restart', async () => {
    const port = await freePort();
    const env = { PORT: String(port), WEIR_HTTP_ALLOW_PRIVATE: 'true', WEIR_POLL_INTERVAL_MAX: '200' };
    const api: Api = { base: `http://127.0.0.1:${port}`, headers: {} };
    let first = weir('dev', env);
    let coldMs = await waitForOk(`${api.base}/health/ready`, first, 30_000);
    if (coldMs > 3_000) {
      // One retry on a fresh folder: a 2-core machine running other suites can stall one start.
      console.log(`cold start ${coldMs.toFixed(0)} ms; retrying once on a fresh folder`);
      await first.stop();
      const again = mkdtempSync(join(tmpdir(), 'weir-binary-'));
      copyFileSync(binary, join(again, 'weir'));
      first = spawnProcess(join(again, 'weir'), ['dev'], { cwd: again, env: { HOME: again, WEIR_LOG_LEVEL: 'warn', ...env } });
      running.push(first);
      coldMs = await waitForOk(`${api.base}/health/ready`, first, 30_000);
      folder = again;
    }
    console.log(`cold start to /health/ready: ${coldMs.toFixed(0)} ms`);
    expect(coldMs).toBeLessThanOrEqual(3_000);
    expect(existsSync(join(folder, '.weir/data/PG_VERSION'))).toBe(true);

    // Open without a key: embedded database on loopback.
    expect((await fetch(`${api.base}/v1/instances`)).status).toBe(200);
    const yaml = `document: { dsl: '1.0.0', namespace: smoke, name: durable, version: '1.0.0' }
do:
  - fetch: { call: http, with: { method: get, endpoint: '${stub.url}/greeting' } }
  - pause: { wait: PT1S }
  - finish: { set: { greeting: '\${ .message }', woke: true } }
`;
    const id = await registerAndStart(api, yaml, 'durable');
    expect((await waitForStatus(api, id, ['waiting', 'completed', 'faulted'])).status).not.toBe('faulted');
    expect(await first.stop()).toBe(0);

    const second = weir('dev', env);
    const warmMs = await waitForOk(`${api.base}/health/ready`, second, 30_000);
    console.log(`warm start to /health/ready: ${warmMs.toFixed(0)} ms`);
    const done = await waitForStatus(api, id, ['completed', 'faulted'], 20_000);
    expect(done.status, JSON.stringify(done)).toBe('completed');
    expect(done.output).toMatchObject({ greeting: 'hello from the stub', woke: true });
    expect(await second.stop()).toBe(0);

    const third = weir('dev', env);
    await waitForOk(`${api.base}/health/ready`, third, 30_000);
    expect(await getInstance(api, id)).toMatchObject({ id, status: 'completed' });
    expect(await third.stop()).toBe(0);
  }, 120_000);

  test('migrate on an empty data directory finds the template current', () => {
    const dir = mkdtempSync(join(tmpdir(), 'weir-binary-migrate-'));
    try {
      const r = spawnSync(binary, ['migrate'], { cwd: dir, env: { HOME: dir }, encoding: 'utf8', timeout: 60_000 });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/migrations are current/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('serve with DATABASE_URL uses the Postgres server, with API keys required', async () => {
    const port = await freePort();
    const admin = 'binary-serve-admin-key-0123456789';
    const p = weir('serve', {
      DATABASE_URL: db.current.url,
      PORT: String(port),
      WEIR_HOST: '127.0.0.1',
      WEIR_ADMIN_KEY: admin,
      WEIR_HTTP_ALLOW_PRIVATE: 'true',
      WEIR_DB_POOL_MAX: '4',
      WEIR_DB_POOL_MIN: '1',
      WEIR_POLL_INTERVAL_MAX: '200',
    });
    const base = `http://127.0.0.1:${port}`;
    await waitForOk(`${base}/health/ready`, p, 30_000);
    expect((await fetch(`${base}/v1/instances`)).status).toBe(401);
    await runSmoke({ base, headers: { authorization: `Bearer ${admin}` } }, stub.url, advanceSql(db.current.sql));
    expect(await p.stop()).toBe(0);
  }, 90_000);
});
