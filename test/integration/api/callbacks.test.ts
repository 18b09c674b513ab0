/**
 * Completion callbacks: POSTed signed (Standard Webhooks) when the instance ends, retried with
 * back-off on the database clock, refused at start when the server cannot sign them.
 */
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import { loadConfig } from '../../../src/config.ts';
import { createLogger } from '../../../src/log.ts';
import { Runner } from '../../../src/runner/index.ts';
import { standardSignature } from '../../../src/signatures.ts';
import { useTestDatabase } from '../../support/db.ts';
import { startStub, type Stub } from '../../support/stub-server.ts';
import { bearer, buildApp, mintKey } from './_app.ts';

const SECRET = `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`;
const db = useTestDatabase();
let stub: Stub;
let failNext = 0;
beforeAll(async () => {
  stub = await startStub(() => {
    if (failNext > 0) {
      failNext--;
      return { status: 500 };
    }
    return { body: { thanks: true } };
  });
});
afterAll(() => stub.close());
afterEach(async () => {
  await db.current.sql`SELECT weir.reset_clock()`;
});

const env = { DATABASE_URL: 'postgres://unused@127.0.0.1/unused', WEIR_CALLBACK_SECRET: SECRET };

async function setup() {
  const app = buildApp(db.current.sql, { env });
  const admin = await mintKey(db.current.sql, 'admin');
  const doc = `document: { dsl: 1.0.0, namespace: cb, name: quick, version: 1.0.0 }
do:
  - t: { set: { answer: 42 } }
`;
  await app.request('/v1/workflows', { method: 'POST', headers: bearer(admin, { 'content-type': 'application/yaml' }), body: doc });
  const runner = new Runner({ sql: db.current.sql, log: createLogger('silent'), runner: loadConfig(env).runner, http: { allowPrivate: true }, callbackSecret: SECRET });
  return { app, admin, runner };
}

test('the outcome is POSTed once, signed, when the instance ends', async () => {
  const { app, admin, runner } = await setup();
  const res = await app.request('/v1/workflows/cb/quick/instances', { method: 'POST', headers: bearer(admin, { 'weir-callback-url': `${stub.url}/hook` }), body: '{}' });
  expect(res.status).toBe(202);
  const { id } = await res.json();
  const before = stub.requests.length;
  await runner.drain();
  const calls = stub.requests.slice(before);
  expect(calls).toHaveLength(1);
  expect(calls[0]).toMatchObject({ method: 'POST', path: '/hook' });
  const body = JSON.parse(calls[0].body);
  expect(body).toMatchObject({ type: 'weir.instance.ended', instance: { id, status: 'completed', output: { answer: 42 } } });
  const h = stub.headers[stub.headers.length - 1];
  expect(h['webhook-id']).toBe(`${id}:callback`);
  expect(h['webhook-signature']).toBe(await standardSignature(SECRET, h['webhook-id'], h['webhook-timestamp'], new TextEncoder().encode(calls[0].body)));
  const history = await (await app.request(`/v1/instances/${id}/history`, { headers: bearer(admin) })).json();
  expect(history.items.map((e: { kind: string }) => e.kind)).toContain('callbackDelivered');
});

test('a failing receiver is retried with back-off on the database clock', async () => {
  const { app, admin, runner } = await setup();
  await db.current.sql`SELECT weir.set_fake_now(now())`;
  failNext = 2;
  const { id } = await (await app.request('/v1/workflows/cb/quick/instances', { method: 'POST', headers: bearer(admin, { 'weir-callback-url': `${stub.url}/flaky` }), body: '{}' })).json();
  const before = stub.requests.length;
  await runner.drain();
  expect(stub.requests.length - before).toBe(1); // first attempt failed
  await db.current.sql`SELECT weir.advance_clock('4 seconds')`;
  await runner.drain();
  expect(stub.requests.length - before).toBe(1); // not before 5 s
  await db.current.sql`SELECT weir.advance_clock('2 seconds')`;
  await runner.drain();
  expect(stub.requests.length - before).toBe(2); // second failed: next in 10 s
  await db.current.sql`SELECT weir.advance_clock('11 seconds')`;
  await runner.drain();
  expect(stub.requests.length - before).toBe(3);
  const kinds = (await (await app.request(`/v1/instances/${id}/history`, { headers: bearer(admin) })).json()).items.map((e: { kind: string }) => e.kind);
  expect(kinds.filter((k: string) => k === 'callbackRetried')).toHaveLength(2);
  expect(kinds).toContain('callbackDelivered');
});

test('without WEIR_CALLBACK_SECRET a callback URL is refused; a bad URL is refused', async () => {
  const unsigned = buildApp(db.current.sql);
  const admin = await mintKey(db.current.sql, 'admin');
  const r1 = await unsigned.request('/v1/workflows/cb/quick/instances', { method: 'POST', headers: bearer(admin, { 'weir-callback-url': `${stub.url}/x` }), body: '{}' });
  expect(r1.status).toBe(422);
  expect((await r1.json()).errors[0].pointer).toBe('/headers/weir-callback-url');
  const { app } = await setup();
  const r2 = await app.request('/v1/workflows/cb/quick/instances', { method: 'POST', headers: bearer(admin, { 'weir-callback-url': 'ftp://nope' }), body: '{}' });
  expect(r2.status).toBe(422);
});
