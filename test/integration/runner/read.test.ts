/**
 * The runner's read (src/runner/read.ts, `readWithInstances`): a batch's messages and the
 * rows of the instances they wake in one statement — the same rows `loadInstances` loads, one per
 * instance, none for a message whose instance does not exist or is not an id (poison must not fail
 * the read), and messages in priority order as `weir.read` gives them.
 */
import { expect, test } from 'vitest';
import { pgmq, queueTable } from '../../../src/store/queries/pgmq.ts';
import { loadInstances, readText, readWithInstances } from '../../../src/runner/read.ts';
import { json } from '../../../src/store/sql.ts';
import { useTestDatabase } from '../../support/db.ts';

const db = useTestDatabase();

async function instance(input: unknown): Promise<string> {
  const [r] = await db.current.sql<{ id: string }>`
    INSERT INTO weir.instances (id, namespace, workflow_name, workflow_version, status, input, queue, state, version)
    VALUES (gen_random_uuid(), 'ns', 'wf', '1.0.0', 'running', ${json(input)}::jsonb, 'rq', '{"v":1}'::jsonb, 3) RETURNING id`;
  return r.id;
}

test('messages and their instances in one read: one row per instance, the same as loadInstances', async () => {
  const sql = db.current.sql;
  await pgmq.create(sql, 'rq');
  const a = await instance({ a: 1 });
  const b = await instance({ b: 2 });
  const gone = '00000000-0000-4000-8000-000000000000';
  const sent = [
    { instance: a, kind: 'start', target: a },
    { instance: b, kind: 'start', target: b },
    { instance: a, kind: 'timer', target: 't1' },
    { instance: gone, kind: 'start', target: gone },
    { instance: "x'; DROP TABLE weir.instances; --", kind: 'start' },
    'not even an object',
  ];
  for (const m of sent) await pgmq.send(sql, 'rq', m);
  const { messages, rows } = await readWithInstances(sql, 'rq', 30, 10, 10);
  expect(messages).toHaveLength(sent.length);
  expect(messages.map((m) => m.message)).toEqual(expect.arrayContaining(sent));
  expect(messages.every((m) => m.readCt === 1)).toBe(true);
  expect([...rows.keys()].sort()).toEqual([a, b].sort());
  const loaded = await loadInstances(sql, [a, b]);
  for (const id of [a, b]) {
    const { now: readNow, ...read } = rows.get(id)!;
    const { now: loadNow, ...load } = loaded.get(id)!;
    expect(read).toEqual(load);
    expect(readNow).toBeInstanceOf(Date);
    expect(loadNow).toBeInstanceOf(Date);
  }
  expect(rows.get(a)).toMatchObject({ input: { a: 1 }, state: { v: 1 }, version: 3, status: 'running', queue: 'rq' });
  // Read messages are hidden for the visibility timeout: a second read finds nothing.
  expect((await readWithInstances(sql, 'rq', 30, 10, 10)).messages).toEqual([]);
});

test('priority first, except the fifo share, as weir.read (the batch is a set: its order is not kept)', async () => {
  const sql = db.current.sql;
  await pgmq.create(sql, 'rp');
  const ids: number[] = [];
  for (let i = 0; i < 4; i++) ids.push(await pgmq.send(sql, 'rp', { n: i }, 0, i === 3 ? { priority: 9 } : undefined));
  const none = await readWithInstances(sql, 'rp', 30, 2, 0);
  expect(none.messages.map((m) => m.msgId).sort()).toEqual([ids[0], ids[3]].sort());
  expect(none.rows.size).toBe(0);
});

test('the read looks instances and messages up by primary key as a generic plan, statistics not yet updated (no scan of weir.instances or the queue)', async () => {
  const sql = db.current.sql;
  await pgmq.create(sql, 'rplan');
  await sql`INSERT INTO weir.instances (id, namespace, workflow_name, workflow_version, status, queue)
            SELECT gen_random_uuid(), 'ns', 'wf', '1.0.0', 'pending', 'rplan' FROM generate_series(1, 5000)`;
  // A backlog: the claim's UPDATE once hash-joined a scan of the whole queue table.
  await sql.unsafe(`INSERT INTO ${queueTable('rplan')} (vt, message) SELECT clock_timestamp(), jsonb_build_object('n', g) FROM generate_series(1, 5000) g`);
  // A prepared statement's cached plan is generic after a few runs: plan it that way now.
  const plan = await sql.begin(async (tx) => {
    await tx.unsafe('SET LOCAL plan_cache_mode = force_generic_plan');
    await tx.unsafe(`PREPARE weir_read_plan(int, int, int) AS ${readText('rplan')}`);
    const rows = await tx.unsafe<{ 'QUERY PLAN': string }>('EXPLAIN EXECUTE weir_read_plan(250, 30, 62)');
    await tx.unsafe('DEALLOCATE weir_read_plan');
    return rows.map((r) => r['QUERY PLAN']).join('\n');
  });
  expect(plan).toContain('instances_pkey');
  expect(plan).not.toMatch(/Seq Scan on instances/);
  expect(plan).toContain('q_rplan_pkey');
  expect(plan).not.toMatch(/Seq Scan on q_rplan/);
});
