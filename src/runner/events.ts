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

export async function deliverEvents(tx: Sql, events: readonly CloudEvent[]): Promise<number> {
  if (events.length === 0) return 0;
  await tx`
    INSERT INTO weir.events (id, source, type, subject, time, data, event)
    SELECT e->>'id', e->>'source', e->>'type', e->>'subject', (e->>'time')::timestamptz, e->'data', e
    FROM jsonb_array_elements(${json(events)}::jsonb) AS e
    ON CONFLICT (source, id) DO NOTHING`;
  const types = [...new Set(events.map((e) => e.type))];
  const subs = await tx<{ instance_id: string; id: string; queue: string; types: string[] | null }>`
    SELECT s.instance_id, s.id, i.queue, s.filters->'types' AS types
    FROM weir.subscriptions s JOIN weir.instances i ON i.id = s.instance_id
    WHERE jsonb_typeof(s.filters->'types') IS DISTINCT FROM 'array'
       OR EXISTS (SELECT 1 FROM jsonb_array_elements_text(s.filters->'types') AS p(pattern),
                                jsonb_array_elements_text(${json(types)}::jsonb) AS e(type)
                  WHERE e.type ~ ('^(?:' || p.pattern || ')$'))`;
  let sent = 0;
  for (const s of subs) {
    const relevant = events.filter((e) => !Array.isArray(s.types) || s.types.some((p) => new RegExp(`^(?:${p})$`).test(e.type)));
    if (!relevant.length) continue;
    await pgmq.send(tx, s.queue, { instance: s.instance_id, kind: 'event', target: s.id, events: relevant } satisfies RunnerMessage);
    await notifyWork(tx, s.queue);
    sent++;
  }
  return sent;
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
