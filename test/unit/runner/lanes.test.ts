/** Lanes: which activation performs which call of a fork (src/runner/lanes.ts). */
import { describe, expect, test } from 'vitest';
import type { InstanceState } from '../../../src/engine/types.ts';
import type { HttpEffect } from '../../../src/runner/checkpoint.ts';
import { assignLanes, laneOf, mergePending, owns } from '../../../src/runner/lanes.ts';

const call = (id: string, branch?: string): HttpEffect => ({
  kind: 'http',
  id,
  task: '/do/0/f',
  request: { method: 'GET', url: 'http://x/', headers: {} },
  idempotencyKey: `i:${id}`,
  ...(branch ? { branch } : {}),
});
const waiting = (...ids: string[]) => ({ waits: Object.fromEntries(ids.map((id) => [id, { kind: 'http', thread: 'main', fid: 1 }])) }) as unknown as InstanceState;

describe('lanes', () => {
  test('the first branch stays on the activation; every other branch gets its own lane and one branch message', () => {
    const r = assignLanes([call('h1', 'b2.0'), call('h2', 'b2.1'), call('h3', 'b2.1'), call('h4', 'b2.2')], 'start:i', 'i');
    expect(r.calls.map((c) => [c.id, c.lane])).toEqual([
      ['h1', 'start:i'],
      ['h2', 'branch:h2'],
      ['h3', 'branch:h2'],
      ['h4', 'branch:h4'],
    ]);
    expect(r.messages).toEqual([
      { instance: 'i', kind: 'branch', target: 'h2' },
      { instance: 'i', kind: 'branch', target: 'h4' },
    ]);
    expect(laneOf(r.messages[0])).toBe('branch:h2');
  });

  test('calls of one thread are never split', () => {
    const r = assignLanes([call('h1'), call('h2')], 'timer:t', 'i');
    expect(r.messages).toEqual([]);
    expect(r.calls.every((c) => c.lane === 'timer:t')).toBe(true);
  });

  test('pending keeps every lane, once each, and only calls still awaited', () => {
    const base = [{ ...call('h1'), lane: 'a' }, { ...call('h2'), lane: 'b' }];
    const merged = mergePending(base, [{ ...call('h2'), lane: 'b' }, { ...call('h3'), lane: 'a' }], waiting('h2', 'h3'));
    expect(merged.map((c) => c.id)).toEqual(['h2', 'h3']);
  });

  test('an activation performs its own lanes and calls written without a lane', () => {
    const mine = new Set(['branch:h2']);
    expect(owns(mine, { ...call('h2'), lane: 'branch:h2' })).toBe(true);
    expect(owns(mine, { ...call('h1'), lane: 'start:i' })).toBe(false);
    expect(owns(mine, call('h0'))).toBe(true);
  });
});
