/**
 * Ready messages across Weir's queues, counted only up to a bound: the overload guard needs to know
 * whether the backlog passed WEIR_OVERLOAD_BACKLOG, not its exact size, so each queue scan stops at
 * `bound + 1` rows instead of counting a million-row queue every second.
 */
import { isQueueName } from '../../queue-name.ts';
import { queueTable } from '../../store/queries/pgmq.ts';
import type { Sql } from '../../store/sql.ts';

export async function readyBacklog(sql: Sql, bound: number): Promise<number> {
  const queues = await sql<{ queue_name: string }>`SELECT queue_name FROM pgmq.list_queues()`;
  let total = 0;
  for (const { queue_name: q } of queues) {
    // weir_dead holds poison for people to read, not work; names are validated before quoting.
    if (q === 'weir_dead' || !isQueueName(q)) continue;
    const [r] = await sql.unsafe<{ n: number }>(
      `SELECT count(*)::int AS n FROM (SELECT 1 FROM ${queueTable(q)} WHERE vt <= clock_timestamp() LIMIT $1) s`,
      [bound + 1 - total],
    );
    total += Number(r?.n ?? 0);
    if (total > bound) break;
  }
  return total;
}
