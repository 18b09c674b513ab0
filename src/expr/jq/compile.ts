/**
 * AST → closures. Scoping is resolved at compile time: every variable, filter parameter and
 * label occupies one frame of the runtime environment (a linked list), and a reference knows
 * how many frames up its binding lives. Function definitions occupy no frame; a call drops the
 * frames pushed since the definition, then pushes its arguments as closures.
 */
import type { Ast, FuncDef, Pattern } from './ast.ts';
import type { Closure, Code, Emit, Env, Native, PathEmit } from './code.ts';
import * as codeModule from './code.ts';
const { NOTHING, frameAt } = codeModule;
import * as errorsModule from './errors.ts';
import type { ValueError as ValueErrorType } from './errors.ts';
const { BreakSignal, JqError, ValueError, positionOf } = errorsModule;
const fail: typeof errorsModule.fail = errorsModule.fail;
import * as opsModule from './ops.ts';
const { binop, negate } = opsModule;
import * as formatModule from './format.ts';
const { applyFormat, isFormat } = formatModule;
import * as pathsModule from './paths.ts';
const { indexValue, sliceValue } = pathsModule;
const iterateError: typeof pathsModule.iterateError = pathsModule.iterateError;
import * as runtimeModule from './runtime.ts';
const { R, checkArrayLength, tick } = runtimeModule;
const depthExceeded: typeof runtimeModule.depthExceeded = runtimeModule.depthExceeded;
import * as assignModule from './assign.ts';
const { altUpdate, arithUpdate, assignPaths, modifyPaths } = assignModule;
const invalidPathNear: typeof assignModule.invalidPathNear = assignModule.invalidPathNear;
import * as valuesModule from './values.ts';
import type { Obj } from './values.ts';
const { isObject, setKey, toText, truthy, typeAndValue } = valuesModule;

export interface FnInfo {
  readonly name: string;
  readonly arity: number;
  /** Frames in scope where the function was defined. */
  readonly depth: number;
  body: Code | null;
}

type Binding =
  | { readonly kind: 'var' | 'param' | 'label'; readonly name: string }
  | { readonly kind: 'func'; readonly name: string; readonly fn: FnInfo }
  /** A compile-time constant variable (data modules: `import "x" as $x`). */
  | { readonly kind: 'const'; readonly name: string; readonly value: unknown };

export interface Scope {
  readonly b: Binding | null;
  readonly parent: Scope | null;
  /** Runtime frames in scope here. */
  readonly depth: number;
}

export interface CompileContext {
  readonly src: string;
  readonly natives: ReadonlyMap<string, Native>;
}

export const ROOT_SCOPE: Scope = { b: null, parent: null, depth: 0 };

export function withBinding(scope: Scope, b: Binding): Scope {
  return { b, parent: scope, depth: scope.depth };
}

export function pushFrame(scope: Scope, kind: 'var' | 'param' | 'label', name: string): Scope {
  return { b: { kind, name }, parent: scope, depth: scope.depth + 1 };
}

function compileError(ctx: CompileContext, msg: string, pos: number | undefined): never {
  if (pos === undefined) throw new JqError('compile', msg);
  const { line, column } = positionOf(ctx.src, pos);
  throw new JqError('compile', `${msg} at line ${line}, column ${column}`, { line, column });
}

/**
 * jq checks path expressions by value identity, and null/true/false are identical to any equal
 * value: `path(null)` on null input is `[]`, `del($v)` with `$v == . == true` deletes `.`.
 */
function notAPath(v: unknown, input: unknown, path: unknown[] | null): unknown[] | null {
  return v === input && (v === null || typeof v === 'boolean') ? path : null;
}

function valueCode(one: (input: unknown, env: Env) => unknown): Code {
  return {
    one,
    run: (i, e, emit) => emit(one(i, e)),
    paths: (i, p, e, emit) => {
      const v = one(i, e);
      emit(v, notAPath(v, i, p));
    },
  };
}

const IDENTITY: Code = {
  one: (i) => i,
  run: (i, _e, emit) => emit(i),
  paths: (i, p, _e, emit) => emit(i, p),
};

function literal(value: unknown): Code {
  return valueCode(() => value);
}

/** Runs `f` so that an error it raises can be told apart from one raised downstream of `emit`. */
function guarded(
  f: (emit: Emit) => void,
  emit: Emit,
  onError: (err: ValueErrorType) => void,
): void {
  let down = false;
  const depth = R.depth;
  try {
    f((v) => {
      down = true;
      emit(v);
      down = false;
    });
  } catch (err) {
    if (down || !(err instanceof ValueError)) throw err;
    R.depth = depth;
    onError(err);
  }
}

function guardedPaths(
  f: (emit: PathEmit) => void,
  emit: PathEmit,
  onError: (err: ValueErrorType) => void,
): void {
  let down = false;
  const depth = R.depth;
  try {
    f((v, p) => {
      down = true;
      emit(v, p);
      down = false;
    });
  } catch (err) {
    if (down || !(err instanceof ValueError)) throw err;
    R.depth = depth;
    onError(err);
  }
}

