/**
 * Authentication for calls: resolves `use` references (use.authentications) and secret-based
 * policies (`{ use: <secret> }` → `$secrets`), and turns basic / bearer credentials into an
 * `Authorization` header. Digest (challenge/response) and OAuth2 client credentials (token request)
 * need a round trip and are driven by call-http.ts.
 */
import type { Authentication, OAuth2AuthenticationProperties } from '../dsl/model.ts';
import { evaluateValue } from '../expr/expression.ts';
import { fault } from '../engine/errors.ts';
import { secretsArg, taskArgs, type Env } from '../engine/env.ts';
import type { TaskFrame } from '../engine/types.ts';

export type ResolvedAuth =
  | { scheme: 'basic'; username: string; password: string }
  | { scheme: 'bearer'; token: string }
  | { scheme: 'digest'; username: string; password: string }
  | { scheme: 'oauth2'; props: OAuth2AuthenticationProperties; oidc: boolean };

export function resolveAuth(env: Env, f: TaskFrame, auth: Authentication | undefined): ResolvedAuth | undefined {
  if (auth === undefined || auth === null) return undefined;
  let policy = auth as Record<string, unknown>;
  if (typeof policy.use === 'string' && Object.keys(policy).length === 1) {
    const named = env.wf.use?.authentications?.[policy.use];
    if (!named) throw fault('configuration', `authentication '${policy.use}' is not defined in use.authentications`);
    policy = evaluateValue(named, f.input, taskArgs(env, f), env.mode, { now: env.ctx.now }) as Record<string, unknown>;
  }
  const scheme = (['basic', 'bearer', 'digest', 'oauth2', 'oidc'] as const).find((k) => k in policy);
  if (!scheme) throw fault('configuration', `unsupported authentication policy (${Object.keys(policy).join(', ')})`);
  const props = fromSecret(env, policy[scheme] as Record<string, unknown>);
  switch (scheme) {
    case 'basic':
    case 'digest':
      return { scheme, username: String(props.username ?? ''), password: String(props.password ?? '') };
    case 'bearer':
      return { scheme, token: String(props.token ?? '') };
    case 'oauth2':
    case 'oidc':
      return { scheme: 'oauth2', props: props as OAuth2AuthenticationProperties, oidc: scheme === 'oidc' };
  }
}

/** `{ use: <secret> }` → the secret's properties; a missing secret is an authorization error (403). */
function fromSecret(env: Env, props: Record<string, unknown>): Record<string, unknown> {
  if (!props || typeof props.use !== 'string' || Object.keys(props).length !== 1) return props ?? {};
  const secret = secretsArg(env)[props.use];
  if (secret === undefined || secret === null || typeof secret !== 'object') {
    throw fault('authorization', `secret '${props.use}' does not exist or is not declared in use.secrets`);
  }
  return secret as Record<string, unknown>;
}

export function base64Utf8(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

/** The Authorization header value (and `$authorization` descriptor) for basic and bearer. */
export function directAuthorization(auth: ResolvedAuth): { scheme: string; parameter: string } | undefined {
  if (auth.scheme === 'basic') return { scheme: 'Basic', parameter: base64Utf8(`${auth.username}:${auth.password}`) };
  if (auth.scheme === 'bearer') return { scheme: 'Bearer', parameter: auth.token };
  return undefined;
}
