/**
 * The regex builtins (`test`, `match`, `capture`, `scan`, `split/2`, `sub`) on JS `RegExp`,
 * translating what can be translated from Oniguruma syntax. See README.md for what cannot.
 * Offsets and lengths are in code points, as in jq.
 */
import type { Code, Emit, Env, Native } from './code.ts';
import * as errorsModule from './errors.ts';
const { ValueError } = errorsModule;
const fail: typeof errorsModule.fail = errorsModule.fail;
import * as pathsModule from './paths.ts';
const { hasSurrogates } = pathsModule;
import * as valuesModule from './values.ts';
import type { Obj } from './values.ts';
const { typeAndValue, typeOf } = valuesModule;

interface Compiled {
  readonly re: RegExp;
  /** Name (or null) of each capturing group, in order. */
  readonly names: ReadonlyArray<string | null>;
  readonly global: boolean;
  readonly skipEmpty: boolean;
}

const cache = new Map<string, Compiled>();
const CACHE_MAX = 500;

const POSIX: Record<string, string> = {
  alpha: '\\p{L}',
  digit: '0-9',
  alnum: '\\p{L}\\p{Nd}',
  upper: '\\p{Lu}',
  lower: '\\p{Ll}',
  space: '\\s',
  blank: ' \\t',
  punct: '\\p{P}',
  xdigit: '0-9A-Fa-f',
  word: '\\w',
  cntrl: '\\p{Cc}',
  print: '\\P{C}',
  graph: '\\p{L}\\p{M}\\p{N}\\p{P}\\p{S}',
  ascii: '\\x00-\\x7f',
};

const WORD = '\\p{L}\\p{M}\\p{Nd}\\p{Pc}';
const UNICODE_ESCAPES: Record<string, string> = {
  w: `[${WORD}]`,
  W: `[^${WORD}]`,
  b: `(?:(?<=[${WORD}])(?![${WORD}])|(?<![${WORD}])(?=[${WORD}]))`,
  B: `(?:(?<=[${WORD}])(?=[${WORD}])|(?<![${WORD}])(?![${WORD}]))`,
};

/**
 * Rewrites Oniguruma syntax into JS syntax: `\A \z \Z \h`, POSIX brackets, Unicode-aware
 * `\w \b` (in `unicode` mode), and `(…)?` as `(?:(…)|)` so that an optional group that
 * matches empty is set, as in Oniguruma (JS's empty-check leaves it unset).
 * `extended` strips whitespace and comments.
 */
function translate(src: string, extended: boolean, unicode: boolean): string {
  let out = '';
  let inClass = 0;
  const groups: Array<{ at: number; capturing: boolean }> = [];
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === '\\') {
      const n = src[i + 1];
      i++;
      if (n === undefined) {
        out += '\\\\';
        break;
      }
      if (unicode && inClass === 0 && UNICODE_ESCAPES[n]) out += UNICODE_ESCAPES[n];
      else if (unicode && inClass > 0 && (n === 'w')) out += WORD;
      else if (inClass === 0 && n === 'A') out += '^';
      else if (inClass === 0 && n === 'z') out += '$(?![\\s\\S])';
      else if (inClass === 0 && n === 'Z') out += '(?=\\n?$(?![\\s\\S]))';
      else if (n === 'h') out += inClass ? '0-9a-fA-F' : '[0-9a-fA-F]';
      else if (n === 'H') out += '[^0-9a-fA-F]';
      else out += '\\' + n;
      continue;
    }
    if (inClass > 0) {
      if (c === '[' && src[i + 1] === ':') {
        const end = src.indexOf(':]', i + 2);
        if (end > 0) {
          const name = src.slice(i + 2, end);
          const neg = name.startsWith('^');
          const cls = POSIX[neg ? name.slice(1) : name];
          if (cls && !neg) {
            out += cls;
            i = end + 1;
            continue;
          }
        }
      }
      if (c === '[') inClass++;
      else if (c === ']') inClass--;
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = 1;
      out += c;
      if (src[i + 1] === '^') {
        out += '^';
        i++;
      }
      if (src[i + 1] === ']') {
        out += '\\]';
        i++;
      }
      continue;
    }
    if (c === '(') {
      groups.push({ at: out.length, capturing: src[i + 1] !== '?' || (src[i + 2] === '<' && src[i + 3] !== '=' && src[i + 3] !== '!') });
      out += c;
      continue;
    }
    if (c === ')') {
      const g = groups.pop();
      out += c;
      if (g && g.capturing && src[i + 1] === '?' && src[i + 2] !== '?' && src[i + 2] !== '+') {
        out = out.slice(0, g.at) + '(?:' + out.slice(g.at) + '|)';
        i++;
      }
      continue;
    }
    if (extended) {
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v') continue;
      if (c === '#') {
        while (i < src.length && src[i] !== '\n') i++;
        continue;
      }
    }
    out += c;
  }
  return out;
}

