/**
 * POST /v1/instances/{id}/retry: a faulted instance resumes — the same instance — at its failed
 * task, through the API and the runner on a real database, with an HTTP stub counting calls.
 */
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import { useTestDatabase } from '../../support/db.ts';
import { testRunner } from '../../support/runner.ts';
import { startStub, type Stub } from '../../support/stub-server.ts';
import { bearer, buildApp, mintKey } from './_app.ts';

const db = useTestDatabase();
let app: ReturnType<typeof buildApp>;
let admin: string;
let reader: string;
let stub: Stub;
/** Paths that fail (503) the next time they are called, once. */
const failOnce = new Set<string>();

const doc = (name: string, body: string, extra = '') => `document:
  dsl: 1.0.0
  namespace: rt
  name: ${name}
  version: 1.0.0
${extra}do:
${body}`;

beforeAll(async () => {
  stub = await startStub((r) => {
    if (failOnce.delete(r.path)) return { status: 503, body: { busy: r.path } };
    return { body: { path: r.path } };
  });
  app = buildApp(db.current.sql);
  admin = await mintKey(db.current.sql, 'admin');
  reader = await mintKey(db.current.sql, 'read');
  const docs = [
    doc('ab', `  - a:
      call: http
      with: { method: get, endpoint: '${stub.url}/ab/a' }
      output: { as: '\${ { a: .path } }' }
  - b:
      call: http
      with: { method: get, endpoint: '${stub.url}/ab/b' }
      output: { as: '\${ $input + { b: .path } }' }
`),
    doc('loop', `  - each:
      for: { in: '\${ [1, 2, 3] }', each: n }
      do:
        - get:
            call: http
            with: { method: get, endpoint: '\${ "${stub.url}/loop/" + ($n | tostring) }' }
            output: { as: '\${ (if ($input | type) == "array" then $input else [] end) + [.path] }' }
`),
    doc('limited', `  - b:
      call: http
      with: { method: get, endpoint: '\${ "${stub.url}/lim/" + .who }' }
  - nap:
      wait: PT1H
`, '  metadata: { weir: { concurrency: { limit: 1 } } }\n'),
    doc('strict', '  - t:\n      set: { ok: true }\n', 'input:\n  schema:\n    document: { type: object, required: [name] }\n'),
    doc('sleepy', '  - nap:\n      wait: P1D\n'),
  ];
  for (const d of docs) {
    const res = await app.request('/v1/workflows', { method: 'POST', headers: bearer(admin, { 'content-type': 'application/yaml' }), body: d });
    expect(res.status, await res.text()).toBe(201);
  }
});
afterAll(() => stub.close());
afterEach(async () => {
  await db.current.sql`SELECT weir.reset_clock()`;
});

const start = async (name: string, input: unknown = {}) => {
  const res = await app.request(`/v1/workflows/rt/${name}/instances`, { method: 'POST', headers: bearer(admin), body: JSON.stringify(input) });
  return (await res.json()).id as string;
};
const retry = (id: string, key = admin) => app.request(`/v1/instances/${id}/retry`, { method: 'POST', headers: bearer(key) });
const get = async (id: string) => (await app.request(`/v1/instances/${id}`, { headers: bearer(admin) })).json();
const calls = (path: string) => stub.requests.filter((r) => r.path === path);
const drain = () => testRunner(db.current.sql).drain();

test('a retried instance runs only its failed task again, as the same instance, and completes', async () => {
  failOnce.add('/ab/b');
  const id = await start('ab');
  await drain();
  const faulted = await get(id);
  expect(faulted).toMatchObject({ status: 'faulted', error: { status: 503, instance: '/do/1/b' } });
  const [{ version: before }] = await db.current.sql<{ version: number }>`SELECT version FROM weir.instances WHERE id = ${id}::uuid`;

  const res = await retry(id);
  expect(res.status).toBe(202);
  expect(res.headers.get('location')).toBe(`/v1/instances/${id}`);
  const body = await res.json();
  expect(body).toMatchObject({ id, status: 'running', endedAt: null, retry: { task: '/do/1/b', queued: false } });
  expect(body.error).toBeUndefined();
  const [row] = await db.current.sql<{ version: number; error: unknown; ended_at: Date | null }>`SELECT version, error, ended_at FROM weir.instances WHERE id = ${id}::uuid`;
  expect(row).toMatchObject({ version: before + 1, error: null, ended_at: null });
  const [msg] = await db.current.sql.unsafe<{ message: { kind: string } }>(`SELECT message FROM pgmq.q_weir_default`);
  expect(msg.message).toMatchObject({ instance: id, kind: 'retry' });

  await drain();
  expect(await get(id)).toMatchObject({ status: 'completed', output: { a: '/ab/a', b: '/ab/b' } });
  expect(calls('/ab/a')).toHaveLength(1);
  const b = calls('/ab/b');
  expect(b).toHaveLength(2);
  expect(b[0].idempotencyKey).toBeTruthy();
  expect(b[1].idempotencyKey).not.toBe(b[0].idempotencyKey);

  const history = (await (await app.request(`/v1/instances/${id}/history?limit=500`, { headers: bearer(admin) })).json()).items as { kind: string; taskRef: string | null; data: unknown }[];
  const kinds = history.map((h) => h.kind);
  expect(kinds.indexOf('workflowRetried')).toBeGreaterThan(kinds.indexOf('workflowFaulted'));
  expect(history.find((h) => h.kind === 'workflowRetried')).toMatchObject({ taskRef: '/do/1/b', data: { task: '/do/1/b' } });
  expect(kinds.at(-1)).toBe('workflowCompleted');

  // Completed now: not retried again.
  expect((await retry(id)).status).toBe(409);
});

