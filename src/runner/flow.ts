/**
 * Flow control, all in Postgres and shared by every replica (no leader):
 *
 * - **Concurrency** (`metadata.weir.concurrency: { limit, key?, onLimit? }`): at most `limit`
 *   instances of a workflow — per value of `key`, a jq expression over the input — hold a slot
 *   (`weir.slots`). The slot is taken in the start's transaction and released in the transaction
 *   that ends the instance (trigger in sql/60_flow.sql), so a crashed replica never leaks one. Past
 *   the limit a start is `queue`d (status `queued`, started FIFO per key when a slot frees),
 *   `skip`ped (nothing is created; the answer is the newest running instance), or
 *   `cancel-previous` (the oldest running ones are cancelled and the new one starts when their
 *   slots free). Child workflows (`run: workflow`) always queue: their parent waits for them.
 * - **Debounce** (`metadata.weir.debounce: { key?, window }`, or per start): starts with the same
 *   key within `window` of the first collapse into one `delayed` instance that starts when the
 *   window (counted from the first start) ends, with the input of the last start.
 * - **Priority** (per start, 0–9): carried as a message header; see `weir.read` in sql/60_flow.sql.
 * - **Rate limits** (`metadata.weir.rateLimit` on a `call` task) are taken by the activation before
 *   it performs the call (activation.ts, `weir.take_tokens`).
 *
 * A workflow version's options are fixed at registration (`weir.workflows.options`), so they are
 * cached here for good.
 */
import { durationToMs } from '../dsl/duration.ts';
import type { Duration } from '../dsl/model.ts';
import { WeirError } from '../errors.ts';
import { evaluateValue, expressionSource, isExpression } from '../expr/expression.ts';
import { compileCached } from '../expr/jq/index.ts';
import { runtimeVariables } from '../dsl/expressions.ts';
import { startInstance, toInstance, type InstanceRow, type StartRequest } from '../store/queries/instances.ts';
import { json, type Sql } from '../store/sql.ts';
import { uuidv7 } from '../store/uuid.ts';
import { cancelInstanceIn } from './control.ts';

export const onLimitPolicies = ['queue', 'skip', 'cancel-previous'] as const;
export type OnLimit = (typeof onLimitPolicies)[number];

export interface FlowOptions {
  concurrency?: { limit: number; key?: string; onLimit: OnLimit };
  debounce?: { key?: string; window: Duration };
}

/** Register-time overrides (query parameters of `POST /v1/workflows`). */
export interface FlowOverrides {
  concurrency?: number;
  concurrencyKey?: string;
  onLimit?: OnLimit;
  debounceWindow?: string;
  debounceKey?: string;
}

/** Per-start options (query parameters of the start route; also used by hooks and the CLI). */
export interface StartFlow {
  priority?: number;
  /** Debounce this start: overrides the workflow's debounce key / window. */
  debounceKey?: string;
  debounceWindow?: string;
}

export type StartOutcome = 'started' | 'existing' | 'queued' | 'skipped' | 'debounced' | 'delayed';

type Problem = { pointer: string; message: string };

function keyProblem(key: unknown, pointer: string): Problem | undefined {
  if (key === undefined) return undefined;
  if (typeof key !== 'string' || key.length === 0) return { pointer, message: 'must be a non-empty string (a ${ jq } expression over the input, or a literal)' };
  if (isExpression(key)) {
    try {
      compileCached(expressionSource(key), { variables: runtimeVariables.map((v) => '$' + v) });
    } catch (e) {
      return { pointer, message: `is not a valid jq expression: ${(e as Error).message}` };
    }
  }
  return undefined;
}

function windowProblem(window: unknown, pointer: string): Problem | undefined {
  try {
    const ms = durationToMs(window as Duration);
    if (!Number.isFinite(ms) || ms <= 0) return { pointer, message: 'must be a positive duration' };
    if (ms > 7 * 24 * 3600_000) return { pointer, message: 'must be at most 7 days' };
  } catch (e) {
    return { pointer, message: `must be an ISO 8601 duration (e.g. PT5S) or a DSL duration object: ${(e as Error).message}` };
  }
  return undefined;
}

/**
 * The flow options of a document (`document.metadata.weir`), with register-time overrides on top;
 * throws a 422 naming every bad field. Undefined when the workflow has none.
 */
