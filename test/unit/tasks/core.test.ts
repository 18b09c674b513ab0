import { describe, expect, it } from 'vitest';
import { errorTypes } from '../../../src/engine/index.ts';
import { start, wf } from '../engine/helpers.ts';

const names = (h: { kind: string; task?: string }[], kind = 'taskStarted') => h.filter((e) => e.kind === kind).map((e) => e.task);

describe('set', () => {
  it('evaluates expressions inside an object and keeps literals', () => {
    const r = start(wf([{ s: { set: { shape: 'circle', size: '${ .cfg.size }', nested: { n: '${ .cfg.size.w * 2 }' } } } }]), { cfg: { size: { w: 6 } } });
    expect(r.state.status).toBe('completed');
    expect(r.state.output).toEqual({ shape: 'circle', size: { w: 6 }, nested: { n: 12 } });
    expect(r.effects).toEqual([{ kind: 'complete', output: r.state.output }]);
  });

  it('accepts a direct expression', () => {
    expect(start(wf([{ s: { set: '${ .a }' } }]), { a: [1, 2] }).state.output).toEqual([1, 2]);
  });
});

describe('switch', () => {
  const colors = (then?: string) =>
    wf([
      {
        sw: {
          switch: [{ red: { when: '.color == "red"', then: 'setRed' } }, { green: { when: '${ .color == "green" }', then: 'setGreen' } }],
          ...(then ? { then } : {}),
        },
      },
      { setRed: { set: { c: 'red' }, then: 'end' } },
      { setGreen: { set: { c: 'green' }, then: 'end' } },
    ]);

  it('takes the first matching case', () => {
    const r = start(colors(), { color: 'green' });
    expect(r.state.output).toEqual({ c: 'green' });
    expect(names(r.history)).toEqual(['sw', 'setGreen']);
  });

  it('without a match applies its own then, output = input', () => {
    const r = start(colors('end'), { color: 'yellow' });
    expect(r.state.output).toEqual({ color: 'yellow' });
    expect(names(r.history)).toEqual(['sw']);
  });

  it('uses the default case (no when) when nothing else matches', () => {
    const w = wf([
      { sw: { switch: [{ red: { when: '.color == "red"', then: 'a' } }, { other: { then: 'b' } }] } },
      { a: { set: { x: 'a' }, then: 'end' } },
      { b: { set: { x: 'b' } } },
    ]);
    expect(start(w, { color: 'blue' }).state.output).toEqual({ x: 'b' });
  });
});

describe('do', () => {
  it('runs nested tasks in order, each output feeding the next', () => {
    const w = wf([{ outer: { do: [{ a: { set: { n: 1 } } }, { b: { set: { n: '${ .n + 1 }' } } }, { c: { set: { n: '${ .n * 10 }' } } }] } }]);
    const r = start(w);
    expect(r.state.output).toEqual({ n: 20 });
    expect(r.history.filter((h) => h.kind === 'taskStarted').map((h) => h.ref)).toEqual(['/do/0/outer', '/do/0/outer/do/0/a', '/do/0/outer/do/1/b', '/do/0/outer/do/2/c']);
  });

  it('an empty task list outputs its input', () => {
    expect(start(wf([{ d: { do: [] } }]), { k: 1 }).state.output).toEqual({ k: 1 });
  });
});

describe('for', () => {
  it('iterates with named item, default index, chaining outputs', () => {
    const w = wf([
      {
        loop: {
          for: { each: 'color', in: '.colors' },
          do: [{ mark: { set: { processed: '${ { colors: (.processed.colors + [ $color ]), indexes: (.processed.indexes + [ $index ]) } }' } } }],
        },
      },
    ]);
    const r = start(w, { colors: ['red', 'green', 'blue'] });
    expect(r.state.output).toEqual({ processed: { colors: ['red', 'green', 'blue'], indexes: [0, 1, 2] } });
  });

  it('honours at and while', () => {
    const w = wf([{ loop: { for: { in: '${ [1,2,3,4,5] }', at: 'i' }, while: '.sum < 5', do: [{ add: { set: { sum: '${ .sum + $item }', last: '${ $i }' } } }] } }]);
    expect(start(w, { sum: 0 }).state.output).toEqual({ sum: 6, last: 2 });
  });

  it('over nothing outputs its input', () => {
    expect(start(wf([{ loop: { for: { in: '.none' }, do: [{ x: { set: { y: 1 } } }] } }]), { a: 1 }).state.output).toEqual({ a: 1 });
  });

  it('is bounded: more items than the iteration cap fault with a runtime error', () => {
    const r = start(wf([{ loop: { for: { in: '${ [range(0; 50)] }' }, do: [{ x: { set: { y: 1 } } }] } }]), {}, { limits: { maxIterations: 10 } });
    expect(r.state.status).toBe('faulted');
    expect(r.state.error?.type).toBe(errorTypes.runtime);
  });
});

