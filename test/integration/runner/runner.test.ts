/**
 * The durable runner on real Postgres: workflows complete through PGMQ, HTTP calls carry stable
 * Idempotency-Keys and are not repeated after a checkpoint, stale and duplicate messages are
 * dropped, poison goes to weir_dead, timers follow the database clock, children report back.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { registerWorkflow } from '../../../src/runner/index.ts';
import { getHistory, getInstance, startInstance } from '../../../src/store/queries/instances.ts';
import { pgmq } from '../../../src/store/queries/pgmq.ts';
import { getWorkflow } from '../../../src/store/queries/workflows.ts';
import { useTestDatabase } from '../../support/db.ts';
import { testRunner } from '../../support/runner.ts';
import { startStub, type Stub } from '../../support/stub-server.ts';

const db = useTestDatabase();
let stub: Stub;
beforeAll(async () => {
  stub = await startStub((r) => (r.path.startsWith('/fail') ? { status: 503, body: { error: 'down' } } : { body: { path: r.path, n: stub.requests.length } }));
});
afterAll(() => stub.close());

async function start(namespace: string, name: string, input: unknown = {}, version = '1.0.0') {
  const wf = await getWorkflow(db.current.sql, namespace, name, version);
  if (!wf) throw new Error('not registered');
  const { instance } = await startInstance(db.current.sql, { namespace, workflowName: name, workflowVersion: version, queue: wf.queue, input });
  return instance.id;
}

const threeSets = `
document: { dsl: '1.0.0', namespace: test, name: three-sets, version: '1.0.0' }
do:
  - a: { set: { x: '\${ .n + 1 }' } }
  - b: { set: { x: '\${ .x * 10 }' } }
  - c: { set: { result: '\${ .x + 5 }' } }
`;

describe('runner', () => {
  test('a 3-task workflow completes through the queue in one activation, with its history', async () => {
    await registerWorkflow(db.current.sql, threeSets);
    const id = await start('test', 'three-sets', { n: 1 });
    expect((await getInstance(db.current.sql, id))?.status).toBe('pending');
    const report = await testRunner(db.current.sql).drain();
    expect(report).toMatchObject({ messages: 1, done: 1, stale: 0, errors: 0 });
    const inst = await getInstance(db.current.sql, id);
    expect(inst).toMatchObject({ status: 'completed', output: { result: 25 }, version: 1 });
    expect(inst?.endedAt).toBeInstanceOf(Date);
    const history = await getHistory(db.current.sql, id);
    expect(history.map((h) => h.kind)).toEqual([
      'workflowStarted', 'taskStarted', 'taskCompleted', 'taskStarted', 'taskCompleted', 'taskStarted', 'taskCompleted', 'workflowCompleted',
    ]);
    expect(history.filter((h) => h.kind === 'taskStarted').map((h) => h.taskRef)).toEqual(['/do/0/a', '/do/1/b', '/do/2/c']);
    expect((await pgmq.metrics(db.current.sql, 'weir_default')).queueLength).toBe(0);
  });

  test('call: http completes; the stub sees one request per call with a stable Idempotency-Key; a crash after a checkpoint repeats only the pending call', async () => {
    await registerWorkflow(db.current.sql, `
document: { dsl: '1.0.0', namespace: test, name: two-calls, version: '1.0.0' }
do:
  - first:
      call: http
      with: { method: get, endpoint: '${stub.url}/one' }
  - second:
      call: http
      with: { method: get, endpoint: '${stub.url}/two' }
      output: { as: '\${ { last: .path } }' }
`);
    const id = await start('test', 'two-calls');
    const before = stub.requests.length;
    // First replica: the call to /two reaches the server, then the replica "dies" before the answer
    // is recorded (its fetch never returns; we abandon that runner).
    const dead = new AbortController();
    const crashing = testRunner(db.current.sql, {}, {
      allowPrivate: true,
      signal: dead.signal,
      fetch: async (input, init) => {
        const url = String(input instanceof Request ? input.url : input);
        const response = await fetch(input, init);
        if (!url.endsWith('/two')) return response;
        await response.text();
        return new Promise<Response>((_, reject) => dead.signal.addEventListener('abort', () => reject(new Error('replica gone'))));
      },
    });
    const abandoned = crashing.drain();
    // Wait (bounded) until the checkpoint after /one's result is committed with /two pending.
    for (let i = 0; i < 200; i++) {
      const [row] = await db.current.sql<{ version: number; pending: unknown[] | null }>`SELECT version, pending FROM weir.instances WHERE id = ${id}::uuid`;
      if (row.version === 1 && row.pending?.length === 1 && stub.requests.some((r) => r.path === '/two')) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    const mid = await getInstance(db.current.sql, id);
    expect(mid?.status).toBe('waiting');
    // The message is still in the queue (hidden): expire its lease as the visibility timeout would.
    const q = await db.current.sql.unsafe<{ msg_id: number }>(`SELECT msg_id FROM pgmq.q_weir_default`);
    expect(q.length).toBe(1);
    await pgmq.setVt(db.current.sql, 'weir_default', q[0].msg_id, 0);
    await testRunner(db.current.sql).drain();
    const done = await getInstance(db.current.sql, id);
    expect(done).toMatchObject({ status: 'completed', output: { last: '/two' } });
    const seen = stub.requests.slice(before);
    expect(seen.map((r) => r.path)).toEqual(['/one', '/two', '/two']);
    // /one was not repeated; /two was, with the same key (at-least-once, deduplicable downstream).
    expect(seen[1].idempotencyKey).toBeTruthy();
    expect(seen[1].idempotencyKey).toBe(seen[2].idempotencyKey);
    expect(seen[0].idempotencyKey).not.toBe(seen[1].idempotencyKey);
    expect(seen[0].idempotencyKey).toContain(id);
    // The abandoned activation wakes up late: its checkpoint conflicts and changes nothing.
    dead.abort();
    const late = await abandoned;
    expect(late.conflicts + late.stale + late.errors).toBeGreaterThanOrEqual(1);
    expect(await getInstance(db.current.sql, id)).toMatchObject({ status: 'completed', output: { last: '/two' } });
  });

  test('stale and duplicate messages are dropped and counted, never applied', async () => {
    const id = await start('test', 'three-sets', { n: 2 });
    const runner = testRunner(db.current.sql);
    await runner.drain();
    const done = await getInstance(db.current.sql, id);
    expect(done?.status).toBe('completed');
    await pgmq.send(db.current.sql, 'weir_default', { instance: id, kind: 'start', target: id });
    await pgmq.send(db.current.sql, 'weir_default', { instance: id, kind: 'timer', target: 'no-such-timer' });
    await pgmq.send(db.current.sql, 'weir_default', { instance: '00000000-0000-7000-8000-000000000000', kind: 'start', target: 'x' });
    const report = await runner.drain();
    expect(report).toMatchObject({ messages: 3, stale: 3, done: 0 });
    expect(await getInstance(db.current.sql, id)).toMatchObject({ status: 'completed', version: done!.version, output: done!.output });
  });

  test('a duplicate start while running is stale: one instance, one history', async () => {
    const id = await start('test', 'three-sets', { n: 3 });
    await pgmq.send(db.current.sql, 'weir_default', { instance: id, kind: 'start', target: id });
    const report = await testRunner(db.current.sql).drain();
    expect(report.done).toBe(1);
    expect(report.stale).toBe(1);
    const history = await getHistory(db.current.sql, id);
    expect(history.filter((h) => h.kind === 'workflowStarted')).toHaveLength(1);
  });

  test('two batches in flight at once (the loop reads ahead) never run one instance twice at a time: the second message waits and sees the first one\'s checkpoint', async () => {
    const id = await start('test', 'three-sets', { n: 5 });
    await pgmq.send(db.current.sql, 'weir_default', { instance: id, kind: 'start', target: id });
    // Batches of one, swept concurrently: each takes one of the two messages of the instance.
    const runner = testRunner(db.current.sql, { WEIR_BATCH_SIZE: '1' });
    const reports = await Promise.all([runner.sweep(), runner.sweep()]);
    const sum = (k: 'messages' | 'done' | 'stale' | 'conflicts' | 'errors') => reports.reduce((n, r) => n + r[k], 0);
    // Run side by side from the same row, one would be a version conflict and come back.
    expect({ messages: sum('messages'), done: sum('done'), stale: sum('stale'), conflicts: sum('conflicts'), errors: sum('errors') }).toEqual({ messages: 2, done: 1, stale: 1, conflicts: 0, errors: 0 });
    expect(await getInstance(db.current.sql, id)).toMatchObject({ status: 'completed', version: 1 });
  });

  test('poison: a message that fails every activation goes to weir_dead after WEIR_MAX_DELIVERIES and faults its instance; the queue keeps flowing', async () => {
    const id = await start('test', 'three-sets', { n: 4 });
    // Corrupt the instance state so every activation throws.
    await db.current.sql`UPDATE weir.instances SET state = '{"threads": 42}'::jsonb WHERE id = ${id}::uuid`;
    await pgmq.send(db.current.sql, 'weir_default', { instance: id, kind: 'timer', target: 't1' });
    const healthy = await start('test', 'three-sets', { n: 5 });
    const runner = testRunner(db.current.sql, { WEIR_MAX_DELIVERIES: '2' });
    const expire = async () => {
      const rows = await db.current.sql.unsafe<{ msg_id: number }>(`SELECT msg_id FROM pgmq.q_weir_default`);
      for (const r of rows) await pgmq.setVt(db.current.sql, 'weir_default', r.msg_id, 0);
    };
    const first = await runner.drain();
    expect(first.errors).toBeGreaterThan(0);
    expect((await getInstance(db.current.sql, healthy))?.status).toBe('completed');
    for (let i = 0; i < 3; i++) {
      await expire();
      await runner.drain();
    }
    const faulted = await getInstance(db.current.sql, id);
    expect(faulted?.status).toBe('faulted');
    expect((faulted?.error as { detail: string }).detail).toMatch(/delivered 3 times without completing \(WEIR_MAX_DELIVERIES=2\); it was moved to weir_dead/);
    const dead = await pgmq.read<{ message: { instance: string } }>(db.current.sql, 'weir_dead', 30, 10);
    expect(dead.map((m) => m.message.message.instance)).toContain(id);
    expect((await pgmq.metrics(db.current.sql, 'weir_default')).queueLength).toBe(0);
  });

  test('wait PT1H completes when the database clock passes the hour, not before', async () => {
    await registerWorkflow(db.current.sql, `
document: { dsl: '1.0.0', namespace: test, name: waits, version: '1.0.0' }
do:
  - pause: { wait: PT1H }
  - after: { set: { woke: true } }
`);
    const id = await start('test', 'waits');
    const runner = testRunner(db.current.sql);
    try {
      await db.current.sql`SELECT weir.set_fake_now(now())`;
      await runner.drain();
      expect((await getInstance(db.current.sql, id))?.status).toBe('waiting');
      const [timer] = await db.current.sql<{ n: number }>`SELECT count(*)::int AS n FROM weir.timers WHERE instance_id = ${id}::uuid`;
      expect(timer.n).toBe(1);
      await db.current.sql`SELECT weir.advance_clock('59 minutes')`;
      expect((await runner.drain()).timersFired).toBe(0);
      expect((await getInstance(db.current.sql, id))?.status).toBe('waiting');
      await db.current.sql`SELECT weir.advance_clock('2 minutes')`;
      const r = await runner.drain();
      expect(r.timersFired).toBe(1);
      expect(await getInstance(db.current.sql, id)).toMatchObject({ status: 'completed', output: { woke: true } });
    } finally {
      await db.current.sql`SELECT weir.reset_clock()`;
    }
  });

  test('run: workflow starts a child instance and the parent continues with its output', async () => {
    await registerWorkflow(db.current.sql, `
document: { dsl: '1.0.0', namespace: test, name: child, version: '1.0.0' }
do:
  - double: { set: { doubled: '\${ .n * 2 }' } }
`);
    await registerWorkflow(db.current.sql, `
document: { dsl: '1.0.0', namespace: test, name: parent, version: '1.0.0' }
do:
  - callChild:
      run:
        workflow: { namespace: test, name: child, version: '1.0.0', input: { n: 21 } }
  - finish: { set: { fromChild: '\${ .doubled }' } }
`);
    const id = await start('test', 'parent');
    await testRunner(db.current.sql).drain();
    expect(await getInstance(db.current.sql, id)).toMatchObject({ status: 'completed', output: { fromChild: 42 } });
    const [child] = await db.current.sql<{ status: string; parent_id: string }>`SELECT status, parent_id FROM weir.instances WHERE parent_id = ${id}::uuid`;
    expect(child).toMatchObject({ status: 'completed', parent_id: id });
  });

  test('idempotent start: same key and input returns the first instance; a different input is refused', async () => {
    const req = { namespace: 'test', workflowName: 'three-sets', workflowVersion: '1.0.0', queue: 'weir_default', input: { n: 9 }, idempotencyKey: 'k-1' };
    const a = await startInstance(db.current.sql, req);
    const b = await startInstance(db.current.sql, req);
    expect(a.created).toBe(true);
    expect(b.created).toBe(false);
    expect(b.instance.id).toBe(a.instance.id);
    await expect(startInstance(db.current.sql, { ...req, input: { n: 10 } })).rejects.toThrow(/already used to start instance .* with a different input/);
    const msgs = await db.current.sql<{ n: number }>`SELECT count(*)::int AS n FROM pgmq.q_weir_default WHERE message->>'instance' = ${a.instance.id}`;
    expect(msgs[0].n).toBe(1);
  });

  test('emit stores the event and wakes a listening instance in the same transaction', async () => {
    await registerWorkflow(db.current.sql, `
document: { dsl: '1.0.0', namespace: test, name: listener, version: '1.0.0' }
do:
  - waitForOrder:
      listen:
        to:
          one:
            with: { type: com.example.order.placed }
  - got: { set: { order: '\${ . }' } }
`);
    await registerWorkflow(db.current.sql, `
document: { dsl: '1.0.0', namespace: test, name: emitter, version: '1.0.0' }
do:
  - announce:
      emit:
        event:
          with: { source: https://example.com/shop, type: com.example.order.placed, data: { id: 42 } }
`);
    const listener = await start('test', 'listener');
    const runner = testRunner(db.current.sql);
    await runner.drain();
    expect((await getInstance(db.current.sql, listener))?.status).toBe('waiting');
    const [sub] = await db.current.sql<{ n: number }>`SELECT count(*)::int AS n FROM weir.subscriptions WHERE instance_id = ${listener}::uuid`;
    expect(sub.n).toBe(1);
    const emitter = await start('test', 'emitter');
    await runner.drain();
    expect((await getInstance(db.current.sql, emitter))?.status).toBe('completed');
    const [ev] = await db.current.sql<{ type: string; data: unknown }>`SELECT type, data FROM weir.events WHERE type = 'com.example.order.placed'`;
    expect(ev).toEqual({ type: 'com.example.order.placed', data: { id: 42 } });
    const done = await getInstance(db.current.sql, listener);
    expect(done?.status).toBe('completed');
    expect(JSON.stringify(done?.output)).toContain('42');
    const [left] = await db.current.sql<{ n: number }>`SELECT count(*)::int AS n FROM weir.subscriptions WHERE instance_id = ${listener}::uuid`;
    expect(left.n).toBe(0);
  });

  test('the SSRF guard refuses private targets unless allowed, as a workflow error', async () => {
    await registerWorkflow(db.current.sql, `
document: { dsl: '1.0.0', namespace: test, name: private-call, version: '1.0.0' }
do:
  - peek: { call: http, with: { method: get, endpoint: '${stub.url}/secret' } }
`);
    const before = stub.requests.length;
    const id = await start('test', 'private-call');
    await testRunner(db.current.sql, {}, { allowPrivate: false }).drain();
    const inst = await getInstance(db.current.sql, id);
    expect(inst?.status).toBe('faulted');
    expect(JSON.stringify(inst?.error)).toMatch(/127\.0\.0\.1|private|loopback/i);
    expect(stub.requests.length).toBe(before);
  });

  test('an instance whose state outgrows WEIR_MAX_STATE_BYTES faults with an error naming the limit', async () => {
    await registerWorkflow(db.current.sql, `
document: { dsl: '1.0.0', namespace: test, name: hoarder, version: '1.0.0' }
do:
  - grow: { set: { big: '\${ [range(0; 2000)] | map(tostring) | join("-") }' } }
  - pause: { wait: PT1H }
`);
    const id = await start('test', 'hoarder');
    await testRunner(db.current.sql, { WEIR_MAX_STATE_BYTES: '4096' }).drain();
    const inst = await getInstance(db.current.sql, id);
    expect(inst?.status).toBe('faulted');
    expect((inst?.error as { detail: string }).detail).toMatch(/over WEIR_MAX_STATE_BYTES=4096/);
    const [{ n }] = await db.current.sql<{ n: number }>`SELECT length(state::text) AS n FROM weir.instances WHERE id = ${id}::uuid`;
    expect(n).toBeLessThan(4096);
  });

  test('the state cap counts UTF-8 bytes, not UTF-16 units: 1,000 three-byte characters are over 4,096, 300 are not', async () => {
    await registerWorkflow(db.current.sql, `
document: { dsl: '1.0.0', namespace: test, name: euros, version: '1.0.0' }
do:
  - grow: { set: { big: '\${ [range(0; .n)] | map("€") | join("") }' } }
  - pause: { wait: PT1H }
`);
    // The string sits in the state three times (context, output, the task's record): 1,000
    // characters are ~3,500 UTF-16 units of JSON (under the cap) but ~9,500 bytes; 300 are ~3,400.
    const over = await start('test', 'euros', { n: 1000 });
    const under = await start('test', 'euros', { n: 300 });
    await testRunner(db.current.sql, { WEIR_MAX_STATE_BYTES: '4096' }).drain();
    expect((await getInstance(db.current.sql, over))?.status).toBe('faulted');
    expect((await getInstance(db.current.sql, under))?.status).toBe('waiting');
    await db.current.sql`DELETE FROM weir.timers WHERE instance_id = ${under}::uuid`; // later tests move the clock
  });

  test('history is capped per instance at WEIR_MAX_HISTORY, keeping the workflow-level end', async () => {
    await registerWorkflow(db.current.sql, `
document: { dsl: '1.0.0', namespace: test, name: chatty, version: '1.0.0' }
do:
  - loop:
      for: { in: '\${ [range(0; 30)] }', each: i }
      do:
        - step: { set: { i: '\${ $i }' } }
`);
    const id = await start('test', 'chatty');
    await testRunner(db.current.sql, { WEIR_MAX_HISTORY: '20' }).drain();
    expect((await getInstance(db.current.sql, id))?.status).toBe('completed');
    const history = await getHistory(db.current.sql, id);
    expect(history.filter((h) => !h.kind.startsWith('workflow')).length).toBeLessThanOrEqual(19);
    expect(history.at(-1)?.kind).toBe('workflowCompleted');
  });

  test('a one-week wait fires after the database clock moves a week, not a minute before', async () => {
    await registerWorkflow(db.current.sql, `
document: { dsl: '1.0.0', namespace: test, name: weekly, version: '1.0.0' }
do:
  - rest: { wait: P7D }
  - done: { set: { rested: true } }
`);
    const id = await start('test', 'weekly');
    const runner = testRunner(db.current.sql);
    try {
      await db.current.sql`SELECT weir.set_fake_now(now())`;
      await runner.drain();
      await db.current.sql`SELECT weir.advance_clock(interval '7 days' - interval '1 minute')`;
      expect((await runner.drain()).timersFired).toBe(0);
      expect((await getInstance(db.current.sql, id))?.status).toBe('waiting');
      await db.current.sql`SELECT weir.advance_clock('1 minute')`;
      expect((await runner.drain()).timersFired).toBe(1);
      expect(await getInstance(db.current.sql, id)).toMatchObject({ status: 'completed', output: { rested: true } });
    } finally {
      await db.current.sql`SELECT weir.reset_clock()`;
    }
  });
});
