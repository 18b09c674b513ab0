/**
 * Wake-up payloads (src/store/notify.ts): a queue name, or a start's JSON (`StartWake`). Anything
 * else on the channel — any session may NOTIFY it — is a plain wake-up, never an error.
 */
import { expect, test } from 'vitest';
import { parseWake } from '../../../src/store/notify.ts';

const start = { q: 'jobs', m: 7, t: 1767225600123, i: '0190c6b0-0000-7000-8000-000000000001', ns: 'n', wf: 'w', v: '1.0.0', in: { a: [1, 'ü'] } };

test('a queue name is a plain wake-up of that queue', () => {
  expect(parseWake('weir_default')).toEqual({ queue: 'weir_default' });
});

test("a start's payload gives its message, clock and instance", () => {
  expect(parseWake(JSON.stringify(start))).toEqual({
    queue: 'jobs',
    start: { queue: 'jobs', msgId: 7, now: 1767225600123, instance: { id: start.i, namespace: 'n', workflowName: 'w', workflowVersion: '1.0.0', input: { a: [1, 'ü'] } } },
  });
  const { in: _, ...noInput } = start;
  expect(parseWake(JSON.stringify(noInput)).start?.instance.input).toBeNull();
});

test('a malformed or partial payload wakes its queue (if it names one) and carries no start', () => {
  expect(parseWake('{not json')).toEqual({ queue: '' });
  expect(parseWake('{"m":1}')).toEqual({ queue: '' });
  expect(parseWake('{"q":5}')).toEqual({ queue: '' });
  expect(parseWake('{"q":"jobs"}')).toEqual({ queue: 'jobs' });
  for (const bad of [{ m: -1 }, { m: 1.5 }, { m: '7' }, { t: 'now' }, { t: null }, { i: '' }, { ns: 3 }, { wf: null }, { v: undefined }]) {
    expect(parseWake(JSON.stringify({ ...start, ...bad }))).toEqual({ queue: 'jobs' });
  }
  expect(parseWake('null')).toEqual({ queue: 'null' });
});
