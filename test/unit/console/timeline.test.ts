/** The timeline: history rows paired into task bars, with retries, suspensions and open tasks. */
import { describe, expect, test } from 'vitest';
import { buildTimeline, formatDuration, renderTimelineSvg, type HistoryLike } from '../../../src/console/timeline.ts';

const t0 = Date.parse('2026-01-01T00:00:00Z');
let seq = 0;
const row = (ms: number, kind: string, taskRef: string | null = null, data: unknown = null): HistoryLike => ({ seq: ++seq, at: new Date(t0 + ms), kind, taskRef, data });

const doc = { do: [{ fetch: { try: [{ call1: { call: 'http', with: {} } }], catch: { retry: {} } } }, { nap: { wait: 'PT1M' } }] };

describe('buildTimeline', () => {
  test('pairs starts with their ends; retries and their delays stay on the try task', () => {
    const rows = [
      row(0, 'workflowStarted'),
      row(0, 'taskStarted', '/do/0/fetch', { task: 'fetch' }),
      row(5, 'taskStarted', '/do/0/fetch/try/0/call1', { task: 'call1' }),
      row(100, 'taskFaulted', '/do/0/fetch/try/0/call1', { task: 'call1', data: { error: { status: 503 } } }),
      row(100, 'taskRetried', '/do/0/fetch', { task: 'fetch', data: { attempt: 1, delayMs: 2000 } }),
      row(2100, 'taskStarted', '/do/0/fetch/try/0/call1', { task: 'call1' }),
      row(2300, 'taskCompleted', '/do/0/fetch/try/0/call1', { task: 'call1' }),
      row(2300, 'taskCompleted', '/do/0/fetch', { task: 'fetch' }),
      row(2300, 'taskStarted', '/do/1/nap', { task: 'nap' }),
    ];
    const t = buildTimeline(rows, { document: doc, now: t0 + 10_000 });
    expect(t.bars.map((b) => [b.name, b.outcome, b.end - b.start, b.depth])).toEqual([
      ['fetch', 'completed', 2300, 0],
      ['call1', 'faulted', 95, 1],
      ['call1', 'completed', 200, 1],
      ['nap', 'running', 7700, 0],
    ]);
    expect(t.bars[0].retries).toEqual([{ at: t0 + 100, attempt: 1, delayMs: 2000 }]);
    expect(t.bars[0].kind).toBe('try');
    expect(t.bars[3].kind).toBe('wait');
    expect(t.current).toEqual(['/do/1/nap']);
    expect(t.lastFaulted).toBe('/do/0/fetch/try/0/call1');
  });

  test('an ended instance closes open tasks at its end (unfinished), with no current task', () => {
    const rows = [row(0, 'taskStarted', '/do/1/nap', { task: 'nap' }), row(60_000, 'workflowCancelled')];
    const t = buildTimeline(rows, { document: doc, now: t0 + 999_999, endedAt: t0 + 60_000 });
    expect(t.bars[0]).toMatchObject({ outcome: 'unfinished', end: t0 + 60_000 });
    expect(t.current).toEqual([]);
    expect(t.end).toBe(t0 + 60_000);
  });

  test('suspensions become spans; the innermost open tasks are current; fork branches pair separately', () => {
    const rows = [
      row(0, 'taskStarted', '/do/0/par', { task: 'par' }),
      row(1, 'taskStarted', '/do/0/par/fork/branches/0/a', { task: 'a', branch: 'b0' }),
      row(1, 'taskStarted', '/do/0/par/fork/branches/1/b', { task: 'b', branch: 'b1' }),
      row(10, 'taskCompleted', '/do/0/par/fork/branches/0/a', { task: 'a', branch: 'b0' }),
      row(20, 'workflowSuspended'),
      row(50, 'workflowResumed'),
    ];
    const t = buildTimeline(rows, { now: t0 + 100 });
    expect(t.suspensions).toEqual([{ from: t0 + 20, to: t0 + 50 }]);
    expect(t.current).toEqual(['/do/0/par/fork/branches/1/b']);
    expect(t.bars.find((b) => b.name === 'a')).toMatchObject({ outcome: 'completed', branch: 'b0' });
  });

  test('a skipped task is a zero-length bar', () => {
    const t = buildTimeline([row(0, 'taskSkipped', '/do/0/x', { task: 'x' })], { now: t0 + 5 });
    expect(t.bars).toMatchObject([{ name: 'x', outcome: 'skipped', start: t0, end: t0 }]);
  });
});

test('formatDuration', () => {
  expect([0, 340, 1200, 65_000, 3_720_000, 2 * 86_400_000 + 3 * 3_600_000].map(formatDuration)).toEqual(['0 ms', '340 ms', '1.2 s', '1 min 5 s', '1 h 2 min', '2 d 3 h']);
});

test('the Gantt SVG names each bar, its outcome and duration', async () => {
  const t = buildTimeline([row(0, 'taskStarted', '/do/0/a', { task: 'a' }), row(1500, 'taskFaulted', '/do/0/a', { task: 'a' })], { now: t0 + 2000, endedAt: t0 + 1500 });
  const svg = String(await renderTimelineSvg(t));
  expect(svg).toContain('<svg class="timeline" role="img" aria-label="Timeline: 1 task runs over 1.5 s"');
  expect(svg).toContain('<g class="bar outcome-faulted kind-task" data-pointer="/do/0/a"><title>a: faulted, 1.5 s</title>');
});
