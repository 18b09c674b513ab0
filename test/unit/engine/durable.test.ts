import { describe, expect, it } from 'vitest';
import { advance, errorTypes, isStale } from '../../../src/engine/index.ts';
import { T0, drive, effectsOf, start, wf } from './helpers.ts';

describe('wait', () => {
  it('emits a timer due at ctx.now + duration (ISO and object forms) and resumes on it', () => {
    for (const [wait, ms] of [
      [{ seconds: 10 }, 10_000],
      ['PT1M30S', 90_000],
      [{ days: 1, milliseconds: 5 }, 86_400_005],
    ] as const) {
      const r = start(wf([{ w: { wait } }, { after: { set: { done: true } } }]));
      expect(r.state.status).toBe('waiting');
      const [timer] = effectsOf(r.effects, 'timer');
      expect(timer).toMatchObject({ task: '/do/0/w', dueAt: T0 + ms, purpose: 'wait' });
      const r2 = advance(wf([{ w: { wait } }, { after: { set: { done: true } } }]), r.state, { kind: 'timerFired', id: timer.id }, { now: T0 + ms });
      expect(r2.state.output).toEqual({ done: true });
    }
  });
});

describe('timeouts', () => {
  const slow = (timeout: unknown, extra = {}) => wf([{ slow: { wait: { minutes: 5 }, timeout } }], extra);

  it('a task timeout arms a timer only for a task still active at the end of the advance', () => {
    const pure = start(wf([{ quick: { set: { a: 1 }, timeout: { after: { seconds: 1 } } } }]));
    expect(pure.effects).toEqual([{ kind: 'complete', output: { a: 1 } }]);
    const r = start(slow({ after: { seconds: 30 } }));
    const timers = effectsOf(r.effects, 'timer');
    expect(timers.map((t) => [t.purpose, t.dueAt - T0])).toEqual([
      ['wait', 300_000],
      ['timeout', 30_000],
    ]);
  });

  it('when the timeout fires, the task faults with a timeout error (408) and its wait is cancelled', () => {
    const r = start(slow('short', { use: { timeouts: { short: { after: 'PT2S' } } } }));
    const [wait, timeout] = effectsOf(r.effects, 'timer');
    const r2 = advance(slow('short', { use: { timeouts: { short: { after: 'PT2S' } } } }), r.state, { kind: 'timerFired', id: timeout.id }, { now: T0 + 2000 });
    expect(r2.state.error).toMatchObject({ type: errorTypes.timeout, status: 408, instance: '/do/0/slow' });
    expect(r2.effects).toContainEqual({ kind: 'cancelTimer', id: wait.id });
    expect(isStale(r2.state, { kind: 'timerFired', id: wait.id })).toBe(true);
  });

  it('a completed task cancels its armed timeout timer', () => {
    const w = wf([{ slow: { wait: { seconds: 1 }, timeout: { after: { seconds: 30 } } } }]);
    const { effects, state } = drive(w, {}, (e) => (e.kind === 'timer' && e.purpose === 'wait' ? { kind: 'timerFired', id: e.id } : undefined));
    expect(state.status).toBe('completed');
    const timeout = effectsOf(effects, 'timer').find((t) => t.purpose === 'timeout')!;
    expect(effects).toContainEqual({ kind: 'cancelTimer', id: timeout.id });
  });

  it('a task timeout inside a fork branch is caught by an enclosing try', () => {
    const w = wf([
      {
        guard: {
          try: [{ f: { fork: { branches: [{ slow: { wait: { minutes: 5 }, timeout: { after: { seconds: 1 } } } }, { quick: { set: { q: 1 } } }] } } }],
          catch: { errors: { with: { type: errorTypes.timeout } }, as: 'e', do: [{ h: { set: { caught: '${ $e.instance }' } } }] },
        },
      },
    ]);
    const { state, effects } = drive(w, {}, (e) => (e.kind === 'timer' && e.purpose === 'timeout' ? { kind: 'timerFired', id: e.id } : undefined));
    expect(state.output).toEqual({ caught: '/do/0/guard/try/0/f/fork/branches/0/slow' });
    const wait = effectsOf(effects, 'timer').find((t) => t.purpose === 'wait')!;
    expect(effects).toContainEqual({ kind: 'cancelTimer', id: wait.id });
  });

  it('the workflow timeout faults the instance', () => {
    const w = wf([{ w: { wait: { hours: 1 } } }], { timeout: { after: { minutes: 1 } } });
    const { state } = drive(w, {}, (e) => (e.kind === 'timer' && e.purpose === 'timeout' ? { kind: 'timerFired', id: e.id } : undefined));
    expect(state.error).toMatchObject({ type: errorTypes.timeout, instance: '/' });
  });
});

