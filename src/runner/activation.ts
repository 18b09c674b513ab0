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
import type { InstanceStatus, RunnerMessage, StartRequest } from '../store/queries/instances.ts';
import { getWorkflow } from '../store/queries/workflows.ts';
import { json, type Sql } from '../store/sql.ts';
import { writeCheckpoint, type Checkpoint, type CheckpointWriter, type HttpEffect } from './checkpoint.ts';
import type { DefinitionCache } from './definitions.ts';
import { literalTypes } from './events.ts';
import { redact, type SecretsProvider } from './secrets.ts';
import { deliverCallback } from './callbacks.ts';
import { admit } from './flow.ts';
import { WeirError } from '../errors.ts';
import { rateLimitedTotal } from './metrics.ts';

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
  /** Told how long a rate-limited message was handed back for (the loop wakes up for it). */
  onDefer?: (delayMs: number) => void;
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
  pending: HttpEffect[] | null;
  queue: string;
  correlation: { traceparent?: string } | null;
  now: Date;
};

const DEAD_QUEUE = 'weir_dead';

/** Loads the rows a batch of messages wakes, in one statement (the runner prefetches per batch). */
export async function loadInstances(sql: Sql, ids: readonly string[]): Promise<Map<string, Row>> {
  const valid = ids.filter((id) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id));
  if (!valid.length) return new Map();
  const rows = await sql<Row>`
    SELECT id, namespace, workflow_name, workflow_version, status, input, state, version, pending, queue, correlation, weir.now() AS now
    FROM weir.instances WHERE id IN (SELECT (jsonb_array_elements_text(${json(valid)}::jsonb))::uuid)`;
  return new Map(rows.map((r) => [r.id, r]));
}

export async function activate(deps: ActivationDeps, queue: string, msg: Message<RunnerMessage>, prefetched?: Row | null): Promise<ActivationOutcome> {
  const body = msg.message;
  if (body?.kind === 'callback') return deliverCallback({ sql: deps.sql, http: deps.http, ...(deps.callbackSecret ? { secret: deps.callbackSecret } : {}) }, queue, msg);
  const [row] =
    prefetched !== undefined
      ? prefetched
        ? [prefetched]
        : []
      : await deps.sql<Row>`
    SELECT id, namespace, workflow_name, workflow_version, status, input, state, version, pending, queue, correlation, weir.now() AS now
    FROM weir.instances WHERE id = ${body?.instance ?? '00000000-0000-0000-0000-000000000000'}::uuid`;
  if (!row || row.status === 'completed' || row.status === 'faulted' || row.status === 'cancelled') {
    await pgmq.delete(deps.sql, queue, msg.msgId);
    return 'stale';
  }
  if (msg.readCt > deps.maxDeliveries) return moveToDead(deps, queue, msg, row);
  if (row.status === 'suspended' && body?.kind !== 'cancel') return park(deps.sql, queue, msg, row);
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
  const ctx = (): EngineContext => ({
    now,
    instanceId: row.id,
    seed: row.id,
    ...(secrets ? { secrets } : {}),
    ...(deps.runtime ? { runtime: deps.runtime } : {}),
  });
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

  let state: InstanceState | undefined = row.state ?? undefined;
  let version = row.version;
  const stimulus = toStimulus(body, row);
  let pending: HttpEffect[] = row.pending ?? [];
  const acc = newAccumulator(deps.eventWindowSeconds ?? 0, secrets ?? {}, deps.maxHistory);
  let changed = false;
  // Rate-limit tokens this message reserved before it was handed back (used once).
  const reservations = new Set(Array.isArray(body?.rateReserved) ? (body.rateReserved as string[]) : []);

  if (stimulus && !isStale(state, stimulus)) {
    const r = advance(workflow, state, stimulus, ctx());
    state = r.state;
    changed = true;
    pending = pending.concat(acc.add(r.effects, r.history));
  } else if (pending.length === 0) {
    await pgmq.delete(deps.sql, queue, msg.msgId);
    return 'stale';
  }

  // Keep the message hidden while calls run: extend its lease at half the visibility timeout.
  const leaseMs = Math.max(1000, (deps.visibilityTimeoutSeconds * 1000) / 2);
  const lease = setInterval(() => {
    void pgmq.setVt(deps.sql, queue, msg.msgId, deps.visibilityTimeoutSeconds).catch(() => {});
  }, leaseMs);
  try {
    while (pending.length) {
      const round = pending;
      const limit = await takeRateLimitTokens(deps.sql, round, reservations);
      if (limit.waitMs > 0) {
        // Over a rate limit: hand the message back (uncounted) for when its tokens are due —
        // reserved for it, so it then calls without asking again (effect ids are deterministic);
        // unreserved (too far ahead), it asks again then, with jitter. What this activation
        // computed since its last checkpoint is redone (the interpreter is deterministic).
        const delay = limit.reserved ? limit.waitMs : limit.waitMs * (1 + Math.random());
        const patch = limit.reserved ? { rateReserved: round.filter((e) => e.rateLimit).map((e) => e.id) } : {};
        await pgmq.defer(deps.sql, queue, msg.msgId, delay, patch);
        deps.onDefer?.(delay);
        for (const e of round) if (e.rateLimit) rateLimitedTotal.inc({ key: metricKey(e.rateLimit.key) });
        return 'limited';
      }
      const outcomes = await Promise.all(round.map((e) => performHttp(traced(e, row.correlation?.traceparent), deps.http)));
      const [clock] = await deps.sql<{ now: Date }>`SELECT weir.now() AS now`;
      now = new Date(clock.now).getTime();
      pending = [];
      for (let i = 0; i < round.length; i++) {
        if (!state) break;
        const s: Stimulus = { kind: 'effectResult', id: round[i].id, ...outcomes[i] };
        if (isStale(state, s)) continue;
        const r = advance(workflow, state, s, ctx());
        state = r.state;
        changed = true;
        pending = pending.concat(acc.add(r.effects, r.history));
      }
      if (pending.length && state) {
        // A checkpoint after each round of I/O results: progress survives a crash.
        const res = await deps.writer.submit(acc.checkpoint(row, state, version, pending, undefined));
        if (!res.ok) return 'conflict';
        now = res.now;
        version++;
        acc.reset();
      }
    }
  } finally {
    clearInterval(lease);
  }
  if (!state || !changed) {
    await pgmq.delete(deps.sql, queue, msg.msgId);
    return 'stale';
  }
  const children = await resolveChildren(deps.sql, acc.childEffects, row.id, row.correlation?.traceparent);
  for (const missing of children.missing) {
    const r = advance(workflow, state, { kind: 'childDone', id: missing.id, outcome: { status: 'faulted', error: missing.error } }, ctx());
    state = r.state;
    acc.add(r.effects, r.history);
  }
  acc.children = children.requests;
  state = capState(state, deps.maxStateBytes, acc, now);
  const res = await deps.writer.submit(acc.checkpoint(row, state, version, null, { queue, msgId: msg.msgId }));
  return res.ok ? 'done' : 'conflict';
}

