/**
 * Flow control across real `weir worker` processes: a concurrency limit of 2 per key holds on 3
 * replicas (asserted from the instances' start/end timestamps and from the downstream stub's own
 * count of calls in flight), queued instances take their slots in order, and a worker killed with SIGKILL
 * while its instances hold slots leaks none of them. A rate limit shared by the replicas is
 * asserted loosely (an upper bound on the observed rate cannot flake on a slow machine).
 */
import { afterEach, expect, test } from 'vitest';
import { registerWorkflow } from '../../../src/runner/index.ts';
import { startWorkflow } from '../../../src/runner/flow.ts';
import { useTestDatabase } from '../../support/db.ts';
import { startStub, type Stub } from '../../support/stub-server.ts';
import { spawnWorker, type WorkerProcess } from '../../support/workers.ts';

const db = useTestDatabase(20);
let stub: Stub | undefined;
const workers: WorkerProcess[] = [];
afterEach(async () => {
  for (const w of workers.splice(0)) {
    w.child.kill('SIGKILL');
    await w.exited;
  }
  await stub?.close();
  stub = undefined;
});

const env = () => ({
  DATABASE_URL: db.current.url,
  WEIR_HTTP_ALLOW_PRIVATE: 'true',
  WEIR_POLL_INTERVAL: '10',
  WEIR_POLL_INTERVAL_MAX: '50',
  WEIR_BATCH_SIZE: '10',
  WEIR_DB_POOL_MAX: '4',
});

async function until(check: () => Promise<boolean>, ms: number, what: string) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The most intervals [start, end] open at one instant. */
function maxOverlap(intervals: { start: number; end: number }[]): number {
  const points = intervals.flatMap((i) => [{ t: i.start, d: 1 }, { t: i.end, d: -1 }]).sort((a, b) => a.t - b.t || a.d - b.d);
  let open = 0;
  let max = 0;
  for (const p of points) max = Math.max(max, (open += p.d));
  return max;
}

test('limit 2 per key on 3 workers: never more than 2 of a key at once, queued ones start in order, all complete', async () => {
  const inFlight = new Map<string, number>();
  const maxInFlight = new Map<string, number>();
  stub = await startStub((r) => {
    const key = (JSON.parse(r.body) as { customer: string }).customer;
    const n = (inFlight.get(key) ?? 0) + 1;
    inFlight.set(key, n);
    maxInFlight.set(key, Math.max(maxInFlight.get(key) ?? 0, n));
    setTimeout(() => inFlight.set(key, (inFlight.get(key) ?? 1) - 1), 60);
    return { delayMs: 60 };
  });
  const sql = db.current.sql;
  await registerWorkflow(sql, `
document:
  dsl: '1.0.0'
  namespace: flow
  name: work
  version: '1.0.0'
  metadata: { weir: { concurrency: { limit: 2, key: '\${ .customer }' } } }
do:
  - call:
      call: http
      with: { method: post, endpoint: '${stub.url}/work', body: { customer: '\${ .customer }', n: '\${ .n }' } }
  - done: { set: { n: '\${ $input.n }' } }
`);
  // The order slots are taken in, recorded by a trigger (test instrumentation): FIFO per key is a
  // property of promotions, exact whatever the replicas' timing.
  await sql.unsafe(`
    CREATE TABLE public.slot_log (seq bigserial PRIMARY KEY, instance_id uuid, scope text);
    CREATE FUNCTION public.log_slot() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN INSERT INTO public.slot_log (instance_id, scope) VALUES (NEW.instance_id, NEW.scope); RETURN NULL; END $$;
    CREATE TRIGGER log_slot AFTER INSERT ON weir.slots FOR EACH ROW EXECUTE FUNCTION public.log_slot();`);
  const perKey = 8;
  const keys = ['a', 'b', 'c'];
  for (let n = 0; n < perKey; n++) {
    for (const customer of keys) await startWorkflow(sql, { namespace: 'flow', workflowName: 'work', workflowVersion: '1.0.0', queue: 'weir_default', input: { customer, n } });
  }
  for (let i = 0; i < 3; i++) workers.push(spawnWorker(env()));
  const total = perKey * keys.length;
  const completed = async () => (await sql<{ n: number }>`SELECT count(*)::int AS n FROM weir.instances WHERE status = 'completed'`)[0].n;
  await until(async () => (await completed()) === total, 90_000, 'every instance to complete');

  const rows = await sql<{ customer: string; n: number; started: Date; ended: Date }>`
    SELECT input->>'customer' AS customer, (input->>'n')::int AS n, started_at AS started, ended_at AS ended
    FROM weir.instances ORDER BY id`;
  for (const key of keys) {
    const mine = rows.filter((r) => r.customer === key);
    expect(mine).toHaveLength(perKey);
    expect(maxOverlap(mine.map((r) => ({ start: new Date(r.started).getTime(), end: new Date(r.ended).getTime() })))).toBeLessThanOrEqual(2);
    expect(maxInFlight.get(key)).toBeLessThanOrEqual(2);
  }
  // FIFO per key: slots were taken in exactly the order the instances were started.
  const taken = await sql<{ customer: string; n: number }>`
    SELECT i.input->>'customer' AS customer, (i.input->>'n')::int AS n FROM public.slot_log l JOIN weir.instances i ON i.id = l.instance_id ORDER BY l.seq`;
  for (const key of keys) expect(taken.filter((t) => t.customer === key).map((t) => t.n)).toEqual([...Array(perKey).keys()]);
  expect((await sql<{ n: number }>`SELECT count(*)::int AS n FROM weir.slots`)[0].n).toBe(0);
});

