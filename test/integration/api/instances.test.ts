/** Starting and reading instances through app.request() on real Postgres. */
import { beforeAll, describe, expect, test } from 'vitest';
import { pgmq } from '../../../src/store/queries/pgmq.ts';
import { useTestDatabase } from '../../support/db.ts';
import { bearer, buildApp, helloYaml, mintKey } from './_app.ts';

const db = useTestDatabase();
let admin: string;
let app: ReturnType<typeof buildApp>;

beforeAll(async () => {
  app = buildApp(db.current.sql, { api: { maxInputBytes: 1024, pageSizeMax: 10 } });
  admin = await mintKey(db.current.sql, 'admin');
  const reg = (yaml: string) => app.request('/v1/workflows', { method: 'POST', headers: bearer(admin, { 'content-type': 'application/yaml' }), body: yaml });
  expect((await reg(helloYaml)).status).toBe(201);
  expect((await reg(helloYaml.replace('version: 1.0.0', 'version: 1.10.0'))).status).toBe(201);
  expect((await reg(helloYaml.replace('version: 1.0.0', 'version: 1.9.0'))).status).toBe(201);
});

const start = (body: unknown, query = '', headers: Record<string, string> = {}, key = admin) =>
  app.request(`/v1/workflows/examples/hello/instances${query}`, {
    method: 'POST',
    headers: bearer(key, { 'content-type': 'application/json', ...headers }),
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

describe('POST /v1/workflows/{namespace}/{name}/instances', () => {
  test('202 with the pending instance and Location; the row and its start message are written', async () => {
    const res = await start({ name: 'Ada' });
    expect(res.status).toBe(202);
    const body = await res.json();
    expect(res.headers.get('location')).toBe(`/v1/instances/${body.id}`);
    expect(body).toMatchObject({ namespace: 'examples', workflow: { name: 'hello', version: '1.10.0' }, status: 'pending', input: { name: 'Ada' } });
    const messages = await pgmq.read<{ instance: string; kind: string }>(db.current.sql, 'weir_default', 0, 100);
    expect(messages.map((m) => m.message)).toContainEqual(expect.objectContaining({ instance: body.id, kind: 'start' }));
  });

  test('?version= picks a version; an unknown version is 404 naming the latest; an unknown workflow is 404', async () => {
    expect((await (await start({}, '?version=1.0.0')).json()).workflow.version).toBe('1.0.0');
    const wrong = await start({}, '?version=7.0.0');
    expect(wrong.status).toBe(404);
    expect((await wrong.json()).detail).toMatch(/no version 7\.0\.0 .*latest is 1\.10\.0/);
    const unknown = await app.request('/v1/workflows/examples/nope/instances', { method: 'POST', headers: bearer(admin), body: '{}' });
    expect(unknown.status).toBe(404);
  });

  test('an empty body starts with {}; bad JSON is 400; input over the cap is 413', async () => {
    const empty = await app.request('/v1/workflows/examples/hello/instances', { method: 'POST', headers: bearer(admin) });
    expect(empty.status).toBe(202);
    expect((await empty.json()).input).toEqual({});
    const bad = await start('{"name": ');
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toBe('application/problem+json');
    const big = await start({ blob: 'x'.repeat(2000) });
    expect(big.status).toBe(413);
  });

  test('?wait= beyond the cap is 422; a short wait on a pending instance answers 202 with its state', async () => {
    expect((await start({}, '?wait=3600')).status).toBe(422);
    const t0 = Date.now();
    const res = await start({}, '?wait=0.3');
    expect(res.status).toBe(202);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    expect((await res.json()).status).toBe('pending');
  });

  test('?wait= answers 200 with the output as soon as the row ends', async () => {
    const pending = await (await start({ name: 'Grace' })).json();
    const waiting = start({ name: 'Grace' }, '?wait=5', { 'idempotency-key': `wait-${pending.id}` });
    // Stand in for the runner (another process): end the newest instance after a moment.
    await new Promise((r) => setTimeout(r, 200));
    await db.current.sql`
      UPDATE weir.instances SET status = 'completed', output = '{"greeting":"Hello, Grace!"}'::jsonb, ended_at = weir.now()
      WHERE idempotency_key = ${`wait-${pending.id}`}`;
    const res = await waiting;
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'completed', output: { greeting: 'Hello, Grace!' } });
  });

  test('a read key cannot start (403); a key for another namespace cannot either', async () => {
    expect((await start({}, '', {}, await mintKey(db.current.sql, 'read'))).status).toBe(403);
    expect((await start({}, '', {}, await mintKey(db.current.sql, 'write', ['other']))).status).toBe(403);
  });
});

