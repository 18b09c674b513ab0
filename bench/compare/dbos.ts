/**
 * DBOS Transact 5 (@dbos-inc/dbos-sdk): a workflow of three steps, each one HTTP GET to the local
 * stub — the equivalent of Weir's `http3`. Units are enqueued with DBOSClient onto queue `bench`
 * while the worker runs but has not registered the queue; `go` registers it and dispatch starts.
 * DBOS has no bulk enqueue: the client enqueues 16 at a time.
 */
import { DBOSClient } from '@dbos-inc/dbos-sdk';
import { spawnNode, type Proc } from './proc.ts';
import type { Template, ThroughputCase, Workers } from './system.ts';

const version = '5.3';

/** DBOS migrates its own schema at launch: the template is an empty database. */
export const dbosTemplate: Template = { name: 'dbos', prepare: async () => {} };

export function dbosThroughput(stub: string, workerConcurrency: number): ThroughputCase {
  let proc: Proc | undefined;
  const options = {
    stub,
    config: { systemDatabasePoolSize: 20 },
    queue: { workerConcurrency, minPollingIntervalMs: 50 },
  };
  return {
    id: 'dbos-http3',
    system: `DBOS Transact ${version}`,
    settings: `queue { workerConcurrency: ${workerConcurrency}, minPollingIntervalMs: 50 }, systemDatabasePoolSize 20`,
    unit: 'workflow (3 steps, each an HTTP call)',
    template: 'dbos',
    steps: 3,
    async enqueue(url, count) {
      proc = spawnNode(['bench/compare/child.ts', 'dbos', JSON.stringify(options)], { BENCH_URL: url });
      await proc.ready;
      const client = await DBOSClient.create({ systemDatabaseUrl: url });
      try {
        let next = 0;
        await Promise.all(
          Array.from({ length: 16 }, async () => {
            while (next < count) await client.enqueue({ queueName: 'bench', workflowName: 'http3' }, next++);
          }),
        );
      } finally {
        await client.destroy();
      }
    },
    async start(): Promise<Workers> {
      const p = proc!;
      proc = undefined;
      p.send('go');
      return { ready: Promise.resolve(), stop: () => p.stop() };
    },
    progress: () => `
      SELECT count(*) FILTER (WHERE status = 'SUCCESS')::int AS done,
             count(*) FILTER (WHERE status IN ('ERROR', 'MAX_RECOVERY_ATTEMPTS_EXCEEDED', 'CANCELLED'))::int AS failed
      FROM dbos.workflow_status`,
  };
}
