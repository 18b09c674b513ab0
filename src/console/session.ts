/**
 * Console sessions: the login form takes an API key, checks it exactly as the API does (the
 * bootstrap admin key, else `findApiKeyByHash`), and sets a cookie
 *
 *   weir_console = v1.<k|a|o>.<sha256 of the key>.<expires, epoch s>.<nonce>.<HMAC-SHA256>
 *
 * Why this shape: the cookie never holds the key itself, only its SHA-256 — what the database
 * already stores, and useless against the Bearer API, which hashes what it is sent. Every request
 * looks the hash up again, so a revoked key ends its console sessions at once; no session table is
 * needed (any replica serves any request). The HMAC binds the expiry (8 hours) and a random nonce
 * (so each sign-in has its own CSRF token). Its secret is
 * derived from configuration every replica shares (admin key, encryption key, callback secret,
 * database URL); with none of those (the embedded database) it is per process, and a restart logs
 * everyone out. Forging a cookie still needs the key's hash, i.e. read access to `weir.api_keys`.
 *
 * CSRF: the cookie is SameSite=Strict, and every form carries a token derived from the session
 * (HMAC of the cookie value), checked on every POST; the login form checks Origin instead.
 */
import type { Context } from 'hono';
import { getCookie, setCookie, deleteCookie } from 'hono/cookie';
import type { Principal } from '../api/auth.ts';
import type { Config } from '../config.ts';
import { hmacSha256, randomBytes, sha256Hex, timingSafeEqual, toBase64Url } from '../crypto.ts';
import { findApiKeyByHash } from '../store/queries/keys.ts';
import type { Sql } from '../store/sql.ts';

export const COOKIE = 'weir_console';
export const SESSION_SECONDS = 8 * 3600;

export interface Session {
  principal: Principal;
  /** The cookie value the CSRF token is derived from. */
  token: string;
  csrf: string;
}

type Kind = 'k' | 'a' | 'o';

export interface SessionKeeper {
  /** Checks a submitted API key; a cookie value for it, or undefined when the key is unknown. */
  login(key: string): Promise<string | undefined>;
  /** The session a cookie value stands for, or undefined (bad signature, expired, revoked key). */
  verify(token: string | undefined): Promise<Session | undefined>;
  /** A new anonymous session (auth off: embedded database on loopback). */
  anonymous(): Promise<string>;
  csrfFor(token: string): Promise<string>;
}

export function sessionKeeper(options: { config: Config; mode: 'open' | 'keys'; sql: () => Sql; nowSeconds?: () => number }): SessionKeeper {
  const { config, mode } = options;
  const now = options.nowSeconds ?? (() => Math.floor(Date.now() / 1000));
  const shared = [config.adminKey, config.api.encryptionKey, config.callbackSecret, config.database.kind === 'postgres' ? config.database.url : undefined].filter(
    (v): v is string => typeof v === 'string' && v !== '',
  );
  const material = shared.length ? `weir-console-v1\0${shared.join('\0')}` : `weir-console-v1\0${toBase64Url(randomBytes(32))}`;
  const secret = sha256Hex(material);
  const adminHash = config.adminKey ? sha256Hex(config.adminKey) : undefined;

  const sign = async (payload: string) => toBase64Url(await hmacSha256(await secret, payload));
  const issue = async (kind: Kind, hash: string) => {
    const payload = `v1.${kind}.${hash}.${now() + SESSION_SECONDS}.${toBase64Url(randomBytes(9))}`;
    return `${payload}.${await sign(payload)}`;
  };
  const csrfFor = async (token: string) => (await sign(`csrf\0${token}`)).slice(0, 32);

  return {
    async login(key) {
      if (!key || key.length > 512) return undefined;
      const hash = await sha256Hex(key);
      if (adminHash && timingSafeEqual(hash, await adminHash)) return issue('a', hash);
      if (mode === 'open') return issue('o', hash);
      return (await findApiKeyByHash(options.sql(), hash)) ? issue('k', hash) : undefined;
    },
    async anonymous() {
      return issue('o', '-');
    },
    csrfFor,
    async verify(token) {
      if (!token || token.length > 512) return undefined;
      const m = /^(v1\.([kao])\.([0-9a-f]{64}|-)\.(\d{1,12})\.[\w-]{12})\.([\w-]+)$/.exec(token);
      if (!m) return undefined;
      const [, payload, kind, hash, expires, mac] = m;
      if (!timingSafeEqual(mac, await sign(payload)) || Number(expires) < now()) return undefined;
      let principal: Principal | undefined;
      if (kind === 'o') principal = mode === 'open' ? { id: 'anonymous', role: 'admin', namespaces: ['*'] } : undefined;
      else if (kind === 'a') principal = adminHash && timingSafeEqual(hash, await adminHash) ? { id: 'admin-key', role: 'admin', namespaces: ['*'] } : undefined;
      else {
        const row = await findApiKeyByHash(options.sql(), hash);
        principal = row ? { id: row.id, role: row.role, namespaces: row.namespaces } : undefined;
      }
      return principal ? { principal, token, csrf: await csrfFor(token) } : undefined;
    },
  };
}

const loopback = (host: string) => /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/i.test(host);

/** Secure unless the request itself is plain http to a loopback address (local development). */
export function cookieIsSecure(c: Context): boolean {
  const url = new URL(c.req.url);
  return !(url.protocol === 'http:' && loopback(url.hostname));
}

export function setSessionCookie(c: Context, token: string): void {
  setCookie(c, COOKIE, token, { path: '/ui', httpOnly: true, sameSite: 'Strict', secure: cookieIsSecure(c), maxAge: SESSION_SECONDS });
}

export function clearSessionCookie(c: Context): void {
  deleteCookie(c, COOKIE, { path: '/ui', httpOnly: true, sameSite: 'Strict', secure: cookieIsSecure(c) });
}

export const sessionCookie = (c: Context) => getCookie(c, COOKIE);

/**
 * A login POST must come from this origin: browsers send `Origin` on form posts (and
 * `Sec-Fetch-Site`); a request with neither (curl, tests) is allowed — it carries no ambient cookie.
 */
export function sameOrigin(c: Context): boolean {
  const site = c.req.header('sec-fetch-site');
  if (site && site !== 'same-origin' && site !== 'none') return false;
  const origin = c.req.header('origin');
  if (!origin || origin === 'null') return origin !== 'null';
  // Behind a TLS-terminating proxy the request URL is http://…; the Host header is what the browser used.
  const host = c.req.header('host') ?? new URL(c.req.url).host;
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}
