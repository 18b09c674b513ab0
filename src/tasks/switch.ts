/**
 * `switch`: the first case whose `when` holds (or the default case, without `when`) gives the flow
 * directive; the output is the input. No match and no default: the task's own `then` applies.
 */
import type { SwitchTask } from '../dsl/model.ts';
import { evaluateCondition } from '../expr/expression.ts';
import { taskArgs } from '../engine/env.ts';
import { done, type TaskKindHandler } from '../engine/kind.ts';

export const switchKind: TaskKindHandler = {
  start(f, env, task) {
    const cases = (task as SwitchTask).switch;
    const args = taskArgs(env, f);
    let fallback: string | undefined;
    for (const item of cases) {
      const name = Object.keys(item)[0];
      const c = item[name];
      if (c.when === undefined) {
        fallback ??= c.then;
        continue;
      }
      if (evaluateCondition(c.when, f.input, args, { now: env.ctx.now })) return done(f.input, c.then ?? 'continue');
    }
    return done(f.input, fallback);
  },
};
