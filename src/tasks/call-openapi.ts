/**
 * `call: openapi`: fetches the OpenAPI (3.x) or Swagger (2.0) document as an `http` effect, finds
 * the operation by `operationId`, builds the request from `with.parameters` (path, query, header,
 * body), then proceeds exactly like `call: http`.
 */
import { parse as parseYaml } from 'yaml';
import type { CallOpenApiTask, OpenApiArguments } from '../dsl/model.ts';
import { evaluateValue } from '../expr/expression.ts';
import { fault, workflowError } from '../engine/errors.ts';
import { addWait, emitEffect, newEffectId, taskArgs, type Env } from '../engine/env.ts';
import { failWith, wait, type TaskKindHandler } from '../engine/kind.ts';
import type { HttpRequestSpec, TaskFrame } from '../engine/types.ts';
import { resolveAuth } from './auth.ts';
import { expandUri } from './call-http.ts';
import { onResult, startRequest, type HttpCallState } from './http-request.ts';

type OpenApiState = HttpCallState & { docUrl?: string };

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

export const callOpenApiKind: TaskKindHandler = {
  start(f, env, task) {
    const w = evaluatedWith(f, env, task as CallOpenApiTask);
    const ep = w.document?.endpoint;
    const uri = typeof ep === 'string' ? ep : ep?.uri;
    if (typeof uri !== 'string') throw fault('configuration', 'call: openapi needs document.endpoint');
    const docUrl = expandUri(uri, f.input);
    const id = newEffectId(env, 'http');
    f.s = { phase: 'request', req: { method: 'GET', url: docUrl, headers: {} }, output: 'content', redirect: false, docUrl, doc: true, effect: id } as OpenApiState;
    addWait(env, id, 'http', f);
    emitEffect(env, {
      kind: 'http',
      id,
      task: f.ptr,
      request: { method: 'GET', url: docUrl, headers: { Accept: 'application/json, application/yaml' } },
      idempotencyKey: `${env.state.id}:${f.ptr}:${id}`,
    });
    return wait;
  },
  resume(f, env, task, sig) {
    if (sig?.kind !== 'stimulus') return wait;
    const s = f.s as OpenApiState;
    const t = task as CallOpenApiTask;
    const st = sig.stimulus;
    if (s.doc && (st.kind === 'effectResult' || st.kind === 'httpResult')) {
      if (st.error) return failWith({ ...st.error, instance: f.ptr });
      const r = st.result;
      if (!r || r.status < 200 || r.status >= 300) {
        return failWith(workflowError('communication', `fetching the OpenAPI document ${s.docUrl} answered ${r?.status}`, { instance: f.ptr, status: r?.status ?? 500 }));
      }
      const w = evaluatedWith(f, env, t);
      const req = operationRequest(parseDocument(r.body), w, s.docUrl!);
      const next: OpenApiState = { phase: 'request', req, output: w.output ?? 'content', redirect: w.redirect === true };
      if (next.output === 'raw') req.responseType = 'raw';
      f.s = next;
      return startRequest(f, env, next, resolveAuth(env, f, w.authentication));
    }
    return onResult(f, env, s, st, () => resolveAuth(env, f, evaluatedWith(f, env, t).authentication));
  },
};

function evaluatedWith(f: TaskFrame, env: Env, t: CallOpenApiTask): OpenApiArguments {
  return evaluateValue(t.with, f.input, taskArgs(env, f), env.mode, { now: env.ctx.now }) as OpenApiArguments;
}

function parseDocument(body: unknown): Record<string, unknown> {
  let doc = body;
  if (typeof doc === 'string') {
    try {
      doc = parseYaml(doc);
    } catch {
      throw fault('communication', 'the OpenAPI document is neither JSON nor YAML');
    }
  }
  if (doc === null || typeof doc !== 'object') throw fault('communication', 'the OpenAPI document is not an object');
  return doc as Record<string, unknown>;
}

type Param = { name: string; in: string; $ref?: string };

function deref(doc: Record<string, unknown>, p: unknown): Param {
  const ref = (p as Param).$ref;
  if (typeof ref !== 'string' || !ref.startsWith('#/')) return p as Param;
  let node: unknown = doc;
  for (const token of ref.slice(2).split('/')) node = (node as Record<string, unknown> | undefined)?.[token.replace(/~1/g, '/').replace(/~0/g, '~')];
  return (node ?? p) as Param;
}

/** The request for `w.operationId`, with the base URL from `servers` (3.x) or scheme/host/basePath (2.0). */
export function operationRequest(doc: Record<string, unknown>, w: OpenApiArguments, docUrl: string): HttpRequestSpec {
  const paths = (doc.paths ?? {}) as Record<string, Record<string, unknown>>;
  for (const [path, item] of Object.entries(paths)) {
    for (const method of METHODS) {
      const op = item?.[method] as { operationId?: string; parameters?: unknown[]; requestBody?: unknown } | undefined;
      if (op?.operationId !== w.operationId) continue;
      const params = [...((item.parameters as unknown[]) ?? []), ...(op.parameters ?? [])].map((p) => deref(doc, p));
      const values = (w.parameters ?? {}) as Record<string, unknown>;
      let resolvedPath = path;
      const query = new URLSearchParams();
      const headers: Record<string, string> = {};
      let body: unknown;
      const used = new Set<string>();
      for (const p of params) {
        const v = values[p.name];
        if (v === undefined) continue;
        used.add(p.name);
        const text = typeof v === 'string' ? v : JSON.stringify(v);
        if (p.in === 'path') resolvedPath = resolvedPath.replaceAll(`{${p.name}}`, encodeURIComponent(text));
        else if (p.in === 'query') for (const one of Array.isArray(v) ? v : [v]) query.append(p.name, typeof one === 'string' ? one : JSON.stringify(one));
        else if (p.in === 'header') headers[p.name] = text;
        else if (p.in === 'body') body = v;
      }
      if (op.requestBody !== undefined && body === undefined) {
        body = values.body ?? Object.fromEntries(Object.entries(values).filter(([k]) => !used.has(k)));
      }
      const url = new URL(baseUrl(doc, docUrl).replace(/\/$/, '') + resolvedPath);
      query.forEach((v, k) => url.searchParams.append(k, v));
      const req: HttpRequestSpec = { method: method.toUpperCase(), url: url.toString(), headers };
      if (body !== undefined) req.body = body;
      return req;
    }
  }
  throw fault('configuration', `operation '${w.operationId}' is not in the OpenAPI document`);
}

function baseUrl(doc: Record<string, unknown>, docUrl: string): string {
  const from = new URL(docUrl);
  const servers = doc.servers as Array<{ url: string; variables?: Record<string, { default: string }> }> | undefined;
  if (typeof doc.openapi === 'string' && servers?.length) {
    let u = servers[0].url;
    for (const [k, v] of Object.entries(servers[0].variables ?? {})) u = u.replaceAll(`{${k}}`, v.default);
    return new URL(u, from).toString();
  }
  if (typeof doc.openapi === 'string') return from.origin;
  const schemes = (doc.schemes as string[] | undefined) ?? [];
  const own = from.protocol.replace(':', '');
  const scheme = schemes.length === 0 || schemes.includes(own) ? own : schemes[0];
  const host = typeof doc.host === 'string' ? doc.host : from.host;
  const basePath = typeof doc.basePath === 'string' ? doc.basePath : '';
  return `${scheme}://${host}${basePath}`;
}
