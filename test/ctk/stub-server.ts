/**
 * A local HTTP stub standing in for the public services the CTK and the spec examples call
 * (petstore.swagger.io, httpbin.org, the spec's fake-*.com hosts). Tests must not depend on the
 * internet, and the real petstore's data changes under our feet.
 *
 * Each external host gets its own listener on 127.0.0.1 with a random port, and the document's
 * `https://<host>` is rewritten to `http://127.0.0.1:<port>` with the path kept. A port per host
 * (rather than one port with a `/<host>` path prefix) keeps paths exactly as the document wrote
 * them, so a runtime resolving an absolute path (`/oauth2/token`) against a URL lands on the same
 * route it would in production. Routes for petstore and httpbin are built in; tests add more per run.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pets, petstoreSwagger } from './fixtures/petstore.ts';

export interface RecordedRequest {
  readonly method: string;
  /** The host the workflow meant (`petstore.swagger.io`): the one whose listener received it. */
  readonly host: string;
  /** Path without the query: `/v2/pet/1`. */
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  /** Lower-cased header names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** The body parsed as JSON or as a form, when it is one. */
  readonly json?: unknown;
  readonly form?: Readonly<Record<string, string>>;
}

export interface StubResponse {
  readonly status?: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** Objects and arrays are sent as JSON; strings as text/plain unless a content-type is given. */
  readonly body?: unknown;
}

export type StubHandler = (req: RecordedRequest) => StubResponse | undefined;

export interface StubRoute {
  readonly host: string;
  /** Upper-case method, or `*`. */
  readonly method: string;
  /** Exact path, `{name}` segments match one segment, a trailing `*` matches the rest. */
  readonly path: string;
  readonly respond: StubResponse | StubHandler;
}

export interface Stub {
  /** `http://127.0.0.1:<port>` of a host's listener; the host must have been `listen`ed first. */
  origin(host: string): string;
  /** Starts listeners for hosts that have none yet. */
  listen(hosts: readonly string[]): Promise<void>;
  /** Every request received since the last `reset()`, in arrival order, across all hosts. */
  readonly requests: RecordedRequest[];
  /** Per-test routes; matched before the built-in ones. Cleared by `reset()`. */
  use(routes: readonly StubRoute[]): void;
  reset(): void;
  close(): Promise<void>;
}

/** The hosts the CTK features call. */
export const CTK_HOSTS = ['petstore.swagger.io', 'httpbin.org'] as const;

/**
 * Points every `http(s)://<host>[:port]` of the given hosts at its stub listener, keeping the path:
 * `https://petstore.swagger.io/v2/pet/{petId}` becomes `http://127.0.0.1:P/v2/pet/{petId}`.
 */
export function rewriteHosts(text: string, hosts: readonly string[], originOf: (host: string) => string): string {
  let out = text;
  for (const host of hosts) {
    const escaped = host.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    out = out.replace(new RegExp(`https?://${escaped}(?::\\d+)?(?=[/"'\\s?#]|$)`, 'gm'), originOf(host));
  }
  return out;
}

