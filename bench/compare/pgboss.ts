/**
 * pg-boss 12: a no-op job on queue `bench` (created with `notify: true`, which only matters when a
 * worker also sets `useListenNotify`). Tuned = the settings pg-boss documents for throughput
 * (`batchSize` 100, `localConcurrency`, `burstWhenBatchFull`); default = `work(name, handler)`.
 */
import { PgBoss } from 'pg-boss';
import { spawnNode } from './proc.ts';
import type { LatencyCase, Single, Template, ThroughputCase, Workers } from './system.ts';
import { connect } from './pg.ts';

const version = '12.38';

export const pgbossTemplate: Template = {
  name: 'pgboss',
  async prepare(url) {
    const boss = new PgBoss({ connectionString: url, supervise: false, schedule: false });
    boss.on('error', () => {});
    await boss.start();
    await boss.createQueue('bench', { notify: true });
    await boss.stop({ graceful: false });
  },
};

/** A sender only: no maintenance, no cron, no migrations (the template has them). */
async function sender(url: string): Promise<PgBoss> {
  const boss = new PgBoss({ connectionString: url, supervise: false, schedule: false, migrate: false, max: 2 });
  boss.on('error', () => {});
  await boss.start();
  return boss;
}

function startWorker(url: string, options: unknown): Promise<Workers> {
  const p = spawnNode(['bench/compare/child.ts', 'pgboss', JSON.stringify(options)], { BENCH_URL: url });
  return Promise.resolve({ ready: p.ready, stop: () => p.stop() });
}

const progress = () => `
  SELECT count(*) FILTER (WHERE state = 'completed')::int AS done,
         count(*) FILTER (WHERE state = 'failed')::int AS failed
  FROM pgboss.job WHERE name = 'bench'`;

async function enqueue(url: string, count: number): Promise<void> {
  const boss = await sender(url);
  for (let i = 0; i < count; i += 2000) {
    await boss.insert('bench', Array.from({ length: Math.min(2000, count - i) }, (_, k) => ({ data: { n: i + k } })));
  }
  await boss.stop({ graceful: false });
}

export function pgbossThroughput(localConcurrency: number): ThroughputCase[] {
  const tunedWork = { batchSize: 100, localConcurrency, burstWhenBatchFull: true };
  return [
    {
      id: 'pgboss-tuned',
      system: `pg-boss ${version}`,
      settings: `work({ batchSize: 100, localConcurrency: ${localConcurrency}, burstWhenBatchFull: true })`,
      unit: 'job',
      template: 'pgboss',
      enqueue,
      start: (url) => startWorker(url, { work: tunedWork }),
      progress,
    },
    {
      id: 'pgboss-default',
      system: `pg-boss ${version}`,
      settings: 'defaults: work(name, handler) — batchSize 1, localConcurrency 1, pollingIntervalSeconds 2',
      unit: 'job',
      template: 'pgboss',
      enqueue,
      start: (url) => startWorker(url, {}),
      progress,
    },
  ];
}

export const pgbossLatency: LatencyCase = {
  id: 'pgboss-notify',
  system: `pg-boss ${version}`,
  settings: 'defaults + useListenNotify: true, queue notify: true',
  template: 'pgboss',
  start: (url) => startWorker(url, { constructor: { useListenNotify: true } }),
  async open(url): Promise<Single> {
    const boss = await sender(url);
    const sql = connect(url, 1, 'cmp-observer');
    return {
      enqueue: async (i) => (await boss.send('bench', { n: i })) as string,
      done: async (id) => (await sql`SELECT state FROM pgboss.job WHERE name = 'bench' AND id = ${id}::uuid`)[0]?.state === 'completed',
      close: async () => {
        await boss.stop({ graceful: false });
        await sql.end();
      },
    };
  },
};
