/**
 * Per-file test databases: `CREATE DATABASE … TEMPLATE` from the migrated template, so each file
 * starts from a clean, migrated schema in milliseconds. A file whose tests failed keeps its
 * database (its name is printed) for inspection; on a throwaway local cluster it goes with the cluster.
 */
import { afterAll, beforeAll, beforeEach, inject } from 'vitest';
import { openPostgres, type PostgresHandle } from '../../src/store/postgres-js.ts';
import type { Sql } from '../../src/store/sql.ts';
import { withDatabase } from './pg-cluster.ts';

export interface TestDatabase {
  name: string;
  url: string;
  sql: Sql;
  handle: PostgresHandle;
}

export async function createTestDatabase(max = 10): Promise<TestDatabase> {
  const adminUrl = inject('pgAdminUrl');
  const name = `weir_t_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = openPostgres({ url: adminUrl, max: 1, prepare: false });
  try {
    await admin.sql.unsafe(`CREATE DATABASE ${name} TEMPLATE ${inject('pgTemplate')}`);
  } finally {
    await admin.close();
  }
  const url = withDatabase(adminUrl, name);
  const handle = openPostgres({ url, max, prepare: true });
  return { name, url, sql: handle.sql, handle };
}

export async function dropTestDatabase(db: TestDatabase): Promise<void> {
  await db.handle.close();
  const admin = openPostgres({ url: inject('pgAdminUrl'), max: 1, prepare: false });
  try {
    await admin.sql.unsafe(`DROP DATABASE IF EXISTS ${db.name} WITH (FORCE)`);
  } finally {
    await admin.close();
  }
}

/** Registers hooks: a fresh database for this file, dropped afterwards unless a test failed. */
export function useTestDatabase(max = 10): { readonly current: TestDatabase } {
  let db: TestDatabase | undefined;
  let failed = false;
  beforeAll(async () => {
    db = await createTestDatabase(max);
  });
  beforeEach((ctx) => {
    ctx.onTestFailed(() => {
      failed = true;
    });
  });
  afterAll(async () => {
    if (!db) return;
    if (failed) {
      await db.handle.close();
      console.warn(`kept database ${db.name} for inspection (${db.url})`);
    } else {
      await dropTestDatabase(db);
    }
  });
  return {
    get current() {
      if (!db) throw new Error('test database not ready: use it inside a test or hook');
      return db;
    },
  };
}
