/** `call`: dispatches on the call kind (http, openapi, or a function from use.functions). */
import type { CallTask } from '../dsl/model.ts';
import type { TaskKindHandler } from '../engine/kind.ts';
import { callFunctionKind } from './call-function.ts';
import { callHttpKind } from './call-http.ts';
import { callOpenApiKind } from './call-openapi.ts';

function pick(task: unknown): TaskKindHandler {
  const call = (task as CallTask).call;
  return call === 'http' ? callHttpKind : call === 'openapi' ? callOpenApiKind : callFunctionKind;
}

export const callKind: TaskKindHandler = {
  start: (f, env, task) => pick(task).start(f, env, task),
  resume: (f, env, task, sig) => {
    const h = pick(task);
    if (h.resume) return h.resume(f, env, task, sig);
    if (sig?.kind === 'return') return { kind: 'done', output: sig.value };
    if (sig?.kind === 'throw') return { kind: 'fail', error: sig.error };
    return { kind: 'wait' };
  },
};
