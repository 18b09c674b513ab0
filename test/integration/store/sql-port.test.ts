/**
 * The `Sql` port behaves the same on both drivers: parameters, JSON, int8, transactions,
 * savepoints, and the database clock that tests move instead of sleeping.
 */
import { describe, expect, test } from 'vitest';
import { json } from '../../../src/store/sql.ts';
import { driverNames, useDriver } from '../../support/drivers.ts';

describe.each(driverNames)('Sql port on %s', (driverName) => {
  const driver = useDriver(driverName);

  test('parameters, JSON values and int8 round-trip identically', async () => {
    const doc = { a: [1, 2, { b: 'x' }], s: "it's; DROP TABLE x --", n: null, u: 'ü' };
    const [row] = await driver.sql<{ j: unknown; s: string; big: number; t: string }>`
      SELECT ${json(doc)}::jsonb AS j, ${'plain'}::text AS s, ${9007199254740991n}::int8 AS big, ${json('a string')}::jsonb #>> '{}' AS t`;
    expect(row.j).toEqual(doc);
    expect(row.s).toBe('plain');
    expect(row.big).toBe(Number.MAX_SAFE_INTEGER);
    expect(row.t).toBe('a string');
  });

  test('a throwing transaction rolls back; a nested one rolls back only itself', async () => {
    await driver.sql`CREATE TABLE IF NOT EXISTS t_port (v int)`;
    await expect(
      driver.sql.begin(async (tx) => {
        await tx`INSERT INTO t_port VALUES (1)`;
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    await driver.sql.begin(async (tx) => {
      await tx`INSERT INTO t_port VALUES (2)`;
      await tx.begin(async (inner) => {
        await inner`INSERT INTO t_port VALUES (3)`;
        throw new Error('inner');
      }).catch(() => {});
    });
    const rows = await driver.sql<{ v: number }>`SELECT v FROM t_port ORDER BY v`;
    expect(rows.map((r) => r.v)).toEqual([2]);
  });

  test('weir.now() follows the server clock and is moved by the clock table, for every session', async () => {
    const [{ drift }] = await driver.sql<{ drift: number }>`SELECT abs(extract(epoch FROM weir.now() - clock_timestamp())) AS drift`;
    expect(Number(drift)).toBeLessThan(1);
    await driver.sql`SELECT weir.set_fake_now('2030-01-01T00:00:00Z')`;
    const other = await driver.connect();
    try {
      const [a] = await other.sql<{ t: Date }>`SELECT weir.now() AS t`;
      expect(new Date(a.t).toISOString()).toBe('2030-01-01T00:00:00.000Z');
      await driver.sql`SELECT weir.advance_clock('1 hour')`;
      const [b] = await other.sql<{ t: Date }>`SELECT weir.now() AS t`;
      expect(new Date(b.t).toISOString()).toBe('2030-01-01T01:00:00.000Z');
      await driver.sql`SELECT weir.set_fake_now(NULL)`;
      await driver.sql`SELECT weir.advance_clock('7 days')`;
      const [{ ahead }] = await other.sql<{ ahead: number }>`SELECT extract(epoch FROM weir.now() - clock_timestamp()) AS ahead`;
      expect(Number(ahead)).toBeGreaterThan(7 * 86400 - 5);
    } finally {
      await driver.sql`SELECT weir.reset_clock()`;
      await other.close();
    }
  });
});