test('a worker killed while its instances hold slots leaks none: the others finish every instance', async () => {
  let hang = true;
  stub = await startStub(() => (hang ? { delayMs: 30_000 } : {}));
  const sql = db.current.sql;
  await registerWorkflow(sql, `
document:
  dsl: '1.0.0'
  namespace: flow
  name: held
  version: '1.0.0'
  metadata: { weir: { concurrency: { limit: 2 } } }
do:
  - call: { call: http, with: { method: post, endpoint: '${stub.url}/slow' } }
`);
  for (let n = 0; n < 6; n++) await startWorkflow(sql, { namespace: 'flow', workflowName: 'held', workflowVersion: '1.0.0', queue: 'weir_default', input: { n } });
  const doomed = spawnWorker({ ...env(), WEIR_VISIBILITY_TIMEOUT: '2' });
  workers.push(doomed);
  // Both slot holders are inside their HTTP calls on the doomed worker.
  await until(async () => stub!.requests.length >= 2, 30_000, 'the two slot holders to call the stub');
  doomed.child.kill('SIGKILL');
  await doomed.exited;
  expect((await sql<{ n: number }>`SELECT count(*)::int AS n FROM weir.slots`)[0].n).toBe(2);
  hang = false;
  workers.push(spawnWorker({ ...env(), WEIR_VISIBILITY_TIMEOUT: '2' }));
  await until(
    async () => (await sql<{ n: number }>`SELECT count(*)::int AS n FROM weir.instances WHERE workflow_name = 'held' AND status = 'completed'`)[0].n === 6,
    60_000,
    'all six to complete after the kill',
  );
  expect((await sql<{ n: number }>`SELECT count(*)::int AS n FROM weir.slots`)[0].n).toBe(0);
});

test('a rate limit shared by 3 workers: the observed rate never exceeds what the bucket allows', async () => {
  const arrivals: number[] = [];
  stub = await startStub(() => {
    arrivals.push(Date.now());
    return {};
  });
  const sql = db.current.sql;
  await registerWorkflow(sql, `
document: { dsl: '1.0.0', namespace: flow, name: paced, version: '1.0.0' }
do:
  - call:
      call: http
      with: { method: post, endpoint: '${stub.url}/paced' }
      metadata: { weir: { rateLimit: { key: downstream, limit: 10, period: PT1S } } }
`);
  const total = 40;
  for (let n = 0; n < total; n++) await startWorkflow(sql, { namespace: 'flow', workflowName: 'paced', workflowVersion: '1.0.0', queue: 'weir_default', input: { n } });
  for (let i = 0; i < 3; i++) workers.push(spawnWorker(env()));
  await until(
    async () => (await sql<{ n: number }>`SELECT count(*)::int AS n FROM weir.instances WHERE workflow_name = 'paced' AND status = 'completed'`)[0].n === total,
    60_000,
    'every paced instance to complete',
  );
  expect(arrivals).toHaveLength(total);
  // Token bucket of 10 refilled at 10/s: a window of 1 s holds at most 10 (capacity) + 10 (refill)
  // tokens taken; arrivals at the stub jitter by the time between taking a token and the call
  // landing, hence the 20% slack.
  arrivals.sort((a, b) => a - b);
  for (let i = 0; i < arrivals.length; i++) {
    const inWindow = arrivals.filter((t) => t >= arrivals[i] && t < arrivals[i] + 1000).length;
    expect(inWindow).toBeLessThanOrEqual(24);
  }
  // 40 calls at 10/s after a burst of 10 take at least ~3 s.
  expect(arrivals[arrivals.length - 1] - arrivals[0]).toBeGreaterThanOrEqual(2_500);
  const dead = await sql<{ n: number }>`SELECT count(*)::int AS n FROM weir.instances WHERE workflow_name = 'paced' AND status <> 'completed'`;
  expect(dead[0].n).toBe(0);
});

test('queue affinity: a workflow runs only on replicas serving its queue (WEIR_QUEUES)', async () => {
  const sql = db.current.sql;
  const doc = (name: string, queue?: string) => `
document:
  dsl: '1.0.0'
  namespace: flow
  name: ${name}
  version: '1.0.0'
${queue ? `  metadata: { weir: { queue: ${queue} } }` : ''}
do:
  - out: { set: { n: '\${ .n }' } }
`;
  expect((await registerWorkflow(sql, doc('heavy', 'cpu_pool'))).queue).toBe('cpu_pool');
  expect((await registerWorkflow(sql, doc('light'))).queue).toBe('weir_default');
  for (let n = 0; n < 10; n++) {
    await startWorkflow(sql, { namespace: 'flow', workflowName: 'heavy', workflowVersion: '1.0.0', queue: 'cpu_pool', input: { n } });
    await startWorkflow(sql, { namespace: 'flow', workflowName: 'light', workflowVersion: '1.0.0', queue: 'weir_default', input: { n } });
  }
  const count = async (name: string) =>
    (await sql<{ n: number }>`SELECT count(*)::int AS n FROM weir.instances WHERE workflow_name = ${name} AND status = 'completed'`)[0].n;
  workers.push(spawnWorker({ ...env(), WEIR_QUEUES: 'weir_default' }));
  await until(async () => (await count('light')) === 10, 60_000, 'the default pool to run the light ones');
  // The default pool never touches the cpu_pool queue.
  expect(await count('heavy')).toBe(0);
  workers.push(spawnWorker({ ...env(), WEIR_QUEUES: 'cpu_pool', WEIR_CONCURRENCY: '2' }));
  await until(async () => (await count('heavy')) === 10, 60_000, 'the cpu pool to run the heavy ones');
});
