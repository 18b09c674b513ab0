/** Which database errors start-up waits out (src/store/transient.ts). */
import { expect, test } from 'vitest';
import { WeirError } from '../../../src/errors.ts';
import { isTransientDbError, retryTransient } from '../../../src/store/transient.ts';

const pg = (code: string) => Object.assign(new Error(code), { name: 'PostgresError', code });

test('connection trouble is transient; mistakes are not', () => {
  for (const code of ['CONNECTION_CLOSED', 'CONNECTION_DESTROYED', 'CONNECT_TIMEOUT', 'ECONNREFUSED', 'ECONNRESET', '57P01', '57P03', '53300', '08006', '40P01']) {
    expect(isTransientDbError(pg(code)), code).toBe(true);
  }
  for (const code of ['28P01', '28000', '3D000', '42P07', '42601', 'ENOTFOUND']) expect(isTransientDbError(pg(code)), code).toBe(false);
  expect(isTransientDbError(new Error('boom'))).toBe(false);
  expect(isTransientDbError(undefined)).toBe(false);
  // A migration that failed because its connection dropped is transient; one whose SQL failed is not.
  expect(isTransientDbError(new WeirError('migration_failed', 'x', { cause: pg('CONNECTION_CLOSED') }))).toBe(true);
  expect(isTransientDbError(new WeirError('migration_failed', 'x', { cause: pg('42P07') }))).toBe(false);
  expect(isTransientDbError(new AggregateError([pg('ECONNREFUSED'), pg('ECONNREFUSED')]))).toBe(true);
  expect(isTransientDbError(new AggregateError([pg('ECONNREFUSED'), pg('28P01')]))).toBe(false);
});

test('retryTransient retries transient failures with back-off and rethrows the rest', async () => {
  let calls = 0;
  const seen: number[] = [];
  const value = await retryTransient(
    async () => {
      if (++calls < 3) throw pg('57P01');
      return 'up';
    },
    { deadlineMs: 10_000, initialDelayMs: 1, onRetry: (_e, attempt) => seen.push(attempt) },
  );
  expect({ value, calls, seen }).toEqual({ value: 'up', calls: 3, seen: [1, 2] });
  let fatal = 0;
  await expect(retryTransient(async () => { fatal++; throw pg('28P01'); }, { deadlineMs: 10_000, initialDelayMs: 1 })).rejects.toThrow('28P01');
  expect(fatal).toBe(1);
  let timedOut = 0;
  await expect(retryTransient(async () => { timedOut++; throw pg('ECONNREFUSED'); }, { deadlineMs: 0, initialDelayMs: 1 })).rejects.toThrow('ECONNREFUSED');
  expect(timedOut).toBe(1);
});
