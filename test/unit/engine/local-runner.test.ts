import { describe, expect, it } from 'vitest';
import { runLocally } from '../../../src/effects/local-runner.ts';
import { wf } from './helpers.ts';

describe('local runner', () => {
  it('instant timers advance a virtual clock', async () => {
    const started = performance.now();
    const r = await runLocally(wf([{ w: { wait: { hours: 2 } } }, { t: { set: { at: '${ now }' } } }]), {}, { now: 0 });
    expect(performance.now() - started).toBeLessThan(1000);
    expect(r.output).toEqual({ at: 7200 });
  });

  it('real timers wait for real', async () => {
    const started = performance.now();
    const r = await runLocally(wf([{ w: { wait: { milliseconds: 120 } } }]), { k: 1 }, { instantTimers: false });
    expect(performance.now() - started).toBeGreaterThanOrEqual(100);
    expect(r.output).toEqual({ k: 1 });
  });

  it('an aborted signal cancels the run', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 30);
    const r = await runLocally(wf([{ w: { wait: { seconds: 30 } } }]), {}, { instantTimers: false, signal: controller.signal });
    expect(r.status).toBe('cancelled');
    expect(r.history.at(-1)?.kind).toBe('workflowCancelled');
  });

  it('reports every advance (for statelessness checks) and returns the final state', async () => {
    const seen: string[] = [];
    const r = await runLocally(wf([{ a: { wait: 'PT1S' } }, { b: { wait: 'PT1S' } }]), {}, { onAdvance: ({ stimulus }) => void seen.push(stimulus.kind) });
    expect(seen).toEqual(['start', 'timerFired', 'timerFired']);
    expect(r.state.status).toBe('completed');
  });
});