export async function startStub(): Promise<Stub> {
  const requests: RecordedRequest[] = [];
  let extra: StubRoute[] = [];
  const listeners = new Map<string, { server: Server; origin: string }>();
  const originOf = (host: string): string => {
    const l = listeners.get(host);
    if (!l) throw new Error(`stub: no listener for ${host}; call listen([${JSON.stringify(host)}]) first`);
    return l.origin;
  };

  async function handle(host: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const recorded = await record(host, req);
    requests.push(recorded);
    // The first matching route that answers wins; a handler returning undefined passes the request on.
    let answer: StubResponse | undefined;
    for (const r of [...extra, ...builtinRoutes(originOf)]) {
      if (r.host !== recorded.host || (r.method !== '*' && r.method !== recorded.method) || !pathMatches(r.path, recorded.path)) continue;
      answer = typeof r.respond === 'function' ? r.respond(recorded) : r.respond;
      if (answer) break;
    }
    send(res, answer ?? { status: 404, body: { message: `stub: no route for ${recorded.method} ${recorded.host}${recorded.path}` } });
  }

  async function listen(hosts: readonly string[]): Promise<void> {
    for (const host of hosts) {
      if (listeners.has(host)) continue;
      const server = createServer((req, res) => {
        void handle(host, req, res).catch((err: unknown) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(`stub error: ${String(err)}`);
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      listeners.set(host, { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
    }
  }

  await listen(CTK_HOSTS);
  return {
    origin: originOf,
    listen,
    requests,
    use(routes) {
      extra = [...routes, ...extra];
    },
    reset() {
      extra = [];
      requests.length = 0;
    },
    close: async () => {
      await Promise.all(
        [...listeners.values()].map(
          ({ server }) =>
            new Promise<void>((resolve, reject) => {
              server.closeAllConnections();
              server.close((err) => (err ? reject(err) : resolve()));
            }),
        ),
      );
      listeners.clear();
    },
  };
}

async function record(host: string, req: IncomingMessage): Promise<RecordedRequest> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks).toString('utf8');
  const url = new URL(req.url ?? '/', 'http://stub.invalid');
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  const contentType = headers['content-type'] ?? '';
  let json: unknown;
  let form: Record<string, string> | undefined;
  if (body && contentType.includes('json')) {
    try {
      json = JSON.parse(body);
    } catch {
      json = undefined;
    }
  } else if (body && contentType.includes('application/x-www-form-urlencoded')) {
    form = Object.fromEntries(new URLSearchParams(body));
  }
  return {
    method: (req.method ?? 'GET').toUpperCase(),
    host,
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    headers,
    body,
    ...(json !== undefined ? { json } : {}),
    ...(form ? { form } : {}),
  };
}

function send(res: ServerResponse, answer: StubResponse): void {
  const headers: Record<string, string> = { ...answer.headers };
  const hasType = Object.keys(headers).some((k) => k.toLowerCase() === 'content-type');
  let payload = '';
  if (answer.body !== undefined) {
    if (typeof answer.body === 'string') {
      payload = answer.body;
      if (!hasType) headers['content-type'] = 'text/plain';
    } else {
      payload = JSON.stringify(answer.body);
      if (!hasType) headers['content-type'] = 'application/json';
    }
  }
  res.writeHead(answer.status ?? 200, headers);
  res.end(payload);
}

export function pathMatches(pattern: string, path: string): boolean {
  if (pattern.endsWith('*')) return path.startsWith(pattern.slice(0, -1));
  const p = pattern.split('/');
  const a = path.split('/');
  return p.length === a.length && p.every((seg, i) => (seg.startsWith('{') && seg.endsWith('}') ? a[i] !== '' : seg === a[i]));
}

/** Path parameters of a matched pattern: `pathParams('/v2/pet/{id}', '/v2/pet/1')` → `{ id: '1' }`. */
export function pathParams(pattern: string, path: string): Record<string, string> {
  const p = pattern.split('/');
  const a = path.split('/');
  const out: Record<string, string> = {};
  p.forEach((seg, i) => {
    if (seg.startsWith('{') && seg.endsWith('}')) out[seg.slice(1, -1)] = decodeURIComponent(a[i] ?? '');
  });
  return out;
}

function builtinRoutes(originOf: (host: string) => string): StubRoute[] {
  const petstore = 'petstore.swagger.io';
  return [
    { host: petstore, method: 'GET', path: '/v2/swagger.json', respond: () => ({ body: petstoreSwagger(originOf(petstore)) }) },
    {
      host: petstore,
      method: 'GET',
      path: '/v2/pet/findByStatus',
      respond: (req) => {
        const wanted = (req.query.status ?? '').split(',');
        return { body: pets.filter((p) => wanted.includes(p.status)) };
      },
    },
    // The real petstore has no getPetByName route; the CTK's try scenarios rely on its 404.
    { host: petstore, method: 'GET', path: '/v2/pet/getPetByName/{name}', respond: { status: 404, body: { code: 404, type: 'unknown', message: 'Not Found' } } },
    {
      host: petstore,
      method: 'GET',
      path: '/v2/pet/{petId}',
      respond: (req) => {
        const id = pathParams('/v2/pet/{petId}', req.path).petId;
        const pet = pets.find((p) => String(p.id) === id);
        return pet ? { body: pet } : { status: 404, body: { code: 1, type: 'error', message: 'Pet not found' } };
      },
    },
    {
      host: 'httpbin.org',
      method: 'GET',
      path: '/basic-auth/{user}/{passwd}',
      respond: (req) => {
        const { user = '', passwd = '' } = pathParams('/basic-auth/{user}/{passwd}', req.path);
        return basicAuthOk(req, user, passwd)
          ? { body: { authenticated: true, user } }
          : { status: 401, headers: { 'www-authenticate': 'Basic realm="Fake Realm"' } };
      },
    },
  ];
}

export function basicAuthOk(req: RecordedRequest, user: string, password: string): boolean {
  const expected = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  return (req.headers.authorization ?? '') === expected;
}

/**
 * RFC 7616 digest (MD5, qop=auth) as httpbin's `/digest-auth` does it: the first request gets a
 * 401 challenge, the retry must carry a response hash over the challenge's nonce.
 */
export function digestAuth(user: string, password: string, ok: StubResponse): StubHandler {
  const realm = 'stub@weir.test';
  const nonce = randomBytes(8).toString('hex');
  const opaque = randomBytes(8).toString('hex');
  const md5 = (s: string) => createHash('md5').update(s).digest('hex');
  return (req) => {
    const auth = req.headers.authorization ?? '';
    const challenge = { status: 401, headers: { 'www-authenticate': `Digest realm="${realm}", qop="auth", nonce="${nonce}", opaque="${opaque}", algorithm=MD5` } };
    if (!auth.startsWith('Digest ')) return challenge;
    const params: Record<string, string> = {};
    for (const m of auth.slice(7).matchAll(/(\w+)=(?:"([^"]*)"|([^,\s]*))/g)) params[m[1] ?? ''] = m[2] ?? m[3] ?? '';
    if (params.username !== user || params.realm !== realm || params.nonce !== nonce) return challenge;
    const ha1 = md5(`${user}:${realm}:${password}`);
    const ha2 = md5(`${req.method}:${params.uri ?? ''}`);
    const expected = params.qop
      ? md5(`${ha1}:${nonce}:${params.nc ?? ''}:${params.cnonce ?? ''}:${params.qop}:${ha2}`)
      : md5(`${ha1}:${nonce}:${ha2}`);
    return params.response === expected ? ok : challenge;
  };
}
