/**
 * Replica lifecycle with real `weir worker` processes: SIGTERM finishes or releases in-flight
 * activations and exits within WEIR_SHUTDOWN_TIMEOUT (no message left to wait out its visibility
 * timeout), and a NOTIFY wakes an idle replica long before its poll interval would.
 */
import { afterAll, expect, test } from 'vitest';
import { registerWorkflow } from '../../../src/runner/index.ts';
import { getInstance, startInstance } from '../../../src/store/queries/instances.ts';
import { pgmq } from '../../../src/store/queries/pgmq.ts';
import { useTestDatabase } from '../../support/db.ts';
import { startStub, type Stub } from '../../support/stub-server.ts';
import { spawnWorker, type WorkerProcess } from '../../support/workers.ts';
import { until } from '../../support/until.ts';

const db = useTestDatabase();
const stubs: Stub[] = [];
const workers: WorkerProcess[] = [];
afterAll(async () => {
  for (const w of workers) w.child.kill('SIGKILL');
  for (const s of stubs) await s.close();
});

test('SIGTERM during slow calls: the worker exits within its deadline and releases what it holds', async () => {
  const slow = await startStub(() => ({ delayMs: 20_000, body: { ok: true } }));
  stubs.push(slow);
  await registerWorkflow(db.current.sql, `
document: { dsl: '1.0.0', namespace: life, name: slow, version: '1.0.0' }
do:
  - call: { call: http, with: { method: get, endpoint: '${slow.url}/slow' } }
`);
  for (let i = 0; i < 5; i++) {
    await startInstance(db.current.sql, { namespace: 'life', workflowName: 'slow', workflowVersion: '1.0.0', queue: 'weir_default', input: { i } });
  }
  const w = spawnWorker({
    DATABASE_URL: db.current.url,
    WEIR_HTTP_ALLOW_PRIVATE: 'true',
    WEIR_VISIBILITY_TIMEOUT: '600',
    WEIR_SHUTDOWN_TIMEOUT: '3000',
    WEIR_POLL_INTERVAL: '20',
  });
  workers.push(w);
  expect(await until(async () => slow.requests.length === 5, 30_000)).toBe(true);
  const t0 = Date.now();
  w.child.kill('SIGTERM');
  const code = await w.exited;
  const took = Date.now() - t0;
  expect(code).toBe(0);
  expect(took).toBeLessThan(3000 + 2000);
  // Visibility timeout was 600 s: only a release makes the messages readable now.
  const visible = await pgmq.read(db.current.sql, 'weir_default', 30, 10);
  expect(visible).toHaveLength(5);
  expect(w.output.join('')).toContain('released in-flight messages at the shutdown deadline');
});

test('NOTIFY wakes an idle worker: an instance completes long before the next poll', async () => {
  await pgmq.purge(db.current.sql, 'weir_default');
  await registerWorkflow(db.current.sql, `
document: { dsl: '1.0.0', namespace: life, name: quick, version: '1.0.0' }
do:
  - only: { set: { ok: true } }
`);
  const w = spawnWorker({ DATABASE_URL: db.current.url, WEIR_POLL_INTERVAL: '30000', WEIR_POLL_INTERVAL_MAX: '60000' });
  workers.push(w);
  // Wait until the worker is up (its replica row is there) and asleep.
  expect(await until(async () => (await db.current.sql<{ n: number }>`SELECT count(*)::int AS n FROM weir.replicas`)[0].n >= 1, 30_000)).toBe(true);
  await new Promise((r) => setTimeout(r, 500));
  const { instance } = await startInstance(db.current.sql, { namespace: 'life', workflowName: 'quick', workflowVersion: '1.0.0', queue: 'weir_default', input: {} });
  const t0 = Date.now();
  // The worker's idle sleep is at least 30 s now; only the wake-up can finish this in 10.
  expect(await until(async () => (await getInstance(db.current.sql, instance.id))?.status === 'completed', 10_000)).toBe(true);
  console.log(`notify wake-up: start → completed observed in ${Date.now() - t0} ms (poll interval 30 s)`);
  w.child.kill('SIGTERM');
  expect(await w.exited).toBe(0);
});
