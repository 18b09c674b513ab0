/**
 * Retry policies: whether to retry after a caught error, and the back-off before the next
 * attempt — `delay` grown by `backoff` (constant d; linear d·n; exponential d·2ⁿ⁻¹ for retry n),
 * plus `jitter` in [from, to) drawn from a pure hash of (seed, instance, task, attempt).
 */
import type { RetryPolicy } from '../dsl/model.ts';
import { fault } from '../engine/errors.ts';
import type { Env } from '../engine/env.ts';
import { durationMs, stableRandom } from '../engine/timing.ts';
import type { TaskFrame } from '../engine/types.ts';

export function resolveRetry(env: Env, retry: RetryPolicy | string | undefined): RetryPolicy | undefined {
  if (retry === undefined || typeof retry !== 'string') return retry;
  const named = env.wf.use?.retries?.[retry];
  if (!named) throw fault('configuration', `retry policy '${retry}' is not defined in use.retries`);
  return named;
}

/** Milliseconds to wait before retry number `attempt` (1 = the first retry). */
export function retryDelay(env: Env, policy: RetryPolicy, attempt: number, f: TaskFrame): number {
  const base = durationMs(env, policy.delay, f, 'retry delay');
  let delay = base;
  const b = policy.backoff;
  if (b && 'linear' in b) delay = base * attempt;
  else if (b && 'exponential' in b) delay = base * 2 ** (attempt - 1);
  if (policy.jitter) {
    const from = durationMs(env, policy.jitter.from, f, 'jitter.from');
    const to = durationMs(env, policy.jitter.to, f, 'jitter.to');
    delay += from + Math.floor(stableRandom(env.ctx.seed ?? '', env.state.id, f.ptr, attempt) * Math.max(0, to - from));
  }
  return Math.round(delay);
}

/** Whether retry `attempt` is within the policy's limits, given when the task first started. */
export function withinLimits(env: Env, policy: RetryPolicy, attempt: number, delay: number, firstStartedAt: number, f: TaskFrame): boolean {
  const count = policy.limit?.attempt?.count;
  if (count !== undefined && attempt > count) return false;
  if (attempt > env.limits.maxIterations) return false;
  if (policy.limit?.duration !== undefined) {
    const limit = durationMs(env, policy.limit.duration, f, 'retry limit.duration');
    if (env.ctx.now + delay - firstStartedAt > limit) return false;
  }
  return true;
}
