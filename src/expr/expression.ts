/**
 * Runtime expressions: `${ … }` detection and evaluation with Weir's jq engine.
 *
 * Two kinds of places hold expressions. *Expression fields* (`if`, `switch…when`, `for.in`, `while`,
 * `input.from`, `output.as`, `export.as`, `catch.when`, correlation `from`) are always jq, with or
 * without the `${ }` wrapper — the CTK writes `when: '.color == "red"'`. *Value positions* (`set`,
 * `with`, `body`, event properties, …) hold data in which only `${ … }` strings are evaluated under
 * the default `strict` mode; under `loose` mode every string is tried as jq and, when it does not
 * evaluate, stays the literal string (dsl-reference.md, Evaluate).
 */
import { compileCached, JqError, type Program } from './jq/index.ts';
import { fault } from '../engine/errors.ts';

/** Named jq variables, keys with their `$` (`$input`, `$context`, `$color`, …). */
export type ExpressionVariables = Record<string, unknown>;

export type EvaluationMode = 'strict' | 'loose';

export type EvaluateOptions = {
  /** Epoch ms for jq's `now` (the engine's ctx.now — the interpreter reads no clock). */
  now?: number;
};

const WRAPPED = /^\s*\$\{([\s\S]*)\}\s*$/;

/** Whether a string is a `${ … }` runtime expression. */
export function isExpression(value: unknown): value is string {
  return typeof value === 'string' && value.includes('${') && WRAPPED.test(value);
}

/** The jq source of an expression field: the inside of `${ … }`, or the string as written. */
export function expressionSource(text: string): string {
  const m = WRAPPED.exec(text);
  return (m ? m[1] : text).trim();
}

/**
 * Evaluates one jq program against `input` with `variables`; the first output is the value
 * (`null` when the program yields nothing). Failures — parse, compile, runtime, and jq limits —
 * become expression errors (400). Programs compile once (`compileCached`, keyed by source and
 * variable names).
 */
export function evaluateSource(
  source: string,
  input: unknown,
  variables: ExpressionVariables,
  options: EvaluateOptions = {},
): unknown {
  try {
    const program = programFor(source, usedNames(source, variables));
    const now = options.now;
    const out = program.first(input, variables, now === undefined ? undefined : { now: () => now / 1000 });
    return out === undefined ? null : out;
  } catch (e) {
    throw expressionFault(source, e);
  }
}

/** Evaluates an expression field (always jq, `${ }` optional). */
export function evaluateField(
  text: string,
  input: unknown,
  variables: ExpressionVariables,
  options?: EvaluateOptions,
): unknown {
  return evaluateSource(expressionSource(text), input, variables, options);
}

/** Evaluates an expression field as a condition: jq truthiness (`false` and `null` are false). */
export function evaluateCondition(
  text: string,
  input: unknown,
  variables: ExpressionVariables,
  options?: EvaluateOptions,
): boolean {
  const v = evaluateField(text, input, variables, options);
  return v !== false && v !== null && v !== undefined;
}

/**
 * Evaluates a value position: objects and arrays recursively, strings per mode, everything else
 * as is. Returns the input object itself when nothing in it is an expression (no copy).
 */
export function evaluateValue(
  value: unknown,
  input: unknown,
  variables: ExpressionVariables,
  mode: EvaluationMode = 'strict',
  options?: EvaluateOptions,
): unknown {
  if (typeof value === 'string') {
    if (mode === 'strict') return isExpression(value) ? evaluateField(value, input, variables, options) : value;
    if (isExpression(value)) return evaluateField(value, input, variables, options);
    try {
      return evaluateSource(value, input, variables, options);
    } catch {
      return value;
    }
  }
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const v = evaluateValue(value[i], input, variables, mode, options);
      if (v !== value[i] && !out) out = value.slice(0, i);
      if (out) out.push(v);
    }
    return out ?? value;
  }
  if (value !== null && typeof value === 'object') {
    let out: Record<string, unknown> | undefined;
    const entries = Object.entries(value as Record<string, unknown>);
    for (let i = 0; i < entries.length; i++) {
      const [k, raw] = entries[i];
      const v = evaluateValue(raw, input, variables, mode, options);
      if (v !== raw && !out) out = Object.fromEntries(entries.slice(0, i));
      if (out) out[k] = v;
    }
    return out ?? value;
  }
  return value;
}

/**
 * A transform (`input.from`, `output.as`, `export.as`): a string is an expression field; an
 * object is evaluated recursively as a value position.
 */
export function evaluateTransform(
  transform: unknown,
  input: unknown,
  variables: ExpressionVariables,
  mode: EvaluationMode = 'strict',
  options?: EvaluateOptions,
): unknown {
  if (typeof transform === 'string') return evaluateField(transform, input, variables, options);
  return evaluateValue(transform, input, variables, mode, options);
}

const referenced = new Map<string, string[]>();

/**
 * The variables `source` mentions (`$name` anywhere in it), among those offered. Programs are
 * compiled with just these, so an expression that uses `.a` alone is one cached program whatever
 * loop or catch variables happen to be in scope, and jq binds no unused arguments per evaluation.
 */
function usedNames(source: string, variables: ExpressionVariables): string[] {
  let mentioned = referenced.get(source);
  if (!mentioned) {
    mentioned = [...new Set(source.match(/\$[A-Za-z_][A-Za-z0-9_]*/g) ?? [])];
    if (referenced.size >= MAX_PROGRAMS) referenced.clear();
    referenced.set(source, mentioned);
  }
  return mentioned.filter((name) => name in variables);
}

const MAX_PROGRAMS = 5000;
const programs = new Map<string, Map<string, Program>>();
const failures = new Map<string, JqError>();

/**
 * The program for `source` with these variable names. Compiled through `compileCached`; the
 * resulting Program objects are kept too, because the hot path evaluates the same few expressions
 * with the same argument names thousands of times a second.
 */
function programFor(source: string, names: string[]): Program {
  const key = names.join(',');
  let byVars = programs.get(source);
  let program = byVars?.get(key);
  if (program) return program;
  const failed = failures.get(source + '\u0000' + key);
  if (failed) throw failed;
  try {
    program = compileCached(source, { variables: names });
  } catch (e) {
    // Remembered: in `loose` mode every literal string is tried as jq, and most are not jq.
    if (e instanceof JqError) {
      if (failures.size >= MAX_PROGRAMS) failures.clear();
      failures.set(source + '\u0000' + key, e);
    }
    throw e;
  }
  if (!byVars) {
    if (programs.size >= MAX_PROGRAMS) programs.clear();
    byVars = new Map();
    programs.set(source, byVars);
  }
  byVars.set(key, program);
  return program;
}

function expressionFault(source: string, e: unknown) {
  if (e instanceof JqError) {
    const what = e.code === 'limit' ? 'exceeded a jq limit' : `failed (${e.code})`;
    return fault('expression', `expression \`${source}\` ${what}: ${e.message}`);
  }
  const message = e instanceof Error ? e.message : String(e);
  return fault('expression', `expression \`${source}\` failed: ${message}`);
}
