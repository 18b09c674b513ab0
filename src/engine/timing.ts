/** Durations (literal or `${ }`), timeouts armed on frames, and deterministic pseudo-randomness. */
import { durationToMs } from '../dsl/duration.ts';
import type { Duration, Timeout } from '../dsl/model.ts';
import { evaluateField, isExpression } from '../expr/expression.ts';
import { fault } from './errors.ts';
import { nextSeq, taskArgs, type Env } from './env.ts';
import type { Frame, TaskFrame } from './types.ts';

/** Milliseconds of a duration; a `${ }` duration is evaluated (to an ISO 8601 string) first. */
export function durationMs(env: Env, d: Duration | undefined, frame?: TaskFrame, where = 'duration'): number {
  if (d === undefined) return 0;
  let value: unknown = d;
  if (isExpression(d)) value = evaluateField(d, frame?.input ?? null, taskArgs(env, frame), { now: env.ctx.now });
  try {
    if (typeof value !== 'string' && (value === null || typeof value !== 'object')) throw new RangeError(`${JSON.stringify(value)} is not a duration`);
    const ms = durationToMs(value as Duration);
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`${where} must be a non-negative duration`);
    return ms;
  } catch (e) {
    throw fault('configuration', `invalid ${where}: ${(e as Error).message}`, frame ? { instance: frame.ptr } : {});
  }
}

/** Resolves `timeout` (inline or a name in `use.timeouts`). */
export function resolveTimeout(env: Env, t: Timeout | string | undefined, instance: string): Timeout | undefined {
  if (t === undefined) return undefined;
  if (typeof t !== 'string') return t;
  const named = env.wf.use?.timeouts?.[t];
  if (!named) throw fault('configuration', `timeout '${t}' is not defined in use.timeouts`, { instance });
  return named;
}

/**
 * Arms a timeout on `frame`: when it fires, everything above the frame is cancelled and the frame
 * raises a timeout error (instance `ptr`). The timer effect is emitted at the end of the advance,
 * and only if the frame is still active then — pure tasks never cost a timer.
 */
export function armTimeout(env: Env, frame: Frame, ms: number, ptr: string): void {
  const id = `timeout-${nextSeq(env)}`;
  env.state.timeouts[id] = { thread: env.thread.id, fid: frame.fid, dueAt: env.ctx.now + ms, ptr, armed: false };
}

/** A number in [0, 1) that depends only on its parts (FNV-1a): jitter that replays identically. */
export function stableRandom(...parts: Array<string | number>): number {
  let h = 0x811c9dc5;
  const s = parts.join('\u0000');
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  // One more avalanche round so neighbouring attempts are not correlated.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  return (h >>> 0) / 0x1_0000_0000;
}