function iterate(t: unknown, emit: Emit): void {
  if (Array.isArray(t)) {
    for (let i = 0; i < t.length; i++) {
      tick();
      emit(t[i]);
    }
  } else if (isObject(t)) {
    for (const k in t) {
      if (!Object.hasOwn(t, k)) continue;
      tick();
      emit(t[k]);
    }
  } else iterateError(t);
}

function iteratePaths(t: unknown, p: unknown[] | null, emit: PathEmit): void {
  if (p === null) invalidPathNear('iterate through', t);
  if (Array.isArray(t)) {
    for (let i = 0; i < t.length; i++) {
      tick();
      emit(t[i], [...p!, i]);
    }
  } else if (isObject(t)) {
    for (const k in t) {
      if (!Object.hasOwn(t, k)) continue;
      tick();
      emit(t[k], [...p!, k]);
    }
  } else iterateError(t);
}

function field(name: string): (i: unknown) => unknown {
  return (i) => {
    if (isObject(i)) return Object.hasOwn(i, name) ? i[name] : null;
    if (i === null) return null;
    return indexValue(i, name);
  };
}

export class Compiler {
  private readonly ctx: CompileContext;

  constructor(ctx: CompileContext) {
    this.ctx = ctx;
  }

  /** The function a scope's innermost binding defines (after `define`). */
  static definedFn(scope: Scope): FnInfo {
    const b = scope.b;
    if (!b || b.kind !== 'func') throw new Error('not a definition scope');
    return b.fn;
  }

  compile(ast: Ast, scope: Scope): Code {
    switch (ast.t) {
      case 'identity':
        return IDENTITY;
      case 'recurse':
        return this.compile({ t: 'call', name: 'recurse', args: [], pos: 0 }, scope);
      case 'literal':
        return literal(ast.value);
      case 'loc': {
        const line = ast.line;
        return valueCode(() => ({ file: '<top-level>', line }));
      }
      case 'string':
        return this.stringCode(ast.parts, ast.format, scope);
      case 'format': {
        const name = ast.name;
        if (!isFormat(name)) compileError(this.ctx, `${name} is not a valid format`, ast.pos);
        return valueCode((i) => applyFormat(name, i));
      }
      case 'index':
        return this.indexCode(ast.target, ast.key, scope);
      case 'slice':
        return this.sliceCode(ast.target, ast.from, ast.to, scope);
      case 'iterate':
        return this.iterateCode(this.compile(ast.target, scope));
      case 'try':
        return this.tryCode(this.compile(ast.body, scope), ast.handler && this.compile(ast.handler, scope));
      case 'array':
        return this.arrayCode(ast.body && this.compile(ast.body, scope));
      case 'object':
        return this.objectCode(ast, scope);
      case 'neg': {
        const body = this.compile(ast.body, scope);
        if (body.one) {
          const f = body.one;
          return valueCode((i, e) => negate(f(i, e)));
        }
        return {
          run: (i, e, emit) => body.run(i, e, (v) => emit(negate(v))),
          paths: (i, p, e, emit) =>
            body.run(i, e, (v) => {
              const n = negate(v);
              emit(n, notAPath(n, i, p));
            }),
        };
      }
      case 'pipe':
        return this.pipeCode(this.compile(ast.left, scope), this.compile(ast.right, scope));
      case 'comma': {
        const l = this.compile(ast.left, scope);
        const r = this.compile(ast.right, scope);
        return {
          run: (i, e, emit) => {
            l.run(i, e, emit);
            r.run(i, e, emit);
          },
          paths: (i, p, e, emit) => {
            l.paths(i, p, e, emit);
            r.paths(i, p, e, emit);
          },
        };
      }
      case 'binop':
        return this.binopCode(ast.op, this.compile(ast.left, scope), this.compile(ast.right, scope));
      case 'and':
      case 'or':
        return this.logicCode(ast.t, this.compile(ast.left, scope), this.compile(ast.right, scope));
      case 'alt':
        return this.altCode(this.compile(ast.left, scope), this.compile(ast.right, scope));
      case 'assign':
        return this.assignCode(ast.op, this.compile(ast.left, scope), this.compile(ast.right, scope));
      case 'if':
        return this.ifCode(
          this.compile(ast.cond, scope),
          this.compile(ast.then, scope),
          ast.else && this.compile(ast.else, scope),
        );
      case 'reduce':
        return this.reduceCode(ast, scope);
      case 'foreach':
        return this.foreachCode(ast, scope);
      case 'def': {
        const inner = this.define(ast.def, scope);
        return this.compile(ast.rest, inner);
      }
      case 'call':
        return this.callCode(ast.name, ast.args, ast.pos, scope);
      case 'var':
        return this.varCode(ast.name, ast.pos, scope);
      case 'as':
        return this.asCode(ast.source, ast.patterns, ast.body, scope);
      case 'label': {
        const body = this.compile(ast.body, pushFrame(scope, 'label', ast.name));
        return {
          run: (i, e, emit) => {
            const label = {};
            const depth = R.depth;
            try {
              body.run(i, { v: label, n: e }, emit);
            } catch (err) {
              if (!(err instanceof BreakSignal) || err.label !== label) throw err;
              R.depth = depth;
            }
          },
          paths: (i, p, e, emit) => {
            const label = {};
            const depth = R.depth;
            try {
              body.paths(i, p, { v: label, n: e }, emit);
            } catch (err) {
              if (!(err instanceof BreakSignal) || err.label !== label) throw err;
              R.depth = depth;
            }
          },
        };
      }
      case 'break': {
        const up = this.lookupFrame(scope, 'label', ast.name);
        if (up < 0) compileError(this.ctx, `$*label-${ast.name} is not defined`, ast.pos);
        return {
          run: (_i, e) => {
            throw new BreakSignal(frameAt(e, up) as object);
          },
          paths: (_i, _p, e) => {
            throw new BreakSignal(frameAt(e, up) as object);
          },
        };
      }
    }
  }

