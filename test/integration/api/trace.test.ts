/** W3C Trace Context: a start request's traceparent is continued by the instance's HTTP calls. */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { loadConfig } from '../../../src/config.ts';
import { createLogger } from '../../../src/log.ts';
import { Runner } from '../../../src/runner/index.ts';
import { useTestDatabase } from '../../support/db.ts';
import { startStub, type Stub } from '../../support/stub-server.ts';
import { bearer, buildApp, mintKey } from './_app.ts';

const db = useTestDatabase();
let stub: Stub;
beforeAll(async () => {
  stub = await startStub();
});
afterAll(() => stub.close());

test('the trace id of the start request reaches every call, each with its own span id', async () => {
  const app = buildApp(db.current.sql);
  const admin = await mintKey(db.current.sql, 'admin');
  const doc = `document: { dsl: 1.0.0, namespace: trace, name: two-calls, version: 1.0.0 }
do:
  - a: { call: http, with: { method: get, endpoint: '${stub.url}/a' } }
  - b: { call: http, with: { method: get, endpoint: '${stub.url}/b' } }
`;
  expect((await app.request('/v1/workflows', { method: 'POST', headers: bearer(admin, { 'content-type': 'application/yaml' }), body: doc })).status).toBe(201);
  const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
  const started = await app.request('/v1/workflows/trace/two-calls/instances', { method: 'POST', headers: bearer(admin, { traceparent }), body: '{}' });
  expect(started.status).toBe(202);
  // A malformed traceparent is ignored, not continued.
  await app.request('/v1/workflows/trace/two-calls/instances', { method: 'POST', headers: bearer(admin, { traceparent: 'garbage' }), body: '{}' });
  const runner = new Runner({ sql: db.current.sql, log: createLogger('silent'), runner: loadConfig({}).runner, http: { allowPrivate: true } });
  const before = stub.requests.length;
  await runner.drain();
  const headers = stub.requests.slice(before);
  expect(headers).toHaveLength(4);
  const traced = await db.current.sql<{ n: number }>`SELECT count(*)::int AS n FROM weir.instances WHERE correlation->>'traceparent' = ${traceparent}`;
  expect(traced[0].n).toBe(1);
  const parents = stub.traceparents.slice(before);
  const continued = parents.filter((p) => p?.startsWith('00-4bf92f3577b34da6a3ce929d0e0e4736-'));
  expect(continued).toHaveLength(2);
  expect(new Set(continued).size).toBe(2); // new span per call
  expect(continued.every((p) => !p?.includes('00f067aa0ba902b7') && p?.endsWith('-01'))).toBe(true);
  expect(parents.filter((p) => p === undefined)).toHaveLength(2); // the untraced instance sends none
});
