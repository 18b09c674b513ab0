/**
 * What a batch starts from: its messages and the rows of the instances they wake. The background
 * loop reads both in one round trip (`readWithInstances`); a lane that must see a row newer than
 * the read (its instance was still running on this replica) loads its own.
 */
import type { Message, MessageRow } from '../store/queries/pgmq.ts';
import { queueTable, toMessage } from '../store/queries/pgmq.ts';
import type { RunnerMessage } from '../store/queries/instances.ts';
import { json, type Sql } from '../store/sql.ts';
import type { Row } from './activation.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Loads the rows a batch of messages wakes, in one statement. */
export async function loadInstances(sql: Sql, ids: readonly string[]): Promise<Map<string, Row>> {
  const valid = ids.filter((id) => UUID.test(id));
  if (!valid.length) return new Map();
  // The same columns as readWithInstances reads: change both together.
  const rows = await sql<Row>`
    SELECT id, namespace, workflow_name, workflow_version, status, input, state, version, pending, queue, correlation, weir.now() AS now
    FROM weir.instances WHERE id IN (SELECT (jsonb_array_elements_text(${json(valid)}::jsonb))::uuid)`;
  return new Map(rows.map((r) => [r.id, r]));
}

type ReadRow = MessageRow & { [K in keyof Row as `i_${K & string}`]: Row[K] | null } & { now: Date };

const texts = new Map<string, string>();

/**
 * The read of one queue: `weir.read`'s claim (priority first, `$3` of `$1` oldest-first, SKIP
 * LOCKED) written against the queue's table, plus the rows of the instances the messages wake.
 *
 * One statement, not `weir.read` (plpgsql): its `EXECUTE format(…)` parsed and planned the claim on
 * every call, ~0.5 ms of the ~0.8 ms an idle read took (pg_stat_statements, bench compare
 * --profile); this text is fixed per queue, so it is prepared once per connection.
 *
 * The join reads the rows in the statement's snapshot, and that is new enough: a message is only
 * claimed if it was committed before the snapshot, and with it the checkpoint that sent it (one
 * transaction), so the row is never older than the message read for it. A checkpoint committed
 * since is caught by the activation's compare-and-set, as with a row loaded a moment later.
 * The instance columns come only on an instance's first message (NULL on its others).
 */
export function readText(queue: string): string {
  let text = texts.get(queue);
  if (text) return text;
  const table = queueTable(queue);
  text = `
    WITH p AS (
      SELECT msg_id FROM ${table}
      WHERE headers ? 'priority' AND vt <= clock_timestamp()
      ORDER BY (headers->>'priority') DESC, msg_id ASC
      LIMIT greatest($1::int - $3::int, 0)
      FOR UPDATE SKIP LOCKED
    ), f AS (
      SELECT msg_id FROM ${table}
      WHERE vt <= clock_timestamp() AND msg_id NOT IN (SELECT msg_id FROM p)
      ORDER BY msg_id ASC
      LIMIT $1::int - (SELECT count(*) FROM p)
      FOR UPDATE SKIP LOCKED
    ), m AS (
      UPDATE ${table} q
      SET vt = clock_timestamp() + make_interval(secs => $2::int), read_ct = q.read_ct + 1
      -- An id list, not a join: the join was planned as a hash join over a scan of the whole
      -- queue table (6 ms of a 250-message read with 20,000 messages queued).
      WHERE q.msg_id = ANY(ARRAY(SELECT msg_id FROM p UNION ALL SELECT msg_id FROM f))
      RETURNING q.msg_id, q.read_ct, q.enqueued_at, q.vt, q.message, q.headers,
        CASE WHEN q.message->>'instance' ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
             THEN (q.message->>'instance')::uuid END AS iid
    ), n AS (
      SELECT m.*, row_number() OVER (PARTITION BY m.iid ORDER BY m.msg_id) AS nth FROM m
    )
    SELECT n.msg_id, n.read_ct, n.enqueued_at, n.vt, n.message, n.headers,
           i.id AS i_id, i.namespace AS i_namespace, i.workflow_name AS i_workflow_name,
           i.workflow_version AS i_workflow_version, i.status AS i_status, i.input AS i_input,
           i.state AS i_state, i.version AS i_version, i.pending AS i_pending, i.queue AS i_queue,
           i.correlation AS i_correlation, weir.now() AS now
    -- The id list makes the rows an index lookup: the plain join was planned as a hash join over
    -- a scan of all of weir.instances (cheap while the table is small, and kept as the cached
    -- generic plan as it grows; 4.6 ms of a 250-message read at 5,000 rows).
    FROM n LEFT JOIN weir.instances i ON i.id = n.iid AND n.nth = 1 AND i.id = ANY(ARRAY(SELECT iid FROM m))`;
  // Bounded: one text per queue this replica serves (WEIR_QUEUES, or the queues that exist).
  if (texts.size < 1000) texts.set(queue, text);
  return text;
}

/**
 * Reads up to `qty` messages of `queue` (priority first, `fifo` of them oldest-first, as
 * `weir.read`) and the rows of the instances they wake, in one statement (see `readText`).
 * `rows` has an instance's row when it exists; a message whose instance is not in it has none.
 */
export async function readWithInstances(
  sql: Sql,
  queue: string,
  vtSeconds: number,
  qty: number,
  fifo: number,
): Promise<{ messages: Message<RunnerMessage>[]; rows: Map<string, Row> }> {
  const found = await sql.unsafe<ReadRow>(readText(queue), [qty, vtSeconds, Math.max(fifo, 0)], { prepare: true });
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
