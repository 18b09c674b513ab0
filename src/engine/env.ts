/**
 * The per-advance environment every frame step receives: the document, the (mutable, private)
 * state copy, the context, and the effect / history buffers. Also the helpers frames share:
 * pointer lookup, ids, expression arguments, effect emission.
 */
import { resolvePointer, parsePointer } from '../dsl/pointer.ts';
import type { Task } from '../dsl/model.ts';
import type { EvaluationMode, ExpressionVariables } from '../expr/expression.ts';
import { fault } from './errors.ts';
import type {
  Effect,
  EngineContext,
  EngineLimits,
  Frame,
  HistoryEntry,
  HistoryKind,
  InstanceState,
  Recovery,
  TaskFrame,
  Thread,
  Wait,
  Workflow,
} from './types.ts';

export const defaultLimits: EngineLimits = { maxIterations: 10_000, maxSteps: 1_000_000 };

export type Env = {
  wf: Workflow;
  state: InstanceState;
  ctx: EngineContext;
  effects: Effect[];
  history: HistoryEntry[];
  limits: EngineLimits;
  mode: EvaluationMode;
  steps: number;
  /** The thread being stepped. */
  thread: Thread;
  /**
   * Per thread, the recovery point of an error still unwinding (taken where it left its task,
   * dropped when something catches it, kept in the state if it faults the instance).
   */
  unwinding?: Record<string, Recovery>;
  /** Lazily built `$workflow` / `$runtime` descriptors, shared by every evaluation of this advance. */
  wfArg?: unknown;
  runtimeArg?: unknown;
  secretsArg?: Record<string, unknown>;
};

// ---------------------------------------------------------------------------------------------
// Document lookup

const nodeCache = new WeakMap<object, Map<string, unknown>>();

/** The document node at `ptr` (cached per workflow object: pointers are looked up on every step). */
export function nodeAt(wf: Workflow, ptr: string): unknown {
  let cache = nodeCache.get(wf);
  if (!cache) {
    cache = new Map();
    nodeCache.set(wf, cache);
  }
  let v = cache.get(ptr);
  if (v === undefined && !cache.has(ptr)) {
    v = resolvePointer(wf, ptr);
    cache.set(ptr, v);
  }
  return v;
}

export function taskAt(wf: Workflow, ptr: string): Task {
  const t = nodeAt(wf, ptr);
  if (t === null || typeof t !== 'object') throw fault('configuration', `no task at ${ptr}`, { instance: ptr });
  return t as Task;
}

/** The last token of a task pointer: its name. */
export function nameOf(ptr: string): string {
  const tokens = parsePointer(ptr);
  return tokens[tokens.length - 1] ?? '';
}

