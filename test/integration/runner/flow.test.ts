/**
 * Flow control on real Postgres, one runner driven by drain() and the database clock:
 * concurrency limits per key (queue FIFO, skip, cancel-previous), slots released by every way an
 * instance ends, debounce windows, priorities, and task rate limits.
 */
import { beforeEach, describe, expect, test } from 'vitest';
import { registerWorkflow } from '../../../src/runner/index.ts';
import { cancelInstance, suspendInstance, resumeInstance } from '../../../src/runner/control.ts';
import { startWorkflow, type StartFlow } from '../../../src/runner/flow.ts';
import type { Sql } from '../../../src/store/sql.ts';
import { useTestDatabase } from '../../support/db.ts';
import { testRunner } from '../../support/runner.ts';
import { startStub } from '../../support/stub-server.ts';

const db = useTestDatabase();
let sql: Sql;
beforeEach(async () => {
  sql = db.current.sql;
  await sql`SELECT weir.set_fake_now('2026-01-01T00:00:00Z')`;
});

const waiting = (name: string, metadata: string) => `
document:
  dsl: '1.0.0'
  namespace: flow
  name: ${name}
  version: '1.0.0'
  metadata:
    weir: ${metadata}
do:
  - pause: { wait: PT1M }
  - done: { set: { n: '\${ $input.n }', customer: '\${ $input.customer }' } }
`;

const start = (name: string, input: unknown, flow: StartFlow = {}, priority?: number) =>
  startWorkflow(sql, { namespace: 'flow', workflowName: name, workflowVersion: '1.0.0', queue: 'weir_default', input, ...(priority ? { priority } : {}) }, flow);

const statusOf = async (id: string) => (await sql<{ status: string }>`SELECT status FROM weir.instances WHERE id = ${id}::uuid`)[0].status;
const statuses = async (ids: string[]) => Promise.all(ids.map(statusOf));
const slotCount = async (workflow: string) =>
  (await sql<{ n: number }>`SELECT count(*)::int AS n FROM weir.slots WHERE scope LIKE ${`flow/${workflow}%`}`)[0].n;
const minute = () => sql`SELECT weir.advance_clock('61 seconds')`;

