/**
 * Retry from the failed task: a faulted instance resumes, as the same instance, at the task the
 * error left (its `recovery` point, recovery.ts), keeping everything that completed before it —
 * context, earlier outputs, the position inside `for` and `do`, finished fork branches.
 *
 * What runs again, from its start (a fresh frame, so fresh effect ids and Idempotency-Keys):
 * - the failed task;
 * - every task that was waiting when the instance faulted (a sibling fork branch's call, wait,
 *   listen or child): the fault cancelled what they waited for, so they cannot pick it up again.
 * Enclosing `try` retry policies get their attempt count back (a retried task has its whole retry
 * budget, as after Step Functions' redrive); `limit.duration` still counts from the try's start.
 * Timeouts of the enclosing tasks and of the workflow stay armed, moved later by the time spent
 * faulted (and under new ids: a timer of the faulted run can never fire into the retried one).
 */
import { advance } from './advance.ts';
import { threadIds, topOf } from './env.ts';
import { resetRetryBudget } from '../tasks/try.ts';
import type { AdvanceResult, EngineContext, HistoryEntry, InstanceState, TaskFrame, Workflow } from './types.ts';

/**
 * Why `state` cannot be retried from its failed task, or undefined when it can. The runner
 * checks this before `prepareRetry` to answer with a reason (and suggest a rerun).
 */
export function retryRefusal(state: InstanceState | undefined | null): string | undefined {
  if (!state) return 'it faulted before it started (no state was saved)';
  if (state.status !== 'faulted') return 'the runner faulted it outside the workflow (its saved state is not a fault of a task)';
  if (!state.recovery) {
    return 'the error did not come out of a task (workflow input or output, a workflow timeout, an engine limit, or a state too large to keep), so there is no task to run again';
  }
  return undefined;
}

/**
 * The faulted `state` made ready to run again from its failed task: status `running`, error
 * cleared, the failed (and interrupted) tasks restarted, marked `retrying`. Nothing runs yet —
 * deliver `{ kind: 'retry' }` to run it (what the durable runner does with a `retry` message).
 * Also returns the `workflowRetried` history entry. Throws a TypeError when `retryRefusal` refuses.
 *
 * @example
 * const { state: ready } = prepareRetry(faulted, { now });
 * const { state, effects } = advance(workflow, ready, { kind: 'retry' }, { now, instanceId });
 */
export function prepareRetry(state: InstanceState, ctx: Pick<EngineContext, 'now'>): { state: InstanceState; history: HistoryEntry } {
  const refused = retryRefusal(state);
  if (refused) throw new TypeError(`prepareRetry: cannot retry: ${refused}`);
  const point = state.recovery!;
  const next = structuredClone(state);
  delete next.error;
  delete next.output;
  delete next.recovery;
  delete next.inbox;
  next.status = 'running';
  next.context = structuredClone(point.context);
  next.threads = structuredClone(point.threads);
  next.waits = {};
  next.timeouts = {};

  const waited = new Set(Object.values(point.waits).map((w) => `${w.thread}:${w.fid}`));
  const restarted = new Set<string>();
  const others: string[] = [];
  for (const id of threadIds(next)) {
    const t = next.threads[id];
    for (const f of t.stack) if (f.k === 'task') resetRetryBudget(f);
    const top = topOf(t);
    if (!top || top.k !== 'task') continue;
    if (id !== point.thread && !waited.has(`${id}:${top.fid}`)) continue;
    restarted.add(`${id}:${top.fid}`);
    t.stack[t.stack.length - 1] = fresh(next, top, ctx.now);
    t.blocked = false;
    delete t.sig;
    if (id !== point.thread || top.ptr !== point.task) others.push(top.ptr);
  }
  const paused = Math.max(0, ctx.now - point.at);
  for (const id of Object.keys(point.timeouts)) {
    const t = point.timeouts[id];
    if (restarted.has(`${t.thread}:${t.fid}`)) continue; // the restarted task arms its own again
    next.timeouts[`timeout-${++next.seq}`] = { ...t, dueAt: t.dueAt + paused, armed: false };
  }
  next.retrying = { task: point.task, thread: point.thread };
  const history: HistoryEntry = {
    at: ctx.now,
    kind: 'workflowRetried',
    task: point.name,
    ref: point.task,
    ...(point.thread === 'main' ? {} : { branch: point.thread }),
    data: { task: point.task, ...(others.length ? { restarted: others } : {}) },
  };
  return { state: next, history };
}

/** A new frame for the same task and raw input, as if its list had just entered it. */
function fresh(state: InstanceState, f: TaskFrame, now: number): TaskFrame {
  return { k: 'task', fid: ++state.seq, ptr: f.ptr, name: f.name, phase: 'init', raw: f.raw, startedAt: now };
}

/**
 * `prepareRetry` then run: the retried instance's state, effects and history (the
 * `workflowRetried` entry first), as one pure call.
 */
export function retryFromFailure(workflow: Workflow, state: InstanceState, ctx: EngineContext): AdvanceResult {
  const prepared = prepareRetry(state, ctx);
  const r = advance(workflow, prepared.state, { kind: 'retry' }, ctx);
  return { ...r, history: [prepared.history, ...r.history] };
}
