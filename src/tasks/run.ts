/**
 * `run: workflow`: a `startChild` effect (namespace/name/version + evaluated input); the task
 * waits for `childDone` unless `await: false`, in which case its output is its input. Containers,
 * scripts and shells are not supported (configuration error).
 */
import type { RunTask, RunWorkflow } from '../dsl/model.ts';
import { evaluateValue } from '../expr/expression.ts';
import { fault, workflowError } from '../engine/errors.ts';
import { addWait, emitEffect, newEffectId, taskArgs } from '../engine/env.ts';
import { done, failWith, wait, type TaskKindHandler } from '../engine/kind.ts';

export const runKind: TaskKindHandler = {
  start(f, env, task) {
    const run = (task as RunTask).run;
    if (!('workflow' in run)) {
      const what = Object.keys(run).find((k) => k !== 'await' && k !== 'return') ?? 'process';
      throw fault('configuration', `run: ${what} is not supported by Weir; only run: workflow is`);
    }
    const w = (run as RunWorkflow).workflow;
    const input = w.input === undefined ? f.input : evaluateValue(w.input, f.input, taskArgs(env, f), env.mode, { now: env.ctx.now });
    const id = newEffectId(env, 'child');
    const awaited = run.await !== false;
    emitEffect(env, {
      kind: 'startChild',
      id,
      task: f.ptr,
      workflow: { namespace: w.namespace, name: w.name, version: w.version ?? 'latest' },
      input,
      await: awaited,
    });
    if (!awaited) return done(f.input);
    addWait(env, id, 'child', f);
    return wait;
  },
  resume(f, _env, _task, sig) {
    if (sig?.kind !== 'stimulus' || sig.stimulus.kind !== 'childDone') return wait;
    const o = sig.stimulus.outcome;
    if (o.status === 'completed') return done(o.output ?? null);
    if (o.status === 'faulted' && o.error) return failWith({ ...o.error, instance: f.ptr });
    return failWith(workflowError('runtime', `the child workflow was ${o.status}`, { instance: f.ptr }));
  },
};
