/**
 * `npm run bench -- api`: requests/s through the HTTP API on 127.0.0.1 with autocannon —
 * `POST /v1/workflows/{ns}/{name}/instances` (start only: row + start message, no runner) and
 * `GET /v1/instances/{id}` — first with the bootstrap admin key and no rate limit (the route's own
 * cost), then with a stored API key and the Postgres rate limit on (the per-request auth cost).
 * Figures only; compare within one run (the machine is shared).
 */
import { readFileSync } from 'node:fs';
import { serve, type ServerType } from '@hono/node-server';
import autocannon from 'autocannon';
import { createApp } from '../src/api/app.ts';
import { newApiKey } from '../src/api/auth.ts';
import { loadConfig } from '../src/config.ts';
import { Lifecycle } from '../src/lifecycle.ts';
import { createLogger } from '../src/log.ts';
import type { Store } from '../src/store/open.ts';
import { insertApiKey } from '../src/store/queries/keys.ts';
import { openPostgres } from '../src/store/postgres-js.ts';
import { benchDatabase } from './_db.ts';

const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 16);
const poolMax = Number(process.env.BENCH_POOL ?? 10);
const adminKey = 'bench-admin-key-0123456789abcdef';

// A load-generator socket reset when a run ends has been seen to surface here as an unhandled
// ECONNRESET (the server itself survives client resets mid-body); it must not abort the figures.
process.on('uncaughtException', (error: NodeJS.ErrnoException) => {
  if (error.code === 'ECONNRESET') return;
  console.error(error);
  process.exit(1);
});

const db = await benchDatabase('api');
const handle = openPostgres({ url: db.url, max: poolMax, prepare: true, applicationName: 'weir-bench-api' });
const store = { driver: 'postgres', sql: handle.sql, check: async () => ({ ok: true }) } as Partial<Store> as Store;
const lifecycle = new Lifecycle();
lifecycle.to('starting');
lifecycle.to('running');

async function listen(rateLimitPerSecond: number): Promise<{ url: string; server: ServerType }> {
  const app = createApp({
    config: loadConfig({ DATABASE_URL: db.url, WEIR_ADMIN_KEY: adminKey, WEIR_LOG_LEVEL: 'silent' }),
    store,
    lifecycle,
    log: createLogger('silent'),
    api: { rateLimitPerSecond, rateLimitBurst: 1_000_000 },
  });
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => resolve({ url: `http://127.0.0.1:${info.port}`, server }));
  });
}

async function run(title: string, opts: autocannon.Options): Promise<string[]> {
  // The load generator runs in a worker thread so it does not share the server's event loop.
  const r = await autocannon({ connections, duration: seconds, workers: 1, ...opts });
  const non2xx = r.non2xx + r.errors + r.timeouts;
  return [title, Math.round(r.requests.average).toLocaleString('en-US'), String(r.latency.p50), String(r.latency.p99), String(non2xx)];
}

const rows: string[][] = [];
const hello = readFileSync(new URL('../examples/hello.yaml', import.meta.url), 'utf8');
const stored = await newApiKey();
await insertApiKey(handle.sql, { hash: stored.hash, prefix: stored.prefix, namespaces: ['*'], role: 'admin' });

for (const variant of [
  { label: 'admin key, no rate limit', key: adminKey, rate: 0 },
  { label: 'stored key + rate limit', key: stored.key, rate: 1_000_000 },
]) {
  const { url, server } = await listen(variant.rate);
  const auth = { authorization: `Bearer ${variant.key}` };
  await fetch(`${url}/v1/workflows`, { method: 'POST', headers: { ...auth, 'content-type': 'application/yaml' }, body: hello });
  const first = await fetch(`${url}/v1/workflows/examples/hello/instances`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: '{"name":"bench"}' });
  const { id } = (await first.json()) as { id: string };
  rows.push(
    await run(`POST …/instances (${variant.label})`, {
      url: `${url}/v1/workflows/examples/hello/instances`,
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: '{"name":"bench"}',
    }),
  );
  rows.push(await run(`GET /v1/instances/{id} (${variant.label})`, { url: `${url}/v1/instances/${id}`, headers: auth }));
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

console.log(`\nHTTP API on 127.0.0.1, ${connections} connections, ${seconds}s each, pool ${poolMax}\n`);
console.log('| request | req/s | p50 ms | p99 ms | non-2xx/errors |');
console.log('|---|---:|---:|---:|---:|');
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
await handle.close();
await db.close();
