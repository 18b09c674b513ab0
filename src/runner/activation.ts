/**
 * One activation = one message: load the instance, turn the message into a stimulus, run the
 * interpreter until it waits or ends, perform HTTP calls outside any transaction, feed results back,
 * and checkpoint after each round of I/O results and at the end. The message stays in its queue
 * (hidden, its lease extended) until the final checkpoint deletes it, so a replica dying anywhere
 * leaves it to come back: the next activation finds the saved state and the calls still pending,
 * and performs those again with the same Idempotency-Keys.
 */
import { advance, isStale } from '../engine/index.ts';
import { workflowError } from '../engine/errors.ts';
import type { Effect, EngineContext, HistoryEntry, InstanceState, Stimulus, Workflow, WorkflowError } from '../engine/types.ts';
import { performHttp, type HttpPerformerOptions } from '../effects/http.ts';
import type { Message } from '../store/queries/pgmq.ts';
import { pgmq } from '../store/queries/pgmq.ts';
import { terminalStatuses, type InstanceStatus, type RunnerMessage, type StartRequest } from '../store/queries/instances.ts';
import { getWorkflow } from '../store/queries/workflows.ts';
import { json, type Sql } from '../store/sql.ts';
import { writeCheckpoint, type Checkpoint, type CheckpointWriter, type HttpEffect } from './checkpoint.ts';
import type { DefinitionCache } from './definitions.ts';
import { newAccumulator, type ChildEffect } from './accumulator.ts';
import { assignLanes, laneOf, mergePending, owns, type PendingCall } from './lanes.ts';
import type { Secrets, SecretsProvider } from './secrets.ts';
import { deliverCallback } from './callbacks.ts';
import { admit } from './flow.ts';
import { WeirError } from '../errors.ts';
import { rateLimitedTotal } from './metrics.ts';
import { loadInstances } from './read.ts';

/** How far ahead a rate-limited call may reserve its token (beyond it: come back and try again). */
const MAX_RESERVATION_MS = 30_000;

/**
 * Takes one token per rate-limited call of a round, all or nothing (`weir.take_tokens`), except
 * for calls whose token this message already reserved. Returns 0 (go), or how long to wait and
 * whether the tokens are reserved for then.
 */
async function takeRateLimitTokens(sql: Sql, round: HttpEffect[], reserved: Set<string>): Promise<{ waitMs: number; reserved: boolean }> {
  const limited = round.filter((e) => e.rateLimit && !reserved.delete(e.id));
  if (!limited.length) return { waitMs: 0, reserved: false };
  const [r] = await sql<{ wait_ms: number; reserved: boolean }>`
    SELECT * FROM weir.take_tokens(
      ARRAY(SELECT jsonb_array_elements_text(${json(limited.map((e) => `task:${e.rateLimit!.key}`))}::jsonb)),
      ARRAY(SELECT (jsonb_array_elements_text(${json(limited.map((e) => e.rateLimit!.limit))}::jsonb))::float8),
      ARRAY(SELECT (jsonb_array_elements_text(${json(limited.map((e) => e.rateLimit!.periodMs))}::jsonb))::float8),
      ${MAX_RESERVATION_MS}::float8)`;
  return { waitMs: Number(r.wait_ms), reserved: r.reserved };
}

/** Metric label for a rate-limit key: bounded, so a per-tenant key cannot blow up the series count. */
const seenKeys = new Set<string>();
function metricKey(key: string): string {
  if (seenKeys.has(key)) return key;
  if (seenKeys.size >= 200) return 'other';
  seenKeys.add(key);
  return key;
}

