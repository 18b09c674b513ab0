/** Flow-control options through the HTTP API: register options, start options, errors, metrics. */
import { beforeAll, describe, expect, test } from 'vitest';
import { pgmq } from '../../../src/store/queries/pgmq.ts';
import { useTestDatabase } from '../../support/db.ts';
import { bearer, buildApp, mintKey } from './_app.ts';

const db = useTestDatabase();
let admin: string;
let app: ReturnType<typeof buildApp>;

const doc = (name: string, metadata = '') => `
document:
  dsl: '1.0.0'
  namespace: flowapi
  name: ${name}
  version: '1.0.0'
${metadata ? `  metadata: { weir: ${metadata} }` : ''}
do:
  - pause: { wait: PT1H }
`;

const register = (yaml: string, query = '') =>
  app.request(`/v1/workflows${query}`, { method: 'POST', headers: bearer(admin, { 'content-type': 'application/yaml' }), body: yaml });
const start = (name: string, body: unknown, query = '') =>
  app.request(`/v1/workflows/flowapi/${name}/instances${query}`, {
    method: 'POST',
    headers: bearer(admin, { 'content-type': 'application/json' }),
    body: JSON.stringify(body),
  });

beforeAll(async () => {
  app = buildApp(db.current.sql);
  admin = await mintKey(db.current.sql, 'admin');
});

describe('register options', () => {
  test('query options become the version’s flow options and are answered back', async () => {
    const res = await register(doc('limited'), '?concurrency=2&concurrencyKey=%24%7B%20.customer%20%7D&onLimit=skip');
    expect(res.status).toBe(201);
    expect((await res.json()).flow).toEqual({ concurrency: { limit: 2, key: '${ .customer }', onLimit: 'skip' } });
    // The same document and options again: unchanged; other options under the same version: 409.
    expect((await register(doc('limited'), '?concurrency=2&concurrencyKey=%24%7B%20.customer%20%7D&onLimit=skip')).status).toBe(200);
    const clash = await register(doc('limited'), '?concurrency=3');
    expect(clash.status).toBe(409);
    expect((await clash.json()).errors).toEqual([expect.objectContaining({ pointer: '/query' })]);
  });

  test('metadata options, and each bad one a 422 with a pointer to it', async () => {
    const ok = await register(doc('meta', `{ concurrency: { limit: 1, onLimit: cancel-previous }, debounce: { window: PT5S, key: '\${ .user }' } }`));
    expect(ok.status).toBe(201);
    expect((await ok.json()).flow).toEqual({ concurrency: { limit: 1, onLimit: 'cancel-previous' }, debounce: { window: 'PT5S', key: '${ .user }' } });

    const bad = await register(doc('bad', `{ concurrency: { limit: 0, key: '\${ .a | }', onLimit: later }, debounce: { window: soon } }`));
    expect(bad.status).toBe(422);
    const pointers = (await bad.json()).errors.map((e: { pointer: string }) => e.pointer);
    expect(pointers).toEqual(
      expect.arrayContaining([
        '/document/metadata/weir/concurrency/limit',
        '/document/metadata/weir/concurrency/key',
        '/document/metadata/weir/concurrency/onLimit',
        '/document/metadata/weir/debounce/window',
      ]),
    );
    const rate = await register(`
document: { dsl: '1.0.0', namespace: flowapi, name: rate, version: '1.0.0' }
do:
  - call:
      call: http
      with: { method: get, endpoint: 'https://api.example.com/' }
      metadata: { weir: { rateLimit: { limit: -1 } } }
`);
    expect(rate.status).toBe(422);
    expect((await rate.json()).errors.map((e: { pointer: string }) => e.pointer)).toEqual(
      expect.arrayContaining(['/do/0/call/metadata/weir/rateLimit/key', '/do/0/call/metadata/weir/rateLimit/limit']),
    );
    const query = await register(doc('badquery'), '?concurrency=0');
    expect(query.status).toBe(422);
    expect((await query.json()).errors[0].pointer).toBe('/query/concurrency');
  });
});

describe('start options', () => {
  test('skip (limit 2 per customer) answers 200 with the newest running instance; a new key starts', async () => {
    const first = await start('limited', { customer: 'a' });
    expect(first.status).toBe(202);
    expect((await first.json()).outcome).toBe('started');
    const second = await start('limited', { customer: 'a' });
    expect(second.status).toBe(202);
    const secondId = (await second.json()).id;
    const skipped = await start('limited', { customer: 'a' });
    expect(skipped.status).toBe(200);
    const body = await skipped.json();
    expect(body.outcome).toBe('skipped');
    expect(body.id).toBe(secondId);
    expect(skipped.headers.get('location')).toBe(`/v1/instances/${body.id}`);
    expect((await (await start('limited', { customer: 'a' })).json()).id).toBe(body.id);
    expect((await (await start('limited', { customer: 'b' })).json()).outcome).toBe('started');
  });

  test('priority rides in the start message header; out of range is a 422', async () => {
    await register(doc('prio'));
    const res = await start('prio', {}, '?priority=7');
    expect(res.status).toBe(202);
    const { id } = await res.json();
    const messages = await pgmq.read<{ instance: string }>(db.current.sql, 'weir_default', 0, 1000);
    expect(messages.find((m) => m.message.instance === id)?.headers).toEqual({ priority: 7 });
    const bad = await start('prio', {}, '?priority=10');
    expect(bad.status).toBe(422);
    expect((await bad.json()).errors[0].pointer).toBe('/query/priority');
  });

  test('debounce per start: delayed, then debounced into the same instance with the new input', async () => {
    const a = await (await start('prio', { n: 1 }, '?debounceKey=k&debounceWindow=PT1M')).json();
    const b = await (await start('prio', { n: 2 }, '?debounceKey=k&debounceWindow=PT1M')).json();
    expect([a.outcome, a.status, b.outcome]).toEqual(['delayed', 'delayed', 'debounced']);
    expect(b.id).toBe(a.id);
    expect(b.input).toEqual({ n: 2 });
    const bad = await start('prio', {}, '?debounceKey=k');
    expect(bad.status).toBe(422);
    expect((await bad.json()).errors[0].pointer).toBe('/query/debounceWindow');
  });

  test('/metrics shows slots in use and queued per scope', async () => {
    await register(doc('queued'), '?concurrency=1');
    await start('queued', {});
    await start('queued', {});
    const text = await (await app.request('/metrics', { headers: bearer(admin) })).text();
    expect(text).toContain('weir_concurrency_slots_in_use{scope="flowapi/queued"} 1');
    expect(text).toContain('weir_concurrency_queued{scope="flowapi/queued"} 1');
  });
});
