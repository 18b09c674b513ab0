/** Value builtins: types, collections, conversion, ordering. */
import type { Native } from '../code.ts';
import * as errorsModule from '../errors.ts';
const fail: typeof errorsModule.fail = errorsModule.fail;
import * as opsModule from '../ops.ts';
const { add } = opsModule;
import * as pathsModule from '../paths.ts';
const { hasSurrogates, indexValue, indicesOf } = pathsModule;
import * as valuesModule from '../values.ts';
import type { Obj } from '../values.ts';
const { compare, equals, isObject, setKey, sortedKeys, toJson, toText, typeAndValue, typeOf } = valuesModule;
import { parseJson } from '../json.ts';

function typeFail(v: unknown, what: string): never {
  return fail(`${typeAndValue(v)} ${what}`, `${typeOf(v)} ${what}`);
}

export function length(v: unknown): number {
  if (v === null) return 0;
  switch (typeof v) {
    case 'boolean':
      return typeFail(v, 'has no length');
    case 'number':
      return Math.abs(v);
    case 'string':
      return hasSurrogates(v) ? Array.from(v).length : v.length;
  }
  return Array.isArray(v) ? v.length : Object.keys(v as Obj).length;
}

function keys(v: unknown): string[] | number[] {
  if (isObject(v)) return sortedKeys(v);
  if (Array.isArray(v)) return v.map((_, i) => i);
  return typeFail(v, 'has no keys');
}

function keysUnsorted(v: unknown): string[] | number[] {
  if (isObject(v)) return Object.keys(v);
  if (Array.isArray(v)) return v.map((_, i) => i);
  return typeFail(v, 'has no keys');
}

function has(v: unknown, k: unknown): boolean {
  if (v === null) return false;
  if (isObject(v) && typeof k === 'string') return Object.hasOwn(v, k);
  if (Array.isArray(v) && typeof k === 'number') return k >= 0 && k < v.length;
  return fail(`Cannot check whether ${typeOf(v)} has a ${typeOf(k)} key`);
}

function containsDeep(a: unknown, b: unknown): boolean {
  if (isObject(a) && isObject(b)) {
    for (const k of Object.keys(b)) {
      if (!Object.hasOwn(a, k) || !containsDeep(a[k], b[k])) return false;
    }
    return true;
  }
  if (Array.isArray(a) && Array.isArray(b)) return b.every((y) => a.some((x) => containsDeep(x, y)));
  if (typeof a === 'string' && typeof b === 'string') return a.includes(b);
  return typeOf(a) === typeOf(b) && equals(a, b);
}

/** Only the top level insists on equal types; nested mismatches are simply "not contained". */
export function contains(a: unknown, b: unknown): boolean {
  if (typeOf(a) === typeOf(b)) return containsDeep(a, b);
  return fail(`${typeAndValue(a)} and ${typeAndValue(b)} cannot have their containment checked`, `${typeOf(a)} and ${typeOf(b)} cannot have their containment checked`);
}

function addAll(v: unknown): unknown {
  let values: unknown[];
  if (Array.isArray(v)) values = v;
  else if (isObject(v)) values = Object.values(v);
  else return fail(`Cannot iterate over ${typeAndValue(v)}`);
  if (values.length === 0) return null;
  // Strings and arrays are joined in one go rather than by repeated `+`.
  if (values.every((x) => typeof x === 'string')) return values.join('');
  let acc: unknown = values[0];
  for (let i = 1; i < values.length; i++) acc = add(acc, values[i]);
  return acc;
}

export function tonumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    // like jq, surrounding JSON whitespace is allowed
    const s = v.replace(/^[ \t\n\r]+|[ \t\n\r]+$/g, '');
    if (s !== '' && /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) return Number(s);
    if (v === 'nan' || v === '-nan') return NaN;
    return fail(`Cannot parse '${v}' as JSON`, 'Cannot parse string as number');
  }
  return typeFail(v, 'cannot be parsed as a number');
}