export interface ActivationDeps {
  sql: Sql;
  writer: CheckpointWriter;
  definitions: DefinitionCache;
  http: HttpPerformerOptions;
  visibilityTimeoutSeconds: number;
  maxDeliveries: number;
  /** Largest instance state (JSON bytes) a checkpoint writes; past it the instance faults. */
  maxStateBytes?: number;
  /** History rows per instance past which only workflow-level entries are kept. */
  maxHistory?: number;
  eventWindowSeconds?: number;
  secrets?: SecretsProvider;
  /** Standard Webhooks secret (`whsec_…`) that signs completion callbacks. */
  callbackSecret?: string;
  runtime?: EngineContext['runtime'];
  /** This replica's id: stamped on fork-branch history (which replica ran which branch). */
  replicaId?: string;
  /** Reads back `branch` messages just sent, as many as the replica has free slots for. */
  claimBranches?: (queue: string, msgIds: readonly number[]) => Promise<Message<RunnerMessage>[]>;
  /** Told how long a rate-limited message was handed back for (the loop wakes up for it). */
  onDefer?: (delayMs: number) => void;
}

/** The interpreter's context for an instance at `now` (the database clock): activate and eager starts alike. */
export function engineContext(deps: Pick<ActivationDeps, 'runtime'>, instanceId: string, now: number, secrets: Secrets | undefined): EngineContext {
  return {
    now,
    instanceId,
    seed: instanceId,
    ...(secrets ? { secrets } : {}),
    ...(deps.runtime ? { runtime: deps.runtime } : {}),
  };
}

/** An activation's accumulator, with the runner's event window, history cap and replica id. */
export function accumulatorFor(deps: Pick<ActivationDeps, 'eventWindowSeconds' | 'maxHistory' | 'replicaId'>, secrets: Secrets | undefined) {
  return newAccumulator(deps.eventWindowSeconds ?? 0, secrets ?? {}, deps.maxHistory, deps.replicaId);
}

/** `limited`: a rate limit had no token; the message was handed back for later, uncounted. */
export type ActivationOutcome = 'done' | 'stale' | 'conflict' | 'dead' | 'parked' | 'limited';

export type Row = {
  id: string;
  namespace: string;
  workflow_name: string;
  workflow_version: string;
  status: InstanceStatus;
  input: unknown;
  state: InstanceState | null;
  version: number;
  pending: PendingCall[] | null;
  queue: string;
  correlation: { traceparent?: string } | null;
  now: Date;
};

const DEAD_QUEUE = 'weir_dead';

/** One instance's row, as `loadInstances` loads a batch's. */
const loadRow = async (sql: Sql, id: string): Promise<Row[]> => {
  const row = (await loadInstances(sql, [id])).get(id);
  return row ? [row] : [];
};

const ended = (status: InstanceStatus) => terminalStatuses.includes(status);

/**
 * How many times a checkpoint whose results are safe to re-apply is rebased onto a newer state
 * before the activation gives up and lets its message come back. Each conflict means another
 * activation of the instance committed (progress), so this bounds only a pathological pile-up —
 * a fork of many branches whose results all land at once on a few replicas.
 */
const MAX_REBASES = 100;

/**
 * Runs one message (and `extras`: `branch` messages of the same instance from the same batch,
 * whose lanes this activation performs too, so one replica runs a fork's branches concurrently).
 */
