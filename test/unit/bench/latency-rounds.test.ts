/**
 * bench compare's latency cases take turns in rounds (bench/compare/measure.ts): every case runs
 * in every round, the order rotates so no case always runs first or last, and the samples add up
 * to what was asked for.
 */
import { describe, expect, test } from 'vitest';
import { latencySchedule } from '../../../bench/compare/measure.ts';
import { roundRatios } from '../../../bench/compare/report.ts';

describe('latency rounds', () => {
  test('every case in every round, the order rotated, the samples split evenly', () => {
    const plan = latencySchedule(['a', 'b', 'c'], 200, 4);
    expect(plan.map((p) => `${p.round}${p.item}${p.samples}`)).toEqual([
      '0a50', '0b50', '0c50',
      '1b50', '1c50', '1a50',
      '2c50', '2a50', '2b50',
      '3a50', '3b50', '3c50',
    ]);
  });

  test('a remainder goes to the first rounds; the totals are what was asked for', () => {
    const plan = latencySchedule(['a', 'b'], 10, 4);
    expect(plan.filter((p) => p.item === 'a').map((p) => p.samples)).toEqual([3, 3, 2, 2]);
    for (const c of ['a', 'b']) expect(plan.filter((p) => p.item === c).reduce((n, p) => n + p.samples, 0)).toBe(10);
  });

  test('one round is the plain sequential run; fewer samples than rounds is one round per sample', () => {
    expect(latencySchedule(['a', 'b'], 200, 1)).toEqual([
      { round: 0, item: 'a', samples: 200 },
      { round: 0, item: 'b', samples: 200 },
    ]);
    const few = latencySchedule(['a'], 2, 4);
    expect(few).toEqual([
      { round: 0, item: 'a', samples: 1 },
      { round: 1, item: 'a', samples: 1 },
    ]);
    expect(latencySchedule(['a'], 5, 0)).toEqual([{ round: 0, item: 'a', samples: 5 }]);
  });

  test('round ratios pair the rounds both cases ran', () => {
    expect(roundRatios([2, 3, 4], [4, 3])).toEqual([0.5, 1]);
    expect(roundRatios(undefined, [1])).toEqual([]);
  });
});
