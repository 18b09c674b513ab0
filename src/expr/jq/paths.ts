/**
 * Indexing, slicing and the path primitives (`getpath`, `setpath`, `delpaths`), all
 * copy-on-write: inputs and variables are never mutated.
 */
import * as errorsModule from './errors.ts';
const fail: typeof errorsModule.fail = errorsModule.fail;
import * as valuesModule from './values.ts';
import type { Obj } from './values.ts';
const { compare, getKey, isObject, setKey, typeAndValue, typeOf } = valuesModule;

function keyDesc(k: unknown): string {
  return typeof k === 'string' ? `string ${JSON.stringify(k)}` : typeOf(k);
}

export function indexError(t: unknown, k: unknown): never {
  return fail(`Cannot index ${typeOf(t)} with ${keyDesc(k)}`, `Cannot index ${typeOf(t)} with ${typeOf(k)}`);
}

export function iterateError(t: unknown): never {
  return fail(
    `Cannot iterate over ${typeAndValue(t)}`,
    `Cannot iterate over ${typeOf(t)}`,
  );
}

/** `t[k]` with jq semantics: null propagates, negative array indices count from the end. */
export function indexValue(t: unknown, k: unknown): unknown {
  if (typeof k === 'string') {
    if (isObject(t)) return getKey(t, k);
    if (t === null) return null;
  } else if (typeof k === 'number') {
    if (Array.isArray(t)) {
      if (k !== k) return null;
      let i = Math.floor(k);
      if (i < 0) i += t.length;
      return i >= 0 && i < t.length ? t[i] : null;
    }
    if (t === null) return null;
  } else if (isObject(k) && (t === null || Array.isArray(t) || typeof t === 'string')) {
    return sliceValue(t, getKey(k, 'start'), getKey(k, 'end'));
  } else if (Array.isArray(k) && Array.isArray(t)) {
    return indicesOf(t, k);
  } else if (k === null && (t === null || isObject(t))) {
    if (t === null) return null;
  }
  return indexError(t, k);
}

export function indicesOf(t: unknown[], k: unknown[]): number[] {
  const out: number[] = [];
  if (k.length === 0) return out;
  outer: for (let i = 0; i + k.length <= t.length; i++) {
    for (let j = 0; j < k.length; j++) if (compare(t[i + j], k[j]) !== 0) continue outer;
    out.push(i);
  }
  return out;
}

/** Resolves slice bounds like jq: start floored, end ceiled, negatives from the end, clamped. */
export function sliceBounds(len: number, from: unknown, to: unknown): [number, number] {
  if ((from !== null && typeof from !== 'number') || (to !== null && typeof to !== 'number')) {
    fail('Start and end indices of an array slice must be numbers');
  }
  let s = from === null || from !== from ? 0 : (from as number);
  let e = to === null || to !== to ? len : (to as number);
  if (s < 0) s += len;
  if (e < 0) e += len;
  s = Math.floor(s);
  e = Math.ceil(e);
  if (s < 0) s = 0;
  if (s > len) s = len;
  if (e > len) e = len;
  if (e < s) e = s;
  return [s, e];
}

export function sliceValue(t: unknown, from: unknown, to: unknown): unknown {
  if (t === null) return null;
  if (typeof t === 'string') {
    if (!hasSurrogates(t)) {
      const [s, e] = sliceBounds(t.length, from, to);
      return t.slice(s, e);
    }
    const cps = Array.from(t);
    const [s, e] = sliceBounds(cps.length, from, to);
    return cps.slice(s, e).join('');
  }
  if (Array.isArray(t)) {
    const [s, e] = sliceBounds(t.length, from, to);
    return t.slice(s, e);
  }
  return fail(`Cannot index ${typeOf(t)} with object`);
}

export function hasSurrogates(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdfff) return true;
  }
  return false;
}

export function getPath(t: unknown, path: readonly unknown[]): unknown {
  let v = t;
  for (let i = 0; i < path.length; i++) {
    if (v === null) return null;
    v = indexValue(v, path[i]);
  }
  return v;
}

