/**
 * API keys: `Authorization: Bearer weir_…`, looked up by SHA-256 (the key itself is never stored),
 * scoped to namespaces (or `*`) and a role (`read` < `write` < `admin`). Auth is on whenever the
 * database is a real Postgres; it is off only on the embedded database bound to loopback (local
 * development), where every request acts as an admin.
 */
import type { Context, MiddlewareHandler } from 'hono';
import type { Config } from '../config.ts';
import { WeirError } from '../errors.ts';
import { findApiKeyByHash, touchApiKey, type Role } from '../store/queries/keys.ts';
import type { Sql } from '../store/sql.ts';
import { randomBytes, sha256Hex, timingSafeEqual, toBase64Url } from '../crypto.ts';
import { problem, problemResponse } from './problem.ts';

export interface Principal {
  /** The key id (`admin-key` for WEIR_ADMIN_KEY, `anonymous` when auth is off). */
  id: string;
  role: Role;
  namespaces: readonly string[];
}

const rank: Record<Role, number> = { read: 1, write: 2, admin: 3 };

export function authMode(config: Config): 'open' | 'keys' {
  const loopback = /^(127\.\d+\.\d+\.\d+|::1|\[::1\]|localhost)$/i.test(config.http.host);
  return config.database.kind === 'pglite' && loopback ? 'open' : 'keys';
}

/** A new key: `weir_` and 32 base64url characters (192 random bits); `prefix` is shown in listings. */
export async function newApiKey(): Promise<{ key: string; hash: string; prefix: string }> {
  const key = `weir_${toBase64Url(randomBytes(24))}`;
  return { key, hash: await sha256Hex(key), prefix: key.slice(0, 12) };
}

export function allows(p: Principal, role: Role, namespace?: string): boolean {
  if (rank[p.role] < rank[role]) return false;
  return namespace === undefined || p.namespaces.includes('*') || p.namespaces.includes(namespace);
}

/** Throws 403 unless the caller has `role` in `namespace` (`*`: every namespace). */
export function authorize(c: Context, role: Role, namespace: string): Principal {
  const p = principalOf(c);
  const ok = namespace === '*' ? rank[p.role] >= rank[role] && p.namespaces.includes('*') : allows(p, role, namespace);
  if (!ok) {
    const where = namespace === '*' ? 'every namespace (*)' : `namespace "${namespace}"`;
    throw new WeirError('forbidden', `this API key (role ${p.role}, namespaces ${p.namespaces.join(',')}) needs role ${role} in ${where}`);
  }
  return p;
}

/** The namespaces a caller may see, or undefined for all of them. */
export function visibleNamespaces(c: Context): readonly string[] | undefined {
  const p = principalOf(c);
  return p.namespaces.includes('*') ? undefined : p.namespaces;
}

export function principalOf(c: Context): Principal {
  const p = c.get('principal' as never) as Principal | undefined;
  if (!p) throw new WeirError('unauthorized', 'no credentials');
  return p;
}

const anonymous: Principal = { id: 'anonymous', role: 'admin', namespaces: ['*'] };

export function authenticate(options: { mode: 'open' | 'keys'; sql: () => Sql; adminKey?: string }): MiddlewareHandler {
  const adminHash = options.adminKey ? sha256Hex(options.adminKey) : undefined;
  // last_used_at is written at most once a minute per key and process, off the request's path.
  const touched = new Map<string, number>();
  const touch = (id: string) => {
    const now = Date.now();
    if ((touched.get(id) ?? 0) > now - 60_000) return;
    if (touched.size > 10_000) touched.clear();
    touched.set(id, now);
    touchApiKey(options.sql(), id).catch(() => touched.delete(id));
  };
  const digests = new DigestCache();
  const deny = (c: Context, detail: string) =>
    problemResponse(c, problem(401, 'unauthorized', detail), { 'WWW-Authenticate': 'Bearer realm="weir"' });
  return async (c, next) => {
    if (options.mode === 'open') {
      c.set('principal' as never, anonymous as never);
      return next();
    }
    const header = c.req.header('authorization');
    const m = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!m) return deny(c, 'send an API key as `Authorization: Bearer <key>` (create one with `weir keys create`)');
    const hash = await digests.of(m[1]);
    if (adminHash && timingSafeEqual(hash, await adminHash)) {
      c.set('principal' as never, { id: 'admin-key', role: 'admin', namespaces: ['*'] } satisfies Principal as never);
      return next();
    }
    const row = await findApiKeyByHash(options.sql(), hash);
    if (!row) return deny(c, 'the API key is unknown or revoked');
    touch(row.id);
    c.set('principal' as never, { id: row.id, role: row.role, namespaces: row.namespaces } satisfies Principal as never);
    return next();
  };
}

/**
 * SHA-256 of the keys presented lately (at most `size`, the least recently used dropped first).
 * Web Crypto's digest is asynchronous — on Node a hop to the thread pool, 0.37 ms of an API
 * start's 3.4 ms in the server on a busy 2-core machine — and a client sends the same key on every
 * request. The cost: up to `size` recent keys stay in the process's memory for longer than their
 * requests (a heap dump would show them, as it shows any request in flight and WEIR_ADMIN_KEY); a
 * key is only ever looked up by the whole key, never by a shorter hash that two keys could share.
 */
export class DigestCache {
  readonly #hashes = new Map<string, Promise<string>>();
  readonly size: number;

  constructor(size = 1024) {
    this.size = size;
  }

  of(key: string): Promise<string> {
    // Ours are 37 characters; a longer one is hashed but not kept (memory stays under size × 256).
    if (key.length > 256) return sha256Hex(key);
    let hash = this.#hashes.get(key);
    if (hash) {
      this.#hashes.delete(key);
    } else {
      hash = sha256Hex(key);
      if (this.#hashes.size >= this.size) this.#hashes.delete(this.#hashes.keys().next().value as string);
    }
    this.#hashes.set(key, hash);
    return hash;
  }

  get cached(): number {
    return this.#hashes.size;
  }
}
