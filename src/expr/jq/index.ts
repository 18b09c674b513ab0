/**
 * Weir's jq engine: jq 1.7.1 compiled to closures. Self-contained (imports nothing from the
 * rest of Weir) and runtime-neutral (no `process`, `Buffer` or `node:*`).
 *
 * @example
 * const p = compile('.items | map(select(.qty > $min)) | length', { variables: ['$min'] });
 * p.run({ items: [{ qty: 1 }, { qty: 5 }] }, { $min: 2 }); // [1]
 */
import type { Ast } from './ast.ts';
import type { Code, Env } from './code.ts';
import { HaltSignal } from './builtins/control.ts';
import { NATIVES } from './builtins/index.ts';
import { PRELUDE } from './builtins/prelude.ts';
import { Compiler, ROOT_SCOPE, pushFrame, type Scope } from './compile.ts';
import { BreakSignal, JqError, ValueError } from './errors.ts';
import { bindDirectives } from './modules.ts';
import { parse, parseProgram } from './parser.ts';
import { DEFAULT_LIMITS, enter, newState, restore, type Limits } from './runtime.ts';
import { typeOf } from './values.ts';

export { JqError } from './errors.ts';
export type { JqErrorCode } from './errors.ts';
export type { Limits } from './runtime.ts';
export { DEFAULT_LIMITS } from './runtime.ts';

export interface CompileOptions {
  /** Variable names the program may reference, including the `$`, e.g. `['$input', '$context']`. */
  variables?: readonly string[];
  limits?: Partial<Limits>;
  /** Clock for `now`, in seconds since the epoch; inject it for deterministic replay. */
  now?: () => number;
  /** What `$ENV` and `env` see. null (the default) disables them: they read as `{}`. */
  env?: Record<string, string> | null;
  /**
   * Sources for `import`/`include`, keyed by relative path without extension ("lib" for
   * `import "lib" as lib;`); data modules (`import "d" as $d;`) as JSON text under "d.json".
   */
  modules?: Readonly<Record<string, string>>;
}

export interface RunOptions {
  limits?: Partial<Limits>;
  now?: () => number;
}

export interface Program {
  /** All outputs of the program for `input`. `vars` keys include the `$`. */
  run(input: unknown, vars?: Record<string, unknown>, options?: RunOptions): unknown[];
  /** The first output, or undefined when there is none; evaluation stops after it. */
  first(input: unknown, vars?: Record<string, unknown>, options?: RunOptions): unknown;
  /** Streams outputs to `onOutput` as they are produced (outputs before an error are seen). */
  each(input: unknown, onOutput: (v: unknown) => void, vars?: Record<string, unknown>, options?: RunOptions): void;
  readonly source: string;
}

let preludeScope: Scope | null = null;

/** Builtins written in jq are compiled once, on first use, and shared by every program. */
function prelude(): Scope {
  if (preludeScope) return preludeScope;
  let ast: Ast = parse(PRELUDE + '.');
  const compiler = new Compiler({ src: PRELUDE, natives: NATIVES });
  let scope = ROOT_SCOPE;
  while (ast.t === 'def') {
    scope = compiler.define(ast.def, scope);
    ast = ast.rest;
  }
  preludeScope = scope;
  return scope;
}

interface Compiled {
  readonly code: Code;
  readonly names: readonly string[];
}

function compileCore(source: string, variables: readonly string[], modules?: Readonly<Record<string, string>>): Compiled {
  const names: string[] = [];
  const parsed = parseProgram(source, false);
  let scope = prelude();
  if (parsed.directives.length > 0) {
    const mc = { sources: modules ?? {}, natives: NATIVES, base: scope, loaded: new Map(), loading: new Set<string>() };
    scope = bindDirectives(mc, parsed.directives, scope, source);
  }
  for (const v of variables) {
    const name = v.startsWith('$') ? v.slice(1) : v;
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new JqError('compile', `invalid variable name ${JSON.stringify(v)}`);
    names.push(name);
    scope = pushFrame(scope, 'var', name);
  }
  const code = new Compiler({ src: source, natives: NATIVES }).compile(parsed.body!, scope);
  return { code, names };
}

const FREEZE_EMPTY: Record<string, string> = Object.freeze({}) as Record<string, string>;

