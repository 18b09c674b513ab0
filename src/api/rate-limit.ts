/**
 * Per-key rate limit: 429 with `Retry-After` when the key's bucket is empty. Requests without a
 * key (auth off) share one bucket per mode; public routes are not limited.
 */
import type { MiddlewareHandler } from 'hono';
import type { Sql } from '../store/sql.ts';
import type { Principal } from './auth.ts';
import { problem, problemResponse } from './problem.ts';
import { takeToken } from './queries/rate-limits.ts';

export function rateLimit(options: { sql: () => Sql; perSecond: number; burst: number }): MiddlewareHandler {
  return async (c, next) => {
    if (options.perSecond <= 0) return next();
    const p = c.get('principal' as never) as Principal | undefined;
    if (!p) return next();
    const r = await takeToken(options.sql(), `api:${p.id}`, options.perSecond, options.burst);
    if (!r.allowed) {
      return problemResponse(
        c,
        problem(429, 'rate_limited', `this API key may send ${options.perSecond} requests per second (burst ${options.burst}); retry after ${r.retryAfterSeconds}s`),
        { 'Retry-After': String(r.retryAfterSeconds) },
      );
    }
    return next();
  };
}
