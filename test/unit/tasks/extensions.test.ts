import { describe, expect, it } from 'vitest';
import { start, wf } from '../engine/helpers.ts';

const names = (h: { kind: string; task?: string }[]) => h.filter((e) => e.kind === 'taskStarted').map((e) => e.task);

describe('extensions (use.extensions)', () => {
  it('before/after lists run around every matching task, with $task describing the extended task', () => {
    const w = wf([{ a: { set: { v: 1 } } }, { b: { wait: 'PT0S' } }], {
      use: {
        extensions: [
          {
            log: {
              extend: 'set',
              before: [{ logBefore: { set: { before: '${ $task.reference }' }, export: { as: '$context + { log: (($context.log // []) + ["before " + $task.reference]) }' } } }],
              after: [{ logAfter: { set: {}, export: { as: '$context + { log: ($context.log + ["after " + $task.name]) }' } } }],
            },
          },
        ],
      },
      output: { as: '$context.log' },
    });
    const r = start(w);
    expect(r.state.output).toEqual(['before /do/0/a', 'after a']);
    expect(names(r.history)).toEqual(['logBefore', 'a', 'logAfter', 'b']);
  });

  it('when decides whether an extension applies', () => {
    const w = wf([{ a: { set: { v: 1 } } }, { b: { set: { v: 2 } } }], {
      use: { extensions: [{ only: { extend: 'all', when: '$task.name == "b"', before: [{ mark: { set: {}, export: { as: '{ marked: $task.name }' } } }] } }] },
      output: { as: '$context' },
    });
    expect(start(w).state.output).toEqual({ marked: 'b' });
  });

  it('a before list ending with then: exit intercepts the task and supplies its output', () => {
    const w = wf([{ call: { call: 'http', with: { method: 'get', endpoint: 'https://mocked.service.com/x' } } }], {
      use: {
        extensions: [
          {
            mock: {
              extend: 'call',
              when: '$task.definition.with.endpoint | startswith("https://mocked.service.com")',
              before: [{ intercept: { set: { statusCode: 200, content: { foo: 'bar' } }, then: 'exit' } }],
            },
          },
        ],
      },
    });
    const r = start(w);
    expect(r.state.output).toEqual({ statusCode: 200, content: { foo: 'bar' } });
    expect(r.effects.map((e) => e.kind)).toEqual(['complete']);
  });
});
