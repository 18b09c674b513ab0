/**
 * The API's rate limit (src/api/rate-limit.ts, queries/rate-limits.ts): the bucket in Postgres
 * grants tokens in leases that a replica spends locally. What must hold: the bucket never grants
 * a token twice, whatever replicas race for it; below 20 requests a second the limit is exact (a
 * token per request, taken for it); above, a busy key costs a statement per lease, not per request;
 * leases lapse and shrink. The clock is the database's (weir.set_fake_now), frozen, so the bucket
 * does not refill under a test.
 */
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { RateLimiter } from '../../../src/api/rate-limit.ts';
import { takeTokens } from '../../../src/api/queries/rate-limits.ts';
import { counting } from '../../support/counting.ts';
import { useTestDatabase } from '../../support/db.ts';

const db = useTestDatabase();
let n = 0;
const key = () => `test:${n++}`;
const tokensOf = async (k: string) => Number((await db.current.sql<{ tokens: number }>`SELECT tokens FROM weir.rate_limits WHERE key = ${k}`)[0]?.tokens);

beforeEach(async () => {
  await db.current.sql`SELECT weir.set_fake_now('2026-06-01T00:00:00Z')`;
});
afterEach(async () => {
  await db.current.sql`SELECT weir.set_fake_now(NULL)`;
});

describe('takeTokens', () => {
  test('a new key starts full; grants up to `want`, then what is left in whole tokens, then none with the wait', async () => {
    const sql = db.current.sql;
    const k = key();
    expect(await takeTokens(sql, k, 2, 5, 3)).toEqual({ granted: 3, retryAfterSeconds: 0 });
    expect(await tokensOf(k)).toBe(2);
    expect(await takeTokens(sql, k, 2, 5, 3)).toEqual({ granted: 2, retryAfterSeconds: 0 });
    expect(await takeTokens(sql, k, 2, 5, 3)).toEqual({ granted: 0, retryAfterSeconds: 1 });
    // 0.25 s at 2 a second: half a token, still none to grant; the wait is for the other half.
    await sql`SELECT weir.set_fake_now('2026-06-01T00:00:00.25Z')`;
    expect(await takeTokens(sql, k, 2, 5, 3)).toEqual({ granted: 0, retryAfterSeconds: 1 });
    expect(await tokensOf(k)).toBe(0);
    // 2 s more: 4.5 tokens, 3 granted, 1.5 left; the refill never passes the burst.
    await sql`SELECT weir.set_fake_now('2026-06-01T00:00:02.25Z')`;
    expect(await takeTokens(sql, k, 2, 5, 3)).toEqual({ granted: 3, retryAfterSeconds: 0 });
    expect(await tokensOf(k)).toBeCloseTo(1.5, 6);
    await sql`SELECT weir.set_fake_now('2026-06-01T01:00:00Z')`;
    expect(await takeTokens(sql, k, 2, 5, 1)).toEqual({ granted: 1, retryAfterSeconds: 0 });
    expect(await tokensOf(k)).toBe(4);
  });

  test('the wait counts the tokens missing at the rate', async () => {
    const k = key();
    expect((await takeTokens(db.current.sql, k, 0.1, 1, 1)).granted).toBe(1);
    // 0 tokens at 0.1 a second: 10 s to the next.
    expect(await takeTokens(db.current.sql, k, 0.1, 1, 1)).toEqual({ granted: 0, retryAfterSeconds: 10 });
  });

  test('takers racing on one bucket — new or not — never share a token', async () => {
    for (const start of ['new', 'existing']) {
      const k = key();
      if (start === 'existing') await takeTokens(db.current.sql, k, 1, 100, 1);
      const before = start === 'existing' ? 99 : 100;
      const results = await Promise.all(Array.from({ length: 24 }, () => takeTokens(db.current.sql, k, 1, 100, 7)));
      const granted = results.reduce((a, r) => a + r.granted, 0);
      expect(granted).toBe(before);
      expect(await tokensOf(k)).toBe(0);
      // 24 takers of 7 ask for 168: the last ones were told to wait.
      expect(results.filter((r) => r.granted === 0).length).toBeGreaterThan(0);
    }
  });
});