  /** Frames between the current scope and the nearest binding of `kind`/`name`, or -1. */
  private lookupFrame(scope: Scope, kind: 'var' | 'param' | 'label', name: string): number {
    for (let s: Scope | null = scope; s; s = s.parent) {
      const b = s.b;
      if (b && b.kind === kind && b.name === name) return scope.depth - s.depth;
    }
    return -1;
  }

  private pipeCode(l: Code, r: Code): Code {
    if (l === IDENTITY) return r;
    if (r === IDENTITY) return l;
    const lo = l.one;
    const ro = r.one;
    const code: Code = {
      run: lo
        ? (i, e, emit) => r.run(lo(i, e), e, emit)
        : (i, e, emit) => l.run(i, e, (v) => r.run(v, e, emit)),
      paths: (i, p, e, emit) => l.paths(i, p, e, (v, vp) => r.paths(v, vp, e, emit)),
    };
    if (lo && ro) code.one = (i, e) => ro(lo(i, e), e);
    else {
      const lp = l.opt ?? lo;
      const rp = r.opt ?? ro;
      if (lp && rp) {
        code.opt = (i, e) => {
          const v = lp(i, e);
          return v === NOTHING ? NOTHING : rp(v, e);
        };
      }
    }
    return code;
  }

  private stringCode(parts: ReadonlyArray<string | Ast>, format: string | null, scope: Scope): Code {
    if (format !== null && !isFormat(format)) compileError(this.ctx, `${format} is not a valid format`, undefined);
    const fmt = format ?? 'text';
    const items = parts.map((p) => (typeof p === 'string' ? p : this.compile(p, scope)));
    if (items.every((p) => typeof p === 'string' || p.one)) {
      const ones = items.map((p) => (typeof p === 'string' ? p : p.one!));
      return valueCode((i, e) => {
        let s = '';
        for (const p of ones) s += typeof p === 'string' ? p : fmt === 'text' ? toText(p(i, e)) : applyFormat(fmt, p(i, e));
        return s;
      });
    }
    // the last interpolation varies slowest, as in jq
    const n = items.length;
    const run = (i: unknown, e: Env, emit: Emit): void => {
      const acc: string[] = new Array(n);
      const step = (k: number): void => {
        if (k < 0) {
          emit(acc.join(''));
          return;
        }
        const p = items[k];
        if (typeof p === 'string') {
          acc[k] = p;
          step(k - 1);
        } else
          p.run(i, e, (v) => {
            acc[k] = fmt === 'text' ? toText(v) : (applyFormat(fmt, v) as string);
            step(k - 1);
          });
      };
      step(n - 1);
    };
    return { run, paths: (i, p, e, emit) => run(i, e, (v) => emit(v, notAPath(v, i, p))) };
  }

  private indexCode(targetAst: Ast, keyAst: Ast, scope: Scope): Code {
    const target = this.compile(targetAst, scope);
    const key = this.compile(keyAst, scope);
    const paths = (i: unknown, p: unknown[] | null, e: Env, emit: PathEmit): void =>
      key.run(i, e, (k) =>
        target.paths(i, p, e, (tv, tp) => {
          if (tp === null) invalidPathNear(`access element ${JSON.stringify(k)} of`, tv);
          emit(tv === null ? null : indexValue(tv, k), [...tp!, k]);
        }),
      );
    if (keyAst.t === 'literal' && typeof keyAst.value === 'string') {
      const get = field(keyAst.value);
      if (target === IDENTITY) return { one: get, run: (i, _e, emit) => emit(get(i)), paths };
      if (target.one) {
        const t = target.one;
        const one = (i: unknown, e: Env): unknown => get(t(i, e));
        return { one, run: (i, e, emit) => emit(get(t(i, e))), paths };
      }
      return { run: (i, e, emit) => target.run(i, e, (v) => emit(get(v))), paths };
    }
    if (target.one && key.one) {
      const t = target.one;
      const k = key.one;
      const one = (i: unknown, e: Env): unknown => {
        const kv = k(i, e);
        return indexValue(t(i, e), kv);
      };
      return { one, run: (i, e, emit) => emit(one(i, e)), paths };
    }
    return {
      run: (i, e, emit) => key.run(i, e, (k) => target.run(i, e, (t) => emit(indexValue(t, k)))),
      paths,
    };
  }

