/**
 * A token bucket per key in `weir.rate_limits`, shared by every replica, refilled from the
 * database clock. One statement: the upsert's `WHERE` refuses the update when fewer than one
 * token has accumulated, so an empty RETURNING means "denied" and a denied request costs no token.
 */
import type { Sql } from '../../store/sql.ts';

export async function takeToken(
  sql: Sql,
  key: string,
  perSecond: number,
  burst: number,
): Promise<{ allowed: true } | { allowed: false; retryAfterSeconds: number }> {
  const rows = await sql<{ tokens: number }>`
    INSERT INTO weir.rate_limits AS r (key, tokens, updated_at) VALUES (${key}, ${burst - 1}::float8, weir.now())
    ON CONFLICT (key) DO UPDATE
      SET tokens = LEAST(${burst}::float8, r.tokens + EXTRACT(EPOCH FROM weir.now() - r.updated_at)::float8 * ${perSecond}::float8) - 1,
          updated_at = weir.now()
      WHERE LEAST(${burst}::float8, r.tokens + EXTRACT(EPOCH FROM weir.now() - r.updated_at)::float8 * ${perSecond}::float8) >= 1
    RETURNING tokens`;
  if (rows.length) return { allowed: true };
  const [r] = await sql<{ tokens: number }>`
    SELECT LEAST(${burst}::float8, tokens + EXTRACT(EPOCH FROM weir.now() - updated_at)::float8 * ${perSecond}::float8) AS tokens
    FROM weir.rate_limits WHERE key = ${key}`;
  const missing = 1 - Number(r?.tokens ?? 0);
  return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(missing / perSecond)) };
}
