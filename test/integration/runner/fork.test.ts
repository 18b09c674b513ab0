/**
 * Fork branches as separate activations: a fork's second, third… branch's calls are handed to
 * `branch` messages that any replica can take, their results meet in the instance row by
 * compare-and-set (a replica that loses the race re-applies its results to the newer state instead
 * of repeating its calls), and `compete` cancels the losers.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { registerWorkflow } from '../../../src/runner/index.ts';
import type { Runner } from '../../../src/runner/index.ts';
import { getHistory, getInstance, startInstance } from '../../../src/store/queries/instances.ts';
import { useTestDatabase } from '../../support/db.ts';
import { testRunner } from '../../support/runner.ts';
import { startStub, type Stub } from '../../support/stub-server.ts';

const db = useTestDatabase();
let stub: Stub | undefined;
const loops: AbortController[] = [];
afterEach(async () => {
  for (const l of loops.splice(0)) l.abort();
  await stub?.close();
  stub = undefined;
});

/** Holds every response until `n` requests have arrived (or 20 s, so a bug cannot hang the run). */
function barrier(n: number) {
  const waiting: (() => void)[] = [];
  return () =>
    new Promise<undefined>((resolve) => {
      const go = () => resolve(undefined);
      waiting.push(go);
      if (waiting.length >= n) for (const w of waiting.splice(0)) w();
      else setTimeout(go, 20_000);
    });
}

function fanOut(name: string, branches: number, options: { compete?: boolean; secondCallIn?: number } = {}) {
  const list = Array.from({ length: branches }, (_, i) => {
    const first = `{ call: http, with: { method: get, endpoint: '${stub!.url}/b/${i}' } }`;
    if (options.secondCallIn !== i) return `          - b${i}: ${first}`;
    return `          - b${i}:
              do:
                - one: ${first}
                - two: { call: http, with: { method: get, endpoint: '${stub!.url}/b/${i}/again' } }`;
  }).join('\n');
  return `
document: { dsl: '1.0.0', namespace: fk, name: ${name}, version: '1.0.0' }
do:
  - fan:
      fork:
        compete: ${options.compete ?? false}
        branches:
${list}
`;
}

async function start(name: string) {
  const { instance } = await startInstance(db.current.sql, { namespace: 'fk', workflowName: name, workflowVersion: '1.0.0', queue: 'weir_default', input: {} });
  return instance.id;
}
const queued = async () => (await db.current.sql<{ kind: string; n: number }>`
  SELECT message->>'kind' AS kind, count(*)::int AS n FROM pgmq.q_weir_default GROUP BY 1 ORDER BY 1`);