class CompiledProgram implements Program {
  readonly source: string;
  private readonly core: Compiled;
  private readonly limits: Limits;
  private readonly now: () => number;
  private readonly env: Record<string, string>;
  private readonly modules: Readonly<Record<string, string>>;

  constructor(source: string, core: Compiled, options: CompileOptions | undefined) {
    this.source = source;
    this.core = core;
    this.limits = { ...DEFAULT_LIMITS, ...options?.limits };
    this.now = options?.now ?? (() => Date.now() / 1000);
    this.env = options?.env ? Object.freeze({ ...options.env }) : FREEZE_EMPTY;
    this.modules = options?.modules ?? {};
  }

  run(input: unknown, vars?: Record<string, unknown>, options?: RunOptions): unknown[] {
    const out: unknown[] = [];
    this.exec(input, vars, options, (v, max) => {
      if (out.push(v) > max) {
        throw new JqError('limit', `jq output limit exceeded (maxOutputs=${max})`);
      }
      return false;
    });
    return out;
  }

  each(input: unknown, onOutput: (v: unknown) => void, vars?: Record<string, unknown>, options?: RunOptions): void {
    let n = 0;
    this.exec(input, vars, options, (v, max) => {
      if (++n > max) throw new JqError('limit', `jq output limit exceeded (maxOutputs=${max})`);
      onOutput(v);
      return false;
    });
  }

  first(input: unknown, vars?: Record<string, unknown>, options?: RunOptions): unknown {
    let result: unknown = undefined;
    this.exec(input, vars, options, (v) => {
      result = v;
      return true;
    });
    return result;
  }

  private exec(
    input: unknown,
    vars: Record<string, unknown> | undefined,
    options: RunOptions | undefined,
    sink: (v: unknown, maxOutputs: number) => boolean,
  ): void {
    const limits = options?.limits ? { ...this.limits, ...options.limits } : this.limits;
    const state = newState(limits, options?.now ?? this.now, this.env, this.modules);
    let env: Env = null;
    for (const name of this.core.names) {
      const key = '$' + name;
      const v = vars === undefined ? undefined : Object.hasOwn(vars, key) ? vars[key] : vars[name];
      env = { v: v === undefined ? null : v, n: env };
    }
    const STOP = {};
    const prev = enter(state);
    try {
      this.core.code.run(input, env, (v) => {
        if (sink(v, limits.maxOutputs)) throw STOP;
      });
    } catch (err) {
      if (err === STOP || err instanceof HaltSignal) return;
      throw toPublicError(err);
    } finally {
      restore(prev);
    }
  }
}

function toPublicError(err: unknown): unknown {
  if (err instanceof JqError) return err;
  if (err instanceof ValueError) {
    const v = err.value;
    const message = err.safe ?? (typeof v === 'string' ? v : `${typeOf(v)} (not a string)`);
    return new JqError('runtime', message, { value: v });
  }
  if (err instanceof RangeError && /call stack/i.test(err.message)) {
    return new JqError('limit', 'jq recursion exceeded the JavaScript stack', { cause: err });
  }
  if (err instanceof BreakSignal) return new JqError('runtime', 'break without a matching label');
  return new JqError('runtime', `internal error in jq engine: ${(err as Error)?.message ?? String(err)}`, { cause: err });
}

/**
 * Compiles a jq program. Throws JqError with code 'parse' (syntax, with line and column) or
 * 'compile' (undefined function or variable, with position).
 */
export function compile(source: string, options?: CompileOptions): Program {
  return new CompiledProgram(source, compileCore(source, options?.variables ?? [], options?.modules), options);
}

const CACHE_MAX = 1000;
const cache = new Map<string, Compiled>();

/** `compile` through a bounded LRU cache keyed by source and variable names. */
export function compileCached(source: string, options?: CompileOptions): Program {
  const variables = options?.variables ?? [];
  if (options?.modules) return compile(source, options);
  const key = variables.join(',') + '\u0000' + source;
  let core = cache.get(key);
  if (core) {
    cache.delete(key);
    cache.set(key, core);
  } else {
    core = compileCore(source, variables);
    cache.set(key, core);
    if (cache.size > CACHE_MAX) cache.delete(cache.keys().next().value!);
  }
  return new CompiledProgram(source, core, options);
}

/** Entries in the compile cache (for tests and metrics). */
export function compileCacheSize(): number {
  return cache.size;
}

export function clearCompileCache(): void {
  cache.clear();
}