describe('GET /v1/instances…', () => {
  test('one instance; unknown or malformed id is 404; another namespace is 403', async () => {
    const { id } = await (await start({ n: 1 })).json();
    const res = await app.request(`/v1/instances/${id}`, { headers: bearer(admin) });
    expect(res.status).toBe(200);
    expect((await res.json()).id).toBe(id);
    expect((await app.request('/v1/instances/0190c1c0-0000-7000-8000-000000000000', { headers: bearer(admin) })).status).toBe(404);
    expect((await app.request('/v1/instances/not-a-uuid', { headers: bearer(admin) })).status).toBe(404);
    const other = await mintKey(db.current.sql, 'read', ['other']);
    expect((await app.request(`/v1/instances/${id}`, { headers: bearer(other) })).status).toBe(403);
  });

  test('lists newest first with filters and cursor pagination, bounded page size', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await (await start({ i }, '?version=1.9.0')).json()).id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await app.request(`/v1/instances?workflow=hello&status=pending&limit=2${cursor ? `&cursor=${cursor}` : ''}`, { headers: bearer(admin) });
      expect(res.status).toBe(200);
      const body: { items: { id: string; workflow: { version: string } }[]; next: string | null } = await res.json();
      seen.push(...body.items.filter((i) => i.workflow.version === '1.9.0').map((i) => i.id));
      cursor = body.next;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
    expect((await app.request('/v1/instances?limit=11', { headers: bearer(admin) })).status).toBe(422);
    expect((await app.request('/v1/instances?status=bogus', { headers: bearer(admin) })).status).toBe(422);
    const future = await app.request(`/v1/instances?createdAfter=${encodeURIComponent('2999-01-01T00:00:00Z')}`, { headers: bearer(admin) });
    expect((await future.json()).items).toEqual([]);
    const completed = await (await app.request('/v1/instances?status=completed', { headers: bearer(admin) })).json();
    expect(completed.items.every((i: { status: string }) => i.status === 'completed')).toBe(true);
    const other = await mintKey(db.current.sql, 'read', ['other']);
    expect((await (await app.request('/v1/instances', { headers: bearer(other) })).json()).items).toEqual([]);
  });

  test('history, oldest first, paged', async () => {
    const { id } = await (await start({})).json();
    await db.current.sql`
      INSERT INTO weir.history (instance_id, seq, kind, task_ref, data)
      SELECT ${id}::uuid, s, 'task.completed', '/do/0/greet', jsonb_build_object('n', s) FROM generate_series(1, 3) s`;
    const first = await (await app.request(`/v1/instances/${id}/history?limit=2`, { headers: bearer(admin) })).json();
    expect(first.items.map((h: { seq: number }) => h.seq)).toEqual([1, 2]);
    const second = await (await app.request(`/v1/instances/${id}/history?limit=2&cursor=${first.next}`, { headers: bearer(admin) })).json();
    expect(second.items.map((h: { seq: number }) => h.seq)).toEqual([3]);
    expect(second.next).toBeNull();
    expect((await app.request('/v1/instances/0190c1c0-0000-7000-8000-000000000000/history', { headers: bearer(admin) })).status).toBe(404);
  });
});
