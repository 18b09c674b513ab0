/** `?wait=`'s pauses between reads (src/api/routes/instances.ts waitPauses). */
import { expect, test } from 'vitest';
import { waitPauses } from '../../../src/api/routes/instances.ts';

test('2 ms first, doubling to 500 ms, adding up to the wait exactly', () => {
  expect(waitPauses(5000)).toEqual([2, 4, 8, 16, 32, 64, 128, 256, 500, 500, 500, 500, 500, 500, 500, 500, 490]);
  for (const ms of [1, 3, 1000, 30_000]) {
    const p = waitPauses(ms);
    expect(p.reduce((a, b) => a + b, 0)).toBe(ms);
    expect(Math.max(...p)).toBeLessThanOrEqual(500);
  }
  expect(waitPauses(0)).toEqual([]);
});
