/**
 * The edge entry and its bounded drain: `POST /v1/admin/drain` through `createEdgeHandler` (the
 * handler Deno Deploy / Cloudflare-style runtimes and Supabase take as-is) on the file's Postgres.
 * Authenticated (admin over every namespace), bounded by count and by time, validated, and safe
 * under concurrent calls: two drains at once never process one message twice.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { newApiKey } from '../../src/api/auth.ts';
import { createEdgeHandler, type EdgeHandler } from '../../src/runtime/edge.ts';
import { insertApiKey, type Role } from '../../src/store/queries/keys.ts';
import { useTestDatabase } from '../support/db.ts';
import { startStub, type Stub } from '../support/stub-server.ts';

const db = useTestDatabase();
const ADMIN = 'edge-drain-admin-key-0123456789';
let stub: Stub;
let edge: EdgeHandler;
let slowEdge: EdgeHandler;

const env = (extra: Record<string, string> = {}) => ({
  DATABASE_URL: db.current.url,
  WEIR_ADMIN_KEY: ADMIN,
  WEIR_HTTP_ALLOW_PRIVATE: 'true',
  WEIR_DB_POOL_MAX: '4',
  WEIR_LOG_LEVEL: 'silent',
  WEIR_QUEUES: '*',
  ...extra,
});

async function mintKey(role: Role): Promise<string> {
  const k = await newApiKey();
  await insertApiKey(db.current.sql, { hash: k.hash, prefix: k.prefix, namespaces: ['*'], role });
  return k.key;
}

async function api(h: EdgeHandler, method: string, path: string, body?: unknown, key = ADMIN, contentType = 'application/json') {
  const res = await h.fetch(
    new Request(`https://weir.example${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': contentType }) },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    }),
  );
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const drain = (h: EdgeHandler, body?: unknown, key = ADMIN) => api(h, 'POST', '/v1/admin/drain', body, key);

async function startMany(h: EdgeHandler, name: string, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await api(h, 'POST', `/v1/workflows/edge/${name}/instances`, { i });
    expect(r.status).toBe(202);
    ids.push(r.body.id as string);
  }
  return ids;
}

const workflow = (name: string, path: string) => `document: { dsl: '1.0.0', namespace: edge, name: ${name}, version: '1.0.0' }
do:
  - fetch: { call: http, with: { method: get, endpoint: '${stub.url}${path}' } }
`;

beforeAll(async () => {
  stub = await startStub((r) => (r.path === '/slow' ? { delayMs: 150, body: { slow: true } } : { body: { ok: true } }));
  edge = createEdgeHandler({ env: env() });
  // One message per sweep: the time cap can stop a drain between messages.
  slowEdge = createEdgeHandler({ env: env({ WEIR_BATCH_SIZE: '1' }) });
  for (const [name, path] of [['fast', '/fast'], ['slow', '/slow']]) {
    const r = await api(edge, 'POST', '/v1/workflows', workflow(name, path), ADMIN, 'application/yaml');
    expect(r.status).toBe(201);
  }
});

afterAll(async () => {
  await edge?.close();
  await slowEdge?.close();
  await stub?.close();
});

describe('POST /v1/admin/drain', () => {
  test('needs an admin key: 401 without one, 403 for a write key', async () => {
    const res = await edge.fetch(new Request('https://weir.example/v1/admin/drain', { method: 'POST' }));
    expect(res.status).toBe(401);
    expect((await drain(edge, {}, await mintKey('write'))).status).toBe(403);
    expect((await drain(edge, {}, await mintKey('admin'))).status).toBe(200);
  });

  test('caps are validated: above the upper bounds, zero, or unknown fields are 422 with a pointer', async () => {
    for (const body of [{ maxMessages: 1_000_000 }, { maxMillis: 3_600_000 }, { maxMessages: 0 }, { batch: 5 }]) {
      const r = await drain(edge, body);
      expect(r.status, JSON.stringify(body)).toBe(422);
      expect(JSON.stringify(r.body.errors)).toMatch(/"pointer":"\//);
    }
  });

  test('bounded by count: maxMessages 2 processes exactly 2 of 5, the rest on the next call', async () => {
    await startMany(edge, 'fast', 5);
    const first = await drain(edge, { maxMessages: 2, maxMillis: 30_000 });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ messages: 2, done: 2, stoppedBy: 'maxMessages' });
    const rest = await drain(edge, { maxMessages: 100 });
    expect(rest.body).toMatchObject({ messages: 3, done: 3, stoppedBy: 'idle' });
    // Nothing left: a further call (a repeated cron tick) does nothing.
    expect((await drain(edge)).body).toMatchObject({ messages: 0, stoppedBy: 'idle' });
  });

  test('bounded by time: a 200 ms cap stops a drain of 150 ms messages after a few of them', async () => {
    await startMany(edge, 'slow', 8);
    const r = await drain(slowEdge, { maxMessages: 100, maxMillis: 200 });
    expect(r.status).toBe(200);
    expect(r.body.stoppedBy).toBe('maxMillis');
    expect(r.body.messages as number).toBeGreaterThanOrEqual(1);
    expect(r.body.messages as number).toBeLessThan(8);
    // Checked between sweeps of one message: it stops about one message past the cap — far short of
    // the 8 × 150 ms that draining everything takes (loose, for a loaded 2-core machine).
    expect(r.body.ms as number).toBeLessThan(3_000);
    const rest = await drain(edge, { maxMessages: 100, maxMillis: 30_000 });
    expect((r.body.messages as number) + (rest.body.messages as number)).toBe(8);
  });

  test('two concurrent drains never process one message twice', async () => {
    const before = stub.requests.filter((r) => r.path === '/fast').length;
    const ids = await startMany(edge, 'fast', 20);
    const other = createEdgeHandler({ env: env({ WEIR_BATCH_SIZE: '4' }) });
    try {
      const [a, b] = await Promise.all([drain(edge, { maxMessages: 100 }), drain(other, { maxMessages: 100 })]);
      expect(a.status).toBe(200);
      expect(b.status).toBe(200);
      expect((a.body.messages as number) + (b.body.messages as number)).toBe(20);
      expect((a.body.done as number) + (b.body.done as number)).toBe(20);
    } finally {
      await other.close();
    }
    const calls = stub.requests.filter((r) => r.path === '/fast').slice(before);
    expect(calls).toHaveLength(20);
    expect(new Set(calls.map((c) => c.idempotencyKey)).size).toBe(20);
    for (const id of ids) expect((await api(edge, 'GET', `/v1/instances/${id}`)).body.status).toBe('completed');
  });
});

test('Supabase-style handler: the function-name prefix is stripped', async () => {
  const h = createEdgeHandler({ env: env(), basePath: '/weir' });
  try {
    const res = await h.fetch(new Request('https://x.supabase.co/weir/health/live'));
    expect(res.status).toBe(200);
    expect((await h.fetch(new Request('https://x.supabase.co/weir/v1/admin/drain', { method: 'POST' }))).status).toBe(401);
  } finally {
    await h.close();
  }
});

test('the edge entry refuses to start without DATABASE_URL (no disk for the embedded database)', async () => {
  const h = createEdgeHandler({ env: { WEIR_LOG_LEVEL: 'silent' } });
  await expect(h.fetch(new Request('https://weir.example/health/live'))).rejects.toThrow(/DATABASE_URL/);
});