describe('concurrency: limit per key', () => {
  test('limit 2 per customer: the rest queue, and start FIFO per key as slots free', async () => {
    await registerWorkflow(sql, waiting('perkey', `{ concurrency: { limit: 2, key: '\${ .customer }' } }`));
    const runner = testRunner(sql);
    const a = [];
    for (let n = 0; n < 5; n++) a.push(await start('perkey', { customer: 'a', n }));
    const b = await start('perkey', { customer: 'b', n: 0 });
    expect(a.map((r) => r.outcome)).toEqual(['started', 'started', 'queued', 'queued', 'queued']);
    expect(b.outcome).toBe('started');
    const ids = a.map((r) => r.instance.id);
    await runner.drain();
    expect(await statuses(ids)).toEqual(['waiting', 'waiting', 'queued', 'queued', 'queued']);
    expect(await statusOf(b.instance.id)).toBe('waiting');
    expect(await slotCount('perkey')).toBe(3);

    // One wait passes: the two running ones end, the next two (in order) take their slots.
    await minute();
    await runner.drain();
    expect(await statuses(ids)).toEqual(['completed', 'completed', 'waiting', 'waiting', 'queued']);
    await minute();
    await runner.drain();
    expect(await statuses(ids)).toEqual(['completed', 'completed', 'completed', 'completed', 'waiting']);
    await minute();
    await runner.drain();
    expect(await statuses(ids)).toEqual(['completed', 'completed', 'completed', 'completed', 'completed']);
    expect(await slotCount('perkey')).toBe(0);
    // FIFO: the queued ones started in the order they were queued.
    const started = await sql<{ id: string }>`SELECT id FROM weir.instances WHERE input->>'customer' = 'a' ORDER BY started_at, id`;
    expect(started.map((r) => r.id)).toEqual(ids);
  });

  test('every way of ending frees the slot: cancel of a running one, cancel of a queued one, a fault', async () => {
    await registerWorkflow(sql, waiting('ends', `{ concurrency: { limit: 1 } }`));
    const runner = testRunner(sql);
    const first = await start('ends', { n: 1 });
    const second = await start('ends', { n: 2 });
    const third = await start('ends', { n: 3 });
    await runner.drain();
    expect(await statuses([first.instance.id, second.instance.id, third.instance.id])).toEqual(['waiting', 'queued', 'queued']);
    // A queued one cancelled takes nobody's slot; the next in line is still third.
    await cancelInstance(sql, second.instance.id);
    expect(await statusOf(second.instance.id)).toBe('cancelled');
    expect(await slotCount('ends')).toBe(1);
    await cancelInstance(sql, first.instance.id);
    await runner.drain();
    expect(await statuses([first.instance.id, third.instance.id])).toEqual(['cancelled', 'waiting']);
    expect(await slotCount('ends')).toBe(1);
    // Suspending a running instance keeps its slot; resuming goes on.
    await suspendInstance(sql, third.instance.id);
    const fourth = await start('ends', { n: 4 });
    expect(fourth.outcome).toBe('queued');
    await resumeInstance(sql, third.instance.id);
    await minute();
    await runner.drain();
    expect(await statuses([third.instance.id, fourth.instance.id])).toEqual(['completed', 'waiting']);
  });

  test('a faulted instance frees its slot too', async () => {
    await registerWorkflow(sql, `
document: { dsl: '1.0.0', namespace: flow, name: faulty, version: '1.0.0', metadata: { weir: { concurrency: { limit: 1 } } } }
do:
  - pause: { wait: PT1M }
  - boom: { raise: { error: { type: https://example.com/boom, status: 500, title: Boom } } }
`);
    const runner = testRunner(sql);
    const one = await start('faulty', {});
    const two = await start('faulty', {});
    await runner.drain();
    await minute();
    await runner.drain();
    expect(await statuses([one.instance.id, two.instance.id])).toEqual(['faulted', 'waiting']);
    await minute();
    await runner.drain();
    expect(await statusOf(two.instance.id)).toBe('faulted');
    expect(await slotCount('faulty')).toBe(0);
  });

  test('onLimit skip: nothing is created; the answer is the running instance', async () => {
    await registerWorkflow(sql, waiting('skipper', `{ concurrency: { limit: 1, key: '\${ .customer }', onLimit: skip } }`));
    const first = await start('skipper', { customer: 'a', n: 1 });
    const again = await start('skipper', { customer: 'a', n: 2 });
    const other = await start('skipper', { customer: 'b', n: 1 });
    expect(first.outcome).toBe('started');
    expect(again).toMatchObject({ outcome: 'skipped', created: false });
    expect(again.instance.id).toBe(first.instance.id);
    expect(other.outcome).toBe('started');
    expect((await sql<{ n: number }>`SELECT count(*)::int AS n FROM weir.instances WHERE workflow_name = 'skipper'`)[0].n).toBe(2);
  });

  test('onLimit cancel-previous: the running one ends cancelled and the new one takes its slot', async () => {
    await registerWorkflow(sql, waiting('latest', `{ concurrency: { limit: 1, onLimit: cancel-previous } }`));
    const runner = testRunner(sql);
    const old = await start('latest', { n: 1 });
    await runner.drain();
    expect(await statusOf(old.instance.id)).toBe('waiting');
    const fresh = await start('latest', { n: 2 });
    expect(fresh.outcome).toBe('queued');
    await runner.drain();
    expect(await statuses([old.instance.id, fresh.instance.id])).toEqual(['cancelled', 'waiting']);
    // Not started yet when replaced: cancelled at once, the newest starts straight away.
    const newest = await start('latest', { n: 3 });
    await runner.drain();
    expect(await statuses([fresh.instance.id, newest.instance.id])).toEqual(['cancelled', 'waiting']);
    const [{ reason }] = await sql<{ reason: string }>`
      SELECT data->'data'->>'reason' AS reason FROM weir.history WHERE instance_id = ${fresh.instance.id}::uuid AND kind = 'workflowCancelled'`;
    expect(reason).toContain('cancel-previous');
    expect(await slotCount('latest')).toBe(1);
  });

  test('child workflows queue behind their limit (never skipped): the parent gets every outcome', async () => {
    await registerWorkflow(sql, `
document: { dsl: '1.0.0', namespace: flow, name: child, version: '1.0.0', metadata: { weir: { concurrency: { limit: 1, onLimit: skip } } } }
do:
  - pause: { wait: PT1M }
  - out: { set: { n: '\${ $input.n }' } }
`);
    await registerWorkflow(sql, `
document: { dsl: '1.0.0', namespace: flow, name: parent, version: '1.0.0' }
do:
  - kids:
      for: { in: '\${ [1,2,3] }', each: n }
      do:
        - one: { run: { workflow: { namespace: flow, name: child, version: '1.0.0', input: { n: '\${ $n }' } } } }
`);
    const runner = testRunner(sql);
    const parent = await startWorkflow(sql, { namespace: 'flow', workflowName: 'parent', workflowVersion: '1.0.0', queue: 'weir_default', input: {} });
    for (let i = 0; i < 4 && (await statusOf(parent.instance.id)) !== 'completed'; i++) {
      await runner.drain();
      await minute();
    }
    await runner.drain();
    expect(await statusOf(parent.instance.id)).toBe('completed');
    const children = await sql<{ status: string }>`SELECT status FROM weir.instances WHERE workflow_name = 'child'`;
    expect(children.map((c) => c.status)).toEqual(['completed', 'completed', 'completed']);
  });
});