export async function activate(
  deps: ActivationDeps,
  queue: string,
  msg: Message<RunnerMessage>,
  prefetched?: Row | null,
  /** Grows with the branch messages this activation claims back (the caller releases them all). */
  extras: Message<RunnerMessage>[] = [],
): Promise<ActivationOutcome> {
  const body = msg.message;
  if (body?.kind === 'callback') return deliverCallback({ sql: deps.sql, http: deps.http, ...(deps.callbackSecret ? { secret: deps.callbackSecret } : {}) }, queue, msg);
  const all = [msg, ...extras];
  const consumeAll = () => pgmq.deleteBatch(deps.sql, queue, all.map((m) => m.msgId));
  const [row] =
    prefetched !== undefined ? (prefetched ? [prefetched] : []) : await loadRow(deps.sql, body?.instance ?? '');
  if (!row || ended(row.status)) {
    await consumeAll();
    return 'stale';
  }
  if (msg.readCt > deps.maxDeliveries) return moveToDead(deps, queue, msg, row);
  if (row.status === 'suspended' && body?.kind !== 'cancel') {
    for (const m of all) await park(deps.sql, queue, m, row);
    return 'parked';
  }
  // Waiting for a concurrency slot: only the promotion that gives it one may start it.
  if (row.status === 'queued' && body?.kind === 'start') {
    await pgmq.delete(deps.sql, queue, msg.msgId);
    return 'stale';
  }
  // A debounced start of a concurrency-limited workflow enters its scope now (runner/flow.ts).
  if (body?.kind === 'start' && body.flow === 'admit' && row.status === 'delayed' && !(await admit(deps.sql, row.id))) {
    await pgmq.delete(deps.sql, queue, msg.msgId);
    return 'parked';
  }

  // The database clock is the only clock: read at load, and again after each round of I/O.
  let now = new Date(row.now).getTime();
  const secrets = deps.secrets ? await deps.secrets.forNamespace(row.namespace) : undefined;
  const ctx = () => engineContext(deps, row.id, now, secrets);
  let workflow: Workflow | undefined;
  try {
    workflow = await deps.definitions.get(deps.sql, row.namespace, row.workflow_name, row.workflow_version);
  } catch (error) {
    // Only a stored definition that no longer validates is the workflow's fault; a database error
    // (too many clients, a dropped connection) is the runner's: the message comes back later.
    if (!(error instanceof WeirError)) throw error;
    return faultDirectly(deps, queue, msg, row, workflowError('configuration', (error as Error).message));
  }
  if (!workflow) {
    const ref = `${row.namespace}/${row.workflow_name}:${row.workflow_version}`;
    return faultDirectly(deps, queue, msg, row, workflowError('configuration', `workflow ${ref} is not registered`, { status: 404 }));
  }
  const wf = workflow;

  // The last committed state this activation builds on, and what it added since.
  let state: InstanceState | undefined = row.state ?? undefined;
  let version = row.version;
  let basePending: PendingCall[] = row.pending ?? [];
  let created: PendingCall[] = [];
  /** Results applied since the last checkpoint: re-applied to a newer state on a rebase. */
  let sinceBase: Stimulus[] = [];
  /** False while the message's own stimulus is unwritten: its effects cannot be rebased. */
  let rebaseSafe = true;
  let changed = false;
  const lane = laneOf(body);
  const lanes = new Set(all.map((m) => laneOf(m.message)));
  const acc = accumulatorFor(deps, secrets);
  // Rate-limit tokens this message reserved before it was handed back (used once).
  const reservations = new Set(Array.isArray(body?.rateReserved) ? (body.rateReserved as string[]) : []);

  const apply = (s: Stimulus) => {
    const r = advance(wf, state, s, ctx());
    state = r.state;
    changed = true;
    const assigned = assignLanes(acc.add(r.effects, r.history), lane, row.id);
    created = created.concat(assigned.calls);
    acc.send(assigned.messages);
  };
  /** This activation's calls still awaited: written ones of its lanes, and the ones it created. */
  const todo = () => mergePending(basePending, created, state).filter((c) => owns(lanes, c));
  const consume = (): Checkpoint['consume'] => ({ queue, msgId: msg.msgId, ...(extras.length ? { more: extras.map((m) => m.msgId) } : {}) });
  /** Branch messages just sent that this replica has room for join this activation at once. */
  const claimBack = async (sent: readonly number[] | undefined) => {
    if (!sent?.length || !deps.claimBranches) return;
    for (const m of await deps.claimBranches(queue, sent)) {
      extras.push(m);
      all.push(m);
      lanes.add(laneOf(m.message));
    }
  };

  /**
   * Commits what changed since the last checkpoint. On a conflict whose results are safe to
   * re-apply (they answer calls the database held before they were made), loads the newer state
   * and applies them again — without repeating the calls — instead of giving up.
   */
  const commit = async (final: boolean): Promise<'ok' | ActivationOutcome> => {
    for (let attempt = 0; ; attempt++) {
      if (!state) return 'stale';
      const kids = await resolveChildren(deps.sql, acc.childEffects, row.id, row.correlation?.traceparent);
      acc.childEffects = [];
      for (const missing of kids.missing) apply({ kind: 'childDone', id: missing.id, outcome: { status: 'faulted', error: missing.error } });
      acc.children = kids.requests;
      state = capState(state, deps.maxStateBytes, acc, now);
      const pending = mergePending(basePending, created, state);
      const cp = acc.checkpoint(row, state, version, pending, final ? consume() : undefined);
      const res = await deps.writer.submit(cp);
      if (res.ok) {
        if (!final) await claimBack(cp.sent);
        now = res.now;
        version++;
        basePending = pending;
        created = [];
        sinceBase = [];
        rebaseSafe = true;
        acc.reset();
        return 'ok';
      }
      if (!rebaseSafe || attempt >= MAX_REBASES) return 'conflict';
      const [fresh] = await loadRow(deps.sql, row.id);
      if (!fresh || ended(fresh.status)) {
        await consumeAll();
        return 'stale';
      }
      state = fresh.state ?? undefined;
      version = fresh.version;
      basePending = fresh.pending ?? [];
      now = new Date(fresh.now).getTime();
      created = [];
      acc.reset();
      const replay = sinceBase.filter((s) => !isStale(state, s));
      sinceBase = [];
      for (const s of replay) {
        apply(s);
        sinceBase.push(s);
      }
      // Nothing of ours is left to write: the newer state already moved past it.
      if (!sinceBase.length && final) {
        await consumeAll();
        return 'stale';
      }
      if (attempt >= 3) await new Promise((r) => setTimeout(r, Math.random() * 2 * attempt));
    }
  };

  const stimulus = toStimulus(body, row);
  if (stimulus && !isStale(state, stimulus)) {
    apply(stimulus);
    rebaseSafe = false;
  } else if (todo().length === 0) {
    await consumeAll();
    return 'stale';
  }

  // Keep the messages hidden while calls run: extend their lease at half the visibility timeout.
  const leaseMs = Math.max(1000, (deps.visibilityTimeoutSeconds * 1000) / 2);
  const lease = setInterval(() => {
    for (const m of all) void pgmq.setVt(deps.sql, queue, m.msgId, deps.visibilityTimeoutSeconds).catch(() => {});
  }, leaseMs);
  try {
    for (;;) {
      let round = todo();
      if (!round.length) break;
      // Calls are written before they are performed when other lanes may run beside this one
      // (a state with several threads, or calls handed to other lanes just now): only results of
      // calls the database already holds can be re-applied to another activation's newer state.
      // A single-threaded state keeps the cheap path: its first round is performed first and
      // written with its results (a crash repeats it, deterministically, with the same keys).
      const unwritten = round.some((c) => !basePending.some((b) => b.id === c.id));
      if (unwritten && (acc.sending() || Object.keys(state?.threads ?? {}).length > 1)) {
        const r = await commit(false);
        if (r !== 'ok') return r;
        round = todo();
        if (!round.length) break;
      }
      const limit = await takeRateLimitTokens(deps.sql, round, reservations);
      if (limit.waitMs > 0) {
        // Over a rate limit: hand the messages back (uncounted) for when their tokens are due —
        // reserved for them, so they then call without asking again (effect ids are deterministic);
        // unreserved (too far ahead), they ask again then, with jitter. What this activation
        // computed since its last checkpoint is redone (the interpreter is deterministic).
        const delay = limit.reserved ? limit.waitMs : limit.waitMs * (1 + Math.random());
        const patch = limit.reserved ? { rateReserved: round.filter((e) => e.rateLimit).map((e) => e.id) } : {};
        for (const m of all) await pgmq.defer(deps.sql, queue, m.msgId, delay, patch);
        deps.onDefer?.(delay);
        for (const e of round) if (e.rateLimit) rateLimitedTotal.inc({ key: metricKey(e.rateLimit.key) });
        return 'limited';
      }
      const outcomes = await Promise.all(round.map((e) => performHttp(traced(e, row.correlation?.traceparent), deps.http)));
      const [clock] = await deps.sql<{ now: Date }>`SELECT weir.now() AS now`;
      now = new Date(clock.now).getTime();
      for (let i = 0; i < round.length; i++) {
        const s: Stimulus = { kind: 'effectResult', id: round[i].id, ...outcomes[i] };
        if (!state || isStale(state, s)) continue;
        apply(s);
        sinceBase.push(s);
      }
      if (todo().length) {
        // A checkpoint after each round of I/O results: progress survives a crash.
        const r = await commit(false);
        if (r !== 'ok') return r;
      }
    }
  } finally {
    clearInterval(lease);
  }
  if (!state || !changed) {
    await consumeAll();
    return 'stale';
  }
  const r = await commit(true);
  return r === 'ok' ? 'done' : r;
}

