/**
 * The HTTP performer: executes an `http` effect with `fetch` and returns plain JSON for the engine.
 * Timeout via AbortSignal, response size capped while streaming, redirects followed by hand (at most
 * 5, each hop re-checked by the SSRF guard), `Idempotency-Key` header. Web standards only.
 */
import type { Effect, HttpResponseData, WorkflowError } from '../engine/types.ts';
import { workflowError } from '../engine/errors.ts';
import { ssrfProblem, type SsrfOptions } from './ssrf.ts';

export type HttpPerformerOptions = SsrfOptions & {
  fetch?: typeof fetch;
  /** Default per-request timeout (ms) when the effect sets none. */
  timeoutMs?: number;
  /** Largest response body accepted, in bytes. */
  maxResponseBytes?: number;
  maxRedirects?: number;
  signal?: AbortSignal;
};

export type HttpOutcome = { result: HttpResponseData } | { error: WorkflowError };

const DEFAULT_TIMEOUT_MS = 30_000;
// 10 MiB: larger bodies belong in object storage, not in a workflow's JSON state.
const DEFAULT_MAX_BYTES = 10 * 1024 * 1024;

type HttpEffect = Extract<Effect, { kind: 'http' }>;

export async function performHttp(effect: HttpEffect, options: HttpPerformerOptions = {}): Promise<HttpOutcome> {
  const doFetch = options.fetch ?? fetch;
  const req = effect.request;
  const timeoutMs = req.timeoutMs ?? options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const signals = [AbortSignal.timeout(timeoutMs)];
  if (options.signal) signals.push(options.signal);
  const signal = AbortSignal.any(signals);
  const headers = new Headers(req.headers);
  if (!headers.has('idempotency-key')) headers.set('Idempotency-Key', effect.idempotencyKey);
  let body: string | undefined;
  if (req.body !== undefined && req.body !== null) {
    if (typeof req.body === 'string') {
      body = req.body;
      if (!headers.has('content-type')) headers.set('Content-Type', 'text/plain; charset=utf-8');
    } else if (/x-www-form-urlencoded/i.test(headers.get('content-type') ?? '')) {
      body = new URLSearchParams(Object.entries(req.body as Record<string, unknown>).map(([k, v]) => [k, String(v)])).toString();
    } else {
      body = JSON.stringify(req.body);
      if (!headers.has('content-type')) headers.set('Content-Type', 'application/json');
    }
  }
  if (!headers.has('accept')) headers.set('Accept', 'application/json, text/plain, */*');

  let url = new URL(req.url);
  let method = req.method.toUpperCase();
  const maxRedirects = options.maxRedirects ?? 5;
  try {
    for (let hop = 0; ; hop++) {
      const problem = await ssrfProblem(url, options);
      if (problem) return { error: workflowError('communication', problem, { status: 403, title: 'Target Refused' }) };
      const res = await doFetch(url, { method, headers, body: method === 'GET' || method === 'HEAD' ? undefined : body, redirect: 'manual', signal });
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location && res.status !== 304) {
        await res.body?.cancel();
        if (hop >= maxRedirects) return { error: workflowError('communication', `more than ${maxRedirects} redirects from ${req.url}`, { status: 508 }) };
        url = new URL(location, url);
        if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === 'POST')) {
          method = 'GET';
          body = undefined;
          headers.delete('content-type');
        }
        continue;
      }
      const bytes = await readCapped(res, options.maxResponseBytes ?? DEFAULT_MAX_BYTES);
      if (bytes === undefined) {
        return { error: workflowError('communication', `the response from ${url.host} exceeds ${options.maxResponseBytes ?? DEFAULT_MAX_BYTES} bytes`, { status: 502 }) };
      }
      const responseHeaders: Record<string, string> = {};
      res.headers.forEach((v, k) => (responseHeaders[k] = v));
      return { result: { status: res.status, headers: responseHeaders, body: decodeBody(bytes, res.headers.get('content-type'), req.responseType), url: url.toString() } };
    }
  } catch (e) {
    const name = (e as { name?: string })?.name;
    if (name === 'TimeoutError' || (name === 'AbortError' && signal.reason?.name === 'TimeoutError')) {
      return { error: workflowError('timeout', `${method} ${url} did not answer within ${timeoutMs} ms`) };
    }
    const cause = (e as { cause?: { code?: string; message?: string } })?.cause;
    const detail = `${method} ${url.host}: ${cause?.code ?? cause?.message ?? (e as Error)?.message ?? String(e)}`;
    return { error: workflowError('communication', detail, { status: 503, title: 'Service Unavailable' }) };
  }
}

async function readCapped(res: Response, max: number): Promise<Uint8Array | undefined> {
  if (!res.body) return new Uint8Array();
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > max) {
    await res.body.cancel();
    return undefined;
  }
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out;
}

function decodeBody(bytes: Uint8Array, contentType: string | null, responseType?: 'raw'): unknown {
  if (responseType === 'raw') return toBase64(bytes);
  if (bytes.byteLength === 0) return null;
  const ct = (contentType ?? '').toLowerCase();
  const text = () => new TextDecoder().decode(bytes);
  if (/[/+]json\b/.test(ct)) {
    try {
      return JSON.parse(text());
    } catch {
      return text();
    }
  }
  if (ct.startsWith('text/') || /xml|x-www-form-urlencoded|javascript|yaml/.test(ct) || ct === '') {
    if (ct === '') {
      const t = text();
      try {
        return JSON.parse(t);
      } catch {
        return t;
      }
    }
    return text();
  }
  return toBase64(bytes);
}

function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}