export function flowOptionsOf(document: Record<string, unknown>, overrides: FlowOverrides = {}): FlowOptions | undefined {
  const meta = ((document.document as { metadata?: { weir?: Record<string, unknown> } } | undefined)?.metadata?.weir ?? {}) as Record<string, unknown>;
  const problems: Problem[] = [];
  const options: FlowOptions = {};
  const base = '/document/metadata/weir';

  const c = (meta.concurrency ?? undefined) as Record<string, unknown> | undefined;
  if (c !== undefined && (c === null || typeof c !== 'object' || Array.isArray(c))) problems.push({ pointer: `${base}/concurrency`, message: 'must be an object { limit, key?, onLimit? }' });
  const limit = overrides.concurrency ?? c?.limit;
  const limitPtr = overrides.concurrency !== undefined ? '/query/concurrency' : `${base}/concurrency/limit`;
  const key = overrides.concurrencyKey ?? c?.key;
  const keyPtr = overrides.concurrencyKey !== undefined ? '/query/concurrencyKey' : `${base}/concurrency/key`;
  const onLimit = overrides.onLimit ?? c?.onLimit ?? 'queue';
  const onLimitPtr = overrides.onLimit !== undefined ? '/query/onLimit' : `${base}/concurrency/onLimit`;
  if (limit !== undefined || (c && typeof c === 'object')) {
    if (!Number.isInteger(limit) || (limit as number) < 1 || (limit as number) > 100_000) problems.push({ pointer: limitPtr, message: 'must be an integer from 1 to 100000' });
    const kp = keyProblem(key, keyPtr);
    if (kp) problems.push(kp);
    if (!(onLimitPolicies as readonly unknown[]).includes(onLimit)) problems.push({ pointer: onLimitPtr, message: `must be one of ${onLimitPolicies.join(', ')}` });
    options.concurrency = { limit: limit as number, onLimit: onLimit as OnLimit, ...(key !== undefined ? { key: key as string } : {}) };
  } else if (overrides.concurrencyKey !== undefined || overrides.onLimit !== undefined) {
    problems.push({ pointer: '/query/concurrency', message: 'concurrencyKey and onLimit need a concurrency limit' });
  }

  const d = (meta.debounce ?? undefined) as Record<string, unknown> | undefined;
  if (d !== undefined && (d === null || typeof d !== 'object' || Array.isArray(d))) problems.push({ pointer: `${base}/debounce`, message: 'must be an object { window, key? }' });
  const window = overrides.debounceWindow ?? d?.window;
  const dkey = overrides.debounceKey ?? d?.key;
  if (window !== undefined || (d && typeof d === 'object')) {
    const wp = windowProblem(window, overrides.debounceWindow !== undefined ? '/query/debounceWindow' : `${base}/debounce/window`);
    if (wp) problems.push(wp);
    const kp = keyProblem(dkey, overrides.debounceKey !== undefined ? '/query/debounceKey' : `${base}/debounce/key`);
    if (kp) problems.push(kp);
    options.debounce = { window: window as Duration, ...(dkey !== undefined ? { key: dkey as string } : {}) };
  } else if (overrides.debounceKey !== undefined) {
    problems.push({ pointer: '/query/debounceWindow', message: 'debounceKey needs a debounce window' });
  }

  problems.push(...rateLimitProblems(document));
  if (problems.length) throw new WeirError('validation_failed', 'the workflow flow-control options are invalid', { errors: problems });
  return options.concurrency || options.debounce ? options : undefined;
}

/** `metadata.weir.rateLimit` on tasks: `{ key, limit, period? }` (period default PT1S). */
function rateLimitProblems(document: Record<string, unknown>): Problem[] {
  const problems: Problem[] = [];
  const walk = (node: unknown, ptr: string, depth: number) => {
    if (depth > 64 || node === null || typeof node !== 'object') return;
    if (Array.isArray(node)) return node.forEach((n, i) => walk(n, `${ptr}/${i}`, depth + 1));
    const obj = node as Record<string, unknown>;
    const rl = (obj.metadata as { weir?: { rateLimit?: unknown } } | undefined)?.weir?.rateLimit;
    if (rl !== undefined) problems.push(...rateLimitSpecProblems(rl, `${ptr}/metadata/weir/rateLimit`));
    for (const [k, v] of Object.entries(obj)) if (k !== 'metadata' && k !== 'document') walk(v, `${ptr}/${k.replaceAll('~', '~0').replaceAll('/', '~1')}`, depth + 1);
  };
  walk(document.do, '/do', 0);
  return problems;
}

