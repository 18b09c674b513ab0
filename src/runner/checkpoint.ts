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
import { pgmq, queueTable } from '../store/queries/pgmq.ts';
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

/** An entry's `data` column: its task, branch and replica beside its own data (null for a bare entry). */
function entryData(e: HistoryEntry): Record<string, unknown> | null {
  if (e.task === undefined && e.data === undefined && e.branch === undefined) return null;
  const d: Record<string, unknown> = {};
  if (e.task != null) d.task = e.task;
  if (e.branch != null) d.branch = e.branch;
  if (e.worker != null) d.worker = e.worker;
  if (e.data != null) d.data = e.data;
  return d;
}

/**
 * The history rows of one checkpoint (`i`): one row holding all its entries (schema.ts `history`:
 * the last in the columns, the others in `earlier`), and, when only some entries are workflow-level
 * (started, completed, faulted, …), the row of those alone (`full` = how many the first holds),
 * written instead when the first would take the instance past the history cap: a runaway loop
 * cannot grow the timeline without bound, and its end is still recorded.
 */
export interface HistoryPack {
  i: number;
  n: number;
  full: number | null;
  all: boolean;
  at: number;
  kind: string;
  ref: string | null;
  data: Record<string, unknown> | null;
  earlier: { at: number; kind: string; ref?: string; data?: Record<string, unknown> }[] | null;
}

export function packHistory(i: number, entries: readonly HistoryEntry[]): HistoryPack[] {
  if (!entries.length) return [];
  const pack = (list: readonly HistoryEntry[], full: number | null, all: boolean): HistoryPack => {
    const last = list[list.length - 1];
    const earlier = list.slice(0, -1).map((e) => {
      const data = entryData(e);
      return { at: e.at, kind: e.kind, ...(e.ref !== undefined ? { ref: e.ref } : {}), ...(data ? { data } : {}) };
    });
    return { i, n: list.length, full, all, at: last.at, kind: last.kind, ref: last.ref ?? null, data: entryData(last), earlier: earlier.length ? earlier : null };
  };
  const workflowLevel = entries.filter((e) => e.kind.startsWith('workflow'));
  if (workflowLevel.length === entries.length) return [pack(entries, null, true)];
  return workflowLevel.length ? [pack(entries, null, false), pack(workflowLevel, entries.length, true)] : [pack(entries, null, false)];
}

/**
 * The INSERT of `packHistory` rows (`packs`) against `hs` — (i, id, mx): each checkpoint's instance
 * and its last seq. Keeps a checkpoint's whole row while it stays within `cap` (or holds only
 * workflow-level entries), else its workflow-level row.
 */
const historyInsert = (packs: string, cap: string) => `
      INSERT INTO weir.history (instance_id, seq, at, kind, task_ref, data, earlier)
      SELECT hs.id, hs.mx + p.n, to_timestamp(p.at / 1000), p.kind, p.ref, p.data, p.earlier
      FROM jsonb_to_recordset(${packs}::jsonb)
        AS p(i int, n int, "full" int, "all" boolean, at float8, kind text, ref text, data jsonb, earlier jsonb)
      JOIN hs ON hs.i = p.i
      WHERE CASE WHEN p."full" IS NULL THEN p."all" OR hs.mx + p.n <= ${cap}::bigint ELSE hs.mx + p."full" > ${cap}::bigint END`;

