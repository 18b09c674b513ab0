/**
 * Idempotency-Key records (`weir.idempotency`): claimed before the request runs, completed with
 * its response, replayed until they expire. An expired record, or one whose request died without
 * completing it (lock lapsed), is taken over by the next request with the same key.
 */
import { json, type Sql } from '../../store/sql.ts';

export interface StoredResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export type Claim =
  | { kind: 'claimed' }
  | { kind: 'mismatch' }
  | { kind: 'in_flight' }
  | { kind: 'replay'; response: StoredResponse };

export async function claimKey(
  sql: Sql,
  r: { scope: string; key: string; digest: string; ttlSeconds: number; lockSeconds: number },
): Promise<Claim> {
  const claimed = await sql`
    INSERT INTO weir.idempotency AS i (key, scope, request_digest, locked_until, expires_at)
    VALUES (${r.key}, ${r.scope}, ${r.digest}, weir.now() + make_interval(secs => ${r.lockSeconds}::float8),
            weir.now() + make_interval(secs => ${r.ttlSeconds}::float8))
    ON CONFLICT (scope, key) DO UPDATE
      SET request_digest = EXCLUDED.request_digest, locked_until = EXCLUDED.locked_until,
          expires_at = EXCLUDED.expires_at, status = NULL, response = NULL
      WHERE i.expires_at <= weir.now() OR (i.status IS NULL AND i.locked_until <= weir.now())
    RETURNING key`;
  if (claimed.length) return { kind: 'claimed' };
  const [row] = await sql<{ request_digest: string; status: number | null; response: StoredResponse | null }>`
    SELECT request_digest, status, response FROM weir.idempotency WHERE scope = ${r.scope} AND key = ${r.key}`;
  // Deleted between the two statements (its request failed): the client may simply retry.
  if (!row) return { kind: 'in_flight' };
  if (row.request_digest !== r.digest) return { kind: 'mismatch' };
  if (row.status === null || !row.response) return { kind: 'in_flight' };
  return { kind: 'replay', response: row.response };
}

export async function completeKey(sql: Sql, scope: string, key: string, response: StoredResponse): Promise<void> {
  await sql`
    UPDATE weir.idempotency SET status = ${response.status}::smallint, response = ${json(response)}::jsonb, locked_until = NULL
    WHERE scope = ${scope} AND key = ${key}`;
}

export async function releaseKey(sql: Sql, scope: string, key: string): Promise<void> {
  await sql`DELETE FROM weir.idempotency WHERE scope = ${scope} AND key = ${key} AND status IS NULL`;
}

/** Deletes up to `limit` expired records; called now and then from requests (bounded work). */
export async function sweepExpiredKeys(sql: Sql, limit = 100): Promise<number> {
  const rows = await sql`
    DELETE FROM weir.idempotency WHERE ctid IN (
      SELECT ctid FROM weir.idempotency WHERE expires_at <= weir.now() LIMIT ${limit}::int)
    RETURNING key`;
  return rows.length;
}