function sortArray(v: unknown): unknown[] {
  if (!Array.isArray(v)) return typeFail(v, 'cannot be sorted, as it is not an array');
  return v.slice().sort(compare);
}

function unique(v: unknown): unknown[] {
  // jq's unique maps over its input first: non-containers fail to iterate
  if (!Array.isArray(v) && !isObject(v)) fail(`Cannot iterate over ${typeAndValue(v)}`);
  const sorted = sortArray(v);
  const out: unknown[] = [];
  for (const x of sorted) if (out.length === 0 || compare(out[out.length - 1], x) !== 0) out.push(x);
  return out;
}

/** `min` keeps the first of equal minima, `max` the last of equal maxima (as jq does). */
function minMax(v: unknown, max: boolean): unknown {
  if (!Array.isArray(v)) return typeFail(v, 'cannot be iterated over');
  if (v.length === 0) return null;
  let best = v[0];
  for (let i = 1; i < v.length; i++) {
    const c = compare(v[i], best);
    if (max ? c >= 0 : c < 0) best = v[i];
  }
  return best;
}

/** Arrays and strings reverse; otherwise jq's `[.[length - 1 - range(0; length)]]` applies. */
function reverse(v: unknown): unknown {
  if (Array.isArray(v)) return v.slice().reverse();
  if (typeof v === 'string') return Array.from(v).reverse().join('');
  if (length(v) === 0) return [];
  return indexValue(v, 0);
}

function toEntries(v: unknown): unknown[] {
  if (isObject(v)) return Object.keys(v).map((k) => ({ key: k, value: v[k] }));
  if (Array.isArray(v)) return v.map((x, i) => ({ key: i, value: x }));
  return typeFail(v, 'has no keys');
}

/**
 * Keys from the first of key, Key, name, Name, k, K that is neither null nor false (and must be
 * a string); the value from value, Value, v or V, whichever is present first.
 */
function fromEntries(v: unknown): Obj {
  if (!Array.isArray(v)) return fail(`Cannot iterate over ${typeAndValue(v)}`);
  const o: Obj = {};
  for (const e of v) {
    if (!isObject(e)) indexValue(e, 'key');
    const entry = e as Obj;
    let k: unknown = null;
    for (const name of ['key', 'Key', 'name', 'Name', 'k', 'K']) {
      const x = Object.hasOwn(entry, name) ? entry[name] : null;
      if (x !== null && x !== false) {
        k = x;
        break;
      }
    }
    let val: unknown = null;
    for (const name of ['value', 'Value', 'v', 'V']) {
      if (Object.hasOwn(entry, name)) {
        val = entry[name];
        break;
      }
    }
    if (typeof k !== 'string') return fail(`Cannot use ${typeAndValue(k)} as object key`, `Cannot use ${typeOf(k)} as object key`);
    setKey(o, k, val);
  }
  return o;
}

function flatten(v: unknown, depth: unknown): unknown[] {
  if (typeof depth !== 'number') return fail('flatten depth must not be negative');
  if (depth < 0) return fail('flatten depth must not be negative');
  if (isObject(v)) v = Object.values(v);
  if (!Array.isArray(v)) return fail(`Cannot iterate over ${typeAndValue(v)}`);
  const out: unknown[] = [];
  const go = (a: unknown[], d: number): void => {
    for (const x of a) {
      if (Array.isArray(x) && d > 0) go(x, d - 1);
      else out.push(x);
    }
  };
  go(v, depth);
  return out;
}

function indices(v: unknown, x: unknown): unknown {
  if (v === null) return null;
  if (typeof v === 'string' && typeof x === 'string') {
    if (x === '') return null;
    const out: number[] = [];
    // jq reports byte offsets of UTF-8; for ASCII these are the code unit offsets
    let i = v.indexOf(x);
    while (i >= 0) {
      out.push(i);
      i = v.indexOf(x, i + 1);
    }
    return out;
  }
  if (Array.isArray(v) && Array.isArray(x)) return indicesOf(v, x);
  if (Array.isArray(v)) return indicesOf(v, [x]);
  return indexValue(v, x);
}