export function rateLimitSpecProblems(rl: unknown, pointer: string): Problem[] {
  if (rl === null || typeof rl !== 'object' || Array.isArray(rl)) return [{ pointer, message: 'must be an object { key, limit, period? }' }];
  const r = rl as Record<string, unknown>;
  const problems: Problem[] = [];
  const kp = keyProblem(r.key, `${pointer}/key`);
  if (kp) problems.push(kp);
  if (r.key === undefined) problems.push({ pointer: `${pointer}/key`, message: 'is required (e.g. "api.example.com" or "${ .tenant }")' });
  if (!Number.isInteger(r.limit) || (r.limit as number) < 1 || (r.limit as number) > 1_000_000) problems.push({ pointer: `${pointer}/limit`, message: 'must be an integer from 1 to 1000000' });
  if (r.period !== undefined) {
    const wp = windowProblem(r.period, `${pointer}/period`);
    if (wp) problems.push(wp);
  }
  return problems;
}

/** A key expression's value as text: strings as they are, anything else as JSON. */
export function keyValue(key: string | undefined, input: unknown): string | undefined {
  if (key === undefined) return undefined;
  let v: unknown;
  try {
    v = evaluateValue(key, input, { $input: input });
  } catch (e) {
    throw new WeirError('validation_failed', `the key expression ${key} failed on this input: ${(e as Error).message}`, {
      errors: [{ pointer: '/body', message: 'the flow-control key expression cannot be evaluated on this input' }],
    });
  }
  return typeof v === 'string' ? v : JSON.stringify(v ?? null);
}

// ---------------------------------------------------------------------------------------------
// Options of registered versions (immutable: cached for good, bounded)

const cache = new Map<string, FlowOptions | null>();

export async function workflowFlow(sql: Sql, namespace: string, name: string, version: string): Promise<FlowOptions | undefined> {
  const k = `${namespace}\u0000${name}\u0000${version}`;
  let hit = cache.get(k);
  if (hit === undefined) {
    const [row] = await sql<{ options: FlowOptions | null }>`
      SELECT options FROM weir.workflows WHERE namespace = ${namespace} AND name = ${name} AND version = ${version}`;
    if (!row) return undefined; // not registered (yet): not cached
    hit = row.options ?? null;
    if (cache.size >= 10_000) cache.delete(cache.keys().next().value as string);
    cache.set(k, hit);
  }
  return hit ?? undefined;
}

// ---------------------------------------------------------------------------------------------
// Starting with flow control

export interface FlowStartResult {
  instance: InstanceRow;
  created: boolean;
  outcome: StartOutcome;
}

/**
 * Starts an instance the way every front door should (API, webhooks, schedules, events, child
 * workflows, reruns): applies the version's concurrency and debounce options and the start's
 * priority, in the caller's transaction (or a new one). Without options it is `startInstance`.
 */
export async function startWorkflow(sql: Sql, req: StartRequest, flow: StartFlow = {}): Promise<FlowStartResult> {
  const options = await workflowFlow(sql, req.namespace, req.workflowName, req.workflowVersion);
  const debounce = flow.debounceWindow !== undefined || flow.debounceKey !== undefined
    ? { window: (flow.debounceWindow ?? options?.debounce?.window) as Duration | undefined, key: flow.debounceKey ?? options?.debounce?.key }
    : options?.debounce;
  const concurrency = options?.concurrency;
  if (!concurrency && !debounce) {
    const r = await startInstance(sql, req);
    return { ...r, outcome: r.created ? 'started' : 'existing' };
  }
  if (flow.debounceWindow !== undefined) {
    const bad = windowProblem(flow.debounceWindow, '/query/debounceWindow');
    if (bad) throw new WeirError('validation_failed', `debounceWindow ${bad.message}`, { errors: [bad] });
  }
  if (debounce && debounce.window === undefined) {
    throw new WeirError('validation_failed', 'debounceKey needs a debounce window (the workflow has none)', {
      errors: [{ pointer: '/query/debounceWindow', message: 'required with debounceKey' }],
    });
  }
  return sql.begin(async (tx) => {
    if (debounce) return startDebounced(tx, req, debounce as { window: Duration; key?: string }, concurrency);
    return startLimited(tx, req, concurrency!);
  });
}

