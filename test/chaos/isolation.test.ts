/**
 * Issue #11 item 9, isolation: a key scoped to namespace A (admin, write or read there) tries every
 * route in the OpenAPI document against B's resources — reads, starts, cancels, lists, hooks,
 * secrets, operations — and gets 403/404 (lists: only A's items), never B's data, and B is left as
 * it was. Routes come from the document, so a new route is covered without editing this file.
 * Also: API keys are stored as SHA-256 only; a workflow's secrets never appear in history,
 * outputs, errors, API responses or log lines. `WEIR_CHAOS=long` repeats the sweep with random
 * namespace names and keys of every role.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { newApiKey } from '../../src/api/auth.ts';
import { createApp } from '../../src/api/app.ts';
import { loadConfig } from '../../src/config.ts';
import { SecretBox, sha256Hex } from '../../src/crypto.ts';
import { createLogger } from '../../src/log.ts';
import { Runner } from '../../src/runner/index.ts';
import { SecretsProvider, secretsFromEnv } from '../../src/runner/secrets.ts';
import { insertApiKey, type Role } from '../../src/store/queries/keys.ts';
import { useTestDatabase } from '../support/db.ts';
import { startStub, type Stub } from '../support/stub-server.ts';
import { bearer, ENCRYPTION_KEY, mintKey, running, storeOf } from '../integration/api/_app.ts';
import { encodeSegment, expectClean, fillPath, operationsOf, type App, type Operation } from './hostile/api.ts';
import { LONG, runs } from './hostile/mode.ts';

const db = useTestDatabase();
const logLines: string[] = [];
let app: App;
let root: string;

beforeAll(async () => {
  app = createApp({
    config: loadConfig({ DATABASE_URL: 'postgres://unused@127.0.0.1/unused' }),
    store: storeOf(db.current.sql),
    lifecycle: running(),
    log: createLogger('debug', {}, (line) => logLines.push(line)),
    api: { rateLimitPerSecond: 0, encryptionKey: ENCRYPTION_KEY },
    drain: async () => ({ messages: 0, done: 0, stale: 0, conflicts: 0, dead: 0, errors: 0, limited: 0, timersFired: 0, schedulesFired: 0, ms: 0 }),
  });
  root = await mintKey(db.current.sql, 'admin', ['*']);
});

const call = (key: string, method: string, path: string, body?: unknown, type = 'application/json') =>
  app.request(path, { method, headers: bearer(key, { 'content-type': type }), ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }) });

/** One namespace's resources, each carrying `marker` in its data so a leak is visible in any answer. */
interface Tenant {
  ns: string;
  marker: string;
  workflow: string;
  instanceId: string;
  hook: string;
  secret: string;
  schedule: string;
}

async function seedTenant(ns: string): Promise<Tenant> {
  const marker = `DATA-OF-${ns}-${Math.random().toString(36).slice(2, 10)}`;
  const doc = (name: string, extra = '') => `document: { dsl: 1.0.0, namespace: ${ns}, name: ${name}, version: 1.0.0, summary: '${marker}' }
${extra}do:
  - t:
      set:
        mark: '${marker}'
`;
  expect((await call(root, 'POST', '/v1/workflows', doc('wf'), 'application/yaml')).status).toBe(201);
  expect((await call(root, 'POST', '/v1/workflows', doc('sched', "schedule: { cron: '0 3 * * *' }\n"), 'application/yaml')).status).toBe(201);
  const started = await call(root, 'POST', `/v1/workflows/${ns}/wf/instances`, { marker });
  expect(started.status).toBe(202);
  const instanceId = ((await started.json()) as { id: string }).id;
  const hook = await call(root, 'POST', '/v1/hooks', { name: `${ns}-hook`, namespace: ns, target: { kind: 'event', type: marker } });
  expect(hook.status).toBe(201);
  expect((await call(root, 'PUT', `/v1/secrets/${ns}/token`, { value: `${marker}-secret` })).status).toBe(200);
  return { ns, marker, workflow: 'wf', instanceId, hook: `${ns}-hook`, secret: 'token', schedule: `${ns}.sched` };
}

