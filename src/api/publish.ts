/**
 * Publishing CloudEvents from the API (`POST /v1/events`, hook deliveries): one transaction
 * stores them through `insertEvents` and hands only the new ones to the runner's
 * `deliverEvents`, which sends an `event` message to each waiting `listen` subscription.
 * (deliverEvents' own INSERT then finds the rows present and does nothing.)
 */
import { deliverEvents } from '../runner/events.ts';
import { insertEvents, type CloudEventRecord } from '../store/queries/events.ts';
import type { Sql } from '../store/sql.ts';

export async function publishEvents(sql: Sql, events: readonly CloudEventRecord[]): Promise<{ inserted: number; woken: number }> {
  return sql.begin(async (tx) => {
    const { inserted } = await insertEvents(tx, events);
    const woken = inserted.length ? await deliverEvents(tx, inserted) : 0;
    return { inserted: inserted.length, woken };
  });
}
