/**
 * Issue #11 item 8, hostile input at the API: every route in the OpenAPI document is called with
 * fuzzed path parameters, query parameters, headers and bodies (valid samples, samples with one
 * field replaced by something hostile, and arbitrary JSON or text) on a real database. Every answer
 * is a 2xx or a problem+json 4xx (validation problems point at their fields), never a 5xx, and
 * every call answers within a bound. Short form in CI; `WEIR_CHAOS=long` runs ~50× more cases.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, test } from 'vitest';
import { standardSignature } from '../../src/api/webhooks.ts';
import { useTestDatabase } from '../support/db.ts';
import { testRunner } from '../support/runner.ts';
import { createApp } from '../../src/api/app.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/log.ts';
import { bearer, ENCRYPTION_KEY, mintKey, running, storeOf } from '../integration/api/_app.ts';
import { encodeSegment, expectClean, fillPath, operationsOf, type App, type Operation } from './hostile/api.ts';
import { deepArray, deepObject, hostileString, mutated, sqlish, storableString, unstorable } from './hostile/inputs.ts';
import { LONG, runs, within } from './hostile/mode.ts';

const db = useTestDatabase();
let app: App;
let admin: string;
let hookSecret: string;
let instanceId: string;
const enc = new TextEncoder();
const CALL_MS = 10_000;

const workflowYaml = (name: string, extra = '') => `document: { dsl: 1.0.0, namespace: fz, name: ${name}, version: 1.0.0 }
${extra}do:
  - greet:
      set:
        greeting: \${ "Hello, " + (.name | tostring) }
`;

beforeAll(async () => {
  const runner = testRunner(db.current.sql);
  app = createApp({
    config: loadConfig({ DATABASE_URL: 'postgres://unused@127.0.0.1/unused' }),
    store: storeOf(db.current.sql),
    lifecycle: running(),
    log: createLogger('silent'),
    // ?wait= and drains are bounded so that every call answers well within CALL_MS.
    api: { rateLimitPerSecond: 0, encryptionKey: ENCRYPTION_KEY, waitMaxSeconds: 1 },
    drain: (o) => runner.drain({ ...o, maxMillis: Math.min(o.maxMillis ?? 1000, 2000) }),
  });
  admin = await mintKey(db.current.sql, 'admin');
  const post = (path: string, body: string, type = 'application/json') =>
    app.request(path, { method: 'POST', headers: bearer(admin, { 'content-type': type }), body });
  expect((await post('/v1/workflows', workflowYaml('hello'), 'application/yaml')).status).toBe(201);
  expect((await post('/v1/workflows', workflowYaml('ticker', "schedule: { cron: '0 3 * * *' }\n"), 'application/yaml')).status).toBe(201);
  instanceId = ((await (await post('/v1/workflows/fz/hello/instances', '{"name":"Ada"}')).json()) as { id: string }).id;
  const hook = await post('/v1/hooks', JSON.stringify({ name: 'h1', namespace: 'fz', target: { kind: 'start', workflow: { name: 'hello' } } }));
  expect(hook.status).toBe(201);
  hookSecret = ((await hook.json()) as { secret: string }).secret;
  await app.request('/v1/secrets/fz/token', { method: 'PUT', headers: bearer(admin, { 'content-type': 'application/json' }), body: '{"value":"s3cret-value"}' });
});

/** Values that reach real rows, so the fuzzer gets past "not found" into the handlers. */
const validParam: Record<string, string[]> = {
  namespace: ['fz'],
  name: ['hello', 'ticker', 'h1', 'token'],
  version: ['1.0.0'],
  id: ['fz.ticker'],
  msgId: ['1'],
};
const validQuery: Record<string, string[]> = {
  namespace: ['fz'],
  workflow: ['hello'],
  status: ['pending', 'completed,faulted', 'running,bogus'],
  createdAfter: ['2020-01-01T00:00:00Z', '0000-01-01T00:00:00Z', '0001-01-01T00:00:00+14:00'],
  createdBefore: ['2999-01-01T00:00:00Z'],
  limit: ['1', '500', '501', '0'],
  cursor: ['eyJ4IjoxfQ', 'WzFd'],
  version: ['1.0.0', '9.9.9'],
  wait: ['0', '0.05', '61'],
  after: ['0'],
  queue: ['weir_default', 'Bad-Name'],
};

