/**
 * The compiled form. Every filter compiles to a `Code`: `run` pushes each output to a callback
 * (continuation-passing; backtracking is just returning), `paths` does the same for path
 * expressions, emitting (value, path) pairs. `one`, when present, computes the single output
 * directly — most expressions in workflows are single-valued, and skipping the callbacks makes
 * them several times faster.
 */

export type Emit = (v: unknown) => void;
/** `path` is null when the value did not come from a path expression (e.g. a literal). */
export type PathEmit = (v: unknown, path: unknown[] | null) => void;

/** Runtime environment: a linked list of frames (variables, closure params, labels). */
export interface Frame {
  readonly v: unknown;
  readonly n: Env;
}
export type Env = Frame | null;

/** Returned by `Code.opt` when the filter has no output. */
export const NOTHING: unique symbol = Symbol('nothing');

export interface Code {
  run(input: unknown, env: Env, emit: Emit): void;
  paths(input: unknown, path: unknown[] | null, env: Env, emit: PathEmit): void;
  one?: (input: unknown, env: Env) => unknown;
  /** For filters with at most one output (`select(f)`): the output, or NOTHING. */
  opt?: (input: unknown, env: Env) => unknown;
}

/** A filter argument bound to the environment of its call site. */
export interface Closure {
  readonly code: Code;
  readonly env: Env;
}

/**
 * A builtin implemented in TypeScript. `fn`: a value function; its arguments are evaluated
 * against the input and combined as a cartesian product (last argument varying slowest, as
 * jq's C builtins do). `gen`: full control over filter arguments. `paths`: path-mode variant.
 */
export interface Native {
  readonly fn?: (input: unknown, ...args: unknown[]) => unknown;
  readonly gen?: (input: unknown, args: readonly Code[], env: Env, emit: Emit) => void;
  readonly paths?: (input: unknown, path: unknown[] | null, args: readonly Code[], env: Env, emit: PathEmit) => void;
  /** Optional fast path for at-most-one-output calls, given the compiled arguments (or null). */
  readonly opt?: (args: readonly Code[]) => ((input: unknown, env: Env) => unknown) | null;
}

export function frameAt(env: Env, up: number): unknown {
  let e = env!;
  while (up-- > 0) e = e.n!;
  return e.v;
}
