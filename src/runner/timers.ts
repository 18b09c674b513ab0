/**
 * Due timers become messages: rows of `weir.timers` whose `due_at <= weir.now()` are claimed with
 * FOR UPDATE SKIP LOCKED (any replica, no leader), deleted, and their messages sent — one
 * transaction, so a timer fires once. The database clock is the only clock (tests move it).
 */
import { pgmq } from '../store/queries/pgmq.ts';
import type { Sql } from '../store/sql.ts';

export async function fireDueTimers(sql: Sql, limit: number): Promise<number> {
  return sql.begin(async (tx) => {
    const due = await tx<{ queue: string; message: unknown }>`
      DELETE FROM weir.timers t
      USING (SELECT instance_id, id FROM weir.timers WHERE due_at <= weir.now()
             ORDER BY due_at LIMIT ${limit} FOR UPDATE SKIP LOCKED) d
      WHERE t.instance_id = d.instance_id AND t.id = d.id
      RETURNING t.queue, t.message`;
    const byQueue = new Map<string, unknown[]>();
    for (const d of due) byQueue.set(d.queue, [...(byQueue.get(d.queue) ?? []), d.message]);
    for (const [queue, messages] of byQueue) await pgmq.sendBatch(tx, queue, messages);
    return due.length;
  });
}
