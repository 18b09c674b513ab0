/** LISTEN that cannot be set up at start-up is tried again in the background (src/runtime/start.ts). */
import { expect, test } from 'vitest';
import { createLogger } from '../../../src/log.ts';
import { listenWithRetry } from '../../../src/runtime/start.ts';

test('a failed LISTEN is retried with back-off until it works, with one warning; stop ends it', async () => {
  const lines: { level: string; msg: string }[] = [];
  const log = createLogger('info', {}, (l) => lines.push(JSON.parse(l)));
  let tries = 0;
  let unlistened = 0;
  let listening!: () => void;
  const up = new Promise<void>((r) => (listening = r));
  const stop = await listenWithRetry(
    async () => {
      if (++tries < 4) throw Object.assign(new Error('write CONNECTION_CLOSED'), { code: 'CONNECTION_CLOSED' });
      listening();
      return async () => void unlistened++;
    },
    log,
    5,
  );
  expect(tries).toBe(1); // the first try is awaited, the rest run behind
  await up;
  await new Promise((r) => setTimeout(r, 0));
  expect(tries).toBe(4);
  expect(lines.filter((l) => l.level === 'warn').map((l) => l.msg)).toEqual(['LISTEN unavailable: polling until it can be set up']);
  expect(lines.some((l) => l.msg === 'LISTEN set up: wake-ups resume')).toBe(true);
  await stop();
  expect(unlistened).toBe(1);
});

test('stopping while LISTEN is still failing cancels the retries', async () => {
  let tries = 0;
  const stop = await listenWithRetry(async () => {
    tries++;
    throw new Error('down');
  }, createLogger('silent'), 5);
  await stop();
  const after = tries;
  await new Promise((r) => setTimeout(r, 50));
  expect(tries).toBe(after);
});
