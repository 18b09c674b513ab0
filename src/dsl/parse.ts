/**
 * Text → JSON value. YAML is read as YAML 1.2 with the core schema (so `on:`, `yes`, `no` stay
 * strings, as the DSL's JSON schema expects), duplicate keys are errors (the second would silently
 * win otherwise), alias expansion is bounded (a "billion laughs" document is refused instead of
 * exhausting memory), and the text size is capped.
 */
import { isMap, isScalar, isSeq, LineCounter, parseDocument as parseYaml } from 'yaml';
import type { Document as YamlDocument, Node as YamlNode } from 'yaml';
import type { ValidationIssue } from './model.ts';
import { MAX_DEPTH, textTooDeep, unstorableValue, valueTooDeep } from './limits.ts';
import { parsePointer, toPointer } from './pointer.ts';

export type SourcePosition = { line: number; column: number };

export type ParseResult =
  | {
      ok: true;
      /** The document as plain JSON data. */
      value: unknown;
      /** 1-based line/column of the property key or list item at a JSON pointer (or at its nearest existing ancestor). */
      locate(pointer: string): SourcePosition | undefined;
    }
  | { ok: false; errors: ValidationIssue[] };

export type ParseOptions = {
  /** Largest accepted text, in UTF-8 bytes. Default 1 MiB. */
  maxBytes?: number;
  /** Most alias (`*name`) expansions allowed. Default 100 (the `yaml` package's own default). */
  maxAliasCount?: number;
};

export const DEFAULT_MAX_BYTES = 1024 * 1024;

/**
 * Parses a workflow document. `format` defaults to JSON when the text starts with `{`, YAML otherwise.
 *
 * @example
 * const r = parseDocument('document: { dsl: 1.0.3 }\ndo: []');
 * if (!r.ok) console.log(r.errors[0].line, r.errors[0].message);
 */
export function parseDocument(text: string, format?: 'yaml' | 'json', options: ParseOptions = {}): ParseResult {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  // UTF-8 is at most 3 bytes per UTF-16 unit: skip encoding when the text is clearly small enough.
  const bytes = text.length * 3 <= maxBytes ? text.length : new TextEncoder().encode(text).length;
  if (bytes > maxBytes) {
    return fail(`document is ${bytes} bytes; the limit is ${maxBytes} bytes`, 'too_large');
  }
  // The source is stored as text, which cannot hold U+0000 (YAML forbids it too).
  const nul = text.indexOf('\u0000');
  if (nul >= 0) return fail('document contains U+0000 (NUL), which is not allowed in YAML or JSON text', 'syntax', positionOf(text, nul));
  const deep = textTooDeep(text);
  if (deep) return fail(`document nests deeper than ${MAX_DEPTH} levels`, 'too_deep', deep);
  const kind = format ?? (/^\s*\{/.test(text) ? 'json' : 'yaml');
  if (kind === 'json') {
    try {
      JSON.parse(text);
    } catch (e) {
      const message = (e as Error).message;
      return fail(`invalid JSON: ${message}`, 'syntax', jsonPosition(text, message) ?? yamlErrorPosition(text));
    }
  }
  // JSON text is read through the YAML parser too, for duplicate-key detection and source positions.
  const lineCounter = new LineCounter();
  // resolveKnownTags: false, or `!!binary`, `!!set`, `!!timestamp` become a Uint8Array, Set, Date.
  const doc = parseYaml(text, { version: '1.2', schema: 'core', uniqueKeys: true, resolveKnownTags: false, lineCounter, prettyErrors: true });
  const tagProblems = doc.warnings.filter((w) => w.code === 'TAG_RESOLVE_FAILED');
  if (doc.errors.length === 0 && tagProblems.length > 0) {
    return {
      ok: false,
      errors: tagProblems.map((w) => {
        const pos = w.linePos?.[0];
        return { pointer: '', code: 'unsupported_tag', message: `${firstLine(w.message)}; a workflow document holds plain JSON data (strings, numbers, booleans, null, lists, maps)`, ...(pos ? { line: pos.line, column: pos.col } : {}) };
      }),
    };
  }
  if (doc.errors.length > 0) {
    return {
      ok: false,
      errors: doc.errors.map((e) => {
        const pos = e.linePos?.[0];
        const what = e.code === 'DUPLICATE_KEY' ? 'duplicate key' : `invalid ${kind === 'json' ? 'JSON' : 'YAML'}`;
        return { pointer: '', code: e.code === 'DUPLICATE_KEY' ? 'duplicate_key' : 'syntax', message: `${what}: ${firstLine(e.message)}`, ...(pos ? { line: pos.line, column: pos.col } : {}) };
      }),
    };
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: options.maxAliasCount ?? 100 });
  } catch (e) {
    const message = (e as Error).message;
    const code = /alias/i.test(message) && /excessive|count/i.test(message) ? 'too_many_aliases' : 'syntax';
    return fail(`invalid YAML: ${firstLine(message)}`, code);
  }
  const tooDeep = valueTooDeep(value);
  if (tooDeep !== undefined) {
    return { ok: false, errors: [{ pointer: tooDeep, code: 'too_deep', message: `document nests deeper than ${MAX_DEPTH} levels`, ...locateIn(doc, lineCounter, tooDeep) }] };
  }
  const nonJson = findNonJson(value, []);
  if (nonJson) {
    const pointer = toPointer(nonJson);
    const pos = locateIn(doc, lineCounter, pointer);
    return { ok: false, errors: [{ pointer, code: 'not_json', message: 'value is not representable in JSON (NaN, infinity, or a non-JSON YAML type)', ...pos }] };
  }
  const unstorable = unstorableValue(value);
  if (unstorable) {
    const pos = locateIn(doc, lineCounter, unstorable.pointer);
    return { ok: false, errors: [{ pointer: unstorable.pointer, code: 'not_storable', message: unstorable.message, ...pos }] };
  }
  return { ok: true, value, locate: (pointer) => locateIn(doc, lineCounter, pointer) };
}

