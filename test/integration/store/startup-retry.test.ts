/**
 * Start-up waits for a database that is away for a moment (src/runtime/start.ts, src/store/transient.ts):
 * connections refused or dropped while it migrates and joins the connection budget are retried
 * with back-off up to WEIR_STARTUP_TIMEOUT, instead of the process exiting (the chaos
 * connection-loss run lost 18 replicas to "write CONNECTION_CLOSED" at start-up). An error that
 * retrying cannot fix still fails at once.
 */
import { afterEach, expect, test } from 'vitest';
import { loadConfig } from '../../../src/config.ts';
import { createLogger } from '../../../src/log.ts';
import { startNodeProcess, type RunningProcess } from '../../../src/runtime/node.ts';
import { MIGRATION_LOCK_KEY } from '../../../src/store/migrate.ts';
import { openPostgres, type PostgresHandle } from '../../../src/store/postgres-js.ts';
import { useTestDatabase } from '../../support/db.ts';

const db = useTestDatabase(2);
let proc: RunningProcess | undefined;
let holder: PostgresHandle | undefined;
afterEach(async () => {
  await proc?.stop();
  proc = undefined;
  await holder?.close();
  holder = undefined;
});

/**
 * Holds the migration lock on a session of the test's own, so a starting replica's migration
 * waits on it: its backend can then be terminated mid-statement (what a dropped connection or a
 * restarting server does to it), `times` times, before the lock is let go.
 */
async function terminateMigrations(times: number): Promise<{ terminated: number; release(): Promise<void> }> {
  holder = openPostgres({ url: db.current.url, max: 1, prepare: false, applicationName: 'test-holder' });
  const sql = holder.sql;
  await sql`SELECT pg_advisory_lock(${MIGRATION_LOCK_KEY}::bigint)`;
  const state = { terminated: 0, release: async () => void (await sql`SELECT pg_advisory_unlock(${MIGRATION_LOCK_KEY}::bigint)`) };
  void (async () => {
    while (state.terminated < times) {
      const [r] = await sql<{ ok: boolean | null }>`
        SELECT bool_or(pg_terminate_backend(pid)) AS ok FROM pg_stat_activity
        WHERE application_name = 'weir-migrate' AND wait_event_type = 'Lock'`;
      if (r?.ok) state.terminated++;
      await new Promise((res) => setTimeout(res, 20)); // polls the server's state, no durable time
    }
  })();
  return state;
}

test('a replica whose migration connection is terminated retries and starts', async () => {
  const killer = await terminateMigrations(2);
  const lines: string[] = [];
  const config = loadConfig({ DATABASE_URL: db.current.url, PORT: '0', WEIR_HOST: '127.0.0.1', WEIR_LOG_LEVEL: 'warn', WEIR_RATE_LIMIT: '0' });
  const starting = startNodeProcess({ config, role: 'serve', log: createLogger('warn', {}, (l) => lines.push(l)) });
  const retries = () => lines.map((l) => JSON.parse(l) as { msg: string; attempt?: number }).filter((l) => l.msg === 'database not reachable at start-up; retrying');
  while (killer.terminated < 2 || retries().length < 2) await new Promise((res) => setTimeout(res, 20));
  await killer.release();
  proc = await starting;
  expect((await fetch(`${proc.url}/health/ready`)).status).toBe(200);
  expect(retries().map((r) => r.attempt)).toEqual([1, 2]);
});

test('with WEIR_STARTUP_TIMEOUT=0 the first terminated connection fails the start', async () => {
  const killer = await terminateMigrations(1);
  const config = loadConfig({ DATABASE_URL: db.current.url, PORT: '0', WEIR_HOST: '127.0.0.1', WEIR_LOG_LEVEL: 'silent', WEIR_STARTUP_TIMEOUT: '0' });
  await expect(startNodeProcess({ config, role: 'serve' })).rejects.toThrow(/terminating connection|CONNECTION_CLOSED/);
  expect(killer.terminated).toBe(1);
  await killer.release();
});

test('an error retrying cannot fix (an unknown role) fails at once, however long the timeout', async () => {
  const u = new URL(db.current.url);
  u.username = 'weir_nobody';
  const config = loadConfig({ DATABASE_URL: u.toString(), PORT: '0', WEIR_HOST: '127.0.0.1', WEIR_LOG_LEVEL: 'silent', WEIR_STARTUP_TIMEOUT: '600000' });
  const t0 = Date.now();
  await expect(startNodeProcess({ config, role: 'serve' })).rejects.toThrow(/weir_nobody/);
  expect(Date.now() - t0).toBeLessThan(30_000);
});