test('a for loop resumes at the failed iteration', async () => {
  failOnce.add('/loop/2');
  const id = await start('loop');
  await drain();
  expect(await get(id)).toMatchObject({ status: 'faulted', error: { status: 503, instance: '/do/0/each/do/0/get' } });
  expect((await retry(id)).status).toBe(202);
  await drain();
  const done = await get(id);
  expect(done, JSON.stringify(done.error)).toMatchObject({ status: 'completed', output: ['/loop/1', '/loop/2', '/loop/3'] });
  expect([calls('/loop/1').length, calls('/loop/2').length, calls('/loop/3').length]).toEqual([1, 2, 1]);
});

test('a concurrency-limited workflow: the retried instance takes a free slot, or queues until one frees', async () => {
  await db.current.sql`SELECT weir.set_fake_now('2026-06-01T00:00:00Z')`;
  const slots = async () => (await db.current.sql<{ instance_id: string }>`SELECT instance_id::text FROM weir.slots WHERE scope = 'rt/limited'`).map((r) => r.instance_id);
  failOnce.add('/lim/x');
  const x = await start('limited', { who: 'x' });
  await drain();
  expect((await get(x)).status).toBe('faulted');
  expect(await slots()).toEqual([]); // the fault released it

  const y = await start('limited', { who: 'y' });
  await drain();
  expect((await get(y)).status).toBe('waiting'); // napping, holding the slot
  expect(await slots()).toEqual([y]);

  const res = await retry(x);
  expect(res.status).toBe(202);
  expect(await res.json()).toMatchObject({ status: 'queued', retry: { queued: true } });
  await drain();
  expect((await get(x)).status).toBe('queued');
  expect(calls('/lim/x')).toHaveLength(1);

  // y ends: its slot goes to x, which runs its failed task again.
  await db.current.sql`SELECT weir.advance_clock('1 hour')`;
  await drain();
  expect((await get(y)).status).toBe('completed');
  await drain();
  expect((await get(x)).status).toBe('waiting');
  expect(await slots()).toEqual([x]);
  expect(calls('/lim/x')).toHaveLength(2);

  // With the slot free, a retry takes it at once.
  await db.current.sql`SELECT weir.advance_clock('1 hour')`;
  await drain();
  expect((await get(x)).status).toBe('completed');
  failOnce.add('/lim/v');
  const v = await start('limited', { who: 'v' });
  await drain();
  expect((await get(v)).status).toBe('faulted');
  expect(await (await retry(v)).json()).toMatchObject({ status: 'running', retry: { queued: false } });
  expect(await slots()).toEqual([v]);
  await drain();
  expect((await get(v)).status).toBe('waiting');
  expect(calls('/lim/v')).toHaveLength(2);

  // A retried instance waiting for a slot stays queued through suspend/resume, and can be cancelled.
  await db.current.sql`SELECT weir.advance_clock('1 hour')`;
  await drain();
  failOnce.add('/lim/w');
  const w = await start('limited', { who: 'w' });
  await drain();
  const u = await start('limited', { who: 'u' });
  await drain();
  expect((await get(w)).status).toBe('faulted');
  expect((await get(u)).status).toBe('waiting');
  expect((await (await retry(w)).json()).status).toBe('queued');
  const control = (verb: string) => app.request(`/v1/instances/${w}/${verb}`, { method: 'POST', headers: bearer(admin) });
  expect((await control('suspend')).status).toBe(200);
  expect((await control('resume')).status).toBe(200);
  expect((await get(w)).status).toBe('queued');
  expect((await control('cancel')).status).toBeLessThan(300);
  await drain();
  expect((await get(w)).status).toBe('cancelled');
  expect(await slots()).toEqual([u]);
  expect(calls('/lim/w')).toHaveLength(1);
});

