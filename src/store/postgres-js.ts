/**
 * The postgres.js (porsager) adapter of the `Sql` port, for a real Postgres server.
 */
import postgres from 'postgres';
import { Gate } from './gate.ts';
import { makeSql, type Row, type Runner, type Sql } from './sql.ts';

export interface PostgresOptions {
  url: string;
  max: number;
  /** false behind PgBouncer in transaction mode, which cannot keep prepared statements. */
  prepare: boolean;
  /** Seconds an idle connection is kept. */
  idleTimeout?: number;
  applicationName?: string;
  onnotice?: (notice: unknown) => void;
  /** When given, every statement or transaction takes a permit (the connection-budget guard). */
  gate?: Gate;
  /** A statement or transaction running longer than this is taken as stuck on a dead connection (default 60 s; 0: never, for migrations). */
  stuckMs?: number;
}

export interface PostgresHandle {
  sql: Sql;
  /** The underlying client (replaced by `shrink`), for LISTEN and diagnostics. */
  readonly client: postgres.Sql;
  /**
   * Closes idle connections above the gate's limit: a new client takes over, the old one ends once
   * its in-flight statements finish (they still hold their permits, so the total stays bounded).
   */
  shrink(): Promise<void>;
  close(timeoutSeconds?: number): Promise<void>;
}

/** How many times a statement or transaction runs while prepared statements keep failing as stale (see `againIfStale`). */
const STALE_PLAN_TRIES = 10;

/**
 * A prepared statement the server no longer accepts as prepared: its result type changed under it
 * (`RevalidateCachedQuery`: "cached plan must not change result type") or it is gone
 * (`FetchPreparedStatement`). Running it again prepares it afresh.
 */
export function isStalePlanError(error: unknown): boolean {
  const routine = (error as { routine?: unknown } | null)?.routine;
  return routine === 'RevalidateCachedQuery' || routine === 'FetchPreparedStatement';
}