  private sliceCode(targetAst: Ast, fromAst: Ast | null, toAst: Ast | null, scope: Scope): Code {
    const target = this.compile(targetAst, scope);
    const from = fromAst ? this.compile(fromAst, scope) : literal(null);
    const to = toAst ? this.compile(toAst, scope) : literal(null);
    const bounds = (i: unknown, e: Env, k: (f: unknown, t: unknown) => void): void =>
      to.run(i, e, (t) => from.run(i, e, (f) => k(f, t)));
    return {
      run: (i, e, emit) => bounds(i, e, (f, t) => target.run(i, e, (v) => emit(sliceValue(v, f, t)))),
      paths: (i, p, e, emit) =>
        bounds(i, e, (f, t) =>
          target.paths(i, p, e, (tv, tp) => {
            const k = { start: f, end: t };
            if (tp === null) invalidPathNear(`access element ${JSON.stringify(k)} of`, tv);
            emit(sliceValue(tv, f, t), [...tp!, k]);
          }),
        ),
    };
  }

  private iterateCode(target: Code): Code {
    const paths = (i: unknown, p: unknown[] | null, e: Env, emit: PathEmit): void =>
      target.paths(i, p, e, (tv, tp) => iteratePaths(tv, tp, emit));
    if (target === IDENTITY) return { run: (i, _e, emit) => iterate(i, emit), paths };
    if (target.one) {
      const t = target.one;
      return { run: (i, e, emit) => iterate(t(i, e), emit), paths };
    }
    return { run: (i, e, emit) => target.run(i, e, (v) => iterate(v, emit)), paths };
  }

  private tryCode(body: Code, handler: Code | null): Code {
    const onError = (e: Env, emit: Emit) => (err: ValueErrorType) => {
      if (handler) handler.run(err.value, e, emit);
    };
    const code: Code = {
      run: (i, e, emit) => guarded((em) => body.run(i, e, em), emit, onError(e, emit)),
      paths: (i, p, e, emit) =>
        guardedPaths(
          (em) => body.paths(i, p, e, em),
          emit,
          (err) => {
            if (handler) handler.run(err.value, e, (v) => emit(v, null));
          },
        ),
    };
    if (body.one) {
      const b = body.one;
      code.run = (i, e, emit) => {
        let v: unknown;
        const depth = R.depth;
        try {
          v = b(i, e);
        } catch (err) {
          if (!(err instanceof ValueError)) throw err;
          R.depth = depth;
          if (handler) handler.run(err.value, e, emit);
          return;
        }
        emit(v);
      };
      if (handler?.one) {
        const h = handler.one;
        code.one = (i, e) => {
          const depth = R.depth;
          try {
            return b(i, e);
          } catch (err) {
            if (!(err instanceof ValueError)) throw err;
            R.depth = depth;
            return h(err.value, e);
          }
        };
      }
    }
    return code;
  }

  private arrayCode(body: Code | null): Code {
    if (body === null) return valueCode(() => []);
    if (body.one) {
      const b = body.one;
      return valueCode((i, e) => [b(i, e)]);
    }
    return valueCode((i, e) => {
      const out: unknown[] = [];
      body.run(i, e, (v) => {
        if (out.push(v) > R.limits.maxArrayLength) checkArrayLength(out.length);
      });
      return out;
    });
  }

  private objectCode(ast: Extract<Ast, { t: 'object' }>, scope: Scope): Code {
    const keys: Code[] = [];
    const vals: Code[] = [];
    const constKeys: Array<string | null> = [];
    for (const entry of ast.entries) {
      if (entry.key.t === 'literal' && typeof entry.key.value !== 'string') {
        compileError(this.ctx, `Cannot use ${typeAndValue(entry.key.value)} as object key`, undefined);
      }
      constKeys.push(entry.key.t === 'literal' ? (entry.key.value as string) : null);
      keys.push(this.compile(entry.key, scope));
      vals.push(this.compile(entry.value!, scope));
    }
    const n = keys.length;
    const checkKey = (k: unknown): string => {
      if (typeof k !== 'string') {
        fail(`Object keys must be strings`);
      }
      return k as string;
    };
    if (keys.every((k) => k.one) && vals.every((v) => v.one)) {
      const ko = keys.map((k) => k.one!);
      const vo = vals.map((v) => v.one!);
      if (constKeys.every((k) => k !== null && k !== '__proto__')) {
        const names = constKeys as string[];
        return valueCode((i, e) => {
          const o: Obj = {};
          for (let j = 0; j < n; j++) o[names[j]] = vo[j](i, e);
          return o;
        });
      }
      return valueCode((i, e) => {
        const o: Obj = {};
        for (let j = 0; j < n; j++) {
          const k = checkKey(ko[j](i, e));
          setKey(o, k, vo[j](i, e));
        }
        return o;
      });
    }
    const run = (i: unknown, e: Env, emit: Emit): void => {
      const ks: string[] = new Array(n);
      const vs: unknown[] = new Array(n);
      const step = (j: number): void => {
        if (j === n) {
          const o: Obj = {};
          for (let m = 0; m < n; m++) setKey(o, ks[m], vs[m]);
          emit(o);
          return;
        }
        keys[j].run(i, e, (k) => {
          ks[j] = checkKey(k);
          vals[j].run(i, e, (v) => {
            vs[j] = v;
            step(j + 1);
          });
        });
      };
      step(0);
    };
    return { run, paths: (i, p, e, emit) => run(i, e, (v) => emit(v, notAPath(v, i, p))) };
  }

