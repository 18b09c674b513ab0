/**
 * Completion callbacks: an instance started with a callback URL has its outcome POSTed there when
 * it ends, signed per Standard Webhooks with WEIR_CALLBACK_SECRET. The ending checkpoint arms a
 * `callback:1` timer in its own transaction; each attempt is an activation that performs the POST
 * outside any transaction; a failure re-arms the timer with exponential back-off (5 s doubling, at
 * most 1 h apart) up to 8 attempts. Outcomes are recorded in the instance history.
 */
import { performHttp, type HttpPerformerOptions } from '../effects/http.ts';
import type { Message } from '../store/queries/pgmq.ts';
import { pgmq } from '../store/queries/pgmq.ts';
import type { RunnerMessage } from '../store/queries/instances.ts';
import { json, type Sql } from '../store/sql.ts';
import { standardSignature } from '../signatures.ts';

export const CALLBACK_ATTEMPTS = 8;

/** Arms the first delivery of an ended instance's callback (no-op without one). Call in its ending transaction. */
export async function armCallbacks(tx: Sql, instanceIds: readonly string[]): Promise<void> {
  if (!instanceIds.length) return;
  await tx`
    INSERT INTO weir.timers (id, instance_id, queue, due_at, message)
    SELECT 'callback:1', id, queue, weir.now(), jsonb_build_object('instance', id, 'kind', 'callback', 'target', 'callback:1', 'attempt', 1)
    FROM weir.instances
    WHERE id IN (SELECT (jsonb_array_elements_text(${json(instanceIds)}::jsonb))::uuid) AND callback IS NOT NULL
    ON CONFLICT (instance_id, id) DO NOTHING`;
}

export interface CallbackDeps {
  sql: Sql;
  http: HttpPerformerOptions;
  secret?: string;
}

type Row = {
  id: string;
  namespace: string;
  workflow_name: string;
  workflow_version: string;
  status: string;
  output: unknown;
  error: unknown;
  ended_at: Date | null;
  callback: { url: string } | null;
  queue: string;
};

export async function deliverCallback(deps: CallbackDeps, queue: string, msg: Message<RunnerMessage>): Promise<'done' | 'stale'> {
  const attempt = Number(msg.message.attempt ?? 1);
  const [row] = await deps.sql<Row>`
    SELECT id, namespace, workflow_name, workflow_version, status, output, error, ended_at, callback, queue
    FROM weir.instances WHERE id = ${msg.message.instance}::uuid`;
  if (!row?.callback || !row.ended_at) {
    await pgmq.delete(deps.sql, queue, msg.msgId);
    return 'stale';
  }
  const payload = JSON.stringify({
    type: 'weir.instance.ended',
    instance: {
      id: row.id,
      namespace: row.namespace,
      workflow: { name: row.workflow_name, version: row.workflow_version },
      status: row.status,
      output: row.output ?? null,
      error: row.error ?? null,
      endedAt: new Date(row.ended_at).toISOString(),
    },
  });
  const deliveryId = `${row.id}:callback`;
  const timestamp = Math.floor(Date.now() / 1000);
  const headers: Record<string, string> = { 'content-type': 'application/json', 'webhook-id': deliveryId, 'webhook-timestamp': String(timestamp) };
  if (deps.secret) headers['webhook-signature'] = await standardSignature(deps.secret, deliveryId, timestamp, new TextEncoder().encode(payload));
  const outcome = await performHttp(
    { kind: 'http', id: `callback:${attempt}`, task: '', request: { method: 'POST', url: row.callback.url, headers, body: payload }, idempotencyKey: deliveryId },
    deps.http,
  );
  const ok = 'result' in outcome && outcome.result.status >= 200 && outcome.result.status < 300;
  const detail = 'result' in outcome ? { status: outcome.result.status } : { error: outcome.error.detail ?? outcome.error.title };
  await deps.sql.begin(async (tx) => {
    const kind = ok ? 'callbackDelivered' : attempt >= CALLBACK_ATTEMPTS ? 'callbackFailed' : 'callbackRetried';
    await tx`
      INSERT INTO weir.history (instance_id, seq, at, kind, data)
      VALUES (${row.id}::uuid, coalesce((SELECT max(seq) FROM weir.history WHERE instance_id = ${row.id}::uuid), 0) + 1, weir.now(), ${kind},
              ${json({ url: row.callback?.url, attempt, ...detail })}::jsonb)`;
    if (!ok && attempt < CALLBACK_ATTEMPTS) {
      const next = attempt + 1;
      const delaySeconds = Math.min(3600, 5 * 2 ** (attempt - 1));
      await tx`
        INSERT INTO weir.timers (id, instance_id, queue, due_at, message)
        VALUES (${`callback:${next}`}, ${row.id}::uuid, ${row.queue}, weir.now() + make_interval(secs => ${delaySeconds}),
                ${json({ instance: row.id, kind: 'callback', target: `callback:${next}`, attempt: next })}::jsonb)
        ON CONFLICT (instance_id, id) DO NOTHING`;
    }
    await pgmq.delete(tx, queue, msg.msgId);
  });
  return 'done';
}
