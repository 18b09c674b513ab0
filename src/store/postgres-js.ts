/**
 * The postgres.js (porsager) adapter of the `Sql` port, for a real Postgres server.
 */
import postgres from 'postgres';
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
}

export interface PostgresHandle {
  sql: Sql;
  /** The underlying client, for drizzle and LISTEN. */
  client: postgres.Sql;
  close(timeoutSeconds?: number): Promise<void>;
}

export function openPostgres(options: PostgresOptions): PostgresHandle {
  const client = postgres(options.url, {
    max: options.max,
    prepare: options.prepare,
    idle_timeout: options.idleTimeout ?? 30,
    connect_timeout: 10,
    onnotice: options.onnotice ?? (() => {}),
    connection: { application_name: options.applicationName ?? 'weir' },
    // int8 as number: message ids and counts stay far below 2^53; both drivers then agree.
    types: { int8: { to: 20, from: [20], serialize: (v: unknown) => String(v), parse: (v: string) => Number(v) } },
  });
  const runner = (c: postgres.Sql | postgres.TransactionSql): Runner => ({
    query: (text, params) => c.unsafe(text, params as postgres.ParameterOrJSON<never>[]) as unknown as Promise<Row[]>,
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
  return {
    sql: makeSql('postgres', runner(client), (value) => client.json(value as postgres.JSONValue)),
    client,
    close: (timeout = 5) => client.end({ timeout }),
  };
}
