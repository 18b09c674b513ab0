/** libm-style math builtins over JS doubles. */
import type { Native } from '../code.ts';
import * as errorsModule from '../errors.ts';
const fail: typeof errorsModule.fail = errorsModule.fail;
import * as valuesModule from '../values.ts';
const { typeAndValue, typeOf } = valuesModule;

function num(v: unknown): number {
  if (typeof v !== 'number') fail(`${typeAndValue(v)} number required`, `${typeOf(v)} number required`);
  return v as number;
}

/** Lanczos approximation (g = 7, n = 9); accurate to ~15 digits for the gamma function. */
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

function tgamma(x: number): number {
  if (x !== x) return NaN;
  if (x === Infinity) return Infinity;
  if (Number.isInteger(x) && x <= 0) return NaN;
  if (x < 0.5) return Math.PI / (Math.sin(Math.PI * x) * tgamma(1 - x));
  if (Number.isInteger(x) && x <= 171) {
    let r = 1;
    for (let k = 2; k < x; k++) r *= k;
    return r;
  }
  const z = x - 1;
  let a = LANCZOS[0];
  const t = z + 7.5;
  for (let k = 1; k < 9; k++) a += LANCZOS[k] / (z + k);
  return Math.sqrt(2 * Math.PI) * Math.pow(t, z + 0.5) * Math.exp(-t) * a;
}

