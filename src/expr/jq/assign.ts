/** Assignment operators (`=`, `|=`, `+=`…, `//=`) over the paths of their left-hand side. */
import type { Code, Env } from './code.ts';
import * as errorsModule from './errors.ts';
const fail: typeof errorsModule.fail = errorsModule.fail;
import * as pathsModule from './paths.ts';
const { delPaths, getPath, setPath } = pathsModule;
import * as runtimeModule from './runtime.ts';
const { R } = runtimeModule;
import * as valuesModule from './values.ts';
const { toJson, truthy } = valuesModule;

function truncated(v: unknown, max: number): string {
  const s = toJson(v);
  return s.length > max ? s.slice(0, max - 3) + '...' : s;
}

export function invalidPathResult(v: unknown): never {
  return fail(`Invalid path expression with result ${truncated(v, 30)}`, 'Invalid path expression');
}

export function invalidPathNear(action: string, v: unknown): never {
  return fail(`Invalid path expression near attempt to ${action} ${truncated(v, 30)}`, 'Invalid path expression');
}

/** All paths of `lhs` on `input`, as `path(lhs)` would produce them. */
export function collectPaths(input: unknown, lhs: Code, env: Env): unknown[][] {
  const out: unknown[][] = [];
  lhs.paths(input, [], env, (v, p) => {
    if (p === null) invalidPathResult(v);
    out.push(p!);
  });
  return out;
}

/**
 * `lhs |= f`: each path gets the first output of `f` on its old value; a path for which `f`
 * is empty is deleted (jq 1.7.1's `_modify`, including its index shifting on arrays).
 */
export function modifyPaths(
  input: unknown,
  lhs: Code,
  env: Env,
  update: (v: unknown, k: (u: unknown) => void) => void,
): unknown {
  let acc = input;
  const STOP = {};
  const doomed: unknown[][] = [];
  for (const p of collectPaths(input, lhs, env)) {
    const depth = R.depth;
    let got = false;
    let out: unknown;
    try {
      update(getPath(acc, p), (u) => {
        got = true;
        out = u;
        throw STOP;
      });
    } catch (err) {
      if (err !== STOP) throw err;
      R.depth = depth;
    }
    if (got) acc = setPath(acc, p, out);
    else doomed.push(p);
  }
  // jq 1.7.1 deletes the paths whose update was empty all at once, at the end
  return doomed.length > 0 ? delPaths(acc, doomed) : acc;
}

export function assignPaths(input: unknown, lhs: Code, env: Env, value: unknown): unknown {
  let acc = input;
  for (const p of collectPaths(input, lhs, env)) acc = setPath(acc, p, value);
  return acc;
}

export function arithUpdate(
  input: unknown,
  lhs: Code,
  env: Env,
  value: unknown,
  op: (a: unknown, b: unknown) => unknown,
): unknown {
  let acc = input;
  for (const p of collectPaths(input, lhs, env)) acc = setPath(acc, p, op(getPath(acc, p), value));
  return acc;
}

export function altUpdate(input: unknown, lhs: Code, env: Env, value: unknown): unknown {
  let acc = input;
  for (const p of collectPaths(input, lhs, env)) {
    const cur = getPath(acc, p);
    acc = setPath(acc, p, truthy(cur) ? cur : value);
  }
  return acc;
}
