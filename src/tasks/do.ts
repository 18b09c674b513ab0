/** `do`: runs the subtasks in sequence; the output of the last one is the task output. */
import { listFrame, push, type TaskKindHandler } from '../engine/kind.ts';

export const doKind: TaskKindHandler = {
  start(f, env) {
    return push(listFrame(env, `${f.ptr}/do`, f.input));
  },
};
