/**
 * Eager starts (src/runner/eager.ts): a start's wake-up carries its message id, the database clock
 * and the instance; an idle replica runs the first activation from it and claims the message in
 * the one statement that commits it. It writes the same instance and history as the usual read
 * → activate → checkpoint path, and writes nothing at all when it must not: the message taken by
 * another replica (leased, or locked at that moment), the instance cancelled or suspended since,
 * or an activation that needs I/O. Two replicas given the same wake-up commit it once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadConfig } from '../../../src/config.ts';
import { createLogger } from '../../../src/log.ts';
import { defaultRegistry } from '../../../src/metrics.ts';
import { DefinitionCache, registerWorkflow } from '../../../src/runner/index.ts';
import { eagerStart } from '../../../src/runner/eager.ts';
import { cancelInstance, resumeInstance, suspendInstance } from '../../../src/runner/control.ts';
import { listenPostgres, type StartWake, type Wake } from '../../../src/store/notify.ts';
import { getHistory, getInstance, startInstance } from '../../../src/store/queries/instances.ts';
import { pgmq, queueTable } from '../../../src/store/queries/pgmq.ts';
import { openPostgres } from '../../../src/store/postgres-js.ts';
import type { Sql } from '../../../src/store/sql.ts';
import { startProcess } from '../../../src/runtime/start.ts';
import { useTestDatabase } from '../../support/db.ts';
import { testRunner } from '../../support/runner.ts';
import { startStub, type Stub } from '../../support/stub-server.ts';
import { until } from '../../support/until.ts';

const db = useTestDatabase();
let stub: Stub;
/** `/hold` answers when `release` is called (a call kept in flight). */
let release: () => void = () => {};
let held: Promise<void> = Promise.resolve();
beforeAll(async () => {
  stub = await startStub((r) => (r.path === '/hold' ? held.then(() => ({ body: { ok: true } })) : { body: { ok: true } }));
  const sql = db.current.sql;
  await registerWorkflow(sql, `
document: { dsl: '1.0.0', namespace: eager, name: pure, version: '1.0.0' }
do:
  - a: { set: { x: '\${ .n + 1 }' } }
  - b: { switch: [ { big: { when: '\${ .x > 10 }', then: c } }, { small: { then: c } } ] }
  - c: { set: { result: '\${ .x * 2 }' } }
`);
  await registerWorkflow(sql, `
document: { dsl: '1.0.0', namespace: eager, name: waits, version: '1.0.0' }
do:
  - a: { set: { x: 1 } }
  - pause: { wait: PT1H }
  - b: { set: { x: 2 } }
`);
  await registerWorkflow(sql, `
document: { dsl: '1.0.0', namespace: eager, name: calls, version: '1.0.0' }
do:
  - a: { set: { x: 1 } }
  - get: { call: http, with: { method: get, endpoint: '${stub.url}/x' } }
`);
  await registerWorkflow(sql, `
document: { dsl: '1.0.0', namespace: eager, name: holds, version: '1.0.0' }
do:
  - get: { call: http, with: { method: get, endpoint: '${stub.url}/hold' } }
`);
  await registerWorkflow(sql, `
document: { dsl: '1.0.0', namespace: eager, name: emits, version: '1.0.0' }
do:
  - tell: { emit: { event: { with: { source: https://weir.test, type: weir.test.hello, data: { hi: 1 } } } } }
`);
});
afterAll(() => stub.close());

/**
 * Listens on the wake channel. `after(fn)` runs `fn` and returns the first wake-up its statements
 * caused: a marker NOTIFY sent first separates it from wake-ups of earlier tests (resumes, drains),
 * which Postgres delivers in commit order.
 */
async function listener(url: string) {
  const got: Wake[] = [];
  let waiting: (() => void) | undefined;
  const stop = await listenPostgres(url, 'eager-test', (w) => {
    got.push(w);
    waiting?.();
  });
  const next = async (): Promise<Wake> => {
    while (!got.length) await new Promise<void>((resolve) => (waiting = resolve));
    return got.shift() as Wake;
  };
  let markers = 0;
  return {
    async after<T>(fn: () => Promise<T>): Promise<{ result: T; wake: Wake }> {
      const marker = `marker_${++markers}`;
      await db.current.sql`SELECT pg_notify('weir_wake', ${marker})`;
      while ((await next()).queue !== marker);
      const result = await fn();
      return { result, wake: await next() };
    },
    stop,
  };
}

let wakes: Awaited<ReturnType<typeof listener>>;
beforeAll(async () => {
  wakes = await listener(db.current.url);
});
afterAll(() => wakes.stop());