const utf8 = new TextEncoder();

/**
 * A state past WEIR_MAX_STATE_BYTES is not written: the instance faults with an error that says
 * which limit it passed (a runaway loop accumulating data, a huge HTTP body kept in context), and
 * only the error is kept.
 */
export function capState(state: InstanceState, maxBytes: number | undefined, acc: { add(effects: Effect[], entries: HistoryEntry[]): HttpEffect[] }, now: number): InstanceState {
  if (!maxBytes) return state;
  const text = JSON.stringify(state);
  // A UTF-16 code unit is at most 3 UTF-8 bytes: a state well under the cap needs no encoding.
  if (text.length * 3 <= maxBytes) return state;
  const bytes = utf8.encode(text).length;
  if (bytes <= maxBytes) return state;
  const error = workflowError('runtime', `the instance state is ${bytes} bytes, over WEIR_MAX_STATE_BYTES=${maxBytes}; keep large data out of the workflow's context and outputs`, {
    title: 'State too large',
  });
  acc.add([], [{ at: now, kind: 'workflowFaulted', data: { error } }]);
  return { v: 1, id: state.id, status: 'faulted', input: null, startedAt: state.startedAt, context: null, seq: state.seq, threads: {}, waits: {}, timeouts: {}, error };
}

/**
 * Continues the start request's W3C trace: each call carries the trace id with a new span id,
 * unless the workflow set its own `traceparent`.
 */
