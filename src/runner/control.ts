/**
 * Control of running instances: cancel, suspend, resume — each idempotent and safe against a
 * concurrent activation (row lock; checkpoints keep a suspension; a cancel goes through the
 * interpreter so children and timers end with it).
 */
import { WeirError } from '../errors.ts';
import { armCallbacks } from './callbacks.ts';
import { notifyWork } from '../store/notify.ts';
import { pgmq } from '../store/queries/pgmq.ts';
import { getInstance, type InstanceRow, type RunnerMessage } from '../store/queries/instances.ts';
import { json, type Sql } from '../store/sql.ts';

type Locked = { id: string; status: string; queue: string; has_state: boolean; version: number };

async function lock(tx: Sql, id: string): Promise<Locked> {
  const [row] = await tx<Locked>`
    SELECT id, status, queue, state IS NOT NULL AS has_state, version FROM weir.instances WHERE id = ${id}::uuid FOR UPDATE`;
  if (!row) throw new WeirError('not_found', `instance ${id} does not exist`);
  return row;
}

const terminal = (s: string) => s === 'completed' || s === 'faulted' || s === 'cancelled';

async function appendHistory(tx: Sql, id: string, kind: string, data: unknown): Promise<void> {
  await tx`
    INSERT INTO weir.history (instance_id, seq, at, kind, data)
    VALUES (${id}::uuid, coalesce((SELECT max(seq) FROM weir.history WHERE instance_id = ${id}::uuid), 0) + 1, weir.now(), ${kind}, ${json(data)}::jsonb)`;
}

/**
 * Cancels an instance. One that has not started yet ends `cancelled` at once; a started one gets a
 * `cancel` message, and the interpreter cancels its children and timers in its final checkpoint.
 * Returns the instance (unchanged when it had already ended).
 */
export async function cancelInstance(sql: Sql, id: string, reason = 'cancelled by request'): Promise<InstanceRow> {
  await sql.begin((tx) => cancelInstanceIn(tx, id, reason));
  return (await getInstance(sql, id)) as InstanceRow;
}

/** `cancelInstance` inside the caller's transaction. */
export async function cancelInstanceIn(tx: Sql, id: string, reason = 'cancelled by request'): Promise<void> {
  const row = await lock(tx, id);
  if (terminal(row.status)) return;
  if (!row.has_state) {
    await tx`
      UPDATE weir.instances SET status = 'cancelled', version = version + 1, updated_at = weir.now(), ended_at = weir.now(),
        error = ${json({ type: 'https://serverlessworkflow.io/spec/1.0.0/errors/runtime', status: 499, title: 'Cancelled', detail: reason })}::jsonb
      WHERE id = ${id}::uuid`;
    await tx`DELETE FROM weir.timers WHERE instance_id = ${id}::uuid`;
    await armCallbacks(tx, [id]);
    await appendHistory(tx, id, 'workflowCancelled', { reason });
    return;
  }
  await pgmq.send(tx, row.queue, { instance: id, kind: 'cancel', target: id, reason } satisfies RunnerMessage);
  await notifyWork(tx, row.queue);
}

/** Suspends: messages for the instance are parked, not consumed, until resume. */
export async function suspendInstance(sql: Sql, id: string): Promise<InstanceRow> {
  await sql.begin(async (tx) => {
    const row = await lock(tx, id);
    if (terminal(row.status)) throw new WeirError('conflict', `instance ${id} has ended (${row.status}); it cannot be suspended`);
    if (row.status === 'suspended') return;
    await tx`UPDATE weir.instances SET status = 'suspended', updated_at = weir.now() WHERE id = ${id}::uuid`;
    await appendHistory(tx, id, 'workflowSuspended', {});
  });
  return (await getInstance(sql, id)) as InstanceRow;
}

/** Resumes a suspended instance: its parked messages become due now. */
export async function resumeInstance(sql: Sql, id: string): Promise<InstanceRow> {
  await sql.begin(async (tx) => {
    const row = await lock(tx, id);
    if (row.status !== 'suspended') {
      if (terminal(row.status)) throw new WeirError('conflict', `instance ${id} has ended (${row.status}); it cannot be resumed`);
      return;
    }
    // Not started and waiting for a concurrency slot it does not hold: back in its scope's queue.
    const [back] = await tx<{ status: string; slot_scope: string | null }>`
      UPDATE weir.instances SET status = CASE
          -- Retried from its failed task while waiting for a slot (runner/retry.ts): still waiting.
          WHEN state ? 'retrying' AND slot_scope IS NOT NULL AND NOT EXISTS (SELECT 1 FROM weir.slots WHERE instance_id = ${id}::uuid) THEN 'queued'
          WHEN state IS NOT NULL THEN coalesce(state->>'status', 'waiting')
          WHEN slot_scope IS NOT NULL AND NOT EXISTS (SELECT 1 FROM weir.slots WHERE instance_id = ${id}::uuid)
               AND NOT EXISTS (SELECT 1 FROM weir.timers WHERE instance_id = ${id}::uuid AND id = 'debounce') THEN 'queued'
          WHEN EXISTS (SELECT 1 FROM weir.timers WHERE instance_id = ${id}::uuid AND id = 'debounce') THEN 'delayed'
          ELSE 'pending' END,
        updated_at = weir.now()
      WHERE id = ${id}::uuid RETURNING status, slot_scope`;
    if (back.status === 'queued' && back.slot_scope) await tx`SELECT weir.promote_queued(${back.slot_scope})`;
    await tx`UPDATE weir.timers SET due_at = weir.now() WHERE instance_id = ${id}::uuid AND id LIKE 'parked:%'`;
    await appendHistory(tx, id, 'workflowResumed', {});
    await notifyWork(tx, row.queue);
  });
  return (await getInstance(sql, id)) as InstanceRow;
}
