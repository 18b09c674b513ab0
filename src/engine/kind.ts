/** The contract between the task lifecycle (engine/task-frame.ts) and one task kind (tasks/*.ts). */
import type { Task } from '../dsl/model.ts';
import type { Env } from './env.ts';
import type { Frame, Signal, TaskFrame, WorkflowError } from './types.ts';

export type KindAction =
  /** The task's raw output; `then` overrides the task's own `then` (switch cases). */
  | { kind: 'done'; output: unknown; then?: string }
  | { kind: 'fail'; error: WorkflowError }
  | { kind: 'push'; frame: Frame }
  | { kind: 'wait' };

export type TaskKindHandler = {
  /** Called once, after `if`, `input.schema` and `input.from`; `f.input` is the transformed input. */
  start(f: TaskFrame, env: Env, task: Task): KindAction;
  /**
   * Called when a pushed child frame returns or throws, when a stimulus for one of this frame's
   * waits arrives, or (with no signal) when the frame is woken (a fork branch finished).
   * Without `resume`, a child's return is the task output and a throw is the task's fault.
   */
  resume?(f: TaskFrame, env: Env, task: Task, sig: Signal | undefined): KindAction;
};

export const done = (output: unknown, then?: string): KindAction =>
  then === undefined ? { kind: 'done', output } : { kind: 'done', output, then };
export const failWith = (error: WorkflowError): KindAction => ({ kind: 'fail', error });
export const push = (frame: Frame): KindAction => ({ kind: 'push', frame });
export const wait: KindAction = { kind: 'wait' };

/** A list frame running `ptr` (a task list) on `data`, with optional scope variables. */
export function listFrame(env: Env, ptr: string, data: unknown, vars?: Record<string, unknown>): Frame {
  const f: Frame = { k: 'list', fid: ++env.state.seq, ptr, index: -1, data };
  if (vars) f.vars = vars;
  return f;
}

/** A task frame for the task at `ptr` with raw input `raw`. */
export function taskFrame(env: Env, ptr: string, name: string, raw: unknown): TaskFrame {
  return { k: 'task', fid: ++env.state.seq, ptr, name, phase: 'init', raw, startedAt: env.ctx.now };
}