/** What B looks like from the database: compared before and after A's attempts. */
async function snapshot(t: Tenant) {
  const sql = db.current.sql;
  const [instances, workflows, hooks, secrets, schedules] = await Promise.all([
    sql<{ id: string; status: string }>`SELECT id::text, status FROM weir.instances WHERE namespace = ${t.ns} ORDER BY id`,
    sql<{ name: string; version: string }>`SELECT name, version FROM weir.workflows WHERE namespace = ${t.ns} ORDER BY name, version`,
    sql<{ name: string; secret: string; previous_secret: string | null }>`SELECT name, secret, previous_secret FROM weir.hooks WHERE namespace = ${t.ns} ORDER BY name`,
    sql<{ name: string; ciphertext: string }>`SELECT name, ciphertext FROM weir.secrets WHERE namespace = ${t.ns} ORDER BY name`,
    sql<{ id: string; enabled: boolean }>`SELECT id, enabled FROM weir.schedules WHERE namespace = ${t.ns} ORDER BY id`,
  ]);
  return JSON.stringify({ instances, workflows, hooks, secrets, schedules });
}

/** A request aimed at B's resources for each route: valid enough that only authorization can stop it. */
function aimAt(op: Operation, b: Tenant): { path: string; query: string; body?: unknown; type?: string } {
  const key = `${op.method} ${op.path}`;
  const id = op.path.startsWith('/v1/schedules') ? b.schedule : b.instanceId;
  const name = op.path.startsWith('/v1/hooks') ? b.hook : op.path.startsWith('/v1/secrets') ? b.secret : b.workflow;
  const path = fillPath(op.path, { namespace: encodeSegment(b.ns), name: encodeSegment(name), version: '1.0.0', id: encodeSegment(id), msgId: '1' });
  const query = new URLSearchParams(
    op.params.filter((p) => p.in === 'query' && ['namespace', 'workflow'].includes(p.name)).map((p) => [p.name, p.name === 'namespace' ? b.ns : b.workflow]),
  ).toString();
  const bodies: Record<string, { body: unknown; type?: string }> = {
    'POST /v1/workflows': { body: `document: { dsl: 1.0.0, namespace: ${b.ns}, name: intruder, version: 1.0.0 }\ndo:\n  - t: { set: { a: 1 } }\n`, type: 'application/yaml' },
    'POST /v1/instances/cancel': { body: { namespace: b.ns } },
    'POST /v1/instances/{id}/cancel': { body: { reason: 'intruder' } },
    'POST /v1/events': { body: { specversion: '1.0', id: 'intruder', source: '/intruder', type: b.marker, data: {} }, type: 'application/cloudevents+json' },
    'POST /v1/hooks': { body: { name: 'intruder', namespace: b.ns, target: { kind: 'event', type: 'x' } } },
    'PUT /v1/secrets/{namespace}/{name}': { body: { value: 'overwritten' } },
    'POST /v1/admin/drain': { body: {} },
    'POST /v1/workflows/{namespace}/{name}/instances': { body: {} },
  };
  return { path, query, ...(bodies[key] ?? (op.bodyTypes.length ? { body: {} } : {})) };
}

/** Routes that answer a list: 200 with only the caller's items (or 403). Everything else aimed at B: 403/404. */
const isList = (op: Operation) => op.method === 'GET' && !op.params.some((p) => p.in === 'path') && op.path !== '/metrics';

/** Routes that are public by design: health, the OpenAPI document, and hook deliveries (the signature is the credential). */
const outOfScope = (op: Operation) => op.public || (op.method === 'POST' && op.path === '/v1/hooks/{name}');

async function sweep(a: Tenant, b: Tenant, role: Role) {
  const key = await mintKey(db.current.sql, role, [a.ns]);
  const before = await snapshot(b);
  const tried: string[] = [];
  for (const op of operationsOf(app)) {
    if (outOfScope(op)) continue;
    const r = aimAt(op, b);
    const url = r.path + (r.query ? `?${r.query}` : '');
    const what = `${role}@${a.ns} ${op.method} ${url}`;
    const ans = await expectClean(await call(key, op.method, url, r.body, r.type), what);
    tried.push(`${op.method} ${op.path}`);
    expect(ans.text, `${what} leaked B's data`).not.toContain(b.marker);
    if (isList(op) && ans.status !== 403) {
      // A list answers 200 with the caller's items, or 403 when it spans every namespace (dead letters).
      expect(ans.status, what).toBe(200);
      const items = (ans.body as { items: { namespace?: string }[] }).items;
      if (op.params.some((p) => p.name === 'namespace')) expect(items, `${what}: a list filtered to B is empty`).toEqual([]);
      else expect(items.filter((i) => i.namespace !== a.ns), `${what}: only A's items`).toEqual([]);
      // Unfiltered, the same list shows A's items (when A has that kind of thing) and none of B's.
      const all = await expectClean(await call(key, 'GET', op.path), what);
      expect(all.text).not.toContain(b.marker);
      expect(all.text).not.toContain(`"namespace":"${b.ns}"`);
    } else {
      expect([403, 404], `${what} → ${ans.status} ${ans.text}`).toContain(ans.status);
    }
  }
  expect(await snapshot(b), `B changed after ${role}@${a.ns} tried every route`).toBe(before);
  return tried;
}

