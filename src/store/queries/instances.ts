/**
 * Instances: start (row + `start` message in one transaction, idempotent by key), read, list
 * with cursor pagination, and history. The runner's checkpoint writes live in runner/checkpoint.ts.
 */
import { WeirError } from '../../errors.ts';
import { json, type Sql } from '../sql.ts';
import { uuidv7 } from '../uuid.ts';
import { START_WAKE_MAX_BYTES, START_WAKE_MAX_INPUT, WAKE_CHANNEL } from '../notify.ts';
import { queueTable } from './pgmq.ts';

export type InstanceStatus = 'queued' | 'delayed' | 'pending' | 'running' | 'waiting' | 'suspended' | 'completed' | 'faulted' | 'cancelled';
export const terminalStatuses: readonly InstanceStatus[] = ['completed', 'faulted', 'cancelled'];

/** The body of every runner message (DESIGN §4). `target` names what it wakes. */
export interface RunnerMessage {
  instance: string;
  kind: 'start' | 'resume' | 'timer' | 'event' | 'http' | 'branch' | 'child-done' | 'cancel' | 'callback' | 'retry';
  target: string;
  [extra: string]: unknown;
}

export interface InstanceRow {
  id: string;
  namespace: string;
  workflowName: string;
  workflowVersion: string;
  status: InstanceStatus;
  input: unknown;
  output: unknown;
  error: unknown;
  version: number;
  parentId: string | null;
  queue: string;
  priority: number;
  idempotencyKey: string | null;
  createdAt: Date;
  updatedAt: Date;
  startedAt: Date | null;
  endedAt: Date | null;
}

type Raw = Record<string, unknown>;
export const toInstance = (r: Raw): InstanceRow => ({
  id: r.id as string,
  namespace: r.namespace as string,
  workflowName: r.workflow_name as string,
  workflowVersion: r.workflow_version as string,
  status: r.status as InstanceStatus,
  input: r.input ?? null,
  output: r.output ?? null,
  error: r.error ?? null,
  version: r.version as number,
  parentId: (r.parent_id as string | null) ?? null,
  queue: r.queue as string,
  priority: (r.priority as number) ?? 0,
  idempotencyKey: (r.idempotency_key as string | null) ?? null,
  createdAt: new Date(r.created_at as string),
  updatedAt: new Date(r.updated_at as string),
  startedAt: r.started_at ? new Date(r.started_at as string) : null,
  endedAt: r.ended_at ? new Date(r.ended_at as string) : null,
});

export interface StartRequest {
  namespace: string;
  workflowName: string;
  workflowVersion: string;
  queue: string;
  input: unknown;
  idempotencyKey?: string;
  parent?: { id: string; wait: string };
  callback?: { url: string };
  priority?: number;
  /** Free-form JSON kept with the instance (e.g. `{ rerunOf }`, schedule and hook origins). */
  correlation?: unknown;
  id?: string;
  /** Flow control (runner/flow.ts): the concurrency scope the instance holds or waits for. */
  slotScope?: string;
  /** Flow control: `queued` (waits for a slot) or `delayed` (debounce window) send no start message. */
  status?: 'queued' | 'delayed';
  debounceKey?: string;
}

/**
 * startInstance's statement for one queue (fixed text per queue, prepared): the INSERT, and the
 * `start` message written into the queue's own table with its NOTIFY when `$16` — not through
 * `pgmq.send`, whose `EXECUTE format(…)` parsed and planned its INSERT on every call. $1–$15 the
 * instance's columns, $17 the message, $18 its headers, $19 the wake channel.
 */
