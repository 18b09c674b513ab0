/** Registering and reading workflow definitions through app.request() on real Postgres. */
import { beforeAll, describe, expect, test } from 'vitest';
import { useTestDatabase } from '../../support/db.ts';
import { bearer, buildApp, helloYaml, mintKey } from './_app.ts';

const db = useTestDatabase();
let admin: string;
let app: ReturnType<typeof buildApp>;

beforeAll(async () => {
  app = buildApp(db.current.sql);
  admin = await mintKey(db.current.sql, 'admin');
});

const post = (body: string, type = 'application/yaml', extra: Record<string, string> = {}, query = '') =>
  app.request(`/v1/workflows${query}`, { method: 'POST', headers: bearer(admin, { 'content-type': type, ...extra }), body });

describe('POST /v1/workflows', () => {
  test('registers a YAML document: 201, Location, digest; the queue is created', async () => {
    const res = await post(helloYaml);
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toBe('/v1/workflows/examples/hello/1.0.0');
    const body = await res.json();
    expect(body).toMatchObject({ namespace: 'examples', name: 'hello', version: '1.0.0', queue: 'weir_default' });
    expect(body.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    const queues = await db.current.sql<{ queue_name: string }>`SELECT queue_name FROM pgmq.list_queues()`;
    expect(queues.map((q) => q.queue_name)).toContain('weir_default');
  });

  test('the same document again (even as JSON, keys reordered) is 200 with the same digest', async () => {
    const first = await (await post(helloYaml)).json();
    const asJson = JSON.stringify({
      do: [{ greet: { set: { greeting: '${ "Hello, " + .name }' } } }],
      document: { version: '1.0.0', name: 'hello', namespace: 'examples', dsl: '1.0.0' },
    });
    const res = await post(asJson, 'application/json');
    expect(res.status).toBe(200);
    expect((await res.json()).digest).toBe(first.digest);
  });

  test('a different document under an existing version is 409', async () => {
    const res = await post(helloYaml.replace('"Hello, "', '"Hi, "'));
    expect(res.status).toBe(409);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect((await res.json()).errors).toEqual([{ pointer: '/document/version', message: 'already registered with a different document' }]);
  });

  test('?queue= names the queue, which is created on first use', async () => {
    const res = await post(helloYaml.replace('version: 1.0.0', 'version: 1.1.0'), 'application/yaml', {}, '?queue=fast_lane');
    expect(res.status).toBe(201);
    expect((await res.json()).queue).toBe('fast_lane');
    const queues = await db.current.sql<{ queue_name: string }>`SELECT queue_name FROM pgmq.list_queues()`;
    expect(queues.map((q) => q.queue_name)).toContain('fast_lane');
  });

  test('document.metadata.weir.queue is used when ?queue= is absent; a bad queue name is 422', async () => {
    const withMeta = helloYaml.replace('version: 1.0.0', 'version: 1.2.0\n  metadata:\n    weir:\n      queue: slow_lane');
    expect((await (await post(withMeta)).json()).queue).toBe('slow_lane');
    const bad = await post(helloYaml.replace('version: 1.0.0', 'version: 1.3.0'), 'application/yaml', {}, '?queue=Bad-Name');
    expect(bad.status).toBe(422);
    expect((await bad.json()).errors[0].pointer).toBe('/query/queue');
    const badMeta = await post(helloYaml.replace('version: 1.0.0', 'version: 1.4.0\n  metadata:\n    weir:\n      queue: "x; drop"'));
    expect(badMeta.status).toBe(422);
    expect((await badMeta.json()).errors[0]).toEqual({ pointer: '/document/metadata/weir/queue', message: 'lower-case letters, digits and _; at most 47' });
    expect((await post(helloYaml.replace('version: 1.0.0', 'version: 1.5.0'), 'application/yaml', {}, `?queue=${'q'.repeat(48)}`)).status).toBe(422);
  });

  test('bad YAML is 422 with a line and column', async () => {
    const res = await post('document: [unclosed\n  dsl: 1.0.0\n');
    expect(res.status).toBe(422);
    const body = await res.json();
    expect(body.type).toBe('https://weir.dev/problems/invalid-document');
    expect(body.errors[0].message).toMatch(/invalid YAML/);
    expect(body.errors[0].line).toBeGreaterThan(0);
  });

  test('bad JSON is 422 naming the parse error', async () => {
    const res = await post('{"document": ', 'application/json');
    expect(res.status).toBe(422);
    expect((await res.json()).errors[0].message).toMatch(/invalid JSON/);
  });

  test('schema violations are 422 with every problem as a JSON pointer into the document', async () => {
    const doc = `document:
  dsl: 1.0.0
  namespace: examples
  name: broken
  version: 1.0.0
do:
  - first:
      set: 42
  - second:
      wait: not-a-duration
  - third:
      set:
        x: \${ .a | }
`;
    const res = await post(doc);
    expect(res.status).toBe(422);
    const body = await res.json();
    const pointers = body.errors.map((e: { pointer: string }) => e.pointer);
    expect(pointers).toEqual(expect.arrayContaining(['/do/0/first/set', '/do/1/second/wait', '/do/2/third/set/x']));
    for (const e of body.errors) expect(e.message).toMatch(/\(line \d+, column \d+\)$/);
  });

  test('an unsupported media type is 415', async () => {
    const res = await post('x', 'text/plain');
    expect(res.status).toBe(415);
  });

  test('a key without write in the namespace is 403; without a key 401', async () => {
    const reader = await mintKey(db.current.sql, 'read');
    const other = await mintKey(db.current.sql, 'write', ['elsewhere']);
    const h = (k: string) => bearer(k, { 'content-type': 'application/yaml' });
    expect((await app.request('/v1/workflows', { method: 'POST', headers: h(reader), body: helloYaml })).status).toBe(403);
    expect((await app.request('/v1/workflows', { method: 'POST', headers: h(other), body: helloYaml })).status).toBe(403);
    const none = await app.request('/v1/workflows', { method: 'POST', headers: { 'content-type': 'application/yaml' }, body: helloYaml });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
  });
});

describe('GET /v1/workflows…', () => {
  test('lists workflows with cursor pagination', async () => {
    for (const n of ['a', 'b', 'c']) {
      expect((await post(helloYaml.replace('name: hello', `name: w${n}`))).status).toBe(201);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await app.request(`/v1/workflows?limit=2${cursor ? `&cursor=${cursor}` : ''}`, { headers: bearer(admin) });
      expect(res.status).toBe(200);
      const body: { items: { name: string }[]; next: string | null } = await res.json();
      seen.push(...body.items.map((i) => i.name));
      cursor = body.next;
      pages++;
    } while (cursor && pages < 10);
    expect(seen).toEqual(['hello', 'wa', 'wb', 'wc']);
    expect(pages).toBe(2);
  });

  test('a page size above the cap and a forged cursor are 422', async () => {
    expect((await app.request('/v1/workflows?limit=100000', { headers: bearer(admin) })).status).toBe(422);
    expect((await app.request('/v1/workflows?cursor=garbage', { headers: bearer(admin) })).status).toBe(422);
  });

  test('a namespace-scoped key sees only its namespaces', async () => {
    const scoped = await mintKey(db.current.sql, 'read', ['elsewhere']);
    const body = await (await app.request('/v1/workflows', { headers: bearer(scoped) })).json();
    expect(body.items).toEqual([]);
  });

  test('versions, highest semver first; unknown workflow is 404', async () => {
    const res = await app.request('/v1/workflows/examples/hello', { headers: bearer(admin) });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.latest).toBe('1.2.0');
    expect(body.versions.map((v: { version: string }) => v.version)).toEqual(['1.2.0', '1.1.0', '1.0.0']);
    expect((await app.request('/v1/workflows/examples/nope', { headers: bearer(admin) })).status).toBe(404);
  });

  test('one version as JSON, or its YAML source on Accept: application/yaml', async () => {
    const json = await app.request('/v1/workflows/examples/hello/1.0.0', { headers: bearer(admin) });
    expect(json.status).toBe(200);
    expect((await json.json()).document.document.name).toBe('hello');
    const yaml = await app.request('/v1/workflows/examples/hello/1.0.0', { headers: bearer(admin, { accept: 'application/yaml' }) });
    expect(yaml.headers.get('content-type')).toMatch(/^application\/yaml/);
    expect(await yaml.text()).toBe(helloYaml);
    expect((await app.request('/v1/workflows/examples/hello/9.9.9', { headers: bearer(admin) })).status).toBe(404);
  });
});
