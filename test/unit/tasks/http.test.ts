import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLocally } from '../../../src/effects/local-runner.ts';
import { errorTypes } from '../../../src/engine/index.ts';
import { wf } from '../engine/helpers.ts';
import { json, startStub } from './stub.ts';

let stub: Awaited<ReturnType<typeof startStub>>;
const md5 = (s: string) => createHash('md5').update(s).digest('hex');

beforeAll(async () => {
  stub = await startStub({
    '/v2/pet/findByStatus': (req, res) => json(res, 200, [{ id: 1, name: 'Milou', status: new URL(req.url, 'http://x').searchParams.get('status') }]),
    '/v2/pet/1': (_req, res) => json(res, 200, { id: 1, name: 'Milou', status: 'available' }),
    '/v2/pet/2': (_req, res) => json(res, 200, { id: 2, name: 'Rantanplan', status: 'sold' }),
    'POST /v2/pet': (req, res) => json(res, 201, { received: JSON.parse(req.body), idem: req.headers['idempotency-key'], ct: req.headers['content-type'] }),
    '/text': (_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('hello'),
    '/basic-auth/u/p': (req, res) =>
      req.headers.authorization === `Basic ${Buffer.from('u:p').toString('base64')}` ? json(res, 200, { authenticated: true }) : json(res, 401, {}),
    '/bearer': (req, res) => (req.headers.authorization === 'Bearer tok-1' ? json(res, 200, { ok: 'bearer' }) : json(res, 401, {})),
    '/digest': (req, res) => {
      const h = req.headers.authorization;
      if (!h?.startsWith('Digest ')) {
        return res.writeHead(401, { 'www-authenticate': 'Digest realm="r", nonce="n1", qop="auth", opaque="o"' }).end();
      }
      const p = Object.fromEntries([...h.matchAll(/(\w+)=(?:"([^"]*)"|([^,\s]+))/g)].map((m) => [m[1], m[2] ?? m[3]]));
      const expected = md5(`${md5('dave:r:secret')}:n1:${p.nc}:${p.cnonce}:auth:${md5(`GET:${p.uri}`)}`);
      return p.response === expected ? json(res, 200, { ok: 'digest' }) : json(res, 401, { bad: true });
    },
    'POST /oauth2/token': (req, res) => {
      const form = new URLSearchParams(req.body);
      return form.get('grant_type') === 'client_credentials' && form.get('client_id') === 'cid' && form.get('client_secret') === 'cs'
        ? json(res, 200, { access_token: 'tok-1', token_type: 'Bearer' })
        : json(res, 400, { error: 'invalid_client' });
    },
    '/redirect': (_req, res) => res.writeHead(302, { location: '/v2/pet/1' }).end(),
    '/loop': (_req, res) => res.writeHead(302, { location: '/loop' }).end(),
    '/big': (_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('x'.repeat(5000)),
    '/slow': (_req, res) => setTimeout(() => json(res, 200, {}), 500),
    '/v3/openapi.json': (_req, res) =>
      json(res, 200, {
        openapi: '3.0.3',
        servers: [{ url: '/api/{version}', variables: { version: { default: 'v3' } } }],
        paths: {
          '/pet/{petId}': { parameters: [{ $ref: '#/components/parameters/PetId' }], get: { operationId: 'getPetById' } },
          '/pet': { post: { operationId: 'addPet', parameters: [{ name: 'X-Trace', in: 'header' }], requestBody: { content: { 'application/json': {} } } } },
        },
        components: { parameters: { PetId: { name: 'petId', in: 'path', required: true } } },
      }),
    '/api/v3/pet/1': (_req, res) => json(res, 200, { id: 1, v: 3 }),
    'POST /api/v3/pet': (req, res) => json(res, 200, { received: JSON.parse(req.body), trace: req.headers['x-trace'] }),
    '/v2/swagger.json': (_req, res) =>
      json(res, 200, {
        swagger: '2.0',
        basePath: '/v2',
        paths: {
          '/pet/findByStatus': { get: { operationId: 'findPetsByStatus', parameters: [{ name: 'status', in: 'query' }] } },
          '/pet/{petId}': { get: { operationId: 'getPetById', parameters: [{ name: 'petId', in: 'path' }] } },
          '/pet': { post: { operationId: 'addPet', parameters: [{ name: 'body', in: 'body' }] } },
        },
      }),
  });
});
afterAll(() => stub.close());

const run = (tasks: unknown[], input: unknown = {}, options = {}, extra = {}) => runLocally(wf(tasks, extra), input, { allowPrivate: true, ...options });
const get = (endpoint: unknown, more = {}) => ({ call: 'http', with: { method: 'get', endpoint, ...more } });

describe('call: http', () => {
  it('expands URI templates from the input, parses JSON, output.as filters', async () => {
    const r = await run([{ findPet: { ...get({ uri: `${stub.origin}/v2/pet/findByStatus?status={status}` }), output: { as: '.[0]' } } }], { status: 'available' });
    expect(r.output).toEqual({ id: 1, name: 'Milou', status: 'available' });
  });

  it('output: response describes request and response', async () => {
    const r = await run([{ getPet: get(`${stub.origin}/v2/pet/{petId}`, { output: 'response' }) }], { petId: 1 });
    expect(r.output).toMatchObject({ request: { method: 'GET', uri: `${stub.origin}/v2/pet/1`, headers: {} }, statusCode: 200, content: { id: 1 } });
    expect((r.output as { headers: Record<string, string> }).headers['content-type']).toBe('application/json');
  });

  it('output: raw is the base64 body; text bodies are text', async () => {
    expect((await run([{ t: get(`${stub.origin}/text`, { output: 'raw' }) }])).output).toBe(btoa('hello'));
    expect((await run([{ t: get(`${stub.origin}/text`) }])).output).toBe('hello');
  });

  it('POST sends JSON body, query and headers, and an Idempotency-Key', async () => {
    const r = await run([
      { add: { call: 'http', with: { method: 'post', endpoint: `${stub.origin}/v2/pet`, body: { name: '${ .n }' }, query: { q: 'x' }, headers: { 'X-Test': 'y' } } } },
    ], { n: 'Rex' });
    expect(r.output).toMatchObject({ received: { name: 'Rex' }, ct: 'application/json' });
    expect((r.output as { idem: string }).idem).toMatch(/:\/do\/0\/add:http-\d+$/);
    const rec = stub.requests.at(-1)!;
    expect(rec.url).toBe('/v2/pet?q=x');
    expect(rec.headers['x-test']).toBe('y');
  });

  it('a non-2xx answer is a communication error with the response status', async () => {
    const r = await run([{ tryGetPet: { try: [{ getPet: get(`${stub.origin}/v2/pet/getPetByName/{petName}`) }], catch: { errors: { with: { status: 503 } } } } }], { petName: 'Milou' });
    expect(r.status).toBe('faulted');
    expect(r.error).toMatchObject({ type: errorTypes.communication, status: 404, instance: '/do/0/tryGetPet/try/0/getPet' });
    expect(r.error?.title).toBeTypeOf('string');
  });

  it('two calls, non-object output and $input (data-flow.feature)', async () => {
    const r = await run(
      [
        { getPetById1: { ...get({ uri: `${stub.origin}/v2/pet/{petId}` }), output: { as: '.id' } } },
        { getPetById2: { ...get({ uri: `${stub.origin}/v2/pet/2` }), output: { as: '{ ids: [ $input, .id ] }' } } },
      ],
      { petId: 1 },
    );
    expect(r.output).toEqual({ ids: [1, 2] });
  });

  it('a URI template variable that is an object is an expression error', async () => {
    const r = await run([{ g: get(`${stub.origin}/v2/pet/{petId}`) }], { petId: { a: 1 } });
    expect(r.error?.type).toBe(errorTypes.expression);
  });
});

describe('authentication', () => {
  it('basic, inline with expressions', async () => {
    const r = await run([{ login: get({ uri: `${stub.origin}/basic-auth/{username}/{password}`, authentication: { basic: { username: '${ .username }', password: '${ .password }' } } }) }], {
      username: 'u',
      password: 'p',
    });
    expect(r.output).toEqual({ authenticated: true });
  });

  it('bearer from use.authentications backed by a secret; $authorization is visible', async () => {
    const r = await run(
      [{ b: { ...get({ uri: `${stub.origin}/bearer`, authentication: { use: 'api' } }), output: { as: '{ ok: .ok, scheme: $authorization.scheme }' } } }],
      {},
      { secrets: { apiToken: { token: 'tok-1' } } },
      { use: { secrets: ['apiToken'], authentications: { api: { bearer: { use: 'apiToken' } } } } },
    );
    expect(r.output).toEqual({ ok: 'bearer', scheme: 'Bearer' });
  });

  it('a missing secret is an authorization error (403)', async () => {
    const r = await run([{ b: get({ uri: `${stub.origin}/bearer`, authentication: { bearer: { use: 'nope' } } }) }]);
    expect(r.error).toMatchObject({ type: errorTypes.authorization, status: 403 });
  });

  it('digest answers the challenge', async () => {
    const r = await run([{ d: get({ uri: `${stub.origin}/digest`, authentication: { digest: { username: 'dave', password: 'secret' } } }) }]);
    expect(r.output).toEqual({ ok: 'digest' });
    expect(stub.requests.filter((q) => q.url === '/digest').length).toBeGreaterThanOrEqual(2);
  });

  it('a refused OAuth2 token request is an authentication error (401)', async () => {
    const r = await run([
      { o: get({ uri: `${stub.origin}/bearer`, authentication: { oauth2: { authority: stub.origin, grant: 'client_credentials', client: { id: 'cid', secret: 'wrong' } } } }) },
    ]);
    expect(r.error).toMatchObject({ type: errorTypes.authentication, status: 401, instance: '/do/0/o' });
  });

  it('oauth2 client credentials fetches a token first', async () => {
    const r = await run([
      { o: get({ uri: `${stub.origin}/bearer`, authentication: { oauth2: { authority: stub.origin, grant: 'client_credentials', client: { id: 'cid', secret: 'cs' } } } }) },
    ]);
    expect(r.output).toEqual({ ok: 'bearer' });
  });
});

describe('call: openapi', () => {
  it('resolves operations from a Swagger 2.0 document (query and path parameters)', async () => {
    const doc = { document: { endpoint: `${stub.origin}/v2/swagger.json` } };
    const a = await run([{ f: { call: 'openapi', with: { ...doc, operationId: 'findPetsByStatus', parameters: { status: '${ .status }' } }, output: { as: '. | length' } } }], {
      status: 'available',
    });
    expect(a.output).toBe(1);
    const b = await run([{ g: { call: 'openapi', with: { ...doc, operationId: 'getPetById', parameters: { petId: '${ .petId }' }, output: 'response' } } }], { petId: 1 });
    expect(b.output).toMatchObject({ statusCode: 200, content: { id: 1, name: 'Milou' }, request: { method: 'GET', uri: `${stub.origin}/v2/pet/1` } });
    const c = await run([{ p: { call: 'openapi', with: { ...doc, operationId: 'addPet', parameters: { body: { name: 'Rex' } } } } }]);
    expect(c.output).toMatchObject({ received: { name: 'Rex' } });
  });

  it('resolves operations from an OpenAPI 3 document (servers with variables, $ref parameters, requestBody)', async () => {
    const doc = { document: { endpoint: { uri: `${stub.origin}/v3/openapi.json` } } };
    const a = await run([{ g: { call: 'openapi', with: { ...doc, operationId: 'getPetById', parameters: { petId: 1 } } } }]);
    expect(a.output).toEqual({ id: 1, v: 3 });
    const b = await run([{ p: { call: 'openapi', with: { ...doc, operationId: 'addPet', parameters: { 'X-Trace': 't-1', name: 'Rex' } } } }]);
    expect(b.output).toEqual({ received: { name: 'Rex' }, trace: 't-1' });
  });

  it('an unknown operationId is a configuration error', async () => {
    const r = await run([{ f: { call: 'openapi', with: { document: { endpoint: `${stub.origin}/v2/swagger.json` }, operationId: 'nope' } } }]);
    expect(r.error).toMatchObject({ type: errorTypes.configuration, instance: '/do/0/f' });
  });
});

describe('HTTP performer guards', () => {
  it('refuses loopback targets unless allowPrivate', async () => {
    const r = await runLocally(wf([{ g: get(`${stub.origin}/v2/pet/1`) }]), {});
    expect(r.error).toMatchObject({ type: errorTypes.communication, status: 403 });
    expect(r.error?.detail).toMatch(/refused/);
  });

  it('follows redirects (bounded)', async () => {
    expect((await run([{ r: get(`${stub.origin}/redirect`) }])).output).toMatchObject({ id: 1 });
    const loop = await run([{ r: get(`${stub.origin}/loop`) }]);
    expect(loop.error?.detail).toMatch(/redirects/);
  });

  it('a task timeout bounds the request (timeoutMs in the effect) and faults with a timeout error', async () => {
    const r = await run([{ s: { ...get(`${stub.origin}/slow`), timeout: { after: { milliseconds: 50 } } } }]);
    expect(r.error).toMatchObject({ type: errorTypes.timeout, instance: '/do/0/s' });
  });

  it('caps the response size and times out', async () => {
    const big = await run([{ b: get(`${stub.origin}/big`) }], {}, { maxResponseBytes: 1000 });
    expect(big.error?.detail).toMatch(/exceeds 1000 bytes/);
    const slow = await run([{ s: get(`${stub.origin}/slow`) }], {}, { timeoutMs: 50 });
    expect(slow.error).toMatchObject({ type: errorTypes.timeout });
  });
});