/** Starts an instance and returns its id and the start's wake-up. */
async function start(name: string, input: unknown = { n: 1 }): Promise<{ id: string; wake: Wake }> {
  const { result, wake } = await wakes.after(() =>
    startInstance(db.current.sql, { namespace: 'eager', workflowName: name, workflowVersion: '1.0.0', queue: 'weir_default', input }),
  );
  return { id: result.instance.id, wake };
}

async function startWake(name: string, input?: unknown): Promise<{ id: string; wake: StartWake }> {
  const { id, wake } = await start(name, input);
  if (!wake.start) throw new Error('expected a start wake-up');
  return { id, wake: wake.start };
}

const deps = (sql: Sql) => ({ sql, definitions: new DefinitionCache(), eventWindowSeconds: 60, maxStateBytes: 4 * 1024 * 1024, maxHistory: 10_000 });
const eager = async (sql: Sql, wake: StartWake) => (await eagerStart(deps(sql), wake)).outcome;

async function message(id: string): Promise<{ msg_id: number; read_ct: number } | undefined> {
  const [m] = await db.current.sql<{ msg_id: number; read_ct: number }>`
    SELECT msg_id, read_ct FROM pgmq.q_weir_default WHERE message->>'instance' = ${id}`;
  return m;
}

async function untouched(id: string): Promise<void> {
  expect(await getInstance(db.current.sql, id)).toMatchObject({ status: 'pending', version: 0 });
  expect(await getHistory(db.current.sql, id)).toEqual([]);
}

describe('the start wake-up', () => {
  test('carries the message id, the database clock at the start and the instance as inserted', async () => {
    await db.current.sql`SELECT weir.set_fake_now('2026-03-01T12:00:00.123Z')`;
    try {
      const { id, wake } = await start('pure', { n: 5, s: 'ünïcode' });
      expect(wake.queue).toBe('weir_default');
      expect(wake.start).toEqual({
        queue: 'weir_default',
        msgId: (await message(id))?.msg_id,
        now: Date.parse('2026-03-01T12:00:00.123Z'),
        instance: { id, namespace: 'eager', workflowName: 'pure', workflowVersion: '1.0.0', input: { n: 5, s: 'ünïcode' } },
      });
      const nothing = await start('pure', null);
      expect(nothing.wake.start?.instance.input).toBeNull();
    } finally {
      await db.current.sql`SELECT weir.set_fake_now(NULL)`;
    }
  });

  test('an input too large for a NOTIFY wakes with the queue name alone; the usual read still runs it', async () => {
    const { id, wake } = await start('pure', { n: 1, pad: 'x'.repeat(6500) });
    expect(wake).toEqual({ queue: 'weir_default' });
    const r = await testRunner(db.current.sql).drain();
    expect(r.done).toBeGreaterThanOrEqual(1);
    expect((await getInstance(db.current.sql, id))?.status).toBe('completed');
  });

});

