/**
 * Helpers of the differential test: the jq-web runner (renewed every N calls and after a crash),
 * Weir's runner, outcome comparison, and the grammar of generated programs and inputs.
 */
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { compile, JqError } from '../../../src/expr/jq/index.ts';
import { compare } from '../../../src/expr/jq/values.ts';

/** jq-web's WebAssembly instance degrades after a few hundred calls: renew it every N calls. */
const RENEW_EVERY = 400;

type JqWeb = { raw(input: string, program: string, flags: string[]): string | undefined };
const require = createRequire(import.meta.url);
let jq: JqWeb;
let calls = 0;

export async function freshJq(): Promise<void> {
  const path = require.resolve('jq-web');
  delete require.cache[path];
  jq = (await require(path)) as JqWeb;
  calls = 0;
}

export type Outcome = { ok: true; values: unknown[] } | { ok: false; message: string };

const fromjson = compile('fromjson');

export async function runJq(program: string, input: string): Promise<Outcome> {
  for (let attempt = 0; ; attempt++) {
    if (calls++ >= RENEW_EVERY) await freshJq();
    try {
      const out = jq.raw(input, program, ['-c']) ?? '';
      const values = out === '' ? [] : out.split('\n').filter((l) => l !== '').map((l) => fromjson.first(l));
      return { ok: true, values };
    } catch (err) {
      const message = String((err as Error)?.message ?? err);
      if (/Non-zero exit code/.test(message)) return { ok: false, message };
      // the instance crashed (memory, abort): take a fresh one and retry once
      await freshJq();
      if (attempt > 0) return { ok: false, message: `jq-web crashed: ${message}` };
    }
  }
}

export function runWeir(program: string, input: unknown): Outcome {
  try {
    return { ok: true, values: compile(program, { limits: { maxSteps: 1_000_000, deadlineMs: 500 } }).run(input) };
  } catch (err) {
    if (err instanceof JqError) return { ok: false, message: err.message };
    throw err;
  }
}

/** nan reads back as null, infinities as ±DBL_MAX: compare what jq would print. */
function normalize(v: unknown): unknown {
  if (typeof v === 'number') {
    if (v !== v) return null;
    if (v === Infinity) return 1.7976931348623157e308;
    if (v === -Infinity) return -1.7976931348623157e308;
    return Object.is(v, -0) ? 0 : v;
  }
  if (Array.isArray(v)) return v.map(normalize);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalize(x)]));
  return v;
}

/**
 * Values equal as jq compares them, except that numbers may differ in the last bits: libm
 * (jq) and V8 round transcendental functions (`pow`, `exp10`, `log`…) differently.
 */
function close(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') {
    return a === b || Math.abs(a - b) <= 1e-12 * Math.max(Math.abs(a), Math.abs(b));
  }
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, k) => close(x, b[k]));
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const ka = Object.keys(a).sort();
    const kb = Object.keys(b).sort();
    return compare(ka, kb) === 0 && ka.every((k) => close((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }
  return compare(a, b) === 0;
}

export function sameOutcome(a: Outcome, b: Outcome): boolean {
  if (!a.ok || !b.ok) return a.ok === b.ok;
  return a.values.length === b.values.length && a.values.every((v, k) => close(normalize(v), normalize(b.values[k])));
}

// ---- generators ---------------------------------------------------------------------------

const key = fc.constantFrom('a', 'b', 'c');
export const json: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.integer({ min: -5, max: 10 }),
    fc.constantFrom(0.5, -1.5, 2.25),
    fc.constantFrom('', 'a', 'b', 'ab', 'a,b', 'A1', '1', ' x '),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(key, tie('value'), { maxKeys: 3 }),
  ),
})).value;

