/**
 * Checkpoints: everything one activation step changes, committed in ONE transaction — the instance
 * row (state, status, version bump by compare-and-set), history rows, timers armed and cancelled,
 * subscriptions, events emitted (and delivered to waiting subscriptions), child instances started,
 * messages sent, and the consumed message deleted. A checkpoint whose expected version is no longer
 * current is a conflict: nothing of it is written and the caller lets its message come back.
 *
 * `CheckpointWriter` group-commits the checkpoints submitted while a transaction is in flight:
 * one transaction (one WAL flush) for many activations — the throughput lever of DESIGN §5.
 */
import type { CloudEvent, Effect, HistoryEntry, InstanceState, WorkflowError } from '../engine/types.ts';
import { startWorkflow } from './flow.ts';
import { json, type Sql } from '../store/sql.ts';
import { pgmq } from '../store/queries/pgmq.ts';
import { type InstanceStatus, type RunnerMessage, type StartRequest } from '../store/queries/instances.ts';
import { deliverBacklog, deliverEvents } from './events.ts';
import { notifyWork, WAKE_CHANNEL } from '../store/notify.ts';
import { armCallbacks } from './callbacks.ts';

export type HttpEffect = Extract<Effect, { kind: 'http' }>;

export interface Checkpoint {
  instanceId: string;
  expectedVersion: number;
  state: InstanceState;
  status: InstanceStatus;
  output?: unknown;
  error?: WorkflowError;
  /** I/O started and not yet fed back; null clears. */
  pending: HttpEffect[] | null;
  history: HistoryEntry[];
  timers: { id: string; dueAt: number; queue: string; message: RunnerMessage }[];
  cancelTimers: string[];
  subscriptions: { id: string; taskRef: string; filters: unknown }[];
  /** History rows kept per instance beyond which only workflow-level entries are added (WEIR_MAX_HISTORY). */
  historyCap?: number;
  /** Seconds of stored events a new subscription also receives (WEIR_EVENT_WINDOW). */
  eventWindowSeconds?: number;
  unsubscribe: string[];
  emits: CloudEvent[];
  children: StartRequest[];
  cancelChildren: string[];
  /** Messages for the instance's own queue (a `branch` message per lane handed to other replicas). */
  send?: RunnerMessage[];
  /** Set by the write: the ids `send`'s messages got (a group retried one by one sets it again). */
  sent?: number[];
  /** Whether the instance ended: its parent (if any) hears of it in the same transaction. */
  ended: boolean;
  /** The message this activation consumed (and `more` it served with it); deleted only by the final checkpoint. */
  consume?: { queue: string; msgId: number; more?: number[] };
}

export type CheckpointResult = { ok: true; now: number } | { ok: false; reason: 'conflict' };

/**
 * Appends history rows after each instance's last `seq`. Past `cap` rows an instance keeps only its
 * workflow-level entries (started, completed, faulted, …): a runaway loop cannot grow the timeline
 * without bound, and its end is still recorded.
 */
async function insertHistory(tx: Sql, rows: { instance: string; e: HistoryEntry }[], cap = Number.MAX_SAFE_INTEGER): Promise<void> {
  await tx`
    INSERT INTO weir.history (instance_id, seq, at, kind, task_ref, data)
    SELECT instance, seq, at, kind, task_ref, data FROM (
      SELECT h.instance, coalesce(m.mx, 0) + row_number() OVER (PARTITION BY h.instance ORDER BY h.idx) AS seq,
             to_timestamp((h.e->>'at')::double precision / 1000) AS at, h.e->>'kind' AS kind, h.e->>'ref' AS task_ref,
             CASE WHEN h.e ? 'task' OR h.e ? 'data' OR h.e ? 'branch'
                  THEN jsonb_strip_nulls(jsonb_build_object('task', h.e->'task', 'branch', h.e->'branch', 'worker', h.e->'worker', 'data', h.e->'data'))
                  ELSE NULL END AS data
      FROM (SELECT (r->>'instance')::uuid AS instance, r->'e' AS e, idx
            FROM jsonb_array_elements(${json(rows)}::jsonb) WITH ORDINALITY AS t(r, idx)) h
      LEFT JOIN LATERAL (SELECT max(seq) AS mx FROM weir.history WHERE instance_id = h.instance) m ON true
    ) x
    WHERE x.seq <= ${cap} OR x.kind LIKE 'workflow%'`;
}

