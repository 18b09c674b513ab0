/**
 * The API on the embedded database (PGlite, what `weir dev` runs): the same SQL must work on both
 * drivers. Auth is on here (a Postgres config) so the key, rate-limit and idempotency SQL run too.
 */
import { beforeAll, expect, test } from 'vitest';
import { githubSignature } from '../../../src/api/webhooks.ts';
import { useDriver } from '../../support/drivers.ts';
import { bearer, buildApp, helloYaml, mintKey } from './_app.ts';

const driver = useDriver('pglite');
let app: ReturnType<typeof buildApp>;
let admin: string;

beforeAll(async () => {
  app = buildApp(driver.sql, { api: { rateLimitPerSecond: 1000, rateLimitBurst: 1000 } });
  admin = await mintKey(driver.sql, 'admin');
});

test('register, start with an Idempotency-Key, replay, read, list, history, metrics', async () => {
  const reg = await app.request('/v1/workflows', { method: 'POST', headers: bearer(admin, { 'content-type': 'application/yaml' }), body: helloYaml });
  expect(reg.status).toBe(201);
  const start = () =>
    app.request('/v1/workflows/examples/hello/instances', { method: 'POST', headers: bearer(admin, { 'idempotency-key': 'p-1' }), body: '{"name":"Ada"}' });
  const first = await start();
  expect(first.status).toBe(202);
  const { id } = await first.json();
  const again = await start();
  expect(again.headers.get('idempotent-replayed')).toBe('true');
  expect((await again.json()).id).toBe(id);
  expect((await (await app.request(`/v1/instances/${id}`, { headers: bearer(admin) })).json()).status).toBe('pending');
  expect((await (await app.request('/v1/instances?status=pending', { headers: bearer(admin) })).json()).items).toHaveLength(1);
  expect((await (await app.request('/v1/workflows', { headers: bearer(admin) })).json()).items).toHaveLength(1);
  expect((await app.request(`/v1/instances/${id}/history`, { headers: bearer(admin) })).status).toBe(200);
  const metrics = await (await app.request('/metrics', { headers: bearer(admin) })).text();
  expect(metrics).toMatch(/weir_queue_depth\{queue="weir_default"\} 1/);
});

test('events and a GitHub-style hook delivery', async () => {
  const ev = await app.request('/v1/events', {
    method: 'POST',
    headers: bearer(admin, { 'content-type': 'application/cloudevents-batch+json' }),
    body: JSON.stringify([{ specversion: '1.0', id: '1', source: '/s', type: 't', time: '2026-01-01T00:00:00Z' }]),
  });
  expect(await ev.json()).toEqual({ accepted: 1, duplicates: 0 });
  const created = await app.request('/v1/hooks', {
    method: 'POST',
    headers: bearer(admin, { 'content-type': 'application/json' }),
    body: JSON.stringify({ name: 'gh', namespace: 'examples', target: { kind: 'start', workflow: { name: 'hello' } }, verifier: 'github' }),
  });
  const { secret } = await created.json();
  const body = '{"name":"gh"}';
  const res = await app.request('/v1/hooks/gh', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-hub-signature-256': await githubSignature(secret, new TextEncoder().encode(body)), 'x-github-delivery': 'd1' },
    body,
  });
  expect(res.status).toBe(202);
  const rotated = await app.request('/v1/hooks/gh/rotate', { method: 'POST', headers: bearer(admin) });
  expect(rotated.status).toBe(200);
});
