/**
 * Shared by `call: http` and `call: openapi`: issuing the request as an `http` effect (with its
 * authentication round trips) and turning the result into the task output or a communication error.
 */
import type { OAuth2AuthenticationProperties } from '../dsl/model.ts';
import { fault, workflowError } from '../engine/errors.ts';
import { addWait, emitEffect, newEffectId, nodeAt, taskArgs, type Env } from '../engine/env.ts';
import { durationToMs } from '../dsl/duration.ts';
import type { Duration } from '../dsl/model.ts';
import { evaluateValue } from '../expr/expression.ts';
import { done, failWith, wait, type KindAction } from '../engine/kind.ts';
import { stableRandom } from '../engine/timing.ts';
import type { HttpRequestSpec, HttpResponseData, Stimulus, TaskFrame } from '../engine/types.ts';
import { base64Utf8, directAuthorization, type ResolvedAuth } from './auth.ts';
import { digestAuthorization, parseChallenge } from './digest.ts';

export type HttpCallState = {
  phase: 'discovery' | 'token' | 'request';
  req: HttpRequestSpec;
  output: 'content' | 'response' | 'raw';
  redirect: boolean;
  /** The scheme of a round-trip authentication still to perform. */
  pending?: 'digest' | 'oauth2';
  digestTried?: boolean;
  effect?: string;
  [extra: string]: unknown;
};

/** Applies authentication and issues the request (or the OAuth2 token request first). */
export function startRequest(f: TaskFrame, env: Env, s: HttpCallState, auth: ResolvedAuth | undefined): KindAction {
  if (auth) {
    const direct = directAuthorization(auth);
    if (direct) {
      f.auth = direct;
      s.req.headers.Authorization = `${direct.scheme} ${direct.parameter}`;
    } else if (auth.scheme === 'digest') {
      s.pending = 'digest';
    } else if (auth.scheme === 'oauth2') {
      s.pending = 'oauth2';
      const discovery = discoveryUrl(auth);
      if (discovery) {
        s.phase = 'discovery';
        return issue(f, env, s, { method: 'GET', url: discovery, headers: { Accept: 'application/json' } });
      }
      s.phase = 'token';
      return issue(f, env, s, tokenRequest(auth));
    }
  }
  s.phase = 'request';
  return issue(f, env, s, s.req);
}

function issue(f: TaskFrame, env: Env, s: HttpCallState, request: HttpRequestSpec): KindAction {
  const id = newEffectId(env, 'http');
  // The request need not outlive the task's own timeout: pass the time left to the performer.
  let left: number | undefined;
  for (const t of Object.values(env.state.timeouts)) {
    if (t.thread === env.thread.id && t.fid === f.fid) left = Math.min(left ?? Infinity, Math.max(1, t.dueAt - env.ctx.now));
  }
  if (left !== undefined) request = { ...request, timeoutMs: left };
  s.effect = id;
  addWait(env, id, 'http', f);
  const rateLimit = rateLimitOf(f, env);
  emitEffect(env, { kind: 'http', id, task: f.ptr, request, idempotencyKey: `${env.state.id}:${f.ptr}:${id}`, ...(rateLimit ? { rateLimit } : {}) });
  return wait;
}

/**
 * The task's `metadata.weir.rateLimit` (`{ key, limit, period? }`, validated at registration):
 * its key evaluated on the task input, so one bucket can be per host, per tenant, per anything.
 */
export function rateLimitOf(f: TaskFrame, env: Env): { key: string; limit: number; periodMs: number } | undefined {
  const task = nodeAt(env.wf, f.ptr) as { metadata?: { weir?: { rateLimit?: { key?: unknown; limit?: unknown; period?: unknown } } } } | undefined;
  const rl = task?.metadata?.weir?.rateLimit;
  if (!rl) return undefined;
  if (typeof rl.limit !== 'number' || !(rl.limit >= 1)) throw fault('configuration', 'metadata.weir.rateLimit.limit must be a positive integer', { instance: f.ptr });
  const key = evaluateValue(rl.key, f.input, taskArgs(env, f), env.mode, { now: env.ctx.now });
  const periodMs = rl.period === undefined ? 1000 : durationToMs(rl.period as Duration);
  return { key: typeof key === 'string' ? key : JSON.stringify(key ?? null), limit: rl.limit, periodMs };
}

