/**
 * A typed client over the PGMQ SQL API (sql/00_pgmq.sql). Plain SQL, same on both drivers.
 * Pass a transaction's `Sql` to make a send or delete part of that transaction.
 */
import { json, type Sql } from '../sql.ts';

export interface Message<T = unknown> {
  msgId: number;
  readCt: number;
  enqueuedAt: Date;
  vt: Date;
  message: T;
  headers: Record<string, unknown> | null;
}

export interface QueueMetrics {
  queueName: string;
  queueLength: number;
  newestMsgAgeSec: number | null;
  oldestMsgAgeSec: number | null;
  totalMessages: number;
  scrapeTime: Date;
  queueVisibleLength: number;
}

export type MessageRow = { msg_id: number; read_ct: number; enqueued_at: Date; vt: Date; message: unknown; headers: unknown };

export const toMessage = <T>(r: MessageRow): Message<T> => ({
  msgId: Number(r.msg_id),
  readCt: r.read_ct,
  enqueuedAt: new Date(r.enqueued_at),
  vt: new Date(r.vt),
  message: r.message as T,
  headers: (r.headers as Record<string, unknown> | null) ?? null,
});

/**
 * The quoted name of a queue's table (`q`) or archive (`a`), as `pgmq.format_table_name` makes it
 * (sql/00_pgmq.sql), for statements written against the table itself; refuses a name that is not
 * letters, digits and underscores (at most 47).
 */
export function queueTable(queue: string, prefix: 'q' | 'a' = 'q'): string {
  if (!/^[A-Za-z0-9_]{1,47}$/.test(queue)) throw new Error(`queue name "${queue}" is invalid: use letters, digits and underscores (at most 47)`);
  return `pgmq."${prefix}_${queue.toLowerCase()}"`;
}