/** A child that ended wakes its parent's wait with its outcome (a `child-done` message), in the same transaction. */
async function tellParent(tx: Sql, cp: Checkpoint, parentId: string | null, parentWait: string | null): Promise<void> {
  if (!parentId || !parentWait) return;
  const [parent] = await tx<{ queue: string }>`SELECT queue FROM weir.instances WHERE id = ${parentId}::uuid`;
  if (!parent) return;
  const outcome = { status: cp.status, ...(cp.output === undefined ? {} : { output: cp.output }), ...(cp.error ? { error: cp.error } : {}) };
  await pgmq.send(tx, parent.queue, { instance: parentId, kind: 'child-done', target: parentWait, outcome } satisfies RunnerMessage);
  await notifyWork(tx, parent.queue);
}

/** Writes one checkpoint inside `tx`. Returns false (writing nothing) on a version conflict. */
export async function writeCheckpoint(tx: Sql, cp: Checkpoint): Promise<boolean> {
  const terminal = cp.status === 'completed' || cp.status === 'faulted' || cp.status === 'cancelled';
  const updated = await tx<{ parent_id: string | null; parent_wait: string | null; queue: string; namespace: string }>`
    UPDATE weir.instances SET
      state = ${json(cp.state)}::jsonb,
      -- A suspension set while this activation ran holds until resume (or the instance ends).
      status = CASE WHEN status = 'suspended' AND NOT ${terminal}::boolean THEN 'suspended' ELSE ${cp.status} END,
      output = ${cp.output === undefined ? null : json(cp.output)}::jsonb,
      error = ${cp.error === undefined ? null : json(cp.error)}::jsonb,
      pending = ${cp.pending && cp.pending.length ? json(cp.pending) : null}::jsonb,
      version = version + 1,
      updated_at = weir.now(),
      started_at = coalesce(started_at, weir.now()),
      ended_at = CASE WHEN ${terminal}::boolean THEN weir.now() ELSE NULL END
    WHERE id = ${cp.instanceId}::uuid AND version = ${cp.expectedVersion}
    RETURNING parent_id, parent_wait, queue, namespace`;
  if (updated.length === 0) return false;
  const row = updated[0];
  if (cp.history.length) await insertHistory(tx, cp.history.map((e) => ({ instance: cp.instanceId, e })), cp.historyCap);
  if (cp.cancelTimers.length) {
    await tx`DELETE FROM weir.timers WHERE instance_id = ${cp.instanceId}::uuid
             AND id IN (SELECT jsonb_array_elements_text(${json(cp.cancelTimers)}::jsonb))`;
  }
  if (terminal) {
    await tx`DELETE FROM weir.timers WHERE instance_id = ${cp.instanceId}::uuid`;
    await armCallbacks(tx, [cp.instanceId]);
  }
  if (cp.timers.length && !terminal) {
    await tx`
      INSERT INTO weir.timers (id, instance_id, queue, due_at, message)
      SELECT t->>'id', ${cp.instanceId}::uuid, t->>'queue', to_timestamp((t->>'dueAt')::double precision / 1000), t->'message'
      FROM jsonb_array_elements(${json(cp.timers)}::jsonb) AS t
      ON CONFLICT (instance_id, id) DO UPDATE SET due_at = EXCLUDED.due_at, message = EXCLUDED.message`;
  }
  if (cp.unsubscribe.length || terminal) {
    await tx`DELETE FROM weir.subscriptions WHERE instance_id = ${cp.instanceId}::uuid
             AND (${terminal}::boolean OR id IN (SELECT jsonb_array_elements_text(${json(cp.unsubscribe)}::jsonb)))`;
  }
  if (cp.subscriptions.length && !terminal) {
    await tx`
      INSERT INTO weir.subscriptions (id, instance_id, task_ref, filters)
      SELECT s->>'id', ${cp.instanceId}::uuid, s->>'taskRef', s->'filters'
      FROM jsonb_array_elements(${json(cp.subscriptions)}::jsonb) AS s
      ON CONFLICT (instance_id, id) DO NOTHING`;
    await deliverBacklog(tx, cp.instanceId, row.queue, row.namespace, cp.subscriptions, cp.eventWindowSeconds ?? 0);
  }
  for (const child of cp.children) await startWorkflow(tx, child);
  if (cp.cancelChildren.length) {
    const kids = await tx<{ id: string; queue: string; parent_wait: string }>`
      SELECT id, queue, parent_wait FROM weir.instances
      WHERE parent_id = ${cp.instanceId}::uuid AND parent_wait IN (SELECT jsonb_array_elements_text(${json(cp.cancelChildren)}::jsonb))
        AND status NOT IN ('completed', 'faulted', 'cancelled')`;
    for (const k of kids) {
      await pgmq.send(tx, k.queue, { instance: k.id, kind: 'cancel', target: k.id, reason: 'parent cancelled it' } satisfies RunnerMessage);
    }
  }
  // A workflow's events stay in its namespace (API-published ones reach every namespace).
  if (cp.emits.length) await deliverEvents(tx, cp.emits, { namespace: row.namespace });
  if (cp.ended) await tellParent(tx, cp, row.parent_id, row.parent_wait);
  if (cp.send?.length) {
    cp.sent = [];
    for (const m of cp.send) cp.sent.push(await pgmq.send(tx, row.queue, m));
    await notifyWork(tx, row.queue);
  }
  if (cp.consume?.more?.length) await pgmq.deleteBatch(tx, cp.consume.queue, consumedIds(cp.consume));
  else if (cp.consume) await pgmq.delete(tx, cp.consume.queue, cp.consume.msgId);
  return true;
}

