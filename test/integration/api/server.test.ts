/**
 * Through a real listening server (@hono/node-server, 127.0.0.1, port 0): what depends on real
 * HTTP framing — chunked bodies over the cap, gzip of the docs script, ce-* and webhook headers.
 */
import { serve, type ServerType } from '@hono/node-server';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { standardSignature } from '../../../src/api/webhooks.ts';
import { useTestDatabase } from '../../support/db.ts';
import { bearer, buildApp, helloYaml, mintKey } from './_app.ts';

const db = useTestDatabase();
let server: ServerType;
let API: string;
let admin: string;

beforeAll(async () => {
  admin = await mintKey(db.current.sql, 'admin');
  const app = buildApp(db.current.sql, { api: { maxBodyBytes: 64 * 1024 } });
  await new Promise<void>((resolve) => {
    server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
      API = `http://127.0.0.1:${info.port}`;
      resolve();
    });
  });
  const res = await fetch(`${API}/v1/workflows`, { method: 'POST', headers: bearer(admin, { 'content-type': 'application/yaml' }), body: helloYaml });
  expect(res.status).toBe(201);
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

test('a chunked body (no Content-Length) over the cap is 413 after at most the cap is read', async () => {
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (sent >= 8 * 1024 * 1024) return controller.close();
      sent += 16 * 1024;
      controller.enqueue(new Uint8Array(16 * 1024).fill(32));
    },
  });
  const res = await fetch(`${API}/v1/workflows/examples/hello/instances`, {
    method: 'POST',
    headers: bearer(admin, { 'content-type': 'application/json' }),
    body,
    duplex: 'half',
  } as RequestInit);
  expect(res.status).toBe(413);
  expect((await res.json()).type).toBe('https://weir.dev/problems/payload-too-large');
  expect(sent).toBeLessThan(8 * 1024 * 1024);
});

test('/docs and its script over HTTP, gzip-encoded for a browser that accepts it', async () => {
  const html = await (await fetch(`${API}/docs`)).text();
  const src = /<script src="([^"]+)"/.exec(html)![1];
  const res = await fetch(`${API}${src}`, { headers: { 'accept-encoding': 'gzip' } });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-encoding')).toBe('gzip');
  // fetch inflates transparently: what arrives is the script.
  expect((await res.text()).length).toBeGreaterThan(1_000_000);
});

test('a binary-mode CloudEvent and a Standard Webhooks delivery over HTTP', async () => {
  const ev = await fetch(`${API}/v1/events`, {
    method: 'POST',
    headers: bearer(admin, { 'content-type': 'application/json', 'ce-specversion': '1.0', 'ce-id': 'http-1', 'ce-source': '/t', 'ce-type': 'com.example.t' }),
    body: '{"x":1}',
  });
  expect(ev.status).toBe(202);
  const created = await fetch(`${API}/v1/hooks`, {
    method: 'POST',
    headers: bearer(admin, { 'content-type': 'application/json' }),
    body: JSON.stringify({ name: 'http-hook', namespace: 'examples', target: { kind: 'start', workflow: { name: 'hello' } } }),
  });
  const { secret } = await created.json();
  const body = '{"name":"wire"}';
  const [{ s }] = await db.current.sql<{ s: number }>`SELECT floor(EXTRACT(EPOCH FROM weir.now()))::int AS s`;
  const sig = await standardSignature(secret, 'msg_http_1', s, new TextEncoder().encode(body));
  const headers = { 'content-type': 'application/json', 'webhook-id': 'msg_http_1', 'webhook-timestamp': String(s), 'webhook-signature': sig };
  const delivered = await fetch(`${API}/v1/hooks/http-hook`, { method: 'POST', headers, body });
  expect(delivered.status).toBe(202);
  expect((await delivered.json()).instance.input).toEqual({ name: 'wire' });
  expect((await fetch(`${API}/v1/hooks/http-hook`, { method: 'POST', headers, body })).status).toBe(409);
});
