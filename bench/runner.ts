/**
 * `npm run bench -- runner`: completed workflows/s through real `weir worker` processes on one
 * Postgres — a 3-task pure workflow and a workflow of three `call: http` steps to a local stub —
 * at batch sizes 1, 10 and 50 with 1 and 2 replicas, group commit on and off, and idle latency
 * (start → completed, from the instances' own database timestamps) with the NOTIFY wake-up.
 * Beside them, the raw PGMQ send→read→delete round trip on the same server, and the cost of
 * concurrency limits (flow control) against the same workflow unlimited. Figures only.
 */
import { openPostgres } from '../src/store/postgres-js.ts';
import { pgmq } from '../src/store/queries/pgmq.ts';
import { registerWorkflow } from '../src/runner/index.ts';
import { startInstance } from '../src/store/queries/instances.ts';
import { startWorkflow } from '../src/runner/flow.ts';
import type { Sql } from '../src/store/sql.ts';
import { startStub } from '../test/support/stub-server.ts';
import { spawnWorker, type WorkerProcess } from '../test/support/workers.ts';
import { benchDatabase } from './_db.ts';

const pureCount = Number(process.env.BENCH_PURE ?? 5000);
const httpCount = Number(process.env.BENCH_HTTP ?? 1500);
const db = await benchDatabase('runner');
const handle = openPostgres({ url: db.url, max: 8, prepare: true, applicationName: 'bench' });
const sql = handle.sql;
const stub = await startStub(() => ({ body: { ok: true } }));

await registerWorkflow(sql, `
document: { dsl: '1.0.0', namespace: bench, name: pure3, version: '1.0.0' }
do:
  - a: { set: { x: '\${ .n + 1 }' } }
  - b: { switch: [ { big: { when: '\${ .x > 10 }', then: c } }, { small: { then: c } } ] }
  - c: { set: { y: '\${ .x * 2 }' } }
`);
await registerWorkflow(sql, `
document: { dsl: '1.0.0', namespace: bench, name: http3, version: '1.0.0' }
do:
  - one: { call: http, with: { method: get, endpoint: '${stub.url}/1' } }
  - two: { call: http, with: { method: get, endpoint: '${stub.url}/2' } }
  - three: { call: http, with: { method: get, endpoint: '${stub.url}/3' } }
`);

// The same pure workflow under a concurrency limit that never binds (the cost of the slots
// alone), and under one that binds (4 running per key, 50 keys: queueing and promotion).
for (const [name, concurrency] of [
  ['pure3free', `{ limit: 100000 }`],
  ['pure3keyed', `{ limit: 4, key: '\${ (.n % 50 | tostring) }' }`],
] as const) {
  await registerWorkflow(sql, `
document: { dsl: '1.0.0', namespace: bench, name: ${name}, version: '1.0.0', metadata: { weir: { concurrency: ${concurrency} } } }
do:
  - a: { set: { x: '\${ .n + 1 }' } }
  - b: { switch: [ { big: { when: '\${ .x > 10 }', then: c } }, { small: { then: c } } ] }
  - c: { set: { y: '\${ .x * 2 }' } }
`);
}

/** Bulk start: instances and their start messages in one statement each, then one NOTIFY. */
async function bulkStart(name: string, count: number): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`
      WITH ins AS (
        INSERT INTO weir.instances (id, namespace, workflow_name, workflow_version, status, input, queue)
        SELECT gen_random_uuid(), 'bench', ${name}, '1.0.0', 'pending', jsonb_build_object('n', g), 'weir_default'
        FROM generate_series(1, ${count}) g RETURNING id)
      SELECT pgmq.send_batch('weir_default', ARRAY(SELECT jsonb_build_object('instance', id, 'kind', 'start', 'target', id) FROM ins))`;
    await tx`SELECT pg_notify('weir_wake', 'weir_default')`;
  });
}

async function waitAll(count: number, timeoutMs = 300_000): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const [r] = await sql<{ n: number }>`SELECT count(*)::int AS n FROM weir.instances WHERE status IN ('completed', 'faulted')`;
    if (r.n >= count) return true;
    if (Date.now() > end) return false;
    await new Promise((x) => setTimeout(x, 50));
  }
}

async function withWorkers<T>(n: number, env: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const workers: WorkerProcess[] = [];
  for (let i = 0; i < n; i++) {
    workers.push(spawnWorker({ DATABASE_URL: db.url, WEIR_HTTP_ALLOW_PRIVATE: 'true', WEIR_LOG_LEVEL: 'error', WEIR_POLL_INTERVAL: '5', WEIR_POLL_INTERVAL_MAX: '1000', ...env }));
  }
  for (;;) {
    const [r] = await sql<{ n: number }>`SELECT count(*)::int AS n FROM weir.replicas`;
    if (r.n >= n) break;
    await new Promise((x) => setTimeout(x, 100));
  }
  await new Promise((x) => setTimeout(x, 300));
  try {
    return await fn();
  } finally {
    for (const w of workers) w.child.kill('SIGTERM');
    await Promise.all(workers.map((w) => w.exited));
    await sql`DELETE FROM weir.replicas`;
  }
}

async function reset(): Promise<void> {
  await sql`TRUNCATE weir.instances, weir.history, weir.timers`;
  await pgmq.purge(sql, 'weir_default');
}

async function throughput(name: string, count: number, replicas: number, batch: number, group = 64): Promise<number> {
  await reset();
  return withWorkers(replicas, { WEIR_BATCH_SIZE: String(batch), WEIR_CONCURRENCY: String(Math.max(batch, 8)), WEIR_CHECKPOINT_GROUP: String(group) }, async () => {
    const t0 = performance.now();
    await bulkStart(name, count);
    const ok = await waitAll(count);
    const ms = performance.now() - t0;
    if (!ok) console.error(`  (timed out: ${name} ${replicas}×${batch})`);
    return (count * 1000) / ms;
  });
}

