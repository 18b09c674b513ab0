/**
 * The checkpoint writer (src/runner/checkpoint.ts): a group of checkpoints that arm, re-arm and
 * cancel timers is written in ONE statement (one round trip however large the group: what keeps a
 * group short on a slow link), and writes exactly what the statement-per-checkpoint path writes.
 */
import { beforeAll, expect, test } from 'vitest';
import type { InstanceState } from '../../../src/engine/types.ts';
import { CheckpointWriter, writeCheckpoint, type Checkpoint } from '../../../src/runner/checkpoint.ts';
import { startInstance, type RunnerMessage } from '../../../src/store/queries/instances.ts';
import { pgmq } from '../../../src/store/queries/pgmq.ts';
import type { Sql } from '../../../src/store/sql.ts';
import { counting } from '../../support/counting.ts';
import { useTestDatabase } from '../../support/db.ts';

const db = useTestDatabase(4);
beforeAll(async () => {
  await db.current.sql`SELECT pgmq.create('weir_default')`;
});

const T0 = Date.UTC(2030, 0, 1);
const timer = (id: string, dueAt: number, instance: string) => ({
  id,
  dueAt,
  queue: 'weir_default',
  message: { instance, kind: 'timer', target: id } as RunnerMessage,
});

/** Three instances in the shapes the one statement must handle: arm, re-arm + cancel, end. */
async function scenario(sql: Sql): Promise<{ ids: string[]; cps: Checkpoint[] }> {
  const ids: string[] = [];
  for (let n = 0; n < 3; n++) {
    const { instance } = await startInstance(sql, { namespace: 'cp', workflowName: 'w', workflowVersion: '1.0.0', queue: 'weir_default', input: { n } });
    ids.push(instance.id);
  }
  // Timers already armed before the checkpoints: b has two (one re-armed, one cancelled), c one.
  await sql`INSERT INTO weir.timers (id, instance_id, queue, due_at, message) VALUES
    ('wait:1', ${ids[1]}::uuid, 'weir_default', to_timestamp(${T0 / 1000}), '{}'::jsonb),
    ('timeout:1', ${ids[1]}::uuid, 'weir_default', to_timestamp(${T0 / 1000}), '{}'::jsonb),
    ('wait:1', ${ids[2]}::uuid, 'weir_default', to_timestamp(${T0 / 1000}), '{}'::jsonb)`;
  const messages = await pgmq.read<RunnerMessage>(sql, 'weir_default', 30, 3);
  const msgOf = (id: string) => messages.find((m) => m.message.instance === id)!.msgId;
  const base = (i: number): Checkpoint => ({
    instanceId: ids[i],
    expectedVersion: 0,
    state: { n: i } as unknown as InstanceState,
    status: 'waiting',
    pending: null,
    history: [{ at: T0, kind: 'taskStarted', ref: '/do/0/pause' } as never],
    timers: [],
    cancelTimers: [],
    subscriptions: [],
    unsubscribe: [],
    emits: [],
    children: [],
    cancelChildren: [],
    ended: false,
    consume: { queue: 'weir_default', msgId: msgOf(ids[i]) },
  });
  const version = await sql<{ id: string; version: number }>`SELECT id, version FROM weir.instances WHERE id IN (${ids[0]}::uuid, ${ids[1]}::uuid, ${ids[2]}::uuid)`;
  const v = new Map(version.map((r) => [r.id, Number(r.version)]));
  const cps = [
    { ...base(0), timers: [timer('wait:1', T0 + 30_000, ids[0])] },
    { ...base(1), timers: [timer('wait:1', T0 + 60_000, ids[1])], cancelTimers: ['wait:1', 'timeout:1'] },
    { ...base(2), status: 'completed' as const, output: { done: true }, ended: true, timers: [timer('late:1', T0, ids[2])] },
  ].map((cp) => ({ ...cp, expectedVersion: v.get(cp.instanceId)! }));
  return { ids, cps };
}

async function outcome(sql: Sql, ids: string[]) {
  const timers = await sql<{ instance_id: string; id: string; due: number; message: unknown }>`
    SELECT instance_id, id, extract(epoch FROM due_at)::float8 * 1000 AS due, message FROM weir.timers
    WHERE instance_id IN (${ids[0]}::uuid, ${ids[1]}::uuid, ${ids[2]}::uuid) ORDER BY instance_id, id`;
  const rows = await sql<{ id: string; status: string; state: unknown; output: unknown }>`
    SELECT id, status, state, output FROM weir.instances WHERE id IN (${ids[0]}::uuid, ${ids[1]}::uuid, ${ids[2]}::uuid) ORDER BY id`;
  const history = await sql<{ n: number }>`SELECT count(*)::int AS n FROM weir.history WHERE instance_id IN (${ids[0]}::uuid, ${ids[1]}::uuid, ${ids[2]}::uuid)`;
  const left = await sql<{ n: number }>`SELECT count(*)::int AS n FROM pgmq.q_weir_default`;
  const name = new Map(ids.map((id, i) => [id, 'abc'[i]]));
  return {
    timers: timers.map((t) => ({ instance: name.get(t.instance_id), id: t.id, due: Math.round(Number(t.due)) - T0, message: t.message })),
    rows: rows.map((r) => ({ instance: name.get(r.id), status: r.status, state: r.state, output: r.output })).sort((a, b) => a.instance!.localeCompare(b.instance!)),
    history: history[0].n,
    messagesLeft: left[0].n,
  };
}

