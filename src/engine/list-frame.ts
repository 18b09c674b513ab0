/**
 * A task list: runs its tasks in order, feeding each task's output to the next, and applies flow
 * directives (`continue`, `exit`, `end`, or the name of a task in the same list).
 */
import type { TaskItem } from '../dsl/model.ts';
import { workflowError } from './errors.ts';
import { escapeToken, nodeAt, type Env } from './env.ts';
import { taskFrame } from './kind.ts';
import type { FrameAction } from './frame-action.ts';
import type { ListFrame, Signal } from './types.ts';

export function stepList(f: ListFrame, env: Env, sig: Signal | undefined): FrameAction {
  const list = nodeAt(env.wf, f.ptr) as TaskItem[] | undefined;
  if (!Array.isArray(list)) {
    return { kind: 'throw', error: workflowError('configuration', `no task list at ${f.ptr}`, { instance: f.ptr }) };
  }
  if (f.index < 0) {
    if (list.length === 0) return { kind: 'return', value: f.data };
    return enter(f, env, list, 0);
  }
  if (!sig || sig.kind === 'stimulus') return { kind: 'wait' };
  if (sig.kind === 'throw') return { kind: 'throw', error: sig.error };
  f.data = sig.value;
  const then = sig.then ?? 'continue';
  if (then === 'continue') return f.index + 1 < list.length ? enter(f, env, list, f.index + 1) : { kind: 'return', value: f.data };
  // `then: 'exit'` travels with the value: task kinds ignore it, an extension's `before` list uses it to intercept.
  if (then === 'exit') return { kind: 'return', value: f.data, then: 'exit' };
  if (then === 'end') return { kind: 'end', value: f.data };
  const target = list.findIndex((item) => Object.keys(item)[0] === then);
  const from = `${f.ptr}/${f.index}/${escapeToken(Object.keys(list[f.index])[0])}`;
  if (target < 0) {
    return {
      kind: 'throw',
      error: workflowError('configuration', `flow directive 'then: ${then}' names no task in the same list (${f.ptr})`, { instance: from }),
    };
  }
  if (target <= f.index) {
    f.jumps = (f.jumps ?? 0) + 1;
    if (f.jumps > env.limits.maxIterations) {
      return {
        kind: 'throw',
        error: workflowError('runtime', `'then: ${then}' looped more than ${env.limits.maxIterations} times; the flow does not terminate`, { instance: from }),
      };
    }
  }
  return enter(f, env, list, target);
}

function enter(f: ListFrame, env: Env, list: TaskItem[], index: number): FrameAction {
  f.index = index;
  const name = Object.keys(list[index])[0];
  return { kind: 'push', frame: taskFrame(env, `${f.ptr}/${index}/${escapeToken(name)}`, name, f.data) };
}