/** A valid body for each route that takes one (the fuzzer mutates it). */
const sampleBody = (op: Operation): { value: unknown; type: string } => {
  const key = `${op.method} ${op.path}`;
  const event = { specversion: '1.0', id: 'e-1', source: '/fuzz', type: 'fuzz.happened', data: { n: 1 } };
  switch (key) {
    case 'POST /v1/workflows':
      return { value: { document: { dsl: '1.0.0', namespace: 'fz', name: 'gen', version: '1.0.0' }, do: [{ t: { set: { a: '${ .x }' } } }] }, type: 'application/json' };
    case 'POST /v1/workflows/{namespace}/{name}/instances':
      return { value: { name: 'Ada' }, type: 'application/json' };
    case 'POST /v1/instances/cancel':
      return { value: { namespace: 'fz', workflow: 'hello', status: ['pending'], limit: 5, reason: 'fuzz' }, type: 'application/json' };
    case 'POST /v1/instances/{id}/cancel':
      return { value: { reason: 'fuzz' }, type: 'application/json' };
    case 'POST /v1/events':
      return { value: event, type: 'application/cloudevents+json' };
    case 'POST /v1/hooks':
      return { value: { name: 'h2', namespace: 'fz', target: { kind: 'event', type: 'fuzz.hooked' } }, type: 'application/json' };
    case 'POST /v1/hooks/{name}':
      return { value: { name: 'Grace' }, type: 'application/json' };
    case 'PUT /v1/secrets/{namespace}/{name}':
      return { value: { value: 'another-secret' }, type: 'application/json' };
    case 'POST /v1/admin/drain':
      return { value: { maxMessages: 20, maxMillis: 500 }, type: 'application/json' };
    default:
      return { value: {}, type: 'application/json' };
  }
};

/** Header values a client can send (visible ASCII and spaces: the Headers class refuses the rest). */
const headerText = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 60 });

const rawSegments = ['%00', '%ff%fe', '%E0%A4%A', '..', '%2e%2e', '%2F', '%25', '%u0000', '%C0%80'];

function requestArbitrary(op: Operation) {
  const pathParams = op.params.filter((p) => p.in === 'path');
  const queryParams = op.params.filter((p) => p.in === 'query');
  const pathValue = (name: string) =>
    fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...(name === 'id' && op.path.startsWith('/v1/instances') ? [instanceId] : validParam[name] ?? ['x'])).map(encodeSegment) },
      { weight: 3, arbitrary: hostileString.map(encodeSegment) },
      { weight: 1, arbitrary: fc.constantFrom(...rawSegments) },
    );
  const queryValue = (name: string) => fc.oneof(fc.constantFrom(...(validQuery[name] ?? ['x'])), hostileString);
  const sample = sampleBody(op);
  const body = fc.oneof(
    { weight: 6, arbitrary: mutated(sample.value).map((v) => JSON.stringify(v)) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
    { weight: 1, arbitrary: fc.constantFrom('', '{', '[1,]', 'null', '"\\ud800"', '{"a":"\\u0000"}', deepArray(600), deepObject(600), 'a: [b', '--- !!binary AAAA') },
  );
  const contentType = fc.oneof(
    { weight: 6, arbitrary: fc.constant(sample.type) },
    { weight: 2, arbitrary: fc.constantFrom(...(op.bodyTypes.length ? op.bodyTypes : ['application/json'])) },
    { weight: 1, arbitrary: fc.constantFrom('text/plain', 'application/yaml', 'application/cloudevents-batch+json', 'multipart/form-data; boundary=x', '') },
    { weight: 1, arbitrary: headerText },
  );
  return fc.record({
    path: fc.record(Object.fromEntries(pathParams.map((p) => [p.name, pathValue(p.name)]))) as fc.Arbitrary<Record<string, string>>,
    query: fc.record(Object.fromEntries(queryParams.map((p) => [p.name, fc.option(queryValue(p.name), { nil: undefined })]))) as fc.Arbitrary<Record<string, string | undefined>>,
    body: fc.option(body, { nil: undefined, freq: 8 }),
    contentType,
    idempotencyKey: fc.option(fc.oneof(headerText, fc.constant('fixed-key')), { nil: undefined, freq: 4 }),
    extraHeaders: fc.option(
      fc.record({ 'weir-callback-url': fc.option(headerText, { nil: undefined }), traceparent: fc.option(headerText, { nil: undefined }), 'x-request-id': fc.option(headerText, { nil: undefined }) }),
      { nil: undefined },
    ),
    signed: fc.boolean(),
    accept: fc.constantFrom(undefined, 'application/yaml', 'application/json', '*/*'),
  });
}

