/**
 * Edge entry: the Hono app with no loops, for platforms that run a request handler and nothing
 * else (Deno Deploy, Cloudflare-style `export default { fetch }` runtimes, Supabase Edge Functions).
 * Work advances when a cron trigger calls the authenticated, bounded `POST /v1/admin/drain`
 * (src/api/routes/drain.ts). Per isolate, the store opens on the first request and is reused;
 * migrations are not run here (run `weir migrate` when deploying), and there is no budget guard or
 * LISTEN: keep WEIR_DB_POOL_MAX small and point DATABASE_URL at a transaction pooler
 * (WEIR_DB_PREPARE=false). docs/DEPLOY.md has the complete recipe.
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import { createApp, type AppEnv } from '../api/app.ts';
import { loadConfig, type Env } from '../config.ts';
import { WeirError } from '../errors.ts';
import { Lifecycle } from '../lifecycle.ts';
import { createLogger, type Logger } from '../log.ts';
import { openStore, type Store } from '../store/open.ts';
import { createRunner } from './create-runner.ts';

export interface EdgeOptions {
  /** The environment; default: Cloudflare-style bindings passed to fetch, else Deno.env, else process.env. */
  env?: Env;
  /** A path prefix the platform adds (Supabase: `/<function-name>`), stripped before routing. */
  basePath?: string;
  log?: Logger;
}

export interface EdgeHandler {
  fetch(request: Request, bindings?: Record<string, unknown>): Promise<Response>;
  /** Closes the store (tests; platforms recycle isolates without asking). */
  close(): Promise<void>;
}

/** The ambient environment where the platform keeps it, as strings. */
function ambientEnv(bindings?: Record<string, unknown>): Env {
  if (bindings && Object.keys(bindings).length) {
    return Object.fromEntries(Object.entries(bindings).filter(([, v]) => typeof v === 'string')) as Env;
  }
  const g = globalThis as { Deno?: { env: { toObject(): Record<string, string> } }; process?: { env: Env } };
  return g.Deno?.env.toObject() ?? g.process?.env ?? {};
}

export function createEdgeHandler(options: EdgeOptions = {}): EdgeHandler {
  let ready: Promise<{ app: OpenAPIHono<AppEnv>; store: Store }> | undefined;
  const init = async (bindings?: Record<string, unknown>) => {
    const env = options.env ?? ambientEnv(bindings);
    const config = loadConfig(env);
    if (config.database.kind !== 'postgres') {
      throw new WeirError('config_invalid', 'the edge entry needs DATABASE_URL (a Postgres server): there is no local disk for the embedded database');
    }
    const log = options.log ?? createLogger(config.logLevel, { role: 'edge' });
    const store = await openStore(config.database, { poolMax: config.pool.max, applicationName: 'weir-edge' });
    const lifecycle = new Lifecycle();
    lifecycle.to('starting');
    lifecycle.to('running');
    const runner = createRunner(config, store, log, env, { name: 'weir-edge', version: '0.1.0' });
    const app = createApp({ config, store, lifecycle, log, drain: (o) => runner.drain(o) });
    return { app, store };
  };
  const prefix = options.basePath?.replace(/\/+$/, '');
  return {
    async fetch(request, bindings) {
      // A failed start is not cached: the next request tries again (e.g. the database was down).
      const current = (ready ??= init(bindings).catch((error: unknown) => {
        ready = undefined;
        throw error;
      }));
      const { app } = await current;
      if (prefix) {
        const url = new URL(request.url);
        if (url.pathname === prefix || url.pathname.startsWith(`${prefix}/`)) {
          url.pathname = url.pathname.slice(prefix.length) || '/';
          request = new Request(url, request);
        }
      }
      return app.fetch(request);
    },
    async close() {
      const current = ready;
      ready = undefined;
      if (current) await (await current).store.close();
    },
  };
}

const handler = createEdgeHandler();

/**
 * Deno Deploy (`deno serve`) and Cloudflare-style runtimes take this as-is: `export default { fetch }`.
 * Cloudflare passes its bindings (secrets, vars) as the second argument; they become the environment.
 */
export default {
  fetch: (request: Request, bindings?: Record<string, unknown>) => handler.fetch(request, bindings),
};

/**
 * Supabase Edge Functions: `Deno.serve(supabaseHandler('weir'))` in `supabase/functions/weir/index.ts`.
 * Requests arrive as `/<function-name>/…`; the prefix is stripped so `/weir/v1/admin/drain` routes
 * to `/v1/admin/drain`.
 */
export function supabaseHandler(functionName: string): (request: Request) => Promise<Response> {
  const h = createEdgeHandler({ basePath: `/${functionName}` });
  return (request) => h.fetch(request);
}
