/** Bulk cancel, rerun, schedules and dead letters through the API, with the runner drained beside it. */
import { beforeAll, expect, test } from 'vitest';
import { loadConfig } from '../../../src/config.ts';
import { createLogger } from '../../../src/log.ts';
import { Runner } from '../../../src/runner/index.ts';
import { pgmq } from '../../../src/store/queries/pgmq.ts';
import { json } from '../../../src/store/sql.ts';
import { useTestDatabase } from '../../support/db.ts';
import { bearer, buildApp, mintKey } from './_app.ts';

const db = useTestDatabase();
let app: ReturnType<typeof buildApp>;
let admin: string;
let reader: string;
let runner: Runner;

const doc = (name: string, body: string, extra = '') => `document:
  dsl: 1.0.0
  namespace: ops
  name: ${name}
  version: 1.0.0
${extra}do:
${body}`;

beforeAll(async () => {
  app = buildApp(db.current.sql);
  admin = await mintKey(db.current.sql, 'admin');
  reader = await mintKey(db.current.sql, 'read');
  runner = new Runner({ sql: db.current.sql, log: createLogger('silent'), runner: loadConfig({ WEIR_MAX_DELIVERIES: '1' }).runner });
  const docs = [
    doc('sleepy', '  - nap:\n      wait: P1D\n'),
    doc('fails', '  - boom:\n      raise:\n        error: { type: https://example.com/boom, status: 500 }\n'),
    doc('nightly', '  - t:\n      set: { ok: true }\n', "schedule:\n  cron: '0 3 * * *'\n"),
  ];
  for (const d of docs) {
    expect((await app.request('/v1/workflows', { method: 'POST', headers: bearer(admin, { 'content-type': 'application/yaml' }), body: d })).status).toBe(201);
  }
});

const start = async (name: string, input = '{}') => (await (await app.request(`/v1/workflows/ops/${name}/instances`, { method: 'POST', headers: bearer(admin), body: input })).json()).id as string;
const post = (path: string, body?: unknown, key = admin) =>
  app.request(path, { method: 'POST', headers: bearer(key, body === undefined ? {} : { 'content-type': 'application/json' }), ...(body === undefined ? {} : { body: JSON.stringify(body) }) });

test('bulk cancel is bounded and says when more match', async () => {
  for (let i = 0; i < 5; i++) await start('sleepy');
  await runner.drain();
  const first = await post('/v1/instances/cancel', { namespace: 'ops', workflow: 'sleepy', limit: 3 });
  expect(first.status).toBe(200);
  expect(await first.json()).toEqual({ cancelled: 3, more: true });
  await runner.drain();
  expect(await (await post('/v1/instances/cancel', { namespace: 'ops', workflow: 'sleepy', limit: 3 })).json()).toEqual({ cancelled: 2, more: false });
  await runner.drain();
  const [{ n }] = await db.current.sql<{ n: number }>`SELECT count(*)::int AS n FROM weir.instances WHERE workflow_name = 'sleepy' AND status = 'cancelled'`;
  expect(n).toBe(5);
  expect((await post('/v1/instances/cancel', { namespace: 'ops', limit: 5000 })).status).toBe(422);
  expect((await post('/v1/instances/cancel', { namespace: 'ops' }, reader)).status).toBe(403);
});

test('rerun starts a new instance with the same input; a running one cannot be rerun', async () => {
  const id = await start('fails', '{"attempt": 1}');
  await runner.drain();
  const res = await post(`/v1/instances/${id}/rerun`);
  expect(res.status).toBe(202);
  const fresh = await res.json();
  expect(fresh.id).not.toBe(id);
  expect(fresh.input).toEqual({ attempt: 1 });
  expect(res.headers.get('location')).toBe(`/v1/instances/${fresh.id}`);
  const running = await start('sleepy');
  expect((await post(`/v1/instances/${running}/rerun`)).status).toBe(409);
});

test('schedules: list, pause, resume', async () => {
  const list = await (await app.request('/v1/schedules', { headers: bearer(reader) })).json();
  expect(list.items).toEqual([expect.objectContaining({ id: 'ops.nightly', kind: 'cron', enabled: true })]);
  const paused = await (await post('/v1/schedules/ops.nightly/pause')).json();
  expect(paused.enabled).toBe(false);
  const resumed = await (await post('/v1/schedules/ops.nightly/resume')).json();
  expect(resumed.enabled).toBe(true);
  expect(resumed.nextRunAt).toMatch(/T03:00:00/);
  expect((await post('/v1/schedules/ops.nope/pause')).status).toBe(404);
});

test('dead letters: listed for admins, requeued with the instance revived', async () => {
  const id = await start('sleepy');
  // Corrupt the state so the activation throws; WEIR_MAX_DELIVERIES=1 sends it to weir_dead on the 2nd read.
  await runner.drain();
  const [{ state: saved }] = await db.current.sql<{ state: unknown }>`SELECT state FROM weir.instances WHERE id = ${id}::uuid`;
  await db.current.sql`UPDATE weir.instances SET state = '{"threads": 42}'::jsonb WHERE id = ${id}::uuid`;
  await pgmq.send(db.current.sql, 'weir_default', { instance: id, kind: 'timer', target: 'x' });
  await runner.drain();
  const rows = await db.current.sql.unsafe<{ msg_id: number }>(`SELECT msg_id FROM pgmq.q_weir_default`);
  for (const r of rows) await pgmq.setVt(db.current.sql, 'weir_default', r.msg_id, 0);
  await runner.drain();
  const list = await app.request('/v1/dead-letters', { headers: bearer(admin) });
  expect(list.status).toBe(200);
  const { items } = await list.json();
  expect(items).toHaveLength(1);
  expect(items[0]).toMatchObject({ queue: 'weir_default', message: { instance: id, kind: 'timer' } });
  expect((await app.request('/v1/dead-letters', { headers: bearer(reader) })).status).toBe(403);
  expect((await (await app.request(`/v1/instances/${id}`, { headers: bearer(admin) })).json()).status).toBe('faulted');
  // Repair the state, then requeue: the instance is waiting again and the stale timer message is dropped.
  await db.current.sql`UPDATE weir.instances SET state = ${json({ ...(saved as object), status: 'faulted' })}::jsonb WHERE id = ${id}::uuid`;
  const rq = await post(`/v1/dead-letters/${items[0].msgId}/requeue`);
  expect(rq.status).toBe(200);
  expect(await rq.json()).toEqual({ queue: 'weir_default', instance: id });
  expect((await (await app.request(`/v1/instances/${id}`, { headers: bearer(admin) })).json()).status).not.toBe('faulted');
  expect((await (await app.request('/v1/dead-letters', { headers: bearer(admin) })).json()).items).toEqual([]);
  expect((await post(`/v1/dead-letters/${items[0].msgId}/requeue`)).status).toBe(404);
});
