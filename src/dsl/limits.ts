/**
 * Bounds on untrusted documents. Parsing and validating recurse once per nesting level; a 1 MiB
 * document of `[[[[…` or a JSON body built to be deep would otherwise overflow the stack (the YAML
 * parser fails near 1,000 levels on Node 20). Real workflows nest a few dozen levels at most.
 */
import { joinPointer } from './pointer.ts';

/** Deepest nesting of arrays/objects accepted in a document. */
export const MAX_DEPTH = 128;

/**
 * A cheap over-estimate of nesting in source text, run before the YAML parser: the deepest
 * indentation and the deepest run of unclosed `[`/`{` (quotes ignored, so it can only over-count).
 */
export function textTooDeep(text: string, maxDepth = MAX_DEPTH): { line: number; column: number } | undefined {
  let flow = 0;
  let line = 1;
  let column = 0;
  let indent = 0;
  let atLineStart = true;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    column++;
    if (c === 10) {
      line++;
      column = 0;
      indent = 0;
      atLineStart = true;
      continue;
    }
    if (atLineStart) {
      if (c === 32) {
        if (++indent > maxDepth * 2) return { line, column };
        continue;
      }
      atLineStart = false;
    }
    if (c === 91 || c === 123) {
      if (++flow > maxDepth) return { line, column };
    } else if ((c === 93 || c === 125) && flow > 0) flow--;
  }
  return undefined;
}

/** Pointer of the first value nested deeper than `maxDepth`, or `undefined`. Iterative: safe on any input. */
export function valueTooDeep(value: unknown, maxDepth = MAX_DEPTH): string | undefined {
  const stack: Array<{ v: unknown; p: string; d: number }> = [{ v: value, p: '', d: 0 }];
  while (stack.length) {
    const { v, p, d } = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (d >= maxDepth) return p;
    if (Array.isArray(v)) v.forEach((x, i) => stack.push({ v: x, p: joinPointer(p, i), d: d + 1 }));
    else for (const [k, x] of Object.entries(v)) stack.push({ v: x, p: joinPointer(p, k), d: d + 1 });
  }
  return undefined;
}

/**
 * Why a string cannot be stored, or `undefined`. Postgres `text` and `jsonb` refuse U+0000
 * ("invalid byte sequence for encoding UTF8: 0x00", "unsupported Unicode escape sequence"), and
 * `jsonb` refuses an unpaired UTF-16 surrogate (`"\ud800"` in JSON text): such a value reached the
 * database and came back as a 500 until the API refused it up front.
 */
export function unstorableText(s: string): string | undefined {
  if (s.includes('\u0000')) return 'contains U+0000 (NUL), which Postgres cannot store in text or jsonb';
  // With the u flag a surrogate class matches only surrogates that are not part of a pair.
  if (/[\uD800-\uDFFF]/u.test(s)) return 'contains an unpaired UTF-16 surrogate (\\ud800–\\udfff), which is not Unicode text';
  return undefined;
}

/**
 * The first place in a JSON value that Weir cannot store as `jsonb`: nesting deeper than
 * `maxDepth` (serialising it would also overflow the JavaScript stack), or a string or key that
 * `unstorableText` refuses. Iterative, like `valueTooDeep`: safe on any input.
 */
export function unstorableValue(value: unknown, maxDepth = MAX_DEPTH): { pointer: string; message: string } | undefined {
  const stack: Array<{ v: unknown; p: string; d: number }> = [{ v: value, p: '', d: 0 }];
  while (stack.length) {
    const { v, p, d } = stack.pop()!;
    if (typeof v === 'string') {
      const why = unstorableText(v);
      if (why) return { pointer: p, message: `the string ${why}` };
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (d >= maxDepth) return { pointer: p, message: `the value nests deeper than ${maxDepth} levels` };
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ v: v[i], p: joinPointer(p, i), d: d + 1 });
      continue;
    }
    for (const [k, x] of Object.entries(v)) {
      const why = unstorableText(k);
      if (why) return { pointer: joinPointer(p, k), message: `the key ${why}` };
      stack.push({ v: x, p: joinPointer(p, k), d: d + 1 });
    }
  }
  return undefined;
}
