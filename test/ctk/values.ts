/**
 * JSON value helpers shared by the CTK steps and the spec-example checks: deep equality with JSON
 * semantics (key order and `1` vs `1.0` do not matter), dotted property paths, subset matching, and
 * compact rendering for failure messages.
 */
import { isDeepStrictEqual } from 'node:util';

/** Deep equality after a JSON round trip, so `undefined` members and prototypes do not matter. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(normalize(a), normalize(b));
}

function normalize(v: unknown): unknown {
  return v === undefined ? undefined : (JSON.parse(JSON.stringify(v)) as unknown);
}

/** Follows a dotted path (`content.id`, `error.instance`, `items.0.name`). */
export function getPath(value: unknown, path: string): { found: boolean; value?: unknown } {
  let cur: unknown = value;
  for (const key of path.split('.')) {
    if (Array.isArray(cur) && /^\d+$/.test(key) && Number(key) < cur.length) cur = cur[Number(key)];
    else if (typeof cur === 'object' && cur !== null && !Array.isArray(cur) && Object.hasOwn(cur, key)) cur = (cur as Record<string, unknown>)[key];
    else return { found: false };
  }
  return { found: true, value: cur };
}

/**
 * Whether `expected` is contained in `actual`: objects may have extra keys, arrays and scalars
 * must match exactly (element-wise subset for arrays of objects).
 */
export function isSubset(expected: unknown, actual: unknown): boolean {
  if (Array.isArray(expected)) {
    return Array.isArray(actual) && actual.length === expected.length && expected.every((e, i) => isSubset(e, actual[i]));
  }
  if (typeof expected === 'object' && expected !== null) {
    if (typeof actual !== 'object' || actual === null || Array.isArray(actual)) return false;
    return Object.entries(expected).every(([k, v]) => Object.hasOwn(actual, k) && isSubset(v, (actual as Record<string, unknown>)[k]));
  }
  return jsonEqual(expected, actual);
}

/** Compact JSON for messages, cut at `max` characters. */
export function show(value: unknown, max = 600): string {
  const s = value === undefined ? 'undefined' : JSON.stringify(value, null, 1).replace(/\n\s*/g, ' ');
  return s.length > max ? `${s.slice(0, max)}…` : s;
}