describe('fork', () => {
  it('compete: the first branch wins and sets the output; others are cancelled', () => {
    const w = wf([
      {
        race: {
          fork: {
            compete: true,
            branches: [{ setRed: { set: { colors: '${ .colors + ["red"] }' } } }, { setGreen: { set: { colors: '${ .colors + ["green"] }' } } }],
          },
        },
      },
    ]);
    const r = start(w, { colors: [] });
    expect(r.state.output).toEqual({ colors: ['red'] });
  });

  it('without compete the output is every branch output in declaration order', () => {
    const w = wf([{ f: { fork: { branches: [{ a: { set: { v: 'a' } } }, { b: { set: { v: 'b' } } }, { c: { set: { v: 'c' } } }] } } }]);
    expect(start(w).state.output).toEqual([{ v: 'a' }, { v: 'b' }, { v: 'c' }]);
  });

  it('branches wait independently; effects carry the branch id; the join waits for all', () => {
    const w = wf([{ f: { fork: { branches: [{ slow: { wait: { seconds: 5 } } }, { fast: { wait: { seconds: 1 } } }, { now: { set: { v: 1 } } }] } } }]);
    const r = start(w, { in: true });
    const timers = effectsOf(r.effects, 'timer');
    expect(timers.map((t) => t.branch)).toEqual([expect.stringMatching(/^b\d+\.0$/), expect.stringMatching(/^b\d+\.1$/)]);
    const r2 = advance(w, r.state, { kind: 'timerFired', id: timers[1].id }, { now: T0 + 1000 });
    expect(r2.state.status).toBe('waiting');
    const r3 = advance(w, r2.state, { kind: 'timerFired', id: timers[0].id }, { now: T0 + 5000 });
    expect(r3.state.output).toEqual([{ in: true }, { in: true }, { v: 1 }]);
  });

  it('compete with waiting branches: the first to finish wins, the loser timer is cancelled', () => {
    const w = wf([{ f: { fork: { compete: true, branches: [{ slow: { wait: { seconds: 5 }, output: { as: '"slow"' } } }, { fast: { wait: { seconds: 1 }, output: { as: '"fast"' } } }] } } }]);
    const r = start(w);
    const [slow, fast] = effectsOf(r.effects, 'timer');
    const r2 = advance(w, r.state, { kind: 'timerFired', id: fast.id }, { now: T0 + 1000 });
    expect(r2.state.output).toBe('fast');
    expect(r2.effects).toContainEqual({ kind: 'cancelTimer', id: slow.id });
    expect(isStale(r2.state, { kind: 'timerFired', id: slow.id })).toBe(true);
  });

  it('compete cancels a losing branch HTTP request (cancelHttp) and a late result is stale', () => {
    const w = wf([{ f: { fork: { compete: true, branches: [{ slow: { call: 'http', with: { method: 'get', endpoint: 'https://example.com/slow' } } }, { fast: { set: { won: true } } }] } } }]);
    const r = start(w);
    const [http] = effectsOf(r.effects, 'http');
    expect(http.branch).toMatch(/\.0$/);
    expect(r.effects).toContainEqual({ kind: 'cancelHttp', id: http.id });
    expect(r.state.output).toEqual({ won: true });
    expect(isStale(r.state, { kind: 'effectResult', id: http.id, result: { status: 200, headers: {}, body: {} } })).toBe(true);
  });

  it('a faulting branch faults the fork and cancels the others', () => {
    const w = wf([{ f: { fork: { branches: [{ w: { wait: { seconds: 5 } } }, { boom: { raise: { error: { type: 'https://x/e', status: 500 } } } }] } } }]);
    const r = start(w);
    expect(r.state.error).toMatchObject({ status: 500, instance: '/do/0/f/fork/branches/1/boom' });
    expect(r.effects.some((e) => e.kind === 'cancelTimer')).toBe(true);
  });
});

