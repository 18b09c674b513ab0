/**
 * The connection-budget guard on a server with max_connections = 30: replicas under load share
 * the budget, never pass it (no "too many clients"), a newcomer gets its pool cut instead of a
 * connection error, and a replica that cannot get WEIR_DB_POOL_MIN refuses to start, saying why.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { loadConfig } from '../../../src/config.ts';
import { createLogger } from '../../../src/log.ts';
import { migrate } from '../../../src/store/migrate.ts';
import { openStore, type Store } from '../../../src/store/open.ts';
import { openPostgres } from '../../../src/store/postgres-js.ts';
import { uuidv7 } from '../../../src/store/uuid.ts';
import { startLocalCluster, withDatabase, type LocalCluster } from '../../support/pg-cluster.ts';

let cluster: LocalCluster;
let url: string;
const stores: Store[] = [];

beforeAll(async () => {
  // Its own server: this test changes max_connections (DATABASE_URL's server is left alone).
  cluster = await startLocalCluster({ maxConnections: 30 });
  url = withDatabase(cluster.url, 'postgres');
  const m = openPostgres({ url, max: 1, prepare: false, applicationName: 'test-admin' });
  await migrate(m.sql);
  await m.close();
});
afterAll(async () => {
  for (const s of stores) await s.close().catch(() => {});
  await cluster?.stop();
});

async function replica(env: Record<string, string> = {}): Promise<Store> {
  const config = loadConfig({ DATABASE_URL: url, WEIR_DB_POOL_MAX: '10', WEIR_DB_RESERVE: '3', WEIR_HEARTBEAT_INTERVAL: '60000', ...env });
  const store = await openStore(config.database, {
    poolMax: config.pool.max,
    guard: { replicaId: uuidv7(), roles: 'worker', pool: config.pool, heartbeatMs: config.pool.heartbeatMs, log: createLogger('silent') },
  });
  await store.startBudget();
  stores.push(store);
  return store;
}

test('N loaded replicas share max_connections; the (N+1)th gets its pool cut, not a connection error', async () => {
  const monitor = openPostgres({ url, max: 1, prepare: false, applicationName: 'test-monitor' });
  let peak = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const [r] = await monitor.sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_stat_activity WHERE backend_type = 'client backend'`;
      peak = Math.max(peak, r.n);
      await new Promise((x) => setTimeout(x, 20));
    }
  })();
  const errors: Error[] = [];
  const load = (store: Store, ms: number) =>
    (async () => {
      const until = Date.now() + ms;
      while (Date.now() < until) {
        await Promise.all(Array.from({ length: 30 }, () => store.sql`SELECT pg_sleep(0.005)`.catch((e: Error) => errors.push(e))));
      }
    })();

  const first = [await replica(), await replica(), await replica()];
  for (const s of first) await s.budget!.beat();
  expect(first.map((s) => s.gate!.limit)).toEqual(first.map(() => first[0].budget!.last!.fairShare));
  expect(first[0].gate!.limit).toBeLessThanOrEqual(10);
  const loads = first.map((s) => load(s, 2500));
  await new Promise((x) => setTimeout(x, 800)); // the three are now holding their pools
  const newcomer = await replica();
  const cut = newcomer.gate!.limit;
  const loads2 = [load(newcomer, 1500)];
  // Everyone re-evaluates (as heartbeats would): shares shrink to a quarter.
  for (const s of [...first, newcomer]) await s.budget!.beat();
  await Promise.all([...loads, ...loads2]);
  for (const s of [...first, newcomer]) await s.budget!.beat();
  sampling = false;
  await sampler;
  await monitor.close();

  expect(errors.map((e) => e.message)).toEqual([]);
  expect(cut).toBeLessThan(10);
  const fair = newcomer.budget!.last!.fairShare;
  expect(newcomer.budget!.last!.live).toBe(4);
  for (const s of [...first, newcomer]) expect(s.gate!.limit).toBeLessThanOrEqual(fair);
  expect(peak).toBeLessThanOrEqual(30 - 3);
  console.log(`budget test: peak ${peak} client connections of max_connections 30; newcomer started at ${cut}, fair share ${fair}`);
});

test('a replica that cannot get WEIR_DB_POOL_MIN refuses to start and names what to change', async () => {
  await expect(replica({ WEIR_DB_POOL_MIN: '9' })).rejects.toThrow(
    /cannot give this replica WEIR_DB_POOL_MIN=9 connections: .* shared by 5 live replicas, leaves \d+ each; lower WEIR_DB_POOL_MIN or WEIR_DB_RESERVE, raise WEIR_DB_CONNECTION_BUDGET or max_connections, or run fewer replicas/,
  );
});
