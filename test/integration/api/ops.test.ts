/** /metrics, /openapi.json (valid OpenAPI 3.1, equal to the committed file) and /docs with its asset. */
import { readFileSync } from 'node:fs';
import { Validator } from '@seriousme/openapi-schema-validator';
import { beforeAll, describe, expect, test } from 'vitest';
import { defaultRegistry, MetricsRegistry, registerMetric } from '../../../src/metrics.ts';
import { useTestDatabase } from '../../support/db.ts';
import { bearer, buildApp, helloYaml, mintKey } from './_app.ts';

const db = useTestDatabase();
let admin: string;
let app: ReturnType<typeof buildApp>;

beforeAll(async () => {
  app = buildApp(db.current.sql);
  admin = await mintKey(db.current.sql, 'admin');
  await app.request('/v1/workflows', { method: 'POST', headers: bearer(admin, { 'content-type': 'application/yaml' }), body: helloYaml });
  for (let i = 0; i < 2; i++) {
    await app.request('/v1/workflows/examples/hello/instances', { method: 'POST', headers: bearer(admin), body: '{}' });
  }
});

describe('/metrics', () => {
  test('Prometheus text: HTTP requests by route and status, queue depth and lag, instances by status, runner metrics', async () => {
    registerMetric({ name: 'weir_test_runner_gauge', help: 'registered by the runner', type: 'gauge', collect: () => [{ labels: { queue: 'weir_default' }, value: 7 }] });
    const res = await app.request('/metrics', { headers: bearer(admin) });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(text).toContain('# TYPE weir_http_requests_total counter');
    expect(text).toMatch(/weir_http_requests_total\{method="POST",route="\/v1\/workflows\/:namespace\/:name\/instances",status="202"\} 2/);
    expect(text).toMatch(/weir_queue_depth\{queue="weir_default"\} 2/);
    expect(text).toMatch(/weir_queue_oldest_message_age_seconds\{queue="weir_default"\} \d/);
    expect(text).toMatch(/weir_instances\{status="pending"\} 2/);
    expect(text).toContain('weir_http_request_duration_seconds_bucket{route="/v1/workflows",le="+Inf"} 1');
    expect(text).toContain('weir_test_runner_gauge{queue="weir_default"} 7');
  });

  test('pool in use and limit from the store\'s connection-budget gate, when it has one', async () => {
    const { Gate } = await import('../../../src/store/gate.ts');
    const { createApp } = await import('../../../src/api/app.ts');
    const { loadConfig } = await import('../../../src/config.ts');
    const { createLogger } = await import('../../../src/log.ts');
    const { storeOf, running } = await import('./_app.ts');
    const gated = createApp({
      config: loadConfig({}),
      store: { ...storeOf(db.current.sql), gate: new Gate(7) } as never,
      lifecycle: running(),
      log: createLogger('silent'),
    });
    const text = await (await gated.request('/metrics')).text();
    expect(text).toContain('weir_db_pool_limit 7');
    expect(text).toContain('weir_db_pool_in_use 0');
  });

  test('needs a key valid for every namespace', async () => {
    expect((await app.request('/metrics')).status).toBe(401);
    expect((await app.request('/metrics', { headers: bearer(await mintKey(db.current.sql, 'admin', ['examples'])) })).status).toBe(403);
  });

  test('the registry escapes label values and keeps going when a collector fails', async () => {
    const r = new MetricsRegistry([defaultRegistry]);
    r.counter('x_total', 'x').inc({ path: 'a"b\\c\nd' }, 2);
    r.register({ name: 'broken', help: 'h', type: 'gauge', collect: () => { throw new Error('no'); } });
    const h = r.histogram('d_seconds', 'd', [0.1, 1]);
    h.observe(0.5);
    const text = await r.render();
    expect(text).toContain('x_total{path="a\\"b\\\\c\\nd"} 2');
    expect(text).toContain('# collector for broken failed');
    expect(text).toContain('d_seconds_bucket{le="0.1"} 0\nd_seconds_bucket{le="1"} 1\nd_seconds_bucket{le="+Inf"} 1\nd_seconds_sum 0.5\nd_seconds_count 1');
  });
});

describe('/openapi.json and /docs', () => {
  test('is a valid OpenAPI 3.1 document, identical to the committed openapi/openapi.json', async () => {
    const res = await app.request('/openapi.json');
    expect(res.status).toBe(200);
    const doc = await res.json();
    const validator = new Validator();
    const result = await validator.validate(doc);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
    const committed = JSON.parse(readFileSync(new URL('../../../openapi/openapi.json', import.meta.url), 'utf8'));
    expect(doc).toEqual(committed);
    for (const path of ['/v1/workflows', '/v1/workflows/{namespace}/{name}/instances', '/v1/instances/{id}/history', '/v1/events', '/v1/hooks/{name}', '/metrics']) {
      expect(Object.keys(doc.paths)).toContain(path);
    }
  });

  test('/docs renders the reference and its script is served by Weir (gzip or plain)', async () => {
    const page = await app.request('/docs');
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('/openapi.json');
    const src = /<script src="([^"]+)"/.exec(html)?.[1];
    expect(src).toBe('/docs/scalar.js');
    expect(html).not.toMatch(/cdn\.jsdelivr|unpkg|fonts\.scalar/);
    const plain = await app.request(src!);
    expect(plain.status).toBe(200);
    expect(plain.headers.get('content-type')).toMatch(/javascript/);
    const js = await plain.text();
    expect(js.length).toBeGreaterThan(1_000_000);
    const gz = await app.request(src!, { headers: { 'accept-encoding': 'gzip, br' } });
    expect(gz.headers.get('content-encoding')).toBe('gzip');
    const inflated = await new Response(gz.body!.pipeThrough(new DecompressionStream('gzip'))).text();
    expect(inflated).toBe(js);
    const cached = await app.request(src!, { headers: { 'if-none-match': plain.headers.get('etag')! } });
    expect(cached.status).toBe(304);
  });
});

test('runner metrics: activations by outcome and their duration reach /metrics', async () => {
  const { Runner } = await import('../../../src/runner/index.ts');
  const { loadConfig } = await import('../../../src/config.ts');
  const { createLogger } = await import('../../../src/log.ts');
  const { startInstance } = await import('../../../src/store/queries/instances.ts');
  const { registerWorkflow } = await import('../../../src/runner/index.ts');
  await registerWorkflow(db.current.sql, 'document: { dsl: 1.0.0, namespace: m, name: one, version: 1.0.0 }\ndo:\n  - t: { set: { ok: true } }\n');
  await startInstance(db.current.sql, { namespace: 'm', workflowName: 'one', workflowVersion: '1.0.0', queue: 'weir_default', input: {} });
  await new Runner({ sql: db.current.sql, log: createLogger('silent'), runner: loadConfig({}).runner }).drain();
  const admin = await mintKey(db.current.sql, 'admin');
  const text = await (await app.request('/metrics', { headers: bearer(admin) })).text();
  expect(text).toMatch(/weir_activations_total\{outcome="done"\} [1-9]/);
  expect(text).toMatch(/weir_activation_duration_seconds_count\{queue="weir_default"\} [1-9]/);
});