  private binopCode(op: string, l: Code, r: Code): Code {
    const f = binop(op);
    if (l.one && r.one) {
      const lo = l.one;
      const ro = r.one;
      return valueCode((i, e) => {
        const rv = ro(i, e);
        return f(lo(i, e), rv);
      });
    }
    const run = (i: unknown, e: Env, emit: Emit): void => r.run(i, e, (rv) => l.run(i, e, (lv) => emit(f(lv, rv))));
    return { run, paths: (i, p, e, emit) => run(i, e, (v) => emit(v, notAPath(v, i, p))) };
  }

  private logicCode(kind: 'and' | 'or', l: Code, r: Code): Code {
    const isAnd = kind === 'and';
    if (l.one && r.one) {
      const lo = l.one;
      const ro = r.one;
      return valueCode(isAnd ? (i, e) => truthy(lo(i, e)) && truthy(ro(i, e)) : (i, e) => truthy(lo(i, e)) || truthy(ro(i, e)));
    }
    const run = (i: unknown, e: Env, emit: Emit): void =>
      l.run(i, e, (lv) => {
        if (truthy(lv) !== isAnd) emit(!isAnd);
        else r.run(i, e, (rv) => emit(truthy(rv)));
      });
    return { run, paths: (i, p, e, emit) => run(i, e, (v) => emit(v, notAPath(v, i, p))) };
  }

  /**
   * `a // b`: the truthy outputs of `a`, or if there are none, the outputs of `b`. Errors in `a`
   * propagate (jq 1.7 behaviour, checked against jq itself; the manual does not say).
   */
  private altCode(l: Code, r: Code): Code {
    const code: Code = {
      run: (i, e, emit) => {
        let any = false;
        l.run(i, e, (v) => {
          if (truthy(v)) {
            any = true;
            emit(v);
          }
        });
        if (!any) r.run(i, e, emit);
      },
      paths: (i, p, e, emit) => {
        let any = false;
        l.paths(i, p, e, (v, vp) => {
          if (truthy(v)) {
            any = true;
            emit(v, vp);
          }
        });
        if (!any) r.paths(i, p, e, emit);
      },
    };
    if (l.one && r.one) {
      const lo = l.one;
      const ro = r.one;
      code.one = (i, e) => {
        const v = lo(i, e);
        return truthy(v) ? v : ro(i, e);
      };
    }
    return code;
  }

  private assignCode(op: string, lhs: Code, rhs: Code): Code {
    let run: (i: unknown, e: Env, emit: Emit) => void;
    switch (op) {
      case '|=':
        run = (i, e, emit) => emit(modifyPaths(i, lhs, e, (v, k) => rhs.run(v, e, k)));
        break;
      case '=':
        run = (i, e, emit) => rhs.run(i, e, (v) => emit(assignPaths(i, lhs, e, v)));
        break;
      case '//=':
        run = (i, e, emit) => rhs.run(i, e, (v) => emit(altUpdate(i, lhs, e, v)));
        break;
      default: {
        const f = binop(op.slice(0, -1));
        run = (i, e, emit) => rhs.run(i, e, (v) => emit(arithUpdate(i, lhs, e, v, f)));
      }
    }
    return { run, paths: (i, p, e, emit) => run(i, e, (v) => emit(v, notAPath(v, i, p))) };
  }

  private ifCode(cond: Code, then: Code, els: Code | null): Code {
    const elseRun = els ? els.run : (i: unknown, _e: Env, emit: Emit) => emit(i);
    const elsePaths = els ? els.paths : (i: unknown, p: unknown[] | null, _e: Env, emit: PathEmit) => emit(i, p);
    const code: Code = {
      run: (i, e, emit) =>
        cond.run(i, e, (c) => {
          if (truthy(c)) then.run(i, e, emit);
          else elseRun(i, e, emit);
        }),
      paths: (i, p, e, emit) =>
        cond.run(i, e, (c) => {
          if (truthy(c)) then.paths(i, p, e, emit);
          else elsePaths(i, p, e, emit);
        }),
    };
    if (cond.one) {
      const c = cond.one;
      code.run = (i, e, emit) => {
        if (truthy(c(i, e))) then.run(i, e, emit);
        else elseRun(i, e, emit);
      };
      if (then.one && (els === null || els.one)) {
        const t = then.one;
        const f = els ? els.one! : (i: unknown) => i;
        code.one = (i, e) => (truthy(c(i, e)) ? t(i, e) : f(i, e));
      }
    }
    return code;
  }

