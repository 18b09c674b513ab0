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
