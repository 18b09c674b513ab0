/**
 * The battery's workload: a workflow with a durable `wait`, a `call: http` to the effect stub
 * inside a `try` with a retry policy, and a final `set`. Instances are started in bulk with the
 * same statement the API uses (startInstance); time is moved with the database clock.
 */
import { registerWorkflow } from '../../../src/runner/index.ts';
import { startInstance } from '../../../src/store/queries/instances.ts';
import type { Sql } from '../../../src/store/sql.ts';

export const NAMESPACE = 'chaos';

/**
 * `wait` 30 s of database time, then the effect with retries 10 s apart, then done. `wait: false`
 * leaves the wait out (scenarios that must not move the clock: heartbeats age on it).
 */
export function effectWorkflow(stubUrl: string, name = 'effect', options: { wait?: boolean } = {}): string {
  return `
document: { dsl: '1.0.0', namespace: ${NAMESPACE}, name: ${name}, version: '1.0.0' }
do:${options.wait === false ? '' : `
  - pause: { wait: { seconds: 30 } }`}
  - guarded:
      try:
        - effect:
            call: http
            with: { method: post, endpoint: '${stubUrl}/effect', body: { n: '\${ $workflow.input.n }' } }
      catch:
        errors: { with: { type: https://serverlessworkflow.io/spec/1.0.0/errors/communication } }
        retry:
          delay: { seconds: 10 }
          limit: { attempt: { count: 10 } }
  - done: { set: { n: '\${ $workflow.input.n }' } }
`;
}

export async function register(sql: Sql, yaml: string): Promise<void> {
  await registerWorkflow(sql, yaml);
}

/** Starts instances n = from … from+count−1 in transactions of 500. */
export async function startMany(sql: Sql, name: string, count: number, from = 0): Promise<void> {
  for (let i = 0; i < count; i += 500) {
    await sql.begin(async (tx) => {
      for (let n = from + i; n < from + Math.min(count, i + 500); n++) {
        await startInstance(tx, { namespace: NAMESPACE, workflowName: name, workflowVersion: '1.0.0', queue: 'weir_default', input: { n } });
      }
    });
  }
}

export async function statuses(sql: Sql): Promise<Record<string, number>> {
  const rows = await sql<{ status: string; n: number }>`SELECT status, count(*)::int AS n FROM weir.instances GROUP BY status ORDER BY status`;
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}

export async function completed(sql: Sql): Promise<number> {
  return (await sql<{ n: number }>`SELECT count(*)::int AS n FROM weir.instances WHERE status = 'completed'`)[0].n;
}

/**
 * Moves the database clock `step` every `everyMs` (so waits and retry back-offs fire without
 * sleeping) until stopped. Errors (the database restarting) are ignored: the next tick retries.
 */
export function driveClock(sql: Sql, step = '15 seconds', everyMs = 250): { ticks: number; stop(): void } {
  const state = { ticks: 0, stop: () => clearInterval(t) };
  let busy = false;
  const t = setInterval(() => {
    if (busy) return;
    busy = true;
    sql`SELECT weir.advance_clock(${step}::interval)`
      .then(() => void state.ticks++)
      .catch(() => {})
      .finally(() => (busy = false));
  }, everyMs);
  return state;
}

/** Messages of Weir's queues whose visibility timeout is still ahead (held by some replica). */
export async function hiddenMessages(sql: Sql): Promise<number> {
  const queues = await sql<{ queue_name: string }>`SELECT queue_name FROM pgmq.list_queues() WHERE queue_name <> 'weir_dead'`;
  let n = 0;
  for (const { queue_name: q } of queues) {
    const [r] = await sql.unsafe<{ n: number }>(`SELECT count(*)::int AS n FROM pgmq."q_${q}" WHERE vt > clock_timestamp()`);
    n += Number(r.n);
  }
  return n;
}

/** Messages left in Weir's queues (visible or not), weir_dead excluded. */
export async function queuedMessages(sql: Sql): Promise<number> {
  const queues = await sql<{ queue_name: string }>`SELECT queue_name FROM pgmq.list_queues() WHERE queue_name <> 'weir_dead'`;
  let n = 0;
  for (const { queue_name: q } of queues) n += Number((await sql.unsafe<{ n: number }>(`SELECT count(*)::int AS n FROM pgmq."q_${q}"`))[0].n);
  return n;
}