function startText(queue: string): string {
  let text = startTexts.get(queue);
  if (text) return text;
  text = `
    WITH ins AS (
      INSERT INTO weir.instances (id, namespace, workflow_name, workflow_version, status, input, idempotency_key,
                                  queue, parent_id, parent_wait, callback, priority, correlation, slot_scope, debounce_key)
      VALUES ($1::uuid, $2::text, $3::text, $4::text, $5::text, $6::jsonb, $7::text, $8::text, $9::uuid, $10::text,
              $11::jsonb, $12::int, $13::jsonb, $14::text, $15::text)
      ON CONFLICT (namespace, workflow_name, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
      RETURNING *),
    sent AS (
      INSERT INTO ${queueTable(queue)} (vt, message, headers)
      SELECT clock_timestamp(), $17::jsonb, $18::jsonb FROM ins WHERE $16::boolean
      RETURNING msg_id),
    -- The wake-up carries the message and the instance when they fit (notify.ts StartWake): an
    -- idle replica runs the first activation from it, without a read first (runner/eager.ts).
    -- Its clock is the row's created_at (weir.now() at the insert), not a second weir.now().
    woken AS (
      SELECT pg_notify($19::text, coalesce(
        (SELECT w.p FROM (
           SELECT json_build_object('q', $8::text, 'm', sent.msg_id, 't', floor(extract(epoch FROM ins.created_at) * 1000)::bigint,
                                    'i', ins.id, 'ns', ins.namespace, 'wf', ins.workflow_name, 'v', ins.workflow_version,
                                    'in', ins.input)::text AS p
           WHERE coalesce(pg_column_size(ins.input), 0) <= ${START_WAKE_MAX_INPUT}) w
         WHERE octet_length(w.p) <= ${START_WAKE_MAX_BYTES}),
        $8::text))
      FROM sent, ins)
    -- Referenced, so the NOTIFY runs (a CTE without data-modifying statements runs only if read).
    SELECT ins.*, (SELECT count(*)::int FROM woken) AS sent FROM ins`;
  // Bounded: one text per queue started on (queues are created by name, and few).
  if (startTexts.size < 1000) startTexts.set(queue, text);
  return text;
}
const startTexts = new Map<string, string>();

/**
 * Inserts the instance and sends its `start` message (with the NOTIFY that wakes a replica) in one
 * statement — atomic on its own, in the caller's transaction or as its own. With an idempotency
 * key, a second start with the same input returns the first instance (`created: false`); with a
 * different input it is refused (422).
 *
 * One statement rather than a transaction of four: BEGIN, INSERT, send, NOTIFY and COMMIT were five
 * round trips on the start path of every request and child workflow (the idle start → completed
 * latency of bench compare).
 */
export async function startInstance(sql: Sql, req: StartRequest): Promise<{ instance: InstanceRow; created: boolean }> {
  const id = req.id ?? uuidv7();
  // A start with a status of its own (queued, delayed) waits for whoever admits it: no message yet.
  const send = !req.status;
  const message: RunnerMessage = { instance: id, kind: 'start', target: id };
  // A start message's priority 1–9 rides in the `priority` header that `weir.read` orders by.
  const headers = req.priority && req.priority > 0 ? { priority: req.priority } : null;
  const rows = await sql.unsafe<Raw & { sent: number }>(
    startText(req.queue),
    [
      id, req.namespace, req.workflowName, req.workflowVersion, req.status ?? 'pending', json(req.input),
      req.idempotencyKey ?? null, req.queue, req.parent?.id ?? null, req.parent?.wait ?? null,
      req.callback ? json(req.callback) : null, req.priority ?? 0, req.correlation === undefined ? null : json(req.correlation),
      req.slotScope ?? null, req.debounceKey ?? null, send, json(message), json(headers), WAKE_CHANNEL,
    ],
    { prepare: true },
  );
  if (rows[0]) return { instance: toInstance(rows[0]), created: true };
  const [existing] = await sql<Raw & { same: boolean }>`
    SELECT *, input = ${json(req.input)}::jsonb AS same FROM weir.instances
    WHERE namespace = ${req.namespace} AND workflow_name = ${req.workflowName} AND idempotency_key = ${req.idempotencyKey ?? null}`;
  if (!existing.same) {
    throw new WeirError(
      'unprocessable',
      `idempotency key "${req.idempotencyKey}" was already used to start instance ${existing.id} with a different input`,
      { errors: [{ pointer: '/headers/idempotency-key', message: 'already used with a different input' }] },
    );
  }
  return { instance: toInstance(existing), created: false };
}

