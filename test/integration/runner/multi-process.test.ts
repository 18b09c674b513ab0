/**
 * Replicas die at any moment and nothing is lost: 3 `weir worker` processes on one database,
 * N instances of a workflow whose `call: http` increments a counter keyed by Idempotency-Key,
 * one random worker killed with SIGKILL every 2 s (for 20 s; WEIR_TEST_CHAOS_MS) and restarted. Every instance completes;
 * duplicate calls (at-least-once HTTP) are counted separately from losses, which must be 0.
 * N defaults to 2,000 (WEIR_TEST_KILL_INSTANCES overrides).
 */
import { afterAll, expect, test } from 'vitest';
import { registerWorkflow } from '../../../src/runner/index.ts';
import { startInstance } from '../../../src/store/queries/instances.ts';
import { useTestDatabase } from '../../support/db.ts';
import { startStub, type Stub } from '../../support/stub-server.ts';
import { spawnWorker, type WorkerProcess } from '../../support/workers.ts';

const db = useTestDatabase(20);
const total = Number(process.env.WEIR_TEST_KILL_INSTANCES ?? 2000);
const killEveryMs = Number(process.env.WEIR_TEST_KILL_EVERY_MS ?? 2000);
let stub: Stub | undefined;
const workers: WorkerProcess[] = [];
afterAll(async () => {
  for (const w of workers) w.child.kill('SIGKILL');
  await stub?.close();
});

test(`${total} instances survive kill -9 of a random worker every 2 s: 0 lost`, async () => {
  const counts = new Map<string, number>();
  stub = await startStub((r) => {
    const key = r.idempotencyKey ?? 'none';
    counts.set(key, (counts.get(key) ?? 0) + 1);
    return { body: { counted: counts.get(key) } };
  });
  await registerWorkflow(db.current.sql, `
document: { dsl: '1.0.0', namespace: chaos, name: count, version: '1.0.0' }
do:
  - call:
      call: http
      with: { method: post, endpoint: '${stub.url}/count', body: { n: '\${ .n }' } }
  - done: { set: { n: '\${ $input.n }' } }
`);
  const sql = db.current.sql;
  await sql.begin(async (tx) => {
    for (let i = 0; i < total; i++) {
      await startInstance(tx, { namespace: 'chaos', workflowName: 'count', workflowVersion: '1.0.0', queue: 'weir_default', input: { n: i } });
    }
  });
  const env = {
    DATABASE_URL: db.current.url,
    WEIR_VISIBILITY_TIMEOUT: '3',
    WEIR_HTTP_ALLOW_PRIVATE: 'true',
    WEIR_POLL_INTERVAL: '10',
    WEIR_POLL_INTERVAL_MAX: '100',
    WEIR_BATCH_SIZE: '50',
    WEIR_DB_POOL_MAX: '4',
  };
  for (let i = 0; i < 3; i++) workers.push(spawnWorker(env));
  let kills = 0;
  let completed = 0;
  const count = async () => (await sql<{ n: number }>`SELECT count(*)::int AS n FROM weir.instances WHERE status = 'completed'`)[0].n;
  // Chaos: a random worker dies every 2 s (bounded to 60 s) and is replaced.
  const chaosUntil = Date.now() + Number(process.env.WEIR_TEST_CHAOS_MS ?? 20_000);
  while (Date.now() < chaosUntil && killEveryMs <= 60_000) {
    await new Promise((r) => setTimeout(r, killEveryMs));
    completed = await count();
    if (completed === total) break;
    const victim = Math.floor(Math.random() * workers.length);
    workers[victim].child.kill('SIGKILL');
    await workers[victim].exited;
    kills++;
    workers[victim] = spawnWorker(env);
  }
  // Recovery: no more kills; everything must complete (messages of killed workers come back
  // after their 3 s visibility timeout).
  const recoverUntil = Date.now() + 240_000;
  while ((completed = await count()) < total && Date.now() < recoverUntil) await new Promise((r) => setTimeout(r, 500));
  const statuses = await sql<{ status: string; n: number }>`SELECT status, count(*)::int AS n FROM weir.instances GROUP BY status`;
  const lost = total - completed;
  const duplicates = [...counts.values()].reduce((a, n) => a + (n - 1), 0);
  console.log(`kill test: ${total} instances, ${kills} kills, ${completed} completed, lost ${lost}, duplicate calls ${duplicates}, statuses ${JSON.stringify(statuses)}`);
  expect(statuses).toEqual([{ status: 'completed', n: total }]);
  expect(lost).toBe(0);
  expect(counts.size).toBe(total); // every instance's call reached the stub
  if (killEveryMs <= 60_000 && completed > 0) expect(kills).toBeGreaterThan(0);
}, 420_000);
