/**
 * `call: <name>` of a function in `use.functions`: the function (a task definition) runs as a
 * nested task at `/use/functions/<name>`, its input the evaluated `with` (or the call's input).
 * Catalog functions (`name:version@catalog`) and grpc/asyncapi/a2a/mcp are not supported.
 */
import type { CallFunctionTask } from '../dsl/model.ts';
import { evaluateValue } from '../expr/expression.ts';
import { fault } from '../engine/errors.ts';
import { escapeToken, taskArgs } from '../engine/env.ts';
import { push, taskFrame, type TaskKindHandler } from '../engine/kind.ts';

export const callFunctionKind: TaskKindHandler = {
  start(f, env, task) {
    const t = task as CallFunctionTask;
    const name = t.call;
    if (['grpc', 'asyncapi', 'a2a', 'mcp'].includes(name)) throw fault('configuration', `call: ${name} is not supported by Weir`);
    if (!env.wf.use?.functions?.[name]) {
      const hint = name.includes('@') ? ' (catalog functions are not supported)' : '';
      throw fault('configuration', `function '${name}' is not defined in use.functions${hint}`);
    }
    const input = t.with === undefined ? f.input : evaluateValue(t.with, f.input, taskArgs(env, f), env.mode, { now: env.ctx.now });
    return push(taskFrame(env, `/use/functions/${escapeToken(name)}`, name, input));
  },
};
