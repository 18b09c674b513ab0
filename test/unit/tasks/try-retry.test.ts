import { describe, expect, it } from 'vitest';
import { advance, errorTypes } from '../../../src/engine/index.ts';
import type { Effect, Workflow } from '../../../src/engine/index.ts';
import { T0, drive, effectsOf, start, wf } from '../engine/helpers.ts';

const comm = 'https://serverlessworkflow.io/spec/1.0.0/errors/communication';
const raise503 = { fail: { raise: { error: { type: comm, status: 503, title: 'Unavailable' } } } };

/** A try whose body raises 503 on every attempt; the retry timers fire at once. */
function retryDelays(retry: unknown, ctx = {}): { delays: number[]; status: string } {
  const w = wf([{ t: { try: [raise503], catch: { errors: { with: { status: 503 } }, retry } } }]);
  const { state, effects } = drive(w, {}, (e) => (e.kind === 'timer' ? { kind: 'timerFired', id: e.id } : undefined), ctx);
  let now = T0;
  const delays: number[] = [];
  for (const t of effectsOf(effects, 'timer')) {
    delays.push(t.dueAt - now);
    now = t.dueAt;
  }
  return { delays, status: state.status };
}

describe('try/catch', () => {
  it('catches a matching error; catch.do runs with the error as $<as>; output is the catch output', () => {
    const w = wf([
      {
        tryGetPet: {
          try: [{ getPet: { raise: { error: { type: comm, status: 404, title: 'Not Found' } } } }],
          catch: {
            errors: { with: { type: 'https://serverlessworkflow.io/dsl/errors/types/communication', status: 404 } },
            as: 'err',
            do: [{ setError: { set: { error: '${ $err }' } } }],
          },
        },
      },
    ]);
    const r = start(w);
    expect(r.state.status).toBe('completed');
    expect(r.state.output).toEqual({ error: { type: comm, status: 404, title: 'Not Found', instance: '/do/0/tryGetPet/try/0/getPet' } });
  });

  it('an error the filter rejects propagates and faults the workflow', () => {
    const w = wf([{ t: { try: [raise503], catch: { errors: { with: { status: 404 } }, do: [{ x: { set: {} } }] } } }]);
    expect(start(w).state.error).toMatchObject({ status: 503, instance: '/do/0/t/try/0/fail' });
  });

  it('when / exceptWhen decide with the error in scope', () => {
    const base = (c: object) => wf([{ t: { try: [raise503], catch: { as: 'e', ...c } } }]);
    expect(start(base({ when: '$e.status == 503' })).state.status).toBe('completed');
    expect(start(base({ when: '$e.status == 500' })).state.status).toBe('faulted');
    expect(start(base({ exceptWhen: '$e.status == 503' })).state.status).toBe('faulted');
  });

  it('caught without catch.do outputs the try input', () => {
    expect(start(wf([{ t: { try: [raise503], catch: {} } }]), { keep: 1 }).state.output).toEqual({ keep: 1 });
  });

  it('an error inside catch.do propagates', () => {
    const w = wf([{ t: { try: [raise503], catch: { do: [{ again: { raise: { error: { type: comm, status: 500 } } } }] } } }]);
    expect(start(w).state.error).toMatchObject({ status: 500, instance: '/do/0/t/catch/do/0/again' });
  });
});

