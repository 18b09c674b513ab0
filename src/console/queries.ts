/**
 * Read-only queries only the console needs (the rest come from store/queries and the runner):
 * live replicas, the connection budget as the guard computes it, dead letters per queue, and
 * instance counts by status. Cold paths, each one bounded statement.
 */
import type { Config } from '../config.ts';
import { pgmq } from '../store/queries/pgmq.ts';
import { json, type Sql } from '../store/sql.ts';

export interface ReplicaRow {
  id: string;
  host: string | null;
  roles: string;
  poolLimit: number;
  startedAt: Date;
  heartbeatAt: Date;
}

/** Replicas that heartbeated within three intervals (the guard's own definition of live). */
export async function listLiveReplicas(sql: Sql, heartbeatMs: number): Promise<ReplicaRow[]> {
  const ttl = `${Math.ceil((heartbeatMs * 3) / 1000)} seconds`;
  const rows = await sql<{ id: string; host: string | null; roles: string; pool_limit: number; started_at: Date; heartbeat_at: Date }>`
    SELECT id, host, roles, pool_limit, started_at, heartbeat_at FROM weir.replicas
    WHERE heartbeat_at >= weir.now() - ${ttl}::interval ORDER BY started_at LIMIT 200`;
  return rows.map((r) => ({
    id: r.id,
    host: r.host,
    roles: r.roles,
    poolLimit: Number(r.pool_limit),
    startedAt: new Date(r.started_at),
    heartbeatAt: new Date(r.heartbeat_at),
  }));
}

export interface BudgetView {
  maxConnections: number;
  reserved: number;
  /** Client connections that are not Weir's (other applications). */
  foreign: number;
  /** Connections Weir processes hold now. */
  weirInUse: number;
  budget: number;
  reserve: number;
  configured: boolean;
  poolMax: number;
}

/** The same arithmetic as store/budget.ts, read-only: what the replicas share. */
export async function readBudget(sql: Sql, pool: Config['pool']): Promise<BudgetView> {
  const [r] = await sql<{ max_conn: number; reserved: number; weir: number; foreign: number }>`
    SELECT current_setting('max_connections')::int AS max_conn,
           current_setting('superuser_reserved_connections')::int AS reserved,
           (SELECT count(*)::int FROM pg_stat_activity WHERE backend_type = 'client backend' AND application_name LIKE 'weir%') AS weir,
           (SELECT count(*)::int FROM pg_stat_activity WHERE backend_type = 'client backend' AND application_name NOT LIKE 'weir%') AS foreign`;
  const maxConnections = Number(r.max_conn);
  const reserved = Number(r.reserved);
  const foreign = Number(r.foreign);
  return {
    maxConnections,
    reserved,
    foreign,
    weirInUse: Number(r.weir),
    budget: pool.budget ?? maxConnections - reserved - foreign,
    reserve: pool.reserve,
    configured: pool.budget !== undefined,
    poolMax: pool.max,
  };
}

export interface QueueView {
  name: string;
  depth: number;
  visible: number;
  oldestAgeSeconds: number | null;
  deadLetters: number;
}

/** Every PGMQ queue with its depth and lag, and how many of its messages sit in `weir_dead`. */
export async function listQueues(sql: Sql): Promise<QueueView[]> {
  const metrics = await pgmq.metricsAll(sql);
  const hasDead = metrics.some((m) => m.queueName === 'weir_dead');
  const dead = hasDead
    ? await sql<{ queue: string; n: number }>`SELECT message->>'queue' AS queue, count(*)::int AS n FROM pgmq.q_weir_dead GROUP BY 1`
    : [];
  const deadBy = new Map(dead.map((d) => [d.queue, Number(d.n)]));
  return metrics
    .map((m) => ({
      name: m.queueName,
      depth: m.queueLength,
      visible: m.queueVisibleLength,
      oldestAgeSeconds: m.oldestMsgAgeSec,
      deadLetters: m.queueName === 'weir_dead' ? m.queueLength : (deadBy.get(m.queueName) ?? 0),
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** Instances by status within the visible namespaces (undefined: all). */
export async function countByStatus(sql: Sql, namespaces: readonly string[] | undefined): Promise<Map<string, number>> {
  const ns = namespaces ? [...namespaces] : null;
  const rows = await sql<{ status: string; n: number }>`
    SELECT status, count(*)::int AS n FROM weir.instances
    WHERE (${json(ns)}::jsonb IS NULL OR namespace IN (SELECT jsonb_array_elements_text(${json(ns)}::jsonb)))
    GROUP BY status`;
  return new Map(rows.map((r) => [r.status, Number(r.n)]));
}
