import { describe, expect, it } from 'vitest';
import { errorTypes } from '../../../src/engine/errors.ts';
import { WorkflowFault } from '../../../src/engine/errors.ts';
import {
  evaluateCondition,
  evaluateField,
  evaluateSource,
  evaluateTransform,
  evaluateValue,
  expressionSource,
  isExpression,
} from '../../../src/expr/expression.ts';
import { validateSchema } from '../../../src/expr/schema.ts';
import { start, wf } from '../engine/helpers.ts';

function faultOf(fn: () => unknown) {
  try {
    fn();
  } catch (e) {
    if (e instanceof WorkflowFault) return e.error;
    throw e;
  }
  throw new Error('expected a fault');
}

describe('runtime expression syntax', () => {
  it('recognises ${ … } (with surrounding blanks) and extracts the program', () => {
    expect(isExpression('${ .a }')).toBe(true);
    expect(isExpression('  ${.a}  ')).toBe(true);
    expect(isExpression('.a')).toBe(false);
    expect(isExpression('price: ${ .a }')).toBe(false);
    expect(isExpression(3)).toBe(false);
    expect(expressionSource('${ .a + 1 }')).toBe('.a + 1');
    expect(expressionSource('.color == "red"')).toBe('.color == "red"');
  });
});

describe('evaluation', () => {
  const vars = { $input: { n: 2 }, $context: { c: 1 } };

  it('expression fields are jq with or without ${ }', () => {
    expect(evaluateField('.a', { a: 1 }, {})).toBe(1);
    expect(evaluateField('${ .a }', { a: 1 }, {})).toBe(1);
    expect(evaluateField('$input.n + $context.c', null, vars)).toBe(3);
    expect(evaluateField('empty', null, {})).toBe(null);
    expect(evaluateCondition('.x', { x: 0 }, {})).toBe(true);
    expect(evaluateCondition('.x', { x: false }, {})).toBe(false);
    expect(evaluateCondition('.x', {}, {})).toBe(false);
  });

  it('strict mode: only ${ } strings in value positions are evaluated, recursively', () => {
    const value = { a: '${ .n }', b: ['lit', '${ .n * 2 }', { c: '${ $context.c }' }], d: 'plain .n', e: 5, f: null };
    expect(evaluateValue(value, { n: 3 }, vars)).toEqual({ a: 3, b: ['lit', 6, { c: 1 }], d: 'plain .n', e: 5, f: null });
  });

  it('returns the very same object when nothing in it is an expression', () => {
    const value = { a: 1, b: ['x', { c: 'y' }] };
    expect(evaluateValue(value, {}, {})).toBe(value);
  });

  it('loose mode: every string is tried as jq; one that does not evaluate stays literal', () => {
    expect(evaluateValue({ a: '.n', b: 'circle', c: 'not jq ((', d: '${ .n }' }, { n: 7 }, {}, 'loose')).toEqual({ a: 7, b: 'circle', c: 'not jq ((', d: 7 });
  });

  it('transforms: a string is an expression field, an object is evaluated as a value', () => {
    expect(evaluateTransform('.a', { a: 1 }, {})).toBe(1);
    expect(evaluateTransform({ x: '${ .a }', y: '.a' }, { a: 1 }, {})).toEqual({ x: 1, y: '.a' });
  });

  it('jq now follows the engine clock, not the host clock', () => {
    expect(evaluateSource('now', null, {}, { now: 1_700_000_000_000 })).toBe(1_700_000_000);
  });

  it('syntax, runtime and limit failures become expression errors (400)', () => {
    expect(faultOf(() => evaluateField('.a |', {}, {}))).toMatchObject({ type: errorTypes.expression, status: 400 });
    expect(faultOf(() => evaluateField('.a | error("nope")', { a: 1 }, {}))).toMatchObject({ type: errorTypes.expression, status: 400 });
    expect(faultOf(() => evaluateField('$undeclared', {}, {})).detail).toMatch(/\$undeclared|undeclared/);
    expect(faultOf(() => evaluateField('def f: f + 1; f', 0, {})).detail).toMatch(/limit/);
  });

  it('a failing expression in a workflow faults the task with the expression error', () => {
    const r = start(wf([{ calc: { set: { v: '${ .a + "x" }' } } }]), { a: 1 });
    expect(r.state.error).toMatchObject({ type: errorTypes.expression, status: 400, instance: '/do/0/calc' });
  });

  it('loose documents (evaluate.mode: loose) evaluate bare strings in set', () => {
    const r = start(wf([{ s: { set: { v: '.a', literal: 'circle' } } }], { evaluate: { mode: 'loose' } }), { a: 4 });
    expect(r.state.output).toEqual({ v: 4, literal: 'circle' });
  });
});

describe('schemas', () => {
  it('accepts valid data, rejects invalid data with the failing location', () => {
    const schema = { format: 'json', document: { type: 'object', properties: { id: { type: 'integer' } }, required: ['id'] } };
    expect(() => validateSchema(schema, { id: 1 }, 'task input')).not.toThrow();
    const e = faultOf(() => validateSchema(schema, { id: 'x' }, 'task input'));
    expect(e).toMatchObject({ type: errorTypes.validation, status: 400 });
    expect(e.detail).toMatch(/task input.*\/id/);
    expect(() => validateSchema(undefined, 1, 'x')).not.toThrow();
  });

  it('external schema resources are a configuration error', () => {
    expect(faultOf(() => validateSchema({ format: 'json', resource: { endpoint: 'https://x/s.json' } }, 1, 'input')).type).toBe(errorTypes.configuration);
  });
});
