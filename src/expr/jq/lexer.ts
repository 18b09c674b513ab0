/**
 * Tokenizer for the jq language. String literals are tokenized whole: an interpolation
 * `\( … )` inside a string becomes a nested token list that the parser parses on its own.
 */
import { JqError, positionOf } from './errors.ts';

export type TokenKind =
  | 'num' // numeric literal
  | 'str' // string literal, possibly interpolated
  | 'ident' // name, keyword or module-qualified name (a::b)
  | 'field' // .name
  | 'var' // $name
  | 'format' // @name
  | 'op' // punctuation and operators
  | 'eof';

export interface Token {
  readonly kind: TokenKind;
  /** Identifier / operator text, field or variable name (without `.` / `$`), format name. */
  readonly text: string;
  readonly num?: number;
  /** For `str`: literal chunks (string) and interpolations (token lists, each ending with eof). */
  readonly parts?: ReadonlyArray<string | Token[]>;
  /** For `str` with an invalid escape: the raw literal, reported when the string is used. */
  readonly badEscape?: string;
  readonly pos: number;
}

const OPERATORS = [
  '?//=',
  '?//',
  '//=',
  '|=',
  '+=',
  '-=',
  '*=',
  '/=',
  '%=',
  '==',
  '!=',
  '<=',
  '>=',
  '//',
  '..',
  '.',
  '[',
  ']',
  '{',
  '}',
  '(',
  ')',
  '|',
  ',',
  ':',
  ';',
  '=',
  '<',
  '>',
  '+',
  '-',
  '*',
  '/',
  '%',
  '?',
];

function isIdentStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}
function isIdentPart(c: number): boolean {
  return isIdentStart(c) || (c >= 48 && c <= 57);
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Tokenizes `src` from `start`; stops at eof, or at an unmatched `)` when `nested` (interpolation). */
export function tokenize(src: string, start = 0, nested = false): { tokens: Token[]; end: number } {
  const tokens: Token[] = [];
  let i = start;
  let depth = 0;
  const fail = (msg: string, at: number): never => {
    const { line, column } = positionOf(src, at);
    throw new JqError('parse', `syntax error: ${msg} at line ${line}, column ${column}`, { line, column });
  };
  while (true) {
    // whitespace and comments
    while (i < src.length) {
      const c = src.charCodeAt(i);
      if (c === 32 || c === 9 || c === 10 || c === 13) i++;
      else if (c === 35) {
        // comment to end of line; a backslash before the newline continues it (jq 1.7.1)
        while (i < src.length && src.charCodeAt(i) !== 10) {
          if (src.charCodeAt(i) === 92 && i + 1 < src.length) i++;
          i++;
        }
      } else break;
    }
    if (i >= src.length) {
      if (nested) fail('unterminated string interpolation', i);
      tokens.push({ kind: 'eof', text: '', pos: i });
      return { tokens, end: i };
    }
    const pos = i;
    const c = src.charCodeAt(i);
    if (c === 34) {
      const r = readString(src, i + 1, fail);
      if (r.bad) tokens.push({ kind: 'str', text: '', parts: r.parts, pos, badEscape: src.slice(i, r.end) });
      else tokens.push({ kind: 'str', text: '', parts: r.parts, pos });
      i = r.end;
      continue;
    }
    if (isDigit(c) || (c === 46 && isDigit(src.charCodeAt(i + 1)))) {
      let j = i;
      while (isDigit(src.charCodeAt(j))) j++;
      if (src.charCodeAt(j) === 46) {
        j++;
        while (isDigit(src.charCodeAt(j))) j++;
      }
      const e = src.charCodeAt(j);
      if (e === 101 || e === 69) {
        let k = j + 1;
        const s = src.charCodeAt(k);
        if (s === 43 || s === 45) k++;
        if (isDigit(src.charCodeAt(k))) {
          while (isDigit(src.charCodeAt(k))) k++;
          j = k;
        }
      }
      const text = src.slice(i, j);
      tokens.push({ kind: 'num', text, num: Number(text), pos });
      i = j;
      continue;
    }
    if (isIdentStart(c)) {
      let j = i + 1;
      while (true) {
        while (isIdentPart(src.charCodeAt(j))) j++;
        if (src.charCodeAt(j) === 58 && src.charCodeAt(j + 1) === 58 && isIdentStart(src.charCodeAt(j + 2))) {
          j += 2;
          continue;
        }
        break;
      }
      tokens.push({ kind: 'ident', text: src.slice(i, j), pos });
      i = j;
      continue;
    }
    if (c === 36) {
      // $name, $__loc__; jq also accepts `$ name`
      let j = i + 1;
      while (src.charCodeAt(j) === 32) j++;
      if (!isIdentStart(src.charCodeAt(j))) fail('unexpected $', i);
      let k = j + 1;
      while (true) {
        while (isIdentPart(src.charCodeAt(k))) k++;
        if (src.charCodeAt(k) === 58 && src.charCodeAt(k + 1) === 58 && isIdentStart(src.charCodeAt(k + 2))) {
          k += 2;
          continue;
        }
        break;
      }
      tokens.push({ kind: 'var', text: src.slice(j, k), pos });
      i = k;
      continue;
    }
    if (c === 64) {
      let j = i + 1;
      while (isIdentPart(src.charCodeAt(j))) j++;
      if (j === i + 1) fail('unexpected @', i);
      tokens.push({ kind: 'format', text: src.slice(i + 1, j), pos });
      i = j;
      continue;
    }
    if (c === 46 && isIdentStart(src.charCodeAt(i + 1))) {
      let j = i + 2;
      while (isIdentPart(src.charCodeAt(j))) j++;
      tokens.push({ kind: 'field', text: src.slice(i + 1, j), pos });
      i = j;
      continue;
    }
    let op: string | undefined;
    for (const o of OPERATORS) {
      if (src.startsWith(o, i)) {
        op = o;
        break;
      }
    }
    if (op === undefined) fail(`unexpected character '${src[i]}'`, i);
    if (op === '?//=') op = '?//'; // never an operator of its own; re-lex the `=`
    if (nested) {
      if (op === '(') depth++;
      else if (op === ')') {
        if (depth === 0) {
          tokens.push({ kind: 'eof', text: '', pos: i });
          return { tokens, end: i + 1 };
        }
        depth--;
      }
    }
    tokens.push({ kind: 'op', text: op!, pos });
    i += op!.length;
  }
}

function readString(
  src: string,
  i: number,
  fail: (msg: string, at: number) => never,
): { parts: Array<string | Token[]>; end: number; bad: boolean } {
  const parts: Array<string | Token[]> = [];
  let bad = false;
  let buf = '';
  const start = i - 1;
  while (true) {
    if (i >= src.length) fail('unterminated string literal', start);
    const c = src.charCodeAt(i);
    if (c === 34) {
      i++;
      break;
    }
    if (c !== 92) {
      // copy a run of plain characters at once
      let j = i + 1;
      while (j < src.length) {
        const d = src.charCodeAt(j);
        if (d === 34 || d === 92) break;
        j++;
      }
      buf += src.slice(i, j);
      i = j;
      continue;
    }
    const e = src[i + 1];
    i += 2;
    switch (e) {
      case '"':
        buf += '"';
        break;
      case '\\':
        buf += '\\';
        break;
      case '/':
        buf += '/';
        break;
      case 'b':
        buf += '\b';
        break;
      case 'f':
        buf += '\f';
        break;
      case 'n':
        buf += '\n';
        break;
      case 'r':
        buf += '\r';
        break;
      case 't':
        buf += '\t';
        break;
      case 'u': {
        const hex = src.slice(i, i + 4);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('invalid \\u escape', i - 2);
        buf += String.fromCharCode(parseInt(hex, 16));
        i += 4;
        break;
      }
      case '(': {
        if (buf) parts.push(buf);
        buf = '';
        const r = tokenize(src, i, true);
        parts.push(r.tokens);
        i = r.end;
        break;
      }
      default:
        if (e === undefined) fail('unterminated string literal', start);
        bad = true;
        buf += e;
    }
  }
  if (buf || parts.length === 0) parts.push(buf);
  return { parts, end: i, bad };
}
