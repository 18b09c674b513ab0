/**
 * The stuck-statement watchdog (src/store/postgres-js.ts): a statement that never settles (here
 * pg_sleep; in production, a connection whose peer dropped the traffic without closing it) is
 * rejected after `stuckMs` by replacing the client, and the next statement runs on a fresh one.
 */
import { expect, test } from 'vitest';
import { openPostgres } from '../../../src/store/postgres-js.ts';
import { Gate } from '../../../src/store/gate.ts';
import { useTestDatabase } from '../../support/db.ts';

const db = useTestDatabase();

test('a statement stuck past stuckMs is rejected, its permit comes back, and the next statement works', async () => {
  const gate = new Gate(1);
  const handle = openPostgres({ url: db.current.url, max: 2, prepare: false, gate, stuckMs: 500 });
  try {
    const first = handle.client;
    const began = Date.now();
    await expect(handle.sql`SELECT pg_sleep(30)`).rejects.toMatchObject({ code: expect.stringMatching(/CONNECTION_(DESTROYED|ENDED|CLOSED)/) });
    expect(Date.now() - began).toBeLessThan(20_000);
    expect(gate.inUse).toBe(0);
    expect(handle.client).not.toBe(first);
    const [row] = await handle.sql<{ ok: number }>`SELECT 1 AS ok`;
    expect(row.ok).toBe(1);
  } finally {
    await handle.close(1);
  }
});

test('stuckMs 0 turns the watchdog off (migrations may run long)', async () => {
  const handle = openPostgres({ url: db.current.url, max: 1, prepare: false, stuckMs: 0 });
  try {
    const first = handle.client;
    await handle.sql`SELECT pg_sleep(1)`;
    expect(handle.client).toBe(first);
  } finally {
    await handle.close(1);
  }
});
