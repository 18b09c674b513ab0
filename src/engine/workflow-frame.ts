/** The bottom frame of the main thread: workflow input, `/do`, workflow output. */
import { evaluateTransform } from '../expr/expression.ts';
import { validateSchema } from '../expr/schema.ts';
import { toWorkflowError } from './errors.ts';
import { taskArgs, type Env } from './env.ts';
import { listFrame } from './kind.ts';
import { completeWorkflow, faultWorkflow } from './lifecycle.ts';
import { unwindingOf } from './recovery.ts';
import { armTimeout, durationMs, resolveTimeout } from './timing.ts';
import type { FrameAction } from './frame-action.ts';
import type { Signal, WorkflowFrame } from './types.ts';

export function stepWorkflow(f: WorkflowFrame, env: Env, sig: Signal | undefined): FrameAction {
  if (f.phase === 'init') {
    let input: unknown;
    try {
      const raw = env.state.input;
      validateSchema(env.wf.input?.schema, raw, 'workflow input');
      input = raw;
      if (env.wf.input?.from !== undefined) {
        const a = taskArgs(env, undefined);
        input = evaluateTransform(env.wf.input.from, raw, { $secrets: a.$secrets, $workflow: a.$workflow, $runtime: a.$runtime }, env.mode, {
          now: env.ctx.now,
        });
      }
      const timeout = resolveTimeout(env, env.wf.timeout, '');
      if (timeout) armTimeout(env, f, durationMs(env, timeout.after, undefined, 'workflow timeout'), '');
    } catch (e) {
      const error = toWorkflowError(e);
      faultWorkflow(env, { ...error, instance: error.instance ?? '/input' });
      return { kind: 'finish' };
    }
    // dsl.md, Data Flow (diagram): the transformed workflow input is the initial `$context`.
    env.state.context = input;
    f.phase = 'run';
    return { kind: 'push', frame: listFrame(env, '/do', input) };
  }
  if (sig?.kind === 'return') {
    completeWorkflow(env, sig.value);
    return { kind: 'finish' };
  }
  if (sig?.kind === 'throw') {
    // An error out of a task: the instance can be retried from that task (recovery.ts).
    faultWorkflow(env, sig.error, unwindingOf(env, env.thread));
    return { kind: 'finish' };
  }
  return { kind: 'wait' };
}