test('only a faulted instance with a task to run again can be retried: 409 says why, 404, 403', async () => {
  const sleeping = await start('sleepy');
  await drain();
  const running = await retry(sleeping);
  expect(running.status).toBe(409);
  expect(running.headers.get('content-type')).toMatch(/problem\+json/);
  expect((await running.json()).detail).toMatch(/is waiting; only a faulted instance/);

  const early = await start('strict', {});
  await drain();
  expect((await get(early)).status).toBe('faulted');
  const noTask = await retry(early);
  expect(noTask.status).toBe(409);
  expect((await noTask.json()).detail).toMatch(/did not come out of a task.*rerun/);

  const poisoned = await start('sleepy');
  await drain();
  await db.current.sql`UPDATE weir.instances SET status = 'faulted', error = '{"title": "Poison message"}'::jsonb WHERE id = ${poisoned}::uuid`;
  const poison = await retry(poisoned);
  expect(poison.status).toBe(409);
  expect((await poison.json()).detail).toMatch(/poison message.*dead-letters/);

  expect((await retry('01890000-0000-7000-8000-000000000000')).status).toBe(404);
  failOnce.add('/ab/b');
  const faulted = await start('ab');
  await drain();
  expect((await retry(faulted, reader)).status).toBe(403);
  expect((await get(faulted)).status).toBe('faulted');
  // Retried twice in a row: the second finds it running.
  expect((await retry(faulted)).status).toBe(202);
  expect((await retry(faulted)).status).toBe(409);
  await drain();
  expect((await get(faulted)).status).toBe('completed');
});

test('a faulted state is kept without secret values, and the retried task resolves its secrets again', async () => {
  const { Runner } = await import('../../../src/runner/index.ts');
  const { SecretsProvider } = await import('../../../src/runner/secrets.ts');
  const { loadConfig } = await import('../../../src/config.ts');
  const { createLogger } = await import('../../../src/log.ts');
  const value = 'tok-s3cret-value';
  const runner = new Runner({
    sql: db.current.sql,
    log: createLogger('silent'),
    runner: loadConfig({ WEIR_QUEUES: '*' }).runner,
    http: { allowPrivate: true },
    secrets: new SecretsProvider(db.current.sql, { env: { token: value } }),
  });
  const wf = doc('secretive', `  - a:
      set: { seen: '\${ $secrets.token }' }
  - b:
      call: http
      with:
        method: get
        endpoint: '${stub.url}/sec/b'
        headers: { authorization: '\${ "Bearer " + $secrets.token }' }
      output: { as: '\${ $input + { path: .path } }' }
`, 'use: { secrets: [token] }\n');
  expect((await app.request('/v1/workflows', { method: 'POST', headers: bearer(admin, { 'content-type': 'application/yaml' }), body: wf })).status).toBe(201);
  failOnce.add('/sec/b');
  const id = await start('secretive');
  await runner.drain();
  const [{ state }] = await db.current.sql<{ state: string }>`SELECT state::text FROM weir.instances WHERE id = ${id}::uuid`;
  expect(state).toContain('"recovery"');
  expect(state).not.toContain(value);
  expect((await retry(id)).status).toBe(202);
  await runner.drain();
  const calls = stub.requests.map((r, i) => ({ path: r.path, auth: stub.headers[i].authorization })).filter((r) => r.path === '/sec/b');
  expect(calls.map((c) => c.auth)).toEqual([`Bearer ${value}`, `Bearer ${value}`]);
  // What the failed task's predecessors produced comes back redacted: `***` where the secret was.
  const done = await get(id);
  expect(done, JSON.stringify(done.error ?? done.output)).toMatchObject({ status: 'completed', output: { seen: '***', path: '/sec/b' } });
});

test('a parent faulted by its child: retrying the parent starts a new child', async () => {
  const kid = doc('kid', `  - get:
      call: http
      with: { method: get, endpoint: '${stub.url}/kid' }
`);
  const parent = doc('parent', `  - before:
      call: http
      with: { method: get, endpoint: '${stub.url}/parent/before' }
  - child:
      run: { workflow: { namespace: rt, name: kid, version: 1.0.0 } }
`);
  for (const d of [kid, parent]) expect((await app.request('/v1/workflows', { method: 'POST', headers: bearer(admin, { 'content-type': 'application/yaml' }), body: d })).status).toBe(201);
  failOnce.add('/kid');
  const id = await start('parent');
  await drain();
  expect(await get(id)).toMatchObject({ status: 'faulted', error: { instance: '/do/1/child' } });
  expect(await (await retry(id)).json()).toMatchObject({ retry: { task: '/do/1/child' } });
  await drain();
  expect(await get(id)).toMatchObject({ status: 'completed', output: { path: '/kid' } });
  const children = await db.current.sql<{ status: string }>`SELECT status FROM weir.instances WHERE parent_id = ${id}::uuid ORDER BY id`;
  expect(children.map((c) => c.status)).toEqual(['faulted', 'completed']);
  expect(calls('/parent/before')).toHaveLength(1);
});