function traced(e: HttpEffect, traceparent: string | undefined): HttpEffect {
  if (!traceparent || Object.keys(e.request.headers).some((k) => k.toLowerCase() === 'traceparent')) return e;
  const [version, traceId, , flags] = traceparent.split('-');
  const span = Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => b.toString(16).padStart(2, '0')).join('');
  return { ...e, request: { ...e.request, headers: { ...e.request.headers, traceparent: `${version}-${traceId}-${span}-${flags}` } } };
}

function toStimulus(body: RunnerMessage | undefined, row: Row): Stimulus | undefined {
  switch (body?.kind) {
    case 'start':
      return { kind: 'start', input: row.input };
    case 'timer':
      return { kind: 'timerFired', id: body.target };
    case 'event':
      return { kind: 'event', id: body.target, events: (body.events as never[]) ?? [] };
    case 'child-done':
      return { kind: 'childDone', id: body.target, outcome: body.outcome as never };
    case 'cancel':
      return { kind: 'cancel', ...(typeof body.reason === 'string' ? { reason: body.reason } : {}) };
    case 'retry':
      return { kind: 'retry' }; // runs the state runner/retry.ts prepared
    default:
      return undefined; // 'resume' / 'http': perform what is pending
  }
}

async function resolveChildren(sql: Sql, effects: ChildEffect[], parentId: string, traceparent?: string) {
  const requests: StartRequest[] = [];
  const missing: { id: string; error: WorkflowError }[] = [];
  for (const e of effects) {
    const wf = await getWorkflow(sql, e.workflow.namespace, e.workflow.name, e.workflow.version);
    if (!wf) {
      const ref = `${e.workflow.namespace}/${e.workflow.name}:${e.workflow.version}`;
      if (e.await) missing.push({ id: e.id, error: workflowError('configuration', `workflow ${ref} is not registered`, { status: 404 }) });
      continue;
    }
    requests.push({
      namespace: wf.namespace,
      workflowName: wf.name,
      workflowVersion: wf.version,
      queue: wf.queue,
      input: e.input ?? null,
      ...(e.await ? { parent: { id: parentId, wait: e.id } } : {}),
      // Re-running the same activation after a crash must not start the child twice.
      idempotencyKey: `child:${parentId}:${e.id}`,
      ...(traceparent ? { correlation: { traceparent } } : {}),
    });
  }
  return { requests, missing };
}

