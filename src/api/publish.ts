/**
 * Publishing CloudEvents from the API (`POST /v1/events`, hook deliveries): the runner's
 * `deliverEvents` stores them (deduplicated by source + id) and wakes each waiting `listen`
 * subscription, in one transaction.
 */
import { deliverEvents } from '../runner/events.ts';
import type { CloudEventRecord } from '../store/queries/events.ts';
import type { Sql } from '../store/sql.ts';
import type { CloudEvent } from '../engine/types.ts';

export async function publishEvents(sql: Sql, events: readonly CloudEventRecord[]): Promise<{ inserted: number; woken: number }> {
  return sql.begin((tx) => deliverEvents(tx, events as readonly CloudEvent[]));
}
