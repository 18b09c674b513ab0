/**
 * Applies Weir's schema: the hand-written SQL installs (`sql/NN_*.sql`; NN < 50 before the drizzle
 * migrations, NN >= 50 after them) and drizzle-kit's migrations, all bundled in src/generated.
 *
 * Everything runs under one session advisory lock, so replicas that start together queue up
 * behind the first: exactly one applies, the others find the work done. The `sql` given must run
 * every statement on ONE session (a dedicated connection: `max: 1`, never a transaction pooler —
 * use WEIR_DIRECT_DATABASE_URL behind PgBouncer).
 */
import { migrations, sqlInstalls, type Migration, type SqlInstall } from '../generated/migrations.ts';
import { WeirError } from '../errors.ts';
import type { Sql } from './sql.ts';

/** pg_advisory_lock key: the bytes of "weirmigr" as a signed 64-bit integer. */
export const MIGRATION_LOCK_KEY = '8603398603344013170';

export interface MigrationReport {
  applied: string[];
  skipped: number;
}

interface Options {
  installs?: readonly SqlInstall[];
  migrations?: readonly Migration[];
}

export async function migrate(sql: Sql, options: Options = {}): Promise<MigrationReport> {
  const installs = options.installs ?? sqlInstalls;
  const steps = options.migrations ?? migrations;
  const applied: string[] = [];
  let skipped = 0;
  await sql`SELECT pg_advisory_lock(${MIGRATION_LOCK_KEY}::bigint)`;
  try {
    await sql.exec(`
      CREATE SCHEMA IF NOT EXISTS weir;
      CREATE TABLE IF NOT EXISTS weir.migrations (
        name text PRIMARY KEY,
        hash text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      );`);
    const done = new Map(
      (await sql<{ name: string; hash: string }>`SELECT name, hash FROM weir.migrations`).map((r) => [r.name, r.hash]),
    );
    // Every version of an install that was ever applied is remembered, so a replica whose version
    // a newer one superseded still finds its own (see migrationsCurrent).
    const remember = (q: Sql, key: string, hash: string) =>
      q`INSERT INTO weir.migrations (name, hash) VALUES (${`${key}@${hash}`}, ${hash}) ON CONFLICT (name) DO NOTHING`;
    const runInstall = async (install: SqlInstall) => {
      const key = `sql/${install.name}`;
      if (done.get(key) === install.hash) {
        // Installed before versions were remembered: remember this one now.
        if (!done.has(`${key}@${install.hash}`)) await remember(sql, key, install.hash);
        skipped++;
        return;
      }
      await sql.begin(async (tx) => {
        await tx.exec(install.sql);
        await tx`INSERT INTO weir.migrations (name, hash) VALUES (${key}, ${install.hash})
                 ON CONFLICT (name) DO UPDATE SET hash = EXCLUDED.hash, applied_at = now()`;
        await remember(tx, key, install.hash);
      });
      applied.push(key);
    };
    const before = installs.filter((i) => Number(i.name.slice(0, 2)) < 50);
    const after = installs.filter((i) => Number(i.name.slice(0, 2)) >= 50);
    for (const install of before) await runInstall(install);
    for (const step of steps) {
      const key = `drizzle/${step.tag}`;
      if (done.has(key)) {
        skipped++;
        continue;
      }
      await sql.begin(async (tx) => {
        for (const statement of step.statements) {
          // drizzle-kit emits a bare CREATE SCHEMA; the clock install created it already.
          await tx.exec(statement.replace(/^CREATE SCHEMA "weir";?$/, 'CREATE SCHEMA IF NOT EXISTS "weir";'));
        }
        await tx`INSERT INTO weir.migrations (name, hash) VALUES (${key}, ${step.hash})`;
      });
      applied.push(key);
    }
    for (const install of after) await runInstall(install);
  } catch (cause) {
    throw new WeirError('migration_failed', `migration failed: ${(cause as Error).message}`, { cause });
  } finally {
    await sql`SELECT pg_advisory_unlock(${MIGRATION_LOCK_KEY}::bigint)`.catch(() => {});
  }
  return { applied, skipped };
}

/**
 * True when every bundled migration and install is recorded: what /health/ready checks. An
 * install counts when this version of it is the current one or was applied before another
 * replaced it: during a rolling upgrade the new version re-installs `sql/` files (idempotent,
 * additive), and the old replicas still running must stay ready. A replica whose version was never
 * applied (it started before its own migrate ran) is not ready.
 */
export async function migrationsCurrent(sql: Sql): Promise<boolean> {
  const rows = await sql<{ name: string; hash: string }>`SELECT name, hash FROM weir.migrations`.catch(() => null);
  if (!rows) return false;
  const done = new Map(rows.map((r) => [r.name, r.hash]));
  return (
    sqlInstalls.every((i) => done.get(`sql/${i.name}`) === i.hash || done.has(`sql/${i.name}@${i.hash}`)) &&
    migrations.every((m) => done.has(`drizzle/${m.tag}`))
  );
}