function join(input: unknown, sep: unknown): unknown {
  const v = isObject(input) ? Object.values(input) : input;
  if (!Array.isArray(v)) return fail(`Cannot iterate over ${typeAndValue(v)}`);
  if (v.length === 0) return '';
  if (typeof sep !== 'string') {
    let acc: unknown = null;
    for (const x of v) acc = add(add(acc, x === null ? '' : x), sep);
    return acc;
  }
  let s = '';
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (i > 0) s += sep;
    if (x === null) continue;
    if (typeof x === 'string') s += x;
    else if (typeof x === 'number' || typeof x === 'boolean') s += toJson(x);
    else return fail(`${typeAndValue(s + (i === 0 ? '' : ''))} and ${typeAndValue(x)} cannot be added`, `string and ${typeOf(x)} cannot be added`);
  }
  return s;
}

function transpose(input: unknown): unknown[] {
  const v = isObject(input) ? Object.values(input) : input;
  if (!Array.isArray(v)) return fail(`Cannot iterate over ${typeAndValue(v)}`);
  let n = 0;
  for (const row of v) n = Math.max(n, length(row));
  const out: unknown[][] = [];
  for (let i = 0; i < n; i++) out.push(v.map((row) => (Array.isArray(row) ? (i < row.length ? row[i] : null) : indexValue(row, i))));
  return out;
}

function tojsonChecked(v: unknown): string {
  return toJson(v);
}

function splitOn(v: unknown, sep: unknown): unknown {
  if (typeof v !== 'string' || typeof sep !== 'string') return fail('split input and separator must be strings');
  if (v === '') return [];
  return v.split(sep);
}

function implode(v: unknown): string {
  if (!Array.isArray(v)) return fail('implode input must be an array');
  let s = '';
  for (const c of v) {
    if (typeof c !== 'number' || c !== c) {
      return fail(`${typeAndValue(c)} can't be imploded, unicode codepoint needs to be numeric`);
    }
    let cp = Math.trunc(c);
    if (cp < 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) cp = 0xfffd;
    s += String.fromCodePoint(cp);
  }
  return s;
}

function explode(v: unknown): number[] {
  if (typeof v !== 'string') return fail('explode input must be a string');
  const out: number[] = [];
  for (const ch of v) out.push(ch.codePointAt(0)!);
  return out;
}

function utf8ByteLength(v: unknown): number {
  if (typeof v !== 'string') return typeFail(v, 'only strings have UTF-8 byte length');
  return new TextEncoder().encode(v).length;
}

function trimWith(v: unknown, re: RegExp): string {
  if (typeof v !== 'string') return fail('trim input must be a string');
  return v.replace(re, '');
}

function toArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [v];
}

function getpathValue(v: unknown, p: unknown): unknown {
  if (!Array.isArray(p)) return fail('Path must be specified as an array');
  let cur = v;
  for (const k of p) {
    if (cur === null) return null;
    cur = indexValue(cur, k);
  }
  return cur;
}


/** jq 1.7.1: negative numbers are negated, everything else passes through. */
function abs(v: unknown): unknown {
  return typeof v === 'number' && v < 0 ? -v : v;
}

function ascii(v: unknown): string {
  return String.fromCharCode(v as number);
}

function tostringValue(v: unknown): string {
  return toText(v);
}