/** Starts through startWorkflow (flow control applied) before the workers run; times the drain. */
async function prestartedThroughput(name: string, count: number, replicas: number, batch: number): Promise<number> {
  await reset();
  await sql`TRUNCATE weir.slots`;
  for (let i = 0; i < count; i += 500) {
    await sql.begin(async (tx) => {
      for (let n = i; n < Math.min(count, i + 500); n++) {
        await startWorkflow(tx, { namespace: 'bench', workflowName: name, workflowVersion: '1.0.0', queue: 'weir_default', input: { n } });
      }
    });
  }
  return withWorkers(replicas, { WEIR_BATCH_SIZE: String(batch), WEIR_CONCURRENCY: String(Math.max(batch, 8)) }, async () => {
    const t0 = performance.now();
    await sql`SELECT pg_notify('weir_wake', 'weir_default')`;
    const ok = await waitAll(count);
    if (!ok) console.error(`  (timed out: ${name})`);
    return (count * 1000) / (performance.now() - t0);
  });
}

async function rawRoundTrip(clients = 8, seconds = 3): Promise<number> {
  const q = 'bench_raw';
  await pgmq.create(sql, q);
  const h = openPostgres({ url: db.url, max: clients, prepare: true, applicationName: 'bench-raw' });
  const end = performance.now() + seconds * 1000;
  const t0 = performance.now();
  const counts = await Promise.all(
    Array.from({ length: clients }, async () => {
      let n = 0;
      while (performance.now() < end) {
        await pgmq.send(h.sql, q, { n });
        const [m] = await pgmq.read(h.sql, q, 30, 1);
        if (m) await pgmq.delete(h.sql, q, m.msgId);
        n++;
      }
      return n;
    }),
  );
  await h.close();
  return (counts.reduce((a, b) => a + b, 0) * 1000) / (performance.now() - t0);
}

async function idleLatency(samples = 100): Promise<{ p50: number; p95: number; p99: number }> {
  await reset();
  return withWorkers(1, { WEIR_POLL_INTERVAL: '1000', WEIR_POLL_INTERVAL_MAX: '5000' }, async () => {
    for (let i = 0; i < samples; i++) {
      const { instance } = await startInstance(sql, { namespace: 'bench', workflowName: 'pure3', workflowVersion: '1.0.0', queue: 'weir_default', input: { n: i } });
      while ((await sql<{ s: string }>`SELECT status AS s FROM weir.instances WHERE id = ${instance.id}::uuid`)[0].s !== 'completed') {
        await new Promise((x) => setTimeout(x, 2));
      }
    }
    const rows = await sql<{ ms: number }>`SELECT extract(epoch FROM ended_at - created_at) * 1000 AS ms FROM weir.instances ORDER BY 1`;
    const at = (p: number) => Number(rows[Math.min(rows.length - 1, Math.floor(p * rows.length))].ms);
    return { p50: at(0.5), p95: at(0.95), p99: at(0.99) };
  });
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
// BENCH_ONLY=flow runs just the concurrency-limit comparison.
const only = process.env.BENCH_ONLY;
if (only !== 'flow') {
const raw = await rawRoundTrip();
console.log(`\nraw PGMQ send→read→delete round trips, 8 clients: ${fmt(raw)}/s\n`);
console.log(`| workflow | replicas | batch | workflows/s | ÷ raw PGMQ |`);
console.log(`|---|---:|---:|---:|---:|`);
for (const [name, count] of [['pure3', pureCount], ['http3', httpCount]] as const) {
  for (const replicas of [1, 2]) {
    for (const batch of [1, 10, 50]) {
      const n = batch === 1 ? Math.min(count, 1000) : count;
      const r = await throughput(name, n, replicas, batch);
      console.log(`| ${name} | ${replicas} | ${batch} | ${fmt(r)} | ${(r / raw).toFixed(2)} |`);
    }
  }
}
const grouped = await throughput('pure3', pureCount, 1, 50, 64);
const ungrouped = await throughput('pure3', pureCount, 1, 50, 1);
console.log(`\ngroup commit (pure3, 1 replica, batch 50): on ${fmt(grouped)}/s, off ${fmt(ungrouped)}/s (×${(grouped / ungrouped).toFixed(2)})`);
}
const flowCount = Math.min(pureCount, 3000);
const free = await prestartedThroughput('pure3', flowCount, 1, 50);
const loose = await prestartedThroughput('pure3free', flowCount, 1, 50);
const keyed = await prestartedThroughput('pure3keyed', flowCount, 1, 50);
console.log(`\nconcurrency limits (pure3, ${flowCount} started through startWorkflow, 1 replica, batch 50):`);
console.log(`| workflow | workflows/s | ÷ unlimited |`);
console.log(`|---|---:|---:|`);
console.log(`| unlimited | ${fmt(free)} | 1.00 |`);
console.log(`| limit 100000 (never binds: slot cost alone) | ${fmt(loose)} | ${(loose / free).toFixed(2)} |`);
console.log(`| limit 4 per key, 50 keys (binds: queue + promote) | ${fmt(keyed)} | ${(keyed / free).toFixed(2)} |`);
if (only !== 'flow') {
const lat = await idleLatency();
console.log(`idle latency start→completed with NOTIFY wake-up (DB timestamps): p50 ${lat.p50.toFixed(1)} ms, p95 ${lat.p95.toFixed(1)} ms, p99 ${lat.p99.toFixed(1)} ms`);

}

await stub.close();
await handle.close();
await db.close();
