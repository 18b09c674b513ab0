/**
 * Hostile values for fuzzing: strings Postgres or a parser might choke on, SQL-looking text that
 * must be stored verbatim, and JSON values built to be deep or odd. Shared by the chaos fuzz files.
 */
import fc from 'fast-check';

/** Text that looks like SQL, format strings, paths or markup: stored and read back verbatim. */
export const sqlish = [
  "'; DROP TABLE weir.instances; --",
  "' OR '1'='1",
  '"; DELETE FROM weir.api_keys; --',
  '$1',
  '$1::jsonb',
  '%s%s%s%n',
  "\\'",
  '\\x00',
  "E'\\\\x41'",
  '$$ SELECT 1 $$',
  '/* */ UNION SELECT hash FROM weir.api_keys --',
  'weir.now()',
  '../../etc/passwd',
  '${ . }',
  '{{ constructor.constructor("return process")() }}',
  '__proto__',
  'constructor',
  '<script>alert(1)</script>',
  '\u202e\u0645\u0631\u062d\u0628\u0627',
  '𝕎𝕖𝕚𝕣 🌊 👩🏽‍💻',
  'a\r\nb\tc',
  '',
] as const;

/** Strings Postgres cannot store (U+0000, lone surrogates): the API must answer 4xx, not 500. */
export const unstorable = ['\u0000', 'a\u0000b', '\ud800', 'x\udfffy', '\udc00\ud800'] as const;

export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...sqlish) },
  { weight: 2, arbitrary: fc.constantFrom(...unstorable) },
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1_000, max: 20_000 }).map((n) => 'x'.repeat(n)) },
  // Long and incompressible: what overflows a btree index entry (repeated characters compress).
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 3_000, maxLength: 10_000 }) },
  { weight: 1, arbitrary: fc.constantFrom('-1', '0', '1e309', 'NaN', '9007199254740993', 'true', 'null', '[]', '{}') },
);

/** Strings that survive a round trip through Postgres unchanged (everything but the unstorable ones). */
export const storableString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...sqlish) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }).filter((s) => !s.includes('\u0000')) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
);

export const deepArray = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
export const deepObject = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);

/** Any JSON value, sometimes with hostile strings in it. */
export const hostileJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  fc.dictionary(hostileString, fc.oneof(hostileString, fc.jsonValue({ maxDepth: 2 })), { maxKeys: 5 }),
  fc.array(hostileString, { maxLength: 4 }),
);

/** Replaces the leaf (or inserts a key) at a random place in `sample` with `value`. */
export function replaceAt(sample: unknown, pick: number, value: unknown): unknown {
  const slots: Array<(v: unknown) => unknown> = [() => value];
  const walk = (node: unknown, rebuild: (n: unknown) => unknown) => {
    if (Array.isArray(node)) {
      node.forEach((x, i) => {
        const set = (v: unknown) => rebuild(node.map((y, j) => (j === i ? v : y)));
        slots.push(set);
        walk(x, set);
      });
    } else if (node && typeof node === 'object') {
      for (const [k, x] of Object.entries(node)) {
        const set = (v: unknown) => rebuild({ ...(node as object), [k]: v });
        slots.push(set, () => rebuild(Object.fromEntries(Object.entries(node).filter(([q]) => q !== k))));
        walk(x, set);
      }
      slots.push((v) => rebuild({ ...(node as object), ['x' + pick]: v }));
    }
  };
  walk(sample, (n) => n);
  return slots[pick % slots.length](value);
}

/** A valid sample, the sample with one place replaced or removed, or something else entirely. */
export function mutated(sample: unknown): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant(sample) },
    { weight: 4, arbitrary: fc.tuple(fc.nat(), fc.oneof(hostileString, hostileJson)).map(([i, v]) => replaceAt(sample, i, v)) },
    { weight: 1, arbitrary: hostileJson },
  );
}