/** Capturing groups of a JS pattern, in order, with their names. */
function groupNames(p: string): Array<string | null> {
  const names: Array<string | null> = [];
  let inClass = false;
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') inClass = true;
    else if (c === '(') {
      if (p[i + 1] !== '?') names.push(null);
      else if (p[i + 2] === '<' && p[i + 3] !== '=' && p[i + 3] !== '!') {
        const end = p.indexOf('>', i);
        names.push(p.slice(i + 3, end));
      }
    }
  }
  return names;
}

export function compileRegex(re: unknown, flags: unknown): Compiled {
  if (typeof re !== 'string') return fail(`${typeAndValue(re)} cannot be matched, as it is not a string`, `${typeOf(re)} cannot be matched, as it is not a string`);
  if (flags !== null && typeof flags !== 'string') return fail(`${typeAndValue(flags)} is not a string`);
  const key = `${flags ?? ''}/${re}`;
  const hit = cache.get(key);
  if (hit) return hit;
  let global = false;
  let skipEmpty = false;
  let extended = false;
  let js = 'd';
  for (const f of (flags as string | null) ?? '') {
    switch (f) {
      case 'g':
        global = true;
        break;
      case 'i':
        js += 'i';
        break;
      case 'x':
        extended = true;
        break;
      case 'n':
        skipEmpty = true;
        break;
      case 's':
        // single line: ^ and $ anchor to the whole string, JS's default
        break;
      case 'p':
        js += js.includes('s') ? '' : 's';
        break;
      case 'l':
        // longest match: no JS equivalent; leftmost-first is used (README.md)
        break;
      default:
        return fail(`${flags} is not a valid modifier string`);
    }
  }
  let pattern = translate(re, extended, true);
  let compiled: RegExp;
  try {
    compiled = new RegExp(pattern, js + 'gu');
  } catch {
    try {
      pattern = translate(re, extended, false);
      compiled = new RegExp(pattern, js + 'g');
    } catch (err) {
      return fail(`${re} (at offset 0) is not a valid regex: ${(err as Error).message}`, 'invalid regex');
    }
  }
  const out = { re: compiled, names: groupNames(pattern), global, skipEmpty };
  if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value!);
  cache.set(key, out);
  return out;
}

/** Converts UTF-16 offsets to code point offsets for strings with astral characters. */
function offsetMapper(s: string): (i: number) => number {
  if (!hasSurrogates(s)) return (i) => i;
  return (i) => {
    let n = 0;
    for (let k = 0; k < i; k++) {
      const c = s.charCodeAt(k);
      if (c >= 0xdc00 && c <= 0xdfff && k > 0) {
        const p = s.charCodeAt(k - 1);
        if (p >= 0xd800 && p <= 0xdbff) continue;
      }
      n++;
    }
    return n;
  };
}

function cpLength(s: string): number {
  return hasSurrogates(s) ? Array.from(s).length : s.length;
}

export interface MatchInfo {
  readonly index: number; // UTF-16 offsets, for slicing
  readonly end: number;
  readonly value: Obj; // jq's match object
}

export function matches(input: unknown, re: unknown, flags: unknown, forceGlobal = false): MatchInfo[] {
  if (typeof input !== 'string') return fail(`${typeAndValue(input)} cannot be matched, as it is not a string`, `${typeOf(input)} cannot be matched, as it is not a string`);
  const c = compileRegex(re, flags);
  const cp = offsetMapper(input);
  const out: MatchInfo[] = [];
  const r = c.re;
  r.lastIndex = 0;
  for (;;) {
    const m = r.exec(input);
    if (!m) break;
    if (m[0] === '') r.lastIndex = m.index + (input.codePointAt(m.index)! > 0xffff ? 2 : 1);
    if (!(c.skipEmpty && m[0] === '')) {
      const captures: Obj[] = [];
      for (let g = 1; g < m.length; g++) {
        const span = m.indices![g];
        const name = c.names[g - 1] ?? null;
        if (span === undefined) captures.push({ offset: -1, length: 0, string: null, name });
        else captures.push({ offset: cp(span[0]), length: cpLength(m[g]), string: m[g], name });
      }
      out.push({
        index: m.index,
        end: m.index + m[0].length,
        value: { offset: cp(m.index), length: cpLength(m[0]), string: m[0], captures },
      });
    }
    if (!c.global && !forceGlobal) break;
    if (m.index >= input.length) break;
  }
  return out;
}