  // ---- variables and destructuring -------------------------------------------------------

  private varCode(name: string, pos: number, scope: Scope): Code {
    for (let s: Scope | null = scope; s; s = s.parent) {
      const b = s.b;
      if (b && b.name === name && (b.kind === 'var' || b.kind === 'const')) {
        if (b.kind === 'const') return literal(b.value);
        break;
      }
    }
    const up = this.lookupFrame(scope, 'var', name);
    if (up < 0) {
      if (name === 'ENV') return valueCode(() => R.env);
      if (name === '__prog_args') return valueCode(() => []);
      compileError(this.ctx, `$${name} is not defined`, pos);
    }
    switch (up) {
      case 0:
        return valueCode((_i, e) => e!.v);
      case 1:
        return valueCode((_i, e) => e!.n!.v);
      case 2:
        return valueCode((_i, e) => e!.n!.n!.v);
    }
    return valueCode((_i, e) => frameAt(e, up));
  }

  /** Variable names bound by a list of `?//` alternatives, in order of first appearance. */
  private patternNames(patterns: readonly Pattern[]): string[] {
    const names: string[] = [];
    const visit = (p: Pattern): void => {
      if (p.t === 'pvar') {
        if (!names.includes(p.name)) names.push(p.name);
      } else if (p.t === 'parray') p.items.forEach(visit);
      else
        for (const en of p.entries) {
          if (en.keyVar !== undefined && !names.includes(en.keyVar)) names.push(en.keyVar);
          if (en.value) visit(en.value);
        }
    };
    patterns.forEach(visit);
    return names;
  }

  private compileMatcher(
    p: Pattern,
    names: string[],
    scope: Scope,
  ): (v: unknown, e: Env, slots: unknown[], k: () => void) => void {
    if (p.t === 'pvar') {
      const idx = names.indexOf(p.name);
      return (v, _e, slots, k) => {
        slots[idx] = v;
        k();
      };
    }
    if (p.t === 'parray') {
      const items = p.items.map((it) => this.compileMatcher(it, names, scope));
      return (v, e, slots, k) => {
        if (v !== null && !Array.isArray(v)) indexValue(v, 0);
        const step = (j: number): void => {
          if (j === items.length) k();
          else items[j](indexValue(v, j), e, slots, () => step(j + 1));
        };
        step(0);
      };
    }
    const entries = p.entries.map((en) => ({
      key: this.compile(en.key, scope),
      slot: en.keyVar === undefined ? -1 : names.indexOf(en.keyVar),
      sub: en.value ? this.compileMatcher(en.value, names, scope) : null,
    }));
    return (v, e, slots, k) => {
      const step = (j: number): void => {
        if (j === entries.length) {
          k();
          return;
        }
        const en = entries[j];
        en.key.run(v, e, (key) => {
          if (typeof key !== 'string') fail(`Cannot index ${v === null ? 'null' : 'object'} with ${typeAndValue(key).split(' ')[0]}`);
          const x = indexValue(v, key);
          if (en.slot >= 0) slots[en.slot] = x;
          if (en.sub) en.sub(x, e, slots, () => step(j + 1));
          else step(j + 1);
        });
      };
      step(0);
    };
  }

  /**
   * Compiles `… as P1 ?// P2 …`: returns the body scope and a binder that calls `k` with the
   * extended environment once per binding. An error in an alternative (or in `k`, unless it was
   * raised downstream) moves on to the next alternative; errors in the last one propagate.
   */
  private binder(
    patterns: readonly Pattern[],
    scope: Scope,
  ): { scope: Scope; bind: (v: unknown, e: Env, k: (e2: Env) => void, isDown?: () => boolean) => void } {
    const names = this.patternNames(patterns);
    let inner = scope;
    for (const n of names) inner = pushFrame(inner, 'var', n);
    if (patterns.length === 1 && patterns[0].t === 'pvar') {
      return { scope: inner, bind: (v, e, k) => k({ v, n: e }) };
    }
    const matchers = patterns.map((p) => this.compileMatcher(p, names, scope));
    const push = (e: Env, slots: unknown[]): Env => {
      let env = e;
      for (const s of slots) env = { v: s, n: env };
      return env;
    };
    const bind = (v: unknown, e: Env, k: (e2: Env) => void, isDown?: () => boolean): void => {
      for (let j = 0; j < matchers.length; j++) {
        const slots: unknown[] = new Array(names.length).fill(null);
        if (j === matchers.length - 1) {
          matchers[j](v, e, slots, () => k(push(e, slots)));
          return;
        }
        const depth = R.depth;
        try {
          matchers[j](v, e, slots, () => k(push(e, slots)));
          return;
        } catch (err) {
          if (!(err instanceof ValueError) || isDown?.()) throw err;
          R.depth = depth;
        }
      }
    };
    return { scope: inner, bind };
  }

