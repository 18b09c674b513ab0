/**
 * Retries survive restarts: the attempt counter is in the instance state, the back-off is a timer
 * row on the database clock, and an HTTP Retry-After longer than the policy's delay is honoured.
 */
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import { registerWorkflow } from '../../../src/runner/index.ts';
import { getInstance, startInstance } from '../../../src/store/queries/instances.ts';
import { useTestDatabase } from '../../support/db.ts';
import { testRunner } from '../../support/runner.ts';
import { startStub, type Stub } from '../../support/stub-server.ts';

const db = useTestDatabase();
let stub: Stub;
let failuresLeft = 0;
let retryAfterSeconds: number | undefined;
beforeAll(async () => {
  stub = await startStub(() => {
    if (failuresLeft > 0) {
      failuresLeft--;
      return { status: 503, body: { busy: true }, ...(retryAfterSeconds ? { headers: { 'retry-after': String(retryAfterSeconds) } } : {}) };
    }
    return { body: { ok: true } };
  });
});
afterAll(() => stub.close());
afterEach(async () => {
  await db.current.sql`SELECT weir.reset_clock()`;
});

const dueTimes = async (id: string) =>
  (await db.current.sql<{ ms: number }>`SELECT extract(epoch FROM due_at - weir.now()) * 1000 AS ms FROM weir.timers WHERE instance_id = ${id}::uuid`).map((r) => Math.round(Number(r.ms)));

test('exponential back-off: each retry is a timer at exactly the computed delay; a fresh runner resumes the count', async () => {
  await registerWorkflow(db.current.sql, `
document: { dsl: '1.0.0', namespace: rt, name: flaky, version: '1.0.0' }
do:
  - guarded:
      try:
        - get: { call: http, with: { method: get, endpoint: '${stub.url}/flaky' } }
      catch:
        errors: { with: { type: https://serverlessworkflow.io/spec/1.0.0/errors/communication } }
        retry:
          delay: { seconds: 10 }
          backoff: { exponential: {} }
          limit: { attempt: { count: 5 } }
`);
  await db.current.sql`SELECT weir.set_fake_now('2026-06-01T00:00:00Z')`;
  failuresLeft = 3;
  retryAfterSeconds = undefined;
  const { instance } = await startInstance(db.current.sql, { namespace: 'rt', workflowName: 'flaky', workflowVersion: '1.0.0', queue: 'weir_default', input: {} });
  const seen: number[] = [];
  for (let i = 0; i < 3; i++) {
    await testRunner(db.current.sql).drain(); // a new runner each time: nothing carried in memory
    const [due] = await dueTimes(instance.id);
    seen.push(due);
    await db.current.sql`SELECT weir.advance_clock(make_interval(secs => ${due / 1000}))`;
  }
  expect(seen).toEqual([10_000, 20_000, 40_000]);
  await testRunner(db.current.sql).drain();
  expect(await getInstance(db.current.sql, instance.id)).toMatchObject({ status: 'completed' });
});

test('a Retry-After longer than the back-off is honoured', async () => {
  await db.current.sql`SELECT weir.set_fake_now('2026-06-02T00:00:00Z')`;
  failuresLeft = 1;
  retryAfterSeconds = 120;
  const { instance } = await startInstance(db.current.sql, { namespace: 'rt', workflowName: 'flaky', workflowVersion: '1.0.0', queue: 'weir_default', input: {} });
  await testRunner(db.current.sql).drain();
  expect(await dueTimes(instance.id)).toEqual([120_000]);
  await db.current.sql`SELECT weir.advance_clock('119 seconds')`;
  await testRunner(db.current.sql).drain();
  expect((await getInstance(db.current.sql, instance.id))?.status).toBe('waiting');
  await db.current.sql`SELECT weir.advance_clock('2 seconds')`;
  await testRunner(db.current.sql).drain();
  expect((await getInstance(db.current.sql, instance.id))?.status).toBe('completed');
});
