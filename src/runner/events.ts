/**
 * Storing CloudEvents and waking the instances that listen for them, in the caller's transaction.
 * Filters are applied by the interpreter (a `listen` task decides what it consumes); here each
 * candidate subscription gets an `event` message. A literal `with.type` in every filter of a
 * subscription narrows the candidates in SQL.
 */
import type { CloudEvent } from '../engine/types.ts';
import { json, type Sql } from '../store/sql.ts';
import { pgmq } from '../store/queries/pgmq.ts';
import type { RunnerMessage } from '../store/queries/instances.ts';
import { notifyWork } from '../store/notify.ts';
import { startWorkflow } from './flow.ts';
import { insertEvents, type CloudEventRecord } from '../store/queries/events.ts';
import { attributesMatch } from '../tasks/event-match.ts';
import type { EventConsumptionStrategy } from '../dsl/index.ts';

/**
 * Event matching takes one transaction-scoped advisory lock, both here and where a `listen`
 * registers its subscription (with its backlog scan): of two concurrent transactions, the second
 * always sees the first's event or subscription, so no event slips between an emit and a listen.
 */
export const EVENTS_LOCK_KEY = '8603398603210649204';

/**
 * Stores events (through `insertEvents`, the one write path: a repeated source + id is not a new
 * event) and wakes the subscriptions and `schedule.on` workflows the new ones concern. Events a
 * workflow emits (`namespace` given) reach only its own namespace; events published through the
 * API (which needs a key valid for every namespace) reach all of them.
 * Returns how many events were new, and how many subscriptions were woken or instances started.
 */
export async function deliverEvents(
  tx: Sql,
  given: readonly CloudEvent[],
  options: { namespace?: string } = {},
): Promise<{ inserted: number; woken: number }> {
  if (given.length === 0) return { inserted: 0, woken: 0 };
  const ns = options.namespace ?? null;
  await tx`SELECT pg_advisory_xact_lock(${EVENTS_LOCK_KEY}::bigint)`;
  const { inserted: events } = await insertEvents(tx, given as readonly CloudEventRecord[], ns ?? undefined);
  if (events.length === 0) return { inserted: 0, woken: 0 };
  const types = [...new Set(events.map((e) => e.type))];
  const subs = await tx<{ instance_id: string; id: string; queue: string; types: string[] | null }>`
    SELECT s.instance_id, s.id, i.queue, s.filters->'types' AS types
    FROM weir.subscriptions s JOIN weir.instances i ON i.id = s.instance_id
    WHERE (${ns}::text IS NULL OR i.namespace = ${ns}::text)
      AND (jsonb_typeof(s.filters->'types') IS DISTINCT FROM 'array'
       OR EXISTS (SELECT 1 FROM jsonb_array_elements_text(s.filters->'types') AS p(pattern),
                                jsonb_array_elements_text(${json(types)}::jsonb) AS e(type)
                  WHERE e.type ~ ('^(?:' || p.pattern || ')$')))`;
  let sent = await startOnEvents(tx, events, ns);
  for (const s of subs) {
    const relevant = events.filter((e) => !Array.isArray(s.types) || s.types.some((p) => new RegExp(`^(?:${p})$`).test(e.type)));
    if (!relevant.length) continue;
    await pgmq.send(tx, s.queue, { instance: s.instance_id, kind: 'event', target: s.id, events: relevant } satisfies RunnerMessage);
    await notifyWork(tx, s.queue);
    sent++;
  }
  return { inserted: events.length, woken: sent };
}

/**
 * The event types a subscription can match, as patterns safe to evaluate in SQL, or null when any
 * type may match (a filter without a plain `with.type`, or an expression). The interpreter reads a
 * `with` string as an exact value or a regular expression; a pattern of letters, digits and
 * `._:/-` means the same in JS and Postgres regex (only `.` is special), so the SQL pre-filter never
 * drops an event the interpreter would accept.
 */
export function literalTypes(filters: readonly unknown[]): string[] | null {
  const types: string[] = [];
  for (const f of filters) {
    const t = (f as { with?: { type?: unknown } } | null)?.with?.type;
    if (typeof t !== 'string' || !/^[A-Za-z0-9._:/-]+$/.test(t)) return null;
    types.push(t);
  }
  return types.length ? types : null;
}

/** `schedule.on` workflows: each matching event starts an instance with the event as its input. */
async function startOnEvents(tx: Sql, events: readonly CloudEvent[], ns: string | null): Promise<number> {
  const schedules = await tx<{ id: string; namespace: string; workflow_name: string; workflow_version: string; spec: { on: EventConsumptionStrategy }; queue: string; now: Date }>`
    SELECT s.id, s.namespace, s.workflow_name, s.workflow_version, s.spec, w.queue, weir.now() AS now FROM weir.schedules s
    JOIN weir.workflows w ON w.namespace = s.namespace AND w.name = s.workflow_name AND w.version = s.workflow_version
    WHERE s.enabled AND s.kind = 'on' AND (${ns}::text IS NULL OR s.namespace = ${ns}::text)`;
  let started = 0;
  for (const s of schedules) {
    const on = s.spec.on;
    const filters = 'one' in on ? [on.one] : 'any' in on ? on.any : [];
    for (const event of events) {
      const now = new Date(s.now).getTime();
      if (filters.length && !filters.some((f) => attributesMatch(f, event, {}, now))) continue;
      const { created } = await startWorkflow(tx, {
        namespace: s.namespace,
        workflowName: s.workflow_name,
        workflowVersion: s.workflow_version,
        queue: s.queue,
        input: event,
        idempotencyKey: `schedule:${s.id}:event:${event.source}:${event.id}`,
      });
      if (created) started++;
    }
  }
  return started;
}

/**
 * A new subscription also receives the events stored in the last `windowSeconds` that its types
 * allow (an emit that committed just before the listen registered is not lost); the interpreter
 * applies the filters. Runs in the checkpoint that registers the subscription.
 */
export async function deliverBacklog(
  tx: Sql,
  instanceId: string,
  queue: string,
  namespace: string,
  subs: readonly { id: string; filters: unknown }[],
  windowSeconds: number,
): Promise<number> {
  if (!subs.length) return 0;
  await tx`SELECT pg_advisory_xact_lock(${EVENTS_LOCK_KEY}::bigint)`;
  if (windowSeconds <= 0) return 0;
  let sent = 0;
  for (const sub of subs) {
    const types = (sub.filters as { types?: string[] | null }).types ?? null;
    const rows = await tx<{ event: CloudEvent }>`
      SELECT event FROM weir.events
      WHERE received_at >= weir.now() - make_interval(secs => ${windowSeconds})
        AND (namespace IS NULL OR namespace = ${namespace})
        AND (${json(types)}::jsonb IS NULL
             OR EXISTS (SELECT 1 FROM jsonb_array_elements_text(${json(types)}::jsonb) AS p(pattern) WHERE type ~ ('^(?:' || p.pattern || ')$')))
      ORDER BY received_at, id LIMIT 100`;
    if (!rows.length) continue;
    await pgmq.send(tx, queue, { instance: instanceId, kind: 'event', target: sub.id, events: rows.map((r) => r.event) } satisfies RunnerMessage);
    sent++;
  }
  return sent;
}
