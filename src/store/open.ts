/**
 * Opens Weir's store from the config: postgres.js over DATABASE_URL, or embedded PGlite in
 * WEIR_DATA_DIR. The caller that opens PGlite from a process must hold the data-directory lock
 * (src/runtime/data-dir-lock.ts) first: two processes on one PGlite directory corrupt it.
 */
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import { BudgetGuard, type BudgetReading } from './budget.ts';
import { Gate } from './gate.ts';
import { listenPglite, listenPostgres, type Unlisten, type Wake } from './notify.ts';
import { migrate, migrationsCurrent, type MigrationReport } from './migrate.ts';
import { openPglite, type PgliteExtraOptions } from './pglite.ts';
import { openPostgres } from './postgres-js.ts';
import type { Sql } from './sql.ts';

export interface Store {
  readonly driver: Sql['driver'];
  readonly sql: Sql;
  /** Applies migrations under the advisory lock, on a dedicated session (the direct URL). */
  migrate(): Promise<MigrationReport>;
  /**
   * Registers this replica with the connection-budget guard and sets its pool limit (Postgres only;
   * a no-op on PGlite). Throws when the budget cannot give WEIR_DB_POOL_MIN connections.
   */
  startBudget(): Promise<BudgetReading | undefined>;
  /** The guard's gate: permits in use and the current limit (metrics, tests). */
  readonly gate?: Gate;
  readonly budget?: BudgetGuard;
  /**
   * LISTEN for wake-ups (DESIGN §6): calls `onWake` when work is enqueued anywhere — with the
   * queue, and for a small start what its first activation needs (notify.ts `StartWake`).
   */
  listen(onWake: (wake: Wake) => void): Promise<Unlisten>;
  /** Reachable and migrated: what /health/ready reports. */
  check(): Promise<{ ok: true } | { ok: false; reason: string }>;
  close(): Promise<void>;
}

export interface OpenOptions {
  poolMax: number;
  /** Extra PGlite options, resolved when PGlite opens (the single binary's embedded files). */
  pglite?: () => Promise<PgliteExtraOptions>;
  applicationName?: string;
  /** The connection-budget guard (Postgres): without it the pool is `poolMax` unguarded. */
  guard?: {
    replicaId: string;
    roles: string;
    pool: Config['pool'];
    heartbeatMs: number;
    log: Logger;
  };
}

export async function openStore(database: Config['database'], options: OpenOptions): Promise<Store> {
  if (database.kind === 'pglite') {
    const handle = await openPglite(database.dataDir, options.pglite ? await options.pglite() : {});
    return { ...makeStore(handle.sql, () => migrate(handle.sql), () => handle.close()), listen: (onWake) => listenPglite(handle.client, onWake) };
  }
  const g = options.guard;
  // Our connections carry the replica id, so the guard can tell them from everyone else's.
  const applicationName = g ? `weir:${g.replicaId}` : (options.applicationName ?? 'weir');
  const gate = g ? new Gate(1) : undefined;
  const handle = openPostgres({
    url: database.url,
    max: options.poolMax,
    prepare: database.prepare,
    applicationName,
    ...(gate ? { gate } : {}),
  });
  const guard =
    g && gate
      ? new BudgetGuard(
          handle.sql,
          gate,
          {
            replicaId: g.replicaId,
            applicationName,
            roles: g.roles,
            poolMax: options.poolMax,
            poolMin: g.pool.min,
            ...(g.pool.budget ? { budget: g.pool.budget } : {}),
            reserve: g.pool.reserve,
            heartbeatMs: g.heartbeatMs,
            // Each replica's LISTEN session (store.listen) is a connection outside its pool.
            sessionsPerReplica: 1,
          },
          g.log,
          () => handle.shrink(),
        )
      : undefined;
  const runMigrations = async () => {
    // Migrations may legitimately run long (and wait on the migration lock): no stuck-statement watchdog.
    const direct = openPostgres({ url: database.directUrl, max: 1, prepare: false, applicationName: 'weir-migrate', stuckMs: 0 });
    let failed = false;
    try {
      return await migrate(direct.sql);
    } catch (error) {
      failed = true;
      throw error;
    } finally {
      // After a failure (a dropped connection) a graceful end waits out its 5 s for a session
      // that is gone; start-up retries at once instead.
      await direct.close(failed ? 0 : 5);
    }
  };
  const store = makeStore(handle.sql, runMigrations, async () => {
    await guard?.stop();
    await handle.close();
  });
  return {
    ...store,
    ...(gate ? { gate } : {}),
    ...(guard ? { budget: guard } : {}),
    startBudget: async () => guard?.start(),
    listen: (onWake) => listenPostgres(database.directUrl, `weir-listen:${g?.replicaId ?? 'anon'}`, onWake),
  };
}

function makeStore(sql: Sql, runMigrations: () => Promise<MigrationReport>, close: () => Promise<void>): Omit<Store, 'listen'> {
  return {
    driver: sql.driver,
    sql,
    migrate: runMigrations,
    startBudget: async () => undefined,
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
