/**
 * The single write path for ingested CloudEvents: `insertEvents` stores a batch in one
 * transaction, deduplicated by (source, id) as the CloudEvents spec defines identity. The runner
 * adds subscription matching (waking `listen` tasks) inside this same transaction.
 */
import { json, type Sql } from '../sql.ts';

/** A CloudEvent 1.0 in its JSON form: context attributes, extensions, and `data` or `data_base64`. */
export interface CloudEventRecord {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  subject?: string;
  time?: string;
  datacontenttype?: string;
  dataschema?: string;
  data?: unknown;
  data_base64?: string;
  [extension: string]: unknown;
}

/**
 * Stores the events (`namespace`: emitted by a workflow there; absent: published to every
 * namespace); returns those that were new (a repeated source+id is ignored, so a retried
 * publish wakes no listener twice). Pass a transaction to make the insert part of it.
 */
export async function insertEvents<E extends CloudEventRecord>(sql: Sql, events: readonly E[], namespace?: string): Promise<{ inserted: E[] }> {
  if (events.length === 0) return { inserted: [] };
  return sql.begin(async (tx) => {
    const rows = await tx<{ source: string; id: string }>`
      INSERT INTO weir.events (id, source, type, subject, time, data, event, namespace)
      SELECT e->>'id', e->>'source', e->>'type', e->>'subject', (e->>'time')::timestamptz, e->'data', e, ${namespace ?? null}::text
      FROM jsonb_array_elements(${json(events)}::jsonb) AS e
      ON CONFLICT (source, id) DO NOTHING
      RETURNING source, id`;
    const fresh = new Set(rows.map((r) => JSON.stringify([r.source, r.id])));
    return { inserted: events.filter((e) => fresh.delete(JSON.stringify([e.source, e.id]))) };
  });
}
