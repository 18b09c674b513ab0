/**
 * Opens Weir's store from the config: postgres.js over DATABASE_URL, or embedded PGlite in
 * WEIR_DATA_DIR. The caller that opens PGlite from a process must hold the data-directory lock
 * (src/runtime/data-dir-lock.ts) first: two processes on one PGlite directory corrupt it.
 */
import type { Config } from '../config.ts';
import { migrate, migrationsCurrent, type MigrationReport } from './migrate.ts';
import { openPglite } from './pglite.ts';
import { openPostgres } from './postgres-js.ts';
import type { Sql } from './sql.ts';

export interface Store {
  readonly driver: Sql['driver'];
  readonly sql: Sql;
  /** Applies migrations under the advisory lock, on a dedicated session (the direct URL). */
  migrate(): Promise<MigrationReport>;
  /** Reachable and migrated: what /health/ready reports. */
  check(): Promise<{ ok: true } | { ok: false; reason: string }>;
  close(): Promise<void>;
}

export interface OpenOptions {
  poolMax: number;
  applicationName?: string;
}

export async function openStore(database: Config['database'], options: OpenOptions): Promise<Store> {
  if (database.kind === 'pglite') {
    const handle = await openPglite(database.dataDir);
    return makeStore(handle.sql, () => migrate(handle.sql), () => handle.close());
  }
  const handle = openPostgres({
    url: database.url,
    max: options.poolMax,
    prepare: database.prepare,
    applicationName: options.applicationName ?? 'weir',
  });
  const runMigrations = async () => {
    const direct = openPostgres({ url: database.directUrl, max: 1, prepare: false, applicationName: 'weir-migrate' });
    try {
      return await migrate(direct.sql);
    } finally {
      await direct.close();
    }
  };
  return makeStore(handle.sql, runMigrations, () => handle.close());
}

function makeStore(sql: Sql, runMigrations: () => Promise<MigrationReport>, close: () => Promise<void>): Store {
  return {
    driver: sql.driver,
    sql,
    migrate: runMigrations,
    async check() {
      try {
        await sql`SELECT 1`;
      } catch (error) {
        return { ok: false, reason: `database unreachable: ${(error as Error).message}` };
      }
      return (await migrationsCurrent(sql)) ? { ok: true } : { ok: false, reason: 'migrations are not current: run `weir migrate`' };
    },
    close,
  };
}