const scopeOf = (req: StartRequest, key: string | undefined) => `${req.namespace}/${req.workflowName}${key === undefined ? '' : `#${key}`}`;

async function startLimited(tx: Sql, req: StartRequest, c: NonNullable<FlowOptions['concurrency']>): Promise<FlowStartResult> {
  const scope = scopeOf(req, keyValue(c.key, req.input));
  await tx`SELECT weir.slot_lock(${scope})`;
  const [{ used, queued }] = await tx<{ used: number; queued: boolean }>`
    SELECT (SELECT count(*)::int FROM weir.slots WHERE scope = ${scope}) AS used,
           EXISTS (SELECT 1 FROM weir.instances WHERE slot_scope = ${scope} AND status = 'queued') AS queued`;
  // FIFO per key: a start never overtakes instances already queued for the scope.
  if (used < c.limit && !queued) {
    const r = await startInstance(tx, { ...req, slotScope: scope });
    if (r.created) await tx`INSERT INTO weir.slots (instance_id, scope, acquired_at) VALUES (${r.instance.id}::uuid, ${scope}, weir.now())`;
    return { ...r, outcome: r.created ? 'started' : 'existing' };
  }
  // Children always queue: their parent waits for the outcome.
  const policy: OnLimit = req.parent ? 'queue' : c.onLimit;
  if (policy === 'skip') {
    const [running] = await tx<Record<string, unknown>>`
      SELECT i.* FROM weir.slots s JOIN weir.instances i ON i.id = s.instance_id
      WHERE s.scope = ${scope} ORDER BY s.acquired_at DESC, i.id DESC LIMIT 1`;
    if (running) return { instance: toInstance(running), created: false, outcome: 'skipped' };
  }
  const r = await startInstance(tx, { ...req, slotScope: scope, status: 'queued' });
  if (!r.created) return { ...r, outcome: 'existing' };
  if (policy === 'cancel-previous') {
    // Cancel the oldest holders until the new one fits; their ends free the slots (and start it).
    const holders = await tx<{ instance_id: string }>`
      SELECT instance_id FROM weir.slots WHERE scope = ${scope} ORDER BY acquired_at, instance_id`;
    const excess = holders.length - c.limit + 1;
    for (const h of holders.slice(0, Math.max(0, excess))) {
      await cancelInstanceIn(tx, h.instance_id, `cancelled by a newer start (${r.instance.id}) under onLimit: cancel-previous`);
    }
    await tx`SELECT weir.promote_queued(${scope})`;
  }
  const [row] = await tx<Record<string, unknown>>`SELECT * FROM weir.instances WHERE id = ${r.instance.id}::uuid`;
  const instance = toInstance(row);
  return { instance, created: true, outcome: instance.status === 'queued' ? 'queued' : 'started' };
}

async function startDebounced(
  tx: Sql,
  req: StartRequest,
  d: { window: Duration; key?: string },
  concurrency: FlowOptions['concurrency'],
): Promise<FlowStartResult> {
  const key = keyValue(d.key, req.input) ?? '';
  await tx`SELECT pg_advisory_xact_lock(hashtextextended(${`weir.debounce:${req.namespace}/${req.workflowName}#${key}`}, 0))`;
  // The open window: a `delayed` instance whose start timer has not fired (locking the timer row
  // makes a concurrent firing wait, or skip it until this start has updated the input).
  const [open] = await tx<{ id: string }>`
    SELECT i.id FROM weir.instances i
    JOIN weir.timers t ON t.instance_id = i.id AND t.id = 'debounce'
    WHERE i.namespace = ${req.namespace} AND i.workflow_name = ${req.workflowName} AND i.debounce_key = ${key} AND i.status = 'delayed'
    ORDER BY i.id DESC LIMIT 1
    FOR UPDATE OF t, i`;
  if (open) {
    const [row] = await tx<Record<string, unknown>>`
      UPDATE weir.instances SET input = ${json(req.input)}::jsonb, updated_at = weir.now() WHERE id = ${open.id}::uuid RETURNING *`;
    return { instance: toInstance(row), created: false, outcome: 'debounced' };
  }
  const windowMs = durationToMs(d.window);
  const id = req.id ?? uuidv7();
  const scope = concurrency ? scopeOf(req, keyValue(concurrency.key, req.input)) : undefined;
  const r = await startInstance(tx, { ...req, id, status: 'delayed', debounceKey: key, ...(scope ? { slotScope: scope } : {}) });
  if (!r.created) return { ...r, outcome: 'existing' };
  // When the window ends the instance starts — through its concurrency scope when it has one.
  const message = { instance: id, kind: 'start', target: id, ...(scope ? { flow: 'admit' } : {}) };
  await tx`
    INSERT INTO weir.timers (id, instance_id, queue, due_at, message)
    VALUES ('debounce', ${id}::uuid, ${req.queue}, weir.now() + make_interval(secs => ${windowMs / 1000}), ${json(message)}::jsonb)`;
  return { ...r, outcome: 'delayed' };
}

