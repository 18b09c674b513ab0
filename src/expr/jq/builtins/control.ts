/**
 * Builtins that take filter arguments or control the flow of outputs: `path`, `select`,
 * `recurse`, `limit`, `first`, `range`, `until`… Loops are written as loops (not
 * recursion) wherever jq's semantics allow, so long iterations do not grow the JS stack.
 */
import type { Code, Emit, Env, Native, PathEmit } from '../code.ts';
import { NOTHING } from '../code.ts';
import * as errorsModule from '../errors.ts';
const { JqError, ValueError } = errorsModule;
const fail: typeof errorsModule.fail = errorsModule.fail;
import * as assignModule from '../assign.ts';
const invalidPathResult: typeof assignModule.invalidPathResult = assignModule.invalidPathResult;
import * as pathsModule from '../paths.ts';
const { delPaths, getPath, setPath } = pathsModule;
import * as runtimeModule from '../runtime.ts';
const { R, checkArrayLength, tick } = runtimeModule;
const depthExceeded: typeof runtimeModule.depthExceeded = runtimeModule.depthExceeded;
import * as valuesModule from '../values.ts';
const { isObject, truthy, typeAndValue, typeOf } = valuesModule;

/** Thrown to stop a generator early (`limit`, `first`, `isempty`…); each use has its own token. */
function stopAfter(run: (emit: Emit) => void, emit: Emit, n: number): void {
  if (n <= 0) return;
  const STOP = {};
  const depth = R.depth;
  let count = 0;
  try {
    run((v) => {
      emit(v);
      if (++count >= n) throw STOP;
    });
  } catch (err) {
    if (err !== STOP) throw err;
    R.depth = depth;
  }
}

function stopAfterPaths(run: (emit: PathEmit) => void, emit: PathEmit, n: number): void {
  if (n <= 0) return;
  const STOP = {};
  const depth = R.depth;
  let count = 0;
  try {
    run((v, p) => {
      emit(v, p);
      if (++count >= n) throw STOP;
    });
  } catch (err) {
    if (err !== STOP) throw err;
    R.depth = depth;
  }
}

function collect(code: Code, input: unknown, env: Env): unknown[] {
  const out: unknown[] = [];
  code.run(input, env, (v) => {
    out.push(v);
  });
  return out;
}

function requireNumber(v: unknown, what: string): number {
  if (typeof v !== 'number') fail(`${what} must be a number`);
  return v as number;
}

function recurseAll(v: unknown, emit: Emit): void {
  tick();
  if (++R.depth > R.limits.maxDepth) depthExceeded();
  emit(v);
  if (Array.isArray(v)) for (const x of v) recurseAll(x, emit);
  else if (isObject(v)) for (const k of Object.keys(v)) recurseAll(v[k], emit);
  R.depth--;
}

function recurseAllPaths(v: unknown, p: unknown[] | null, emit: PathEmit): void {
  tick();
  if (++R.depth > R.limits.maxDepth) depthExceeded();
  emit(v, p);
  if (p !== null) {
    if (Array.isArray(v)) for (let i = 0; i < v.length; i++) recurseAllPaths(v[i], [...p, i], emit);
    else if (isObject(v)) for (const k of Object.keys(v)) recurseAllPaths(v[k], [...p, k], emit);
  }
  R.depth--;
}

function range(from: number, upto: number, by: number, emit: Emit): void {
  if (by > 0) {
    for (let x = from; x < upto; x += by) {
      tick();
      emit(x);
    }
  } else if (by < 0) {
    for (let x = from; x > upto; x += by) {
      tick();
      emit(x);
    }
  } else if (from < upto) {
    // jq 1.7.1 repeats `from` forever when `by` is 0; the step budget ends it
    for (;;) {
      tick();
      emit(from);
    }
  }
}

