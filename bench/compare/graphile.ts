/**
 * graphile-worker 0.18: a no-op task `bench`. Tuned = the configuration of graphile-worker's own
 * performance page (concurrentJobs 24, maxPoolSize 25, localQueue size 500, completeJobBatchDelay
 * and failJobBatchDelay 0); default = `run({ taskList })` (concurrency 1, pool 10, LISTEN/NOTIFY on).
 * A completed job is deleted, so done = enqueued − rows left.
 */
import { makeWorkerUtils, runMigrations } from 'graphile-worker';
import { connect } from './pg.ts';
import { spawnNode } from './proc.ts';
import type { LatencyCase, Single, Template, ThroughputCase, Workers } from './system.ts';

const version = '0.18.0';

export const graphileTemplate: Template = {
  name: 'graphile',
  async prepare(url) {
    await runMigrations({ connectionString: url });
  },
};

function startWorker(url: string, options: unknown): Promise<Workers> {
  const p = spawnNode(['bench/compare/child.ts', 'graphile', JSON.stringify(options)], { BENCH_URL: url });
  return Promise.resolve({ ready: p.ready, stop: () => p.stop() });
}

const progress = (count: number) => `
  SELECT (${count} - count(*))::int AS done, count(*) FILTER (WHERE last_error IS NOT NULL)::int AS failed
  FROM graphile_worker._private_jobs`;

async function enqueue(url: string, count: number): Promise<void> {
  const utils = await makeWorkerUtils({ connectionString: url, maxPoolSize: 2 });
  try {
    for (let i = 0; i < count; i += 2000) {
      await utils.addJobs(Array.from({ length: Math.min(2000, count - i) }, (_, k) => ({ identifier: 'bench', payload: { n: i + k } })));
    }
  } finally {
    await utils.release();
  }
}

export const tunedOptions = {
  concurrency: 24,
  maxPoolSize: 25,
  preset: { worker: { localQueue: { size: 500 }, completeJobBatchDelay: 0, failJobBatchDelay: 0 } },
};

export const graphileThroughput: ThroughputCase[] = [
  {
    id: 'graphile-tuned',
    system: `graphile-worker ${version}`,
    settings: 'concurrentJobs 24, maxPoolSize 25, localQueue { size: 500 }, completeJobBatchDelay 0, failJobBatchDelay 0 (worker.graphile.org/docs/performance)',
    unit: 'job',
    template: 'graphile',
    enqueue,
    start: (url) => startWorker(url, tunedOptions),
    progress,
  },
  {
    id: 'graphile-default',
    system: `graphile-worker ${version}`,
    settings: 'defaults: run({ taskList }) — concurrentJobs 1, maxPoolSize 10, no local queue, completion not batched',
    unit: 'job',
    template: 'graphile',
    enqueue,
    start: (url) => startWorker(url, {}),
    progress,
  },
];

export const graphileLatency: LatencyCase = {
  id: 'graphile-notify',
  system: `graphile-worker ${version}`,
  settings: 'defaults (LISTEN/NOTIFY always on)',
  template: 'graphile',
  start: (url) => startWorker(url, {}),
  async open(url): Promise<Single> {
    const utils = await makeWorkerUtils({ connectionString: url, maxPoolSize: 1 });
    const sql = connect(url, 1, 'cmp-observer');
    return {
      enqueue: async (i) => String((await utils.addJob('bench', { n: i })).id),
      done: async (id) => (await sql`SELECT 1 FROM graphile_worker._private_jobs WHERE id = ${id}::bigint`).length === 0,
      close: async () => {
        await utils.release();
        await sql.end();
      },
    };
  },
};
