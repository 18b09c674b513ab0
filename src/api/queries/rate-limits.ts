/**
 * A token bucket per key in `weir.rate_limits`, shared by every replica, refilled from the
 * database clock: `perSecond` tokens a second up to `burst`. One statement takes up to `want`
 * tokens — as many whole tokens as the bucket holds, never fewer than one — or none, and then says
 * how long until the next one.
 */
import type { Sql } from '../../store/sql.ts';

export interface Taken {
  /** Tokens granted, 0 to `want`. */
  granted: number;
  /** With none granted: whole seconds until the bucket holds a token again (at least 1). */
  retryAfterSeconds: number;
}

export async function takeTokens(sql: Sql, key: string, perSecond: number, burst: number, want = 1, again = true): Promise<Taken> {
  // `cur` locks the key's row and reads its latest version (FOR UPDATE waits for a concurrent
  // taker, then re-reads); `upd` writes from it, so two replicas never grant the same token. A key
  // seen for the first time is inserted full, less what is granted; two first takers racing on the
  // INSERT: one gets DO NOTHING and asks again (below).
  const [r] = await sql<{ granted: number; avail: number | null }>`
    WITH n AS (SELECT weir.now() AS t),
    cur AS (
      SELECT b.key, LEAST(${burst}::float8, b.tokens + EXTRACT(EPOCH FROM n.t - b.updated_at)::float8 * ${perSecond}::float8) AS avail
      FROM weir.rate_limits b, n WHERE b.key = ${key} FOR UPDATE OF b),
    upd AS (
      UPDATE weir.rate_limits b SET tokens = cur.avail - LEAST(${want}::int, floor(cur.avail)::int), updated_at = n.t
      FROM cur, n WHERE b.key = cur.key AND cur.avail >= 1
      RETURNING LEAST(${want}::int, floor(cur.avail)::int) AS granted),
    ins AS (
      INSERT INTO weir.rate_limits (key, tokens, updated_at)
      SELECT ${key}, ${burst}::float8 - LEAST(${want}::int, floor(${burst}::float8)::int), n.t FROM n WHERE NOT EXISTS (SELECT 1 FROM cur)
      ON CONFLICT (key) DO NOTHING
      RETURNING LEAST(${want}::int, floor(${burst}::float8)::int) AS granted)
    SELECT coalesce((SELECT granted FROM upd), (SELECT granted FROM ins), 0)::int AS granted, (SELECT avail FROM cur) AS avail`;
  if (r.granted > 0) return { granted: r.granted, retryAfterSeconds: 0 };
  if (r.avail === null && again) return takeTokens(sql, key, perSecond, burst, want, false);
  return { granted: 0, retryAfterSeconds: Math.max(1, Math.ceil((1 - Number(r.avail ?? 0)) / perSecond)) };
}
