/** Cancel, suspend and resume through the API, with the runner drained beside it. */
import { beforeAll, expect, test } from 'vitest';
import { loadConfig } from '../../../src/config.ts';
import { createLogger } from '../../../src/log.ts';
import { Runner } from '../../../src/runner/index.ts';
import { useTestDatabase } from '../../support/db.ts';
import { bearer, buildApp, helloYaml, mintKey } from './_app.ts';

const db = useTestDatabase();
let app: ReturnType<typeof buildApp>;
let admin: string;
let runner: Runner;

const listening = `document:
  dsl: 1.0.0
  namespace: examples
  name: waits
  version: 1.0.0
do:
  - waitForIt:
      listen:
        to:
          one:
            with:
              type: never
`;

beforeAll(async () => {
  app = buildApp(db.current.sql);
  admin = await mintKey(db.current.sql, 'admin');
  runner = new Runner({ sql: db.current.sql, log: createLogger('silent'), runner: loadConfig({}).runner });
  for (const doc of [helloYaml, listening]) {
    expect((await app.request('/v1/workflows', { method: 'POST', headers: bearer(admin, { 'content-type': 'application/yaml' }), body: doc })).status).toBe(201);
  }
});

const start = async (name: string) => (await (await app.request(`/v1/workflows/examples/${name}/instances`, { method: 'POST', headers: bearer(admin), body: '{}' })).json()).id as string;
const act = (id: string, verb: string, key = admin, body?: string) => app.request(`/v1/instances/${id}/${verb}`, { method: 'POST', headers: bearer(key), body });
const status = async (id: string) => (await (await app.request(`/v1/instances/${id}`, { headers: bearer(admin) })).json()).status;

test('cancelling an instance that has not started ends it at once (200), with the reason', async () => {
  const id = await start('hello');
  const res = await act(id, 'cancel', admin, JSON.stringify({ reason: 'changed my mind' }));
  expect(res.status).toBe(200);
  const body = await res.json();
  expect(body.status).toBe('cancelled');
  expect(body.error.detail).toBe('changed my mind');
});

test('suspend and resume a waiting instance; cancel it through the runner (202, then cancelled)', async () => {
  const id = await start('waits');
  await runner.drain({ maxMillis: 5000 });
  expect(await status(id)).toBe('waiting');
  const suspended = await act(id, 'suspend');
  expect(suspended.status).toBe(200);
  expect((await suspended.json()).status).toBe('suspended');
  const resumed = await act(id, 'resume');
  expect((await resumed.json()).status).toBe('waiting');
  const cancelled = await act(id, 'cancel');
  expect(cancelled.status).toBe(202);
  await runner.drain({ maxMillis: 5000 });
  expect(await status(id)).toBe('cancelled');
  expect((await act(id, 'cancel')).status).toBe(200);
  expect((await act(id, 'suspend')).status).toBe(409);
  const history = await (await app.request(`/v1/instances/${id}/history`, { headers: bearer(admin) })).json();
  expect(history.items.map((h: { kind: string }) => h.kind)).toEqual(expect.arrayContaining(['workflowSuspended', 'workflowResumed']));
});

test('a read key cannot control (403); an unknown instance is 404; a non-string reason is 422', async () => {
  const id = await start('hello');
  expect((await act(id, 'cancel', await mintKey(db.current.sql, 'read'))).status).toBe(403);
  expect((await act('0190c1c0-0000-7000-8000-000000000000', 'suspend')).status).toBe(404);
  expect((await act(id, 'cancel', admin, '{"reason": 5}')).status).toBe(422);
});