const keysOnce = (s: Stub) => {
  const counts = new Map<string, number>();
  for (const r of s.requests) counts.set(r.idempotencyKey ?? '?', (counts.get(r.idempotencyKey ?? '?') ?? 0) + 1);
  return [...counts.values()].every((n) => n === 1);
};
/** Background loops (as `weir worker` runs them), stopped after the test. */
function run(runner: Runner): void {
  const ac = new AbortController();
  loops.push(ac);
  runner.start(ac.signal);
}
async function settled(id: string, withinMs = 30_000) {
  const until = Date.now() + withinMs;
  for (;;) {
    const row = await getInstance(db.current.sql, id);
    if (row && ['completed', 'faulted', 'cancelled'].includes(row.status)) return row;
    if (Date.now() > until) throw new Error(`instance ${id} still ${row?.status} after ${withinMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('fork branches as activations', () => {
  test('a replica with free slots takes its branch messages back: one activation performs every branch', async () => {
    stub = await startStub((r) => ({ body: { path: r.path } }));
    await registerWorkflow(db.current.sql, fanOut('fan3local', 3));
    const id = await start('fan3local');
    const runner = testRunner(db.current.sql);
    const first = await runner.drain({ maxMessages: 1 });
    expect(first.messages).toBe(1);
    const done = await getInstance(db.current.sql, id);
    expect(done?.status).toBe('completed');
    expect(done?.output).toEqual([{ path: '/b/0' }, { path: '/b/1' }, { path: '/b/2' }]);
    expect(await queued()).toEqual([]);
    expect(keysOnce(stub)).toBe(true);
  });

  test("a replica without free slots keeps one branch and hands the others to branch messages; outputs join in declaration order", async () => {
    stub = await startStub((r) => ({ body: { path: r.path } }));
    await registerWorkflow(db.current.sql, fanOut('fan3', 3, { secondCallIn: 2 }));
    const id = await start('fan3');
    const runner = testRunner(db.current.sql, { WEIR_CONCURRENCY: '1' });
    await runner.drain({ maxMessages: 1 });
    expect(await queued()).toEqual([{ kind: 'branch', n: 2 }]);
    const [row] = await db.current.sql<{ status: string; pending: { id: string; lane: string; branch: string }[] }>`
      SELECT status, pending FROM weir.instances WHERE id = ${id}::uuid`;
    expect(row.status).toBe('waiting');
    // The two handed-off calls wait in pending, each on its own lane (named by its call).
    expect(row.pending.map((c) => c.lane).sort()).toEqual(row.pending.map((c) => `branch:${c.id}`).sort());
    expect(stub.requests.map((r) => r.path)).toEqual(['/b/0']);

    await runner.drain();
    const done = await getInstance(db.current.sql, id);
    expect(done?.status).toBe('completed');
    expect(done?.output).toEqual([{ path: '/b/0' }, { path: '/b/1' }, { path: '/b/2/again' }]);
    expect(stub.requests.map((r) => r.path).sort()).toEqual(['/b/0', '/b/1', '/b/2', '/b/2/again']);
    expect(keysOnce(stub)).toBe(true);
    expect(await queued()).toEqual([]);
    const [after] = await db.current.sql<{ pending: unknown }>`SELECT pending FROM weir.instances WHERE id = ${id}::uuid`;
    expect(after.pending).toBeNull();
  });

  test('branches run on two replicas at once; the replica that commits second re-applies its results, no call repeated', async () => {
    const n = 6;
    let hold = barrier(n);
    stub = await startStub((r) => hold().then(() => ({ body: { path: r.path } })));
    await registerWorkflow(db.current.sql, fanOut('fan6', n));
    // Each replica runs at most 3 messages at once: the one that takes the start cannot also
    // take every branch (a replica with free slots reads its own branch messages at once).
    const env = { WEIR_POLL_INTERVAL: '10', WEIR_POLL_INTERVAL_MAX: '20', WEIR_CONCURRENCY: '3', WEIR_BATCH_SIZE: '3' };
    const a = testRunner(db.current.sql, env, { allowPrivate: true }, 'replica-a');
    const b = testRunner(db.current.sql, env, { allowPrivate: true }, 'replica-b');
    run(a);
    run(b);
    for (let round = 0; round < 3; round++) {
      hold = barrier(n);
      stub.requests.length = 0;
      const id = await start('fan6');
      const done = await settled(id);
      expect(done.status).toBe('completed');
      expect(done.output).toEqual(Array.from({ length: n }, (_, i) => ({ path: `/b/${i}` })));
      // All n calls were in flight together (the barrier let none answer before), more than one
      // replica's concurrency, so the two replicas each performed some; every call happened once.
      expect(stub.requests).toHaveLength(n);
      expect(keysOnce(stub)).toBe(true);
      const history = await getHistory(db.current.sql, id);
      const workers = new Set(history.map((h) => (h.data as { worker?: string } | null)?.worker).filter(Boolean));
      expect(workers).toEqual(new Set(['replica-a', 'replica-b']));
    }
    expect(a.stats.errors + b.stats.errors).toBe(0);
  });

  test('compete: the first branch to finish wins; the losers are cancelled and their calls never made', async () => {
    stub = await startStub((r) => ({ body: { path: r.path } }));
    await registerWorkflow(db.current.sql, fanOut('race', 3, { compete: true }));
    const id = await start('race');
    await testRunner(db.current.sql, { WEIR_CONCURRENCY: '1' }).drain();
    const done = await getInstance(db.current.sql, id);
    expect(done?.status).toBe('completed');
    expect(done?.output).toEqual({ path: '/b/0' });
    // The start activation performed its branch and finished the race before any branch message ran.
    expect(stub.requests.map((r) => r.path)).toEqual(['/b/0']);
    const history = await getHistory(db.current.sql, id);
    expect(history.filter((h) => h.kind === 'taskCancelled').map((h) => h.taskRef).sort()).toEqual([
      '/do/0/fan/fork/branches/1/b1',
      '/do/0/fan/fork/branches/2/b2',
    ]);
    expect(await queued()).toEqual([]);
  });

  test('compete across replicas: all calls in flight, one winner, the other results dropped as stale', async () => {
    const n = 3;
    const hold = barrier(n);
    stub = await startStub((r) => hold().then(() => ({ body: { path: r.path } })));
    await registerWorkflow(db.current.sql, fanOut('race2', n, { compete: true }));
    const env = { WEIR_POLL_INTERVAL: '10', WEIR_POLL_INTERVAL_MAX: '20' };
    run(testRunner(db.current.sql, env, { allowPrivate: true }, 'replica-a'));
    run(testRunner(db.current.sql, env, { allowPrivate: true }, 'replica-b'));
    const id = await start('race2');
    const done = await settled(id);
    expect(done.status).toBe('completed');
    expect(stub.requests).toHaveLength(n);
    const winner = (done.output as { path: string }).path;
    expect(['/b/0', '/b/1', '/b/2']).toContain(winner);
    const history = await getHistory(db.current.sql, id);
    const completed = history.filter((h) => h.kind === 'taskCompleted' && h.taskRef?.startsWith('/do/0/fan/fork/branches/'));
    expect(completed).toHaveLength(1);
    expect(history.filter((h) => h.kind === 'taskCancelled')).toHaveLength(n - 1);
    // Nothing is left behind: no message, no pending call.
    for (let i = 0; i < 100 && (await queued()).length; i++) await new Promise((r) => setTimeout(r, 20));
    expect(await queued()).toEqual([]);
    const [after] = await db.current.sql<{ pending: unknown }>`SELECT pending FROM weir.instances WHERE id = ${id}::uuid`;
    expect(after.pending).toBeNull();
  });
});
