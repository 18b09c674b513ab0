/**
 * Retry from the failed task (`POST /v1/instances/{id}/retry`): a faulted instance resumes — the
 * same instance — at the task that failed, keeping what completed before it (engine/retry.ts).
 *
 * One transaction, like a dead-letter requeue: the interpreter's state is prepared here (pure,
 * so the row's state and status agree at once: cancel, suspend and resume treat it like any
 * running instance), the row goes back to `running` with its error and end cleared and its
 * version bumped, a `workflowRetried` history row says which task runs again, and a `retry`
 * message makes a runner run it. The fault released the instance's concurrency slot (the
 * trigger in sql/60_flow.sql), so a limited workflow takes one again — or queues, FIFO behind the
 * instances already waiting, whatever its `onLimit` says: the caller asked to finish this instance,
 * not to start one, so it is never skipped and never cancels others. `weir.promote_queued` sends a
 * queued one its `retry` when a slot frees.
 */
import { prepareRetry, retryRefusal } from '../engine/index.ts';
import type { InstanceState } from '../engine/types.ts';
import { WeirError } from '../errors.ts';
import { notifyWork } from '../store/notify.ts';
import { getInstance, type InstanceRow, type RunnerMessage } from '../store/queries/instances.ts';
import { pgmq } from '../store/queries/pgmq.ts';
import { json, type Sql } from '../store/sql.ts';
import { workflowFlow } from './flow.ts';

type Locked = {
  status: string;
  state: InstanceState | null;
  error: { title?: string } | null;
  queue: string;
  priority: number;
  slot_scope: string | null;
  namespace: string;
  workflow_name: string;
  workflow_version: string;
  now: Date;
};

export interface Retried {
  instance: InstanceRow;
  /** Pointer of the task that runs again. */
  task: string;
  /** True when the instance waits for a concurrency slot (status `queued`). */
  queued: boolean;
}

export async function retryInstance(sql: Sql, id: string): Promise<Retried> {
  const { task, queued } = await sql.begin(async (tx) => {
    const [row] = await tx<Locked>`
      SELECT status, state, error, queue, priority, slot_scope, namespace, workflow_name, workflow_version, weir.now() AS now
      FROM weir.instances WHERE id = ${id}::uuid FOR UPDATE`;
    if (!row) throw new WeirError('not_found', `instance ${id} does not exist`);
    if (row.status !== 'faulted') {
      throw new WeirError('conflict', `instance ${id} is ${row.status}; only a faulted instance can be retried from its failed task`);
    }
    if (row.error?.title === 'Poison message') {
      throw new WeirError(
        'conflict',
        `instance ${id} was faulted by a poison message, not by a task; requeue its dead letter (GET /v1/dead-letters, POST /v1/dead-letters/{msgId}/requeue) or rerun it (POST /v1/instances/${id}/rerun)`,
      );
    }
    const refused = retryRefusal(row.state);
    if (refused) throw new WeirError('conflict', `instance ${id} cannot be retried from a task: ${refused}; rerun it instead (POST /v1/instances/${id}/rerun)`);

    const { state, history } = prepareRetry(row.state!, { now: new Date(row.now).getTime() });
    const queued = row.slot_scope !== null && !(await takeSlot(tx, id, row));
    await tx`
      UPDATE weir.instances SET status = ${queued ? 'queued' : 'running'}, state = ${json(state)}::jsonb,
        error = NULL, output = NULL, ended_at = NULL, version = version + 1, updated_at = weir.now()
      WHERE id = ${id}::uuid`;
    await tx`
      INSERT INTO weir.history (instance_id, seq, at, kind, task_ref, data)
      VALUES (${id}::uuid, coalesce((SELECT max(seq) FROM weir.history WHERE instance_id = ${id}::uuid), 0) + 1,
              weir.now(), 'workflowRetried', ${history.ref ?? null}, ${json({ ...(history.data as object), ...(queued ? { queued: true } : {}) })}::jsonb)`;
    if (!queued) {
      await pgmq.send(tx, row.queue, { instance: id, kind: 'retry', target: id } satisfies RunnerMessage, 0, row.priority > 0 ? { priority: row.priority } : undefined);
      await notifyWork(tx, row.queue);
    }
    return { task: history.ref!, queued };
  });
  return { instance: (await getInstance(sql, id)) as InstanceRow, task, queued };
}

/** Takes a slot of the instance's scope if one is free and nobody queues for it (runner/flow.ts). */
async function takeSlot(tx: Sql, id: string, row: Locked): Promise<boolean> {
  const scope = row.slot_scope!;
  const options = await workflowFlow(tx, row.namespace, row.workflow_name, row.workflow_version);
  const limit = options?.concurrency?.limit ?? 1;
  await tx`SELECT weir.slot_lock(${scope})`;
  const [{ used, queued }] = await tx<{ used: number; queued: boolean }>`
    SELECT (SELECT count(*)::int FROM weir.slots WHERE scope = ${scope}) AS used,
           EXISTS (SELECT 1 FROM weir.instances WHERE slot_scope = ${scope} AND status = 'queued') AS queued`;
  if (used >= limit || queued) return false;
  await tx`INSERT INTO weir.slots (instance_id, scope, acquired_at) VALUES (${id}::uuid, ${scope}, weir.now()) ON CONFLICT DO NOTHING`;
  return true;
}
