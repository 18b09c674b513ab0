/**
 * jq value semantics over plain JSON values: type names, jq's total ordering, equality,
 * serialization (`tojson`) and the truncated value descriptions used in error messages.
 */

export type Obj = { [key: string]: unknown };

export type TypeName = 'null' | 'boolean' | 'number' | 'string' | 'array' | 'object';

export function typeOf(v: unknown): TypeName {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'boolean':
      return 'boolean';
    case 'number':
      return 'number';
    case 'string':
      return 'string';
  }
  return Array.isArray(v) ? 'array' : 'object';
}

export function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function truthy(v: unknown): boolean {
  return v !== null && v !== false;
}

/** Own-property read: inherited names (`constructor`, `__proto__`) are absent, as in JSON. */
export function getKey(o: Obj, k: string): unknown {
  return Object.hasOwn(o, k) ? o[k] : null;
}

export function hasKey(o: Obj, k: string): boolean {
  return Object.hasOwn(o, k);
}

/** Writes a key without ever touching the prototype (`__proto__` becomes an own property). */
export function setKey(o: Obj, k: string, v: unknown): void {
  if (k === '__proto__') Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  else o[k] = v;
}

function rank(v: unknown): number {
  if (v === null) return 0;
  switch (typeof v) {
    case 'boolean':
      return v ? 2 : 1;
    case 'number':
      return 3;
    case 'string':
      return 4;
  }
  return Array.isArray(v) ? 5 : 6;
}

function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  // JS compares UTF-16 code units; jq compares UTF-8 bytes, i.e. code points. They differ
  // only when a surrogate meets a code unit in U+E000–U+FFFF.
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && x <= 0xdfff) x += 0x10000;
    if (y >= 0xd800 && y <= 0xdfff) y += 0x10000;
    return x < y ? -1 : 1;
  }
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
}

export function sortedKeys(o: Obj): string[] {
  return Object.keys(o).sort(compareStrings);
}

/** jq's total order: null < false < true < numbers < strings < arrays < objects. */
export function compare(a: unknown, b: unknown): number {
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra < rb ? -1 : 1;
  switch (ra) {
    case 3: {
      const x = a as number;
      const y = b as number;
      // jq compares nan as if it were below every number
      if (x !== x) return -1;
      if (y !== y) return 1;
      return x < y ? -1 : x === y ? 0 : 1;
    }
    case 4:
      return compareStrings(a as string, b as string);
    case 5: {
      const x = a as unknown[];
      const y = b as unknown[];
      const n = Math.min(x.length, y.length);
      for (let i = 0; i < n; i++) {
        const c = compare(x[i], y[i]);
        if (c !== 0) return c;
      }
      return x.length < y.length ? -1 : x.length > y.length ? 1 : 0;
    }
    case 6: {
      const ka = sortedKeys(a as Obj);
      const kb = sortedKeys(b as Obj);
      const c = compare(ka, kb);
      if (c !== 0) return c;
      for (const k of ka) {
        const d = compare((a as Obj)[k], (b as Obj)[k]);
        if (d !== 0) return d;
      }
      return 0;
    }
  }
  return 0;
}

export function equals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!equals(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) {
    if (!Object.hasOwn(b, k) || !equals((a as Obj)[k], (b as Obj)[k])) return false;
  }
  return true;
}

const DBL_MAX = '1.7976931348623157e+308';

export function numberToString(n: number): string {
  if (n !== n) return 'null';
  if (n === Infinity) return DBL_MAX;
  if (n === -Infinity) return '-' + DBL_MAX;
  if (Object.is(n, -0)) return '-0';
  const s = String(n);
  const e = s.indexOf('e');
  if (e < 0) return s;
  // jq prints at least two exponent digits: 1e-07, 1e+300
  const sign = s[e + 1];
  const digits = s.slice(e + 2);
  return s.slice(0, e) + 'e' + sign + (digits.length < 2 ? '0' + digits : digits);
}

export function quoteString(s: string): string {
  const q = JSON.stringify(s);
  return q.indexOf('\x7f') < 0 ? q : q.replace(/\x7f/g, '\\u007f');
}

/** Serializes like jq's compact output (`tojson`, `-c`). */
export function toJson(v: unknown): string {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'boolean':
      return v ? 'true' : 'false';
    case 'number':
      return numberToString(v);
    case 'string':
      return quoteString(v);
  }
  if (Array.isArray(v)) {
    let s = '[';
    for (let i = 0; i < v.length; i++) {
      if (i > 0) s += ',';
      s += toJson(v[i]);
    }
    return s + ']';
  }
  let s = '{';
  let first = true;
  for (const k of Object.keys(v as Obj)) {
    if (!first) s += ',';
    first = false;
    s += quoteString(k) + ':' + toJson((v as Obj)[k]);
  }
  return s + '}';
}

/** jq's error-message rendering of a value: its JSON, cut to 11 characters plus `...`. */
export function describe(v: unknown): string {
  const s = toJson(v);
  return s.length > 14 ? s.slice(0, 11) + '...' : s;
}

/** `type (value)`, e.g. `number (1)`, as jq words operand descriptions. */
export function typeAndValue(v: unknown): string {
  return `${typeOf(v)} (${describe(v)})`;
}

/** `tostring`: strings unchanged, everything else as JSON. */
export function toText(v: unknown): string {
  return typeof v === 'string' ? v : toJson(v);
}
