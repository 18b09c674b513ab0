/**
 * `npm run bench -- pgmq`: messages/s through Weir's PGMQ-compatible SQL on a real Postgres —
 * send, read+delete, and send→read→delete round trips — at batch sizes 1, 10 and 100.
 * Figures only; compare within one run (the machine is shared).
 */
import { openPostgres } from '../src/store/postgres-js.ts';
import { pgmq } from '../src/store/queries/pgmq.ts';
import type { Sql } from '../src/store/sql.ts';
import { benchDatabase, rate } from './_db.ts';

const clients = Number(process.env.BENCH_CLIENTS ?? 8);
const seconds = Number(process.env.BENCH_SECONDS ?? 3);
const db = await benchDatabase('pgmq');
const handle = openPostgres({ url: db.url, max: clients, prepare: true });
const sql = handle.sql;

async function timed(worker: (sql: Sql, stop: () => boolean) => Promise<number>): Promise<{ count: number; ms: number }> {
  const start = performance.now();
  const deadline = start + seconds * 1000;
  const stop = () => performance.now() >= deadline;
  const counts = await Promise.all(Array.from({ length: clients }, () => worker(sql, stop)));
  return { count: counts.reduce((a, b) => a + b, 0), ms: performance.now() - start };
}

const rows: string[][] = [];
for (const batch of [1, 10, 100]) {
  const q = `bench_${batch}`;
  await pgmq.create(sql, q);
  const payload = { instance: '0190c1c0-0000-7000-8000-000000000000', kind: 'start', target: 'instance' };
  const messages = Array.from({ length: batch }, () => payload);

  const send = await timed(async (s, stop) => {
    let n = 0;
    while (!stop()) {
      if (batch === 1) await pgmq.send(s, q, payload);
      else await pgmq.sendBatch(s, q, messages);
      n += batch;
    }
    return n;
  });

  const readDelete = await timed(async (s, stop) => {
    let n = 0;
    while (!stop()) {
      const got = await pgmq.read(s, q, 30, batch);
      if (got.length === 0) break;
      if (batch === 1) await pgmq.delete(s, q, got[0].msgId);
      else await pgmq.deleteBatch(s, q, got.map((m) => m.msgId));
      n += got.length;
    }
    return n;
  });
  await pgmq.purge(sql, q);

  const roundTrip = await timed(async (s, stop) => {
    let n = 0;
    while (!stop()) {
      if (batch === 1) await pgmq.send(s, q, payload);
      else await pgmq.sendBatch(s, q, messages);
      const got = await pgmq.read(s, q, 30, batch);
      if (got.length) await pgmq.deleteBatch(s, q, got.map((m) => m.msgId));
      n += got.length;
    }
    return n;
  });
  rows.push([String(batch), rate(send.count, send.ms), rate(readDelete.count, readDelete.ms), rate(roundTrip.count, roundTrip.ms)]);
  await pgmq.dropQueue(sql, q);
}

console.log(`\nPGMQ SQL, ${clients} clients, ${seconds}s per figure (messages/s)\n`);
console.log('| batch | send | read+delete | send→read→delete |');
console.log('|---:|---:|---:|---:|');
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
await handle.close();
await db.close();