/**
 * A suspended instance consumes nothing: its message is parked as a timer due at infinity (deleted
 * from the queue in the same transaction) and `resume` makes it due now. No polling, no read_ct
 * growth toward weir_dead.
 */
async function park(sql: Sql, queue: string, msg: Message<RunnerMessage>, row: Row): Promise<ActivationOutcome> {
  await sql.begin(async (tx) => {
    await tx`
      INSERT INTO weir.timers (id, instance_id, queue, due_at, message)
      VALUES (${`parked:${queue}:${msg.msgId}`}, ${row.id}::uuid, ${queue}, 'infinity', ${json(msg.message)}::jsonb)
      ON CONFLICT (instance_id, id) DO NOTHING`;
    await pgmq.delete(tx, queue, msg.msgId);
  });
  return 'parked';
}

/** Faults the instance without running it (unknown or broken definition) and consumes the message. */
async function faultDirectly(deps: ActivationDeps, queue: string, msg: Message<RunnerMessage>, row: Row, error: WorkflowError): Promise<ActivationOutcome> {
  const ok = await endWithError(deps.sql, row, error, { queue, msgId: msg.msgId });
  return ok ? 'done' : 'conflict';
}

/** A message read more than WEIR_MAX_DELIVERIES times: to `weir_dead`, its instance faulted. */
async function moveToDead(deps: ActivationDeps, queue: string, msg: Message<RunnerMessage>, row: Row): Promise<ActivationOutcome> {
  const error = workflowError(
    'runtime',
    `message ${msg.msgId} (${msg.message?.kind ?? 'unknown'}) was delivered ${msg.readCt} times without completing (WEIR_MAX_DELIVERIES=${deps.maxDeliveries}); it was moved to ${DEAD_QUEUE}`,
    { title: 'Poison message' },
  );
  await deps.sql.begin(async (tx) => {
    await pgmq.create(tx, DEAD_QUEUE);
    await pgmq.send(tx, DEAD_QUEUE, { queue, msgId: msg.msgId, readCt: msg.readCt, enqueuedAt: msg.enqueuedAt, message: msg.message });
    await endWithError(tx, row, error, { queue, msgId: msg.msgId });
  });
  return 'dead';
}

async function endWithError(sql: Sql, row: Row, error: WorkflowError, consume: { queue: string; msgId: number }): Promise<boolean> {
  const state: InstanceState = row.state
    ? { ...row.state, status: 'faulted', error }
    : { v: 1, id: row.id, status: 'faulted', input: row.input, startedAt: new Date(row.now).getTime(), context: {}, seq: 0, threads: {}, waits: {}, timeouts: {}, error };
  return sql.begin((tx) =>
    writeCheckpoint(tx, {
      instanceId: row.id,
      expectedVersion: row.version,
      state,
      status: 'faulted',
      error,
      pending: null,
      history: [{ at: new Date(row.now).getTime(), kind: 'workflowFaulted', data: { error } }],
      timers: [],
      cancelTimers: [],
      subscriptions: [],
      unsubscribe: [],
      emits: [],
      children: [],
      cancelChildren: [],
      ended: true,
      consume,
    }),
  );
}
