/**
 * Reader and runner for jq's `.test` format (see /work/shared/jq/README.md): groups of lines
 * — program, input, expected outputs — separated by blank lines; `#` lines are comments (and,
 * as in jq's own runner, end a group); `%%FAIL` groups expect a compile error.
 */
import { compile, JqError } from '../../../src/expr/jq/index.ts';
import { compare } from '../../../src/expr/jq/values.ts';
import { TEST_MODULES } from './modules.ts';

export interface SuiteCase {
  readonly line: number;
  readonly program: string;
  readonly input: string;
  readonly expected: readonly string[];
  /** For %%FAIL groups: the expected message, or null with IGNORE MSG. */
  readonly fail?: { readonly message: string | null };
}

export function readSuite(text: string): SuiteCase[] {
  const lines = text.split('\n');
  const cases: SuiteCase[] = [];
  const skip = (l: string): boolean => l.trim() === '' || l.startsWith('#');
  let i = 0;
  while (i < lines.length) {
    if (skip(lines[i])) {
      i++;
      continue;
    }
    const start = i + 1;
    if (lines[i].startsWith('%%FAIL')) {
      const ignore = lines[i].includes('IGNORE MSG');
      const program = lines[i + 1] ?? '';
      const message = lines[i + 2] ?? '';
      i += 3;
      while (i < lines.length && !skip(lines[i])) i++;
      cases.push({ line: start, program, input: '', expected: [], fail: { message: ignore ? null : message } });
      continue;
    }
    const program = lines[i];
    const input = lines[i + 1] ?? 'null';
    i += 2;
    const expected: string[] = [];
    while (i < lines.length && !skip(lines[i])) expected.push(lines[i++]);
    cases.push({ line: start, program, input, expected });
  }
  return cases;
}

/** jq compares results as values: nan reads back as null, infinities as ±DBL_MAX. */
function normalize(v: unknown): unknown {
  if (typeof v === 'number') {
    if (v !== v) return null;
    if (v === Infinity) return 1.7976931348623157e308;
    if (v === -Infinity) return -1.7976931348623157e308;
    return v;
  }
  if (Array.isArray(v)) return v.map(normalize);
  if (v && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) o[k] = normalize(x);
    return o;
  }
  return v;
}

/** Test data uses jq's JSON extensions (nan, Infinity), so it is read with `fromjson`. */
const fromjson = compile('fromjson');
function parseJsonLine(s: string): unknown {
  return fromjson.first(s.trim());
}

/** Runs one case; returns null when it passes, or a description of the difference. */
export function runCase(c: SuiteCase): string | null {
  if (c.fail) {
    try {
      compile(c.program, { modules: TEST_MODULES });
    } catch (err) {
      if (!(err instanceof JqError)) return `threw a non-JqError: ${String(err)}`;
      if (c.fail.message === null) return null;
      const core = c.fail.message.replace(/^jq: error: /, '').replace(/ at <top-level>, line \d+:$/, '');
      return err.message.startsWith(core) ? null : `error message ${JSON.stringify(err.message)}, expected ${JSON.stringify(core)}`;
    }
    return 'compiled, expected a compile error';
  }
  let input: unknown;
  let expected: unknown[];
  try {
    input = parseJsonLine(c.input);
    expected = c.expected.map(parseJsonLine);
  } catch (err) {
    return `unreadable test data: ${(err as Error).message}`;
  }
  const outputs: unknown[] = [];
  let error: unknown = null;
  try {
    // jq's own suite runs with PAGER=less in the environment (see man.test's `$ENV.PAGER`)
    const p = compile(c.program, { limits: { deadlineMs: 2000 }, env: { PAGER: 'less' }, modules: TEST_MODULES });
    p.each(input, (v) => outputs.push(v));
  } catch (err) {
    error = err;
    if (err instanceof JqError && (err.code === 'parse' || err.code === 'compile')) return `${err.code} error: ${err.message}`;
  }
  for (let k = 0; k < expected.length; k++) {
    if (k >= outputs.length) {
      return `missing output #${k + 1} ${c.expected[k]}` + (error ? ` (error: ${(error as Error).message})` : '');
    }
    if (compare(normalize(outputs[k]), normalize(expected[k])) !== 0) {
      return `output #${k + 1}: got ${JSON.stringify(outputs[k])}, expected ${c.expected[k]}`;
    }
  }
  if (outputs.length > expected.length) return `superfluous output ${JSON.stringify(outputs[expected.length])}`;
  return null;
}
