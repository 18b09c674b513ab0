/**
 * Accepted differences between Weir's engine and jq-web, which is jq 1.7 (Weir follows 1.7.1
 * and its test suite), each with its reason. `knownDifference` returns the reason when a
 * difference is one of these, else null.
 */
import type { Outcome } from './differential-gen.ts';

/** Whether some reduce/foreach INIT in the program may yield several values. */
function multiInit(p: string): boolean {
  for (const m of p.matchAll(/\b(?:reduce|foreach)\b[\s\S]*? as \$\w+ \(/g)) {
    let depth = 0;
    let k = m.index + m[0].length;
    const start = k;
    for (; k < p.length; k++) {
      const c = p[k];
      if (c === '(' || c === '[' || c === '{') depth++;
      else if (c === ')' || c === ']' || c === '}') depth--;
      else if (c === ';' && depth === 0) break;
    }
    if (/,|\[\]|\.\.|splits|paths|range|recurse|tostream/.test(p.slice(start, k))) return true;
  }
  return false;
}

function failed(o: Outcome, pattern: RegExp): boolean {
  return !o.ok && pattern.test(o.message);
}

const KNOWN: ReadonlyArray<{
  readonly reason: string;
  readonly matches: (program: string, ours: Outcome, theirs: Outcome, input: unknown) => boolean;
}> = [
  {
    reason: 'jq-web aborted (a jq 1.7 assertion, e.g. implode of an invalid code point); jq 1.7.1 substitutes U+FFFD',
    matches: (_p, _ours, theirs) => failed(theirs, /^jq-web crashed|Aborted/),
  },
  {
    reason: 'jq 1.7.1 reverses strings; jq 1.7 fails with "Cannot index string with number"',
    matches: (p, _ours, theirs, input) =>
      /\breverse\b/.test(p) && (JSON.stringify(input).includes('"') || JSON.stringify(theirs).includes('Cannot index string with number')),
  },
  {
    reason: "jq's path() accepts a filter that returns its input itself (e.g. @text on a string), by jv identity; Weir reports an invalid path",
    matches: (p, ours, theirs) => /path\(/.test(p) && failed(ours, /Invalid path expression/) && theirs.ok,
  },
  {
    reason: 'jq 1.7.1 accepts `try -x`; jq 1.7 reports a syntax error',
    matches: (p, ours, theirs) => /try\s*-/.test(p) && ours.ok && failed(theirs, /syntax error/),
  },
  {
    reason: 'from_entries also accepts k/K keys, as the manual says; jq 1.7 does not',
    matches: (p, ours, theirs) => /from_entries|with_entries/.test(p) && ours.ok && failed(theirs, /as object key/),
  },
  {
    reason: 'invalid UTF-8 from @base64d: replacement-character placement differs from jq (TextDecoder follows WHATWG)',
    matches: (p, ours, theirs) =>
      /@base64d/.test(p) && ours.ok && theirs.ok && JSON.stringify([ours.values, theirs.values]).includes('\ufffd'),
  },
  {
    reason:
      'reduce/foreach whose init yields several values: jq 1.7/1.7.1 run the source on null for all but the first (jq bug #3227, fixed in 1.8; jq.test has the regression test); Weir runs it on the input',
    matches: (p) => multiInit(p),
  },
  {
    reason: 'jq 1.7 bug: a `?//` destructuring inside the right side of `|=` clobbers the update\'s path variable',
    matches: (p, _ours, theirs) => p.includes('?//') && p.includes('|=') && failed(theirs, /Paths must be specified as an array/),
  },
  {
    reason:
      "jq 1.7's `?//` has stack (DUP/POP) bugs fixed in 1.7.1 (see 'Destructuring DUP/POP issues' in jq-1.7.1.test, which Weir passes): stopped bodies backtrack into the next alternative, errors leak",
    matches: (p) => p.includes('?//'),
  },
  {
    reason: "Weir's parser accepts a few forms jq's grammar rejects, e.g. `try (e)? catch …`",
    matches: (_p, ours, theirs) => ours.ok && failed(theirs, /syntax error/),
  },
  {
    reason: 'errors raised in path mode inside a `catch` handler: jq reports an invalid path expression even under `?`',
    matches: (p, _ours, theirs) => /path\(|paths|del\(|\|=|\+=|-=|\*=|\/=|%=|\/\/=/.test(p) && /catch/.test(p) && failed(theirs, /Invalid path expression/),
  },
  {
    reason: "the wording of jq's JSON-parser errors (tonumber, fromjson: 'Invalid numeric literal at line 1, column 3…') is not replicated",
    matches: (_p, ours, theirs) => JSON.stringify(theirs).includes('while parsing') && /as JSON|while parsing/.test(JSON.stringify(ours)),
  },
  {
    reason: 'builtins added in jq 1.7.1 are unknown to jq 1.7',
    matches: (_p, ours, theirs) =>
      ours.ok && failed(theirs, /\b(ltrimstr|rtrimstr|trim|ltrim|rtrim|abs|toarray|have_decnum|have_literal_numbers|pick|getpath|splits|significand|isvalid|leaf_paths|ascii)\/\d+ is not defined/),
  },
];

export function knownDifference(program: string, input: unknown, ours: Outcome, theirs: Outcome): string | null {
  for (const k of KNOWN) if (k.matches(program, ours, theirs, input)) return k.reason;
  return null;
}