describe('staleness, cancel, statelessness', () => {
  const w = wf([{ w: { wait: { seconds: 1 } } }, { s: { set: { ok: true } } }]);

  it('isStale: unknown targets, consumed targets, terminal states, a second start', () => {
    const r = start(w);
    const [timer] = effectsOf(r.effects, 'timer');
    expect(isStale(r.state, { kind: 'timerFired', id: timer.id })).toBe(false);
    expect(isStale(r.state, { kind: 'timerFired', id: 'timer-999' })).toBe(true);
    expect(isStale(r.state, { kind: 'effectResult', id: timer.id + 'x' })).toBe(true);
    expect(isStale(r.state, { kind: 'start', input: {} })).toBe(true);
    const r2 = advance(w, r.state, { kind: 'timerFired', id: timer.id }, { now: T0 + 1000 });
    expect(isStale(r2.state, { kind: 'timerFired', id: timer.id })).toBe(true);
    expect(isStale(r2.state, { kind: 'cancel' })).toBe(true);
    // A stale stimulus changes nothing.
    const same = advance(w, r2.state, { kind: 'timerFired', id: timer.id }, { now: T0 + 2000 });
    expect(same).toEqual({ state: r2.state, effects: [], history: [] });
  });

  it('cancel stops the instance and cancels what it waits for', () => {
    const r = start(w);
    const [timer] = effectsOf(r.effects, 'timer');
    const c = advance(w, r.state, { kind: 'cancel', reason: 'user' }, { now: T0 + 10 });
    expect(c.state.status).toBe('cancelled');
    expect(c.effects).toEqual([{ kind: 'cancelTimer', id: timer.id }]);
    expect(c.history.at(-1)?.kind).toBe('workflowCancelled');
  });

  it('advance does not mutate the state it is given', () => {
    const r = start(w);
    const before = JSON.stringify(r.state);
    advance(w, r.state, { kind: 'timerFired', id: effectsOf(r.effects, 'timer')[0].id }, { now: T0 + 1000 });
    expect(JSON.stringify(r.state)).toBe(before);
  });

  it('a mixed workflow driven with JSON round trips between every advance gives identical results', () => {
    const mixed = wf([
      { a: { set: { n: 1 } } },
      { f: { fork: { branches: [{ x: { wait: { seconds: 2 } } }, { y: { do: [{ y1: { wait: { seconds: 1 } } }, { y2: { set: { y: 2 } } }] } }] } } },
      { loop: { for: { in: '${ [1,2] }' }, do: [{ pause: { wait: 'PT1S' } }] } },
      { t: { try: [{ r: { raise: { error: { type: 'https://x/e', status: 503 } } } }], catch: { retry: { delay: { seconds: 1 }, limit: { attempt: { count: 2 } } }, do: [{ h: { set: { handled: true } } }] } } },
    ]);
    const { state, steps } = drive(mixed, {}, (e) => (e.kind === 'timer' ? { kind: 'timerFired', id: e.id } : undefined));
    expect(state.output).toEqual({ handled: true });
    expect(steps.length).toBeGreaterThan(5);
  });

  it('a workflow of pure tasks runs to completion in one advance with no effects but complete', () => {
    const pure = wf([
      { a: { set: { n: 0 } } },
      { loop: { for: { in: '${ [1,2,3] }' }, do: [{ inc: { set: { n: '${ .n + $item }' } } }] } },
      { sw: { switch: [{ big: { when: '.n > 5', then: 'big' } }, { small: { then: 'exit' } }] } },
      { big: { try: [{ r: { raise: { error: { type: 'https://x/e', status: 400 } } } }], catch: { do: [{ ok: { set: { n: '${ .n }', big: true } } }] } } },
    ]);
    const r = start(pure);
    expect(r.state.output).toEqual({ n: 6, big: true });
    expect(r.effects.map((e) => e.kind)).toEqual(['complete']);
    expect(r.history[0]).toMatchObject({ kind: 'workflowStarted', at: T0 });
  });
});

describe('suspend / resume', () => {
  const w = wf([{ a: { wait: { seconds: 1 } } }, { b: { set: { done: true } } }]);

  it('a suspended instance holds stimuli and runs nothing; resume delivers them in order', () => {
    const r = start(w);
    const [timer] = effectsOf(r.effects, 'timer');
    const s = advance(w, r.state, { kind: 'suspend' }, { now: T0 + 10 });
    expect(s.state.status).toBe('suspended');
    expect(s.history.map((h) => h.kind)).toEqual(['workflowSuspended']);
    expect(isStale(s.state, { kind: 'suspend' })).toBe(true);
    const held = advance(w, s.state, { kind: 'timerFired', id: timer.id }, { now: T0 + 1000 });
    expect(held.state.status).toBe('suspended');
    expect(held.effects).toEqual([]);
    expect(held.state.inbox).toHaveLength(1);
    const resumed = advance(w, held.state, { kind: 'resume' }, { now: T0 + 5000 });
    expect(resumed.state.output).toEqual({ done: true });
    expect(resumed.history.map((h) => h.kind)).toContain('workflowResumed');
    expect(isStale(resumed.state, { kind: 'resume' })).toBe(true);
  });

  it('cancel still works while suspended', () => {
    const r = start(w);
    const s = advance(w, r.state, { kind: 'suspend' }, { now: T0 });
    const c = advance(w, s.state, { kind: 'cancel' }, { now: T0 });
    expect(c.state.status).toBe('cancelled');
    expect(c.effects.map((e) => e.kind)).toEqual(['cancelTimer']);
  });
});