type Fuzzed = ReturnType<typeof requestArbitrary> extends fc.Arbitrary<infer T> ? T : never;

async function send(op: Operation, r: Fuzzed) {
  const path = fillPath(op.path, r.path);
  const qs = new URLSearchParams(Object.entries(r.query).filter((e): e is [string, string] => e[1] !== undefined)).toString();
  const headers: Record<string, string> = { ...bearer(admin) };
  if (r.contentType) headers['content-type'] = r.contentType;
  if (r.idempotencyKey !== undefined) headers['idempotency-key'] = r.idempotencyKey;
  if (r.accept) headers.accept = r.accept;
  for (const [k, v] of Object.entries(r.extraHeaders ?? {})) if (v !== undefined) headers[k] = v;
  const hasBody = r.body !== undefined && op.method !== 'GET';
  if (hasBody && r.signed && op.path === '/v1/hooks/{name}') {
    const id = `fz_${Math.random().toString(36).slice(2)}`;
    const [{ s }] = await db.current.sql<{ s: number }>`SELECT floor(EXTRACT(EPOCH FROM weir.now()))::int AS s`;
    headers['webhook-id'] = id;
    headers['webhook-timestamp'] = String(s);
    headers['webhook-signature'] = await standardSignature(hookSecret, id, s, enc.encode(r.body));
  }
  const what = `${op.method} ${path}${qs ? '?' + qs : ''} ${JSON.stringify(headers).slice(0, 200)} body=${JSON.stringify(r.body)?.slice(0, 200)}`;
  const res = await within(CALL_MS, what, app.request(path + (qs ? '?' + qs : ''), { method: op.method, headers, ...(hasBody ? { body: r.body } : {}) }));
  return expectClean(res, what);
}

describe('every route answers hostile input with a 2xx or a problem+json 4xx, never a 5xx or a hang', () => {
  test('the OpenAPI document lists the routes the fuzzer covers', () => {
    const ops = operationsOf(app);
    expect(ops.length).toBeGreaterThanOrEqual(30);
    for (const must of ['POST /v1/workflows', 'POST /v1/events', 'POST /v1/hooks/{name}', 'PUT /v1/secrets/{namespace}/{name}', 'POST /v1/admin/drain']) {
      expect(ops.map((o) => `${o.method} ${o.path}`)).toContain(must);
    }
  });

  test('fuzzed path, query, headers and body on every route', { timeout: LONG ? 1_800_000 : 60_000 }, async () => {
    const ops = operationsOf(app);
    const counts = { calls: 0, s2xx: 0, s4xx: 0 };
    for (const op of ops) {
      await fc.assert(
        fc.asyncProperty(requestArbitrary(op), async (r) => {
          const a = await send(op, r);
          counts.calls++;
          if (a.status < 300) counts.s2xx++;
          else counts.s4xx++;
        }),
        { numRuns: runs(12, 600) },
      );
    }
    console.log(`fuzz-api: ${ops.length} routes, ${counts.calls} calls (${counts.s2xx} 2xx, ${counts.s4xx} 4xx, 0 5xx)`);
  });

  test('CloudEvents in binary mode: fuzzed ce-* headers, content types and bodies', { timeout: LONG ? 1_200_000 : 60_000 }, async () => {
    const ce = fc.record({
      'ce-specversion': fc.oneof(fc.constant('1.0'), headerText),
      'ce-id': fc.option(fc.oneof(headerText, fc.constantFrom('%00', '%ED%A0%80', '%27%3B%20DROP%20TABLE%20weir.events%3B--')), { nil: undefined }),
      'ce-source': fc.option(fc.oneof(fc.constant('/fuzz'), headerText), { nil: undefined }),
      'ce-type': fc.option(fc.oneof(fc.constant('fuzz.binary'), headerText), { nil: undefined }),
      'ce-time': fc.option(fc.oneof(fc.constant('2024-01-01T00:00:00Z'), fc.constant('0000-01-01T00:00:00Z'), headerText), { nil: undefined }),
      'ce-x': fc.option(headerText, { nil: undefined }),
    });
    const type = fc.constantFrom('application/json', 'text/plain', 'application/octet-stream', 'application/xml', 'application/vnd.x+json', 'image/png');
    const body = fc.oneof(fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? 'null'), fc.string({ unit: 'binary', maxLength: 200 }), fc.constantFrom('', '{"a":"\\u0000"}', deepArray(600)));
    await fc.assert(
      fc.asyncProperty(ce, type, body, async (headers, contentType, data) => {
        const h: Record<string, string> = { ...bearer(admin), 'content-type': contentType };
        for (const [k, v] of Object.entries(headers)) if (v !== undefined) h[k] = v;
        const what = `binary event ${JSON.stringify(h)} ${data.slice(0, 100)}`;
        await expectClean(await within(CALL_MS, what, app.request('/v1/events', { method: 'POST', headers: h, body: data })), what);
      }),
      { numRuns: runs(60, 3000) },
    );
  });

  test('an unknown, malformed or missing API key is a 401 problem on every protected route', { timeout: LONG ? 1_200_000 : 60_000 }, async () => {
    const ops = operationsOf(app).filter((o) => !o.public && o.path !== '/v1/hooks/{name}');
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...ops), fc.option(headerText, { nil: undefined }), async (op, auth) => {
        const path = fillPath(op.path, { namespace: 'fz', name: 'hello', version: '1.0.0', id: instanceId, msgId: '1' });
        const res = await within(CALL_MS, path, app.request(path, { method: op.method, headers: auth === undefined ? {} : { authorization: auth } }));
        const a = await expectClean(res, `${op.method} ${path} with authorization ${JSON.stringify(auth)}`);
        expect(a.status).toBe(401);
      }),
      { numRuns: runs(40, 2000) },
    );
  });
});

