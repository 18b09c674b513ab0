/**
 * A counting HTTP stub on 127.0.0.1 for runner tests: records every request (method, path,
 * Idempotency-Key) and answers with a JSON body from a handler.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';

export interface StubRequest {
  method: string;
  path: string;
  idempotencyKey: string | undefined;
  body: string;
}

export interface Stub {
  url: string;
  requests: StubRequest[];
  /** The `traceparent` header of each request, in order. */
  traceparents: (string | undefined)[];
  /** Every request's headers, in order. */
  headers: Record<string, string>[];
  close(): Promise<void>;
}

type StubAnswer = { status?: number; body?: unknown; delayMs?: number; headers?: Record<string, string> } | undefined;
/** Answers a request; a promise holds the response until it settles (a barrier, say). */
export type StubHandler = (req: StubRequest) => StubAnswer | Promise<StubAnswer>;

export async function startStub(handler: StubHandler = () => undefined): Promise<Stub> {
  const requests: StubRequest[] = [];
  const traceparents: (string | undefined)[] = [];
  const headers: Record<string, string>[] = [];
  const server: Server = createServer(async (req: IncomingMessage, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    const r: StubRequest = { method: req.method ?? 'GET', path: req.url ?? '/', idempotencyKey: req.headers['idempotency-key'] as string | undefined, body };
    requests.push(r);
    traceparents.push(req.headers.traceparent as string | undefined);
    headers.push(Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])));
    const answer = (await handler(r)) ?? {};
    if (answer.delayMs) await new Promise((x) => setTimeout(x, answer.delayMs));
    res.writeHead(answer.status ?? 200, { 'content-type': 'application/json', ...answer.headers });
    res.end(JSON.stringify(answer.body ?? { ok: true, n: requests.length }));
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    traceparents,
    headers,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