describe('eagerStart', () => {
  test('commits what the usual path commits: same status, output and history; the message is consumed', async () => {
    const sql = db.current.sql;
    const first = await startWake('pure', { n: 20 });
    const usual = await start('pure', { n: 20 });
    expect(await eager(sql, first.wake)).toBe('done');
    expect(await message(first.id)).toBeUndefined();
    // Only the other instance's message is left for the read.
    const r = await testRunner(sql).drain();
    expect(r).toMatchObject({ messages: 1, done: 1, errors: 0 });
    const a = await getInstance(sql, first.id);
    const b = await getInstance(sql, usual.id);
    expect(a).toMatchObject({ status: 'completed', output: { result: 42 }, version: 1 });
    expect(a?.endedAt).toBeInstanceOf(Date);
    expect({ status: a?.status, output: a?.output, version: a?.version }).toEqual({ status: b?.status, output: b?.output, version: b?.version });
    const shape = async (id: string) => (await getHistory(sql, id)).map((h) => [h.seq, h.kind, h.taskRef]);
    expect(await shape(first.id)).toEqual(await shape(usual.id));
    expect((await shape(first.id)).length).toBeGreaterThan(5);
  });

  test('a first activation that waits commits its timer; the timer fires later as usual', async () => {
    const sql = db.current.sql;
    await sql`SELECT weir.set_fake_now('2026-04-01T00:00:00Z')`;
    try {
      const { id, wake } = await startWake('waits');
      expect(await eager(sql, wake)).toBe('done');
      expect(await message(id)).toBeUndefined();
      expect((await getInstance(sql, id))?.status).toBe('waiting');
      const [t] = await sql<{ due_at: Date }>`SELECT due_at FROM weir.timers WHERE instance_id = ${id}::uuid`;
      expect(t.due_at.toISOString()).toBe('2026-04-01T01:00:00.000Z');
      await sql`SELECT weir.advance_clock('1 hour')`;
      await testRunner(sql).drain();
      expect(await getInstance(sql, id)).toMatchObject({ status: 'completed', output: { x: 2 } });
    } finally {
      await sql`SELECT weir.set_fake_now(NULL)`;
    }
  });

  test('a message another replica has read (leased) is not claimed: nothing is written', async () => {
    const sql = db.current.sql;
    await testRunner(sql).drain(); // nothing else visible
    const { id, wake } = await startWake('pure');
    const [read] = await pgmq.read(sql, 'weir_default', 30, 1);
    expect(read.msgId).toBe(wake.msgId);
    expect(await eager(sql, wake)).toBe('lost');
    await untouched(id);
    expect(await message(id)).toEqual({ msg_id: wake.msgId, read_ct: 1 });
    await pgmq.setVt(sql, 'weir_default', wake.msgId, 0);
  });

  test('a message being claimed at that moment is skipped, not waited for (SKIP LOCKED); once free it is claimed', async () => {
    const sql = db.current.sql;
    const { id, wake } = await startWake('pure');
    const other = openPostgres({ url: db.current.url, max: 1, prepare: false });
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let locked!: () => void;
    const isLocked = new Promise<void>((r) => (locked = r));
    const tx = other.sql.begin(async (t) => {
      await t.unsafe(`SELECT msg_id FROM ${queueTable('weir_default')} WHERE msg_id = $1 FOR UPDATE`, [wake.msgId]);
      locked();
      await held;
    });
    try {
      await isLocked;
      expect(await eager(sql, wake)).toBe('lost');
      await untouched(id);
    } finally {
      release();
      await tx;
      await other.close();
    }
    expect(await eager(sql, wake)).toBe('done');
    expect((await getInstance(sql, id))?.status).toBe('completed');
  });

  test('an instance cancelled before its first activation stays cancelled', async () => {
    const sql = db.current.sql;
    const { id, wake } = await startWake('pure');
    await cancelInstance(sql, id);
    expect(await eager(sql, wake)).toBe('lost');
    expect(await getInstance(sql, id)).toMatchObject({ status: 'cancelled', output: null });
    expect(await message(id)).toBeDefined();
    await testRunner(sql).drain(); // the usual read drops it as stale
    expect(await message(id)).toBeUndefined();
  });

  test('an instance suspended before its first activation stays suspended until resumed', async () => {
    const sql = db.current.sql;
    const { id, wake } = await startWake('pure');
    await suspendInstance(sql, id);
    expect(await eager(sql, wake)).toBe('lost');
    expect(await getInstance(sql, id)).toMatchObject({ status: 'suspended', version: 0 });
    await testRunner(sql).drain(); // parks the message
    expect((await getInstance(sql, id))?.status).toBe('suspended');
    await resumeInstance(sql, id);
    await testRunner(sql).drain();
    expect((await getInstance(sql, id))?.status).toBe('completed');
  });

  test('an activation with an HTTP call or an emitted event is declined: no call made, nothing written; the usual path runs it', async () => {
    const sql = db.current.sql;
    const calls = await startWake('calls');
    const emits = await startWake('emits');
    const before = stub.requests.length;
    expect(await eager(sql, calls.wake)).toBe('declined');
    expect(await eager(sql, emits.wake)).toBe('declined');
    expect(stub.requests.length).toBe(before);
    for (const s of [calls, emits]) {
      await untouched(s.id);
      expect(await message(s.id)).toEqual({ msg_id: s.wake.msgId, read_ct: 0 });
    }
    await testRunner(sql).drain();
    expect((await getInstance(sql, calls.id))?.status).toBe('completed');
    expect((await getInstance(sql, emits.id))?.status).toBe('completed');
    expect(stub.requests.length).toBe(before + 1);
  });

  test('an unknown workflow version is declined: the usual path faults it', async () => {
    const sql = db.current.sql;
    const { result: { instance }, wake: w } = await wakes.after(() =>
      startInstance(sql, { namespace: 'eager', workflowName: 'pure', workflowVersion: '9.9.9', queue: 'weir_default', input: {} }),
    );
    const wake = w.start as StartWake;
    expect(wake.instance.id).toBe(instance.id);
    expect(await eager(sql, wake)).toBe('declined');
    await untouched(instance.id);
    await testRunner(sql).drain();
    expect((await getInstance(sql, instance.id))?.status).toBe('faulted');
  });

  test('two replicas given the same wake-up commit it once', async () => {
    const sql = db.current.sql;
    const second = openPostgres({ url: db.current.url, max: 1, prepare: true });
    try {
      for (let k = 0; k < 5; k++) {
        const { id, wake } = await startWake('pure', { n: k });
        const outcomes = await Promise.all([eager(sql, wake), eager(second.sql, wake)]);
        expect(outcomes.sort()).toEqual(['done', 'lost']);
        const history = await getHistory(sql, id);
        expect(history.filter((h) => h.kind === 'workflowStarted')).toHaveLength(1);
        expect(await getInstance(sql, id)).toMatchObject({ status: 'completed', version: 1 });
        // A wake-up delivered again finds its message gone.
        expect(await eager(sql, wake)).toBe('lost');
      }
    } finally {
      await second.close();
    }
  });
});

