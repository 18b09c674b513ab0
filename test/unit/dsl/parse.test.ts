import { describe, expect, it } from 'vitest';
import { parseDocument } from '../../../src/dsl/index.ts';

describe('parseDocument', () => {
  it('reads YAML 1.2 with the core schema: yes/no/on stay strings', () => {
    const r = parseDocument('on: yes\nanswer: no\nn: 010\nwhen: 2024-01-01\n');
    expect(r.ok && r.value).toEqual({ on: 'yes', answer: 'no', n: 10, when: '2024-01-01' });
  });

  it('reads JSON (detected, or forced)', () => {
    expect(parseDocument('{"do": [], "n": 1}')).toMatchObject({ ok: true, value: { do: [], n: 1 } });
    expect(parseDocument('{"a": 1}', 'json')).toMatchObject({ ok: true, value: { a: 1 } });
  });

  it('reports a YAML syntax error with line, column and the root pointer', () => {
    const r = parseDocument('document:\n  dsl: 1.0.3\n bad: [\ndo: []\n');
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.errors[0]).toMatchObject({ pointer: '', code: 'syntax', line: 3 });
      expect(r.errors[0]!.column).toBeGreaterThan(0);
    }
  });

  it('reports a JSON syntax error with a position', () => {
    const r = parseDocument('{\n  "a": 1,\n  "b": [1, 2\n}', 'json');
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.errors[0]).toMatchObject({ pointer: '', code: 'syntax' });
      expect(r.errors[0]!.line).toBeGreaterThanOrEqual(3);
    }
  });

  it('rejects duplicate keys (YAML and JSON) instead of keeping the last', () => {
    const y = parseDocument('a: 1\nb: 2\na: 3\n');
    expect(y.ok).toBe(false);
    if (!y.ok) expect(y.errors[0]).toMatchObject({ code: 'duplicate_key', line: 3, column: 1 });
    const j = parseDocument('{"a": 1, "a": 2}');
    expect(j.ok ? 'accepted' : j.errors[0]!.code).toBe('duplicate_key');
  });

  it('bounds alias expansion (billion laughs)', () => {
    const lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (const [p, q] of [['b', 'a'], ['c', 'b'], ['d', 'c'], ['e', 'd'], ['f', 'e'], ['g', 'f']]) {
      lines.push(`${p}: &${p} [*${q},*${q},*${q},*${q},*${q},*${q},*${q},*${q},*${q}]`);
    }
    const r = parseDocument(lines.join('\n'));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors[0]!.code).toBe('too_many_aliases');
    expect(parseDocument('a: &x { k: 1 }\nb: *x\n')).toMatchObject({ ok: true, value: { a: { k: 1 }, b: { k: 1 } } });
  });

  it('refuses documents over the size limit', () => {
    const r = parseDocument(`a: "${'x'.repeat(200)}"`, 'yaml', { maxBytes: 100 });
    expect(r.ok ? 'accepted' : r.errors[0]!.code).toBe('too_large');
  });

  it('refuses documents nested deep enough to exhaust the stack, before parsing them', () => {
    const flow = parseDocument('a: ' + '['.repeat(5000) + ']'.repeat(5000));
    expect(flow.ok ? 'accepted' : flow.errors[0]).toMatchObject({ code: 'too_deep', line: 1 });
    const json = parseDocument('{"a":' + '['.repeat(5000) + ']'.repeat(5000) + '}');
    expect(json.ok ? 'accepted' : json.errors[0]!.code).toBe('too_deep');
    let block = 'a:\n';
    for (let i = 1; i < 300; i++) block += ' '.repeat(i) + 'b:\n';
    expect(parseDocument(block).ok).toBe(false);
    expect(parseDocument('a: ' + '['.repeat(100) + ']'.repeat(100)).ok).toBe(true);
  });

  it('refuses values JSON cannot hold', () => {
    const r = parseDocument('a:\n  b: .inf\n');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors[0]).toMatchObject({ pointer: '/a/b', code: 'not_json', line: 2 });
  });

  it('refuses YAML tags that would produce non-JSON values', () => {
    for (const text of ['a: !custom x\n', 'a: !!binary aGk=\n', 'a: !!set { x }\n', 'a: !!timestamp 2020-01-01\n']) {
      const r = parseDocument(text);
      expect(r.ok ? 'accepted' : r.errors[0]!.code, text).toBe('unsupported_tag');
    }
    expect(parseDocument('a: !!str 12\nb: !!int "7"\n')).toMatchObject({ ok: true, value: { a: '12', b: 7 } });
  });

  it('refuses multi-document streams and unresolved aliases', () => {
    expect(parseDocument('a: 1\n---\nb: 2\n').ok).toBe(false);
    expect(parseDocument('a: *nope\n').ok).toBe(false);
  });

  it('locates pointers in the source, falling back to the nearest existing ancestor', () => {
    const r = parseDocument('document:\n  dsl: 1.0.3\ndo:\n  - first:\n      set:\n        x: 1\n');
    if (!r.ok) throw new Error('parse failed');
    expect(r.locate('/do/0/first/set/x')).toEqual({ line: 6, column: 9 });
    expect(r.locate('/do/0/first/set/missing')).toEqual({ line: 5, column: 7 });
    expect(r.locate('/do/0')).toEqual({ line: 4, column: 5 });
    expect(r.locate('')).toEqual({ line: 1, column: 1 });
  });
});