  private asCode(sourceAst: Ast, patterns: readonly Pattern[], bodyAst: Ast, scope: Scope): Code {
    const source = this.compile(sourceAst, scope);
    const { scope: inner, bind } = this.binder(patterns, scope);
    const body = this.compile(bodyAst, inner);
    if (patterns.length === 1 && patterns[0].t === 'pvar') {
      const code: Code = {
        run: source.one
          ? (i, e, emit) => body.run(i, { v: source.one!(i, e), n: e }, emit)
          : (i, e, emit) => source.run(i, e, (v) => body.run(i, { v, n: e }, emit)),
        paths: (i, p, e, emit) => source.run(i, e, (v) => body.paths(i, p, { v, n: e }, emit)),
      };
      if (source.one && body.one) {
        const so = source.one;
        const bo = body.one;
        code.one = (i, e) => bo(i, { v: so(i, e), n: e });
      }
      return code;
    }
    return {
      run: (i, e, emit) =>
        source.run(i, e, (v) => {
          let down = false;
          bind(
            v,
            e,
            (e2) =>
              body.run(i, e2, (x) => {
                down = true;
                emit(x);
                down = false;
              }),
            () => down,
          );
        }),
      paths: (i, p, e, emit) =>
        source.run(i, e, (v) => {
          let down = false;
          bind(
            v,
            e,
            (e2) =>
              body.paths(i, p, e2, (x, xp) => {
                down = true;
                emit(x, xp);
                down = false;
              }),
            () => down,
          );
        }),
    };
  }

  private reduceCode(ast: Extract<Ast, { t: 'reduce' }>, scope: Scope): Code {
    const source = this.compile(ast.source, scope);
    const init = this.compile(ast.init, scope);
    const { scope: inner, bind } = this.binder(ast.patterns, scope);
    const update = this.compile(ast.update, inner);
    const NONE = {};
    const simple = ast.patterns.length === 1 && ast.patterns[0].t === 'pvar';
    const reduceFrom = (i: unknown, e: Env, acc0: unknown): unknown => {
      let acc = acc0;
      const uo = update.one;
      if (simple && uo) {
        // the common shape, `reduce SRC as $x (INIT; single-valued UPDATE)`, without binder calls
        source.run(i, e, (v) => {
          tick();
          acc = uo(acc, { v, n: e });
        });
        return acc;
      }
      source.run(i, e, (v) =>
        bind(v, e, (e2) => {
          tick();
          if (uo) acc = uo(acc, e2);
          else {
            let last: unknown = NONE;
            update.run(acc, e2, (u) => {
              last = u;
            });
            acc = last === NONE ? null : last;
          }
        }),
      );
      return acc;
    };
    const code: Code = {
      run: (i, e, emit) => init.run(i, e, (acc0) => emit(reduceFrom(i, e, acc0))),
      paths: (i, p, e, emit) =>
        init.paths(i, p, e, (acc0, p0) => {
          let acc = acc0;
          let accPath = p0;
          source.run(i, e, (v) =>
            bind(v, e, (e2) => {
              tick();
              let last: unknown = NONE;
              let lastPath: unknown[] | null = null;
              update.paths(acc, accPath, e2, (u, up) => {
                last = u;
                lastPath = up;
              });
              if (last === NONE) {
                acc = null;
                accPath = null;
              } else {
                acc = last;
                accPath = lastPath;
              }
            }),
          );
          emit(acc, accPath);
        }),
    };
    if (init.one) {
      const io = init.one;
      code.one = (i, e) => reduceFrom(i, e, io(i, e));
    }
    return code;
  }

  private foreachCode(ast: Extract<Ast, { t: 'foreach' }>, scope: Scope): Code {
    const source = this.compile(ast.source, scope);
    const init = this.compile(ast.init, scope);
    const { scope: inner, bind } = this.binder(ast.patterns, scope);
    const update = this.compile(ast.update, inner);
    const extract = ast.extract ? this.compile(ast.extract, inner) : null;
    return {
      run: (i, e, emit) =>
        init.run(i, e, (acc0) => {
          let acc = acc0;
          source.run(i, e, (v) =>
            bind(v, e, (e2) => {
              tick();
              update.run(acc, e2, (u) => {
                acc = u;
                if (extract) extract.run(u, e2, emit);
                else emit(u);
              });
            }),
          );
        }),
      paths: (i, p, e, emit) =>
        init.paths(i, p, e, (acc0, p0) => {
          let acc = acc0;
          let accPath = p0;
          source.run(i, e, (v) =>
            bind(v, e, (e2) => {
              tick();
              update.paths(acc, accPath, e2, (u, up) => {
                acc = u;
                accPath = up;
                if (extract) extract.paths(u, up, e2, emit);
                else emit(u, up);
              });
            }),
          );
        }),
    };
  }

  // ---- functions ------------------------------------------------------------------------

  /** Adds a definition to the scope (compiling its body) and returns the scope after it. */
  define(def: FuncDef, scope: Scope): Scope {
    const fn: FnInfo = { name: def.name, arity: def.params.length, depth: scope.depth, body: null };
    const withFn: Scope = { b: { kind: 'func', name: def.name, fn }, parent: scope, depth: scope.depth };
    let bodyScope = withFn;
    for (const p of def.params) bodyScope = pushFrame(bodyScope, 'param', p.startsWith('$') ? p.slice(1) : p);
    // `def f($a): body` is `def f(a): a as $a | body`
    let body = def.body;
    for (let j = def.params.length - 1; j >= 0; j--) {
      const p = def.params[j];
      if (!p.startsWith('$')) continue;
      const name = p.slice(1);
      body = { t: 'as', source: { t: 'call', name, args: [], pos: def.pos }, patterns: [{ t: 'pvar', name }], body };
    }
    fn.body = this.compile(body, bodyScope);
    return withFn;
  }