describe('raise', () => {
  it('faults with the inline error, instance defaulting to the task pointer', () => {
    const r = start(wf([{ raiseError: { raise: { error: { status: 400, type: 'https://example.com/compliance', title: 'Compliance Error' } } } }]));
    expect(r.state.status).toBe('faulted');
    expect(r.state.error).toEqual({ status: 400, type: 'https://example.com/compliance', title: 'Compliance Error', instance: '/do/0/raiseError' });
    expect(r.effects).toEqual([{ kind: 'fault', error: r.state.error }]);
  });

  it('raises a reusable error from use.errors, with expressions in detail', () => {
    const w = wf([{ r: { raise: { error: 'notFound' } } }], {
      use: { errors: { notFound: { type: 'https://example.com/not-found', status: 404, detail: '${ "no pet " + (.id|tostring) }' } } },
    });
    expect(start(w, { id: 7 }).state.error).toMatchObject({ status: 404, detail: 'no pet 7', instance: '/do/0/r' });
  });

  it('an unknown use.errors reference is a configuration error', () => {
    expect(start(wf([{ r: { raise: { error: 'nope' } } }])).state.error).toMatchObject({ type: errorTypes.configuration, instance: '/do/0/r' });
  });
});

describe('flow directives', () => {
  it('continue / named jump / end', () => {
    const w = wf([
      { setRed: { set: { colors: '${ .colors + ["red"] }' }, then: 'setGreen' } },
      { setBlue: { set: { colors: '${ .colors + ["blue"] }' }, then: 'end' } },
      { setGreen: { set: { colors: '${ .colors + ["green"] }' }, then: 'setBlue' } },
      { never: { set: { colors: 'no' } } },
    ]);
    const r = start(w);
    expect(r.state.output).toEqual({ colors: ['red', 'green', 'blue'] });
    expect(names(r.history)).toEqual(['setRed', 'setGreen', 'setBlue']);
  });

  it('exit leaves the current list only; end ends the workflow from any depth', () => {
    const exit = wf([{ d: { do: [{ a: { set: { v: 1 }, then: 'exit' } }, { b: { set: { v: 2 } } }] } }, { after: { set: { v: '${ .v + 10 }' } } }]);
    expect(start(exit).state.output).toEqual({ v: 11 });
    const end = wf([{ d: { do: [{ a: { set: { v: 1 }, then: 'end' } }, { b: { set: { v: 2 } } }] } }, { after: { set: { v: 3 } } }]);
    expect(start(end).state.output).toEqual({ v: 1 });
  });

  it('then naming a task outside the list is a configuration error', () => {
    const r = start(wf([{ d: { do: [{ a: { set: { v: 1 }, then: 'outer' } }] } }, { outer: { set: {} } }]));
    expect(r.state.error).toMatchObject({ type: errorTypes.configuration, instance: '/do/0/d/do/0/a' });
  });

  it('a then-loop that never terminates is bounded with a runtime error', () => {
    const r = start(wf([{ a: { set: { v: 1 }, then: 'a' } }]), {}, { limits: { maxIterations: 100 } });
    expect(r.state.status).toBe('faulted');
    expect(r.state.error?.type).toBe(errorTypes.runtime);
    expect(r.state.error?.detail).toMatch(/does not terminate/);
  });

  it('the steps-per-advance cap faults instead of hanging', () => {
    const r = start(wf([{ a: { set: { v: 1 }, then: 'a' } }]), {}, { limits: { maxSteps: 50 } });
    expect(r.state.error?.detail).toMatch(/more than 50 steps/);
  });

  it('task if: false skips the task, raw input becomes its output', () => {
    const w = wf([{ a: { if: '.go', set: { ran: 'a' } } }, { b: { if: '${ .go | not }', set: { ran: 'b' } } }]);
    const r = start(w, { go: false });
    expect(r.state.output).toEqual({ ran: 'b' });
    expect(r.history.map((h) => h.kind)).toContain('taskSkipped');
  });
});
