/** `raise`: faults with an inline error or one named in `use.errors`; `instance` defaults to the task. */
import type { RaiseTask, WorkflowError } from '../dsl/model.ts';
import { evaluateValue } from '../expr/expression.ts';
import { fault } from '../engine/errors.ts';
import { taskArgs } from '../engine/env.ts';
import { failWith, type TaskKindHandler } from '../engine/kind.ts';

export const raiseKind: TaskKindHandler = {
  start(f, env, task) {
    const ref = (task as RaiseTask).raise.error;
    let def: WorkflowError | undefined;
    if (typeof ref === 'string') {
      def = env.wf.use?.errors?.[ref];
      if (!def) throw fault('configuration', `error '${ref}' is not defined in use.errors`);
    } else def = ref;
    const e = evaluateValue(def, f.input, taskArgs(env, f), env.mode, { now: env.ctx.now }) as WorkflowError;
    if (typeof e?.type !== 'string' || typeof e.status !== 'number') {
      throw fault('configuration', 'a raised error needs a string `type` and a numeric `status`');
    }
    const error: WorkflowError = { type: e.type, status: e.status };
    if (e.title !== undefined) error.title = String(e.title);
    if (e.detail !== undefined) error.detail = String(e.detail);
    error.instance = e.instance === undefined ? f.ptr : String(e.instance);
    return failWith(error);
  },
};
