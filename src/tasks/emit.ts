/**
 * `emit`: builds a CloudEvent from `emit.event.with` (expressions evaluated on the task input),
 * fills `id`, `specversion` and `time` when absent (id derived from instance + sequence, time from
 * ctx.now: replay gives the same event), hands it to the runner as an `emit` effect and continues
 * at once — the durable runner writes it in the same checkpoint (an outbox). The output is the event.
 */
import type { EmitTask } from '../dsl/model.ts';
import { evaluateValue } from '../expr/expression.ts';
import { fault } from '../engine/errors.ts';
import { emitEffect, isoTime, newEffectId, taskArgs } from '../engine/env.ts';
import { done, type TaskKindHandler } from '../engine/kind.ts';
import type { CloudEvent } from '../engine/types.ts';

export const emitKind: TaskKindHandler = {
  start(f, env, task) {
    const def = (task as EmitTask).emit.event.with ?? {};
    const props = evaluateValue(def, f.input, taskArgs(env, f), env.mode, { now: env.ctx.now }) as Record<string, unknown>;
    if (typeof props.source !== 'string' || typeof props.type !== 'string') {
      throw fault('validation', 'an emitted event needs string `source` and `type`');
    }
    const id = newEffectId(env, 'emit');
    const event: CloudEvent = {
      ...props,
      id: typeof props.id === 'string' ? props.id : `${env.state.id}-${id}`,
      specversion: typeof props.specversion === 'string' ? props.specversion : '1.0',
      time: typeof props.time === 'string' ? props.time : isoTime(env.ctx.now),
      source: props.source,
      type: props.type,
    };
    if (event.data !== undefined && event.datacontenttype === undefined) event.datacontenttype = 'application/json';
    emitEffect(env, { kind: 'emit', id, task: f.ptr, event });
    return done(event);
  },
};
