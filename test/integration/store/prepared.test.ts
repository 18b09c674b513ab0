/**
 * Prepared statements on the postgres.js adapter (src/store/postgres-js.ts): tagged templates are
 * prepared per connection (one round trip each), caller-built text is not, and a statement that a
 * newer version's migration invalidated (`SELECT *` after `ADD COLUMN`) runs again instead of
 * failing — alone, and inside a transaction, which runs again as a whole.
 */
import { afterEach, beforeEach, expect, test } from 'vitest';
import { openPostgres, type PostgresHandle } from '../../../src/store/postgres-js.ts';
import { useTestDatabase } from '../../support/db.ts';

const db = useTestDatabase();
let handle: PostgresHandle;
let other: PostgresHandle;

beforeEach(async () => {
  // One connection, so the statement prepared first is the one the second call meets.
  handle = openPostgres({ url: db.current.url, max: 1, prepare: true });
  other = openPostgres({ url: db.current.url, max: 1, prepare: false });
  await other.sql.unsafe('DROP TABLE IF EXISTS prep_t');
  await other.sql.unsafe('CREATE TABLE prep_t (id int PRIMARY KEY, a text)');
  await other.sql.unsafe(`INSERT INTO prep_t VALUES (1, 'x')`);
});

afterEach(async () => {
  await handle.close(1);
  await other.close(1);
});

const preparedTexts = async (): Promise<string[]> => {
  const rows = await handle.sql<{ statement: string }>`SELECT statement FROM pg_prepared_statements`;
  return rows.map((r) => r.statement);
};

test('tagged templates are prepared on the connection; unsafe text is not', async () => {
  await handle.sql`SELECT a FROM prep_t WHERE id = ${1}::int`;
  await handle.sql.unsafe('SELECT a AS unsafe_marker FROM prep_t WHERE id = $1::int', [1]);
  const texts = await preparedTexts();
  expect(texts.some((t) => t.includes('SELECT a FROM prep_t WHERE id = $1::int'))).toBe(true);
  expect(texts.some((t) => t.includes('unsafe_marker'))).toBe(false);
});

test('WEIR_DB_PREPARE=false (prepare: false) prepares nothing (PgBouncer in transaction mode)', async () => {
  const plain = openPostgres({ url: db.current.url, max: 1, prepare: false });
  try {
    await plain.sql`SELECT a FROM prep_t WHERE id = ${1}::int`;
    const rows = await plain.sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_prepared_statements`;
    expect(rows[0].n).toBe(0);
  } finally {
    await plain.close(1);
  }
});

test('a statement prepared before ADD COLUMN runs again with the new column (outside a transaction)', async () => {
  const read = () => handle.sql`SELECT * FROM prep_t WHERE id = ${1}::int`;
  expect(Object.keys((await read())[0]).sort()).toEqual(['a', 'id']);
  await other.sql.unsafe(`ALTER TABLE prep_t ADD COLUMN b text DEFAULT 'new'`);
  const [row] = await read();
  expect(row).toEqual({ id: 1, a: 'x', b: 'new' });
});

test('stale statements pipelined on one connection all settle, each with the new columns', async () => {
  // The driver's own re-run of a stale statement hung a connection when a second query of the same
  // statement was pipelined behind it (scripts/patch-deps.mjs); this never settled before the patch.
  const q = (id: number) => handle.sql`SELECT * FROM prep_t WHERE id = ${id}::int`;
  const named = (id: number) => handle.sql`SELECT id, a FROM prep_t WHERE id = ${id}::int`;
  await other.sql.unsafe(`INSERT INTO prep_t VALUES (2, 'y')`);
  await q(1);
  await named(1);
  await other.sql.unsafe(`ALTER TABLE prep_t ADD COLUMN b text DEFAULT 'new'`);
  const settled = await Promise.race([
    Promise.all([q(1), named(2), q(2), named(1), q(1)]),
    new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 10_000).unref()),
  ]);
  expect(settled).toEqual([
    [{ id: 1, a: 'x', b: 'new' }],
    [{ id: 2, a: 'y' }],
    [{ id: 2, a: 'y', b: 'new' }],
    [{ id: 1, a: 'x' }],
    [{ id: 1, a: 'x', b: 'new' }],
  ]);
});

test('a transaction whose prepared statement went stale under a migration runs again and commits once', async () => {
  let runs = 0;
  const tx = () =>
    handle.sql.begin(async (t) => {
      runs++;
      await t`UPDATE prep_t SET a = a || '+' WHERE id = ${1}::int`;
      const [row] = await t`SELECT * FROM prep_t WHERE id = ${1}::int`;
      return row;
    });
  expect(await tx()).toEqual({ id: 1, a: 'x+' });
  expect(runs).toBe(1);
  await other.sql.unsafe(`ALTER TABLE prep_t ADD COLUMN b text DEFAULT 'new'`);
  // The first try fails with "cached plan must not change result type" and rolls back (its
  // UPDATE with it); the second commits: one '+' more, not two.
  expect(await tx()).toEqual({ id: 1, a: 'x++', b: 'new' });
  expect(runs).toBe(3);
  const [after] = await other.sql.unsafe<{ a: string }>('SELECT a FROM prep_t WHERE id = 1');
  expect(after.a).toBe('x++');
});

test('errors that are not a stale plan are not retried', async () => {
  let runs = 0;
  await expect(
    handle.sql.begin(async (t) => {
      runs++;
      await t`SELECT * FROM prep_missing_table WHERE id = ${1}::int`;
    }),
  ).rejects.toMatchObject({ code: '42P01' });
  expect(runs).toBe(1);
});
