import { describe, expect, it } from 'vitest';
import { errorTypes } from '../../../src/engine/index.ts';
import { start, wf } from '../engine/helpers.ts';

const schema = (document: unknown) => ({ format: 'json', document });

describe('task data flow (dsl.md, Data Flow)', () => {
  it('input.from filters the raw input; the result is `.` and $input in the task', () => {
    const w = wf([{ t: { input: { from: '.user.claims.subject' }, set: { playerId: '${ . }', same: '${ $input }' } } }]);
    expect(start(w, { user: { claims: { subject: 'abc' } } }).state.output).toEqual({ playerId: 'abc', same: 'abc' });
  });

  it('input.from in object form is evaluated recursively', () => {
    const w = wf([{ t: { input: { from: { id: '${ .a }', fixed: 1 } }, set: '${ . }' } }]);
    expect(start(w, { a: 9 }).state.output).toEqual({ id: 9, fixed: 1 });
  });

  it('output.as sees the raw output as `.` and the transformed input as $input', () => {
    const w = wf([
      { first: { set: { id: 1 }, output: { as: '.id' } } },
      { second: { set: { id: 2 }, output: { as: '{ ids: [ $input, .id ] }' } } },
    ]);
    expect(start(w).state.output).toEqual({ ids: [1, 2] });
  });

  it('export.as replaces $context with its value, evaluated on the transformed output', () => {
    const w = wf([
      { a: { set: { n: 1 }, export: { as: '$context + { seen: .n }' } } },
      { b: { set: { ctx: '${ $context }' } } },
    ]);
    expect(start(w, { start: true }).state.output).toEqual({ ctx: { start: true, seen: 1 } });
  });

  it('$output is the transformed output inside export.as only', () => {
    const w = wf([{ a: { set: { n: 1 }, output: { as: '{ m: .n }' }, export: { as: '{ out: $output }' } } }, { b: { set: '${ $context }' } }]);
    expect(start(w).state.output).toEqual({ out: { m: 1 } });
  });

  it('$task and $workflow describe the task and the workflow', () => {
    const w = wf([{ named: { set: { ref: '${ $task.name + "@" + $task.reference }', raw: '${ $workflow.input }', id: '${ $workflow.id }' } } }], {
      input: { from: '.inner' },
    });
    expect(start(w, { inner: { q: 1 } }).state.output).toEqual({ ref: 'named@/do/0/named', raw: { inner: { q: 1 } }, id: 'i-1' });
  });

  it('$secrets holds only the secrets declared in use.secrets', () => {
    const w = wf([{ t: { set: { s: '${ $secrets }' } } }], { use: { secrets: ['apiKey', 'missing'] } });
    expect(start(w, {}, { secrets: { apiKey: { token: 'k' }, other: 'hidden' } }).state.output).toEqual({ s: { apiKey: { token: 'k' } } });
    expect(start(wf([{ t: { set: { s: '${ $secrets }' } } }]), {}, { secrets: { other: 'hidden' } }).state.output).toEqual({ s: {} });
  });

  it('input.schema validates the raw task input (validation error, 400)', () => {
    const w = wf([{ t: { input: { schema: schema({ type: 'object', required: ['id'] }) }, set: { ok: true } } }]);
    expect(start(w, { id: 1 }).state.status).toBe('completed');
    const r = start(w, { nope: 1 });
    expect(r.state.error).toMatchObject({ type: errorTypes.validation, status: 400, instance: '/do/0/t' });
  });

  it('output.schema validates the transformed output', () => {
    const w = wf([{ t: { set: { n: 'x' }, output: { as: '.n', schema: schema({ type: 'number' }) } } }]);
    expect(start(w).state.error).toMatchObject({ type: errorTypes.validation, instance: '/do/0/t' });
  });

  it('export.schema validates the new context', () => {
    const w = wf([{ t: { set: { n: 1 }, export: { as: '.', schema: schema({ type: 'object', required: ['m'] }) } } }]);
    expect(start(w).state.error).toMatchObject({ type: errorTypes.validation });
  });

  it('a failing expression is an expression error (400) at the task', () => {
    const r = start(wf([{ bad: { set: { x: '${ .a | error("boom") }' } } }]), { a: 1 });
    expect(r.state.error).toMatchObject({ type: errorTypes.expression, status: 400, instance: '/do/0/bad' });
  });
});

describe('workflow data flow', () => {
  it('input.schema, input.from, output.as, output.schema', () => {
    const w = wf([{ t: { set: { v: '${ . * 2 }' } } }], {
      input: { schema: schema({ type: 'object', required: ['n'] }), from: '.n' },
      output: { as: '.v', schema: schema({ type: 'number' }) },
    });
    expect(start(w, { n: 21 }).state.output).toBe(42);
    expect(start(w, {}).state.error).toMatchObject({ type: errorTypes.validation, instance: '/input' });
  });

  it('the workflow output schema faults a completed run whose output does not match', () => {
    const w = wf([{ t: { set: { v: 1 } } }], { output: { schema: schema({ type: 'string' }) } });
    expect(start(w).state.error).toMatchObject({ type: errorTypes.validation });
  });

  it('the initial $context is the transformed workflow input', () => {
    const w = wf([{ t: { set: '${ $context }' } }], { input: { from: '{ k: .a }' } });
    expect(start(w, { a: 5 }).state.output).toEqual({ k: 5 });
  });
});