/** What a completed instance keeps of its state: no data, no threads. */
function completedHeader(state: InstanceState): InstanceState {
  return { v: state.v, id: state.id, status: state.status, startedAt: state.startedAt, seq: state.seq } as InstanceState;
}

/**
 * A state past WEIR_MAX_STATE_BYTES is not written: the instance faults with an error that says
 * which limit it passed (a runaway loop accumulating data, a huge HTTP body kept in context), and
 * only the error is kept.
 */
function capState(state: InstanceState, maxBytes: number | undefined, acc: { add(effects: Effect[], entries: HistoryEntry[]): HttpEffect[] }, now: number): InstanceState {
  if (!maxBytes) return state;
  const bytes = new TextEncoder().encode(JSON.stringify(state)).length;
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

type ChildEffect = Extract<Effect, { kind: 'startChild' }>;

function newAccumulator(eventWindowSeconds: number, secrets: Record<string, string>, historyCap: number | undefined) {
  let history: HistoryEntry[] = [];
  let timers: Checkpoint['timers'] = [];
  let cancelTimers: string[] = [];
  let subscriptions: Checkpoint['subscriptions'] = [];
  let unsubscribe: string[] = [];
  let emits: Checkpoint['emits'] = [];
  let cancelChildren: string[] = [];
  const acc = {
    childEffects: [] as ChildEffect[],
    children: [] as StartRequest[],
    /** Records durable effects; returns the HTTP calls to perform now. */
    add(effects: Effect[], entries: HistoryEntry[]): HttpEffect[] {
      history = history.concat(entries);
      const http: HttpEffect[] = [];
      for (const e of effects) {
        switch (e.kind) {
          case 'http':
            http.push(e);
            break;
          case 'timer':
            timers.push({ id: e.id, dueAt: e.dueAt, queue: '', message: { instance: '', kind: 'timer', target: e.id } });
            break;
          case 'cancelTimer':
            cancelTimers.push(e.id);
            timers = timers.filter((t) => t.id !== e.id);
            break;
          case 'listen':
            subscriptions.push({ id: e.id, taskRef: e.task, filters: { strategy: e.strategy, filters: e.filters, types: literalTypes(e.filters) } });
            break;
          case 'unlisten':
            unsubscribe.push(e.id);
            subscriptions = subscriptions.filter((s) => s.id !== e.id);
            break;
          case 'emit':
            emits.push(e.event);
            break;
          case 'startChild':
            acc.childEffects.push(e);
            break;
          case 'cancelChild':
            cancelChildren.push(e.id);
            break;
          case 'complete':
          case 'fault':
            break;
        }
      }
      return http;
    },
    checkpoint(row: Row, state: InstanceState, version: number, pending: HttpEffect[] | null, consume: Checkpoint['consume']): Checkpoint {
      const status: InstanceStatus = state.status;
      const ended = status === 'completed' || status === 'faulted' || status === 'cancelled';
      // What people read (history, output, error) never shows a secret's value.
      return {
        instanceId: row.id,
        expectedVersion: version,
        // An ended instance's state is kept only to be read: no secret value stays in it at rest.
        // A completed one keeps just its header (input and output have their own columns; nothing
        // resumes it), which is also a third of the WAL its last write costs. A faulted one keeps
        // everything: requeuing its dead letter or retrying resumes from it.
        state: status === 'completed' ? completedHeader(state) : ended ? redact(state, secrets) : state,
        status,
        ...(state.output === undefined ? {} : { output: redact(state.output, secrets) }),
        ...(state.error ? { error: redact(state.error, secrets) } : {}),
        pending,
        history: redact(history, secrets),
        ...(historyCap ? { historyCap } : {}),
        timers: timers.map((t) => ({ ...t, queue: row.queue, message: { instance: row.id, kind: 'timer', target: t.id } })),
        cancelTimers,
        subscriptions,
        eventWindowSeconds,
        unsubscribe,
        emits,
        children: acc.children,
        cancelChildren,
        ended,
        ...(consume ? { consume } : {}),
      };
    },
    reset() {
      history = [];
      timers = [];
      cancelTimers = [];
      subscriptions = [];
      unsubscribe = [];
      emits = [];
      cancelChildren = [];
    },
  };
  return acc;
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
