/** DigestCache (src/api/auth.ts): a key presented again is not hashed again; bounded, LRU. */
import { expect, test } from 'vitest';
import { DigestCache } from '../../../src/api/auth.ts';
import { sha256Hex } from '../../../src/crypto.ts';

test('the same key gives the same digest, computed once; the least recently used goes first', async () => {
  const d = new DigestCache(2);
  const a = d.of('weir_a');
  expect(await a).toBe(await sha256Hex('weir_a'));
  expect(d.of('weir_a')).toBe(a);
  const b = d.of('weir_b');
  d.of('weir_a'); // a is now the most recent
  d.of('weir_c'); // evicts b
  expect(d.cached).toBe(2);
  expect(d.of('weir_a')).toBe(a);
  expect(d.of('weir_b')).not.toBe(b);
  expect(await d.of('weir_b')).toBe(await b);
});

test('a key over 256 characters is hashed but not kept', async () => {
  const d = new DigestCache();
  const long = 'x'.repeat(257);
  expect(await d.of(long)).toBe(await sha256Hex(long));
  expect(d.cached).toBe(0);
});
