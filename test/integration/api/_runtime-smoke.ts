/**
 * The API on the embedded database, run by another runtime (Bun, Deno) as a plain script:
 * register, start with an Idempotency-Key, read, publish an event, a signed hook delivery,
 * metrics, OpenAPI and the docs with their embedded script. Prints one JSON line of statuses.
 */
import { createApp } from '../../../src/api/app.ts';
import { loadConfig } from '../../../src/config.ts';
import { Lifecycle } from '../../../src/lifecycle.ts';
import { createLogger } from '../../../src/log.ts';
import { openPglite } from '../../../src/store/pglite.ts';
import { migrate } from '../../../src/store/migrate.ts';
import { standardSignature } from '../../../src/api/webhooks.ts';
const h = await openPglite();
await migrate(h.sql);
const l = new Lifecycle(); l.to('starting'); l.to('running');
const key = btoa(String.fromCharCode(...new Uint8Array(32).fill(3)));
const app = createApp({ config: loadConfig({}), store: { sql: h.sql, check: async () => ({ ok: true }) } as never, lifecycle: l, log: createLogger('silent'), api: { encryptionKey: key } });
const out: Record<string, number> = {};
const yaml = 'document:\n  dsl: 1.0.0\n  namespace: examples\n  name: hello\n  version: 1.0.0\ndo:\n  - greet:\n      set:\n        greeting: ${ "Hello, " + .name }\n';
out['register'] = (await app.request('/v1/workflows', { method: 'POST', headers: { 'content-type': 'application/yaml' }, body: yaml })).status;
const started = await app.request('/v1/workflows/examples/hello/instances', { method: 'POST', headers: { 'idempotency-key': 'x' }, body: '{"name":"Ada"}' });
const { id } = await started.json();
out.start = started.status;
out['get'] = (await app.request(`/v1/instances/${id}`)).status;
out['event'] = (await app.request('/v1/events', { method: 'POST', headers: { 'content-type': 'application/cloudevents+json' }, body: JSON.stringify({ specversion: '1.0', id: '1', source: '/s', type: 't' }) })).status;
const hook = await (await app.request('/v1/hooks', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'h', namespace: 'examples', target: { kind: 'start', workflow: { name: 'hello' } } }) })).json();
const [{ s }] = await h.sql<{ s: number }>`SELECT floor(EXTRACT(EPOCH FROM weir.now()))::int AS s`;
const sig = await standardSignature(hook.secret, 'm1', s, new TextEncoder().encode('{}'));
out['hook'] = (await app.request('/v1/hooks/h', { method: 'POST', headers: { 'webhook-id': 'm1', 'webhook-timestamp': String(s), 'webhook-signature': sig }, body: '{}' })).status;
out['metrics'] = (await app.request('/metrics')).status;
out['openapi'] = (await app.request('/openapi.json')).status;
out['docs'] = (await app.request('/docs')).status;
const js = await app.request('/docs/scalar.js');
out.docsScript = js.status;
out.docsScriptChars = (await js.text()).length;
console.log(JSON.stringify(out));
await h.close();
