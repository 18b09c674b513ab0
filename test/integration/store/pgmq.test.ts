/**
 * PGMQ contract: our SQL (sql/00_pgmq.sql) behaves as the pgmq extension's public API does,
 * on Postgres 15 and on PGlite.
 */
import { describe, expect, test } from 'vitest';
import { pgmq } from '../../../src/store/queries/pgmq.ts';
import { driverNames, useDriver } from '../../support/drivers.ts';

describe.each(driverNames)('pgmq on %s', (driverName) => {
  const driver = useDriver(driverName);
  let n = 0;
  const freshQueue = async () => {
    const q = `q${++n}_${driverName}`;
    await pgmq.create(driver.sql, q);
    return q;
  };

  test('create registers the queue and its tables; create is idempotent; drop removes them', async () => {
    const q = await freshQueue();
    await pgmq.create(driver.sql, q);
    expect((await pgmq.listQueues(driver.sql)).map((x) => x.queueName)).toContain(q);
    const tables = await driver.sql<{ t: string }>`
      SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'pgmq' AND table_name IN (${`q_${q}`}, ${`a_${q}`})`;
    expect(tables.map((r) => r.t).sort()).toEqual([`a_${q}`, `q_${q}`]);
    const cols = await driver.sql<{ c: string }>`
      SELECT column_name AS c FROM information_schema.columns WHERE table_schema = 'pgmq' AND table_name = ${`q_${q}`} ORDER BY ordinal_position`;
    expect(cols.map((r) => r.c)).toEqual(['msg_id', 'read_ct', 'enqueued_at', 'vt', 'message', 'headers']);
    expect(await pgmq.dropQueue(driver.sql, q)).toBe(true);
    expect(await pgmq.dropQueue(driver.sql, q)).toBe(false);
    expect((await pgmq.listQueues(driver.sql)).map((x) => x.queueName)).not.toContain(q);
  });

  test('invalid queue names are refused with a clear message', async () => {
    await expect(pgmq.create(driver.sql, 'bad-name; drop table x')).rejects.toThrow(/queue name .* is invalid/);
    await expect(pgmq.create(driver.sql, 'x'.repeat(48))).rejects.toThrow(/too long/);
  });

  test('send then read returns the message once, hidden for the visibility timeout', async () => {
    const q = await freshQueue();
    const id = await pgmq.send(driver.sql, q, { hello: 'world', n: 1 });
    expect(typeof id).toBe('number');
    const [m] = await pgmq.read(driver.sql, q, 30, 10);
    expect(m.msgId).toBe(id);
    expect(m.message).toEqual({ hello: 'world', n: 1 });
    expect(m.readCt).toBe(1);
    expect(m.vt.getTime() - m.enqueuedAt.getTime()).toBeGreaterThanOrEqual(29_000);
    expect(await pgmq.read(driver.sql, q, 30, 10)).toEqual([]);
  });

  test('read with vt 0 leaves the message visible and counts every read', async () => {
    const q = await freshQueue();
    await pgmq.send(driver.sql, q, { a: 1 });
    const first = await pgmq.read(driver.sql, q, 0, 1);
    const second = await pgmq.read(driver.sql, q, 0, 1);
    expect(first[0].msgId).toBe(second[0].msgId);
    expect(second[0].readCt).toBe(2);
  });

  test('read takes at most qty messages, oldest first', async () => {
    const q = await freshQueue();
    const ids = await pgmq.sendBatch(driver.sql, q, [1, 2, 3, 4, 5].map((i) => ({ i })));
    expect(ids).toHaveLength(5);
    const got = await pgmq.read(driver.sql, q, 30, 3);
    expect(got.map((m) => m.msgId)).toEqual(ids.slice(0, 3));
    expect(got.map((m) => (m.message as { i: number }).i)).toEqual([1, 2, 3]);
    const rest = await pgmq.read(driver.sql, q, 30, 10);
    expect(rest.map((m) => m.msgId)).toEqual(ids.slice(3));
  });

  test('a delayed send is invisible until its delay passes', async () => {
    const q = await freshQueue();
    const id = await pgmq.send(driver.sql, q, { later: true }, 60);
    expect(await pgmq.read(driver.sql, q, 30, 10)).toEqual([]);
    const [row] = await driver.sql.unsafe<{ vt: Date; enqueued_at: Date }>(`SELECT vt, enqueued_at FROM pgmq.q_${q} WHERE msg_id = $1`, [id]);
    expect(new Date(row.vt).getTime() - new Date(row.enqueued_at).getTime()).toBeGreaterThanOrEqual(59_000);
    const batch = await pgmq.sendBatch(driver.sql, q, [{ x: 1 }, { x: 2 }], 60);
    expect(batch).toHaveLength(2);
    expect(await pgmq.read(driver.sql, q, 30, 10)).toEqual([]);
    expect((await pgmq.metrics(driver.sql, q)).queueVisibleLength).toBe(0);
  });

  test('set_vt hides or releases a message', async () => {
    const q = await freshQueue();
    const id = await pgmq.send(driver.sql, q, { a: 1 });
    await pgmq.read(driver.sql, q, 30, 1);
    const released = await pgmq.setVt(driver.sql, q, id, 0);
    expect(released?.msgId).toBe(id);
    const again = await pgmq.read(driver.sql, q, 30, 1);
    expect(again[0].msgId).toBe(id);
    expect(again[0].readCt).toBe(2);
    const hidden = await pgmq.setVt(driver.sql, q, id, 120);
    expect(hidden!.vt.getTime()).toBeGreaterThan(Date.now() + 100_000);
    expect(await pgmq.setVt(driver.sql, q, 999_999, 0)).toBeUndefined();
  });

  test('delete removes one or many; deleting a missing id says so', async () => {
    const q = await freshQueue();
    const [a, b, c] = await pgmq.sendBatch(driver.sql, q, [{ a: 1 }, { b: 2 }, { c: 3 }]);
    expect(await pgmq.delete(driver.sql, q, a)).toBe(true);
    expect(await pgmq.delete(driver.sql, q, a)).toBe(false);
    expect((await pgmq.deleteBatch(driver.sql, q, [b, c, 424242])).sort()).toEqual([b, c].sort());
    expect((await pgmq.metrics(driver.sql, q)).queueLength).toBe(0);
  });

  test('archive moves messages to a_<queue> with archived_at', async () => {
    const q = await freshQueue();
    const [a, b, c] = await pgmq.sendBatch(driver.sql, q, [{ a: 1 }, { b: 2 }, { c: 3 }]);
    expect(await pgmq.archive(driver.sql, q, a)).toBe(true);
    expect(await pgmq.archive(driver.sql, q, a)).toBe(false);
    expect((await pgmq.archiveBatch(driver.sql, q, [b, c])).sort()).toEqual([b, c].sort());
    const archived = await driver.sql.unsafe<{ msg_id: number; message: unknown; archived_at: Date }>(
      `SELECT msg_id, message, archived_at FROM pgmq.a_${q} ORDER BY msg_id`,
    );
    expect(archived.map((r) => Number(r.msg_id))).toEqual([a, b, c]);
    expect(archived[1].message).toEqual({ b: 2 });
    expect(archived[0].archived_at).toBeTruthy();
    expect(await pgmq.read(driver.sql, q, 30, 10)).toEqual([]);
  });

  test('pop reads and deletes in one step', async () => {
    const q = await freshQueue();
    await pgmq.sendBatch(driver.sql, q, [{ i: 1 }, { i: 2 }]);
    expect((await pgmq.pop(driver.sql, q))?.message).toEqual({ i: 1 });
    expect((await pgmq.pop(driver.sql, q))?.message).toEqual({ i: 2 });
    expect(await pgmq.pop(driver.sql, q)).toBeUndefined();
  });

  test('purge empties the queue and returns the count', async () => {
    const q = await freshQueue();
    await pgmq.sendBatch(driver.sql, q, [1, 2, 3, 4].map((i) => ({ i })));
    expect(await pgmq.purge(driver.sql, q)).toBe(4);
    expect(await pgmq.read(driver.sql, q, 0, 10)).toEqual([]);
  });

  test('metrics count length, visible length and all messages ever sent', async () => {
    const q = await freshQueue();
    const empty = await pgmq.metrics(driver.sql, q);
    expect(empty).toMatchObject({ queueName: q, queueLength: 0, totalMessages: 0, oldestMsgAgeSec: null });
    await pgmq.sendBatch(driver.sql, q, [1, 2, 3].map((i) => ({ i })));
    const [m] = await pgmq.read(driver.sql, q, 30, 1);
    await pgmq.delete(driver.sql, q, (await pgmq.read(driver.sql, q, 30, 1))[0].msgId);
    const metrics = await pgmq.metrics(driver.sql, q);
    expect(metrics).toMatchObject({ queueLength: 2, queueVisibleLength: 1, totalMessages: 3 });
    expect(metrics.oldestMsgAgeSec).toBeGreaterThanOrEqual(0);
    expect(m.msgId).toBeGreaterThan(0);
    expect((await pgmq.metricsAll(driver.sql)).map((x) => x.queueName)).toContain(q);
  });

  test('conditional read filters by message containment', async () => {
    const q = await freshQueue();
    await pgmq.sendBatch(driver.sql, q, [{ kind: 'a', i: 1 }, { kind: 'b', i: 2 }, { kind: 'a', i: 3 }]);
    const got = await pgmq.read(driver.sql, q, 30, 10, { kind: 'a' });
    expect(got.map((m) => (m.message as { i: number }).i)).toEqual([1, 3]);
  });

  test('a send inside a rolled-back transaction leaves no message', async () => {
    const q = await freshQueue();
    await expect(
      driver.sql.begin(async (tx) => {
        await pgmq.send(tx, q, { doomed: true });
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    await driver.sql.begin(async (tx) => {
      await pgmq.send(tx, q, { kept: true });
    });
    const got = await pgmq.read(driver.sql, q, 30, 10);
    expect(got.map((m) => m.message)).toEqual([{ kept: true }]);
  });

  test('two concurrent readers never receive the same message inside its visibility timeout', async () => {
    const q = await freshQueue();
    const total = 300;
    await pgmq.sendBatch(driver.sql, q, Array.from({ length: total }, (_, i) => ({ i })));
    const a = await driver.connect();
    const b = await driver.connect();
    try {
      const drainWith = async (sql: typeof driver.sql) => {
        const seen: number[] = [];
        for (;;) {
          const got = await pgmq.read(sql, q, 60, 7);
          if (got.length === 0) return seen;
          seen.push(...got.map((m) => m.msgId));
        }
      };
      const [seenA, seenB] = await Promise.all([drainWith(a.sql), drainWith(b.sql)]);
      const all = [...seenA, ...seenB];
      expect(new Set(all).size).toBe(all.length);
      expect(all.length).toBe(total);
      if (driverName === 'postgres') expect(Math.min(seenA.length, seenB.length)).toBeGreaterThan(0);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