function consumedIds(c: NonNullable<Checkpoint['consume']>): number[] {
  return [c.msgId, ...(c.more ?? [])];
}

/**
 * State, history, timers and the consumed message only (a `wait`, a retry back-off, a timeout
 * armed or cancelled): many of these are written with one statement.
 */
function isSimple(cp: Checkpoint): boolean {
  return (
    cp.subscriptions.length === 0 &&
    cp.unsubscribe.length === 0 &&
    cp.emits.length === 0 &&
    cp.children.length === 0 &&
    cp.cancelChildren.length === 0 &&
    !cp.send?.length
  );
}

/**
 * Writes simple checkpoints in bulk, in one statement: the UPDATE (compare-and-set on each
 * version), the history INSERT, the timers armed and cancelled, the cleanup of ended instances,
 * their completion callbacks and their parents' `child-done` messages, and the consumed messages'
 * DELETE. Being one statement it is one transaction even outside `begin` (the writer sends it
 * alone): one round trip for the whole group however many checkpoints it holds, which is what
 * keeps a group's transaction short on a slow link (a statement per checkpoint made a group of
 * 64 waits take 64 × 4 round trips, longer than the visibility timeout at 40 ms a round trip).
 * Returns which checkpoints applied (by index) and the clock.
 */
export async function writeSimpleCheckpoints(tx: Sql, cps: readonly Checkpoint[]): Promise<{ ok: boolean[]; now?: number }> {
  const rows = cps.map((cp, i) => ({
    i,
    id: cp.instanceId,
    expected: cp.expectedVersion,
    state: cp.state,
    status: cp.status,
    output: cp.output === undefined ? null : cp.output,
    error: cp.error ?? null,
    pending: cp.pending && cp.pending.length ? cp.pending : null,
    terminal: cp.status === 'completed' || cp.status === 'faulted' || cp.status === 'cancelled',
    // What a parent waiting on this instance hears when it ended (as tellParent sends it).
    outcome: cp.ended ? { status: cp.status, ...(cp.output === undefined ? {} : { output: cp.output }), ...(cp.error ? { error: cp.error } : {}) } : null,
  }));
  const history = cps.flatMap((cp, i) => cp.history.map((e) => ({ i, instance: cp.instanceId, e })));
  const consumed = cps.flatMap((cp, i) => (cp.consume ? consumedIds(cp.consume).map((id) => ({ i, queue: cp.consume!.queue, id })) : []));
  // Timers of instances that did not end (an ended one loses them all, below). A timer both
  // cancelled and armed again is only armed (its row updated): as writeCheckpoint's DELETE then
  // INSERT, without two sub-statements touching one row.
  const timers = cps.flatMap((cp, i) => cp.timers.map((t) => ({ i, id: t.id, queue: t.queue, due: t.dueAt, message: t.message })));
  const cancels = cps.flatMap((cp, i) => {
    const armed = new Set(cp.timers.map((t) => t.id));
    return cp.cancelTimers.filter((id) => !armed.has(id)).map((id) => ({ i, id }));
  });
  const cap = cps[0]?.historyCap ?? Number.MAX_SAFE_INTEGER;
  // One statement for the whole group: the compare-and-set UPDATE, the history of the rows it
  // applied, the timers and subscriptions of those that ended, and their consumed messages. The
  // clock is read once (not per row) and returned: the writer hands it to the activations as their
  // new `now` without another round trip.
  const updated = await tx<{ i: number; id: string; now: Date }>`
    WITH c AS (SELECT weir.now() AS now),
    u AS (
      UPDATE weir.instances t SET
        state = x.state, output = x.output, error = x.error, pending = x.pending,
        status = CASE WHEN t.status = 'suspended' AND NOT x.terminal THEN 'suspended' ELSE x.status END,
        version = t.version + 1, updated_at = c.now, started_at = coalesce(t.started_at, c.now),
        ended_at = CASE WHEN x.terminal THEN c.now ELSE NULL END
      FROM jsonb_to_recordset(${json(rows)}::jsonb)
        AS x(i int, id uuid, expected int, state jsonb, status text, output jsonb, error jsonb, pending jsonb, terminal boolean, outcome jsonb),
        c
      -- The id list makes the rows an index lookup whatever the planner guesses of the
      -- recordset (it assumed 100 rows and, on a table of 5,000, scanned it whole for 250).
      WHERE t.id = ANY(ARRAY(SELECT jsonb_array_elements_text(${json(rows.map((r) => r.id))}::jsonb)::uuid))
        AND t.id = x.id AND t.version = x.expected
      RETURNING x.i, t.id, t.queue, t.parent_id, t.parent_wait, t.callback IS NOT NULL AS has_callback, x.terminal, x.outcome, c.now),
    h AS (
      INSERT INTO weir.history (instance_id, seq, at, kind, task_ref, data)
      SELECT instance, seq, at, kind, task_ref, data FROM (
        SELECT h.instance, coalesce(m.mx, 0) + row_number() OVER (PARTITION BY h.instance ORDER BY h.idx) AS seq,
               to_timestamp((h.e->>'at')::double precision / 1000) AS at, h.e->>'kind' AS kind, h.e->>'ref' AS task_ref,
               CASE WHEN h.e ? 'task' OR h.e ? 'data' OR h.e ? 'branch'
                    THEN jsonb_strip_nulls(jsonb_build_object('task', h.e->'task', 'branch', h.e->'branch', 'worker', h.e->'worker', 'data', h.e->'data'))
                    ELSE NULL END AS data
        FROM (SELECT (r->>'i')::int AS i, (r->>'instance')::uuid AS instance, r->'e' AS e, idx
              FROM jsonb_array_elements(${json(history)}::jsonb) WITH ORDINALITY AS t(r, idx)) h
        -- The last seq once per instance, not once per entry (a one-task workflow writes 4);
        -- OFFSET 0 keeps the planner from pulling the lookup up into the join's output rows.
        JOIN (SELECT u.i, (SELECT max(seq) FROM weir.history WHERE instance_id = u.id) AS mx FROM u OFFSET 0) m ON m.i = h.i
      ) y
      WHERE y.seq <= ${cap} OR y.kind LIKE 'workflow%'),
    -- An ended instance's timers go and its completion callback is armed (callbacks.ts
    -- armCallbacks). The DELETE leaves 'callback:1' alone: sub-statements run in no set order, so
    -- it could otherwise remove the row the INSERT kept (DO NOTHING) or find nothing to delete.
    dt AS (DELETE FROM weir.timers WHERE instance_id IN (SELECT id FROM u WHERE terminal) AND id <> 'callback:1'),
    ta AS (
      INSERT INTO weir.timers (id, instance_id, queue, due_at, message)
      SELECT x.id, u.id, x.queue, to_timestamp(x.due / 1000), x.message
      FROM jsonb_to_recordset(${json(timers)}::jsonb) AS x(i int, id text, queue text, due float8, message jsonb)
      JOIN u ON u.i = x.i AND NOT u.terminal
      ON CONFLICT (instance_id, id) DO UPDATE SET due_at = EXCLUDED.due_at, message = EXCLUDED.message),
    tc AS (
      DELETE FROM weir.timers d
      USING jsonb_to_recordset(${json(cancels)}::jsonb) AS x(i int, id text), u
      WHERE u.i = x.i AND NOT u.terminal AND d.instance_id = u.id AND d.id = x.id),
    cb AS (
      INSERT INTO weir.timers (id, instance_id, queue, due_at, message)
      SELECT 'callback:1', u.id, u.queue, u.now, jsonb_build_object('instance', u.id, 'kind', 'callback', 'target', 'callback:1', 'attempt', 1)
      FROM u WHERE u.terminal AND u.has_callback
      ON CONFLICT (instance_id, id) DO NOTHING),
    ds AS (DELETE FROM weir.subscriptions WHERE instance_id IN (SELECT id FROM u WHERE terminal)),
    -- A child that ended wakes its parent's wait with its outcome (tellParent), with a NOTIFY.
    tp AS (
      SELECT pgmq.send(p.queue, jsonb_build_object('instance', p.id, 'kind', 'child-done', 'target', u.parent_wait, 'outcome', u.outcome), 0),
             pg_notify(${WAKE_CHANNEL}::text, p.queue)
      FROM u JOIN weir.instances p ON p.id = u.parent_id
      WHERE u.terminal AND u.parent_wait IS NOT NULL),
    dm AS (
      SELECT count(*) AS n
      FROM (SELECT m.queue, array_agg(m.id) AS ids
            FROM jsonb_to_recordset(${json(consumed)}::jsonb) AS m(i int, queue text, id bigint)
            JOIN u ON u.i = m.i GROUP BY m.queue) q,
      LATERAL pgmq.delete(q.queue, q.ids) d)
    -- dm and tp are read here so they run (a CTE without INSERT/UPDATE/DELETE runs only if read).
    SELECT u.i, u.id, u.now, (SELECT n FROM dm) AS deleted, (SELECT count(*) FROM tp) AS told FROM u`;
  const ok = cps.map(() => false);
  for (const u of updated) ok[u.i] = true;
  return { ok, ...(updated[0] ? { now: new Date(updated[0].now).getTime() } : {}) };
}

