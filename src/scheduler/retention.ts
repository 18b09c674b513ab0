/**
 * Retention: ended instances (with their history), stored events, PGMQ archives, and expired
 * idempotency records and webhook deliveries are deleted after their retention, in bounded batches
 * claimed with SKIP LOCKED — short transactions, no long locks, safe on every replica at once.
 */
import { pgmq, queueTable } from '../store/queries/pgmq.ts';
import type { Sql } from '../store/sql.ts';

export interface RetentionPolicy {
  /** Ended instances and their history. */
  instanceDays: number;
  /** Stored CloudEvents (the emit-before-listen window needs far less). */
  eventHours: number;
  /** Rows per statement. */
  batch: number;
}

export interface PurgeReport {
  instances: number;
  events: number;
  archived: number;
  other: number;
}

/** One bounded pass; call repeatedly (the runner does, at most once a minute) until it returns zeros. */
export async function purgeExpired(sql: Sql, policy: RetentionPolicy): Promise<PurgeReport> {
  const days = `${policy.instanceDays} days`;
  const instances = await sql.begin(async (tx) => {
    const gone = await tx<{ id: string }>`
      DELETE FROM weir.instances WHERE id IN (
        SELECT id FROM weir.instances WHERE ended_at < weir.now() - ${days}::interval
        ORDER BY ended_at LIMIT ${policy.batch} FOR UPDATE SKIP LOCKED)
      RETURNING id`;
    if (gone.length) {
      const ids = gone.map((g) => g.id);
      await tx`DELETE FROM weir.history WHERE instance_id = ANY(${ids}::uuid[])`;
      await tx`DELETE FROM weir.timers WHERE instance_id = ANY(${ids}::uuid[])`;
      await tx`DELETE FROM weir.subscriptions WHERE instance_id = ANY(${ids}::uuid[])`;
    }
    return gone.length;
  });
  const events = (
    await sql<{ n: number }>`
      WITH gone AS (
        DELETE FROM weir.events WHERE (source, id) IN (
          SELECT source, id FROM weir.events WHERE received_at < weir.now() - ${`${policy.eventHours} hours`}::interval
          ORDER BY received_at LIMIT ${policy.batch} FOR UPDATE SKIP LOCKED)
        RETURNING 1)
      SELECT count(*)::int AS n FROM gone`
  )[0].n;
  let archived = 0;
  for (const q of await pgmq.listQueues(sql)) {
    const archive = queueTable(q.queueName, 'a');
    const [r] = await sql.unsafe<{ n: number }>(
      `WITH gone AS (
         DELETE FROM ${archive} WHERE msg_id IN (
           SELECT msg_id FROM ${archive} WHERE archived_at < weir.now() - $1::interval
           ORDER BY archived_at LIMIT $2 FOR UPDATE SKIP LOCKED)
         RETURNING 1)
       SELECT count(*)::int AS n FROM gone`,
      [days, policy.batch],
    );
    archived += r.n;
  }
  const [{ n: idem }] = await sql<{ n: number }>`
    WITH gone AS (DELETE FROM weir.idempotency WHERE (scope, key) IN (
      SELECT scope, key FROM weir.idempotency WHERE expires_at < weir.now() LIMIT ${policy.batch} FOR UPDATE SKIP LOCKED) RETURNING 1)
    SELECT count(*)::int AS n FROM gone`;
  const [{ n: hooks }] = await sql<{ n: number }>`
    WITH gone AS (DELETE FROM weir.hook_deliveries WHERE (hook, delivery_id) IN (
      SELECT hook, delivery_id FROM weir.hook_deliveries WHERE received_at < weir.now() - interval '1 day' LIMIT ${policy.batch} FOR UPDATE SKIP LOCKED) RETURNING 1)
    SELECT count(*)::int AS n FROM gone`;
  return { instances, events, archived, other: idem + hooks };
}
