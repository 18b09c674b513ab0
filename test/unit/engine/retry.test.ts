/** Retry from the failed task: the engine keeps a recovery point in the faulted state and resumes there. */
import { describe, expect, it } from 'vitest';
import { advance, errorTypes, isStale, prepareRetry, retryFromFailure, retryRefusal } from '../../../src/engine/index.ts';
import type { AdvanceResult, Effect, EngineContext, InstanceState, Stimulus, Workflow } from '../../../src/engine/index.ts';
import { T0, effectsOf, jsonbOrder, start, wf } from './helpers.ts';

const call = (path: string) => ({ call: 'http', with: { method: 'get', endpoint: `https://api.example.com/${path}` } });
const ok = (id: string, body: unknown): Stimulus => ({ kind: 'effectResult', id, result: { status: 200, headers: { 'content-type': 'application/json' }, body } });
const fail = (id: string, status = 503): Stimulus => ({ kind: 'effectResult', id, result: { status, headers: {}, body: 'busy' } });
const json = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

/** One advance, checked to be the same on a JSON copy and on a jsonb-ordered copy of the state. */
function next(w: Workflow, state: InstanceState, s: Stimulus, now: number): AdvanceResult {
  const ctx: EngineContext = { now, instanceId: 'i-1' };
  const a = advance(w, json(state), s, ctx);
  const b = advance(w, jsonbOrder(json(state)), json(s), ctx);
  expect(jsonbOrder(json(a))).toEqual(jsonbOrder(json(b)));
  return a;
}

/** Retry as the durable runner does it: prepare (the API's transaction), store, then the `retry` stimulus. */
function retry(w: Workflow, faulted: InstanceState, now: number): AdvanceResult {
  const { state, history } = prepareRetry(jsonbOrder(json(faulted)), { now });
  expect(history).toMatchObject({ kind: 'workflowRetried' });
  const r = next(w, state, { kind: 'retry' }, now);
  // The pure one-call form gives the same result, with the history entry first.
  const pure = retryFromFailure(w, json(faulted), { now, instanceId: 'i-1' });
  expect(json(pure.state)).toEqual(json(r.state));
  expect(pure.history[0]).toEqual(history);
  return r;
}

const https = (effects: Effect[]) => effectsOf(effects, 'http');
const started = (r: AdvanceResult) => r.history.filter((h) => h.kind === 'taskStarted').map((h) => h.task);

