import { expect, test } from 'vitest';
import { uuidv7 } from '../../../src/store/uuid.ts';

test('uuidv7: RFC 9562 layout with the millisecond timestamp first', () => {
  const id = uuidv7(0x0123456789ab);
  expect(id).toMatch(/^01234567-89ab-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});

test('uuidv7: ids made in one millisecond still sort in creation order', () => {
  const ids = Array.from({ length: 5000 }, () => uuidv7(1_700_000_000_000));
  expect([...ids].sort()).toEqual(ids);
  expect(new Set(ids).size).toBe(ids.length);
});

test('uuidv7: random bits differ from id to id, across refills of the random pool', () => {
  // 1,000 ids use 10,000 random bytes: the 4 KiB pool is refilled twice.
  const tails = Array.from({ length: 1000 }, (_, i) => uuidv7(2_000_000_000_000 + i).slice(19));
  expect(new Set(tails).size).toBe(tails.length);
  for (const t of tails) expect(t).toMatch(/^[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});

// Last: ids are monotonic per process, so a later, smaller timestamp would read this one.
test('uuidv7: the timestamp is the 48 bits of the millisecond, high and low halves', () => {
  const ms = 0xfedcba987654;
  expect(uuidv7(ms).slice(0, 13)).toBe('fedcba98-7654');
  expect(uuidv7(ms + 0x1_0000_0000).slice(0, 13)).toBe('feddba98-7654');
});
