/**
 * Runtime-neutral smoke test of the jq engine: `tsx scripts/jq-smoke.ts`, `deno run
 * scripts/jq-smoke.ts`, `bun scripts/jq-smoke.ts`. No test framework and no runtime imports;
 * exits non-zero when a case fails.
 */
import { compile, JqError } from '../src/expr/jq/index.ts';

type Case = { program: string; input: unknown; expected: unknown[]; vars?: Record<string, unknown> };

const cases: Case[] = [
  { program: '.a.b + 1', input: { a: { b: 41 } }, expected: [42] },
  { program: '.[] | select(.x > 2) | .y', input: [{ x: 1, y: 'a' }, { x: 3, y: 'b' }], expected: ['b'] },
  { program: 'map(. * 2) | add', input: [1, 2, 3], expected: [12] },
  { program: '{name, total: (.items | length)}', input: { name: 'n', items: [1, 2] }, expected: [{ name: 'n', total: 2 }] },
  { program: '"\\(.a)-\\(.b)"', input: { a: 1, b: 'x' }, expected: ['1-x'] },
  { program: '.missing // "default"', input: {}, expected: ['default'] },
  { program: 'try error("boom") catch .', input: null, expected: ['boom'] },
  { program: '[.[] | tonumber?]', input: ['1', 'x', '3'], expected: [[1, 3]] },
  { program: 'reduce .[] as $x (0; . + $x)', input: [1, 2, 3, 4], expected: [10] },
  { program: '[foreach .[] as $x (0; . + $x)]', input: [1, 2, 3], expected: [[1, 3, 6]] },
  { program: 'def inc(f): f + 1; inc(.n)', input: { n: 1 }, expected: [2] },
  { program: 'if . > 10 then "big" elif . > 5 then "mid" else "small" end', input: 7, expected: ['mid'] },
  { program: '.a |= . + 1 | .b += 2 | del(.c)', input: { a: 1, b: 1, c: 0 }, expected: [{ a: 2, b: 3 }] },
  { program: 'to_entries | map(.key) | join(",")', input: { x: 1, y: 2 }, expected: ['x,y'] },
  { program: 'with_entries(.value += 1)', input: { x: 1 }, expected: [{ x: 2 }] },
  { program: '[paths]', input: { a: [1] }, expected: [[['a'], ['a', 0]]] },
  { program: 'sort_by(.n) | map(.n)', input: [{ n: 3 }, { n: 1 }, { n: 2 }], expected: [[1, 2, 3]] },
  { program: 'group_by(. % 2)', input: [1, 2, 3, 4], expected: [[[2, 4], [1, 3]]] },
  { program: '[limit(3; range(100))]', input: null, expected: [[0, 1, 2]] },
  { program: 'test("^a.c$")', input: 'abc', expected: [true] },
  { program: 'capture("(?<y>\\\\d+)-(?<m>\\\\d+)")', input: '2024-05', expected: [{ y: '2024', m: '05' }] },
  { program: 'gsub("o"; "0")', input: 'foo boo', expected: ['f00 b00'] },
  { program: '@base64 | ., @base64d', input: 'héllo', expected: ['aMOpbGxv', 'héllo'] },
  { program: '@uri', input: 'a b&c', expected: ['a%20b%26c'] },
  { program: '@csv', input: [1, 'a"b', null], expected: ['1,"a""b",'] },
  { program: 'fromdateiso8601 | todate', input: '2024-02-29T12:00:00Z', expected: ['2024-02-29T12:00:00Z'] },
  { program: '[.[] as [$a, $b] | $a + $b]', input: [[1, 2], [3, 4]], expected: [[3, 7]] },
  { program: 'label $out | .[] | if . > 1 then ., break $out else empty end', input: [1, 2, 3], expected: [2] },
  { program: '$input.user.name', input: null, vars: { $input: { user: { name: 'ada' } } }, expected: ['ada'] },
  { program: 'tojson | fromjson', input: { a: [1, 'x', null] }, expected: [{ a: [1, 'x', null] }] },
  { program: '[splits(", *")]', input: 'a, b,c', expected: [['a', 'b', 'c']] },
  { program: 'walk(if type == "number" then . + 1 else . end)', input: [1, { a: 2 }], expected: [[2, { a: 3 }]] },
];

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

let passed = 0;
let failed = 0;
for (const c of cases) {
  try {
    const vars = c.vars ?? {};
    const out = compile(c.program, { variables: Object.keys(vars) }).run(c.input, vars);
    if (same(out, c.expected)) passed++;
    else {
      failed++;
      console.log(`FAIL ${c.program}: got ${JSON.stringify(out)}, expected ${JSON.stringify(c.expected)}`);
    }
  } catch (err) {
    failed++;
    console.log(`FAIL ${c.program}: ${err instanceof JqError ? `${err.code}: ${err.message}` : String(err)}`);
  }
}

// limits must cut off a runaway program rather than hang
try {
  compile('def f: f; f').run(null);
  failed++;
  console.log('FAIL runaway recursion was not stopped');
} catch (err) {
  if (err instanceof JqError && err.code === 'limit') passed++;
  else {
    failed++;
    console.log(`FAIL runaway recursion: ${String(err)}`);
  }
}

console.log(`jq smoke: ${passed} passed, ${failed} failed`);
if (failed > 0) {
  const g = globalThis as { process?: { exit?: (code: number) => void }; Deno?: { exit: (code: number) => void } };
  if (g.process?.exit) g.process.exit(1);
  else g.Deno?.exit(1);
}
