/**
 * Per-key rate limit: 429 with `Retry-After` when the key's bucket is empty. Requests without a
 * key (auth off) share one bucket per mode; public routes are not limited.
 *
 * The bucket is in Postgres, shared by every replica (queries/rate-limits.ts). A replica takes
 * tokens from it in leases and spends them locally, so a busy key costs a write now and then
 * instead of a write — a committed transaction on one hot row, and a round trip before the
 * request can go on — per request:
 * - A lease starts at one token and doubles each time one is spent in full, up to a tenth of a
 *   second's rate (`perSecond / 10`); one that lapses with tokens left halves. A key sending a
 *   trickle to many replicas so leases one token at a time, as before.
 * - Leased tokens lapse after `leaseMs` (1 s) unspent.
 * - Exact below 20 requests per second: the lease is one token, taken for the request at hand.
 * - Above, tokens are always taken from the bucket before they are spent, so the rate over time
 *   never exceeds the limit; a burst can exceed `burst` by what the replicas hold unspent — at
 *   most a tenth of a second's rate each, for at most `leaseMs`.
 * - Tokens a replica holds when it stops are lost: the limit is only ever stricter for it.
 */
import type { MiddlewareHandler } from 'hono';
import type { Sql } from '../store/sql.ts';
import type { Principal } from './auth.ts';
import { problem, problemResponse } from './problem.ts';
import { takeTokens } from './queries/rate-limits.ts';

export type Verdict = { allowed: true } | { allowed: false; retryAfterSeconds: number };

interface Lease {
  tokens: number;
  /** performance.now() past which `tokens` lapse. */
  until: number;
  /** Tokens the last lease asked for; 0 before the first and after a denial. */
  size: number;
  /** Requests of this key waiting for a lease: one lease is taken at a time. */
  turn: Promise<unknown>;
}

const ALLOWED: Verdict = { allowed: true };

export class RateLimiter {
  readonly #leases = new Map<string, Lease>();
  readonly #maxLease: number;
  readonly #leaseMs: number;
  readonly #maxKeys: number;
  readonly perSecond: number;
  readonly burst: number;

  constructor(perSecond: number, burst: number, options: { leaseMs?: number; maxKeys?: number } = {}) {
    this.perSecond = perSecond;
    this.burst = burst;
    this.#leaseMs = options.leaseMs ?? 1000;
    this.#maxKeys = options.maxKeys ?? 10_000;
    this.#maxLease = Math.max(1, Math.min(Math.floor(perSecond / 10), Math.floor(burst / 2)));
  }

  /** Spends one of `key`'s tokens, leasing more from the shared bucket when none are held; `perSecond` 0: no limit. */
  async take(sql: Sql, key: string): Promise<Verdict> {
    if (this.perSecond <= 0) return ALLOWED;
    const lease = this.#lease(key);
    if (spend(lease)) return ALLOWED;
    const verdict = lease.turn.then(() => this.#renew(sql, key, lease));
    lease.turn = verdict.catch(() => {});
    return verdict;
  }

  /** Tokens held for `key` now (tests, diagnostics). */
  held(key: string): number {
    const l = this.#leases.get(key);
    return l && performance.now() < l.until ? l.tokens : 0;
  }

  /** Keys with a lease record (bounded by maxKeys). */
  get keys(): number {
    return this.#leases.size;
  }

  async #renew(sql: Sql, key: string, lease: Lease): Promise<Verdict> {
    // A request ahead in the turn may have leased enough for this one too.
    if (spend(lease)) return ALLOWED;
    // Tokens left means the last lease lapsed: ask for fewer. None means it was all spent in time.
    lease.size =
      lease.size === 0 ? 1 : lease.tokens > 0 ? Math.max(1, Math.floor(lease.size / 2)) : Math.min(this.#maxLease, lease.size * 2);
    lease.tokens = 0;
    const r = await takeTokens(sql, key, this.perSecond, this.burst, lease.size);
    if (r.granted === 0) {
      lease.size = 0;
      return { allowed: false, retryAfterSeconds: r.retryAfterSeconds };
    }
    lease.tokens = r.granted - 1;
    lease.until = performance.now() + this.#leaseMs;
    return ALLOWED;
  }

  #lease(key: string): Lease {
    let lease = this.#leases.get(key);
    if (lease) return lease;
    // Bounded: past maxKeys, the keys holding no live tokens are forgotten (their next request
    // leases one token, as a new key does); if every key holds some, the oldest half goes, tokens
    // and all (only ever stricter).
    if (this.#leases.size >= this.#maxKeys) {
      const now = performance.now();
      for (const [k, l] of this.#leases) if (l.until <= now || l.tokens === 0) this.#leases.delete(k);
      if (this.#leases.size >= this.#maxKeys / 2) {
        let drop = this.#leases.size - Math.floor(this.#maxKeys / 2);
        for (const k of this.#leases.keys()) {
          if (drop-- <= 0) break;
          this.#leases.delete(k);
        }
      }
    }
    lease = { tokens: 0, until: 0, size: 0, turn: Promise.resolve() };
    this.#leases.set(key, lease);
    return lease;
  }
}

function spend(lease: Lease): boolean {
  if (lease.tokens > 0 && performance.now() < lease.until) {
    lease.tokens--;
    return true;
  }
  return false;
}

export function rateLimit(options: { sql: () => Sql; limiter: RateLimiter }): MiddlewareHandler {
  const { limiter } = options;
  return async (c, next) => {
    const p = c.get('principal' as never) as Principal | undefined;
    if (!p) return next();
    const r = await limiter.take(options.sql(), `api:${p.id}`);
    if (!r.allowed) {
      return problemResponse(
        c,
        problem(429, 'rate_limited', `this API key may send ${limiter.perSecond} requests per second (burst ${limiter.burst}); retry after ${r.retryAfterSeconds}s`),
        { 'Retry-After': String(r.retryAfterSeconds) },
      );
    }
    return next();
  };
}
