/**
 * `for`: runs `do` once per item of `for.in`, with `$<each>` (default `$item`) and `$<at>`
 * (default `$index`) in scope, while `while` holds. Each iteration's output is the next one's
 * input; the last output is the task output (the input when nothing ran).
 */
import type { ForTask } from '../dsl/model.ts';
import { evaluateCondition, evaluateField } from '../expr/expression.ts';
import { fault } from '../engine/errors.ts';
import { taskArgs, type Env } from '../engine/env.ts';
import { done, failWith, listFrame, push, wait, type KindAction, type TaskKindHandler } from '../engine/kind.ts';
import type { TaskFrame } from '../engine/types.ts';

type ForState = { items: unknown[]; i: number };

export const forKind: TaskKindHandler = {
  start(f, env, task) {
    const t = task as ForTask;
    const collection = evaluateField(t.for.in, f.input, taskArgs(env, f), { now: env.ctx.now });
    let items: unknown[];
    if (collection === null || collection === undefined) items = [];
    else if (Array.isArray(collection)) items = collection;
    else if (typeof collection === 'object') items = Object.values(collection);
    else throw fault('expression', `for.in must produce an array, got ${typeof collection}`);
    if (items.length > env.limits.maxIterations) {
      throw fault('runtime', `for.in produced ${items.length} items; the limit is ${env.limits.maxIterations} iterations`);
    }
    f.s = { items, i: -1 } satisfies ForState;
    return next(f, env, t, f.input);
  },
  resume(f, env, task, sig) {
    if (sig?.kind === 'throw') return failWith(sig.error);
    if (sig?.kind === 'return') return next(f, env, task as ForTask, sig.value);
    return wait;
  },
};

function next(f: TaskFrame, env: Env, t: ForTask, data: unknown): KindAction {
  const s = f.s as ForState;
  const i = s.i + 1;
  if (i >= s.items.length) return done(data);
  const vars = { [t.for.each ?? 'item']: s.items[i], [t.for.at ?? 'index']: i };
  if (t.while !== undefined) {
    const args = taskArgs(env, f);
    for (const k of Object.keys(vars)) args['$' + k] = vars[k];
    if (!evaluateCondition(t.while, data, args, { now: env.ctx.now })) return done(data);
  }
  s.i = i;
  return push(listFrame(env, `${f.ptr}/do`, data, vars));
}
