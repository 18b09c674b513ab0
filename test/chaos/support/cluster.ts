/**
 * Databases for the battery. Scenarios that restart Postgres, kill its backends or need a small
 * `max_connections` get a cluster of their own (startLocalCluster), even when DATABASE_URL is set:
 * doing that to a shared server would break every other test. The rest clone the run's template.
 */
import { migrate } from '../../../src/store/migrate.ts';
import { openPostgres, type PostgresHandle } from '../../../src/store/postgres-js.ts';
import type { Sql } from '../../../src/store/sql.ts';
import { startLocalCluster, withDatabase, type LocalCluster, type LocalClusterOptions } from '../../support/pg-cluster.ts';
import { sleep } from './mode.ts';

export interface OwnDatabase {
  cluster: LocalCluster;
  /** URL of the migrated `weir` database in the cluster. */
  url: string;
  /** The test's own connections (application_name `chaos-test`: foreign to the budget guard). */
  sql: Sql;
  handle: PostgresHandle;
  stop(): Promise<void>;
}

export async function ownDatabase(options: LocalClusterOptions = {}): Promise<OwnDatabase> {
  const cluster = await startLocalCluster(options);
  try {
    const admin = openPostgres({ url: cluster.url, max: 1, prepare: false, applicationName: 'chaos-admin' });
    try {
      await admin.sql.unsafe('CREATE DATABASE weir');
    } finally {
      await admin.close();
    }
    const url = withDatabase(cluster.url, 'weir');
    const m = openPostgres({ url, max: 1, prepare: false, applicationName: 'chaos-admin' });
    try {
      await migrate(m.sql);
    } finally {
      await m.close();
    }
    const handle = openPostgres({ url, max: 2, prepare: false, applicationName: 'chaos-test' });
    return {
      cluster,
      url,
      sql: handle.sql,
      handle,
      stop: async () => {
        await handle.close(1).catch(() => {});
        await cluster.stop();
      },
    };
  } catch (error) {
    await cluster.stop();
    throw error;
  }
}

/** Runs `fn`, retrying while the database is away (restart, terminated backend), up to `ms`. */
export async function retrying<T>(fn: () => Promise<T>, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      return await fn();
    } catch (error) {
      if (Date.now() > end) throw error;
      await sleep(200);
    }
  }
}
