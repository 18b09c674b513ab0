/**
 * The connection-budget guard: replicas share the server's connections instead of racing for them.
 * Each replica heartbeats into `weir.replicas`; its pool limit is
 *   min(WEIR_DB_POOL_MAX, floor((budget − reserve) / live replicas) − sessions)
 * where `sessions` are the connections a replica holds outside its pool (its LISTEN session),
 * capped further by what other Weir processes hold right now (so a newcomer never pushes the server
 * over `max_connections` while the others are still shrinking), and at least 1. The budget defaults
 * to `max_connections − superuser_reserved_connections − connections that are not Weir's`.
 * Computations are serialised with an advisory transaction lock; the limit is enforced by the
 * `Gate` in front of the pool. Below WEIR_DB_POOL_MIN at start-up the replica refuses to start.
 */
import { WeirError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { Gate } from './gate.ts';
import type { Sql } from './sql.ts';

/** pg_advisory_xact_lock key for budget computations ("weirbudg"). */
const BUDGET_LOCK_KEY = '8603398603160249447';

export interface BudgetOptions {
  replicaId: string;
  applicationName: string;
  roles: string;
  host?: string;
  poolMax: number;
  poolMin: number;
  budget?: number;
  reserve: number;
  heartbeatMs: number;
  /** Connections each replica holds outside its pool (the LISTEN session): taken from its share. */
  sessionsPerReplica?: number;
}

export interface BudgetReading {
  limit: number;
  fairShare: number;
  budget: number;
  live: number;
  maxConnections: number;
  otherWeir: number;
  foreign: number;
}

export class BudgetGuard {
  readonly #sql: Sql;
  readonly #gate: Gate;
  readonly #o: BudgetOptions;
  readonly #log: Logger;
  readonly #onShrink: () => Promise<void>;
  #timer: ReturnType<typeof setInterval> | undefined;
  last: BudgetReading | undefined;

  constructor(sql: Sql, gate: Gate, options: BudgetOptions, log: Logger, onShrink: () => Promise<void>) {
    this.#sql = sql;
    this.#gate = gate;
    this.#o = options;
    this.#log = log;
    this.#onShrink = onShrink;
  }

  /** Registers the replica and sets the first limit; throws when the budget cannot give WEIR_DB_POOL_MIN. */
  async start(): Promise<BudgetReading> {
    const reading = await this.beat();
    if (reading.fairShare < this.#o.poolMin) {
      await this.stop();
      throw new WeirError(
        'connection_budget',
        `the connection budget cannot give this replica WEIR_DB_POOL_MIN=${this.#o.poolMin} connections: ` +
          `${reading.budget} connections (max_connections ${reading.maxConnections} − reserved − ${reading.foreign} not Weir's` +
          `${this.#o.budget ? `; WEIR_DB_CONNECTION_BUDGET=${this.#o.budget}` : ''}) minus WEIR_DB_RESERVE=${this.#o.reserve}, ` +
          `shared by ${reading.live} live replicas, leaves ${reading.fairShare} each; lower WEIR_DB_POOL_MIN or WEIR_DB_RESERVE, ` +
          `raise WEIR_DB_CONNECTION_BUDGET or max_connections, or run fewer replicas`,
      );
    }
    this.#timer = setInterval(() => {
      this.beat().catch((error: Error) => this.#log.warn('budget heartbeat failed', { error }));
    }, this.#o.heartbeatMs);
    (this.#timer as { unref?: () => void }).unref?.();
    return reading;
  }

  async beat(): Promise<BudgetReading> {
    const ttl = `${Math.ceil((this.#o.heartbeatMs * 3) / 1000)} seconds`;
    const reading = await this.#sql.begin(async (tx) => {
      await tx`SELECT pg_advisory_xact_lock(${BUDGET_LOCK_KEY}::bigint)`;
      await tx`
        INSERT INTO weir.replicas (id, pool_limit, roles, host) VALUES (${this.#o.replicaId}::uuid, ${this.#gate.limit}, ${this.#o.roles}, ${this.#o.host ?? null})
        ON CONFLICT (id) DO UPDATE SET heartbeat_at = weir.now()`;
      await tx`DELETE FROM weir.replicas WHERE heartbeat_at < weir.now() - ${ttl}::interval`;
      const [r] = await tx<{ max_conn: number; reserved: number; live: number; other_weir: number; foreign: number }>`
        SELECT current_setting('max_connections')::int AS max_conn,
               current_setting('superuser_reserved_connections')::int AS reserved,
               (SELECT count(*)::int FROM weir.replicas) AS live,
               (SELECT count(*)::int FROM pg_stat_activity WHERE backend_type = 'client backend'
                  AND application_name LIKE 'weir%' AND application_name <> ${this.#o.applicationName}) AS other_weir,
               (SELECT count(*)::int FROM pg_stat_activity WHERE backend_type = 'client backend'
                  AND application_name NOT LIKE 'weir%') AS foreign`;
      const budget = this.#o.budget ?? r.max_conn - r.reserved - r.foreign;
      const usable = budget - this.#o.reserve;
      const fairShare = Math.min(this.#o.poolMax, Math.floor(usable / Math.max(1, r.live)) - (this.#o.sessionsPerReplica ?? 0));
      const limit = Math.max(1, Math.min(fairShare, usable - r.other_weir));
      await tx`UPDATE weir.replicas SET pool_limit = ${limit} WHERE id = ${this.#o.replicaId}::uuid`;
      return { limit, fairShare, budget, live: r.live, maxConnections: r.max_conn, otherWeir: r.other_weir, foreign: r.foreign };
    });
    const before = this.#gate.limit;
    if (reading.limit !== before) {
      this.#gate.setLimit(reading.limit);
      this.#log.info('pool limit changed', { from: before, to: reading.limit, live: reading.live, budget: reading.budget });
      if (reading.limit < before) await this.#onShrink();
    }
    this.last = reading;
    return reading;
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#sql`DELETE FROM weir.replicas WHERE id = ${this.#o.replicaId}::uuid`.catch(() => {});
  }
}
