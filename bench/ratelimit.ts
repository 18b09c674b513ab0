/**
 * `npm run bench -- ratelimit [R] [seconds]`: a task rate limit of R calls/s (default 50) shared by
 * 3 `weir worker` processes, under more demand than R for `seconds` (default 30). Prints the rate the
 * downstream stub observed after the initial burst (the bucket's capacity) and whether it stays
 * within R ± 10% — the long form of test/integration/runner/flow-replicas.test.ts.
 */
import { openPostgres } from '../src/store/postgres-js.ts';
import { registerWorkflow } from '../src/runner/index.ts';
import { startWorkflow } from '../src/runner/flow.ts';
import { startStub } from '../test/support/stub-server.ts';
import { spawnWorker } from '../test/support/workers.ts';
import { benchDatabase } from './_db.ts';

const rate = Number(process.argv[2] ?? 50);
const seconds = Number(process.argv[3] ?? 30);
const db = await benchDatabase('ratelimit');
const handle = openPostgres({ url: db.url, max: 4, prepare: true, applicationName: 'bench' });
const sql = handle.sql;
const arrivals: number[] = [];
const stub = await startStub(() => {
  arrivals.push(performance.now());
  return {};
});
await registerWorkflow(sql, `
document: { dsl: '1.0.0', namespace: bench, name: paced, version: '1.0.0' }
do:
  - call:
      call: http
      with: { method: post, endpoint: '${stub.url}/paced' }
      metadata: { weir: { rateLimit: { key: downstream, limit: ${rate}, period: PT1S } } }
`);
// Demand: 1.5 × what the limit lets through in the run, so the bucket is never idle.
const total = Math.ceil(rate * seconds * 1.5);
for (let i = 0; i < total; i += 500) {
  await sql.begin(async (tx) => {
    for (let n = i; n < Math.min(total, i + 500); n++) {
      await startWorkflow(tx, { namespace: 'bench', workflowName: 'paced', workflowVersion: '1.0.0', queue: 'weir_default', input: { n } });
    }
  });
}
const workers = Array.from({ length: 3 }, () =>
  spawnWorker({ DATABASE_URL: db.url, WEIR_HTTP_ALLOW_PRIVATE: 'true', WEIR_LOG_LEVEL: 'error', WEIR_POLL_INTERVAL: '10', WEIR_BATCH_SIZE: '20' }),
);
// Measure from when all three replicas are up (a cold `tsx` start takes seconds on a busy machine).
for (let i = 0; i < 600; i++) {
  const [{ n }] = await sql<{ n: number }>`SELECT count(*)::int AS n FROM weir.replicas`;
  if (n >= 3) break;
  await new Promise((r) => setTimeout(r, 100));
}
const t0 = performance.now();
await new Promise((r) => setTimeout(r, seconds * 1000 + 1000));
for (const w of workers) w.child.kill('SIGTERM');
await Promise.all(workers.map((w) => w.exited));
if (process.env.BENCH_DEBUG) for (const w of workers) console.log(w.output.join("").slice(-3000));

// The steady state: skip the first second (the bucket starts full: a burst of R), measure `seconds`.
const from = t0;
const windowStart = from + 1000;
const windowEnd = windowStart + (seconds - 1) * 1000;
const inWindow = arrivals.filter((t) => t >= windowStart && t < windowEnd).length;
const observed = inWindow / (seconds - 1);
const deviation = (observed - rate) / rate;
const [{ limited }] = await sql<{ limited: number }>`SELECT count(*)::int AS limited FROM weir.instances WHERE status <> 'completed'`;
console.log(`\nrate limit ${rate}/s, 3 workers, ${seconds} s, ${total} instances waiting:`);
console.log(`| calls | burst (1st s) | steady rate | ÷ R | within ±10% |`);
console.log(`|---:|---:|---:|---:|:---:|`);
console.log(
  `| ${arrivals.length} | ${arrivals.filter((t) => t < from + 1000).length} | ${observed.toFixed(1)}/s | ${(observed / rate).toFixed(3)} | ${Math.abs(deviation) <= 0.1 ? 'yes' : 'NO'} |`,
);
console.log(`(${limited} instances still waiting for tokens when the run stopped, as intended: demand > R)`);
await stub.close();
await handle.close();
await db.close();
