/**
 * `Idempotency-Key` on unsafe requests (draft-ietf-httpapi-idempotency-key-header): the same key
 * with the same request replays the stored response; with a different request it is 422; while
 * the first request with that key is still running, 409. Keys are scoped to the API key and the
 * route, and expire after `ttlSeconds`. Server errors (5xx) are not stored: the client may retry.
 */
import type { MiddlewareHandler } from 'hono';
import type { Sql } from '../store/sql.ts';
import type { Principal } from './auth.ts';
import { sha256Hex } from '../crypto.ts';
import { problem, problemResponse } from './problem.ts';
import { claimKey, completeKey, releaseKey, sweepExpiredKeys } from './queries/idempotency.ts';

const replayedHeaders = ['content-type', 'location'];

export function idempotency(options: { sql: () => Sql; ttlSeconds: number }): MiddlewareHandler {
  return async (c, next) => {
    const key = c.req.header('idempotency-key');
    if (key === undefined || c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    if (!/^[\x21-\x7e]{1,255}$/.test(key)) {
      return problemResponse(
        c,
        problem(400, 'bad_request', 'Idempotency-Key must be 1 to 255 visible ASCII characters', [
          { pointer: '/headers/idempotency-key', message: 'invalid key' },
        ]),
      );
    }
    const sql = options.sql();
    const p = c.get('principal' as never) as Principal | undefined;
    const url = new URL(c.req.url);
    // A long path (a 20,000-character name) would not fit the primary key's btree entry (a 500):
    // past 512 characters the scope holds the path's digest instead.
    const path = url.pathname.length > 512 ? `sha256:${await sha256Hex(url.pathname)}` : url.pathname;
    const scope = `${p?.id ?? 'anonymous'} ${c.req.method} ${path}`;
    // Bytes, not text: Hono derives later text()/json() from this cached body, and a binary
    // CloudEvent's data must survive unchanged.
    const body = new Uint8Array(await c.req.arrayBuffer());
    const head = new TextEncoder().encode(`${url.search}\n${c.req.header('content-type') ?? ''}\n`);
    const message = new Uint8Array(head.length + body.length);
    message.set(head);
    message.set(body, head.length);
    const digest = await sha256Hex(message);
    const claim = await claimKey(sql, { scope, key, digest, ttlSeconds: options.ttlSeconds, lockSeconds: 120 });
    if (claim.kind === 'mismatch') {
      return problemResponse(
        c,
        problem(422, 'idempotency_key_reused', 'this Idempotency-Key was already used with a different request', [
          { pointer: '/headers/idempotency-key', message: 'already used with a different request' },
        ]),
      );
    }
    if (claim.kind === 'in_flight') {
      return problemResponse(c, problem(409, 'idempotency_key_in_use', 'a request with this Idempotency-Key is still being processed; retry later'), {
        'Retry-After': '1',
      });
    }
    if (claim.kind === 'replay') {
      const { status, headers, body: stored } = claim.response;
      const nullBody = status === 204 || status === 205 || status === 304;
      return new Response(nullBody ? null : stored, { status, headers: { ...headers, 'Idempotent-Replayed': 'true' } });
    }
    try {
      await next();
    } catch (error) {
      await releaseKey(sql, scope, key);
      throw error;
    }
    const res = c.res;
    if (res.status >= 500) {
      await releaseKey(sql, scope, key);
      return;
    }
    const headers: Record<string, string> = {};
    for (const h of replayedHeaders) {
      const v = res.headers.get(h);
      if (v !== null) headers[h] = v;
    }
    await completeKey(sql, scope, key, { status: res.status, headers, body: await res.clone().text() });
    // One request in a hundred sweeps a bounded batch of expired keys.
    if (Math.random() < 0.01) await sweepExpiredKeys(sql).catch(() => {});
  };
}
