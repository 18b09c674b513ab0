/**
 * Cross-cutting guards: auth modes and keys, Idempotency-Key, rate limit, body cap, and errors
 * that reveal nothing internal.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { createLogger } from '../../../src/log.ts';
import { revokeApiKey } from '../../../src/store/queries/keys.ts';
import type { Sql } from '../../../src/store/sql.ts';
import { useTestDatabase } from '../../support/db.ts';
import { bearer, buildApp, helloYaml, mintKey } from './_app.ts';

const db = useTestDatabase();
let admin: string;
let app: ReturnType<typeof buildApp>;

beforeAll(async () => {
  app = buildApp(db.current.sql, { api: { maxBodyBytes: 4096 } });
  admin = await mintKey(db.current.sql, 'admin');
  const res = await app.request('/v1/workflows', { method: 'POST', headers: bearer(admin, { 'content-type': 'application/yaml' }), body: helloYaml });
  expect(res.status).toBe(201);
});

const start = (key: string, body: unknown, headers: Record<string, string> = {}, query = '', a = app) =>
  a.request(`/v1/workflows/examples/hello/instances${query}`, {
    method: 'POST',
    headers: bearer(key, { 'content-type': 'application/json', ...headers }),
    body: JSON.stringify(body),
  });

describe('auth', () => {
  test('on for Postgres; off only on the embedded database bound to loopback', async () => {
    expect((await app.request('/v1/instances')).status).toBe(401);
    const open = buildApp(db.current.sql, { open: true });
    expect((await open.request('/v1/instances')).status).toBe(200);
    const exposed = buildApp(db.current.sql, { open: true, env: {} });
    expect((await exposed.request('/v1/instances')).status).toBe(200);
    const pgliteOnAllInterfaces = buildApp(db.current.sql, { env: { WEIR_HOST: '0.0.0.0' } });
    expect((await pgliteOnAllInterfaces.request('/v1/instances')).status).toBe(401);
  });

  test('the decision is logged at start', () => {
    const lines: string[] = [];
    buildApp(db.current.sql, { log: createLogger('info', {}, (l) => lines.push(l)) });
    expect(lines.map((l) => JSON.parse(l))).toContainEqual(expect.objectContaining({ auth: 'keys', database: 'postgres' }));
  });

  test('unknown, malformed and revoked keys are 401; WEIR_ADMIN_KEY is an admin key', async () => {
    expect((await app.request('/v1/instances', { headers: bearer('weir_nope') })).status).toBe(401);
    expect((await app.request('/v1/instances', { headers: { authorization: 'Basic abc' } })).status).toBe(401);
    const key = await mintKey(db.current.sql, 'read');
    expect((await app.request('/v1/instances', { headers: bearer(key) })).status).toBe(200);
    const [row] = await db.current.sql<{ id: string }>`SELECT id FROM weir.api_keys ORDER BY created_at DESC, id DESC LIMIT 1`;
    expect(await revokeApiKey(db.current.sql, row.id)).toBe(1);
    expect((await app.request('/v1/instances', { headers: bearer(key) })).status).toBe(401);
    const bootstrap = 'bootstrap-admin-key-0123456789abcdef';
    const withAdmin = buildApp(db.current.sql, { env: { WEIR_ADMIN_KEY: bootstrap } });
    expect((await withAdmin.request('/metrics', { headers: bearer(bootstrap) })).status).toBe(200);
    expect((await withAdmin.request('/metrics', { headers: bearer(bootstrap + 'x') })).status).toBe(401);
  });

  test('health, /openapi.json and /docs are public', async () => {
    for (const path of ['/health/live', '/openapi.json', '/docs']) expect((await app.request(path)).status).toBe(200);
  });
});

describe('Idempotency-Key', () => {
  test('same key and request: the stored response is replayed (no second instance)', async () => {
    const first = await start(admin, { n: 1 }, { 'idempotency-key': 'k-1' });
    expect(first.status).toBe(202);
    const a = await first.json();
    const second = await start(admin, { n: 1 }, { 'idempotency-key': 'k-1' });
    expect(second.status).toBe(202);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(second.headers.get('location')).toBe(`/v1/instances/${a.id}`);
    expect((await second.json()).id).toBe(a.id);
    const [{ n }] = await db.current.sql<{ n: number }>`SELECT count(*)::int AS n FROM weir.instances WHERE input = '{"n":1}'::jsonb`;
    expect(n).toBe(1);
  });

  test('same key, different request: 422', async () => {
    await start(admin, { n: 2 }, { 'idempotency-key': 'k-2' });
    const res = await start(admin, { n: 3 }, { 'idempotency-key': 'k-2' });
    expect(res.status).toBe(422);
    expect((await res.json()).errors[0].pointer).toBe('/headers/idempotency-key');
  });

  test('same key while the first request is still running: 409', async () => {
    const slow = start(admin, { n: 4 }, { 'idempotency-key': 'k-3' }, '?wait=1');
    await new Promise((r) => setTimeout(r, 150));
    const concurrent = await start(admin, { n: 4 }, { 'idempotency-key': 'k-3' }, '?wait=1');
    expect(concurrent.status).toBe(409);
    expect((await slow).status).toBe(202);
    expect((await start(admin, { n: 4 }, { 'idempotency-key': 'k-3' }, '?wait=1')).headers.get('idempotent-replayed')).toBe('true');
  });

  test('keys are scoped per API key, and expire', async () => {
    const other = await mintKey(db.current.sql, 'write');
    const mine = await (await start(admin, { n: 5 }, { 'idempotency-key': 'k-4' })).json();
    // Another API key's stored responses are not replayed to it (the record is scoped to the key);
    // the start itself is still deduplicated per workflow by the instance's idempotency key.
    const theirs = await start(other, { n: 5 }, { 'idempotency-key': 'k-4' });
    expect(theirs.status).toBe(202);
    expect(theirs.headers.get('idempotent-replayed')).toBeNull();
    expect((await theirs.json()).id).toBe(mine.id);
    await db.current.sql`UPDATE weir.idempotency SET expires_at = weir.now() - interval '1 second' WHERE key = 'k-4'`;
    const after = await start(admin, { n: 5 }, { 'idempotency-key': 'k-4' });
    expect(after.headers.get('idempotent-replayed')).toBeNull();
    // The instance-level key still deduplicates the start itself.
    expect((await after.json()).id).toBe(mine.id);
  });

  test('a 204 (hook deletion) replays as 204 without a body', async () => {
    await app.request('/v1/hooks', {
      method: 'POST',
      headers: bearer(admin, { 'content-type': 'application/json' }),
      body: JSON.stringify({ name: 'gone', namespace: 'examples', target: { kind: 'event', type: 't' } }),
    });
    const del = () => app.request('/v1/hooks/gone', { method: 'DELETE', headers: bearer(admin, { 'idempotency-key': 'del-1' }) });
    expect((await del()).status).toBe(204);
    const again = await del();
    expect(again.status).toBe(204);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
  });

  test('registering a workflow replays too; an invalid key is 400', async () => {
    const h = bearer(admin, { 'content-type': 'application/yaml', 'idempotency-key': 'reg-1' });
    const doc = helloYaml.replace('version: 1.0.0', 'version: 2.0.0');
    expect((await app.request('/v1/workflows', { method: 'POST', headers: h, body: doc })).status).toBe(201);
    const again = await app.request('/v1/workflows', { method: 'POST', headers: h, body: doc });
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect((await start(admin, {}, { 'idempotency-key': 'bad key with spaces' })).status).toBe(400);
  });
});

describe('rate limit', () => {
  test('a key past its bucket gets 429 with Retry-After; other keys are unaffected; tokens refill with the clock', async () => {
    const limited = buildApp(db.current.sql, { api: { rateLimitPerSecond: 1, rateLimitBurst: 3 } });
    const key = await mintKey(db.current.sql, 'read');
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await limited.request('/v1/instances?limit=1', { headers: bearer(key) })).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const denied = await limited.request('/v1/instances?limit=1', { headers: bearer(key) });
    expect(denied.status).toBe(429);
    expect(Number(denied.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await denied.json()).type).toBe('https://weir.dev/problems/rate-limited');
    expect((await limited.request('/v1/instances?limit=1', { headers: bearer(admin) })).status).toBe(200);
    await db.current.sql`UPDATE weir.rate_limits SET updated_at = updated_at - interval '2 seconds' WHERE key LIKE 'api:%'`;
    expect((await limited.request('/v1/instances?limit=1', { headers: bearer(key) })).status).toBe(200);
  });
});

describe('limits and errors', () => {
  test('a body over the cap is 413 by Content-Length, and by counting a stream without one', async () => {
    const big = JSON.stringify({ blob: 'x'.repeat(5000) });
    const res = await start(admin, JSON.parse(big));
    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 1_000_000) return controller.close();
        sent += 1024;
        controller.enqueue(new Uint8Array(1024).fill(32));
      },
    });
    const streamed = await app.request('/v1/workflows/examples/hello/instances', {
      method: 'POST',
      headers: bearer(admin, { 'content-type': 'application/json' }),
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(413);
    expect(sent).toBeLessThan(64 * 1024);
  });

  test('a database error is a 500 problem with the request id, no SQL and no stack', async () => {
    const lines: string[] = [];
    const broken = ((..._args: unknown[]) => db.current.sql`SELECT 1/0 AS boom FROM weir.instances_missing_table`) as unknown as Sql;
    Object.assign(broken, { driver: 'postgres', begin: (fn: (tx: Sql) => unknown) => fn(broken), unsafe: broken });
    const bad = buildApp(broken, { open: true, log: createLogger('error', {}, (l) => lines.push(l)) });
    const res = await bad.request('/v1/instances', { headers: { 'x-request-id': 'req-boom' } });
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).not.toMatch(/instances_missing_table|SELECT|relation|at .*\.ts/);
    expect(JSON.parse(text)).toMatchObject({ status: 500, detail: 'the server could not complete the request', requestId: 'req-boom' });
    expect(lines.some((l) => l.includes('req-boom') && l.includes('instances_missing_table'))).toBe(true);
  });

  test('every response carries X-Request-Id; requests are logged with it', async () => {
    const lines: string[] = [];
    const logged = buildApp(db.current.sql, { log: createLogger('info', {}, (l) => lines.push(l)) });
    const res = await logged.request('/v1/instances', { headers: bearer(admin, { 'x-request-id': 'req-42' }) });
    expect(res.headers.get('x-request-id')).toBe('req-42');
    expect(lines.map((l) => JSON.parse(l))).toContainEqual(expect.objectContaining({ msg: 'request', requestId: 'req-42', status: 200, path: '/v1/instances' }));
  });
});

describe('request validation', () => {
  test('zod failures are 422 with pointers under their location (query, body root)', async () => {
    const q = await app.request('/v1/instances?limit=0', { headers: bearer(admin) });
    expect(q.status).toBe(422);
    expect((await q.json()).errors[0].pointer).toBe('/query/limit');
    const body = await app.request('/v1/hooks', {
      method: 'POST',
      headers: bearer(admin, { 'content-type': 'application/json' }),
      body: JSON.stringify({ name: 'ok', namespace: 'examples', target: { kind: 'event' } }),
    });
    expect(body.status).toBe(422);
    expect((await body.json()).errors[0].pointer).toBe('/target/type');
  });
});
