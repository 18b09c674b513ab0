/**
 * Recovery points: where a faulted instance can be retried from. An error unwinds frame by frame
 * and the fault releases every thread, wait and timeout, so by the time the instance is faulted
 * its stack is gone. The point is therefore taken where the error *leaves a task* — the threads,
 * waits, timeouts and context at that moment — carried while the error unwinds, dropped when a
 * `try` catches it, and kept in the faulted state when it reaches the workflow.
 *
 * The point is taken shallow (new thread objects and stack arrays, frames shared), because most
 * errors are caught and a deep copy per raise made a 5 000-item `for` with a caught `raise` in
 * each iteration 50× slower (the loop's items were copied every time). Sharing is safe while the
 * error unwinds in its own thread: unwinding pops frames and hands the error down, and no frame
 * that rethrows changes itself (only a `try` that catches does, and then the point is dropped).
 * When the error leaves a fork branch, other threads may run before the fork fails, so the point
 * is made deep then — every other thread and the fork frame — and for timeouts (raised from
 * outside the thread's own run).
 */
import type { Env } from './env.ts';
import type { Frame, InstanceState, Recovery, Thread } from './types.ts';

/**
 * Called for each frame that throws. The first task frame an error leaves (in this thread) is its
 * origin: the point is taken there, once; frames further down only carry it.
 */
export function noteThrow(env: Env, thread: Thread, frame: Frame, deep = false): void {
  if (frame.k !== 'task') return;
  const unwinding = (env.unwinding ??= {});
  if (unwinding[thread.id]) return;
  const point: Recovery = { task: frame.ptr, name: frame.name, thread: thread.id, at: env.ctx.now, ...shallowCopy(env.state) };
  unwinding[thread.id] = deep ? structuredClone(point) : point;
}

/** The error of `thread` was handled (caught, or the frame did something else than rethrow). */
export function noteHandled(env: Env, thread: Thread): void {
  if (env.unwinding?.[thread.id]) delete env.unwinding[thread.id];
}

/**
 * A fork branch's error moves to the forking thread, where it faults the fork. Called before the
 * fork frame records the error, so the point's copy of that frame is the one without it.
 */
export function moveUnwinding(env: Env, from: Thread, to: string, first: boolean): void {
  const point = env.unwinding?.[from.id];
  if (!point) return;
  delete env.unwinding![from.id];
  // Only the error the fork reports (the first one) says where to retry.
  if (first) env.unwinding![to] ??= harden(point, to);
}

/** The recovery point of the error unwinding in `thread`, if any. */
export function unwindingOf(env: Env, thread: Thread | undefined): Recovery | undefined {
  return thread ? env.unwinding?.[thread.id] : undefined;
}

function shallowCopy(state: InstanceState): Pick<Recovery, 'context' | 'threads' | 'waits' | 'timeouts'> {
  const threads: Record<string, Thread> = {};
  for (const id in state.threads) {
    const t = state.threads[id];
    threads[id] = { ...t, stack: [...t.stack] };
  }
  return { context: state.context, threads, waits: { ...state.waits }, timeouts: { ...state.timeouts } };
}

/**
 * Deep copies of what may still change before the fork faults: every thread but the forking one
 * (siblings may run), and the forking thread's top frame (the fork, which records results). The
 * frames below the fork only pass the error on.
 */
function harden(point: Recovery, forking: string): Recovery {
  const threads: Record<string, Thread> = {};
  for (const id in point.threads) {
    const t = point.threads[id];
    if (id !== forking) {
      threads[id] = structuredClone(t);
      continue;
    }
    const stack = [...t.stack];
    if (stack.length) stack[stack.length - 1] = structuredClone(stack[stack.length - 1]);
    threads[id] = { ...t, stack };
  }
  return { ...point, threads };
}
