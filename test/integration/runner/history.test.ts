/**
 * History rows (src/store/schema.ts `history`): a checkpoint writes ONE row per instance — its last
 * entry in the columns, the entries before it in `earlier` — on both write paths (the group's one
 * statement and the per-checkpoint one), and `getHistory` gives back every entry with its own seq,
 * paged at any seq, also inside a row. Writers of a single entry (control, retry, callbacks)
 * continue after the row's last seq. Past the history cap a checkpoint keeps only its
 * workflow-level entries.
 */
import { beforeAll, expect, test } from 'vitest';
import type { HistoryEntry, InstanceState } from '../../../src/engine/types.ts';
import { CheckpointWriter, writeCheckpoint, type Checkpoint } from '../../../src/runner/checkpoint.ts';
import { suspendInstance } from '../../../src/runner/control.ts';
import { getHistory, startInstance } from '../../../src/store/queries/instances.ts';
import type { Sql } from '../../../src/store/sql.ts';
import { useTestDatabase } from '../../support/db.ts';

const db = useTestDatabase();
beforeAll(async () => {
  await db.current.sql`SELECT pgmq.create('weir_default')`;
});

const T0 = Date.UTC(2030, 0, 1);

/** A one-task workflow's run, as the engine reports it; the task's output keeps a null field. */
const oneTask: HistoryEntry[] = [
  { at: T0, kind: 'workflowStarted' },
  { at: T0 + 1, kind: 'taskStarted', task: 'a', ref: '/do/0/a' },
  { at: T0 + 2, kind: 'taskCompleted', task: 'a', ref: '/do/0/a', data: { output: { x: 1, gone: null } } },
  { at: T0 + 3, kind: 'workflowCompleted' },
] as HistoryEntry[];

async function instance(sql: Sql): Promise<string> {
  const { instance } = await startInstance(sql, { namespace: 'h', workflowName: 'w', workflowVersion: '1.0.0', queue: 'weir_default', input: {} });
  return instance.id;
}

async function version(sql: Sql, id: string): Promise<number> {
  const [r] = await sql<{ version: number }>`SELECT version FROM weir.instances WHERE id = ${id}::uuid`;
  return Number(r.version);
}

const checkpoint = (id: string, expectedVersion: number, history: HistoryEntry[], over: Partial<Checkpoint> = {}): Checkpoint => ({
  instanceId: id,
  expectedVersion,
  state: { v: 1 } as unknown as InstanceState,
  status: 'waiting',
  pending: null,
  history,
  timers: [],
  cancelTimers: [],
  subscriptions: [],
  unsubscribe: [],
  emits: [],
  children: [],
  cancelChildren: [],
  ended: false,
  ...over,
});

const rowsOf = async (sql: Sql, id: string) =>
  (await sql<{ n: number }>`SELECT count(*)::int AS n FROM weir.history WHERE instance_id = ${id}::uuid`)[0].n;

const expected = [
  { seq: 1, at: new Date(T0), kind: 'workflowStarted', taskRef: null, data: null },
  { seq: 2, at: new Date(T0 + 1), kind: 'taskStarted', taskRef: '/do/0/a', data: { task: 'a' } },
  { seq: 3, at: new Date(T0 + 2), kind: 'taskCompleted', taskRef: '/do/0/a', data: { task: 'a', data: { output: { x: 1, gone: null } } } },
  { seq: 4, at: new Date(T0 + 3), kind: 'workflowCompleted', taskRef: null, data: null },
];

test('a checkpoint writes one history row per instance and getHistory gives back each entry, on both write paths', async () => {
  const sql = db.current.sql;
  const grouped = await instance(sql);
  const single = await instance(sql);
  const done = { status: 'completed' as const, output: { x: 1 }, ended: true };
  expect((await new CheckpointWriter(sql).submit(checkpoint(grouped, await version(sql, grouped), oneTask, done))).ok).toBe(true);
  const v = await version(sql, single);
  await sql.begin(async (tx) => expect(await writeCheckpoint(tx, checkpoint(single, v, oneTask, done))).toBe(true));
  for (const id of [grouped, single]) {
    expect(await rowsOf(sql, id)).toBe(1);
    expect(await getHistory(sql, id)).toEqual(expected);
  }
  // The row is the last entry, as any reader of the table sees it.
  const [row] = await sql<{ seq: number; kind: string }>`SELECT seq, kind FROM weir.history WHERE instance_id = ${grouped}::uuid`;
  expect(row).toEqual({ seq: 4, kind: 'workflowCompleted' });
});

