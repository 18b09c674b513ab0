/**
 * Frame removal and instance-level transitions: popping a frame cancels what it waited for,
 * finishing/faulting/cancelling the workflow cancels everything.
 */
import { evaluateTransform } from '../expr/expression.ts';
import { validateSchema } from '../expr/schema.ts';
import { toWorkflowError, workflowError, type WorkflowError } from './errors.ts';
import { record, taskArgs, threadIds, type Env } from './env.ts';
import type { Frame, Recovery, Thread } from './types.ts';

/** Emits the cancel effect for a wait and forgets it. */
export function cancelWait(env: Env, id: string): void {
  const w = env.state.waits[id];
  if (!w) return;
  delete env.state.waits[id];
  if (w.kind === 'timer') env.effects.push({ kind: 'cancelTimer', id });
  else if (w.kind === 'event') env.effects.push({ kind: 'unlisten', id });
  else if (w.kind === 'child') env.effects.push({ kind: 'cancelChild', id });
  // A late HTTP result is stale and dropped anyway; cancelHttp lets the runner abort the request.
  else if (w.kind === 'http') env.effects.push({ kind: 'cancelHttp', id });
}

export function cancelTimeout(env: Env, id: string): void {
  const t = env.state.timeouts[id];
  if (!t) return;
  delete env.state.timeouts[id];
  if (t.armed) env.effects.push({ kind: 'cancelTimer', id });
}

/** Releases what `frame` holds: its waits, its timeouts, its fork branches. */
export function releaseFrame(env: Env, thread: Thread, frame: Frame): void {
  const { waits, timeouts, threads } = env.state;
  for (const id in waits) if (waits[id].fid === frame.fid && waits[id].thread === thread.id) cancelWait(env, id);
  for (const id in timeouts) if (timeouts[id].fid === frame.fid && timeouts[id].thread === thread.id) cancelTimeout(env, id);
  if (frame.k === 'task' && frame.s?.branches) {
    for (const id of threadIds(env.state)) {
      const p = threads[id]?.parent;
      if (p && p.thread === thread.id && p.fid === frame.fid) cancelThread(env, id);
    }
  }
}

/** Pops the top frame of `thread`, releasing it. */
export function popFrame(env: Env, thread: Thread): Frame | undefined {
  const f = thread.stack.pop();
  if (f) releaseFrame(env, thread, f);
  return f;
}

/** Removes a thread (a fork branch), releasing all its frames, innermost first. */
export function cancelThread(env: Env, id: string): void {
  const t = env.state.threads[id];
  if (!t) return;
  while (t.stack.length) {
    const f = t.stack[t.stack.length - 1];
    if (f.k === 'task') {
      const saved = env.thread;
      env.thread = t;
      record(env, 'taskCancelled', f);
      env.thread = saved;
    }
    popFrame(env, t);
  }
  delete env.state.threads[id];
}

/** Releases every thread, wait and timeout (the instance is ending). */
export function releaseAll(env: Env): void {
  for (const id of threadIds(env.state)) {
    const t = env.state.threads[id];
    while (t.stack.length) popFrame(env, t);
  }
  env.state.threads = {};
  for (const id of Object.keys(env.state.waits)) cancelWait(env, id);
  for (const id of Object.keys(env.state.timeouts)) cancelTimeout(env, id);
}

export function isTerminal(env: Env): boolean {
  const s = env.state.status;
  return s === 'completed' || s === 'faulted' || s === 'cancelled';
}

/** Applies the workflow's `output.as` and `output.schema`, then completes (or faults). */
export function completeWorkflow(env: Env, value: unknown): void {
  if (isTerminal(env)) return;
  releaseAll(env);
  let output = value;
  try {
    const out = env.wf.output;
    if (out?.as !== undefined) output = evaluateTransform(out.as, value, wfOutputArgs(env), env.mode, { now: env.ctx.now });
    validateSchema(out?.schema, output, 'workflow output');
  } catch (e) {
    faultWorkflow(env, { ...toWorkflowError(e), instance: toWorkflowError(e).instance ?? '/output' });
    return;
  }
  env.state.status = 'completed';
  env.state.output = output;
  env.effects.push({ kind: 'complete', output });
  env.history.push({ at: env.ctx.now, kind: 'workflowCompleted' });
}

function wfOutputArgs(env: Env) {
  const a = taskArgs(env, undefined);
  return { $context: a.$context, $secrets: a.$secrets, $workflow: a.$workflow, $runtime: a.$runtime };
}

/** Faults the instance; with `recovery` (where the error left its task) it can be retried from there. */
export function faultWorkflow(env: Env, error: WorkflowError, recovery?: Recovery): void {
  if (isTerminal(env)) return;
  releaseAll(env);
  env.state.status = 'faulted';
  env.state.error = error;
  if (recovery) env.state.recovery = recovery;
  else delete env.state.recovery;
  env.effects.push({ kind: 'fault', error });
  env.history.push({ at: env.ctx.now, kind: 'workflowFaulted', data: error });
}

export function cancelWorkflow(env: Env, reason?: string): void {
  if (isTerminal(env)) return;
  for (const id of threadIds(env.state).reverse()) cancelThread(env, id);
  releaseAll(env);
  env.state.status = 'cancelled';
  env.history.push({ at: env.ctx.now, kind: 'workflowCancelled', data: reason === undefined ? undefined : { reason } });
}

export function runtimeFault(detail: string, instance?: string): WorkflowError {
  return workflowError('runtime', detail, instance === undefined ? {} : { instance });
}