export const CORE: Record<string, Native> = {
  'length/0': { fn: length },
  'utf8bytelength/0': { fn: utf8ByteLength },
  'not/0': { fn: (v) => v === null || v === false },
  'type/0': { fn: typeOf },
  'keys/0': { fn: keys },
  'keys_unsorted/0': { fn: keysUnsorted },
  'has/1': { fn: has },
  'contains/1': { fn: contains },
  'add/0': { fn: addAll },
  'tostring/0': { fn: tostringValue },
  'tonumber/0': { fn: tonumber },
  'tojson/0': { fn: tojsonChecked },
  'fromjson/0': {
    fn: (v) => {
      if (typeof v !== 'string') return typeFail(v, 'only strings can be parsed');
      return parseJson(v);
    },
  },
  'sort/0': { fn: sortArray },
  'unique/0': { fn: unique },
  'min/0': { fn: (v) => minMax(v, false) },
  'max/0': { fn: (v) => minMax(v, true) },
  'reverse/0': { fn: reverse },
  'to_entries/0': { fn: toEntries },
  'from_entries/0': { fn: fromEntries },
  'flatten/0': { fn: (v) => flatten(v, 1e9) },
  'flatten/1': { fn: flatten },
  '_indices/1': { fn: indices },
  'join/1': { fn: join },
  'transpose/0': { fn: transpose },
  'split/1': { fn: splitOn },
  'implode/0': { fn: implode },
  'explode/0': { fn: explode },
  'ltrimstr/1': { fn: (v, s) => (typeof v === 'string' && typeof s === 'string' && v.startsWith(s) ? v.slice(s.length) : v) },
  'rtrimstr/1': {
    fn: (v, s) =>
      typeof v === 'string' && typeof s === 'string' && v.endsWith(s) && s.length > 0 ? v.slice(0, v.length - s.length) : v,
  },
  'startswith/1': {
    fn: (v, s) => {
      if (typeof v !== 'string' || typeof s !== 'string') return fail('startswith() requires string inputs');
      return v.startsWith(s);
    },
  },
  'endswith/1': {
    fn: (v, s) => {
      if (typeof v !== 'string' || typeof s !== 'string') return fail('endswith() requires string inputs');
      return v.endsWith(s);
    },
  },
  // Unicode White_Space: JS's \s plus U+0085 (NEL)
  'trim/0': { fn: (v) => trimWith(v, /^[\s\u0085]+|[\s\u0085]+$/g) },
  'ltrim/0': { fn: (v) => trimWith(v, /^[\s\u0085]+/) },
  'rtrim/0': { fn: (v) => trimWith(v, /[\s\u0085]+$/) },
  'ascii_downcase/0': {
    fn: (v) => {
      if (typeof v !== 'string') return typeFail(v, 'cannot be lowercased');
      return v.replace(/[A-Z]+/g, (c) => c.toLowerCase());
    },
  },
  'ascii_upcase/0': {
    fn: (v) => {
      if (typeof v !== 'string') return typeFail(v, 'cannot be uppercased');
      return v.replace(/[a-z]+/g, (c) => c.toUpperCase());
    },
  },
  'toarray/0': { fn: toArray },
  'toboolean/0': {
    fn: (v) => {
      if (v === 'true') return true;
      if (v === 'false') return false;
      if (typeof v === 'boolean') return v;
      return fail(`${typeAndValue(v)} cannot be parsed as a boolean`);
    },
  },
  'trimstr/1': {
    fn: (v, s) => {
      if (typeof v !== 'string' || typeof s !== 'string' || s === '') return v;
      let r = v.startsWith(s) ? v.slice(s.length) : v;
      if (r.endsWith(s)) r = r.slice(0, r.length - s.length);
      return r;
    },
  },
  'getpath/1': { fn: getpathValue },
  'abs/0': { fn: abs },
  'ascii/0': { fn: ascii },
  'infinite/0': { fn: () => Infinity },
  'nan/0': { fn: () => NaN },
  // jq checks the type first: non-numbers are simply not infinite/nan/normal
  'isinfinite/0': { fn: (v) => v === Infinity || v === -Infinity },
  'isnan/0': { fn: (v) => typeof v === 'number' && v !== v },
  'isnormal/0': {
    fn: (v) => typeof v === 'number' && v === v && Math.abs(v) !== Infinity && Math.abs(v) >= 2.2250738585072014e-308,
  },
  'have_literal_numbers/0': { fn: () => true },
  'have_decnum/0': { fn: () => false },
  'input_line_number/0': { fn: () => 0 },
  'input_filename/0': { fn: () => null },
};
