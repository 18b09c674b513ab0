/**
 * `call: http`: method, endpoint (RFC 6570 template expanded with the input's top-level
 * properties), headers, query, body, `output: content|response|raw`, `redirect`, authentication.
 */
import { parseTemplate, type PrimitiveValue } from 'url-template';
import type { Authentication, CallHttpTask, HttpArguments } from '../dsl/model.ts';
import { evaluateValue } from '../expr/expression.ts';
import { fault } from '../engine/errors.ts';
import { taskArgs, type Env } from '../engine/env.ts';
import { wait, type TaskKindHandler } from '../engine/kind.ts';
import type { HttpRequestSpec, TaskFrame } from '../engine/types.ts';
import { resolveAuth } from './auth.ts';
import { onResult, startRequest, type HttpCallState } from './http-request.ts';

export const callHttpKind: TaskKindHandler = {
  start(f, env, task) {
    const w = evaluatedWith(f, env, task as CallHttpTask);
    const { req, authentication } = buildRequest(w, f.input);
    const s: HttpCallState = { phase: 'request', req, output: w.output ?? 'content', redirect: w.redirect === true };
    if (s.output === 'raw') req.responseType = 'raw';
    f.s = s;
    return startRequest(f, env, s, resolveAuth(env, f, authentication));
  },
  resume(f, env, task, sig) {
    if (sig?.kind !== 'stimulus') return wait;
    return onResult(f, env, f.s as HttpCallState, sig.stimulus, () => {
      const w = evaluatedWith(f, env, task as CallHttpTask);
      return resolveAuth(env, f, endpointAuth(w.endpoint));
    });
  },
};

function evaluatedWith(f: TaskFrame, env: Env, t: CallHttpTask): HttpArguments {
  return evaluateValue(t.with, f.input, taskArgs(env, f), env.mode, { now: env.ctx.now }) as HttpArguments;
}

function endpointAuth(endpoint: HttpArguments['endpoint']): Authentication | undefined {
  return endpoint !== null && typeof endpoint === 'object' ? endpoint.authentication : undefined;
}

export function buildRequest(w: HttpArguments, input: unknown): { req: HttpRequestSpec; authentication?: Authentication } {
  if (typeof w.method !== 'string' || !w.method) throw fault('configuration', 'call: http needs a method');
  const uri = typeof w.endpoint === 'string' ? w.endpoint : w.endpoint?.uri;
  if (typeof uri !== 'string') throw fault('configuration', 'call: http needs an endpoint uri');
  let url: URL;
  try {
    url = new URL(expandUri(uri, input));
  } catch (e) {
    if (e instanceof Error && e.name === 'WorkflowFault') throw e;
    throw fault('configuration', `endpoint '${uri}' is not a valid absolute URL`);
  }
  if (w.query && typeof w.query === 'object') {
    for (const [k, v] of Object.entries(w.query)) {
      if (v === undefined || v === null) continue;
      for (const one of Array.isArray(v) ? v : [v]) url.searchParams.append(k, typeof one === 'string' ? one : JSON.stringify(one));
    }
  }
  const headers: Record<string, string> = {};
  if (w.headers && typeof w.headers === 'object') {
    for (const [k, v] of Object.entries(w.headers)) if (v !== undefined && v !== null) headers[k] = typeof v === 'string' ? v : JSON.stringify(v);
  }
  if (!Object.keys(headers).some((k) => k.toLowerCase() === 'accept')) headers.Accept = 'application/json, text/plain, */*';
  const req: HttpRequestSpec = { method: w.method.toUpperCase(), url: url.toString(), headers };
  if (w.body !== undefined && w.body !== null) req.body = w.body;
  const authentication = endpointAuth(w.endpoint);
  return authentication === undefined ? { req } : { req, authentication };
}

/**
 * RFC 6570 expansion with the input's top-level properties (dsl-reference.md, URI Template):
 * identifiers are verbatim, values must be string/number/boolean/null, missing ones expand to ''.
 */
export function expandUri(uri: string, input: unknown): string {
  if (!uri.includes('{')) return uri;
  const vars: Record<string, PrimitiveValue> = {};
  const source = input !== null && typeof input === 'object' && !Array.isArray(input) ? (input as Record<string, unknown>) : {};
  for (const m of uri.matchAll(/\{([^}]*)\}/g)) {
    for (const raw of m[1].replace(/^[+#./;?&]/, '').split(',')) {
      const name = raw.replace(/(\*|:\d+)$/, '');
      const v = source[name];
      if (v === undefined || v === null) continue;
      if (typeof v === 'object') throw fault('expression', `URI template variable '${name}' must be a string, number, boolean or null`);
      vars[name] = v as PrimitiveValue;
    }
  }
  return parseTemplate(uri).expand(vars);
}