describe('RateLimiter', () => {
  test('a limit of 0 is no limit: every request allowed, no statement', async () => {
    const c = counting(db.current.sql);
    const limiter = new RateLimiter(0, 0);
    for (let i = 0; i < 3; i++) expect(await limiter.take(c.sql, key())).toEqual({ allowed: true });
    expect(c.statements).toBe(0);
  });

  test('below 20 a second it is exact: one statement and one token per request, none held', async () => {
    const c = counting(db.current.sql);
    const limiter = new RateLimiter(10, 3);
    const k = key();
    const verdicts = [];
    for (let i = 0; i < 4; i++) verdicts.push(await limiter.take(c.sql, k));
    expect(verdicts.map((v) => v.allowed)).toEqual([true, true, true, false]);
    expect(verdicts[3]).toEqual({ allowed: false, retryAfterSeconds: 1 });
    expect(c.statements).toBe(4);
    expect(limiter.held(k)).toBe(0);
    expect(await tokensOf(k)).toBe(0);
  });

  test('a busy key leases: 100 requests at 100 a second take far fewer statements, and every token spent was taken', async () => {
    const c = counting(db.current.sql);
    const limiter = new RateLimiter(100, 1000);
    const k = key();
    for (let i = 0; i < 100; i++) expect((await limiter.take(c.sql, k)).allowed).toBe(true);
    // Leases of 1, 2, 4, 8, then 10 (a tenth of a second's rate): 4 + 9 = 13 statements.
    expect(c.statements).toBe(13);
    const taken = 1000 - (await tokensOf(k));
    expect(taken - limiter.held(k)).toBe(100);
    expect(limiter.held(k)).toBeLessThan(10);
  });

  test('concurrent requests of one key wait for one lease at a time and spend it', async () => {
    const c = counting(db.current.sql);
    const limiter = new RateLimiter(1000, 10_000);
    const k = key();
    const verdicts = await Promise.all(Array.from({ length: 60 }, () => limiter.take(c.sql, k)));
    expect(verdicts.every((v) => v.allowed)).toBe(true);
    // 1 + 2 + 4 + … + 32 = 63 ≥ 60: six leases, one after another.
    expect(c.statements).toBe(6);
    expect(10_000 - (await tokensOf(k))).toBe(60 + limiter.held(k));
  });

  test('replicas sharing a bucket never spend more than it granted, and spend nearly all of it', async () => {
    const k = key();
    const replicas = [new RateLimiter(200, 300), new RateLimiter(200, 300), new RateLimiter(200, 300)];
    const verdicts = await Promise.all(
      replicas.flatMap((r) => Array.from({ length: 150 }, async (_, i) => {
        // Interleave the replicas' requests over the event loop.
        for (let y = 0; y < i % 7; y++) await Promise.resolve();
        return r.take(db.current.sql, k);
      })),
    );
    const allowed = verdicts.filter((v) => v.allowed).length;
    const held = replicas.reduce((a, r) => a + r.held(k), 0);
    expect(allowed + held).toBe(300);
    // What the replicas hold unspent is at most a tenth of a second's rate each.
    expect(held).toBeLessThanOrEqual(3 * 20);
    expect(verdicts.filter((v) => !v.allowed).every((v) => !v.allowed && v.retryAfterSeconds === 1)).toBe(true);
  });

  test('a lease lapses unspent after leaseMs and the next is smaller', async () => {
    const c = counting(db.current.sql);
    const limiter = new RateLimiter(100, 1000, { leaseMs: 0 });
    const k = key();
    // leaseMs 0: every lease lapses at once. Sizes go 1 (spent), 2 (one left, lapsed), 1, 2, …:
    // never more than two tokens taken for a request.
    for (let i = 0; i < 10; i++) expect((await limiter.take(c.sql, k)).allowed).toBe(true);
    expect(limiter.held(k)).toBe(0);
    expect(c.statements).toBe(10);
    expect(1000 - (await tokensOf(k))).toBe(15);
  });

  test('a denial makes the next lease one token again', async () => {
    const limiter = new RateLimiter(40, 8);
    const k = key();
    // A lease is at most 4 here (burst / 2): 1 + 2 + 4 = 7, then 1 of the 1 left, then none.
    for (let i = 0; i < 8; i++) expect((await limiter.take(db.current.sql, k)).allowed).toBe(true);
    expect((await limiter.take(db.current.sql, k)).allowed).toBe(false);
    await db.current.sql`SELECT weir.set_fake_now('2026-06-01T00:00:10Z')`;
    const c = counting(db.current.sql);
    expect((await limiter.take(c.sql, k)).allowed).toBe(true);
    expect(await tokensOf(k)).toBe(7);
    expect(c.statements).toBe(1);
  });

  test('the keys remembered are bounded: past maxKeys the oldest go, tokens and all', async () => {
    const limiter = new RateLimiter(1000, 10_000, { maxKeys: 8 });
    const keys = Array.from({ length: 20 }, key);
    // Two requests each: the second lease holds a token, so no key is free to forget.
    for (const k of keys) for (let i = 0; i < 2; i++) expect((await limiter.take(db.current.sql, k)).allowed).toBe(true);
    expect(limiter.keys).toBeLessThanOrEqual(8);
    expect(limiter.held(keys[0])).toBe(0);
    expect(limiter.held(keys[19])).toBe(1);
  });
});
