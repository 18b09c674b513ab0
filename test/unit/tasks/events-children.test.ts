import { describe, expect, it } from 'vitest';
import { runLocally } from '../../../src/effects/local-runner.ts';
import { advance, errorTypes } from '../../../src/engine/index.ts';
import type { CloudEvent, Workflow } from '../../../src/engine/index.ts';
import { T0, document, effectsOf, start, wf } from '../engine/helpers.ts';

const ev = (type: string, data: unknown, extra: Partial<CloudEvent> = {}): CloudEvent => ({ id: `${type}-${JSON.stringify(data)}`, source: 'https://test', specversion: '1.0', type, data, ...extra });

describe('emit', () => {
  it('outputs the CloudEvent (id, specversion, time filled in) and emits it as an effect', () => {
    const w = wf([{ emitEvent: { emit: { event: { with: { source: 'https://fake-source.com', type: 'com.fake.greeted.v1', data: { greetings: '${ "Hello " + .name }' } } } } } }]);
    const r = start(w, { name: 'John' });
    expect(r.state.output).toMatchObject({ source: 'https://fake-source.com', type: 'com.fake.greeted.v1', specversion: '1.0', time: new Date(T0).toISOString(), data: { greetings: 'Hello John' } });
    expect((r.state.output as CloudEvent).id).toBeTypeOf('string');
    expect(effectsOf(r.effects, 'emit')[0].event).toEqual(r.state.output);
    expect(r.state.status).toBe('completed');
  });
});

describe('listen', () => {
  it('one: waits for a matching event; non-matching events are ignored; read: data', () => {
    const w = wf([{ l: { listen: { to: { one: { with: { type: 'com.x.done', data: '${ .ok == true }' } } } } } }]);
    const r = start(w);
    const [sub] = effectsOf(r.effects, 'listen');
    expect(sub).toMatchObject({ strategy: 'one', task: '/do/0/l' });
    const r2 = advance(w, r.state, { kind: 'event', id: sub.id, events: [ev('com.other', {}), ev('com.x.done', { ok: false })] }, { now: T0 + 1 });
    expect(r2.state.status).toBe('waiting');
    const r3 = advance(w, r2.state, { kind: 'event', id: sub.id, events: [ev('com.x.done', { ok: true })] }, { now: T0 + 2 });
    expect(r3.state.output).toEqual([{ ok: true }]);
    expect(r3.effects).toContainEqual({ kind: 'unlisten', id: sub.id });
  });

  it('all: every filter once, in consumption order; envelope read', () => {
    const w = wf([{ l: { listen: { to: { all: [{ with: { type: 'a' } }, { with: { type: 'b' } }] }, read: 'envelope' } } }]);
    const r = start(w);
    const [sub] = effectsOf(r.effects, 'listen');
    const r2 = advance(w, r.state, { kind: 'event', id: sub.id, events: [ev('b', 1), ev('b', 2), ev('a', 3)] }, { now: T0 });
    expect((r2.state.output as CloudEvent[]).map((e) => e.data)).toEqual([1, 3]);
  });

  it('any with until (expression) and with until (events, not part of the output)', () => {
    const byExpr = wf([{ l: { listen: { to: { any: [{ with: { type: 'n' } }], until: '. | length >= 2' } } } }]);
    let r = start(byExpr);
    let [sub] = effectsOf(r.effects, 'listen');
    r = advance(byExpr, r.state, { kind: 'event', id: sub.id, events: [ev('n', 1), ev('n', 2), ev('n', 3)] }, { now: T0 });
    expect(r.state.output).toEqual([1, 2]);

    const byEvent = wf([{ l: { listen: { to: { any: [{ with: { type: 'n' } }], until: { one: { with: { type: 'stop' } } } } } } }]);
    r = start(byEvent);
    [sub] = effectsOf(r.effects, 'listen');
    r = advance(byEvent, r.state, { kind: 'event', id: sub.id, events: [ev('n', 1), ev('n', 2)] }, { now: T0 });
    expect(r.state.status).toBe('waiting');
    r = advance(byEvent, r.state, { kind: 'event', id: sub.id, events: [ev('stop', 'x')] }, { now: T0 });
    expect(r.state.output).toEqual([1, 2]);
  });

  it('correlation: expect from the input, or the first extracted value', () => {
    const w = wf([
      {
        l: {
          listen: {
            to: {
              all: [
                { with: { type: 'paid' }, correlate: { order: { from: '.data.order', expect: '${ .orderId }' } } },
                { with: { type: 'shipped' }, correlate: { order: { from: '.data.order' } } },
              ],
            },
          },
        },
      },
    ]);
    let r = start(w, { orderId: 'o-1' });
    const [sub] = effectsOf(r.effects, 'listen');
    r = advance(w, r.state, { kind: 'event', id: sub.id, events: [ev('paid', { order: 'o-2' }), ev('shipped', { order: 'o-2' }), ev('paid', { order: 'o-1' })] }, { now: T0 });
    expect(r.state.status).toBe('waiting');
    r = advance(w, r.state, { kind: 'event', id: sub.id, events: [ev('shipped', { order: 'o-1' })] }, { now: T0 });
    expect(r.state.output).toEqual([{ order: 'o-1' }, { order: 'o-1' }]);
  });

  it('foreach maps the consumed events through do, output.as and export.as', () => {
    const w = wf(
      [
        {
          l: {
            listen: { to: { any: [{ with: { type: 'n' } }], until: '. | length >= 2' } },
            foreach: { item: 'e', do: [{ dbl: { set: { v: '${ $e * 2 }' } } }], output: { as: '.v' }, export: { as: '$context + { sum: (($context.sum // 0) + .) }' } },
          },
        },
      ],
      { output: { as: '{ out: ., ctx: $context.sum }' } },
    );
    let r = start(w);
    const [sub] = effectsOf(r.effects, 'listen');
    r = advance(w, r.state, { kind: 'event', id: sub.id, events: [ev('n', 1), ev('n', 5)] }, { now: T0 });
    expect(r.state.output).toEqual({ out: [2, 10], ctx: 12 });
  });

  it('through the local runner: an emitting branch feeds a listening branch', async () => {
    const w = wf([
      {
        both: {
          fork: {
            branches: [
              { waitForIt: { listen: { to: { one: { with: { type: 'com.test.ping' } } } } } },
              { later: { do: [{ pause: { wait: { seconds: 1 } } }, { ping: { emit: { event: { with: { source: 'https://t', type: 'com.test.ping', data: { n: 1 } } } } } }] } },
            ],
          },
        },
      },
    ]);
    const r = await runLocally(w, {}, { now: T0 });
    expect(r.status).toBe('completed');
    expect((r.output as unknown[])[0]).toEqual([{ n: 1 }]);
    expect(r.emitted).toHaveLength(1);
  });

  it('through the local runner: events supplied in options reach a listen', async () => {
    const w = wf([{ l: { listen: { to: { one: { with: { type: 'x' } } } } } }]);
    const r = await runLocally(w, {}, { events: [ev('y', 0), ev('x', 42)] });
    expect(r.output).toEqual([42]);
  });

  it('the local runner faults a run that waits for events nobody sends', async () => {
    const r = await runLocally(wf([{ l: { listen: { to: { one: { with: { type: 'never' } } } } } }]), {});
    expect(r.status).toBe('faulted');
    expect(r.error?.detail).toMatch(/waits for events/);
  });
});