describe('debounce', () => {
  test('starts within the window collapse into one instance that runs with the last input', async () => {
    await registerWorkflow(sql, `
document: { dsl: '1.0.0', namespace: flow, name: deb, version: '1.0.0', metadata: { weir: { debounce: { key: '\${ .user }', window: PT10S } } } }
do:
  - out: { set: { n: '\${ $input.n }', user: '\${ $input.user }' } }
`);
    const runner = testRunner(sql);
    const r1 = await start('deb', { user: 'u', n: 1 });
    const r2 = await start('deb', { user: 'u', n: 2 });
    const other = await start('deb', { user: 'v', n: 1 });
    await sql`SELECT weir.advance_clock('5 seconds')`;
    const r3 = await start('deb', { user: 'u', n: 3 });
    expect([r1.outcome, r2.outcome, other.outcome, r3.outcome]).toEqual(['delayed', 'debounced', 'delayed', 'debounced']);
    expect(r2.instance.id).toBe(r1.instance.id);
    expect(r3.instance.id).toBe(r1.instance.id);
    await runner.drain();
    expect(await statusOf(r1.instance.id)).toBe('delayed');
    // The window counts from the first start: 10 s after it the instance runs, with the last input.
    await sql`SELECT weir.advance_clock('5 seconds')`;
    await runner.drain();
    const [row] = await sql<{ status: string; output: unknown }>`SELECT status, output FROM weir.instances WHERE id = ${r1.instance.id}::uuid`;
    expect(row).toEqual({ status: 'completed', output: { n: 3, user: 'u' } });
    expect(await statusOf(other.instance.id)).toBe('completed');
    // After the window, the same key opens a new one.
    const r4 = await start('deb', { user: 'u', n: 4 });
    expect(r4.outcome).toBe('delayed');
    expect(r4.instance.id).not.toBe(r1.instance.id);
  });

  test('a per-start debounce key and window on a workflow without one; a bad window is a 422 with a pointer', async () => {
    await registerWorkflow(sql, `
document: { dsl: '1.0.0', namespace: flow, name: plain, version: '1.0.0' }
do:
  - out: { set: { n: '\${ $input.n }' } }
`);
    const runner = testRunner(sql);
    const a = await start('plain', { n: 1 }, { debounceKey: 'k', debounceWindow: 'PT30S' });
    const b = await start('plain', { n: 2 }, { debounceKey: 'k', debounceWindow: 'PT30S' });
    expect(b).toMatchObject({ outcome: 'debounced' });
    expect(b.instance.id).toBe(a.instance.id);
    await sql`SELECT weir.advance_clock('31 seconds')`;
    await runner.drain();
    expect((await sql<{ output: unknown }>`SELECT output FROM weir.instances WHERE id = ${a.instance.id}::uuid`)[0].output).toEqual({ n: 2 });
    await expect(start('plain', {}, { debounceKey: 'k', debounceWindow: 'soon' })).rejects.toMatchObject({
      code: 'validation_failed',
      errors: [expect.objectContaining({ pointer: '/query/debounceWindow' })],
    });
  });

  test('a debounced start of a limited workflow enters its scope when its window ends', async () => {
    await registerWorkflow(sql, waiting('both', `{ concurrency: { limit: 1 }, debounce: { window: PT5S } }`));
    const runner = testRunner(sql);
    const first = await start('both', { n: 1 });
    await sql`SELECT weir.advance_clock('6 seconds')`;
    await runner.drain();
    expect(await statusOf(first.instance.id)).toBe('waiting');
    const second = await start('both', { n: 2 });
    expect(second.outcome).toBe('delayed');
    await sql`SELECT weir.advance_clock('6 seconds')`;
    await runner.drain();
    expect(await statusOf(second.instance.id)).toBe('queued');
    await minute();
    await runner.drain();
    expect(await statuses([first.instance.id, second.instance.id])).toEqual(['completed', 'waiting']);
  });
});

