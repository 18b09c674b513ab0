/** `set`: the task output is the evaluated object (or the value of a direct expression). */
import type { SetTask } from '../dsl/model.ts';
import { evaluateField, evaluateValue } from '../expr/expression.ts';
import { taskArgs } from '../engine/env.ts';
import { done, type TaskKindHandler } from '../engine/kind.ts';

export const setKind: TaskKindHandler = {
  start(f, env, task) {
    const { set } = task as SetTask;
    const args = taskArgs(env, f);
    const opts = { now: env.ctx.now };
    if (typeof set === 'string') return done(evaluateField(set, f.input, args, opts));
    return done(evaluateValue(set, f.input, args, env.mode, opts));
  },
};
