/**
 * Indexing, slicing and the path primitives (`getpath`, `setpath`, `delpaths`), all
 * copy-on-write: inputs and variables are never mutated.
 */
import { fail } from './errors.ts';
import { compare, getKey, isObject, setKey, typeAndValue, typeOf, type Obj } from './values.ts';

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
  let s = from === null ? 0 : (from as number);
  let e = to === null ? len : (to as number);
  if (s < 0) s += len;
  if (e < 0) e += len;
  if (s < 0) s = 0;
  if (s > len) s = len;
  if (e > len) e = len;
  if (e < s) e = s;
  s = Math.floor(s);
  e = Math.ceil(e);
  if (e > len) e = len;
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

function deletePath(t: unknown, path: readonly unknown[], i: number): unknown {
  if (t === null) return null;
  const k = path[i];
  const last = i === path.length - 1;
  if (typeof k === 'string') {
    if (!isObject(t)) return fail(`Cannot delete field at object index of ${typeOf(t)}`);
    if (!Object.hasOwn(t, k)) return t;
    const copy: Obj = { ...t };
    if (last) delete copy[k];
    else setKey(copy, k, deletePath(t[k], path, i + 1));
    return copy;
  }
  if (typeof k === 'number') {
    if (!Array.isArray(t)) return fail(`Cannot delete field at index of ${typeOf(t)}`);
    let idx = Math.floor(k);
    if (idx < 0) {
      idx += t.length;
      if (idx < 0) fail('Out of bounds negative array index');
    }
    if (idx >= t.length) return t;
    const copy = t.slice();
    if (last) copy.splice(idx, 1);
    else copy[idx] = deletePath(t[idx], path, i + 1);
    return copy;
  }
  if (isObject(k)) {
    if (!Array.isArray(t)) return fail(`Cannot delete slice of ${typeOf(t)}`);
    const [s, e] = sliceBounds(t.length, getKey(k, 'start'), getKey(k, 'end'));
    if (last) return [...t.slice(0, s), ...t.slice(e)];
    const inner = deletePath(t.slice(s, e), path, i + 1);
    return [...t.slice(0, s), ...(inner as unknown[]), ...t.slice(e)];
  }
  return fail(`Invalid path component`);
}

export function delPaths(t: unknown, paths: unknown): unknown {
  if (!Array.isArray(paths)) return fail('Paths must be specified as an array');
  const sorted = paths.slice().sort(compare);
  let v = t;
  for (let j = sorted.length - 1; j >= 0; j--) {
    const p = sorted[j];
    if (!Array.isArray(p)) return fail('Path must be specified as an array');
    if (p.length === 0) return null;
    v = deletePath(v, p, 0);
  }
  return v;
}