describe('a replica', () => {
  /** A runner with its background loop (no LISTEN: the test offers wake-ups itself), on an empty queue. */
  async function withLoop(env: Record<string, string>, fn: (runner: ReturnType<typeof testRunner>) => Promise<void>): Promise<void> {
    await testRunner(db.current.sql).drain();
    const runner = testRunner(db.current.sql, env);
    const stop = new AbortController();
    runner.start(stop.signal);
    try {
      await fn(runner);
    } finally {
      stop.abort();
      await runner.stop(5_000);
    }
  }

  const eagerCount = async (outcome: string) => {
    const family = defaultRegistry.families().find((f) => f.name === 'weir_eager_starts_total');
    const samples = family ? await family.collect() : [];
    return samples.find((s) => s.labels?.outcome === outcome)?.value ?? 0;
  };

  test('an idle runner takes up to 4 eager starts at once (a client may start the next before the last commit is read); past that, its loop', async () => {
    const sql = db.current.sql;
    await withLoop({ WEIR_POLL_INTERVAL: '60000', WEIR_POLL_INTERVAL_MAX: '60000' }, async (runner) => {
      expect(await until(() => runner.asleep, 10_000, 20)).toBe(true);
      const starts = [];
      for (let k = 0; k < 5; k++) starts.push(await startWake('pure', { n: k }));
      const outcomes = async () => (await Promise.all(['done', 'lost', 'declined', 'error'].map(eagerCount))).reduce((a, b) => a + b, 0);
      const before = await outcomes();
      expect(starts.map((s) => runner.offer(s.wake))).toEqual([true, true, true, true, false]);
      runner.wake(); // what the listener does with a wake-up not taken
      for (const s of starts) expect(await until(async () => (await getInstance(sql, s.id))?.status === 'completed', 10_000)).toBe(true);
      expect(await outcomes()).toBe(before + 4);
      expect(await sql`SELECT 1 FROM pgmq.q_weir_default`).toHaveLength(0);
    });
  });

  test("a committed eager start that armed a timer brings the loop's next sweep within one poll interval (its clock work fires the timer); one that armed none leaves the sleep alone", async () => {
    const sql = db.current.sql;
    // Poll interval 30 s, idle back-off to 60 s: the loop's first idle sleep is 60 s.
    await withLoop({ WEIR_POLL_INTERVAL: '30000', WEIR_POLL_INTERVAL_MAX: '60000' }, async (runner) => {
      expect(await until(() => (runner.nextSweepInMs ?? 0) > 45_000, 10_000, 20)).toBe(true);
      const pure = await startWake('pure');
      expect(runner.offer(pure.wake)).toBe(true);
      expect(await until(async () => (await getInstance(sql, pure.id))?.status === 'completed', 10_000, 20)).toBe(true);
      expect(runner.nextSweepInMs).toBeGreaterThan(45_000);
      const waits = await startWake('waits');
      expect(runner.offer(waits.wake)).toBe(true);
      expect(await until(async () => (await getInstance(sql, waits.id))?.status === 'waiting', 10_000, 20)).toBe(true);
      expect(await until(() => (runner.nextSweepInMs ?? Infinity) <= 30_000, 10_000, 20)).toBe(true);
    });
  });

  async function worker(env: Record<string, string>) {
    // A 60 s idle poll: only the wake-up (or an eager start) can finish anything within the test.
    const all = { DATABASE_URL: db.current.url, WEIR_HTTP_ALLOW_PRIVATE: 'true', WEIR_POLL_INTERVAL: '60000', WEIR_POLL_INTERVAL_MAX: '60000', WEIR_LOG_LEVEL: 'silent', ...env };
    const config = loadConfig(all);
    const p = await startProcess({ config, env: all, role: 'worker', log: createLogger('silent'), listen: () => Promise.reject(new Error('no HTTP')) });
    expect(await until(() => p.runner?.asleep === true, 10_000, 20)).toBe(true);
    return p;
  }

  test('asleep, it runs a start from the wake-up without waking its loop; busy or with WEIR_EAGER_START=false, it reads', async () => {
    const sql = db.current.sql;
    await testRunner(sql).drain();
    const p = await worker({});
    try {
      const done = await eagerCount('done');
      const { instance } = await startInstance(sql, { namespace: 'eager', workflowName: 'pure', workflowVersion: '1.0.0', queue: 'weir_default', input: { n: 2 } });
      expect(await until(async () => (await getInstance(sql, instance.id))?.status === 'completed', 10_000)).toBe(true);
      expect(await eagerCount('done')).toBe(done + 1);
      expect(p.runner?.stats).toMatchObject({ messages: 1, done: 1 });
      // Its loop was not woken for it: still asleep, and the runner's own count is that one start.
      expect(p.runner?.asleep).toBe(true);
      const wake = (id: string, queue = 'weir_default'): StartWake => ({ queue, msgId: 1, now: 0, instance: { id, namespace: 'eager', workflowName: 'pure', workflowVersion: '1.0.0', input: {} } });
      // A queue it does not serve: not its start.
      expect(p.runner?.offer(wake(instance.id, 'other_queue'))).toBe(false);
      // A declined start (an HTTP call) goes the usual way, woken at once; while its call is in
      // flight the replica is busy and offers are refused (the wake-up goes to the loop).
      const declined = await eagerCount('declined');
      held = new Promise((r) => (release = r));
      const { instance: holds } = await startInstance(sql, { namespace: 'eager', workflowName: 'holds', workflowVersion: '1.0.0', queue: 'weir_default', input: {} });
      expect(await until(() => stub.requests.some((r) => r.path === '/hold'), 10_000)).toBe(true);
      expect(await eagerCount('declined')).toBe(declined + 1);
      expect(p.runner?.offer(wake(instance.id))).toBe(false);
      release();
      expect(await until(async () => (await getInstance(sql, holds.id))?.status === 'completed', 10_000)).toBe(true);
    } finally {
      await p.stop();
    }
    const off = await worker({ WEIR_EAGER_START: 'false' });
    try {
      const counts = [await eagerCount('done'), await eagerCount('declined'), await eagerCount('lost')];
      const { instance } = await startInstance(sql, { namespace: 'eager', workflowName: 'pure', workflowVersion: '1.0.0', queue: 'weir_default', input: { n: 3 } });
      expect(await until(async () => (await getInstance(sql, instance.id))?.status === 'completed', 10_000)).toBe(true);
      expect([await eagerCount('done'), await eagerCount('declined'), await eagerCount('lost')]).toEqual(counts);
    } finally {
      await off.stop();
    }
  });
  test('on the embedded database (PGlite, LISTEN in-process) an asleep worker runs a start eagerly too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weir-eager-pglite-'));
    const env = { WEIR_DATA_DIR: join(dir, 'data'), WEIR_LOG_LEVEL: 'silent', WEIR_POLL_INTERVAL: '60000', WEIR_POLL_INTERVAL_MAX: '60000' };
    const p = await startProcess({ config: loadConfig(env), env, role: 'worker', log: createLogger('silent'), listen: () => Promise.reject(new Error('no HTTP')) });
    try {
      const sql = p.store.sql;
      expect(sql.driver).toBe('pglite');
      await registerWorkflow(sql, `
document: { dsl: '1.0.0', namespace: eager, name: pure, version: '1.0.0' }
do:
  - a: { set: { x: '\${ .n + 1 }' } }
`);
      expect(await until(() => p.runner?.asleep === true, 10_000, 20)).toBe(true);
      const done = await eagerCount('done');
      const { instance } = await startInstance(sql, { namespace: 'eager', workflowName: 'pure', workflowVersion: '1.0.0', queue: 'weir_default', input: { n: 41 } });
      expect(await until(async () => (await getInstance(sql, instance.id))?.status === 'completed', 10_000, 20)).toBe(true);
      expect(await getInstance(sql, instance.id)).toMatchObject({ output: { x: 42 } });
      expect(await eagerCount('done')).toBe(done + 1);
    } finally {
      await p.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
