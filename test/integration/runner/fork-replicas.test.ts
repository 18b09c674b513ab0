/**
 * A fork's branches spread over real `weir worker` processes: 10 branches, 2 workers, every call
 * held by the stub until all 10 are in flight — so both workers must be running branches at once —
 * and the history names both. Then the same fork with one worker killed (SIGKILL) while its calls
 * are in flight: its branch messages come back after the visibility timeout and the survivor
 * performs those calls again with the same Idempotency-Keys; nothing is lost.
 */
import { afterEach, expect, test } from 'vitest';
import { registerWorkflow } from '../../../src/runner/index.ts';
import { getHistory, getInstance, startInstance } from '../../../src/store/queries/instances.ts';
import { useTestDatabase } from '../../support/db.ts';
import { startStub, type Stub } from '../../support/stub-server.ts';
import { spawnWorker, type WorkerProcess } from '../../support/workers.ts';

const db = useTestDatabase();
const n = 10;
let stub: Stub | undefined;
const workers: WorkerProcess[] = [];
afterEach(async () => {
  for (const w of workers.splice(0)) w.child.kill('SIGKILL');
  await stub?.close();
});

/** Responses held until `release()`; `arrived` resolves once `count` requests are waiting. */
function gate(count: number) {
  const waiting: (() => void)[] = [];
  let reached!: () => void;
  const arrived = new Promise<void>((r) => (reached = r));
  return {
    arrived,
    hold: () =>
      new Promise<undefined>((resolve) => {
        waiting.push(() => resolve(undefined));
        if (waiting.length >= count) reached();
        setTimeout(() => resolve(undefined), 60_000); // a bug must not hang the run
      }),
    release: () => {
      for (const w of waiting.splice(0)) w();
    },
  };
}

/** Waits for the gate to fill; after 30 s fails with what the queue and the workers show. */
async function arrival(g: ReturnType<typeof gate>) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(async () => {
      const q = await db.current.sql`SELECT msg_id, read_ct, message->>'kind' AS kind FROM pgmq.q_weir_default`;
      reject(new Error(`${stub!.requests.length} of ${n} calls arrived; queue ${JSON.stringify(q)}; workers: ${workers.map((w) => w.output.join('').slice(-1500)).join(' | ')}`));
    }, 30_000);
  });
  try {
    await Promise.race([g.arrived, late]);
  } finally {
    clearTimeout(timer);
  }
}

async function settle(id: string, withinMs: number) {
  const until = Date.now() + withinMs;
  for (;;) {
    const row = await getInstance(db.current.sql, id);
    if (row && ['completed', 'faulted', 'cancelled'].includes(row.status)) return row;
    if (Date.now() > until) {
      const [r] = await db.current.sql<{ pending: unknown; state: unknown }>`SELECT pending, state->'waits' AS state FROM weir.instances WHERE id = ${id}::uuid`;
      const q = await db.current.sql`SELECT msg_id, read_ct, vt, message FROM pgmq.q_weir_default`;
      throw new Error(`instance ${id} still ${row?.status} after ${withinMs} ms: pending ${JSON.stringify(r)}, queue ${JSON.stringify(q)}, workers ${workers.map((w) => w.output.join('')).join(' | ')}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function setup(name: string, g: ReturnType<typeof gate>, passThrough: () => boolean) {
  stub = await startStub((r) => (passThrough() ? { body: { path: r.path } } : g.hold().then(() => ({ body: { path: r.path } }))));
  const branches = Array.from({ length: n }, (_, i) => `          - b${i}: { call: http, with: { method: get, endpoint: '${stub!.url}/b/${i}' } }`).join('\n');
  await registerWorkflow(db.current.sql, `
document: { dsl: '1.0.0', namespace: fk, name: ${name}, version: '1.0.0' }
do:
  - fan:
      fork:
        branches:
${branches}
`);
  const env = { DATABASE_URL: db.current.url, WEIR_HTTP_ALLOW_PRIVATE: 'true', WEIR_POLL_INTERVAL: '20', WEIR_POLL_INTERVAL_MAX: '100', WEIR_VISIBILITY_TIMEOUT: '2', WEIR_DB_POOL_MAX: '4',
    // 6 messages at once per worker: 10 branches in flight together need both (a worker with
    // free slots reads its own branch messages at once, so an idle pair would not need to share).
    WEIR_CONCURRENCY: '6', WEIR_BATCH_SIZE: '6' };
  for (let i = 0; i < 2; i++) workers.push(spawnWorker(env));
  const { instance } = await startInstance(db.current.sql, { namespace: 'fk', workflowName: name, workflowVersion: '1.0.0', queue: 'weir_default', input: {} });
  return instance.id;
}

const expected = Array.from({ length: n }, (_, i) => ({ path: `/b/${i}` }));

test(`a fork of ${n} branches on 2 worker processes: branches run on both at once`, async () => {
  const g = gate(n);
  const id = await setup('spread', g, () => false);
  await arrival(g); // all 10 calls in flight at once: at most 6 on each worker, so on both
  g.release();
  const done = await settle(id, 60_000);
  expect(done.status).toBe('completed');
  expect(done.output).toEqual(expected);
  expect(new Set(stub!.requests.map((r) => r.idempotencyKey)).size).toBe(n);
  expect(stub!.requests).toHaveLength(n);
  const history = await getHistory(db.current.sql, id);
  const byWorker = new Map<string, number>();
  for (const h of history) {
    const w = (h.data as { worker?: string } | null)?.worker;
    if (w && h.kind === 'taskCompleted') byWorker.set(w, (byWorker.get(w) ?? 0) + 1);
  }
  expect(byWorker.size).toBe(2);
  expect([...byWorker.values()].reduce((a, b) => a + b, 0)).toBe(n);
}, 120_000);

test('a worker killed while its branches are in flight: the survivor performs them again with the same keys, nothing lost', async () => {
  const g = gate(n);
  let killed = false;
  const id = await setup('survive', g, () => killed);
  await arrival(g);
  const victim = workers[0];
  victim.child.kill('SIGKILL');
  await victim.exited;
  killed = true; // from now on the stub answers at once
  g.release();
  const done = await settle(id, 30_000);
  expect(done.status).toBe('completed');
  expect(done.output).toEqual(expected);
  const keys = new Map<string, number>();
  for (const r of stub!.requests) keys.set(r.idempotencyKey ?? '?', (keys.get(r.idempotencyKey ?? '?') ?? 0) + 1);
  // Every call was made under one key; the ones the victim had in flight twice (at-least-once).
  expect(keys.size).toBe(n);
  const repeated = [...keys.values()].filter((c) => c > 1).length;
  expect(repeated).toBeGreaterThan(0);
  expect(repeated).toBeLessThan(n);
}, 150_000);
