/**
 * `npm run bench -- timers`: how many due timers per second one runner fires (timer row → message →
 * activation → checkpoint), and how late they fire at the default poll interval: p50/p99 of
 * (fired − due), measured on the database clock from the instances' own history.
 */
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/log.ts';
import { registerWorkflow, Runner } from '../src/runner/index.ts';
import { openPostgres } from '../src/store/postgres-js.ts';
import { benchDatabase } from './_db.ts';

const count = Number(process.env.BENCH_TIMERS ?? 2000);
const db = await benchDatabase('timers');
const h = openPostgres({ url: db.url, max: 10, prepare: true, applicationName: 'bench' });
const sql = h.sql;
await registerWorkflow(sql, `
document: { dsl: '1.0.0', namespace: bench, name: sleeper, version: '1.0.0' }
do:
  - nap: { wait: PT1S }
  - done: { set: { ok: true } }
`);
const config = loadConfig({ DATABASE_URL: db.url });
const runner = new Runner({ sql, log: createLogger('error'), runner: config.runner });

// Park `count` instances on their one-second wait (throughput of this phase is not the figure).
await sql`
  WITH ins AS (
    INSERT INTO weir.instances (id, namespace, workflow_name, workflow_version, status, input, queue)
    SELECT gen_random_uuid(), 'bench', 'sleeper', '1.0.0', 'pending', '{}'::jsonb, 'weir_default' FROM generate_series(1, ${count})
    RETURNING id)
  SELECT pgmq.send_batch('weir_default', ARRAY(SELECT jsonb_build_object('instance', id, 'kind', 'start', 'target', id) FROM ins))`;
await sql`SELECT weir.set_fake_now(now())`;
await runner.drain();
const [{ n: parked }] = await sql<{ n: number }>`SELECT count(*)::int AS n FROM weir.timers`;
// All timers become due at the same instant; the loop (default poll interval) fires them.
await sql`SELECT weir.set_fake_now(NULL)`;
await sql`UPDATE weir.timers SET due_at = clock_timestamp() + interval '200 milliseconds'`;
const abort = new AbortController();
const t0 = performance.now();
runner.start(abort.signal);
for (;;) {
  const [{ n }] = await sql<{ n: number }>`SELECT count(*)::int AS n FROM weir.instances WHERE status = 'completed'`;
  if (n >= parked) break;
  await new Promise((r) => setTimeout(r, 20));
}
const ms = performance.now() - t0 - 200;
abort.abort();
await runner.stop(5000);
console.log(`\n${parked} timers due at once, one runner (batch ${config.runner.batchSize}, poll ${config.runner.pollIntervalMs}–${config.runner.pollIntervalMaxMs} ms):`);
console.log(`fired and applied: ${Math.round((parked * 1000) / ms).toLocaleString('en-US')} timers/s`);

// Lateness under a steady load (40 starts/s, each waiting 1 s): for each instance, when the wait
// ended minus when it began minus 1 s — both from history, on the database clock.
await sql`TRUNCATE weir.instances, weir.history`;
const loop = new AbortController();
const r2 = new Runner({ sql, log: createLogger('error'), runner: config.runner });
r2.start(loop.signal);
const samples = Number(process.env.BENCH_LATENCY_SAMPLES ?? 200);
const { startInstance } = await import('../src/store/queries/instances.ts');
for (let i = 0; i < samples; i++) {
  await startInstance(sql, { namespace: 'bench', workflowName: 'sleeper', workflowVersion: '1.0.0', queue: 'weir_default', input: {} });
  await new Promise((r) => setTimeout(r, 25));
}
for (;;) {
  const [{ n }] = await sql<{ n: number }>`SELECT count(*)::int AS n FROM weir.instances WHERE status = 'completed'`;
  if (n >= samples) break;
  await new Promise((r) => setTimeout(r, 50));
}
loop.abort();
await r2.stop(5000);
const rows = await sql<{ late: number }>`
  SELECT extract(epoch FROM c.at - s.at) * 1000 - 1000 AS late
  FROM weir.history s JOIN weir.history c ON c.instance_id = s.instance_id AND c.task_ref = s.task_ref
  WHERE s.task_ref = '/do/0/nap' AND s.kind = 'taskStarted' AND c.kind = 'taskCompleted' ORDER BY 1`;
const at = (p: number) => Number(rows[Math.min(rows.length - 1, Math.floor(p * rows.length))].late);
console.log(`lateness (fired − due) at 40 timers/s, default poll interval: p50 ${at(0.5).toFixed(0)} ms, p99 ${at(0.99).toFixed(0)} ms (n=${rows.length})`);
await h.close();
await db.close();
