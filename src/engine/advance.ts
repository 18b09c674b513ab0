/**
 * `advance(workflow, state, stimulus, ctx)`: the whole interpreter as one pure function. It copies
 * the state, delivers the stimulus, runs every runnable thread until each one finishes or waits,
 * arms the timeouts of frames still active, and returns the new state with the effects the runner
 * must perform and the history rows to append. See ARCHITECTURE.md.
 */
import { workflowError } from './errors.ts';
import { defaultLimits, threadIds, topOf, type Env } from './env.ts';
import type { FrameAction } from './frame-action.ts';
import { cancelThread, cancelWorkflow, completeWorkflow, faultWorkflow, isTerminal, popFrame } from './lifecycle.ts';
import { stepList } from './list-frame.ts';
import { moveUnwinding, noteHandled, noteThrow } from './recovery.ts';
import { stepTask, failTask } from './task-frame.ts';
import { stepWorkflow } from './workflow-frame.ts';
import './kinds.ts';
import type { AdvanceResult, EngineContext, InstanceState, Signal, Stimulus, Thread, Workflow } from './types.ts';

/**
 * Runs the workflow from `state` on `stimulus` until it waits or ends.
 *
 * @example
 * let { state, effects } = advance(wf, undefined, { kind: 'start', input: { n: 1 } }, { now, instanceId });
 * // perform effects…, then feed each result back:
 * ({ state, effects } = advance(wf, state, { kind: 'effectResult', id, result }, { now }));
 */
export function advance(
  workflow: Workflow,
  state: InstanceState | undefined,
  stimulus: Stimulus,
  ctx: EngineContext,
): AdvanceResult {
  if (stimulus.kind === 'start') {
    if (state) return { state, effects: [], history: [] };
  } else if (!state) {
    throw new TypeError(`advance: a '${stimulus.kind}' stimulus needs the instance state`);
  }
  if (state && isStale(state, stimulus)) return { state, effects: [], history: [] };

  const env: Env = {
    wf: workflow,
    state: state ? structuredClone(state) : newState(stimulus, ctx),
    ctx,
    effects: [],
    history: [],
    limits: { ...defaultLimits, ...ctx.limits },
    mode: workflow.evaluate?.mode === 'loose' ? 'loose' : 'strict',
    steps: 0,
    thread: undefined as unknown as Thread,
  };
  if (stimulus.kind === 'resume') resume(env);
  else if (stimulus.kind === 'suspend' || (env.state.status === 'suspended' && stimulus.kind !== 'cancel')) hold(env, stimulus);
  else {
    deliver(env, stimulus);
    run(env);
  }
  if (!isTerminal(env) && env.state.status !== 'suspended' && !waitsForAnything(env.state)) {
    // A safety net: an instance that waits for nothing would never be woken again.
    faultWorkflow(env, workflowError('runtime', 'the instance stopped without waiting for anything (interpreter bug)', { instance: '/' }));
  }
  if (!isTerminal(env) && env.state.status !== 'suspended') {
    for (const id of Object.keys(env.state.timeouts)) {
      const t = env.state.timeouts[id];
      if (t.armed) continue;
      t.armed = true;
      const branch = t.thread === 'main' ? {} : { branch: t.thread };
      env.effects.push({ kind: 'timer', id, task: t.ptr, dueAt: t.dueAt, purpose: 'timeout', ...branch });
    }
    env.state.status = 'waiting';
  }
  return { state: env.state, effects: env.effects, history: env.history };
}

function waitsForAnything(state: InstanceState): boolean {
  for (const _ in state.waits) return true;
  for (const _ in state.timeouts) return true;
  return false;
}

/**
 * Whether the state no longer waits for what `stimulus` targets (an effect, timer, subscription
 * or child it has cancelled or already consumed). The durable runner drops such messages.
 */
export function isStale(state: InstanceState | undefined, stimulus: Stimulus): boolean {
  if (stimulus.kind === 'start') return state !== undefined;
  if (!state) return true;
  const terminal = state.status === 'completed' || state.status === 'faulted' || state.status === 'cancelled';
  if (terminal) return true;
  if (stimulus.kind === 'retry') return !state.retrying;
  if (stimulus.kind === 'cancel') return false;
  if (stimulus.kind === 'suspend') return state.status === 'suspended';
  if (stimulus.kind === 'resume') return state.status !== 'suspended';
  return !(stimulus.id in state.waits) && !(stimulus.id in state.timeouts);
}

/**
 * Suspended: a `suspend` parks the instance; any stimulus but `cancel`/`resume` is kept in the
 * state's inbox (nothing runs, no effects), and `resume` delivers the inbox in arrival order.
 */
function hold(env: Env, stimulus: Stimulus): void {
  if (stimulus.kind === 'suspend') {
    env.state.status = 'suspended';
    env.history.push({ at: env.ctx.now, kind: 'workflowSuspended' });
    return;
  }
  (env.state.inbox ??= []).push(stimulus);
}

function resume(env: Env): void {
  const inbox = env.state.inbox ?? [];
  delete env.state.inbox;
  env.state.status = 'running';
  env.history.push({ at: env.ctx.now, kind: 'workflowResumed' });
  for (const s of inbox) {
    if (isTerminal(env)) return;
    if (isStale(env.state, s)) continue;
    deliver(env, s);
    run(env);
  }
  run(env);
}

