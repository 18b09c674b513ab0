/**
 * What a batch starts from: its messages and the rows of the instances they wake. The background
 * loop reads both in one round trip (`weir.read_with_instances`); a lane that must see a row newer
 * than the read (its instance was still running on this replica) loads its own.
 */
import type { Message, MessageRow } from '../store/queries/pgmq.ts';
import { toMessage } from '../store/queries/pgmq.ts';
import type { RunnerMessage } from '../store/queries/instances.ts';
import { json, type Sql } from '../store/sql.ts';
import type { Row } from './activation.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Loads the rows a batch of messages wakes, in one statement. */
export async function loadInstances(sql: Sql, ids: readonly string[]): Promise<Map<string, Row>> {
  const valid = ids.filter((id) => UUID.test(id));
  if (!valid.length) return new Map();
  // The same columns as weir.read_with_instances returns (sql/60_flow.sql): change both together.
  const rows = await sql<Row>`
    SELECT id, namespace, workflow_name, workflow_version, status, input, state, version, pending, queue, correlation, weir.now() AS now
    FROM weir.instances WHERE id IN (SELECT (jsonb_array_elements_text(${json(valid)}::jsonb))::uuid)`;
  return new Map(rows.map((r) => [r.id, r]));
}

type ReadRow = MessageRow & { [K in keyof Row as `i_${K & string}`]: Row[K] | null } & { now: Date };

/**
 * Reads up to `qty` messages (priority first, `fifo` of them oldest-first, as `weir.read`) and the
 * rows of the instances they wake, in one statement: the rows are read after the messages are
 * locked, so none is older than the message read for it. `rows` has an instance's row when it
 * exists; a message whose instance is not in it has none.
 */
export async function readWithInstances(
  sql: Sql,
  queue: string,
  vtSeconds: number,
  qty: number,
  fifo: number,
): Promise<{ messages: Message<RunnerMessage>[]; rows: Map<string, Row> }> {
  const found = await sql<ReadRow>`SELECT * FROM weir.read_with_instances(${queue}::text, ${vtSeconds}::int, ${qty}::int, ${fifo}::int)`;
  const rows = new Map<string, Row>();
  for (const r of found) {
    if (r.i_id === null) continue;
    rows.set(r.i_id, {
      id: r.i_id,
      namespace: r.i_namespace as string,
      workflow_name: r.i_workflow_name as string,
      workflow_version: r.i_workflow_version as string,
      status: r.i_status as Row['status'],
      input: r.i_input,
      state: r.i_state,
      version: r.i_version as number,
      pending: r.i_pending,
      queue: r.i_queue as string,
      correlation: r.i_correlation,
      now: r.now,
    });
  }
  return { messages: found.map((r) => toMessage<RunnerMessage>(r)), rows };
}
