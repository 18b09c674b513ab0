/**
 * `try`/`catch`: runs `try`; an error that passes `catch.errors.with`, `when` and `exceptWhen`
 * (with the error in scope as `$<as>`, default `$error`) is caught. A `retry` policy re-runs `try`
 * after its back-off (a `timer` effect) while its limits allow; then `catch.do` runs with the error
 * in scope. Output: the `try` output, or the `catch.do` output, or the input when caught without
 * `do` and without `retry` (when a retry policy runs out and there is no `do`, the error propagates).
 * `limit.attempt.duration` arms a timeout on each attempt's task list, raised inside the try.
 */
import type { ErrorFilter, TryTask } from '../dsl/model.ts';
import { evaluateCondition } from '../expr/expression.ts';
import { errorTypeMatches, type WorkflowError } from '../engine/errors.ts';
import { addWait, emitEffect, newEffectId, record, taskArgs, type Env } from '../engine/env.ts';
import { done, failWith, listFrame, push, wait, type KindAction, type TaskKindHandler } from '../engine/kind.ts';
import { armTimeout, durationMs } from '../engine/timing.ts';
import type { TaskFrame } from '../engine/types.ts';
import { resolveRetry, retryDelay, withinLimits } from './retry.ts';

type TryState = { attempt: number; phase: 'try' | 'backoff' | 'catch'; error?: WorkflowError; timer?: string };

export const tryKind: TaskKindHandler = {
  start(f, env, task) {
    f.s = { attempt: 0, phase: 'try' } satisfies TryState;
    return attempt(f, env, task as TryTask);
  },
  resume(f, env, task, sig) {
    const t = task as TryTask;
    const s = f.s as TryState;
    if (s.phase === 'backoff') {
      if (sig?.kind !== 'stimulus') return wait;
      s.phase = 'try';
      delete s.timer;
      return attempt(f, env, t);
    }
    if (sig?.kind === 'return') return done(sig.value);
    if (sig?.kind !== 'throw') return wait;
    if (s.phase === 'catch') return failWith(sig.error);
    return caught(f, env, t, sig.error);
  },
};

/**
 * A retry from the failed task (engine/retry.ts) gives an enclosing `try` its retry policy's
 * attempts back: the retried task fails again into a policy that still applies.
 */
export function resetRetryBudget(f: TaskFrame): void {
  const s = f.s as Partial<TryState> | undefined;
  if (s && s.phase === 'try' && typeof s.attempt === 'number') s.attempt = 0;
}

function attempt(f: TaskFrame, env: Env, t: TryTask): KindAction {
  const frame = listFrame(env, `${f.ptr}/try`, f.input);
  const policy = resolveRetry(env, t.catch.retry);
  const perAttempt = policy?.limit?.attempt?.duration;
  if (perAttempt !== undefined) armTimeout(env, frame, durationMs(env, perAttempt, f, 'retry limit.attempt.duration'), `${f.ptr}/try`);
  return push(frame);
}

function caught(f: TaskFrame, env: Env, t: TryTask, error: WorkflowError): KindAction {
  const s = f.s as TryState;
  const c = t.catch;
  const as = c.as ?? 'error';
  if (!filterMatches(c.errors?.with, error)) return failWith(error);
  const args = taskArgs(env, f);
  args['$' + as] = error;
  const now = { now: env.ctx.now };
  if (c.when !== undefined && !evaluateCondition(c.when, error, args, now)) return failWith(error);
  if (c.exceptWhen !== undefined && evaluateCondition(c.exceptWhen, error, args, now)) return failWith(error);
  const policy = resolveRetry(env, c.retry);
  if (policy) {
    const retryOk =
      (policy.when === undefined || evaluateCondition(policy.when, error, args, now)) &&
      (policy.exceptWhen === undefined || !evaluateCondition(policy.exceptWhen, error, args, now));
    const n = s.attempt + 1;
    // An HTTP Retry-After longer than the policy's back-off wins.
    const asked = (error as { retryAfterMs?: unknown }).retryAfterMs;
    const delay = retryOk ? Math.max(retryDelay(env, policy, n, f), typeof asked === 'number' ? asked : 0) : 0;
    if (retryOk && withinLimits(env, policy, n, delay, f.startedAt, f)) {
      s.attempt = n;
      record(env, 'taskRetried', f, { attempt: n, delayMs: delay, error });
      if (delay <= 0) return attempt(f, env, t);
      const id = newEffectId(env, 'timer');
      s.phase = 'backoff';
      s.timer = id;
      addWait(env, id, 'timer', f);
      emitEffect(env, { kind: 'timer', id, task: f.ptr, dueAt: env.ctx.now + delay, purpose: 'retry' });
      return wait;
    }
    // Retries exhausted and nothing else handles the error: it propagates (a retry policy alone
    // does not swallow the last failure).
    if (!c.do) return failWith(error);
  }
  if (!c.do) return done(f.input);
  s.phase = 'catch';
  s.error = error;
  return push(listFrame(env, `${f.ptr}/catch/do`, f.input, { [as]: error }));
}

/** `catch.errors.with`: every property given must match (`details` compares `detail`). */
export function filterMatches(filter: ErrorFilter | undefined, error: WorkflowError): boolean {
  if (!filter) return true;
  for (const [key, want] of Object.entries(filter)) {
    if (want === undefined) continue;
    if (key === 'type') {
      if (!errorTypeMatches(error.type, String(want))) return false;
    } else if (key === 'status') {
      if (Number(error.status) !== Number(want)) return false;
    } else if (key === 'details') {
      if (error.detail !== want) return false;
    } else if ((error as Record<string, unknown>)[key] !== want) return false;
  }
  return true;
}
