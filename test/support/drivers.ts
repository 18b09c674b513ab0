/**
 * The drivers every store contract suite runs on: the test Postgres (a cloned database per file)
 * and an in-memory PGlite migrated with the same bundled migrations.
 */
import { afterAll, beforeAll } from 'vitest';
import { openPglite } from '../../src/store/pglite.ts';
import { migrate } from '../../src/store/migrate.ts';
import type { Sql } from '../../src/store/sql.ts';
import { createTestDatabase, dropTestDatabase, type TestDatabase } from './db.ts';

export interface DriverUnderTest {
  name: 'postgres' | 'pglite';
  /** Available inside tests and hooks. */
  readonly sql: Sql;
  /** Opens another, independent session to the same database (postgres only; pglite returns the same one). */
  connect(): Promise<{ sql: Sql; close(): Promise<void> }>;
}

export const driverNames = ['postgres', 'pglite'] as const;

export function useDriver(name: (typeof driverNames)[number]): DriverUnderTest {
  let sql: Sql | undefined;
  let close: (() => Promise<void>) | undefined;
  let db: TestDatabase | undefined;
  beforeAll(async () => {
    if (name === 'postgres') {
      db = await createTestDatabase();
      sql = db.sql;
      close = () => dropTestDatabase(db as TestDatabase);
    } else {
      const handle = await openPglite();
      await migrate(handle.sql);
      sql = handle.sql;
      close = () => handle.close();
    }
  });
  afterAll(async () => {
    await close?.();
  });
  return {
    name,
    get sql() {
      if (!sql) throw new Error('driver not ready');
      return sql;
    },
    async connect() {
      if (name === 'pglite' || !db) return { sql: sql as Sql, close: async () => {} };
      const { openPostgres } = await import('../../src/store/postgres-js.ts');
      const h = openPostgres({ url: db.url, max: 2, prepare: true });
      return { sql: h.sql, close: () => h.close() };
    },
  };
}
