/** Arithmetic and comparison operators with jq's overloading and error wording. */
import * as errorsModule from './errors.ts';
const fail: typeof errorsModule.fail = errorsModule.fail;
import * as runtimeModule from './runtime.ts';
const { R, checkArrayLength, checkString } = runtimeModule;
const stringLimit: typeof runtimeModule.stringLimit = runtimeModule.stringLimit;
import * as valuesModule from './values.ts';
import type { Obj } from './values.ts';
const { compare, equals, isObject, setKey, typeAndValue, typeOf } = valuesModule;

function typeError(a: unknown, b: unknown, what: string): never {
  return fail(
    `${typeAndValue(a)} and ${typeAndValue(b)} ${what}`,
    `${typeOf(a)} and ${typeOf(b)} ${what}`,
  );
}

export function add(a: unknown, b: unknown): unknown {
  if (typeof a === 'number' && typeof b === 'number') return a + b;
  if (a === null) return b;
  if (b === null) return a;
  if (typeof a === 'string' && typeof b === 'string') return checkString(a + b);
  if (Array.isArray(a) && Array.isArray(b)) {
    checkArrayLength(a.length + b.length);
    return a.concat(b);
  }
  if (isObject(a) && isObject(b)) {
    const o: Obj = { ...a };
    for (const k of Object.keys(b)) setKey(o, k, b[k]);
    return o;
  }
  return typeError(a, b, 'cannot be added');
}

export function subtract(a: unknown, b: unknown): unknown {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (Array.isArray(a) && Array.isArray(b)) return a.filter((x) => !b.some((y) => equals(x, y)));
  return typeError(a, b, 'cannot be subtracted');
}

function deepMerge(a: Obj, b: Obj): Obj {
  const o: Obj = { ...a };
  for (const k of Object.keys(b)) {
    const bv = b[k];
    const av = Object.hasOwn(o, k) ? o[k] : undefined;
    setKey(o, k, isObject(av) && isObject(bv) ? deepMerge(av, bv) : bv);
  }
  return o;
}

function repeatString(s: string, n: number): unknown {
  // jq 1.7.1: a negative (or nan) count gives null; otherwise the count is truncated
  if (!(n >= 0)) return null;
  const count = Math.floor(n);
  if (s.length * count > R.limits.maxStringLength) stringLimit();
  return s.repeat(count);
}

export function multiply(a: unknown, b: unknown): unknown {
  if (typeof a === 'number' && typeof b === 'number') return a * b;
  if (typeof a === 'string' && typeof b === 'number') return repeatString(a, b);
  if (typeof a === 'number' && typeof b === 'string') return repeatString(b, a);
  if (isObject(a) && isObject(b)) return deepMerge(a, b);
  return typeError(a, b, 'cannot be multiplied');
}

export function splitString(s: string, sep: string): string[] {
  if (s === '') return [];
  return s.split(sep);
}

export function divide(a: unknown, b: unknown): unknown {
  if (typeof a === 'number' && typeof b === 'number') {
    if (b === 0) typeError(a, b, 'cannot be divided because the divisor is zero');
    return a / b;
  }
  if (typeof a === 'string' && typeof b === 'string') return splitString(a, b);
  return typeError(a, b, 'cannot be divided');
}

const INTMAX = 2n ** 63n - 1n;
const INTMIN = -(2n ** 63n);

/** C's conversion to intmax_t as jq 1.7.1 does it, saturating at the bounds. */
function toIntmax(x: number): bigint {
  if (x !== x) return 0n;
  if (x >= 9.223372036854776e18) return INTMAX;
  if (x <= -9.223372036854776e18) return INTMIN;
  return BigInt(Math.trunc(x));
}

export function modulo(a: unknown, b: unknown): unknown {
  if (typeof a === 'number' && typeof b === 'number') {
    if (a !== a || b !== b) return NaN;
    const at = Math.trunc(a);
    const bt = Math.trunc(b);
    if (bt === 0) typeError(a, b, 'cannot be divided (remainder) because the divisor is zero');
    if (Math.abs(at) <= Number.MAX_SAFE_INTEGER && Math.abs(bt) <= Number.MAX_SAFE_INTEGER) {
      const r = at % bt;
      return r === 0 ? 0 : r;
    }
    const bi = toIntmax(b);
    if (bi === -1n) return 0;
    return Number(toIntmax(a) % bi);
  }
  return typeError(a, b, 'cannot be divided (remainder)');
}

export function negate(v: unknown): unknown {
  if (typeof v === 'number') return -v;
  return fail(`${typeAndValue(v)} cannot be negated`, `${typeOf(v)} cannot be negated`);
}

export type BinaryOp = (a: unknown, b: unknown) => unknown;

const OPS: Record<string, BinaryOp> = {
  '+': add,
  '-': subtract,
  '*': multiply,
  '/': divide,
  '%': modulo,
  '==': (a, b) => equals(a, b),
  '!=': (a, b) => !equals(a, b),
  // numbers (not nan, which jq orders below all numbers) compare natively
  '<': (a, b) => (typeof a === 'number' && typeof b === 'number' && a === a && b === b ? a < b : compare(a, b) < 0),
  '<=': (a, b) => (typeof a === 'number' && typeof b === 'number' && a === a && b === b ? a <= b : compare(a, b) <= 0),
  '>': (a, b) => (typeof a === 'number' && typeof b === 'number' && a === a && b === b ? a > b : compare(a, b) > 0),
  '>=': (a, b) => (typeof a === 'number' && typeof b === 'number' && a === a && b === b ? a >= b : compare(a, b) >= 0),
};

export function binop(op: string): BinaryOp {
  const f = OPS[op];
  if (!f) throw new Error(`unknown operator ${op}`);
  return f;
}
