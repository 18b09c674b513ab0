/**
 * Operations on many or ended instances: bulk cancel by filter (bounded), rerun of an ended
 * instance (a new instance, same input), and the dead-letter queue (`weir_dead`): list, and
 * requeue a poison message — its instance is revived and the message gets a fresh delivery count.
 */
import { WeirError } from '../errors.ts';
import { startWorkflow } from './flow.ts';
import { notifyWork } from '../store/notify.ts';
import { pgmq } from '../store/queries/pgmq.ts';
import { getInstance, listInstances, terminalStatuses, type InstanceFilter, type InstanceRow, type RunnerMessage } from '../store/queries/instances.ts';
import { getWorkflow } from '../store/queries/workflows.ts';
import { json, type Sql } from '../store/sql.ts';
import { cancelInstance } from './control.ts';

export const DEAD_QUEUE = 'weir_dead';

/** Cancels up to `limit` unended instances matching `filter`, oldest first. */
export async function cancelMatching(sql: Sql, filter: InstanceFilter, limit: number, reason: string): Promise<{ cancelled: number; more: boolean }> {
  const statuses = (filter.statuses ?? ['pending', 'running', 'waiting', 'suspended']).filter((s) => !terminalStatuses.includes(s));
  const rows = await listInstances(sql, { ...filter, statuses }, { limit: limit + 1 });
  const batch = rows.slice(0, limit);
  for (const row of batch) await cancelInstance(sql, row.id, reason);
  return { cancelled: batch.length, more: rows.length > limit };
}

/** Starts a new instance of the same workflow version with the same input. */
export async function rerunInstance(sql: Sql, id: string): Promise<InstanceRow> {
  const old = await getInstance(sql, id);
  if (!old) throw new WeirError('not_found', `instance ${id} does not exist`);
  if (!terminalStatuses.includes(old.status)) {
    throw new WeirError('conflict', `instance ${id} is ${old.status}; only an ended instance can be rerun`);
  }
  const wf = await getWorkflow(sql, old.namespace, old.workflowName, old.workflowVersion);
  if (!wf) throw new WeirError('not_found', `workflow ${old.namespace}/${old.workflowName}:${old.workflowVersion} is no longer registered`);
  const { instance } = await startWorkflow(sql, {
    namespace: old.namespace,
    workflowName: old.workflowName,
    workflowVersion: old.workflowVersion,
    queue: wf.queue,
    input: old.input,
    correlation: { rerunOf: old.id },
  });
  return instance;
}

export interface DeadLetter {
  msgId: number;
  queue: string;
  originalMsgId: number;
  readCt: number;
  enqueuedAt: string;
  message: RunnerMessage;
}

export async function listDeadLetters(sql: Sql, options: { limit: number; after?: number }): Promise<DeadLetter[]> {
  await pgmq.create(sql, DEAD_QUEUE);
  const rows = await sql<{ msg_id: number; message: { queue: string; msgId: number; readCt: number; enqueuedAt: string; message: RunnerMessage } }>`
    SELECT msg_id, message FROM pgmq.q_weir_dead WHERE msg_id > ${options.after ?? 0} ORDER BY msg_id LIMIT ${options.limit}`;
  return rows.map((r) => ({
    msgId: Number(r.msg_id),
    queue: r.message.queue,
    originalMsgId: r.message.msgId,
    readCt: r.message.readCt,
    enqueuedAt: r.message.enqueuedAt,
    message: r.message.message,
  }));
}

/**
 * Puts a dead message back on its queue with a fresh delivery count. Its instance, faulted when
 * the message died, is revived (status from its saved state, error cleared) in the same transaction.
 */
export async function requeueDeadLetter(sql: Sql, msgId: number): Promise<{ queue: string; instance: string | null }> {
  return sql.begin(async (tx) => {
    await pgmq.create(tx, DEAD_QUEUE);
    const [dead] = await tx<{ message: { queue: string; message: RunnerMessage } }>`
      DELETE FROM pgmq.q_weir_dead WHERE msg_id = ${msgId} RETURNING message`;
    if (!dead) throw new WeirError('not_found', `no dead letter ${msgId}`);
    const { queue, message } = dead.message;
    const instance = message?.instance ?? null;
    if (instance) {
      const revived = await tx<{ id: string }>`
        UPDATE weir.instances SET
          status = CASE WHEN state IS NULL OR state->'threads' = '{}'::jsonb THEN 'pending' ELSE 'waiting' END,
          state = CASE WHEN state IS NULL THEN NULL ELSE (state - 'error') || jsonb_build_object('status', 'waiting') END,
          error = NULL, ended_at = NULL, version = version + 1, updated_at = weir.now()
        WHERE id = ${instance}::uuid AND status = 'faulted' AND error->>'title' = 'Poison message'
        RETURNING id`;
      if (revived.length) {
        await tx`
          INSERT INTO weir.history (instance_id, seq, at, kind, data)
          VALUES (${instance}::uuid, coalesce((SELECT max(seq) FROM weir.history WHERE instance_id = ${instance}::uuid), 0) + 1,
                  weir.now(), 'workflowRequeued', ${json({ deadLetter: msgId })}::jsonb)`;
      }
    }
    await pgmq.send(tx, queue, message);
    await notifyWork(tx, queue);
    return { queue, instance };
  });
}
