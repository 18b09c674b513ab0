/**
 * The console on the embedded database under another runtime (Deno, Bun): auth is off on
 * loopback, so the first page sets an anonymous session; the workflow page lays its diagram out
 * with dagre. Prints one JSON line.
 */
import { createApp } from '../../../src/api/app.ts';
import { loadConfig } from '../../../src/config.ts';
import { Lifecycle } from '../../../src/lifecycle.ts';
import { createLogger } from '../../../src/log.ts';
import { migrate } from '../../../src/store/migrate.ts';
import { openPglite } from '../../../src/store/pglite.ts';

const h = await openPglite();
await migrate(h.sql);
const l = new Lifecycle();
l.to('starting');
l.to('running');
const app = createApp({ config: loadConfig({}), store: { sql: h.sql, check: async () => ({ ok: true }) } as never, lifecycle: l, log: createLogger('silent') });
const yaml = 'document:\n  dsl: 1.0.0\n  namespace: examples\n  name: hello\n  version: 1.0.0\ndo:\n  - greet:\n      set:\n        x: 1\n';
const out: Record<string, unknown> = {};
out.register = (await app.request('/v1/workflows', { method: 'POST', headers: { 'content-type': 'application/yaml' }, body: yaml })).status;
const first = await app.request('/ui/instances');
out.instances = first.status;
const cookie = (first.headers.get('set-cookie') ?? '').split(';')[0];
const wf = await app.request('/ui/workflows/examples/hello/1.0.0', { headers: { cookie } });
out.workflow = wf.status;
out.diagram = (await wf.text()).includes('data-pointer="/do/0/greet"');
out.login = (await app.request('/ui/login')).status;
out.css = (await app.request('/ui/assets/console.css')).status;
console.log(JSON.stringify(out));
await h.close();