const literal = fc.constantFrom('null', 'true', 'false', '0', '1', '2', '-1', '0.5', '"a"', '"b"', '""', '[]', '{}', '[1,2]', '{"a":1}');
const path = fc.constantFrom('.', '.a', '.b', '.[0]', '.[1]', '.[-1]', '.a.b', '.[]?', '.a?', '.[1:]', '.[:1]');
const fn0 = fc.constantFrom(
  'length', 'type', 'not', 'keys', 'tostring', 'tojson', 'add', 'sort', 'reverse', 'unique', 'min', 'max',
  'to_entries', 'floor', 'ascii_downcase', 'tonumber', 'flatten', 'paths', 'any', 'all',
  'values', 'scalars', 'arrays', 'objects', 'strings', 'numbers', 'booleans', 'nulls', 'iterables',
  'explode', 'first', 'last', 'infinite', 'nan | isnan', 'keys_unsorted', 'utf8bytelength',
  'tostream', '@base64', '@json', '@text', '@csv', '@html', '@uri', '@sh', 'ascii_upcase', 'transpose',
  'input_line_number', 'splits(",")', 'split(",")', 'join(",")', 'test("a")', 'ltrimstr("a")', 'rtrimstr("b")',
  'startswith("a")', 'endswith("b")', 'has("a")', 'has(0)', 'in({"a":1})', 'inside("ab")', 'contains("a")',
  'indices(1)', 'index("a")', 'getpath(["a","b"])', 'del(.a)', 'del(.[0])', 'to_entries | from_entries',
  'with_entries(.value |= tostring)', 'map_values(. + 1)', 'walk(.)', 'min_by(.a)', 'group_by(.a)', 'unique_by(length)',
  'sort_by(.a)', 'combinations', 'implode', 'splits("a")', 'sub("a"; "x")', 'gsub("a"; "x")', '@base64d', 
  'tojson | fromjson', 'error', 'empty', 'env | type', 'builtins | length > 10', 'significand', 'logb', 
  'frexp', 'modf', 'trunc', 'round', 'ceil', 'fabs', 'sqrt', 'exp10', 'pow(.; 2)', 'log', 'todate', 'gmtime',
).map((f) => (f.includes('|') ? `(${f})` : f));

export const expr: fc.Arbitrary<string> = fc.letrec<{ e: string; bin: string; unary: string; ctl: string }>((tie) => ({
  e: fc.oneof(
    { depthSize: 'small', maxDepth: 4 },
    literal,
    path,
    fn0,
    tie('bin'),
    tie('unary'),
    tie('ctl'),
  ),
  bin: fc
    .tuple(tie('e'), fc.constantFrom('|', ',', '+', '-', '*', '/', '%', '==', '!=', '<', '<=', '>', '>=', 'and', 'or', '//'), tie('e'))
    .map(([a, op, b]) => `(${a} ${op} ${b})`),
  unary: fc.oneof(
    tie('e').map((a) => `[${a}]`),
    tie('e').map((a) => `(${a})?`),
    tie('e').map((a) => `-(${a})`),
    tie('e').map((a) => `{a: (${a})}`),
    fc.tuple(tie('e'), tie('e')).map(([a, b]) => `{(${a} | tostring): (${b})}`),
    tie('e').map((a) => `"x\\(${a})y"`),
    tie('e').map((a) => `map(${a})`),
    tie('e').map((a) => `select(${a})`),
    tie('e').map((a) => `first(${a})`),
    tie('e').map((a) => `[limit(2; ${a})]`),
    tie('e').map((a) => `path(${a})`),
    tie('e').map((a) => `[paths(${a})]`),
    tie('e').map((a) => `isempty(${a})`),
    tie('e').map((a) => `any(${a}; .)`),
    // jq-web cannot be interrupted: generators are bounded by limit()
    tie('e').map((a) => `[limit(20; recurse(${a}; . != null))] | length`),
    tie('e').map((a) => `sort_by(${a})`),
    tie('e').map((a) => `.a |= (${a})`),
    tie('e').map((a) => `.[0] = (${a})`),
    tie('e').map((a) => `.a += (${a})`),
    tie('e').map((a) => `.b //= (${a})`),
    tie('e').map((a) => `to_entries | map(select(${a}))`),
  ),
  ctl: fc.oneof(
    fc.tuple(tie('e'), tie('e'), tie('e')).map(([c, t, f]) => `(if ${c} then ${t} else ${f} end)`),
    fc.tuple(tie('e'), tie('e')).map(([c, t]) => `(if ${c} then ${t} end)`),
    fc.tuple(tie('e'), tie('e')).map(([b, h]) => `(try ${b} catch (${h}))`),
    fc.tuple(tie('e'), tie('e'), tie('e')).map(([s, i, u]) => `(reduce ${s} as $v (${i}; ${u.replace(/\.a\b/, '$v')}))`),
    fc.tuple(tie('e'), tie('e'), tie('e')).map(([s, i, u]) => `[foreach ${s} as $v (${i}; ${u}; [$v, .])]`),
    fc.tuple(tie('e'), tie('e')).map(([s, b]) => `(${s} as $x | ${b} | [., $x])`),
    fc.tuple(tie('e'), tie('e')).map(([s, b]) => `(${s} as [$p, $q] | [$p, $q, ${b}])`),
    fc.tuple(tie('e'), tie('e')).map(([s, b]) => `(${s} as {a: $p} ?// [$p] | [$p, ${b}])`),
    tie('e').map((a) => `(def f(g): [g, g]; f(${a}))`),
    tie('e').map((a) => `(def f($n): $n + 1; f(${a}))`),
    tie('e').map((a) => `(label $out | ${a} | ., break $out)`),
  ),
})).e;

