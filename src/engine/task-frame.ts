/**
 * One task's lifecycle (dsl.md, Data Flow): `if` → `input.schema` → `input.from` → the kind →
 * `output.as` → `output.schema` → `export.as` → `export.schema`. Kinds live in tasks/*.ts.
 */
import type { Task } from '../dsl/model.ts';
import { taskKinds, type TaskKind } from '../dsl/model.ts';
import { evaluateCondition, evaluateTransform } from '../expr/expression.ts';
import { validateSchema } from '../expr/schema.ts';
import { fault, toWorkflowError, type WorkflowError } from './errors.ts';
import { record, taskArgs, taskAt, type Env } from './env.ts';
import type { KindAction, TaskKindHandler } from './kind.ts';
import { armTimeout, durationMs, resolveTimeout } from './timing.ts';
import type { Signal, TaskFrame } from './types.ts';
import type { FrameAction } from './frame-action.ts';

let handlers: Record<string, TaskKindHandler> = {};

/** Installed once by engine/kinds.ts (keeps tasks/ free to import engine helpers without a cycle). */
export function installKinds(h: Record<string, TaskKindHandler>): void {
  handlers = h;
}

export function kindOf(task: Task): TaskKind | undefined {
  for (const k of taskKinds) if (k in task) return k;
  return undefined;
}

export function stepTask(f: TaskFrame, env: Env, sig: Signal | undefined): FrameAction {
  let task: Task;
  try {
    task = taskAt(env.wf, f.ptr);
  } catch (e) {
    return failTask(f, env, toWorkflowError(e));
  }
  const kind = kindOf(task);
  const handler = kind && handlers[kind];
  if (!handler) return failTask(f, env, { ...toWorkflowError(fault('configuration', `task '${f.name}' has no supported kind`)) });
  try {
    if (f.phase === 'init') {
      const args = taskArgs(env, f, { input: false });
      if (task.if !== undefined && !evaluateCondition(task.if, f.raw, args, { now: env.ctx.now })) {
        record(env, 'taskSkipped', f);
        return { kind: 'return', value: f.raw };
      }
      validateSchema(task.input?.schema, f.raw, `input of task '${f.name}'`);
      f.input = task.input?.from === undefined ? f.raw : evaluateTransform(task.input.from, f.raw, args, env.mode, { now: env.ctx.now });
      f.phase = 'run';
      record(env, 'taskStarted', f);
      const timeout = resolveTimeout(env, task.timeout, f.ptr);
      if (timeout) armTimeout(env, f, durationMs(env, timeout.after, f, 'timeout'), f.ptr);
      return apply(f, env, task, handler.start(f, env, task));
    }
    let action: KindAction;
    if (handler.resume) action = handler.resume(f, env, task, sig);
    else if (sig?.kind === 'return') action = { kind: 'done', output: sig.value };
    else if (sig?.kind === 'throw') action = { kind: 'fail', error: sig.error };
    else action = { kind: 'wait' };
    return apply(f, env, task, action);
  } catch (e) {
    return failTask(f, env, toWorkflowError(e));
  }
}

function apply(f: TaskFrame, env: Env, task: Task, action: KindAction): FrameAction {
  switch (action.kind) {
    case 'push':
      return action;
    case 'wait':
      return action;
    case 'fail':
      return failTask(f, env, action.error);
    case 'done':
      return finishTask(f, env, task, action.output, action.then ?? task.then);
  }
}

function finishTask(f: TaskFrame, env: Env, task: Task, raw: unknown, then: string | undefined): FrameAction {
  let output = raw;
  try {
    const opts = { now: env.ctx.now };
    if (task.output?.as !== undefined) {
      output = evaluateTransform(task.output.as, raw, taskArgs(env, f, { rawOutput: raw }), env.mode, opts);
    }
    validateSchema(task.output?.schema, output, `output of task '${f.name}'`);
    if (task.export?.as !== undefined) {
      env.state.context = evaluateTransform(
        task.export.as,
        output,
        taskArgs(env, f, { rawOutput: raw, hasOutput: true, output }),
        env.mode,
        opts,
      );
    }
    validateSchema(task.export?.schema, env.state.context, `context exported by task '${f.name}'`);
  } catch (e) {
    return failTask(f, env, toWorkflowError(e));
  }
  record(env, 'taskCompleted', f, { output });
  return then === undefined ? { kind: 'return', value: output } : { kind: 'return', value: output, then };
}

/** The task faults: the error gets the task's pointer as `instance` unless it already has one. */
export function failTask(f: TaskFrame, env: Env, error: WorkflowError): FrameAction {
  const e = error.instance === undefined ? { ...error, instance: f.ptr } : error;
  record(env, 'taskFaulted', f, { error: e });
  return { kind: 'throw', error: e };
}