describe('priority', () => {
  test('higher priority is read first, and a quarter of each read stays oldest-first', async () => {
    await registerWorkflow(sql, `
document: { dsl: '1.0.0', namespace: flow, name: prio, version: '1.0.0' }
do:
  - out: { set: { n: '\${ $input.n }' } }
`);
    const low = [];
    for (let n = 0; n < 8; n++) low.push((await start('prio', { n }, {}, 0)).instance.id);
    const high = [];
    for (let n = 0; n < 4; n++) high.push((await start('prio', { n: 100 + n }, {}, 9)).instance.id);
    const mid = (await start('prio', { n: 50 }, {}, 5)).instance.id;
    const runner = testRunner(sql, { WEIR_BATCH_SIZE: '4' });
    await runner.sweep();
    const done = async () => new Set((await sql<{ id: string }>`SELECT id FROM weir.instances WHERE status = 'completed' AND workflow_name = 'prio'`).map((r) => r.id));
    // First read of 4: the three highest (9, 9, 9) and the oldest message whatever its priority.
    expect(await done()).toEqual(new Set([high[0], high[1], high[2], low[0]]));
    await runner.sweep();
    // Next: the last 9, then the 5, then the oldest 0 by priority, and one oldest-first.
    expect(await done()).toEqual(new Set([high[0], high[1], high[2], high[3], mid, low[0], low[1], low[2]]));
  });
});

describe('rate limits', () => {
  test('a task rate limit shared by every activation: over it, messages are handed back (not counted as deliveries)', async () => {
    const stub = await startStub();
    try {
      await registerWorkflow(sql, `
document: { dsl: '1.0.0', namespace: flow, name: limited, version: '1.0.0' }
do:
  - call:
      call: http
      with: { method: post, endpoint: '${stub.url}/hit', body: { n: '\${ .n }' } }
      metadata: { weir: { rateLimit: { key: stub-host, limit: 5, period: PT1S } } }
`);
      const total = 15;
      for (let n = 0; n < total; n++) await start('limited', { n });
      const runner = testRunner(sql, { WEIR_MAX_DELIVERIES: '2' });
      const arrivals: number[] = [];
      const began = Date.now();
      let limited = 0;
      while (Date.now() - began < 30_000) {
        const seen = stub.requests.length;
        const r = await runner.drain();
        limited += r.limited;
        for (let i = seen; i < stub.requests.length; i++) arrivals.push(Date.now());
        const [{ n }] = await sql<{ n: number }>`SELECT count(*)::int AS n FROM weir.instances WHERE workflow_name = 'limited' AND status = 'completed'`;
        if (n === total) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      const statuses = await sql<{ status: string; n: number }>`SELECT status, count(*)::int AS n FROM weir.instances WHERE workflow_name = 'limited' GROUP BY status`;
      expect(statuses).toEqual([{ status: 'completed', n: total }]);
      expect(stub.requests).toHaveLength(total);
      expect(limited).toBeGreaterThan(0);
      // Tokens are reserved for the messages handed back: each comes back once, no retry storm.
      expect(limited).toBeLessThanOrEqual(total);
      // 5 at once (the bucket's capacity), then 5 per second: 15 calls take at least ~2 s. Only a
      // lower bound on time, so a slow machine cannot make it fail.
      expect(Date.now() - began).toBeGreaterThanOrEqual(1_800);
    } finally {
      await stub.close();
    }
  });
});
