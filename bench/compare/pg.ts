/**
 * The one Postgres server every system runs on, and what the comparison reads from it: server
 * settings, a migrated template database per system (each run gets a fresh clone, so one run's
 * bloat never biases the next), transaction and WAL counters, and live connection counts.
 */
import postgres from 'postgres';
import { cpus, totalmem } from 'node:os';
import { findPgBin, provisionPostgres, startLocalCluster, withDatabase, type PgServer } from '../../test/support/pg-cluster.ts';

export type Pg = postgres.Sql;

export interface Server {
  url: string;
  kind: PgServer['kind'];
  admin: Pg;
  settings: Record<string, string>;
  /** pg_stat_statements is loaded and queryable from the admin database. */
  statements: boolean;
  stop(): Promise<void>;
}

/** Connects to a database with postgres.js, quietly (no NOTICE logging). */
export function connect(url: string, max = 1, applicationName = 'cmp-bench'): Pg {
  return postgres(url, { max, onnotice: () => {}, connection: { application_name: applicationName } });
}

/**
 * DATABASE_URL's server when set; else a throwaway local cluster (the tests' settings: fsync and
 * synchronous_commit off) with pg_stat_statements preloaded for profiling; else a container.
 */
export async function startServer(): Promise<Server> {
  const server: PgServer = !process.env.DATABASE_URL && findPgBin()
    ? await startLocalCluster({ settings: { shared_preload_libraries: 'pg_stat_statements', 'pg_stat_statements.track': 'all' } })
    : await provisionPostgres();
  const admin = connect(server.url, 2, 'cmp-observer');
  const names = ['server_version', 'shared_buffers', 'synchronous_commit', 'fsync', 'full_page_writes', 'max_connections', 'wal_level', 'work_mem', 'max_wal_size', 'shared_preload_libraries'];
  const rows = await admin<{ name: string; setting: string }[]>`
    SELECT name, current_setting(name) AS setting FROM pg_settings WHERE name = ANY(${names})`;
  const settings: Record<string, string> = Object.fromEntries(rows.map((r) => [r.name, r.setting]));
  settings.cpus = `${cpus().length} × ${cpus()[0]?.model ?? '?'}`;
  settings.memory = `${Math.round(totalmem() / 2 ** 30)} GiB`;
  settings.node = process.version;
  let statements = false;
  if (/pg_stat_statements/.test(settings.shared_preload_libraries ?? '')) {
    statements = await admin`CREATE EXTENSION IF NOT EXISTS pg_stat_statements`.then(() => true, () => false);
  }
  return {
    url: server.url,
    kind: server.kind,
    admin,
    settings,
    statements,
    async stop() {
      await admin.end({ timeout: 2 });
      await server.stop();
    },
  };
}

let counter = 0;
const suffix = `${process.pid.toString(36)}${Date.now().toString(36)}`;

/** A fresh database name owned by this process (dropped by `dropDatabase`). */
export function dbName(label: string): string {
  return `cmp_${label.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${suffix}_${counter++}`;
}

export async function createDatabase(server: Server, name: string, template?: string): Promise<string> {
  await server.admin.unsafe(`CREATE DATABASE ${name}${template ? ` TEMPLATE ${template}` : ''}`);
  return withDatabase(server.url, name);
}

export async function dropDatabase(server: Server, name: string): Promise<void> {
  await server.admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {});
}

export interface Counters {
  xacts: number;
  walLsn: string;
  at: number;
}

/** The database's committed + rolled-back transactions and the server's WAL position. */
export async function counters(server: Server, db: string): Promise<Counters> {
  const [r] = await server.admin<{ xacts: string; lsn: string }[]>`
    SELECT (SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = ${db})::text AS xacts,
           pg_current_wal_lsn()::text AS lsn`;
  return { xacts: Number(r.xacts), walLsn: r.lsn, at: performance.now() };
}

export async function walBytes(server: Server, from: string, to: string): Promise<number> {
  const [r] = await server.admin<{ b: string }[]>`SELECT pg_wal_lsn_diff(${to}::pg_lsn, ${from}::pg_lsn)::text AS b`;
  return Number(r.b);
}

/** Client connections to `db` right now, our own observer excluded. */
export async function connectionsNow(server: Server, db: string): Promise<number> {
  const [r] = await server.admin<{ n: number }[]>`
    SELECT count(*)::int AS n FROM pg_stat_activity
    WHERE datname = ${db} AND backend_type = 'client backend' AND application_name <> 'cmp-observer'`;
  return r.n;
}

export interface TopStatement {
  query: string;
  calls: number;
  totalMs: number;
  meanMs: number;
  rows: number;
  walBytes: number;
}

export async function resetStatements(server: Server): Promise<void> {
  if (server.statements) await server.admin`SELECT pg_stat_statements_reset()`;
}

/** The statements that cost `db` the most time since the last reset (pg_stat_statements). */
export async function topStatements(server: Server, db: string, limit = 12): Promise<TopStatement[]> {
  if (!server.statements) return [];
  const rows = await server.admin<{ query: string; calls: string; total: number; mean: number; rows: string; wal: string }[]>`
    SELECT s.query, s.calls::text, s.total_exec_time AS total, s.mean_exec_time AS mean, s.rows::text, s.wal_bytes::text AS wal
    FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
    WHERE d.datname = ${db}
    ORDER BY s.total_exec_time DESC LIMIT ${limit}`;
  return rows.map((r) => ({
    query: r.query.replace(/\s+/g, ' ').slice(0, 240),
    calls: Number(r.calls),
    totalMs: Math.round(r.total),
    meanMs: Number(r.mean.toFixed(3)),
    rows: Number(r.rows),
    walBytes: Number(r.wal),
  }));
}