describe('a key scoped to namespace A cannot read, start, cancel or list anything in B', () => {
  let a: Tenant;
  let b: Tenant;
  beforeAll(async () => {
    a = await seedTenant('alpha');
    b = await seedTenant('bravo');
  });

  test.each(['admin', 'write', 'read'] as const)('%s key of A, every route aimed at B', async (role) => {
    const tried = await sweep(a, b, role);
    const protectedRoutes = operationsOf(app).filter((op) => !outOfScope(op)).map((op) => `${op.method} ${op.path}`);
    expect(tried.sort()).toEqual(protectedRoutes.sort());
    expect(tried.length).toBeGreaterThanOrEqual(25);
  });

  test('a workflow registered by A cannot start B’s workflows (`run: workflow` across namespaces needs write in B)', async () => {
    const sneaky = (name: string, where: string) => `document: { dsl: 1.0.0, namespace: ${a.ns}, name: ${name}, version: 1.0.0 }
do:
  - ${where}
`;
    const direct = 'steal: { run: { workflow: { namespace: ' + b.ns + ', name: wf, version: 1.0.0, input: { x: 1 } } } }';
    const nested = 'outer: { try: [ { inner: { fork: { branches: [ { steal: { run: { workflow: { namespace: ' + b.ns + ', name: wf, version: 1.0.0 } } } } ] } } } ], catch: { do: [ { n: { set: { a: 1 } } } ] } }';
    const before = await snapshot(b);
    for (const role of ['write', 'admin'] as const) {
      const key = await mintKey(db.current.sql, role, [a.ns]);
      for (const [i, task] of [direct, nested].entries()) {
        const res = await call(key, 'POST', '/v1/workflows', sneaky(`sneaky-${role}-${i}`, task), 'application/yaml');
        const ans = await expectClean(res, `${role} registers a workflow running ${b.ns}/wf`);
        expect(ans.status, ans.text).toBe(403);
        expect((ans.body as { errors?: { pointer: string }[] }).errors?.[0]?.pointer).toMatch(/\/run\/workflow\/namespace$/);
      }
    }
    expect(await snapshot(b)).toBe(before);
    // Its own namespace, and a key with write in both, may.
    const own = await mintKey(db.current.sql, 'write', [a.ns]);
    expect((await call(own, 'POST', '/v1/workflows', sneaky('own', 'mine: { run: { workflow: { namespace: ' + a.ns + ', name: wf, version: 1.0.0 } } }'), 'application/yaml')).status).toBe(201);
    const both = await mintKey(db.current.sql, 'write', [a.ns, b.ns]);
    expect((await call(both, 'POST', '/v1/workflows', sneaky('both', direct), 'application/yaml')).status).toBe(201);
  });

  // Events a workflow emits stay in its namespace (src/runner/events.ts deliverEvents): a key
  // scoped to A cannot listen to what B's workflows emit. (POST /v1/events, which needs a `*` key,
  // publishes to every namespace.)
  test('a listener in A does not receive an event a workflow in B emits', async () => {
    const runner = (await import('../support/runner.ts')).testRunner(db.current.sql, { WEIR_EVENT_WINDOW: '0' });
    const key = await mintKey(db.current.sql, 'write', [a.ns]);
    // Not b.marker: the other tests check that B's marker reaches A nowhere.
    const emitted = `EMITTED-IN-${b.ns}-${Math.random().toString(36).slice(2)}`;
    const listener = `document: { dsl: 1.0.0, namespace: ${a.ns}, name: eavesdrop, version: 1.0.0 }
do:
  - hear: { listen: { to: { one: { with: { type: iso.crossing } } } } }
`;
    const emitter = `document: { dsl: 1.0.0, namespace: ${b.ns}, name: announce, version: 1.0.0 }
do:
  - tell: { emit: { event: { with: { source: 'https://b.example', type: iso.crossing, data: { note: '${emitted}' } } } } }
`;
    expect((await call(key, 'POST', '/v1/workflows', listener, 'application/yaml')).status).toBe(201);
    expect((await call(root, 'POST', '/v1/workflows', emitter, 'application/yaml')).status).toBe(201);
    const heard = ((await (await call(key, 'POST', `/v1/workflows/${a.ns}/eavesdrop/instances`, {})).json()) as { id: string }).id;
    await runner.drain({ maxMillis: 10_000 });
    expect((await call(root, 'POST', `/v1/workflows/${b.ns}/announce/instances`, {})).status).toBe(202);
    await runner.drain({ maxMillis: 10_000 });
    const seen = await expectClean(await call(key, 'GET', `/v1/instances/${heard}`), 'eavesdropper');
    expect(seen.body).toMatchObject({ status: 'waiting' });
    expect(seen.text).not.toContain(emitted);
  });

  test('lists show A its own items (the filter is by namespace, not "nothing for scoped keys")', async () => {
    const key = await mintKey(db.current.sql, 'read', [a.ns]);
    for (const path of ['/v1/workflows', '/v1/instances', '/v1/schedules', '/v1/hooks', `/v1/secrets/${a.ns}`]) {
      const ans = await expectClean(await call(key, 'GET', path), path);
      expect(ans.status).toBe(200);
      expect((ans.body as { items: unknown[] }).items.length, path).toBeGreaterThan(0);
      expect(ans.text).not.toContain(b.marker);
    }
    expect((await call(key, 'GET', `/v1/instances/${a.instanceId}`)).status).toBe(200);
  });

  test('random namespace pairs and roles: never B’s data, never a change to B', { timeout: LONG ? 1_800_000 : 60_000 }, async () => {
    const nsName = fc.stringMatching(/^[a-z][a-z0-9-]{0,10}[a-z0-9]$/);
    let n = 0;
    await fc.assert(
      fc.asyncProperty(nsName, nsName, fc.constantFrom<Role>('admin', 'write', 'read'), async (x, y, role) => {
        fc.pre(x !== y && ![x, y].some((s) => ['alpha', 'bravo'].includes(s)));
        n++;
        const ta = await seedTenant(`${x}${n}`);
        const tb = await seedTenant(`${y}${n}`);
        await sweep(ta, tb, role);
      }),
      { numRuns: runs(1, 200) },
    );
  });
});