function captureObject(m: Obj): Obj {
  const o: Obj = {};
  for (const cap of m.captures as Obj[]) if (cap.name !== null) o[cap.name as string] = cap.string;
  return o;
}

/** `re` may be a string, or an array `[re, flags]` for the one-argument forms. */
function splitArg(re: unknown): [unknown, unknown] {
  if (typeof re === 'string') return [re, null];
  if (Array.isArray(re) && re.length > 1) return [re[0], re[1]];
  if (Array.isArray(re) && re.length > 0) return [re[0], null];
  return fail(`${typeOf(re)} not a string or array`);
}

function withArgs(args: readonly Code[], input: unknown, env: Env, k: (re: unknown, flags: unknown) => void): void {
  if (args.length === 1) args[0].run(input, env, (re) => k(...splitArg(re)));
  else args[1].run(input, env, (flags) => args[0].run(input, env, (re) => k(re, flags)));
}

function matchGen(input: unknown, args: readonly Code[], env: Env, emit: Emit): void {
  withArgs(args, input, env, (re, flags) => {
    for (const m of matches(input, re, flags)) emit(m.value);
  });
}

function sub(input: unknown, re: unknown, flags: unknown, str: Code, env: Env, emit: Emit): void {
  const results: string[] = [];
  if (typeof input !== 'string') matches(input, re, flags);
  try {
    const s = input as string;
    const ms = matches(s, re, flags);
    if (ms.length === 0) {
      emit(s);
      return;
    }
    const acc: Array<string | null> = [];
    let prev = 0;
    for (const m of ms) {
      const gap = s.slice(prev, m.index);
      const inserts: unknown[] = [];
      str.run(captureObject(m.value), env, (v) => {
        inserts.push(v);
      });
      for (let ix = 0; ix < inserts.length; ix++) {
        const ins = inserts[ix];
        if (typeof ins !== 'string') fail(`${typeAndValue(gap)} and ${typeAndValue(ins)} cannot be added`);
        acc[ix] = (acc[ix] ?? '') + gap + ins;
      }
      prev = m.end;
    }
    const tail = s.slice(prev);
    for (const a of acc) results.push((a ?? '') + tail);
  } catch (err) {
    // jq defines `sub` as `… // $in`: a substitution whose replacement fails yields the input
    if (!(err instanceof ValueError)) throw err;
    emit(input);
    return;
  }
  if (results.length === 0) emit(input);
  for (const r of results) emit(r);
}

function splitRe(input: unknown, re: unknown, flags: unknown): string[] {
  if (typeof input !== 'string') matches(input, re, flags);
  const s = input as string;
  const out: string[] = [];
  let prev = 0;
  for (const m of matches(s, re, flags, true)) {
    out.push(s.slice(prev, m.index));
    prev = m.end;
  }
  out.push(s.slice(prev));
  return out;
}

export const REGEX: Record<string, Native> = {
  'match/1': { gen: matchGen },
  'match/2': { gen: matchGen },
  'test/1': { gen: (i, args, e, emit) => withArgs(args, i, e, (re, fl) => emit(matches(i, re, fl).length > 0)) },
  'test/2': { gen: (i, args, e, emit) => withArgs(args, i, e, (re, fl) => emit(matches(i, re, fl).length > 0)) },
  'capture/1': {
    gen: (i, args, e, emit) => withArgs(args, i, e, (re, fl) => matches(i, re, fl).forEach((m) => emit(captureObject(m.value)))),
  },
  'capture/2': {
    gen: (i, args, e, emit) => withArgs(args, i, e, (re, fl) => matches(i, re, fl).forEach((m) => emit(captureObject(m.value)))),
  },
  'scan/1': {
    gen: (i, args, e, emit) =>
      withArgs(args, i, e, (re, fl) => {
        for (const m of matches(i, re, fl, true)) {
          const caps = m.value.captures as Obj[];
          emit(caps.length > 0 ? caps.map((c) => c.string) : m.value.string);
        }
      }),
  },
  'scan/2': {
    gen: (i, args, e, emit) =>
      withArgs(args, i, e, (re, fl) => {
        for (const m of matches(i, re, fl, true)) {
          const caps = m.value.captures as Obj[];
          emit(caps.length > 0 ? caps.map((c) => c.string) : m.value.string);
        }
      }),
  },
  'split/2': { fn: (i, re, flags) => splitRe(i, re, flags) },
  'sub/2': {
    gen: (i, [re, str], e, emit) => re.run(i, e, (r) => sub(i, r, null, str, e, emit)),
  },
  'sub/3': {
    gen: (i, [re, str, flags], e, emit) => flags.run(i, e, (f) => re.run(i, e, (r) => sub(i, r, f, str, e, emit))),
  },
};
