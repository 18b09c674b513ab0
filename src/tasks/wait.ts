/** `wait`: a timer effect due at ctx.now + duration; the output is the input. */
import type { WaitTask } from '../dsl/model.ts';
import { addWait, emitEffect, newEffectId } from '../engine/env.ts';
import { done, wait, type TaskKindHandler } from '../engine/kind.ts';
import { durationMs } from '../engine/timing.ts';

export const waitKind: TaskKindHandler = {
  start(f, env, task) {
    const ms = durationMs(env, (task as WaitTask).wait, f, 'wait duration');
    if (ms === 0) return done(f.input);
    const id = newEffectId(env, 'timer');
    addWait(env, id, 'timer', f);
    emitEffect(env, { kind: 'timer', id, task: f.ptr, dueAt: env.ctx.now + ms, purpose: 'wait' });
    return wait;
  },
  resume(f, _env, _task, sig) {
    return sig?.kind === 'stimulus' ? done(f.input) : wait;
  },
};
