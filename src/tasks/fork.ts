/**
 * `fork`: each branch runs in its own thread (id `b<fid>.<index>`) with its own stack, so branches
 * wait independently; the forking frame waits until all branches are done (output: their outputs
 * in declaration order) or, with `compete: true`, until the first one is (output: the winner's,
 * the other branches cancelled). Branches run in declaration order within an advance, so the join
 * is deterministic. A branch's fault cancels the others and faults the fork.
 */
import type { ForkTask } from '../dsl/model.ts';
import { escapeToken } from '../engine/env.ts';
import { done, failWith, taskFrame, wait, type TaskKindHandler } from '../engine/kind.ts';
import type { WorkflowError } from '../engine/types.ts';

type ForkState = { branches: number; results: unknown[]; finished: number[]; error?: WorkflowError };

export const forkKind: TaskKindHandler = {
  start(f, env, task) {
    const branches = (task as ForkTask).fork.branches ?? [];
    if (branches.length === 0) return done([]);
    f.s = { branches: branches.length, results: branches.map(() => null), finished: [] } satisfies ForkState;
    branches.forEach((item, i) => {
      const name = Object.keys(item)[0];
      const id = `b${f.fid}.${i}`;
      const frame = taskFrame(env, `${f.ptr}/fork/branches/${i}/${escapeToken(name)}`, name, f.input);
      env.state.threads[id] = { id, stack: [frame], blocked: false, parent: { thread: env.thread.id, fid: f.fid, index: i } };
    });
    return wait;
  },
  resume(f, _env, task, sig) {
    const s = f.s as ForkState;
    if (sig?.kind === 'throw') return failWith(sig.error);
    if (s.error) return failWith(s.error);
    if ((task as ForkTask).fork.compete && s.finished.length > 0) return done(s.results[s.finished[0]]);
    if (s.finished.length === s.branches) return done(s.results);
    return wait;
  },
};
