/**
 * One task's lifecycle (dsl.md, Data Flow): `if` → `input.schema` → `input.from` → the kind →
 * `output.as` → `output.schema` → `export.as` → `export.schema`. Kinds live in tasks/*.ts.
 */
import type { Task } from '../dsl/model.ts';
import { taskKinds, type TaskKind } from '../dsl/model.ts';
import { evaluateCondition, evaluateTransform } from '../expr/expression.ts';
import { validateSchema } from '../expr/schema.ts';
import { fault, toWorkflowError, type WorkflowError } from './errors.ts';
import { escapeToken, record, taskArgs, taskAt, type Env } from './env.ts';
import { listFrame, type KindAction, type TaskKindHandler } from './kind.ts';
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
      const extensions = applicableExtensions(env, f, kind, args);
      if (extensions.length) {
        f.x = { apply: extensions, i: -1 };
        f.phase = 'before';
      }
    }
    if (f.phase === 'before') {
      const x = f.x!;
      if (sig?.kind === 'throw') return failTask(f, env, sig.error);
      // An extension's `before` list that ends with `then: exit` intercepts the task: its output
      // replaces the task's (dsl-reference.md, Extension — the mock example).
      if (sig?.kind === 'return' && sig.then === 'exit') {
        f.input = f.raw;
        record(env, 'taskStarted', f);
        return afterKind(f, env, task, sig.value, task.then);
      }
      const next = nextExtension(env, x, 'before');
      if (next) return { kind: 'push', frame: listFrame(env, next, f.raw) };
      f.phase = 'init';
    }
    if (f.phase === 'after') {
      const x = f.x!;
      if (sig?.kind === 'throw') return failTask(f, env, sig.error);
      const next = nextExtension(env, x, 'after');
      if (next) return { kind: 'push', frame: listFrame(env, next, x.out) };
      return finishTask(f, env, task, x.out, x.then);
    }
    if (f.phase === 'init') {
      const args = taskArgs(env, f, { input: false });
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
      return afterKind(f, env, task, action.output, action.then ?? task.then);
  }
}

/** The kind is done: run extension `after` lists, if any, then finish. */
function afterKind(f: TaskFrame, env: Env, task: Task, output: unknown, then: string | undefined): FrameAction {
  if (!f.x) return finishTask(f, env, task, output, then);
  f.phase = 'after';
  f.x.i = -1;
  f.x.out = output;
  if (then !== undefined) f.x.then = then;
  const next = nextExtension(env, f.x, 'after');
  if (next) return { kind: 'push', frame: listFrame(env, next, output) };
  return finishTask(f, env, task, output, then);
}

const EXTENSION_TARGETS: Record<string, string[]> = { composite: ['do', 'fork'] };

/**
 * Indexes of the `use.extensions` that apply to this task: `extend` names its kind (`all`,
 * `composite` = do/fork), and `when` holds. Tasks of extensions and of `use.functions` are not
 * extended themselves.
 */
function applicableExtensions(env: Env, f: TaskFrame, kind: string | undefined, args: Record<string, unknown>): number[] {
  const list = env.wf.use?.extensions;
  if (!list?.length || f.ptr.startsWith('/use/')) return [];
  const out: number[] = [];
  list.forEach((item, i) => {
    const ext = item[Object.keys(item)[0]];
    if (!ext) return;
    const target = ext.extend;
    if (target !== 'all' && target !== kind && !(EXTENSION_TARGETS[target] ?? []).includes(kind ?? '')) return;
    if (ext.when !== undefined && !evaluateCondition(ext.when, f.raw, args, { now: env.ctx.now })) return;
    if (ext.before?.length || ext.after?.length) out.push(i);
  });
  return out;
}

/** The pointer of the next `before`/`after` list to run, advancing `x.i`. */
function nextExtension(env: Env, x: NonNullable<TaskFrame['x']>, which: 'before' | 'after'): string | undefined {
  const list = env.wf.use?.extensions ?? [];
  for (let j = x.i + 1; j < x.apply.length; j++) {
    const index = x.apply[j];
    const name = Object.keys(list[index])[0];
    if (list[index][name]?.[which]?.length) {
      x.i = j;
      return `/use/extensions/${index}/${escapeToken(name)}/${which}`;
    }
  }
  x.i = x.apply.length;
  return undefined;
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
