/**
 * The README's HTTP API walkthrough, request for request, against a real listening server
 * (@hono/node-server on 127.0.0.1, port 0), with a key from `weir keys create`. The `?wait` start
 * completes because the runner's drain() runs beside it, as a worker process would.
 */
import { readFileSync } from 'node:fs';
import { serve, type ServerType } from '@hono/node-server';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { keysCommand } from '../../../src/cli/keys.ts';
import { loadConfig } from '../../../src/config.ts';
import { createLogger } from '../../../src/log.ts';
import { Runner } from '../../../src/runner/index.ts';
import { useTestDatabase } from '../../support/db.ts';
import { buildApp } from './_app.ts';

const db = useTestDatabase();
const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
const hello = readFileSync(new URL('../../../examples/hello.yaml', import.meta.url), 'utf8');
let server: ServerType;
let API: string;
let AUTH: Record<string, string>;

beforeAll(async () => {
  let key = '';
  await keysCommand(['create', '--namespace', '*', '--role', 'admin'], { sql: db.current.sql, stdout: (s) => void (key += s), stderr: () => {} });
  AUTH = { Authorization: `Bearer ${key.trim()}` };
  const app = buildApp(db.current.sql);
  await new Promise<void>((resolve) => {
    server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
      API = `http://127.0.0.1:${info.port}`;
      resolve();
    });
  });
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

test('the README shows these requests', () => {
  for (const line of [
    'curl -sS -X POST $API/v1/workflows -H "$AUTH" -H \'Content-Type: application/yaml\' --data-binary @examples/hello.yaml',
    'ID=$(curl -sS -X POST $API/v1/workflows/examples/hello/instances -H "$AUTH" \\',
    "-H 'Content-Type: application/json' -H 'Idempotency-Key: hello-ada-1' -d '{\"name\":\"Ada\"}' | jq -r .id)",
    'curl -sS $API/v1/instances/$ID -H "$AUTH"',
    'curl -sS $API/v1/instances/$ID/history -H "$AUTH"',
    'curl -sS -X POST "$API/v1/workflows/examples/hello/instances?wait=10" -H "$AUTH" \\',
    "-H 'Content-Type: application/json' -d '{\"name\":\"Grace\"}'",
  ]) {
    expect(readme).toContain(line);
  }
});

test('register, start (idempotently), read, history, and start-and-wait over real HTTP', async () => {
  const registered = await fetch(`${API}/v1/workflows`, { method: 'POST', headers: { ...AUTH, 'Content-Type': 'application/yaml' }, body: hello });
  expect(registered.status).toBe(201);
  expect(await registered.json()).toMatchObject({ namespace: 'examples', name: 'hello', version: '1.0.0' });
  const again = await fetch(`${API}/v1/workflows`, { method: 'POST', headers: { ...AUTH, 'Content-Type': 'application/yaml' }, body: hello });
  expect(again.status).toBe(200);

  const startAda = () =>
    fetch(`${API}/v1/workflows/examples/hello/instances`, {
      method: 'POST',
      headers: { ...AUTH, 'Content-Type': 'application/json', 'Idempotency-Key': 'hello-ada-1' },
      body: '{"name":"Ada"}',
    });
  const started = await startAda();
  expect(started.status).toBe(202);
  const { id } = await started.json();
  expect(started.headers.get('location')).toBe(`/v1/instances/${id}`);
  expect(started.headers.get('x-request-id')).toBeTruthy();
  expect((await (await startAda()).json()).id).toBe(id);

  const instance = await fetch(`${API}/v1/instances/${id}`, { headers: AUTH });
  expect(instance.status).toBe(200);
  expect(await instance.json()).toMatchObject({ id, status: 'pending', input: { name: 'Ada' }, workflow: { name: 'hello', version: '1.0.0' } });
  const history = await fetch(`${API}/v1/instances/${id}/history`, { headers: AUTH });
  expect(history.status).toBe(200);
  expect((await history.json()).items).toEqual([]);

  // A worker beside the API: drain until the waiting request has its answer.
  const runner = new Runner({ sql: db.current.sql, log: createLogger('silent'), runner: loadConfig({}).runner });
  let answered = false;
  const waited = fetch(`${API}/v1/workflows/examples/hello/instances?wait=10`, {
    method: 'POST',
    headers: { ...AUTH, 'Content-Type': 'application/json' },
    body: '{"name":"Grace"}',
  }).finally(() => (answered = true));
  const deadline = Date.now() + 10_000;
  while (!answered && Date.now() < deadline) {
    await runner.drain({ maxMillis: 500 });
    await new Promise((r) => setTimeout(r, 20));
  }
  const res = await waited;
  const body = await res.json();
  expect(res.status).toBe(200);
  expect(body).toMatchObject({ status: 'completed', output: { greeting: 'Hello, Grace!' } });
  const graceHistory = await (await fetch(`${API}/v1/instances/${body.id}/history`, { headers: AUTH })).json();
  expect(graceHistory.items.length).toBeGreaterThan(0);
  // Ada's instance was drained too.
  expect((await (await fetch(`${API}/v1/instances/${id}`, { headers: AUTH })).json()).status).toBe('completed');
});

test('a body over the cap is refused by the listening server without reading it all', async () => {
  const res = await fetch(`${API}/v1/workflows`, {
    method: 'POST',
    headers: { ...AUTH, 'Content-Type': 'application/yaml' },
    body: 'x'.repeat(2 * 1024 * 1024),
  });
  expect(res.status).toBe(413);
  expect(res.headers.get('content-type')).toBe('application/problem+json');
});