export function escapeToken(token: string): string {
  return token.includes('~') || token.includes('/') ? token.replace(/~/g, '~0').replace(/\//g, '~1') : token;
}

// ---------------------------------------------------------------------------------------------
// Ids, effects, history

export function nextSeq(env: Env): number {
  return ++env.state.seq;
}

/** A new effect id; unique within the instance forever (the counter lives in the state). */
export function newEffectId(env: Env, prefix: string): string {
  return `${prefix}-${nextSeq(env)}`;
}

export function emitEffect(env: Env, effect: Effect): void {
  if ('task' in effect && env.thread.id !== 'main' && effect.branch === undefined) {
    (effect as { branch?: string }).branch = env.thread.id;
  }
  env.effects.push(effect);
}

/** Registers that `frame` in the current thread waits for `id`. */
export function addWait(env: Env, id: string, kind: Wait['kind'], frame: Frame): void {
  env.state.waits[id] = { kind, thread: env.thread.id, fid: frame.fid };
}

export function record(env: Env, kind: HistoryKind, frame?: TaskFrame, data?: unknown): void {
  const entry: HistoryEntry = { at: env.ctx.now, kind };
  if (frame) {
    entry.task = frame.name;
    entry.ref = frame.ptr;
  }
  if (env.thread.id !== 'main' && frame) entry.branch = env.thread.id;
  if (data !== undefined) entry.data = data;
  env.history.push(entry);
}

// ---------------------------------------------------------------------------------------------
// Expression arguments

export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

type DateTimeDescriptor = { iso8601: string; epoch: { seconds: number; milliseconds: number } };
let lastDateTime: DateTimeDescriptor | undefined;

/** dsl.md DateTime descriptor. Memoized for the last instant: every `$task` in an advance shares ctx.now. */
export function dateTime(ms: number): DateTimeDescriptor {
  if (lastDateTime?.epoch.milliseconds === ms) return lastDateTime;
  lastDateTime = { iso8601: isoTime(ms), epoch: { seconds: Math.floor(ms / 1000), milliseconds: ms } };
  return lastDateTime;
}

function workflowArg(env: Env): unknown {
  env.wfArg ??= {
    id: env.state.id,
    definition: env.wf,
    input: env.state.input,
    startedAt: dateTime(env.state.startedAt),
  };
  return env.wfArg;
}

/**
 * `$secrets`: only the secrets the workflow declares in `use.secrets` (dsl.md, Secret — a workflow
 * sees the secrets it has access to; declaring them is how it asks for access).
 */
export function secretsArg(env: Env): Record<string, unknown> {
  env.secretsArg ??= Object.fromEntries(
    (env.wf.use?.secrets ?? []).filter((name) => env.ctx.secrets && Object.hasOwn(env.ctx.secrets, name)).map((name) => [name, env.ctx.secrets![name]]),
  );
  return env.secretsArg;
}

function runtimeArg(env: Env): unknown {
  env.runtimeArg ??= env.ctx.runtime ?? { name: 'weir', version: '0.1.0', metadata: {} };
  return env.runtimeArg;
}

/** Variables in scope for the current thread: loop items, caught errors, …, innermost last. */
export function scopeVars(env: Env, thread: Thread = env.thread, uptoFid?: number): Record<string, unknown> | undefined {
  let out: Record<string, unknown> | undefined;
  if (thread.parent) {
    const parent = env.state.threads[thread.parent.thread];
    if (parent) out = scopeVars(env, parent, thread.parent.fid);
  }
  for (const f of thread.stack) {
    if (f.k === 'list' && f.vars) out = out ? { ...out, ...f.vars } : { ...f.vars };
    if (uptoFid !== undefined && f.fid === uptoFid) break;
  }
  return out;
}

export type ArgOptions = { input?: boolean; output?: unknown; hasOutput?: boolean; rawOutput?: unknown; task?: boolean };

/** Runtime expression arguments for an expression of `frame` (dsl.md, Runtime expression arguments). */
export function taskArgs(env: Env, frame: TaskFrame | undefined, opts: ArgOptions = {}): ExpressionVariables {
  // Inside an extension's before/after tasks, `$task` describes the extended task.
  const described = frame && frame.ptr.startsWith('/use/extensions/') ? (extendedTask(env) ?? frame) : frame;
  const vars: ExpressionVariables = {
    $context: env.state.context,
    $input: frame && opts.input !== false ? frame.input : null,
    $output: opts.hasOutput ? opts.output : null,
    $secrets: secretsArg(env),
    $task: described
      ? {
          name: described.name,
          reference: described.ptr,
          definition: nodeAt(env.wf, described.ptr),
          input: described.raw,
          output: described === frame ? (opts.rawOutput ?? null) : (described.x?.out ?? null),
          startedAt: dateTime(described.startedAt),
        }
      : null,
    $workflow: workflowArg(env),
    $runtime: runtimeArg(env),
    $authorization: frame?.auth ?? null,
  };
  const scope = scopeVars(env);
  if (scope) for (const k of Object.keys(scope)) vars['$' + k] = scope[k];
  return vars;
}

function extendedTask(env: Env): TaskFrame | undefined {
  const stack = env.thread.stack;
  for (let i = stack.length - 1; i >= 0; i--) {
    const f = stack[i];
    if (f.k === 'task' && !f.ptr.startsWith('/use/extensions/')) return f;
  }
  return undefined;
}

/**
 * Thread ids in creation order: `main`, then fork branches `b<forkFid>.<index>` by fork frame id
 * and branch index. Scheduling must not depend on object key order — Postgres `jsonb` reorders
 * keys (shorter first), so a state read back from the database would otherwise run branches in a
 * different order than the one that wrote it.
 */
export function threadIds(state: InstanceState): string[] {
  const key = (id: string): [number, number] => {
    const m = /^b(\d+)\.(\d+)$/.exec(id);
    return m ? [Number(m[1]), Number(m[2])] : [-1, 0];
  };
  return Object.keys(state.threads).sort((a, b) => {
    const [fa, ia] = key(a);
    const [fb, ib] = key(b);
    return fa - fb || ia - ib;
  });
}

export function topOf(thread: Thread): Frame | undefined {
  return thread.stack[thread.stack.length - 1];
}