test('checkpoints that arm, re-arm and cancel timers commit together in one statement, as the per-checkpoint path writes them', async () => {
  const sql = db.current.sql;
  await sql`DELETE FROM pgmq.q_weir_default`;
  const one = await scenario(sql);
  const counter = counting(sql);
  const writer = new CheckpointWriter(counter.sql);
  const results = await Promise.all(one.cps.map((cp) => writer.submit(cp)));
  expect(results.map((r) => r.ok)).toEqual([true, true, true]);
  expect({ statements: counter.statements, transactions: counter.transactions }).toEqual({ statements: 1, transactions: 0 });
  const grouped = await outcome(sql, one.ids);
  expect(grouped.timers).toEqual([
    { instance: 'a', id: 'wait:1', due: 30_000, message: { instance: one.ids[0], kind: 'timer', target: 'wait:1' } },
    // re-armed (due and message replaced), its sibling cancelled
    { instance: 'b', id: 'wait:1', due: 60_000, message: { instance: one.ids[1], kind: 'timer', target: 'wait:1' } },
  ]);
  expect(grouped.messagesLeft).toBe(0);

  // The same checkpoints written one statement at a time write the same rows.
  await sql`DELETE FROM pgmq.q_weir_default`;
  const two = await scenario(sql);
  await sql.begin(async (tx) => {
    for (const cp of two.cps) expect(await writeCheckpoint(tx, cp)).toBe(true);
  });
  const single = await outcome(sql, two.ids);
  const strip = (o: typeof grouped, ids: string[]) => ({ ...o, timers: o.timers.map((t) => ({ ...t, message: JSON.parse(JSON.stringify(t.message).replaceAll(ids[0], 'A').replaceAll(ids[1], 'B')) })) });
  expect(strip(grouped, one.ids)).toEqual(strip(single, two.ids));
  expect(grouped.rows.map((r) => r.status)).toEqual(['waiting', 'waiting', 'completed']);
});

test('a checkpoint whose version moved on writes none of its timers', async () => {
  const sql = db.current.sql;
  await sql`DELETE FROM pgmq.q_weir_default`;
  const { ids, cps } = await scenario(sql);
  await sql`UPDATE weir.instances SET version = version + 1 WHERE id = ${ids[1]}::uuid`;
  const results = await Promise.all(cps.map((cp) => new CheckpointWriter(sql).submit(cp)));
  expect(results.map((r) => r.ok)).toEqual([true, false, true]);
  const o = await outcome(sql, ids);
  // b's timers are as they were: neither re-armed nor cancelled.
  expect(o.timers.filter((t) => t.instance === 'b').map((t) => [t.id, t.due])).toEqual([
    ['timeout:1', 0],
    ['wait:1', 0],
  ]);
  expect(o.messagesLeft).toBe(1); // b's message stays to be read again
});

test("a group's consumed messages are deleted from their own queues, one queue or several", async () => {
  // A group read from one queue deletes through a statement written against that queue's table;
  // a group that mixes queues goes through pgmq.delete per queue. Both delete exactly the
  // messages of the checkpoints that applied.
  const sql = db.current.sql;
  await sql`SELECT pgmq.create('weir_cp_other')`;
  await sql`DELETE FROM pgmq.q_weir_default`;
  const start = async (queue: string, n: number) => {
    const { instance } = await startInstance(sql, { namespace: 'cp', workflowName: 'q', workflowVersion: '1.0.0', queue, input: { n } });
    return instance;
  };
  const read = new Map<string, number>(); // instance → its start message, read once
  const cpOf = async (instance: { id: string }, queue: string): Promise<Checkpoint> => {
    for (const m of await pgmq.read<RunnerMessage>(sql, queue, 30, 10)) read.set(m.message.instance, m.msgId);
    const msgId = read.get(instance.id)!;
    const [row] = await sql<{ version: number }>`SELECT version FROM weir.instances WHERE id = ${instance.id}::uuid`;
    return {
      instanceId: instance.id, expectedVersion: Number(row.version), state: {} as unknown as InstanceState, status: 'waiting', pending: null,
      history: [{ at: T0, kind: 'taskStarted', ref: '/do/0/pause' } as never], timers: [], cancelTimers: [], subscriptions: [], unsubscribe: [],
      emits: [], children: [], cancelChildren: [], ended: false, consume: { queue, msgId },
    };
  };
  const left = async () => {
    const [r] = await sql<{ d: number; o: number }>`
      SELECT (SELECT count(*)::int FROM pgmq.q_weir_default) AS d, (SELECT count(*)::int FROM pgmq.q_weir_cp_other) AS o`;
    return r;
  };
  const writeGroup = (cps: Checkpoint[]) => {
    const writer = new CheckpointWriter(sql);
    return Promise.all(cps.map((cp) => writer.submit(cp)));
  };

  // One queue: both messages go, the stale checkpoint's stays.
  const a = await start('weir_default', 1);
  const b = await start('weir_default', 2);
  const one = [await cpOf(a, 'weir_default'), await cpOf(b, 'weir_default')];
  await sql`UPDATE weir.instances SET version = version + 1 WHERE id = ${b.id}::uuid`;
  expect((await writeGroup(one)).map((r) => r.ok)).toEqual([true, false]);
  expect(await left()).toEqual({ d: 1, o: 0 });
  await sql`DELETE FROM pgmq.q_weir_default`;

  // Two queues in one group: each message leaves its own queue.
  const c = await start('weir_default', 3);
  const d = await start('weir_cp_other', 4);
  const two = [await cpOf(c, 'weir_default'), await cpOf(d, 'weir_cp_other')];
  expect(await left()).toEqual({ d: 1, o: 1 });
  expect((await writeGroup(two)).map((r) => r.ok)).toEqual([true, true]);
  expect(await left()).toEqual({ d: 0, o: 0 });
});
