/**
 * Wake-ups: a transaction that enqueues work runs `pg_notify('weir_wake', <queue>)`, delivered at
 * commit (Postgres folds duplicates within one transaction). Replicas LISTEN and cut their idle
 * sleep short, so an idle system answers in milliseconds instead of a poll interval. Polling stays
 * the source of truth: a lost notification only costs latency.
 */
import postgres from 'postgres';
import type { PGlite } from '@electric-sql/pglite';
import type { Sql } from './sql.ts';

export const WAKE_CHANNEL = 'weir_wake';

export async function notifyWork(tx: Sql, queue: string): Promise<void> {
  await tx`SELECT pg_notify(${WAKE_CHANNEL}, ${queue})`;
}

export type Unlisten = () => Promise<void>;

/** LISTEN on a dedicated session (the direct URL: a transaction pooler cannot hold LISTEN). */
export async function listenPostgres(directUrl: string, applicationName: string, onWake: (queue: string) => void): Promise<Unlisten> {
  const client = postgres(directUrl, { max: 1, onnotice: () => {}, connection: { application_name: applicationName } });
  try {
    await client.listen(WAKE_CHANNEL, (payload) => onWake(payload));
  } catch (error) {
    await client.end({ timeout: 0 }).catch(() => {}); // a failed try leaves no client behind
    throw error;
  }
  return async () => {
    await client.end({ timeout: 2 });
  };
}

export async function listenPglite(db: PGlite, onWake: (queue: string) => void): Promise<Unlisten> {
  const unsub = await db.listen(WAKE_CHANNEL, (payload) => onWake(payload));
  return async () => {
    await unsub();
  };
}