describe('retry from the failed task', () => {
  const w = wf([{ a: { ...call('a'), output: { as: '${ { a: . } }' } } }, { b: { ...call('b'), output: { as: '${ $input + { b: . } }' } } }]);

  it('runs only the failed task again, with a fresh effect id and Idempotency-Key, and completes', () => {
    let r = start(w);
    const [a] = https(r.effects);
    r = next(w, r.state, ok(a.id, 1), T0);
    const [b1] = https(r.effects);
    r = next(w, r.state, fail(b1.id), T0 + 1000);
    expect(r.state.status).toBe('faulted');
    expect(r.state.error).toMatchObject({ status: 503, instance: '/do/1/b' });
    expect(r.state.recovery).toMatchObject({ task: '/do/1/b', name: 'b', thread: 'main', at: T0 + 1000 });
    expect(retryRefusal(r.state)).toBeUndefined();

    r = retry(w, r.state, T0 + 60_000);
    expect(r.state.status).toBe('waiting');
    expect(r.state.error).toBeUndefined();
    expect(r.state.recovery).toBeUndefined();
    expect(started(r)).toEqual(['b']);
    const [b2] = https(r.effects);
    expect(b2.task).toBe('/do/1/b');
    expect(b2.id).not.toBe(b1.id);
    expect(b2.idempotencyKey).not.toBe(b1.idempotencyKey);
    r = next(w, r.state, ok(b2.id, 2), T0 + 61_000);
    expect(r.state.status).toBe('completed');
    expect(r.state.output).toEqual({ a: 1, b: 2 });
  });

  it('a duplicate retry is stale; a faulted state cannot be run by the retry stimulus alone', () => {
    let r = start(w);
    r = next(w, r.state, fail(https(r.effects)[0].id), T0);
    expect(isStale(r.state, { kind: 'retry' })).toBe(true);
    const { state } = prepareRetry(r.state, { now: T0 });
    expect(state.status).toBe('running');
    expect(isStale(state, { kind: 'retry' })).toBe(false);
    const ran = advance(w, state, { kind: 'retry' }, { now: T0 });
    expect(isStale(ran.state, { kind: 'retry' })).toBe(true);
    expect(advance(w, ran.state, { kind: 'retry' }, { now: T0 }).effects).toEqual([]);
    expect(() => prepareRetry(ran.state, { now: T0 })).toThrow(TypeError);
  });

  it('keeps the context and resumes a for loop at the failed iteration', () => {
    const loop = wf([
      { init: { set: { seen: [] }, export: { as: '${ { tag: "kept" } }' } } },
      {
        each: {
          for: { in: '${ [1, 2, 3] }', each: 'n' },
          do: [{ get: { ...call('n'), output: { as: '${ $input + { seen: ($input.seen + [.]) } }' } } }],
        },
      },
      { done: { set: { seen: '${ .seen }', tag: '${ $context.tag }' } } },
    ]);
    let r = start(loop);
    r = next(loop, r.state, ok(https(r.effects)[0].id, 'one'), T0);
    const second = https(r.effects)[0];
    r = next(loop, r.state, fail(second.id, 500), T0);
    expect(r.state.status).toBe('faulted');
    r = retry(loop, r.state, T0 + 1000);
    // Iteration 2 again (not 1), with $n still 2.
    expect(started(r)).toEqual(['get']);
    r = next(loop, r.state, ok(https(r.effects)[0].id, 'two'), T0 + 2000);
    r = next(loop, r.state, ok(https(r.effects)[0].id, 'three'), T0 + 3000);
    expect(r.state.output).toEqual({ seen: ['one', 'two', 'three'], tag: 'kept' });
  });

  it('resumes inside nested do lists', () => {
    const nested = wf([
      { outer: { do: [{ first: { set: { x: 1 } } }, { inner: { do: [{ second: { set: { x: 2 } } }, { flaky: call('f') }, { last: { set: { x: 3 } } }] } }] } },
    ]);
    let r = start(nested);
    const f1 = https(r.effects)[0];
    r = next(nested, r.state, fail(f1.id), T0);
    expect(r.state.recovery?.task).toBe('/do/0/outer/do/1/inner/do/1/flaky');
    r = retry(nested, r.state, T0);
    expect(started(r)).toEqual(['flaky']);
    r = next(nested, r.state, ok(https(r.effects)[0].id, {}), T0);
    expect(r.state.output).toEqual({ x: 3 });
  });

  it('an error caught by try leaves no recovery point; an uncaught one gets the try policy again', () => {
    const caught = wf([{ t: { try: [{ c: call('c') }], catch: { do: [{ h: { set: { handled: true } } }] } } }]);
    let r = start(caught);
    r = next(caught, r.state, fail(https(r.effects)[0].id), T0);
    expect(r.state.status).toBe('completed');

    const policy = { delay: { seconds: 1 }, limit: { attempt: { count: 1 } } };
    const retried = wf([{ t: { try: [{ c: call('c') }], catch: { retry: policy } } }]);
    r = start(retried);
    r = next(retried, r.state, fail(https(r.effects)[0].id), T0);
    const [backoff] = effectsOf(r.effects, 'timer');
    r = next(retried, r.state, { kind: 'timerFired', id: backoff.id }, T0 + 1000);
    r = next(retried, r.state, fail(https(r.effects)[0].id), T0 + 1000);
    expect(r.state.status).toBe('faulted');
    expect(r.state.recovery?.task).toBe('/do/0/t/try/0/c');
    r = retry(retried, r.state, T0 + 5000);
    // Failing again, the policy retries once more (a back-off timer) instead of faulting at once.
    r = next(retried, r.state, fail(https(r.effects)[0].id), T0 + 6000);
    expect(r.state.status).toBe('waiting');
    expect(effectsOf(r.effects, 'timer')).toEqual([expect.objectContaining({ purpose: 'retry' })]);
  });

  it('a fault in a fork branch: finished branches keep their output, interrupted ones and the failed one run again', () => {
    const fork = wf([
      {
        f: {
          fork: {
            branches: [{ quick: { set: { q: 1 } } }, { slow: { ...call('slow') } }, { bad: { ...call('bad') } }],
          },
        },
      },
    ]);
    let r = start(fork);
    const [slow1, bad1] = https(r.effects);
    expect([slow1.task, bad1.task]).toEqual(['/do/0/f/fork/branches/1/slow', '/do/0/f/fork/branches/2/bad']);
    r = next(fork, r.state, fail(bad1.id), T0);
    expect(r.state.status).toBe('faulted');
    expect(r.effects).toContainEqual({ kind: 'cancelHttp', id: slow1.id });
    expect(r.state.recovery).toMatchObject({ task: '/do/0/f/fork/branches/2/bad', thread: expect.stringMatching(/^b\d+\.2$/) });

    const { history } = prepareRetry(r.state, { now: T0 });
    expect(history.data).toEqual({ task: '/do/0/f/fork/branches/2/bad', restarted: ['/do/0/f/fork/branches/1/slow'] });
    r = retry(fork, r.state, T0 + 1000);
    expect(started(r).sort()).toEqual(['bad', 'slow']);
    const byTask = Object.fromEntries(https(r.effects).map((e) => [e.task.split('/').pop(), e]));
    expect(byTask.slow.id).not.toBe(slow1.id);
    r = next(fork, r.state, ok(byTask.slow.id, 'S'), T0 + 2000);
    r = next(fork, r.state, ok(byTask.bad.id, 'B'), T0 + 2000);
    expect(r.state.status).toBe('completed');
    expect(r.state.output).toEqual([{ q: 1 }, 'S', 'B']);
  });

  it('a sibling branch resumes from where it was when the fork failed, not from where it was when the error started', () => {
    const fork = wf([
      { f: { fork: { branches: [{ p: call('p') }, { q: { do: [{ pause: { wait: { seconds: 1 } } }, { after: call('q') }] } }] } } },
    ]);
    let r = start(fork);
    const [p1] = https(r.effects);
    const [pause] = effectsOf(r.effects, 'timer');
    r = next(fork, r.state, { kind: 'timerFired', id: pause.id }, T0 + 1000);
    expect(https(r.effects).map((e) => e.task)).toEqual(['/do/0/f/fork/branches/1/q/do/1/after']);
    r = next(fork, r.state, fail(p1.id), T0 + 2000);
    expect(r.state.status).toBe('faulted');
    r = retry(fork, r.state, T0 + 3000);
    expect(started(r).sort()).toEqual(['after', 'p']);
    expect(effectsOf(r.effects, 'timer')).toEqual([]);
  });

  it('two branches failing in one advance both run again', () => {
    const boom = { raise: { error: { type: 'https://example.com/boom', status: 500 } } };
    const fork = wf([{ f: { fork: { branches: [{ r0: boom }, { r1: boom }] } } }]);
    let r = start(fork);
    expect(r.state.error).toMatchObject({ type: 'https://example.com/boom', instance: '/do/0/f/fork/branches/0/r0' });
    r = retry(fork, r.state, T0);
    expect(started(r)).toEqual(['r0', 'r1']);
    expect(r.state.error).toMatchObject({ type: 'https://example.com/boom' });
    expect(r.state.recovery?.task).toBe('/do/0/f/fork/branches/0/r0');
  });

  it('a faulted child workflow: retrying the parent starts a new child', () => {
    const parent = wf([{ child: { run: { workflow: { namespace: 'test', name: 'kid', version: '1.0.0' } } } }]);
    let r = start(parent);
    const [first] = effectsOf(r.effects, 'startChild');
    r = next(parent, r.state, { kind: 'childDone', id: first.id, outcome: { status: 'faulted', error: { type: errorTypes.runtime, status: 500 } } }, T0);
    expect(r.state.status).toBe('faulted');
    r = retry(parent, r.state, T0);
    const [second] = effectsOf(r.effects, 'startChild');
    expect(second.id).not.toBe(first.id);
    r = next(parent, r.state, { kind: 'childDone', id: second.id, outcome: { status: 'completed', output: { ok: 1 } } }, T0);
    expect(r.state.output).toEqual({ ok: 1 });
  });

  it('timeouts still armed move later by the time spent faulted, under new ids; the failed task re-arms its own', () => {
    const timed = wf([{ slowish: { ...call('x'), timeout: { after: { minutes: 5 } } } }], { timeout: { after: { hours: 1 } } });
    let r = start(timed);
    const before = effectsOf(r.effects, 'timer');
    expect(before.map((t) => t.dueAt - T0).sort((a, b) => a - b)).toEqual([300_000, 3_600_000]);
    r = next(timed, r.state, fail(https(r.effects)[0].id), T0 + 10 * 60_000);
    expect(r.state.status).toBe('faulted');
    const day = 24 * 3_600_000;
    r = retry(timed, r.state, T0 + day);
    const after = effectsOf(r.effects, 'timer');
    expect(after.map((t) => t.dueAt - T0).sort((a, b) => a - b)).toEqual([day + 300_000, 3_600_000 + day - 10 * 60_000]);
    for (const t of after) expect(before.map((b) => b.id)).not.toContain(t.id);
  });

  it('a task that times out is retried from its start', () => {
    const timed = wf([{ slowish: { ...call('x'), timeout: { after: { seconds: 30 } } } }]);
    let r = start(timed);
    const timeout = effectsOf(r.effects, 'timer')[0];
    r = next(timed, r.state, { kind: 'timerFired', id: timeout.id }, T0 + 30_000);
    expect(r.state.error).toMatchObject({ type: errorTypes.timeout, instance: '/do/0/slowish' });
    expect(r.state.recovery?.task).toBe('/do/0/slowish');
    r = retry(timed, r.state, T0 + 60_000);
    expect(https(r.effects)).toHaveLength(1);
  });

  it('refuses, saying why, when the fault did not come out of a task', () => {
    expect(retryRefusal(undefined)).toMatch(/before it started/);
    const input = start(wf([{ t: { set: { a: 1 } } }], { input: { schema: { document: { type: 'object', required: ['x'] } } } }));
    expect(input.state.status).toBe('faulted');
    expect(retryRefusal(input.state)).toMatch(/did not come out of a task/);
    const output = start(wf([{ t: { set: { a: 1 } } }], { output: { schema: { document: { type: 'object', required: ['x'] } } } }));
    expect(output.state.status).toBe('faulted');
    expect(retryRefusal(output.state)).toMatch(/did not come out of a task/);
    expect(retryRefusal({ ...start(wf([{ w: { wait: 'PT1H' } }])).state })).toMatch(/outside the workflow/);
    expect(() => prepareRetry(input.state, { now: T0 })).toThrow(/did not come out of a task/);
  });

  it('a fault again after a retry leaves a new recovery point (retry as often as needed)', () => {
    let r = start(w);
    r = next(w, r.state, ok(https(r.effects)[0].id, 1), T0);
    for (let i = 0; i < 3; i++) {
      r = next(w, r.state, fail(https(r.effects)[0].id), T0);
      expect(r.state.recovery?.task).toBe('/do/1/b');
      r = retry(w, r.state, T0);
    }
    r = next(w, r.state, ok(https(r.effects)[0].id, 2), T0);
    expect(r.state.output).toEqual({ a: 1, b: 2 });
  });
});