export const pgmq = {
  async create(sql: Sql, queue: string): Promise<void> {
    await sql`SELECT pgmq.create(${queue}::text)`;
  },
  async dropQueue(sql: Sql, queue: string): Promise<boolean> {
    const [r] = await sql<{ ok: boolean }>`SELECT pgmq.drop_queue(${queue}::text) AS ok`;
    return r.ok;
  },
  async send(sql: Sql, queue: string, message: unknown, delaySeconds = 0, headers?: Record<string, unknown>): Promise<number> {
    const [r] = headers
      ? await sql<{ id: number }>`SELECT pgmq.send(${queue}::text, ${json(message)}::jsonb, ${json(headers)}::jsonb, ${delaySeconds}::int) AS id`
      : await sql<{ id: number }>`SELECT pgmq.send(${queue}::text, ${json(message)}::jsonb, ${delaySeconds}::int) AS id`;
    return Number(r.id);
  },
  async sendBatch(sql: Sql, queue: string, messages: readonly unknown[], delaySeconds = 0): Promise<number[]> {
    if (messages.length === 0) return [];
    // One JSON array parameter, unnested in SQL: both drivers send it the same way.
    const rows = await sql<{ id: number }>`
      SELECT pgmq.send_batch(${queue}::text, ARRAY(SELECT jsonb_array_elements(${json(messages)}::jsonb)), ${delaySeconds}::int) AS id`;
    return rows.map((r) => Number(r.id));
  },
  async read<T = unknown>(sql: Sql, queue: string, vtSeconds: number, qty: number, conditional: object = {}): Promise<Message<T>[]> {
    const rows = await sql<MessageRow>`
      SELECT * FROM pgmq.read(${queue}::text, ${vtSeconds}::int, ${qty}::int, ${json(conditional)}::jsonb)`;
    return rows.map((r) => toMessage<T>(r));
  },
  /** Reads the given messages, those still visible and not locked by another reader (`weir.read_ids`). */
  async readIds<T = unknown>(sql: Sql, queue: string, vtSeconds: number, msgIds: readonly number[]): Promise<Message<T>[]> {
    if (msgIds.length === 0) return [];
    const rows = await sql<MessageRow>`
      SELECT * FROM weir.read_ids(${queue}::text, ${vtSeconds}::int, ARRAY(SELECT jsonb_array_elements_text(${json(msgIds)}::jsonb)::bigint))`;
    return rows.map((r) => toMessage<T>(r));
  },
  /** Hides a message for `delayMs` without counting the delivery, merging `patch` into its body (`weir.defer_message`). */
  async defer(sql: Sql, queue: string, msgId: number, delayMs: number, patch: Record<string, unknown> = {}): Promise<boolean> {
    const [r] = await sql<{ ok: boolean }>`
      SELECT weir.defer_message(${queue}::text, ${msgId}::bigint, ${Math.ceil(delayMs)}::int, ${json(patch)}::jsonb) AS ok`;
    return r.ok;
  },
  async pop<T = unknown>(sql: Sql, queue: string): Promise<Message<T> | undefined> {
    const rows = await sql<MessageRow>`SELECT * FROM pgmq.pop(${queue}::text)`;
    return rows[0] ? toMessage<T>(rows[0]) : undefined;
  },
  async delete(sql: Sql, queue: string, msgId: number): Promise<boolean> {
    const [r] = await sql<{ ok: boolean }>`SELECT pgmq.delete(${queue}::text, ${msgId}::bigint) AS ok`;
    return r.ok;
  },
  async deleteBatch(sql: Sql, queue: string, msgIds: readonly number[]): Promise<number[]> {
    if (msgIds.length === 0) return [];
    const rows = await sql<{ id: number }>`
      SELECT pgmq.delete(${queue}::text, ARRAY(SELECT jsonb_array_elements_text(${json(msgIds)}::jsonb)::bigint)) AS id`;
    return rows.map((r) => Number(r.id));
  },
  async archive(sql: Sql, queue: string, msgId: number): Promise<boolean> {
    const [r] = await sql<{ ok: boolean }>`SELECT pgmq.archive(${queue}::text, ${msgId}::bigint) AS ok`;
    return r.ok;
  },
  async archiveBatch(sql: Sql, queue: string, msgIds: readonly number[]): Promise<number[]> {
    if (msgIds.length === 0) return [];
    const rows = await sql<{ id: number }>`
      SELECT pgmq.archive(${queue}::text, ARRAY(SELECT jsonb_array_elements_text(${json(msgIds)}::jsonb)::bigint)) AS id`;
    return rows.map((r) => Number(r.id));
  },
  async setVt<T = unknown>(sql: Sql, queue: string, msgId: number, vtSeconds: number): Promise<Message<T> | undefined> {
    const rows = await sql<MessageRow>`SELECT * FROM pgmq.set_vt(${queue}::text, ${msgId}::bigint, ${vtSeconds}::int)`;
    return rows[0] ? toMessage<T>(rows[0]) : undefined;
  },
  async purge(sql: Sql, queue: string): Promise<number> {
    const [r] = await sql<{ n: number }>`SELECT pgmq.purge_queue(${queue}::text) AS n`;
    return Number(r.n);
  },
  async metrics(sql: Sql, queue: string): Promise<QueueMetrics> {
    const [r] = await sql<Record<string, unknown>>`SELECT * FROM pgmq.metrics(${queue}::text)`;
    return toMetrics(r);
  },
  async metricsAll(sql: Sql): Promise<QueueMetrics[]> {
    return (await sql<Record<string, unknown>>`SELECT * FROM pgmq.metrics_all()`).map(toMetrics);
  },
  async listQueues(sql: Sql): Promise<{ queueName: string; createdAt: Date }[]> {
    const rows = await sql<{ queue_name: string; created_at: Date }>`SELECT * FROM pgmq.list_queues()`;
    return rows.map((r) => ({ queueName: r.queue_name, createdAt: new Date(r.created_at) }));
  },
};

function toMetrics(r: Record<string, unknown>): QueueMetrics {
  const n = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return {
    queueName: String(r.queue_name),
    queueLength: Number(r.queue_length),
    newestMsgAgeSec: n(r.newest_msg_age_sec),
    oldestMsgAgeSec: n(r.oldest_msg_age_sec),
    totalMessages: Number(r.total_messages),
    scrapeTime: new Date(r.scrape_time as string),
    queueVisibleLength: Number(r.queue_visible_length),
  };
}