describe('regressions found by the fuzzer (each was a 500)', () => {
  const call = (method: string, path: string, body?: string, type = 'application/json') =>
    app.request(path, { method, headers: bearer(admin, { 'content-type': type }), ...(body === undefined ? {} : { body }) });

  test('U+0000 and lone surrogates in bodies are 422 with the pointer of the bad string', async () => {
    for (const [path, body, pointer, type] of [
      ['/v1/workflows/fz/hello/instances', '{"a":{"b":"x\\u0000"}}', '/a/b', 'application/json'],
      ['/v1/workflows/fz/hello/instances', '{"k\\ud800":1}', '/k\ud800', 'application/json'],
      ['/v1/events', JSON.stringify({ specversion: '1.0', id: 'n\u0000', source: '/s', type: 't' }), '/id', 'application/cloudevents+json'],
      ['/v1/events', JSON.stringify([{ specversion: '1.0', id: 'ok', source: '/s', type: 't', data: ['\ud800'] }]), '/0/data/0', 'application/cloudevents-batch+json'],
      ['/v1/workflows', JSON.stringify({ document: { dsl: '1.0.0', namespace: 'fz', name: 'nul', version: '1.0.0' }, do: [{ t: { set: { a: 'x\u0000' } } }] }), '/do/0/t/set/a', 'application/json'],
    ] as const) {
      const a = await expectClean(await call('POST', path, body, type), path);
      expect(a.status, a.text).toBe(422);
      expect((a.body as { errors: { pointer: string }[] }).errors[0].pointer).toBe(pointer);
    }
  });

  test('U+0000 in a path, query or zod-checked field is a 4xx problem (Postgres refuses it: SQLSTATE 22021/22P05)', async () => {
    for (const [method, path, body] of [
      ['GET', '/v1/workflows/a%00b/x', undefined],
      ['GET', '/v1/workflows/fz/hello/1%00', undefined],
      ['GET', '/v1/workflows?namespace=a%00', undefined],
      ['GET', '/v1/instances?workflow=a%00', undefined],
      ['POST', '/v1/hooks/a%00b', '{}'],
      ['POST', '/v1/workflows/fz/hello/instances?version=%00', '{}'],
      ['POST', '/v1/instances/cancel', '{"namespace":"fz\\u0000"}'],
      ['POST', '/v1/hooks', JSON.stringify({ name: 'nul', namespace: 'fz', target: { kind: 'event', type: 'x\u0000' } })],
    ] as const) {
      const a = await expectClean(await call(method, path, body), `${method} ${path}`);
      expect(a.status, a.text).toBe(422);
    }
  });

  test('values too long for their btree index (event id/source/type, version, delivery id, a long path with Idempotency-Key) are 4xx', async () => {
    // Random, so Postgres cannot compress them under the ~2.7 kB index entry limit.
    const long = (n: number) => Array.from({ length: n }, () => 'abcdefghijklmnopqrstuvwxyz0123456789'[Math.floor(Math.random() * 36)]).join('');
    for (const attr of ['id', 'source', 'type'] as const) {
      const event = { specversion: '1.0', id: 'ok', source: '/ok', type: 't', [attr]: (attr === 'source' ? '/' : '') + long(10_000) };
      const a = await expectClean(await call('POST', '/v1/events', JSON.stringify(event), 'application/cloudevents+json'), attr);
      expect(a.status, a.text).toBe(422);
      expect((a.body as { errors: { pointer: string }[] }).errors[0].pointer).toBe(`/${attr}`);
    }
    const atLimit = await expectClean(await call('POST', '/v1/events', JSON.stringify({ specversion: '1.0', id: long(1024), source: `/${long(1023)}`, type: long(1024) }), 'application/cloudevents+json'), 'at the limit');
    expect(atLimit.status, atLimit.text).toBe(202);
    const version = await expectClean(await call('POST', '/v1/workflows', `document: { dsl: 1.0.0, namespace: fz, name: longver, version: 1.0.0-${long(9_000)} }\ndo:\n  - t: { set: { a: 1 } }\n`, 'application/yaml'), 'version');
    expect(version.status, version.text).toBe(422);
    expect((version.body as { errors: { pointer: string }[] }).errors[0].pointer).toBe('/document/version');
    const hook = await expectClean(await call('POST', '/v1/hooks', JSON.stringify({ name: 'longtype', namespace: 'fz', target: { kind: 'event', type: long(5_000) } })), 'hook');
    expect(hook.status, hook.text).toBe(422);
    // A hook of its own: the route fuzzer may have deleted or rotated h1.
    const made = await expectClean(await call('POST', '/v1/hooks', JSON.stringify({ name: 'longid', namespace: 'fz', target: { kind: 'event', type: 'fz.long' } })), 'hook');
    expect(made.status).toBe(201);
    const [{ s }] = await db.current.sql<{ s: number }>`SELECT floor(EXTRACT(EPOCH FROM weir.now()))::int AS s`;
    const id = long(5_000);
    const signature = await standardSignature((made.body as { secret: string }).secret, id, s, enc.encode('{}'));
    const delivery = await expectClean(await app.request('/v1/hooks/longid', { method: 'POST', headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(s), 'webhook-signature': signature }, body: '{}' }), 'delivery');
    expect(delivery.status, delivery.text).toBe(401);
    const path = `/v1/workflows/${long(10_000)}/${long(10_000)}/instances`;
    const keyed = await expectClean(await app.request(path, { method: 'POST', headers: bearer(admin, { 'content-type': 'application/json', 'idempotency-key': 'long-path' }), body: '{}' }), 'long path');
    expect(keyed.status, keyed.text).toBe(404);
  });

  test('year 0000 (valid RFC 3339 for zod, out of range for Postgres) is a 422 with its pointer', async () => {
    const list = await expectClean(await call('GET', '/v1/instances?createdAfter=0000-01-01T00:00:00Z'), 'list');
    expect(list.status).toBe(422);
    expect((list.body as { errors: { pointer: string }[] }).errors[0].pointer).toBe('/query/createdAfter');
    const shifted = await expectClean(await call('GET', '/v1/instances?createdBefore=0001-01-01T00:00:00%2B14:00'), 'list');
    expect(shifted.status).toBe(422);
    const bulk = await expectClean(await call('POST', '/v1/instances/cancel', '{"namespace":"fz","createdBefore":"0000-06-01T00:00:00Z"}'), 'bulk');
    expect(bulk.status).toBe(422);
    expect((bulk.body as { errors: { pointer: string }[] }).errors[0].pointer).toBe('/createdBefore');
  });

  test('JSON nested past 512 levels is 422 (it overflowed the stack serialising it); 512 levels are stored', async () => {
    for (const [path, body, type] of [
      ['/v1/workflows/fz/hello/instances', deepArray(100_000), 'application/json'],
      ['/v1/workflows/fz/hello/instances', deepObject(5_000), 'application/json'],
      ['/v1/events', `{"specversion":"1.0","id":"deep","source":"/s","type":"t","data":${deepArray(100_000)}}`, 'application/cloudevents+json'],
    ] as const) {
      const a = await expectClean(await call('POST', path, body, type), path);
      expect(a.status, a.text).toBe(422);
    }
    const ok = await expectClean(await call('POST', '/v1/workflows/fz/hello/instances', deepArray(512)), 'depth 512');
    expect(ok.status).toBe(202);
    const read = await expectClean(await call('GET', `/v1/instances/${(ok.body as { id: string }).id}`), 'read');
    expect(JSON.stringify((read.body as { input: unknown }).input)).toBe(deepArray(512));
  });
});