describe('run: workflow', () => {
  const child: Workflow = { document: { ...document, name: 'child' }, do: [{ dbl: { set: { v: '${ .n * 2 }' } } }] } as Workflow;
  const failing: Workflow = { document: { ...document, name: 'bad' }, do: [{ boom: { raise: { error: { type: 'https://x/e', status: 422, title: 'Bad' } } } }] } as Workflow;
  const resolveWorkflow = (ref: { name: string }) => (ref.name === 'child' ? child : ref.name === 'bad' ? failing : undefined);

  it('emits startChild and resumes with the child output', () => {
    const w = wf([{ c: { run: { workflow: { namespace: 'test', name: 'child', version: '1.0.0', input: { n: '${ .x }' } } } } }]);
    const r = start(w, { x: 4 });
    const [e] = effectsOf(r.effects, 'startChild');
    expect(e).toMatchObject({ workflow: { namespace: 'test', name: 'child', version: '1.0.0' }, input: { n: 4 }, await: true });
    const r2 = advance(w, r.state, { kind: 'childDone', id: e.id, outcome: { status: 'completed', output: { v: 8 } } }, { now: T0 });
    expect(r2.state.output).toEqual({ v: 8 });
  });

  it('through the local runner, including a faulting child and a missing one', async () => {
    const ok = await runLocally(wf([{ c: { run: { workflow: { namespace: 'test', name: 'child', version: '1.0.0', input: { n: 5 } } } } }]), {}, { resolveWorkflow });
    expect(ok.output).toEqual({ v: 10 });
    const bad = await runLocally(wf([{ c: { run: { workflow: { namespace: 'test', name: 'bad', version: '1.0.0' } } } }]), {}, { resolveWorkflow });
    expect(bad.error).toMatchObject({ status: 422, title: 'Bad', instance: '/do/0/c' });
    const missing = await runLocally(wf([{ c: { run: { workflow: { namespace: 'test', name: 'nope', version: '1.0.0' } } } }]), {}, { resolveWorkflow });
    expect(missing.error).toMatchObject({ type: errorTypes.configuration, status: 404 });
  });

  it('await: false continues at once with the input as output', () => {
    const r = start(wf([{ c: { run: { workflow: { namespace: 'test', name: 'child', version: '1.0.0' }, await: false } } }]), { k: 1 });
    expect(r.state.output).toEqual({ k: 1 });
    expect(effectsOf(r.effects, 'startChild')[0].await).toBe(false);
  });

  it('run: shell is refused with a configuration error', () => {
    expect(start(wf([{ s: { run: { shell: { command: 'ls' } } } }])).state.error?.type).toBe(errorTypes.configuration);
  });
});

describe('call: function from use.functions', () => {
  it('runs the function task with the evaluated with as input', () => {
    const w = wf([{ c: { call: 'double', with: { n: '${ .x }' } } }], { use: { functions: { double: { set: { v: '${ .n * 2 }' } } } } });
    expect(start(w, { x: 3 }).state.output).toEqual({ v: 6 });
  });
});
