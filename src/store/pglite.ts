/**
 * The PGlite adapter of the `Sql` port: embedded Postgres (WASM) for local development and the
 * single binary. PGlite is single-process and single-connection; `begin` serialises transactions.
 * Guard its directory with `acquireDataDirLock` (src/runtime) before opening it from a process.
 */
import { PGlite, type PGliteOptions } from '@electric-sql/pglite';
import { makeSql, type Row, type Runner, type Sql } from './sql.ts';

export interface PgliteHandle {
  sql: Sql;
  client: PGlite;
  close(): Promise<void>;
}

type Queryable = Pick<PGlite, 'query' | 'exec'>;

/** What an entry may add to PGlite's options (the single binary: its embedded WASM and file bundle). */
export type PgliteExtraOptions = Omit<PGliteOptions, 'dataDir' | 'parsers'>;

/** `dataDir` undefined = in memory. */
export async function openPglite(dataDir?: string, extra: PgliteExtraOptions = {}): Promise<PgliteHandle> {
  const client = await PGlite.create(dataDir, {
    ...extra,
    parsers: { 20: (v: string) => Number(v) },
  });
  const runner = (c: Queryable, inTx: boolean): Runner => ({
    query: async (text, params) => (await c.query<Row>(text, params as unknown[])).rows,
    exec: async (script) => {
      await c.exec(script);
    },
    begin: async (fn) => {
      if (inTx) {
        // Nested transaction: a savepoint, as postgres.js does.
        const name = `sp_${Math.random().toString(36).slice(2, 10)}`;
        await c.exec(`SAVEPOINT ${name}`);
        try {
          const result = await fn(runner(c, true));
          await c.exec(`RELEASE SAVEPOINT ${name}`);
          return result;
        } catch (error) {
          await c.exec(`ROLLBACK TO SAVEPOINT ${name}`);
          throw error;
        }
      }
      return client.transaction((tx) => fn(runner(tx, true)));
    },
  });
  return {
    sql: makeSql('pglite', runner(client, false), (value) => (value === null ? null : JSON.stringify(value))),
    client,
    close: () => client.close(),
  };
}