  private callCode(name: string, argAsts: readonly Ast[], pos: number, scope: Scope): Code {
    const arity = argAsts.length;
    for (let s: Scope | null = scope; s; s = s.parent) {
      const b = s.b;
      if (!b || b.name !== name) continue;
      if (b.kind === 'param' && arity === 0) return this.paramCall(scope.depth - s.depth);
      if (b.kind === 'func' && b.fn.arity === arity) return this.fnCall(b.fn, argAsts, scope);
    }
    const native = this.ctx.natives.get(`${name}/${arity}`);
    if (native) return this.nativeCall(native, argAsts.map((a) => this.compile(a, scope)));
    return compileError(this.ctx, `${name}/${arity} is not defined`, pos);
  }

  private paramCall(up: number): Code {
    return {
      run: (i, e, emit) => {
        const c = frameAt(e, up) as Closure;
        c.code.run(i, c.env, emit);
      },
      paths: (i, p, e, emit) => {
        const c = frameAt(e, up) as Closure;
        c.code.paths(i, p, c.env, emit);
      },
    };
  }

  private fnCall(fn: FnInfo, argAsts: readonly Ast[], scope: Scope): Code {
    const drop = scope.depth - fn.depth;
    // An argument that is itself a bare parameter is passed on as the same closure, so that
    // recursion through parameters does not build chains of indirections.
    const argMakers = argAsts.map((a): ((e: Env) => Closure) => {
      if (a.t === 'call' && a.args.length === 0) {
        const up = this.lookupParam(scope, a.name);
        if (up >= 0) return (e) => frameAt(e, up) as Closure;
      }
      const code = this.compile(a, scope);
      return (env) => ({ code, env });
    });
    const n = argMakers.length;
    const enterEnv = (e: Env): Env => {
      let fe = e;
      for (let j = 0; j < drop; j++) fe = fe!.n;
      for (let j = 0; j < n; j++) fe = { v: argMakers[j](e), n: fe };
      return fe;
    };
    const limit = (): void => {
      tick();
      if (++R.depth > R.limits.maxDepth) depthExceeded();
    };
    return {
      run: (i, e, emit) => {
        limit();
        fn.body!.run(i, enterEnv(e), emit);
        R.depth--;
      },
      paths: (i, p, e, emit) => {
        limit();
        fn.body!.paths(i, p, enterEnv(e), emit);
        R.depth--;
      },
    };
  }

  /** Frames up to the parameter `name` if it is the innermost binding of that name/arity 0. */
  private lookupParam(scope: Scope, name: string): number {
    for (let s: Scope | null = scope; s; s = s.parent) {
      const b = s.b;
      if (!b || b.name !== name) continue;
      if (b.kind === 'param') return scope.depth - s.depth;
      if (b.kind === 'func' && b.fn.arity === 0) return -1;
    }
    return -1;
  }

  private nativeCall(native: Native, args: Code[]): Code {
    if (native.gen) {
      const gen = native.gen;
      const paths = native.paths;
      const code: Code = {
        run: (i, e, emit) => gen(i, args, e, emit),
        paths: paths
          ? (i, p, e, emit) => paths(i, p, args, e, emit)
          : (i, p, e, emit) => gen(i, args, e, (v) => emit(v, notAPath(v, i, p))),
      };
      const opt = native.opt?.(args);
      if (opt) code.opt = opt;
      return code;
    }
    const fn = native.fn!;
    const n = args.length;
    if (n === 0) return valueCode((i) => fn(i));
    if (args.every((a) => a.one)) {
      const ones = args.map((a) => a.one!);
      if (n === 1) {
        const a0 = ones[0];
        return valueCode((i, e) => fn(i, a0(i, e)));
      }
      if (n === 2) {
        const [a0, a1] = ones;
        return valueCode((i, e) => {
          const v1 = a1(i, e);
          return fn(i, a0(i, e), v1);
        });
      }
      return valueCode((i, e) => {
        const vals = new Array(n);
        for (let j = n - 1; j >= 0; j--) vals[j] = ones[j](i, e);
        return fn(i, ...vals);
      });
    }
    const run = (i: unknown, e: Env, emit: Emit): void => {
      const vals: unknown[] = new Array(n);
      const step = (j: number): void => {
        if (j < 0) {
          emit(fn(i, ...vals));
          return;
        }
        args[j].run(i, e, (v) => {
          vals[j] = v;
          step(j - 1);
        });
      };
      step(n - 1);
    };
    return { run, paths: (i, p, e, emit) => run(i, e, (v) => emit(v, notAPath(v, i, p))) };
  }
}
