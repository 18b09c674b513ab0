/**
 * Wake-ups: a transaction that enqueues work runs `pg_notify('weir_wake', <payload>)`, delivered
 * at commit (Postgres folds duplicates within one transaction). Replicas LISTEN and cut their idle
 * sleep short, so an idle system answers in milliseconds instead of a poll interval. Polling stays
 * the source of truth: a lost notification only costs latency.
 *
 * The payload is the queue's name, or — for a start whose input is small (startInstance) — a
 * JSON object that also carries the start message's id and what its first activation needs
 * (`StartWake`), so an idle replica can run that activation without reading it first
 * (runner/eager.ts). A queue name never starts with `{` (queue-name.ts), so the two cannot be
 * confused.
 */
import postgres from 'postgres';
import type { PGlite } from '@electric-sql/pglite';
import type { Sql } from './sql.ts';

export const WAKE_CHANNEL = 'weir_wake';

/**
 * A start's wake-up: its message (`msgId` in `queue`), the database clock at the start (`now`, ms)
 * and the instance as it was inserted (status `pending`, version 0, no state).
 */
export interface StartWake {
  queue: string;
  msgId: number;
  now: number;
  instance: { id: string; namespace: string; workflowName: string; workflowVersion: string; input: unknown };
}

export interface Wake {
  queue: string;
  start?: StartWake;
}

/**
 * Largest start payload sent (bytes): NOTIFY refuses 8,000 or more. Its input may take at most
 * `START_WAKE_MAX_INPUT` bytes (jsonb's own size, `pg_column_size`); a larger input wakes with the
 * queue's name alone.
 */
export const START_WAKE_MAX_BYTES = 7900;
export const START_WAKE_MAX_INPUT = 6000;

const str = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

/**
 * Reads a payload; anything malformed is a plain wake-up of its queue (or of nothing: `queue` ''),
 * never an error — the channel is open to any session that can NOTIFY.
 */
export function parseWake(payload: string): Wake {
  if (!payload.startsWith('{')) return { queue: payload };
  let p: Record<string, unknown>;
  try {
    p = JSON.parse(payload) as Record<string, unknown>;
  } catch {
    return { queue: '' };
  }
  if (!p || typeof p !== 'object' || !str(p.q)) return { queue: '' };
  const queue = p.q;
  const { m, t, i, ns, wf, v } = p;
  if (!Number.isSafeInteger(m) || (m as number) <= 0 || !Number.isFinite(t) || !str(i) || !str(ns) || !str(wf) || !str(v)) return { queue };
  return {
    queue,
    start: {
      queue,
      msgId: m as number,
      now: t as number,
      instance: { id: i, namespace: ns, workflowName: wf, workflowVersion: v, input: p.in ?? null },
    },
  };
}

export async function notifyWork(tx: Sql, queue: string): Promise<void> {
  await tx`SELECT pg_notify(${WAKE_CHANNEL}, ${queue})`;
}

export type Unlisten = () => Promise<void>;

/** LISTEN on a dedicated session (the direct URL: a transaction pooler cannot hold LISTEN). */
export async function listenPostgres(directUrl: string, applicationName: string, onWake: (wake: Wake) => void): Promise<Unlisten> {
  const client = postgres(directUrl, { max: 1, onnotice: () => {}, connection: { application_name: applicationName } });
  try {
    await client.listen(WAKE_CHANNEL, (payload) => onWake(parseWake(payload)));
  } catch (error) {
    await client.end({ timeout: 0 }).catch(() => {}); // a failed try leaves no client behind
    throw error;
  }
  return async () => {
    await client.end({ timeout: 2 });
  };
}

export async function listenPglite(db: PGlite, onWake: (wake: Wake) => void): Promise<Unlisten> {
  const unsub = await db.listen(WAKE_CHANNEL, (payload) => onWake(parseWake(payload)));
  return async () => {
    await unsub();
  };
}
