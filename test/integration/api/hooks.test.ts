/** Webhooks: management, Standard Webhooks and GitHub-style verification, replay and rotation. */
import { beforeAll, describe, expect, test } from 'vitest';
import { githubSignature, standardSignature } from '../../../src/api/webhooks.ts';
import { useTestDatabase } from '../../support/db.ts';
import { bearer, buildApp, helloYaml, mintKey } from './_app.ts';

const db = useTestDatabase();
let admin: string;
let app: ReturnType<typeof buildApp>;
const enc = new TextEncoder();

beforeAll(async () => {
  app = buildApp(db.current.sql);
  admin = await mintKey(db.current.sql, 'admin');
  await app.request('/v1/workflows', { method: 'POST', headers: bearer(admin, { 'content-type': 'application/yaml' }), body: helloYaml });
});

const createHook = async (body: unknown) => {
  const res = await app.request('/v1/hooks', { method: 'POST', headers: bearer(admin, { 'content-type': 'application/json' }), body: JSON.stringify(body) });
  return { res, body: await res.json() };
};

async function dbNow(): Promise<number> {
  const [r] = await db.current.sql<{ s: number }>`SELECT floor(EXTRACT(EPOCH FROM weir.now()))::int AS s`;
  return Number(r.s);
}

async function deliver(name: string, secret: string, payload: string, opts: { id?: string; ts?: number; tamper?: boolean } = {}) {
  const id = opts.id ?? `msg_${Math.random().toString(36).slice(2)}`;
  const ts = opts.ts ?? (await dbNow());
  const sig = await standardSignature(secret, id, ts, enc.encode(opts.tamper ? payload + ' ' : payload));
  return app.request(`/v1/hooks/${name}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': `v1,bogus ${sig}` },
    body: payload,
  });
}

const instanceCount = async () => Number((await db.current.sql<{ n: number }>`SELECT count(*)::int AS n FROM weir.instances`)[0].n);

describe('webhooks', () => {
  let secret: string;

  test('create returns the secret once (encrypted at rest); list shows no secret', async () => {
    const { res, body } = await createHook({ name: 'orders', namespace: 'examples', target: { kind: 'start', workflow: { name: 'hello' } } });
    expect(res.status).toBe(201);
    expect(body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    secret = body.secret;
    const [row] = await db.current.sql<{ secret: string }>`SELECT secret FROM weir.hooks WHERE name = 'orders'`;
    expect(row.secret).not.toContain(secret.slice(6, 20));
    expect(row.secret).toMatch(/^v1\./);
    const list = await (await app.request('/v1/hooks', { headers: bearer(admin) })).json();
    expect(list.items).toEqual([expect.objectContaining({ name: 'orders', verifier: 'standard' })]);
    expect(JSON.stringify(list)).not.toContain('whsec_');
    expect((await createHook({ name: 'orders', namespace: 'examples', target: { kind: 'event', type: 't' } })).res.status).toBe(409);
    expect((await createHook({ name: 'bad name!', namespace: 'examples', target: { kind: 'nope' } })).res.status).toBe(422);
  });

  test('a signed delivery starts the workflow with the body as input', async () => {
    const before = await instanceCount();
    const res = await deliver('orders', secret, JSON.stringify({ name: 'hook' }));
    expect(res.status).toBe(202);
    const body = await res.json();
    expect(body.instance).toMatchObject({ status: 'pending', input: { name: 'hook' }, workflow: { name: 'hello' } });
    expect(await instanceCount()).toBe(before + 1);
  });

  test('wrong or missing signature is 401 and starts nothing', async () => {
    const before = await instanceCount();
    expect((await deliver('orders', secret, '{}', { tamper: true })).status).toBe(401);
    expect((await deliver('orders', 'whsec_' + btoa('x'.repeat(32)), '{}')).status).toBe(401);
    const none = await app.request('/v1/hooks/orders', { method: 'POST', body: '{}' });
    expect(none.status).toBe(401);
    expect(await instanceCount()).toBe(before);
  });

  test('a timestamp outside the 5-minute tolerance is 401', async () => {
    const res = await deliver('orders', secret, '{}', { ts: (await dbNow()) - 301 });
    expect(res.status).toBe(401);
    expect((await res.json()).detail).toMatch(/300s/);
    expect((await deliver('orders', secret, '{}', { ts: (await dbNow()) + 400 })).status).toBe(401);
  });

  test('a replayed webhook-id is refused and starts nothing', async () => {
    expect((await deliver('orders', secret, '{"a":1}', { id: 'msg_once' })).status).toBe(202);
    const before = await instanceCount();
    const again = await deliver('orders', secret, '{"a":1}', { id: 'msg_once' });
    expect(again.status).toBe(409);
    expect(await instanceCount()).toBe(before);
  });

  test('rotation: the new secret works, the old one during the grace period only', async () => {
    const res = await app.request('/v1/hooks/orders/rotate', { method: 'POST', headers: bearer(admin) });
    expect(res.status).toBe(200);
    const { secret: fresh } = await res.json();
    expect((await deliver('orders', fresh, '{}')).status).toBe(202);
    expect((await deliver('orders', secret, '{}')).status).toBe(202);
    await db.current.sql`UPDATE weir.hooks SET previous_expires_at = weir.now() - interval '1 second' WHERE name = 'orders'`;
    expect((await deliver('orders', secret, '{}')).status).toBe(401);
    expect((await deliver('orders', fresh, '{}')).status).toBe(202);
    secret = fresh;
  });

  test('GitHub-style X-Hub-Signature-256 publishes the body as a CloudEvent', async () => {
    const { body } = await createHook({ name: 'gh', namespace: 'examples', target: { kind: 'event', type: 'com.github.push' }, verifier: 'github' });
    const payload = JSON.stringify({ ref: 'refs/heads/main' });
    const sig = await githubSignature(body.secret, enc.encode(payload));
    const ok = await app.request('/v1/hooks/gh', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': sig, 'x-github-delivery': 'd-1' },
      body: payload,
    });
    expect(ok.status).toBe(202);
    const [ev] = await db.current.sql<{ type: string; source: string; data: unknown }>`SELECT type, source, data FROM weir.events WHERE id = 'd-1'`;
    expect(ev).toEqual({ type: 'com.github.push', source: '/v1/hooks/gh', data: { ref: 'refs/heads/main' } });
    const bad = await app.request('/v1/hooks/gh', { method: 'POST', headers: { 'x-hub-signature-256': 'sha256=00' }, body: payload });
    expect(bad.status).toBe(401);
  });

  test('management needs admin in the namespace; unknown hook is 404; delete', async () => {
    const writer = await mintKey(db.current.sql, 'write');
    expect((await app.request('/v1/hooks/orders/rotate', { method: 'POST', headers: bearer(writer) })).status).toBe(403);
    expect((await app.request('/v1/hooks/nope', { method: 'POST', body: '{}' })).status).toBe(404);
    expect((await app.request('/v1/hooks/gh', { method: 'DELETE', headers: bearer(admin) })).status).toBe(204);
    expect((await app.request('/v1/hooks/gh', { method: 'DELETE', headers: bearer(admin) })).status).toBe(404);
  });

  test('deliveries have a rate limit per hook (429 with Retry-After), checked before the signature', async () => {
    const limited = buildApp(db.current.sql, { api: { rateLimitPerSecond: 1, rateLimitBurst: 1 } });
    const send = () => limited.request('/v1/hooks/orders', { method: 'POST', body: '{}' });
    expect((await send()).status).toBe(401);
    const res = await send();
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('1');
  });

  test('without an encryption key, creating a hook is 503 naming the setting', async () => {
    const bare = buildApp(db.current.sql, { api: { encryptionKey: undefined } });
    const res = await bare.request('/v1/hooks', {
      method: 'POST',
      headers: bearer(admin, { 'content-type': 'application/json' }),
      body: JSON.stringify({ name: 'x', namespace: 'examples', target: { kind: 'event', type: 't' } }),
    });
    expect(res.status).toBe(503);
    expect((await res.json()).detail).toMatch(/WEIR_ENCRYPTION_KEY/);
  });
});