/** A macrotask as soon as the event loop allows: setImmediate where the runtime has it (Node, Bun, Deno). */
const nextTurn: (fn: () => void) => void =
  typeof (globalThis as { setImmediate?: unknown }).setImmediate === 'function'
    ? (fn) => (globalThis as unknown as { setImmediate(f: () => void): void }).setImmediate(fn)
    : (fn) => setTimeout(fn, 0);

interface Queued {
  cp: Checkpoint;
  resolve(r: CheckpointResult): void;
  reject(e: unknown): void;
}

/**
 * Group commit: checkpoints submitted while a commit is in flight wait and go together in the
 * next transaction (up to `maxGroup`). A failing group is retried one checkpoint at a time, so
 * one bad checkpoint cannot fail its neighbours.
 */
export class CheckpointWriter {
  readonly #sql: Sql;
  readonly #maxGroup: number;
  #queue: Queued[] = [];
  #flushing = false;

  constructor(sql: Sql, options: { maxGroup?: number } = {}) {
    this.#sql = sql;
    this.#maxGroup = options.maxGroup ?? 64;
  }

  submit(cp: Checkpoint): Promise<CheckpointResult> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ cp, resolve, reject });
      if (!this.#flushing) void this.#flush();
    });
  }

  async #flush(): Promise<void> {
    this.#flushing = true;
    try {
      // Let activations finishing in the same turn of the event loop join this group. Not
      // setTimeout(0): Node makes that at least 1 ms, paid by every idle start → completed; the
      // checkpoints submitted while a commit is in flight join the next group anyway.
      await new Promise<void>((r) => nextTurn(r));
      while (this.#queue.length) {
        const group = this.#queue.splice(0, this.#maxGroup);
        await this.#commit(group);
      }
    } finally {
      this.#flushing = false;
    }
  }

  async #commit(group: Queued[]): Promise<void> {
    try {
      // Only simple checkpoints: their one statement is the whole transaction (no BEGIN/COMMIT).
      if (group.every((q) => isSimple(q.cp))) {
        const r = await writeSimpleCheckpoints(this.#sql, group.map((q) => q.cp));
        group.forEach((q, i) => q.resolve(r.ok[i] && r.now !== undefined ? { ok: true, now: r.now } : { ok: false, reason: 'conflict' }));
        return;
      }
      const results = await this.#sql.begin(async (tx) => {
        const out: boolean[] = new Array(group.length).fill(false);
        const simple = group.map((q, i) => ({ q, i })).filter(({ q }) => isSimple(q.cp));
        let now: number | undefined;
        if (simple.length) {
          const r = await writeSimpleCheckpoints(tx, simple.map(({ q }) => q.cp));
          simple.forEach(({ i }, k) => (out[i] = r.ok[k]));
          now = r.now;
        }
        const others = group.filter((q) => !isSimple(q.cp));
        for (let i = 0; i < group.length; i++) if (!isSimple(group[i].cp)) out[i] = await writeCheckpoint(tx, group[i].cp);
        // The clock the activations continue from: the simple write's, unless others came after it.
        if (now === undefined || others.length) {
          const [clock] = await tx<{ now: Date }>`SELECT weir.now() AS now`;
          now = new Date(clock.now).getTime();
        }
        return { out, now };
      });
      group.forEach((q, i) => q.resolve(results.out[i] ? { ok: true, now: results.now } : { ok: false, reason: 'conflict' }));
    } catch (error) {
      if (group.length === 1) {
        group[0].reject(error);
        return;
      }
      for (const q of group) await this.#commit([q]);
    }
  }
}