describe('retry policies (exact back-off from the timer effects)', () => {
  it('constant', () => {
    expect(retryDelays({ delay: { seconds: 2 }, backoff: { constant: {} }, limit: { attempt: { count: 3 } } })).toEqual({
      delays: [2000, 2000, 2000],
      status: 'faulted',
    });
  });

  it('linear', () => {
    expect(retryDelays({ delay: { seconds: 1 }, backoff: { linear: {} }, limit: { attempt: { count: 4 } } }).delays).toEqual([1000, 2000, 3000, 4000]);
  });

  it('exponential', () => {
    expect(retryDelays({ delay: { milliseconds: 100 }, backoff: { exponential: {} }, limit: { attempt: { count: 5 } } }).delays).toEqual([
      100, 200, 400, 800, 1600,
    ]);
  });

  it('ISO 8601 delay without backoff is constant', () => {
    expect(retryDelays({ delay: 'PT1.5S', limit: { attempt: { count: 2 } } }).delays).toEqual([1500, 1500]);
  });

  it('jitter stays in [from, to) and replays identically for the same seed', () => {
    const policy = { delay: { seconds: 1 }, jitter: { from: { milliseconds: 0 }, to: { milliseconds: 500 } }, limit: { attempt: { count: 6 } } };
    const a = retryDelays(policy, { seed: 's1' }).delays;
    expect(a).toHaveLength(6);
    for (const d of a) expect(d).toBeGreaterThanOrEqual(1000), expect(d).toBeLessThan(1500);
    expect(retryDelays(policy, { seed: 's1' }).delays).toEqual(a);
    expect(new Set(a).size).toBeGreaterThan(1);
  });

  it('limit.duration stops retrying once the next attempt would start past it', () => {
    expect(retryDelays({ delay: { seconds: 10 }, limit: { duration: { seconds: 25 } } }).delays).toEqual([10000, 10000]);
  });

  it('a reusable policy from use.retries, and a retry that eventually succeeds runs catch.do never', () => {
    let calls = 0;
    const w: Workflow = wf(
      [
        {
          t: {
            try: [{ call: { call: 'http', with: { method: 'get', endpoint: 'https://example.com/x' } } }],
            catch: { errors: { with: { type: comm } }, retry: 'twice', do: [{ never: { set: { caught: true } } }] },
          },
        },
      ],
      { use: { retries: { twice: { delay: { seconds: 1 }, limit: { attempt: { count: 2 } } } } } },
    );
    const { state, effects } = drive(w, {}, (e: Effect) => {
      if (e.kind === 'timer') return { kind: 'timerFired', id: e.id };
      if (e.kind !== 'http') return undefined;
      calls++;
      return calls < 3
        ? { kind: 'effectResult', id: e.id, result: { status: 503, headers: {}, body: 'busy' } }
        : { kind: 'effectResult', id: e.id, result: { status: 200, headers: {}, body: { ok: true } } };
    });
    expect(state.output).toEqual({ ok: true });
    expect(effectsOf(effects, 'http').map((e) => e.idempotencyKey)).toHaveLength(3);
    expect(new Set(effectsOf(effects, 'http').map((e) => e.idempotencyKey)).size).toBe(3);
  });

  it('an unknown use.retries reference is a configuration error', () => {
    const w = wf([{ t: { try: [raise503], catch: { retry: 'missing' } } }]);
    expect(start(w).state.error?.type).toBe(errorTypes.configuration);
  });

  it('limit.attempt.duration times out a slow attempt inside the try, where it is caught', () => {
    const w = wf([
      {
        t: {
          try: [{ slow: { wait: { seconds: 10 } } }],
          catch: { errors: { with: { type: errorTypes.timeout } }, retry: { limit: { attempt: { count: 1, duration: { seconds: 1 } } } }, do: [{ h: { set: { timedOut: true } } }] },
        },
      },
    ]);
    const { state, effects } = drive(w, {}, (e) => (e.kind === 'timer' && e.purpose === 'timeout' ? { kind: 'timerFired', id: e.id } : undefined));
    expect(state.output).toEqual({ timedOut: true });
    expect(effectsOf(effects, 'timer').filter((t) => t.purpose === 'timeout')).toHaveLength(2);
    expect(effectsOf(effects, 'cancelTimer').length).toBeGreaterThanOrEqual(2);
  });

  it('history records each retry; retries exhausted without catch.do propagate the error', () => {
    const w = wf([{ t: { try: [raise503], catch: { retry: { limit: { attempt: { count: 2 } } } } } }]);
    const r = advance(w, undefined, { kind: 'start', input: {} }, { now: T0 });
    expect(r.history.filter((h) => h.kind === 'taskRetried')).toHaveLength(2);
    expect(r.state.status).toBe('faulted');
  });
});