/**
 * A debounced instance of a concurrency-limited workflow reaches its scope only when its window
 * ends (the `start` message marked `flow: 'admit'`): it takes a slot or queues — never skips or
 * cancels, since its caller has long been answered. Returns whether it may run now.
 */
export async function admit(sql: Sql, instanceId: string): Promise<boolean> {
  return sql.begin(async (tx) => {
    const [row] = await tx<{ slot_scope: string | null; status: string; held: boolean; namespace: string; workflow_name: string; workflow_version: string }>`
      SELECT slot_scope, status, namespace, workflow_name, workflow_version,
             EXISTS (SELECT 1 FROM weir.slots WHERE instance_id = ${instanceId}::uuid) AS held
      FROM weir.instances WHERE id = ${instanceId}::uuid FOR UPDATE`;
    if (!row || !row.slot_scope || row.held || row.status !== 'delayed') return true;
    const options = await workflowFlow(tx, row.namespace, row.workflow_name, row.workflow_version);
    const limit = options?.concurrency?.limit ?? 1;
    await tx`SELECT weir.slot_lock(${row.slot_scope})`;
    const [{ used, queued }] = await tx<{ used: number; queued: boolean }>`
      SELECT (SELECT count(*)::int FROM weir.slots WHERE scope = ${row.slot_scope}) AS used,
             EXISTS (SELECT 1 FROM weir.instances WHERE slot_scope = ${row.slot_scope} AND status = 'queued') AS queued`;
    if (used < limit && !queued) {
      await tx`INSERT INTO weir.slots (instance_id, scope, acquired_at) VALUES (${instanceId}::uuid, ${row.slot_scope}, weir.now())`;
      return true;
    }
    await tx`UPDATE weir.instances SET status = 'queued', updated_at = weir.now() WHERE id = ${instanceId}::uuid`;
    return false;
  });
}

/**
 * Safety net, run with the timers: scopes with queued instances and free slots get them started
 * (a limit raised by a new version, a slot freed by a path that bypassed the trigger).
 */
export async function promoteQueued(sql: Sql, maxScopes = 50): Promise<number> {
  const scopes = await sql<{ scope: string }>`
    SELECT DISTINCT slot_scope AS scope FROM weir.instances WHERE status = 'queued' LIMIT ${maxScopes}`;
  let started = 0;
  for (const { scope } of scopes) {
    const [r] = await sql<{ n: number }>`SELECT weir.promote_queued(${scope}) AS n`;
    started += Number(r.n);
  }
  return started;
}

/** Slots in use per scope (bounded), for metrics and the console. */
export async function slotsInUse(sql: Sql, limit = 100): Promise<{ scope: string; used: number; queued: number }[]> {
  return sql<{ scope: string; used: number; queued: number }>`
    SELECT scope, sum(used)::int AS used, sum(queued)::int AS queued FROM (
      SELECT scope, count(*) AS used, 0 AS queued FROM weir.slots GROUP BY scope
      UNION ALL
      SELECT slot_scope, 0, count(*) FROM weir.instances WHERE status = 'queued' GROUP BY slot_scope
    ) s GROUP BY scope ORDER BY sum(used) + sum(queued) DESC LIMIT ${limit}`;
}