const WELL_KNOWN = '/.well-known/openid-configuration';

/**
 * OpenID Connect discovery document to read the token endpoint from: always for `oidc`, and for
 * `oauth2` whose authority is itself a discovery URL.
 */
function discoveryUrl(auth: Extract<ResolvedAuth, { scheme: 'oauth2' }>): string | undefined {
  const authority = auth.props.authority;
  if (!authority) throw fault('configuration', 'oauth2 authentication needs an authority');
  const base = authority.replace(/\/+$/, '');
  if (base.endsWith(WELL_KNOWN)) return base;
  return auth.oidc ? base + WELL_KNOWN : undefined;
}

/** `endpoints.token` is a path relative to the authority (default `/oauth2/token`), or an absolute URL. */
function tokenUrl(p: OAuth2AuthenticationProperties): string {
  const path = p.endpoints?.token ?? '/oauth2/token';
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(path)) return path;
  return `${(p.authority ?? '').replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}

/** OAuth2 `client_credentials` (also `password`) token request, form- or JSON-encoded. */
function tokenRequest(auth: Extract<ResolvedAuth, { scheme: 'oauth2' }>, discovered?: string): HttpRequestSpec {
  const p = auth.props;
  if (!p.authority) throw fault('configuration', 'oauth2 authentication needs an authority');
  const grant = p.grant ?? 'client_credentials';
  if (grant !== 'client_credentials' && grant !== 'password') {
    throw fault('configuration', `oauth2 grant '${grant}' is not supported; use client_credentials or password`);
  }
  const url = discovered ?? tokenUrl(p);
  const fields: Record<string, string> = { grant_type: grant };
  const headers: Record<string, string> = { Accept: 'application/json' };
  const method = p.client?.authentication ?? 'client_secret_post';
  if (method === 'client_secret_basic') {
    headers.Authorization = `Basic ${base64Utf8(`${encodeURIComponent(p.client?.id ?? '')}:${encodeURIComponent(p.client?.secret ?? '')}`)}`;
  } else if (method !== 'none') {
    if (p.client?.id !== undefined) fields.client_id = p.client.id;
    if (p.client?.secret !== undefined) fields.client_secret = p.client.secret;
  }
  if (p.client?.assertion !== undefined) {
    fields.client_assertion = p.client.assertion;
    fields.client_assertion_type = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
  }
  if (grant === 'password') {
    fields.username = p.username ?? '';
    fields.password = p.password ?? '';
  }
  if (p.scopes?.length) fields.scope = p.scopes.join(' ');
  if (p.audiences?.length) fields.audience = p.audiences.join(' ');
  if (p.request?.encoding === 'application/json') {
    headers['Content-Type'] = 'application/json';
    return { method: 'POST', url, headers, body: fields };
  }
  headers['Content-Type'] = 'application/x-www-form-urlencoded';
  return { method: 'POST', url, headers, body: new URLSearchParams(fields).toString() };
}

/** Handles the `effectResult` of the pending request. `auth` is re-resolved (credentials are not kept in state). */
export function onResult(f: TaskFrame, env: Env, s: HttpCallState, stimulus: Stimulus, auth: () => ResolvedAuth | undefined): KindAction {
  if (stimulus.kind !== 'effectResult' && stimulus.kind !== 'httpResult') return wait;
  if (stimulus.error) return failWith({ ...stimulus.error, instance: f.ptr });
  const r = stimulus.result;
  if (!r) return failWith(workflowError('communication', 'the HTTP call returned no result', { instance: f.ptr }));
  if (s.phase === 'discovery') {
    const endpoint = (r.body as { token_endpoint?: unknown } | null)?.token_endpoint;
    const a = auth();
    if (r.status < 200 || r.status >= 300 || typeof endpoint !== 'string' || a?.scheme !== 'oauth2') {
      return failWith(workflowError('authentication', `OpenID Connect discovery answered ${r.status} without a token_endpoint`, { instance: f.ptr, status: 401 }));
    }
    s.phase = 'token';
    return issue(f, env, s, tokenRequest(a, endpoint));
  }
  if (s.phase === 'token') {
    const token = (r.body as { access_token?: unknown } | null)?.access_token;
    if (r.status < 200 || r.status >= 300 || typeof token !== 'string') {
      return failWith(workflowError('authentication', `the OAuth2 token request answered ${r.status}`, { instance: f.ptr, status: 401 }));
    }
    f.auth = { scheme: 'Bearer', parameter: token };
    s.req.headers.Authorization = `Bearer ${token}`;
    s.phase = 'request';
    return issue(f, env, s, s.req);
  }
  if (r.status === 401 && s.pending === 'digest' && !s.digestTried) {
    const a = auth();
    const challenge = parseChallenge(header(r, 'www-authenticate') ?? '');
    if (a?.scheme === 'digest' && challenge) {
      s.digestTried = true;
      const cnonce = Math.floor(stableRandom(env.ctx.seed ?? '', env.state.id, f.ptr, f.fid) * 0xffffffff).toString(16).padStart(8, '0');
      const value = digestAuthorization(challenge, { method: s.req.method, url: s.req.url, username: a.username, password: a.password, cnonce });
      f.auth = { scheme: 'Digest', parameter: value.slice('Digest '.length) };
      return issue(f, env, s, { ...s.req, headers: { ...s.req.headers, Authorization: value } });
    }
  }
  const ok = r.status >= 200 && r.status < (s.redirect ? 400 : 300);
  if (!ok) {
    const retryAfterMs = retryAfter(r, env.ctx.now);
    return failWith(
      workflowError('communication', `${s.req.method} ${s.req.url} answered ${r.status}${excerpt(r.body)}`, {
        status: r.status,
        title: r.status === 404 ? 'Not Found' : `HTTP ${r.status}`,
        instance: f.ptr,
        ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      }),
    );
  }
  return done(outputOf(s, r));
}

function outputOf(s: HttpCallState, r: HttpResponseData): unknown {
  if (s.output === 'response' || s.output === 'raw') {
    const headers = { ...s.req.headers };
    delete headers.Authorization;
    return s.output === 'raw'
      ? r.body
      : { request: { method: s.req.method, uri: s.req.url, headers }, statusCode: r.status, headers: r.headers, content: r.body };
  }
  return r.body;
}

function header(r: HttpResponseData, name: string): string | undefined {
  for (const k of Object.keys(r.headers ?? {})) if (k.toLowerCase() === name) return r.headers[k];
  return undefined;
}

function excerpt(body: unknown): string {
  if (body === null || body === undefined || body === '') return '';
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return `: ${text.length > 200 ? text.slice(0, 200) + '…' : text}`;
}

/** Longest Retry-After honoured: a server asking for more is treated as asking for a day. */
const MAX_RETRY_AFTER_MS = 24 * 3600 * 1000;

/**
 * The server's `Retry-After` (seconds, or an HTTP date measured against the engine clock), in ms.
 * A retry policy waits at least this long before the next attempt.
 */
export function retryAfter(r: HttpResponseData, now: number): number | undefined {
  const key = Object.keys(r.headers ?? {}).find((k) => k.toLowerCase() === 'retry-after');
  const raw = key ? String(r.headers[key]).trim() : '';
  if (!raw) return undefined;
  const ms = /^\d+$/.test(raw) ? Number(raw) * 1000 : Date.parse(raw) - now;
  if (!Number.isFinite(ms)) return undefined;
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, Math.round(ms)));
}