export const CONTROL: Record<string, Native> = {
  'empty/0': { gen: () => {}, paths: () => {} },
  'error/0': {
    gen: (i) => {
      throw new ValueError(i);
    },
  },
  'error/1': {
    gen: (i, [msg], e) =>
      msg.run(i, e, (m) => {
        throw new ValueError(m);
      }),
    paths: (i, _p, [msg], e) =>
      msg.run(i, e, (m) => {
        throw new ValueError(m);
      }),
  },
  'path/1': {
    gen: (i, [f], e, emit) =>
      f.paths(i, [], e, (v, p) => {
        if (p === null) invalidPathResult(v);
        emit(p);
      }),
  },
  'getpath/1': {
    gen: (i, [p], e, emit) =>
      p.run(i, e, (path) => {
        if (!Array.isArray(path)) fail('Path must be specified as an array');
        emit(getPath(i, path as unknown[]));
      }),
    paths: (i, base, [p], e, emit) =>
      p.run(i, e, (path) => {
        if (!Array.isArray(path)) fail('Path must be specified as an array');
        let v: unknown;
        try {
          v = getPath(i, path as unknown[]);
        } catch (err) {
          if (!(err instanceof ValueError)) throw err;
          v = null;
        }
        emit(v, base === null ? null : [...base, ...(path as unknown[])]);
      }),
  },
  'setpath/2': {
    fn: (i, p, v) => {
      if (!Array.isArray(p)) return fail('Path must be specified as an array');
      return setPath(i, p, v);
    },
  },
  'delpaths/1': { fn: (i, ps) => delPaths(i, ps) },
  'select/1': {
    opt: ([f]) => {
      const one = f.one;
      return one ? (i, e) => (truthy(one(i, e)) ? i : NOTHING) : null;
    },
    gen: (i, [f], e, emit) => {
      if (f.one) {
        if (truthy(f.one(i, e))) emit(i);
        return;
      }
      f.run(i, e, (c) => {
        if (truthy(c)) emit(i);
      });
    },
    paths: (i, p, [f], e, emit) =>
      f.run(i, e, (c) => {
        if (truthy(c)) emit(i, p);
      }),
  },
  'map/1': {
    gen: (i, [f], e, emit) => {
      const out: unknown[] = [];
      const push = (v: unknown): void => {
        if (out.push(v) > R.limits.maxArrayLength) checkArrayLength(out.length);
      };
      if (Array.isArray(i)) {
        const one = f.one;
        const opt = f.opt;
        for (let j = 0; j < i.length; j++) {
          tick();
          if (one) push(one(i[j], e));
          else if (opt) {
            const v = opt(i[j], e);
            if (v !== NOTHING) push(v);
          } else f.run(i[j], e, push);
        }
      } else if (isObject(i)) {
        for (const k of Object.keys(i)) f.run(i[k], e, push);
      } else fail(`Cannot iterate over ${typeAndValue(i)}`);
      checkArrayLength(out.length);
      emit(out);
    },
  },
  'recurse/0': {
    gen: (i, _a, _e, emit) => recurseAll(i, emit),
    paths: (i, p, _a, _e, emit) => recurseAllPaths(i, p, emit),
  },
  'recurse/1': {
    gen: (i, [f], e, emit) => {
      const r = (v: unknown): void => {
        tick();
        if (++R.depth > R.limits.maxDepth) depthExceeded();
        emit(v);
        f.run(v, e, r);
        R.depth--;
      };
      r(i);
    },
    paths: (i, p, [f], e, emit) => {
      const r = (v: unknown, vp: unknown[] | null): void => {
        tick();
        if (++R.depth > R.limits.maxDepth) depthExceeded();
        emit(v, vp);
        f.paths(v, vp, e, r);
        R.depth--;
      };
      r(i, p);
    },
  },
  'limit/2': {
    gen: (i, [n, f], e, emit) =>
      n.run(i, e, (nv) => {
        const k = requireNumber(nv, 'Invalid limit: limit');
        if (k < 0) f.run(i, e, emit);
        else stopAfter((em) => f.run(i, e, em), emit, k);
      }),
    paths: (i, p, [n, f], e, emit) =>
      n.run(i, e, (nv) => {
        const k = requireNumber(nv, 'Invalid limit: limit');
        if (k < 0) f.paths(i, p, e, emit);
        else stopAfterPaths((em) => f.paths(i, p, e, em), emit, k);
      }),
  },
  'first/1': {
    gen: (i, [f], e, emit) => stopAfter((em) => f.run(i, e, em), emit, 1),
    paths: (i, p, [f], e, emit) => stopAfterPaths((em) => f.paths(i, p, e, em), emit, 1),
  },
  'last/1': {
    gen: (i, [f], e, emit) => {
      let last: unknown;
      let any = false;
      f.run(i, e, (v) => {
        any = true;
        last = v;
      });
      if (any) emit(last);
    },
    paths: (i, p, [f], e, emit) => {
      let last: unknown;
      let lastPath: unknown[] | null = null;
      let any = false;
      f.paths(i, p, e, (v, vp) => {
        any = true;
        last = v;
        lastPath = vp;
      });
      if (any) emit(last, lastPath);
    },
  },
  'nth/2': {
    gen: (i, [n, f], e, emit) =>
      n.run(i, e, (nv) => {
        const k = requireNumber(nv, 'Invalid nth: n');
        if (k < 0) fail("nth doesn't support negative indices");
        let count = 0;
        stopAfter(
          (em) =>
            f.run(i, e, (v) => {
              if (count++ === Math.floor(k)) em(v);
            }),
          emit,
          1,
        );
      }),
  },
  'skip/2': {
    gen: (i, [n, f], e, emit) =>
      n.run(i, e, (nv) => {
        const k = requireNumber(nv, 'Invalid skip: n');
        if (k < 0) fail('skip doesn\'t support negative count');
        let count = 0;
        f.run(i, e, (v) => {
          if (count++ >= k) emit(v);
        });
      }),
  },
  'isempty/1': {
    gen: (i, [f], e, emit) => {
      let any = false;
      stopAfter(
        (em) =>
          f.run(i, e, () => {
            any = true;
            em(null);
          }),
        () => {},
        1,
      );
      emit(!any);
    },
  },
  'range/1': {
    gen: (i, [n], e, emit) => n.run(i, e, (nv) => range(0, requireNumber(nv, 'Range bounds'), 1, emit)),
  },
  'range/2': {
    gen: (i, [from, upto], e, emit) =>
      from.run(i, e, (f) =>
        upto.run(i, e, (u) => range(requireNumber(f, 'Range bounds'), requireNumber(u, 'Range bounds'), 1, emit)),
      ),
  },
  'range/3': {
    gen: (i, [from, upto, by], e, emit) =>
      from.run(i, e, (f) =>
        upto.run(i, e, (u) =>
          by.run(i, e, (b) =>
            range(requireNumber(f, 'Range bounds'), requireNumber(u, 'Range bounds'), requireNumber(b, 'Range step'), emit),
          ),
        ),
      ),
  },
  'repeat/1': {
    gen: (i, [f], e, emit) => {
      const r = (v: unknown): void => {
        tick();
        if (++R.depth > R.limits.maxDepth) depthExceeded();
        emit(v);
        f.run(v, e, r);
        R.depth--;
      };
      r(i);
    },
  },
  'until/2': {
    gen: (i, [cond, update], e, emit) => {
      // iterate while `cond` and `update` are single-valued; branch recursively when not
      const go = (v0: unknown): void => {
        let v = v0;
        for (;;) {
          tick();
          const cs = collect(cond, v, e);
          if (cs.length === 1) {
            if (truthy(cs[0])) return emit(v);
            const next = collect(update, v, e);
            if (next.length === 1) {
              v = next[0];
              continue;
            }
            if (++R.depth > R.limits.maxDepth) depthExceeded();
            for (const n of next) go(n);
            R.depth--;
            return;
          }
          for (const c of cs) {
            if (truthy(c)) emit(v);
            else {
              if (++R.depth > R.limits.maxDepth) depthExceeded();
              update.run(v, e, go);
              R.depth--;
            }
          }
          return;
        }
      };
      go(i);
    },
  },
  'while/2': {
    gen: (i, [cond, update], e, emit) => {
      const go = (v0: unknown): void => {
        let v = v0;
        for (;;) {
          tick();
          const cs = collect(cond, v, e);
          if (cs.length === 1) {
            if (!truthy(cs[0])) return;
            emit(v);
            const next = collect(update, v, e);
            if (next.length === 1) {
              v = next[0];
              continue;
            }
            if (++R.depth > R.limits.maxDepth) depthExceeded();
            for (const n of next) go(n);
            R.depth--;
            return;
          }
          for (const c of cs) {
            if (!truthy(c)) continue;
            emit(v);
            if (++R.depth > R.limits.maxDepth) depthExceeded();
            update.run(v, e, go);
            R.depth--;
          }
          return;
        }
      };
      go(i);
    },
  },
  'any/2': {
    gen: (i, [g, cond], e, emit) => {
      let found = false;
      stopAfter(
        (em) =>
          g.run(i, e, (v) =>
            cond.run(v, e, (c) => {
              if (truthy(c)) {
                found = true;
                em(true);
              }
            }),
          ),
        () => {},
        1,
      );
      emit(found);
    },
  },
  'all/2': {
    gen: (i, [g, cond], e, emit) => {
      let failed = false;
      stopAfter(
        (em) =>
          g.run(i, e, (v) =>
            cond.run(v, e, (c) => {
              if (!truthy(c)) {
                failed = true;
                em(false);
              }
            }),
          ),
        () => {},
        1,
      );
      emit(!failed);
    },
  },
  'env/0': { fn: () => R.env },
  'now/0': { fn: () => R.now() },
  'input/0': { fn: () => fail('No more inputs') },
  'inputs/0': { gen: () => {} },
  'debug/0': { gen: (i, _a, _e, emit) => emit(i), paths: (i, p, _a, _e, emit) => emit(i, p) },
  'debug/1': { gen: (i, _a, _e, emit) => emit(i), paths: (i, p, _a, _e, emit) => emit(i, p) },
  'stderr/0': { gen: (i, _a, _e, emit) => emit(i) },
  'halt/0': {
    gen: () => {
      throw new HaltSignal();
    },
  },
  'halt_error/0': {
    gen: (i) => {
      throw new JqError('runtime', typeof i === 'string' ? i : `halt_error: ${typeOf(i)}`, { value: i });
    },
  },
  'halt_error/1': {
    gen: (i, [code], e) =>
      code.run(i, e, (c) => {
        if (typeof c !== 'number') fail('halt_error/1: number required');
        throw new JqError('runtime', typeof i === 'string' ? i : `halt_error: ${typeOf(i)}`, { value: i });
      }),
  },
};

/** `halt`: ends the program; outputs so far are kept. */
export class HaltSignal {}