test('pages start and end inside a row: after any seq, at most the limit', async () => {
  const sql = db.current.sql;
  const id = await instance(sql);
  expect((await new CheckpointWriter(sql).submit(checkpoint(id, await version(sql, id), oneTask.slice(0, 3)))).ok).toBe(true);
  expect((await new CheckpointWriter(sql).submit(checkpoint(id, await version(sql, id), oneTask.slice(3)))).ok).toBe(true);
  expect(await rowsOf(sql, id)).toBe(2);
  const seqs = async (afterSeq: number | undefined, limit?: number) =>
    (await getHistory(sql, id, { ...(afterSeq === undefined ? {} : { afterSeq }), ...(limit ? { limit } : {}) })).map((h) => h.seq);
  expect(await seqs(undefined)).toEqual([1, 2, 3, 4]);
  expect(await seqs(undefined, 2)).toEqual([1, 2]);
  expect(await seqs(1, 2)).toEqual([2, 3]);
  expect(await seqs(2)).toEqual([3, 4]);
  expect(await seqs(3)).toEqual([4]);
  expect(await seqs(4)).toEqual([]);
  expect((await getHistory(sql, id, { afterSeq: 1, limit: 2 }))[1]).toEqual(expected[2]);
});

test('a single-entry writer continues after the last entry of a packed row', async () => {
  const sql = db.current.sql;
  const id = await instance(sql);
  expect((await new CheckpointWriter(sql).submit(checkpoint(id, await version(sql, id), oneTask.slice(0, 2)))).ok).toBe(true);
  await suspendInstance(sql, id);
  expect((await getHistory(sql, id)).map((h) => [h.seq, h.kind])).toEqual([
    [1, 'workflowStarted'],
    [2, 'taskStarted'],
    [3, 'workflowSuspended'],
  ]);
});

test('past the history cap a checkpoint writes only its workflow-level entries', async () => {
  const sql = db.current.sql;
  const id = await instance(sql);
  const cap = { historyCap: 3 };
  const task = (n: number) => [
    { at: T0, kind: 'taskStarted', task: `t${n}`, ref: `/do/${n}` },
    { at: T0, kind: 'taskCompleted', task: `t${n}`, ref: `/do/${n}` },
  ] as HistoryEntry[];
  const write = async (entries: HistoryEntry[], over: Partial<Checkpoint> = {}) =>
    expect((await new CheckpointWriter(sql).submit(checkpoint(id, await version(sql, id), entries, { ...cap, ...over }))).ok).toBe(true);
  await write([oneTask[0], ...task(0)]); // 3 entries: within the cap
  await write(task(1)); // would be 4 and 5: dropped
  await write([...task(2), oneTask[3]], { status: 'completed', ended: true }); // only its end
  expect((await getHistory(sql, id)).map((h) => [h.seq, h.kind, h.taskRef])).toEqual([
    [1, 'workflowStarted', null],
    [2, 'taskStarted', '/do/0'],
    [3, 'taskCompleted', '/do/0'],
    [4, 'workflowCompleted', null],
  ]);
  // The per-checkpoint path caps the same way.
  const other = await instance(sql);
  await sql.begin(async (tx) => {
    expect(await writeCheckpoint(tx, checkpoint(other, await version(tx, other), [oneTask[0], ...task(0), ...task(1), oneTask[3]], cap))).toBe(true);
  });
  expect((await getHistory(sql, other)).map((h) => h.kind)).toEqual(['workflowStarted', 'workflowCompleted']);
});