export function openPostgres(options: PostgresOptions): PostgresHandle {
  const connect = () => postgres(options.url, {
    max: options.max,
    prepare: options.prepare,
    idle_timeout: options.idleTimeout ?? 30,
    connect_timeout: 10,
    // Reconnect back-off: postgres.js grows it with every failed connect of the whole client
    // (3^n / 100 s, up to 20 s), so a database restart that fails a few dozen statements leaves
    // each connection waiting up to 20 s before it even tries. Capped at 2 s (jittered): the
    // runner's own loop already backs off, and readiness should follow the database closely.
    backoff: (retries: number) => (0.5 + Math.random() / 2) * Math.min(0.05 * 2 ** retries, 2),
    onnotice: options.onnotice ?? (() => {}),
    connection: { application_name: options.applicationName ?? 'weir' },
    // int8 as number: message ids and counts stay far below 2^53; both drivers then agree.
    types: { int8: { to: 20, from: [20], serialize: (v: unknown) => String(v), parse: (v: string) => Number(v) } },
  });
  let client = connect();
  const retired: Promise<unknown>[] = [];
  const runner = (c: postgres.Sql | postgres.TransactionSql): Runner => ({
    // Unprepared, a statement with parameters costs two round trips (postgres.js sends
    // Parse/Describe to learn the parameter types, waits, then Bind/Execute) and a fresh plan. A
    // tagged template's text is fixed per call site, so it is prepared once per connection when
    // WEIR_DB_PREPARE allows: one round trip and the plan kept. Caller-built text (`unsafe`)
    // stays unnamed (its set of texts may be unbounded) unless its caller marks it as one of a
    // bounded set (`fixed`: the runner's read, one text per queue). A schema change by a newer
    // replica can invalidate a prepared statement (`SELECT *` after `ADD COLUMN`): see `againIfStale`.
    query: (text, params, fixed) =>
      c.unsafe(text, params as postgres.ParameterOrJSON<never>[], { prepare: options.prepare && fixed === true }) as unknown as Promise<Row[]>,
    exec: async (script) => {
      await c.unsafe(script).simple();
    },
    begin: (fn) => {
      if ('savepoint' in c && typeof (c as postgres.TransactionSql).savepoint === 'function') {
        return (c as postgres.TransactionSql).savepoint((tx) => fn(runner(tx))) as never;
      }
      return (c as postgres.Sql).begin((tx) => fn(runner(tx))) as never;
    },
  });
  // The top-level runner always uses the current client, through the gate when there is one.
  // `shrink` swaps in a new client and holds new statements back until the old client's last
  // statement is done and it has closed all its connections (at most 5 s): the server never sees
  // the old pool and the new one at once.
  const inflight = new Map<postgres.Sql, number>();
  let switching: Promise<void> | undefined;
  // Watchdog: a statement or transaction that has not settled after `stuckMs` is on a connection
  // that will never answer (a peer or proxy that dropped the traffic without closing the socket:
  // TCP keep-alive takes minutes, postgres.js has no query timeout). The whole client is replaced
  // and the old one destroyed at once, which rejects everything still waiting on it, so permits
  // and pool slots come back instead of stalling the replica for good. Weir's statements are
  // bounded (batches, group commits), so a healthy one never comes near it.
  const stuckMs = options.stuckMs ?? 60_000;
  const replaceStuck = (c: postgres.Sql) => {
    if (client !== c) return; // already replaced
    client = connect();
    void c.end({ timeout: 0 }).catch(() => {});
  };
  const use = async <T>(fn: (r: Runner) => Promise<T>): Promise<T> => {
    if (switching) await switching;
    const c = client;
    inflight.set(c, (inflight.get(c) ?? 0) + 1);
    const watchdog = stuckMs > 0 ? setTimeout(() => replaceStuck(c), stuckMs) : undefined;
    (watchdog as { unref?: () => void } | undefined)?.unref?.();
    try {
      return await fn(runner(c));
    } finally {
      clearTimeout(watchdog);
      const left = (inflight.get(c) ?? 1) - 1;
      if (left === 0) {
        inflight.delete(c);
        drained.get(c)?.();
      } else inflight.set(c, left);
    }
  };
  const drained = new Map<postgres.Sql, () => void>();
  const gate = options.gate;
  const gated = <T>(fn: (r: Runner) => Promise<T>) => (gate ? gate.run(() => use(fn)) : use(fn));
  // A prepared statement that a migration invalidated fails once per connection with "cached
  // plan must not change result type" (a `*` that now has one more column); the driver drops it
  // (scripts/patch-deps.mjs: its own re-run could hang a pipelined connection) and it runs again
  // here on a fresh prepare. Inside a transaction the error has aborted the transaction, so the
  // whole transaction runs again — nothing of it was committed. Each try clears at least one stale
  // statement of one connection, so the tries are bounded. Found by the rolling-upgrade test
  // (test/chaos/upgrade.test.ts): an old replica's statements went stale as a new version added columns.
  const againIfStale = async <T>(run: () => Promise<T>): Promise<T> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await run();
      } catch (error) {
        if (attempt >= STALE_PLAN_TRIES || !isStalePlanError(error)) throw error;
      }
    }
  };
  const top: Runner = {
    query: (text, params, fixed) => againIfStale(() => gated((r) => r.query(text, params, fixed))),
    exec: (script) => gated((r) => r.exec(script)),
    begin: (fn) => againIfStale(() => gated((r) => r.begin(fn))),
  };
  return {
    sql: makeSql('postgres', top, (value) => client.json(value as postgres.JSONValue)),
    get client() {
      return client;
    },
    async shrink() {
      if (switching) await switching;
      const old = client;
      client = connect();
      const idle = inflight.has(old)
        ? new Promise<void>((resolve) => {
            drained.set(old, resolve);
            setTimeout(resolve, 5000);
          })
        : Promise.resolve();
      switching = idle
        .then(() => old.end({ timeout: 5 }))
        .catch(() => {})
        .finally(() => {
          drained.delete(old);
          switching = undefined;
        });
      retired.push(switching);
      await switching;
    },
    close: async (timeout = 5) => {
      await Promise.all([client.end({ timeout }), ...retired]);
    },
  };
}