function lgamma(x: number): number {
  if (x !== x) return NaN;
  if (x === Infinity || x === -Infinity) return Infinity;
  if (Number.isInteger(x) && x <= 0) return Infinity;
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - lgamma(1 - x);
  if (x === 1 || x === 2) return 0;
  const z = x - 1;
  let a = LANCZOS[0];
  const t = z + 7.5;
  for (let k = 1; k < 9; k++) a += LANCZOS[k] / (z + k);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

function frexp(x: number): [number, number] {
  if (x === 0 || x !== x || !isFinite(x)) return [x, 0];
  let e = Math.max(-1073, Math.floor(Math.log2(Math.abs(x))) + 1);
  let m = x * Math.pow(2, -e);
  while (Math.abs(m) < 0.5) {
    m *= 2;
    e--;
  }
  while (Math.abs(m) >= 1) {
    m /= 2;
    e++;
  }
  return [m, e];
}

function ldexp(x: number, e: number): number {
  // split the exponent so that 2^e never overflows or underflows on its own
  let r = x;
  let k = Math.trunc(e);
  while (k > 1000) {
    r *= 2 ** 1000;
    k -= 1000;
  }
  while (k < -1000) {
    r *= 2 ** -1000;
    k += 1000;
  }
  return r * 2 ** k;
}

function roundHalfEven(x: number): number {
  if (!isFinite(x)) return x;
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function roundAway(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

function significand(x: number): number {
  if (x === 0 || !isFinite(x) || x !== x) return x;
  const [m] = frexp(x);
  return m * 2;
}

function logb(x: number): number {
  if (x === 0) return -Infinity;
  if (!isFinite(x)) return Math.abs(x);
  return frexp(x)[1] - 1;
}

function nextafter(x: number, y: number): number {
  if (x !== x || y !== y) return NaN;
  if (x === y) return y;
  if (x === 0) return y > 0 ? 5e-324 : -5e-324;
  const buf = new DataView(new ArrayBuffer(8));
  buf.setFloat64(0, x);
  let bits = buf.getBigInt64(0);
  bits += (y > x) === (x > 0) ? 1n : -1n;
  buf.setBigInt64(0, bits);
  return buf.getFloat64(0);
}

function drem(x: number, y: number): number {
  if (y === 0 || !isFinite(x) || x !== x || y !== y) return NaN;
  const n = roundHalfEven(x / y);
  const r = x - n * y;
  return r === 0 ? (x < 0 ? -0 : 0) : r;
}

/** Bessel functions via their integral representations (Simpson's rule, ample for doubles' display). */
function besselJ(n: number, x: number): number {
  const steps = 2000;
  const h = Math.PI / steps;
  let s = 0;
  for (let k = 0; k <= steps; k++) {
    const t = k * h;
    const w = k === 0 || k === steps ? 1 : k % 2 ? 4 : 2;
    s += w * Math.cos(n * t - x * Math.sin(t));
  }
  return (s * h) / 3 / Math.PI;
}

function besselY(n: number, x: number): number {
  if (x <= 0) return x === 0 ? -Infinity : NaN;
  const steps = 2000;
  const h = Math.PI / steps;
  let s = 0;
  for (let k = 0; k <= steps; k++) {
    const t = k * h;
    const w = k === 0 || k === steps ? 1 : k % 2 ? 4 : 2;
    s += w * Math.sin(x * Math.sin(t) - n * t);
  }
  const first = (s * h) / 3 / Math.PI;
  // second integral: ∫0^∞ (e^{nt} + (-1)^n e^{-nt}) e^{-x sinh t} dt / π
  let s2 = 0;
  const upper = 20;
  const steps2 = 4000;
  const h2 = upper / steps2;
  for (let k = 0; k <= steps2; k++) {
    const t = k * h2;
    const w = k === 0 || k === steps2 ? 1 : k % 2 ? 4 : 2;
    s2 += w * (Math.exp(n * t) + (n % 2 ? -1 : 1) * Math.exp(-n * t)) * Math.exp(-x * Math.sinh(t));
  }
  return first - (s2 * h2) / 3 / Math.PI;
}

const UNARY: Record<string, (x: number) => unknown> = {
  floor: Math.floor,
  ceil: Math.ceil,
  sqrt: Math.sqrt,
  fabs: Math.abs,
  round: roundAway,
  trunc: Math.trunc,
  rint: roundHalfEven,
  nearbyint: roundHalfEven,
  exp: Math.exp,
  exp2: (x) => 2 ** x,
  exp10: (x) => 10 ** x,
  pow10: (x) => 10 ** x,
  expm1: Math.expm1,
  log: Math.log,
  log2: Math.log2,
  log10: Math.log10,
  log1p: Math.log1p,
  logb,
  sin: Math.sin,
  cos: Math.cos,
  tan: Math.tan,
  asin: Math.asin,
  acos: Math.acos,
  atan: Math.atan,
  sinh: Math.sinh,
  cosh: Math.cosh,
  tanh: Math.tanh,
  asinh: Math.asinh,
  acosh: Math.acosh,
  atanh: Math.atanh,
  cbrt: Math.cbrt,
  gamma: lgamma,
  lgamma,
  tgamma,
  lgamma_r: (x) => [lgamma(x), x < 0 && Math.floor(-x) % 2 === 0 && !Number.isInteger(x) ? -1 : 1],
  significand,
  frexp,
  // C's modf keeps the sign on a zero fraction: modf(-2) is [-0, -2]
  modf: (x) => (isFinite(x) ? [x - Math.trunc(x) || (x < 0 || Object.is(x, -0) ? -0 : 0), Math.trunc(x)] : [x !== x ? x : 0 * Math.sign(x), x]),
  j0: (x) => besselJ(0, x),
  j1: (x) => besselJ(1, x),
  y0: (x) => besselY(0, x),
  y1: (x) => besselY(1, x),
};

const BINARY: Record<string, (x: number, y: number) => unknown> = {
  pow: Math.pow,
  atan2: Math.atan2,
  fmod: (x, y) => x % y,
  hypot: Math.hypot,
  fmin: (x, y) => (x !== x ? y : y !== y ? x : Math.min(x, y)),
  fmax: (x, y) => (x !== x ? y : y !== y ? x : Math.max(x, y)),
  fdim: (x, y) => (x > y ? x - y : 0),
  copysign: (x, y) => (Math.sign(y) === -1 || Object.is(y, -0) ? -Math.abs(x) : Math.abs(x)),
  drem,
  remainder: drem,
  ldexp,
  scalb: (x, y) => x * 2 ** y,
  scalbln: ldexp,
  nextafter,
  nexttoward: nextafter,
};

export const MATH: Record<string, Native> = {};
for (const [name, f] of Object.entries(UNARY)) {
  MATH[`${name}/0`] = { fn: (i) => f(num(i)) };
}
for (const [name, f] of Object.entries(BINARY)) {
  MATH[`${name}/2`] = { fn: (_i, a, b) => f(num(a), num(b)) };
}
MATH['fma/3'] = { fn: (_i, a, b, c) => num(a) * num(b) + num(c) };