describe('API keys are stored hashed', () => {
  test('weir.api_keys holds the SHA-256 and a short display prefix, never the key', async () => {
    const keys: string[] = [];
    for (let i = 0; i < runs(5, 200); i++) {
      const k = await newApiKey();
      await insertApiKey(db.current.sql, { hash: k.hash, prefix: k.prefix, namespaces: ['alpha'], role: 'read' });
      keys.push(k.key);
    }
    keys.push(root);
    const rows = await db.current.sql<{ row: string; hash: string }>`SELECT to_jsonb(k)::text AS row, hash FROM weir.api_keys k`;
    const dump = rows.map((r) => r.row).join('\n');
    for (const key of keys) {
      expect(dump).not.toContain(key);
      expect(dump).not.toContain(key.slice(12)); // the secret part after the listed prefix
      expect(rows.map((r) => r.hash)).toContain(await sha256Hex(key));
    }
    // And the key still works: what is stored is enough to authenticate, not to impersonate.
    expect((await call(keys[0], 'GET', '/v1/workflows')).status).toBe(200);
    expect(logLines.join('\n')).not.toContain(keys[0]);
  });
});

describe('secrets referenced by workflows never appear in history, outputs, errors, API responses or logs', () => {
  let stub: Stub;
  const seen: Record<string, string>[] = [];
  let value = '';
  beforeAll(async () => {
    stub = await startStub((r) => (r.path.startsWith('/fail') ? { status: 500, body: { error: 'nope' } } : { body: { ok: true } }));
  });
  afterAll(() => stub.close());

  test('a header, query string and body built from $secrets: the call gets the value, nothing people read holds it', { timeout: 60_000 }, async () => {
    value = `tok-${Math.random().toString(36).slice(2)}-very-secret`;
    const envValue = `env-${Math.random().toString(36).slice(2)}-also-secret`;
    expect((await call(root, 'PUT', '/v1/secrets/vault/apitoken', { value })).status).toBe(200);
    const doc = (name: string, path: string) => `document: { dsl: 1.0.0, namespace: vault, name: ${name}, version: 1.0.0 }
use:
  secrets: [apitoken, fromEnv]
do:
  - call:
      call: http
      with:
        method: post
        endpoint: '\${ "${stub.url}${path}?key=" + $secrets.apitoken }'
        headers:
          authorization: '\${ "Bearer " + $secrets.apitoken }'
          x-env: '\${ $secrets.fromEnv }'
        body: { token: '\${ $secrets.apitoken }', env: '\${ $secrets.fromEnv }' }
  - keep:
      set:
        echoed: '\${ "Bearer " + $secrets.apitoken }'
        both: '\${ [$secrets.apitoken, $secrets.fromEnv] }'
`;
    for (const [name, path] of [['ok', '/echo'], ['fails', '/fail']]) {
      expect((await call(root, 'POST', '/v1/workflows', doc(name, path), 'application/yaml')).status).toBe(201);
    }
    const ids: string[] = [];
    for (const name of ['ok', 'fails']) ids.push(((await (await call(root, 'POST', `/v1/workflows/vault/${name}/instances`, {})).json()) as { id: string }).id);
    const runner = new Runner({
      sql: db.current.sql,
      log: createLogger('debug', {}, (line) => logLines.push(line)),
      runner: loadConfig({ WEIR_QUEUES: '*' }).runner,
      http: { allowPrivate: true },
      secrets: new SecretsProvider(db.current.sql, { env: secretsFromEnv({ WEIR_SECRET_fromEnv: envValue }), box: new SecretBox(ENCRYPTION_KEY) }),
    });
    await runner.drain({ maxMillis: 20_000 });
    for (const h of stub.headers) seen.push(h);
    // The calls were made with the real values (so redaction is not "the secret was never resolved").
    expect(stub.headers.some((h) => h.authorization === `Bearer ${value}` && h['x-env'] === envValue)).toBe(true);
    expect(stub.requests.some((r) => r.path.includes(`key=${value}`))).toBe(true);

    const answers: string[] = [];
    for (const id of ids) {
      answers.push(await (await call(root, 'GET', `/v1/instances/${id}`)).text());
      answers.push(await (await call(root, 'GET', `/v1/instances/${id}/history?limit=500`)).text());
    }
    answers.push(await (await call(root, 'GET', '/v1/instances?namespace=vault')).text());
    answers.push(await (await call(root, 'GET', '/v1/secrets/vault')).text());
    answers.push(await (await call(root, 'GET', '/v1/workflows/vault/ok/1.0.0')).text());
    const [ok, failed] = answers.filter((_, i) => i === 0 || i === 2).map((t) => JSON.parse(t) as { status: string; output?: unknown; error?: unknown });
    expect(ok.status).toBe('completed');
    expect(ok.output).toMatchObject({ echoed: 'Bearer ***', both: ['***', '***'] });
    expect(failed.status).toBe('faulted');

    const history = await db.current.sql<{ row: string }>`SELECT to_jsonb(h)::text AS row FROM weir.history h`;
    const instanceRows = await db.current.sql<{ input: unknown; output: unknown; error: unknown }>`SELECT input, output, error FROM weir.instances WHERE namespace = 'vault'`;
    const places: Record<string, string> = {
      'API responses': answers.join('\n'),
      'weir.history rows': history.map((r) => r.row).join('\n'),
      'instance input/output/error': JSON.stringify(instanceRows),
      'log lines (API and runner, debug level)': logLines.join('\n'),
    };
    for (const [where, text] of Object.entries(places)) {
      expect(text.length, where).toBeGreaterThan(0);
      expect(text.includes(value), `the namespace secret appears in ${where}`).toBe(false);
      expect(text.includes(envValue), `the WEIR_SECRET_ value appears in ${where}`).toBe(false);
    }
  });

  // The final checkpoint redacts the state too: a database dump or backup of an ended instance
  // holds no secret value (a running instance needs its state as computed).
  test('an ended instance keeps no secret in its stored state (weir.instances.state)', async () => {
    expect(value).not.toBe('');
    const rows = await db.current.sql<{ state: string }>`SELECT state::text AS state FROM weir.instances WHERE namespace = 'vault' AND ended_at IS NOT NULL`;
    expect(rows.length).toBe(2);
    expect(rows.map((r) => r.state).join('\n')).not.toContain(value);
  });
});
