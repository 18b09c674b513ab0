/**
 * Per-evaluation state: the step budget, wall-clock deadline, recursion depth and size caps.
 * Evaluation is synchronous, so one module-level record serves the evaluation in progress
 * (`Program.run` saves and restores it, which keeps nested evaluations correct).
 */
import { JqError } from './errors.ts';

export interface Limits {
  /** Evaluation steps (function calls, loop iterations, emitted elements) per run. */
  maxSteps: number;
  /** Wall-clock budget per run, in milliseconds, checked every `CLOCK_EVERY` steps. */
  deadlineMs: number;
  /** Outputs collected by `run`. */
  maxOutputs: number;
  /** Nesting of jq function calls (and recursion in `recurse`, `..`, `walk`…). */
  maxDepth: number;
  /** Length of any string built (code units). */
  maxStringLength: number;
  /** Length of any array built. */
  maxArrayLength: number;
}

/**
 * Defaults: 10M steps is about 1 s of dense evaluation on a laptop; the deadline catches what
 * the step count does not (sorting huge arrays, big regexes). Workflow expressions run in
 * microseconds, so these only ever stop runaway programs.
 */
export const DEFAULT_LIMITS: Limits = Object.freeze({
  maxSteps: 10_000_000,
  deadlineMs: 1000,
  maxOutputs: 100_000,
  maxDepth: 2000,
  maxStringLength: 64 * 1024 * 1024,
  maxArrayLength: 10_000_000,
});

/** Clock reads cost ~25 ns; checking every 4096 steps bounds overshoot to well under a millisecond. */
const CLOCK_EVERY = 4096;

export interface RunState {
  steps: number;
  nextCheck: number;
  deadline: number;
  depth: number;
  limits: Limits;
  now: () => number;
  env: Record<string, string>;
  /** Module sources, for `modulemeta`. */
  modules: Readonly<Record<string, string>>;
}

/**
 * The state of the evaluation in progress. One object, mutated in place and never reassigned,
 * so that modules can hold it in a local constant: imported bindings are live getters under
 * some loaders (tsx, vite), and on the hot path a getter per access costs ~20% of run time.
 */
export const R: RunState = {
  steps: 0,
  nextCheck: CLOCK_EVERY,
  deadline: Infinity,
  depth: 0,
  limits: DEFAULT_LIMITS,
  now: () => Date.now() / 1000,
  env: {},
  modules: {},
};

export function enter(state: RunState): RunState {
  const prev = { ...R };
  Object.assign(R, state);
  return prev;
}

export function restore(prev: RunState): void {
  Object.assign(R, prev);
}

export function newState(
  limits: Limits,
  now: () => number,
  env: Record<string, string>,
  modules: Readonly<Record<string, string>> = {},
): RunState {
  return {
    modules,
    steps: 0,
    nextCheck: Math.min(CLOCK_EVERY, limits.maxSteps),
    deadline: Date.now() + limits.deadlineMs,
    depth: 0,
    limits,
    now,
    env,
  };
}

/** Counts one step; every CLOCK_EVERY steps also checks the step budget and the deadline. */
export function tick(): void {
  if (++R.steps >= R.nextCheck) slowCheck();
}

function slowCheck(): void {
  const s = R;
  if (s.steps >= s.limits.maxSteps) throw new JqError('limit', `jq step budget exceeded (maxSteps=${s.limits.maxSteps})`);
  if (Date.now() > s.deadline) throw new JqError('limit', `jq deadline exceeded (deadlineMs=${s.limits.deadlineMs})`);
  s.nextCheck = Math.min(s.steps + CLOCK_EVERY, s.limits.maxSteps);
}

export function depthExceeded(): never {
  throw new JqError('limit', `jq recursion depth exceeded (maxDepth=${R.limits.maxDepth})`);
}

export function stringLimit(): never {
  throw new JqError('limit', `jq string length limit exceeded (maxStringLength=${R.limits.maxStringLength})`);
}

export function checkString(s: string): string {
  if (s.length > R.limits.maxStringLength) stringLimit();
  return s;
}

export function checkArrayLength(n: number): void {
  if (n > R.limits.maxArrayLength) {
    throw new JqError('limit', `jq array length limit exceeded (maxArrayLength=${R.limits.maxArrayLength})`);
  }
}