function fail(message: string, code: string, pos?: SourcePosition): ParseResult {
  return { ok: false, errors: [{ pointer: '', code, message, ...pos }] };
}

function positionOf(text: string, index: number): SourcePosition {
  const lines = text.slice(0, index).split('\n');
  return { line: lines.length, column: lines[lines.length - 1]!.length + 1 };
}

/** Node 20's JSON.parse names no position; the YAML parser (JSON is YAML 1.2 flow) usually can. */
function yamlErrorPosition(text: string): SourcePosition | undefined {
  const pos = parseYaml(text, { version: '1.2', prettyErrors: true }).errors[0]?.linePos?.[0];
  return pos ? { line: pos.line, column: pos.col } : undefined;
}

/** The first line of a `yaml` error message, without its trailing " at line L, column C:" (positions travel separately). */
function firstLine(message: string): string {
  return message.split('\n')[0]!.replace(/ at line \d+, column \d+:?\s*$/, '').trim();
}

/** V8 and JavaScriptCore report "position N" or "line L column C"; turn either into a position. */
function jsonPosition(text: string, message: string): SourcePosition | undefined {
  const lc = /line (\d+) column (\d+)/.exec(message);
  if (lc) return { line: Number(lc[1]), column: Number(lc[2]) };
  const p = /position (\d+)/.exec(message);
  if (!p) return undefined;
  const before = text.slice(0, Number(p[1]));
  const lines = before.split('\n');
  return { line: lines.length, column: lines[lines.length - 1]!.length + 1 };
}

function findNonJson(value: unknown, path: Array<string | number>): Array<string | number> | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : path;
  if (typeof value === 'bigint' || typeof value === 'symbol' || typeof value === 'function' || value === undefined) return path;
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return path;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findNonJson(value[i], [...path, i]);
      if (found) return found;
    }
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const found = findNonJson(v, [...path, k]);
      if (found) return found;
    }
  }
  return undefined;
}

function locateIn(doc: YamlDocument, lineCounter: LineCounter, pointer: string): SourcePosition | undefined {
  let node: YamlNode | null | undefined = doc.contents as YamlNode | null;
  let best = node?.range?.[0];
  let tokens: string[];
  try {
    tokens = parsePointer(pointer);
  } catch {
    return undefined;
  }
  for (const token of tokens) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === token);
      if (!pair) break;
      const key = pair.key as YamlNode | null;
      node = pair.value as YamlNode | null;
      // A property is shown where its key is (`shell:` rather than the first line of its value).
      best = key?.range?.[0] ?? node?.range?.[0] ?? best;
    } else if (isSeq(node)) {
      const item = node.items[Number(token)] as YamlNode | undefined;
      if (!/^\d+$/.test(token) || !item) break;
      node = item;
      best = node.range?.[0] ?? best;
    } else break;
  }
  if (best === undefined) return undefined;
  const { line, col } = lineCounter.linePos(best);
  return { line, column: col };
}