export function setPath(t: unknown, path: readonly unknown[], v: unknown, i = 0): unknown {
  if (i === path.length) return v;
  const k = path[i];
  if (typeof k === 'string') {
    if (t !== null && !isObject(t)) indexError(t, k);
    const o = t === null ? {} : t;
    const next = setPath(getKey(o, k), path, v, i + 1);
    const copy: Obj = { ...o };
    setKey(copy, k, next);
    return copy;
  }
  if (typeof k === 'number') {
    if (t !== null && !Array.isArray(t)) indexError(t, k);
    const a = (t ?? []) as unknown[];
    if (k !== k) fail('Cannot set array element at NaN index');
    let idx = Math.floor(k);
    if (idx < 0) {
      idx += a.length;
      if (idx < 0) fail('Out of bounds negative array index');
    }
    if (idx > 536870911) fail('Array index too large');
    const next = setPath(idx < a.length ? a[idx] : null, path, v, i + 1);
    const copy = a.slice();
    while (copy.length < idx) copy.push(null);
    copy[idx] = next;
    return copy;
  }
  if (isObject(k)) {
    if (typeof t === 'string') fail('Cannot update string slices');
    if (t !== null && !Array.isArray(t)) indexError(t, k);
    const a = (t ?? []) as unknown[];
    const [s, e] = sliceBounds(a.length, getKey(k, 'start'), getKey(k, 'end'));
    const next = setPath(a.slice(s, e), path, v, i + 1);
    if (!Array.isArray(next)) fail('A slice of an array can only be assigned another array');
    return [...a.slice(0, s), ...next, ...a.slice(e)];
  }
  if (Array.isArray(k) && Array.isArray(t)) fail('Cannot update field at object index of array');
  return indexError(t, k);
}

/**
 * Deletes several paths at once. Like jq, all keys deleted from one array are resolved against
 * that array as it was (so `del(.[1], .[-6])` removes two original elements), and deeper paths
 * are deleted before their ancestors' siblings shift.
 */
function deleteAll(t: unknown, paths: ReadonlyArray<readonly unknown[]>, depth: number): unknown {
  if (t === null) return null;
  const leaves: unknown[] = [];
  const deeper = new Map<string, { key: unknown; rest: Array<readonly unknown[]> }>();
  for (const p of paths) {
    if (p.length === depth + 1) leaves.push(p[depth]);
    else {
      const id = JSON.stringify(p[depth]);
      let g = deeper.get(id);
      if (!g) deeper.set(id, (g = { key: p[depth], rest: [] }));
      g.rest.push(p);
    }
  }
  let v: unknown = t;
  for (const { key, rest } of deeper.values()) {
    if (isObject(key)) {
      if (!Array.isArray(v)) return fail(`Cannot delete slice of ${typeOf(v)}`);
      const [s, e] = sliceBounds(v.length, getKey(key, 'start'), getKey(key, 'end'));
      const inner = deleteAll(v.slice(s, e), rest, depth + 1) as unknown[];
      v = [...v.slice(0, s), ...inner, ...v.slice(e)];
      continue;
    }
    const child = indexValue(v, key);
    if (child === null) continue;
    v = setPath(v, [key], deleteAll(child, rest, depth + 1));
  }
  if (leaves.length === 0) return v;
  if (isObject(v)) {
    const copy: Obj = { ...v };
    for (const k of leaves) {
      if (typeof k !== 'string') return fail(`Cannot delete field at index of object`);
      delete copy[k];
    }
    return copy;
  }
  if (Array.isArray(v)) {
    const drop = new Set<number>();
    for (const k of leaves) {
      if (typeof k === 'number') {
        let idx = Math.floor(k);
        if (idx < 0) idx += v.length;
        if (idx >= 0 && idx < v.length) drop.add(idx);
      } else if (isObject(k)) {
        const [s, e] = sliceBounds(v.length, getKey(k, 'start'), getKey(k, 'end'));
        for (let j = s; j < e; j++) drop.add(j);
      } else return fail(`Cannot delete field at object index of array`);
    }
    return (v as unknown[]).filter((_, j) => !drop.has(j));
  }
  return fail(`Cannot delete field at index of ${typeOf(v)}`);
}

export function delPaths(t: unknown, paths: unknown): unknown {
  if (!Array.isArray(paths)) return fail('Paths must be specified as an array');
  for (const p of paths) {
    if (!Array.isArray(p)) return fail('Path must be specified as an array');
    if (p.length === 0) return null;
  }
  if (paths.length === 0) return t;
  return deleteAll(t, paths as unknown[][], 0);
}