describe('SQL-looking and unusual strings are stored and read back verbatim', () => {
  test('instance input keys and values', { timeout: LONG ? 1_800_000 : 60_000 }, async () => {
    let inputs = 0;
    await fc.assert(
      fc.asyncProperty(fc.dictionary(storableString, fc.oneof(storableString, fc.array(storableString, { maxLength: 3 })), { maxKeys: 4 }), storableString, async (input, name) => {
        const value = { ...input, name };
        inputs++;
        const res = await app.request('/v1/workflows/fz/hello/instances', { method: 'POST', headers: bearer(admin, { 'content-type': 'application/json' }), body: JSON.stringify(value) });
        const a = await expectClean(res, 'start');
        expect(a.status).toBe(202);
        const read = await expectClean(await app.request(`/v1/instances/${(a.body as { id: string }).id}`, { headers: bearer(admin) }), 'read');
        expect((read.body as { input: unknown }).input).toEqual(value);
      }),
      { numRuns: runs(25, 1500) },
    );
    console.log(`fuzz-api verbatim: ${inputs} instance inputs read back unchanged`);
  });

  test('workflow document strings, CloudEvent attributes and data, hook targets', { timeout: LONG ? 1_800_000 : 60_000 }, async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(storableString, storableString, async (text, other) => {
        n++;
        // A workflow document: summary, metadata and a set value, back through GET as JSON.
        const doc = { document: { dsl: '1.0.0', namespace: 'fz', name: `verbatim${n}`, version: '1.0.0', summary: text, metadata: { [other || 'k']: text } }, do: [{ t: { set: { v: text } } }] };
        const reg = await expectClean(await app.request('/v1/workflows', { method: 'POST', headers: bearer(admin, { 'content-type': 'application/json' }), body: JSON.stringify(doc) }), 'register');
        expect(reg.status, reg.text).toBe(201);
        const got = await expectClean(await app.request(`/v1/workflows/fz/verbatim${n}/1.0.0`, { headers: bearer(admin) }), 'get');
        expect((got.body as { document: unknown }).document).toEqual(doc);
        // A CloudEvent: attributes and data land in weir.events unchanged.
        const id = `${text}#${n}`;
        const event = { specversion: '1.0', id, source: `/verbatim/${n}`, type: text || 't', subject: other || 's', data: { text, other } };
        const pub = await expectClean(await app.request('/v1/events', { method: 'POST', headers: bearer(admin, { 'content-type': 'application/cloudevents+json' }), body: JSON.stringify(event) }), 'publish');
        expect(pub.status).toBe(202);
        const rows = await db.current.sql<{ id: string; type: string; subject: string; data: unknown; event: unknown }>`
          SELECT id, type, subject, data, event FROM weir.events WHERE source = ${event.source}`;
        expect(rows.map((r) => ({ id: r.id, type: r.type, subject: r.subject, data: r.data }))).toEqual([{ id, type: event.type, subject: event.subject, data: event.data }]);
        expect(rows[0].event).toMatchObject(event);
        // A hook's event target, back through GET /v1/hooks.
        const hook = { name: `verbatim-${n}`, namespace: 'fz', target: { kind: 'event', type: text || 't', source: other || 's' } };
        const made = await expectClean(await app.request('/v1/hooks', { method: 'POST', headers: bearer(admin, { 'content-type': 'application/json' }), body: JSON.stringify(hook) }), 'hook');
        expect(made.status).toBe(201);
        const hooks = await expectClean(await app.request('/v1/hooks', { headers: bearer(admin) }), 'hooks');
        expect((hooks.body as { items: { name: string; target: unknown }[] }).items.find((h) => h.name === hook.name)?.target).toEqual(hook.target);
      }),
      { numRuns: runs(15, 800) },
    );
    console.log(`fuzz-api verbatim: ${n} documents, events and hooks read back unchanged`);
    // The tables the SQL-looking strings name are still there.
    const [{ n: instances }] = await db.current.sql<{ n: number }>`SELECT count(*)::int AS n FROM weir.instances`;
    expect(instances).toBeGreaterThan(0);
    expect(sqlish.length).toBeGreaterThan(10);
    expect(unstorable.length).toBeGreaterThan(0);
  });
});
