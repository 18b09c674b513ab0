import { expect, test } from 'vitest';
import { Lifecycle } from '../../../src/lifecycle.ts';

test('lifecycle moves created → starting → running → draining → stopped and aborts on draining', () => {
  const l = new Lifecycle();
  l.to('starting');
  l.to('running');
  expect(l.accepting).toBe(true);
  expect(l.signal.aborted).toBe(false);
  l.to('draining');
  expect(l.signal.aborted).toBe(true);
  expect(l.accepting).toBe(false);
  l.to('stopped');
});

test('an illegal move throws', () => {
  const l = new Lifecycle();
  expect(() => l.to('running')).toThrow('illegal lifecycle move created → running');
  l.to('stopped');
  expect(() => l.to('starting')).toThrow(/stopped → starting/);
});
