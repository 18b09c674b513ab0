import { describe, expect, it } from 'vitest';
import { expressionSource, isRuntimeExpression, joinPointer, parsePointer, resolvePointer, taskAt, taskEntries, taskKindOf, validateWorkflow } from '../../../src/dsl/index.ts';
import { HEADER, yaml } from './helpers.ts';

describe('normalize helpers', () => {
  it('taskKindOf picks the discriminating key (for beats do)', () => {
    expect(taskKindOf({ set: { a: 1 } })).toBe('set');
    expect(taskKindOf({ for: { in: '.x' }, do: [] })).toBe('for');
    expect(taskKindOf({ try: [], catch: {} })).toBe('try');
    expect(taskKindOf({ do: [] })).toBe('do');
    expect(taskKindOf({ nothing: 1 })).toBeUndefined();
    expect(taskKindOf('x')).toBeUndefined();
  });

  it('addresses tasks by JSON pointer into the unchanged document', () => {
    const r = validateWorkflow(yaml(`${HEADER}do:\n  - outer:\n      do:\n        - inner: { set: { a: 1 } }\n`));
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    const entries = taskEntries(r.workflow.do, '/do');
    expect(entries.map((e) => [e.name, e.pointer])).toEqual([['outer', '/do/0/outer']]);
    expect(taskAt(r.workflow, '/do/0/outer/do/0/inner')).toEqual({ set: { a: 1 } });
    expect(taskAt(r.workflow, '/do/0/outer/do')).toBeUndefined();
  });

  it('runtime expressions: detection and source', () => {
    expect(isRuntimeExpression('${ .a }')).toBe(true);
    expect(isRuntimeExpression('  ${\n  .a\n}  ')).toBe(true);
    expect(isRuntimeExpression('a ${ .a }')).toBe(false);
    expect(expressionSource('${ .a + 1 }')).toBe('.a + 1');
    expect(expressionSource('.color == "red"')).toBe('.color == "red"');
  });

  it('pointers round-trip with escaping', () => {
    const p = joinPointer('/do', 0, 'a/b~c');
    expect(p).toBe('/do/0/a~1b~0c');
    expect(parsePointer(p)).toEqual(['do', '0', 'a/b~c']);
    expect(resolvePointer({ do: [{ 'a/b~c': 7 }] }, p)).toBe(7);
    expect(resolvePointer({ a: [1] }, '/a/01')).toBeUndefined();
  });
});