/** Appends one checkpoint's history after its instance's last `seq`, as `packHistory` rows. */
async function insertHistory(tx: Sql, instance: string, entries: readonly HistoryEntry[], cap = Number.MAX_SAFE_INTEGER): Promise<void> {
  await tx.unsafe(
    `WITH hs AS (SELECT 0 AS i, $1::uuid AS id, coalesce((SELECT max(seq) FROM weir.history WHERE instance_id = $1::uuid), 0) AS mx)
     ${historyInsert('$2', '$3')}`,
    [instance, json(packHistory(0, entries)), cap],
    { prepare: true },
  );
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
  if (cp.history.length) await insertHistory(tx, cp.instanceId, cp.history, cp.historyCap);
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
export function isSimple(cp: Checkpoint): boolean {
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
 * The consumed messages' DELETE of writeSimpleCheckpoints ($8: `{ i, queue, id }` rows). When they
 * are all of one queue (a group read from one queue: the usual case), a DELETE written against
 * that queue's table; `pgmq.delete`'s `EXECUTE format(…)` parsed and planned its DELETE on every
 * call — 0.22 of the 0.55 ms a one-instance checkpoint took (auto_explain, idle start →
 * completed). Else `pgmq.delete` per queue.
 */
/** $8 of writeSimpleCheckpoints as rows: the messages its checkpoints consume. */
const CONSUMED = 'jsonb_to_recordset($8::jsonb) AS m(i int, queue text, id bigint)';

const consumedDelete = (queue: string | null) =>
  queue === null
    ? `
    dm AS (
      SELECT count(*) AS n
      FROM (SELECT m.queue, array_agg(m.id) AS ids
            FROM ${CONSUMED}
            JOIN u ON u.i = m.i GROUP BY m.queue) q,
      LATERAL pgmq.delete(q.queue, q.ids) d)`
    : `
    dm AS (
      DELETE FROM ${queueTable(queue)}
      WHERE msg_id = ANY(ARRAY(SELECT m.id FROM ${CONSUMED} JOIN u ON u.i = m.i))
      RETURNING 1)`;

/**
 * writeSimpleCheckpoints' statement (fixed text per queue, prepared): $1 rows, $2 their ids, $3
 * history packs, $4 history cap, $5 timers armed, $6 timers cancelled, $7 the wake channel, $8
 * messages consumed — all of `queue`'s, or of any queues when `queue` is null (consumedDelete).
 */
function simpleCheckpointText(queue: string | null, claim = false): string {
  if (claim && queue === null) throw new Error('a claimed checkpoint consumes a message of one queue');
  const key = `${claim ? 'claim:' : ''}${queue ?? ''}`;
  let text = simpleTexts.get(key);
  if (text) return text;
  text = `
    WITH c AS (SELECT weir.now() AS now),${
      claim
        ? `
    -- Claimed at commit (writeClaimedCheckpoint): the consumed messages still visible — nobody
    -- read them, or their lease ran out — and not being claimed now (SKIP LOCKED: never waits).
    cl AS (
      SELECT msg_id FROM ${queueTable(queue as string)}
      WHERE msg_id = ANY(ARRAY(SELECT m.id FROM ${CONSUMED})) AND vt <= clock_timestamp()
      FOR UPDATE SKIP LOCKED),`
        : ''
    }
    u AS (
      UPDATE weir.instances t SET
        state = x.state, output = x.output, error = x.error, pending = x.pending,
        status = CASE WHEN t.status = 'suspended' AND NOT x.terminal THEN 'suspended' ELSE x.status END,
        version = t.version + 1, updated_at = c.now, started_at = coalesce(t.started_at, c.now),
        ended_at = CASE WHEN x.terminal THEN c.now ELSE NULL END
      FROM jsonb_to_recordset($1::jsonb)
        AS x(i int, id uuid, expected int, state jsonb, status text, output jsonb, error jsonb, pending jsonb, terminal boolean, outcome jsonb),
        c
      -- The id list makes the rows an index lookup whatever the planner guesses of the
      -- recordset (it assumed 100 rows and, on a table of 5,000, scanned it whole for 250).
      WHERE t.id = ANY(ARRAY(SELECT jsonb_array_elements_text($2::jsonb)::uuid))
        AND t.id = x.id AND t.version = x.expected${
          claim ? `
        -- Only a start not yet begun, nor suspended or cancelled meanwhile, whose message this claims.
        AND t.status = 'pending' AND x.i IN (SELECT m.i FROM ${CONSUMED} JOIN cl ON cl.msg_id = m.id)` : ''
        }
      RETURNING x.i, t.id, t.queue, t.parent_id, t.parent_wait, t.callback IS NOT NULL AS has_callback, x.terminal, x.outcome, c.now),
    -- The last seq once per instance; OFFSET 0 keeps the planner from pulling the lookup up
    -- into the insert's rows.
    hs AS (SELECT u.i, u.id, coalesce((SELECT max(seq) FROM weir.history WHERE instance_id = u.id), 0) AS mx FROM u OFFSET 0),
    h AS (${historyInsert('$3', '$4')}),
    -- An ended instance's timers go and its completion callback is armed (callbacks.ts
    -- armCallbacks). The DELETE leaves 'callback:1' alone: sub-statements run in no set order, so
    -- it could otherwise remove the row the INSERT kept (DO NOTHING) or find nothing to delete.
    dt AS (DELETE FROM weir.timers WHERE instance_id IN (SELECT id FROM u WHERE terminal) AND id <> 'callback:1'),
    ta AS (
      INSERT INTO weir.timers (id, instance_id, queue, due_at, message)
      SELECT x.id, u.id, x.queue, to_timestamp(x.due / 1000), x.message
      FROM jsonb_to_recordset($5::jsonb) AS x(i int, id text, queue text, due float8, message jsonb)
      JOIN u ON u.i = x.i AND NOT u.terminal
      ON CONFLICT (instance_id, id) DO UPDATE SET due_at = EXCLUDED.due_at, message = EXCLUDED.message),
    tc AS (
      DELETE FROM weir.timers d
      USING jsonb_to_recordset($6::jsonb) AS x(i int, id text), u
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
             pg_notify($7::text, p.queue)
      FROM u JOIN weir.instances p ON p.id = u.parent_id
      WHERE u.terminal AND u.parent_wait IS NOT NULL),
    ${consumedDelete(queue)}
    -- dm and tp are read here so they run (a CTE without INSERT/UPDATE/DELETE runs only if read).
    SELECT u.i, u.id, u.now, (SELECT count(*) FROM dm) AS deleted, (SELECT count(*) FROM tp) AS told FROM u`;
  // Bounded: one text per queue this replica serves (and its claimed one), and the mixed one.
  if (simpleTexts.size < 1000) simpleTexts.set(key, text);
  return text;
}
const simpleTexts = new Map<string, string>();

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
export async function writeSimpleCheckpoints(tx: Sql, cps: readonly Checkpoint[], claim = false): Promise<{ ok: boolean[]; now?: number }> {
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
  const history = cps.flatMap((cp, i) => packHistory(i, cp.history));
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
  const queues = new Set(consumed.map((m) => m.queue));
  const updated = await tx.unsafe<{ i: number; id: string; now: Date }>(
    simpleCheckpointText(queues.size === 1 ? [...queues][0] : null, claim),
    [json(rows), json(rows.map((r) => r.id)), json(history), cap, json(timers), json(cancels), WAKE_CHANNEL, json(consumed)],
    { prepare: true },
  );
  const ok = cps.map(() => false);
  for (const u of updated) ok[u.i] = true;
  return { ok, ...(updated[0] ? { now: new Date(updated[0].now).getTime() } : {}) };
}

/**
 * Writes a start's first checkpoint (`cp`: simple, consuming the start message) from an
 * activation that did not read its message first (runner/eager.ts): it applies only if, at commit,
 * the message is still visible and unclaimed — it claims it by consuming it — and the instance is
 * still `pending` at version 0. Otherwise it writes nothing and returns false: another replica has
 * the message (or had it), or the instance was cancelled or suspended since; the message stays
 * where it is for the usual read. One statement, so one round trip and no transaction around it.
 */
export async function writeClaimedCheckpoint(sql: Sql, cp: Checkpoint): Promise<boolean> {
  if (!isSimple(cp) || !cp.consume || cp.consume.more?.length || cp.expectedVersion !== 0) {
    throw new Error('a claimed checkpoint is a simple first checkpoint consuming one message');
  }
  const r = await writeSimpleCheckpoints(sql, [cp], true);
  return r.ok[0];
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