function newState(stimulus: Stimulus, ctx: EngineContext): InstanceState {
  const input = stimulus.kind === 'start' ? (stimulus.input ?? null) : null;
  return {
    v: 1,
    id: ctx.instanceId ?? 'local',
    status: 'running',
    input,
    startedAt: ctx.now,
    context: {},
    seq: 0,
    threads: { main: { id: 'main', stack: [{ k: 'wf', fid: 0, phase: 'init' }], blocked: false } },
    waits: {},
    timeouts: {},
  };
}

function deliver(env: Env, stimulus: Stimulus): void {
  const { state } = env;
  if (stimulus.kind === 'start') {
    env.history.push({ at: env.ctx.now, kind: 'workflowStarted' });
    return;
  }
  state.status = 'running';
  if (stimulus.kind === 'cancel') {
    cancelWorkflow(env, stimulus.reason);
    return;
  }
  if (stimulus.kind === 'suspend' || stimulus.kind === 'resume') return;
  if (stimulus.kind === 'retry') {
    // prepareRetry left the threads runnable: running them is all there is to do.
    delete state.retrying;
    return;
  }
  const w = state.waits[stimulus.id];
  if (w) {
    delete state.waits[stimulus.id];
    const t = state.threads[w.thread];
    const top = t && topOf(t);
    if (!t || !top || top.fid !== w.fid) return; // frame already gone: nothing to wake
    t.sig = { kind: 'stimulus', stimulus };
    t.blocked = false;
    return;
  }
  const timeout = state.timeouts[stimulus.id];
  if (timeout && stimulus.kind === 'timerFired') {
    delete state.timeouts[stimulus.id];
    const error = workflowError('timeout', `timed out at ${timeout.ptr || 'the workflow'}`, { instance: timeout.ptr || '/' });
    raiseAt(env, timeout.thread, timeout.fid, error);
  }
}

/** Cancels everything above frame `fid` in `threadId` and makes that frame raise `error`. */
function raiseAt(env: Env, threadId: string, fid: number, error: ReturnType<typeof workflowError>): void {
  const t = env.state.threads[threadId];
  if (!t) return;
  const index = t.stack.findIndex((f) => f.fid === fid);
  if (index < 0) return;
  env.thread = t;
  const target = t.stack[index];
  if (target.k === 'wf') {
    faultWorkflow(env, { ...error, instance: '/' });
    return;
  }
  while (t.stack.length > index + 1) {
    const f = t.stack[t.stack.length - 1];
    if (f.k === 'task') env.history.push({ at: env.ctx.now, kind: 'taskCancelled', task: f.name, ref: f.ptr });
    popFrame(env, t);
  }
  let sig: Signal = { kind: 'throw', error };
  if (target.k === 'task') {
    const action = failTask(target, env, error);
    if (action.kind === 'throw') sig = action;
    noteThrow(env, t, target, true);
  }
  popFrame(env, t);
  t.blocked = false;
  if (t.stack.length === 0) branchDone(env, t, sig);
  else t.sig = sig;
}

function run(env: Env): void {
  const { state } = env;
  for (;;) {
    let progressed = false;
    for (const id of threadIds(state)) {
      const t = state.threads[id];
      if (!t || t.blocked) continue;
      progressed = true;
      runThread(env, t);
      if (isTerminal(env)) return;
    }
    if (!progressed) return;
  }
}

function runThread(env: Env, t: Thread): void {
  env.thread = t;
  while (!t.blocked) {
    if (++env.steps > env.limits.maxSteps) {
      faultWorkflow(
        env,
        workflowError('runtime', `more than ${env.limits.maxSteps} steps in one activation; the workflow does not terminate`, { instance: '/' }),
      );
      return;
    }
    const top = topOf(t);
    if (!top) {
      delete env.state.threads[t.id];
      return;
    }
    const sig = t.sig;
    t.sig = undefined;
    const action = step(env, top, sig);
    if (isTerminal(env)) return;
    if (action.kind === 'throw') noteThrow(env, t, top);
    else noteHandled(env, t);
    switch (action.kind) {
      case 'push':
        t.stack.push(action.frame);
        break;
      case 'wait':
        t.blocked = true;
        break;
      case 'end':
        completeWorkflow(env, action.value);
        return;
      case 'finish':
        return;
      case 'return':
      case 'throw': {
        popFrame(env, t);
        if (t.stack.length === 0) {
          branchDone(env, t, action);
          return;
        }
        t.sig = action;
        break;
      }
    }
  }
}

function step(env: Env, f: Thread['stack'][number], sig: Signal | undefined): FrameAction {
  switch (f.k) {
    case 'wf':
      return stepWorkflow(f, env, sig);
    case 'list':
      return stepList(f, env, sig);
    case 'task':
      return stepTask(f, env, sig);
  }
}

/** A fork branch finished: record its outcome in the fork frame and wake the forking thread. */
function branchDone(env: Env, t: Thread, sig: Signal): void {
  delete env.state.threads[t.id];
  const p = t.parent;
  if (!p) {
    if (sig.kind === 'throw') faultWorkflow(env, sig.error);
    return;
  }
  const parent = env.state.threads[p.thread];
  const fork = parent && topOf(parent);
  if (!parent || !fork || fork.fid !== p.fid || fork.k !== 'task' || !fork.s) return;
  const s = fork.s as { results: unknown[]; finished: number[]; error?: unknown };
  if (sig.kind === 'throw') {
    moveUnwinding(env, t, parent.id, s.error === undefined);
    s.error ??= sig.error;
  }
  else if (sig.kind === 'return') {
    s.results[p.index] = sig.value;
    s.finished.push(p.index);
  }
  parent.blocked = false;
}

export { cancelThread };