export async function getInstance(sql: Sql, id: string): Promise<InstanceRow | undefined> {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) return undefined;
  const [r] = await sql<Raw>`SELECT * FROM weir.instances WHERE id = ${id}::uuid`;
  return r ? toInstance(r) : undefined;
}

export interface HistoryRow {
  seq: number;
  at: Date;
  kind: string;
  taskRef: string | null;
  data: unknown;
}

/** An entry packed into a row's `earlier` (schema.ts `history`). */
type PackedEntry = { at: number; kind: string; ref?: string; data?: unknown };

/**
 * The entries after `afterSeq`, oldest first, at most `limit`: rows expanded into their entries
 * (a row is entry `seq` and, before it, the `earlier` ones its checkpoint wrote). Every row past
 * `afterSeq` holds at least one entry past it, so `limit` rows hold enough.
 */
export async function getHistory(sql: Sql, instanceId: string, options: { afterSeq?: number; limit?: number } = {}): Promise<HistoryRow[]> {
  const after = options.afterSeq ?? -1;
  const limit = options.limit ?? 1000;
  const rows = await sql<{ seq: number; at: Date; kind: string; task_ref: string | null; data: unknown; earlier: PackedEntry[] | null }>`
    SELECT seq, at, kind, task_ref, data, earlier FROM weir.history
    WHERE instance_id = ${instanceId}::uuid AND seq > ${after}
    ORDER BY seq LIMIT ${limit}`;
  const out: HistoryRow[] = [];
  for (const r of rows) {
    const earlier = r.earlier ?? [];
    earlier.forEach((e, k) => {
      const seq = r.seq - earlier.length + k;
      if (seq > after) out.push({ seq, at: new Date(e.at), kind: e.kind, taskRef: e.ref ?? null, data: e.data ?? null });
    });
    out.push({ seq: r.seq, at: new Date(r.at), kind: r.kind, taskRef: r.task_ref, data: r.data ?? null });
  }
  return out.slice(0, limit);
}

export interface InstanceFilter {
  namespaces?: readonly string[];
  workflowName?: string;
  statuses?: readonly InstanceStatus[];
  createdAfter?: Date;
  createdBefore?: Date;
}

/** Newest first; `before` is the cursor (the last id of the previous page: ids are time-ordered). */
export async function listInstances(sql: Sql, filter: InstanceFilter, page: { limit: number; before?: string }): Promise<InstanceRow[]> {
  const rows = await sql<Raw>`
    SELECT * FROM weir.instances
    WHERE (${json(filter.namespaces ?? null)}::jsonb IS NULL OR namespace IN (SELECT jsonb_array_elements_text(${json(filter.namespaces ?? null)}::jsonb)))
      AND (${filter.workflowName ?? null}::text IS NULL OR workflow_name = ${filter.workflowName ?? null})
      AND (${json(filter.statuses ?? null)}::jsonb IS NULL OR status IN (SELECT jsonb_array_elements_text(${json(filter.statuses ?? null)}::jsonb)))
      AND (${filter.createdAfter ?? null}::timestamptz IS NULL OR created_at >= ${filter.createdAfter ?? null}::timestamptz)
      AND (${filter.createdBefore ?? null}::timestamptz IS NULL OR created_at < ${filter.createdBefore ?? null}::timestamptz)
      AND (${page.before ?? null}::uuid IS NULL OR id < ${page.before ?? null}::uuid)
    ORDER BY id DESC LIMIT ${page.limit}`;
  return rows.map(toInstance);
}
