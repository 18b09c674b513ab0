/**
 * The Hono app: the only front door. Routes are declared with @hono/zod-openapi so the OpenAPI
 * document is generated from the code. Every response carries X-Request-Id; errors are problem+json.
 *
 * Request pipeline for `/v1/*`: request id and access log → metrics → body size cap (413 before
 * buffering) → API key → rate limit (429) → Idempotency-Key → route.
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import type { Config } from '../config.ts';
import type { Lifecycle } from '../lifecycle.ts';
import type { Logger } from '../log.ts';
import type { Store } from '../store/open.ts';
import type { DrainOptions, DrainReport } from '../runner/index.ts';
import { uuidv7 } from '../store/uuid.ts';
import { authenticate, authMode } from './auth.ts';
import { bodyCap } from './body-limit.ts';
import { CloudEventSchema } from './cloudevents.ts';
import type { ApiContext, AppEnv } from './context.ts';
import { SecretBox } from '../crypto.ts';
import { registerDocs } from './docs.ts';
import { registerHealth } from './health.ts';
import { idempotency } from './idempotency.ts';
import { defaultRegistry, MetricsRegistry } from '../metrics.ts';
import { defaultApiOptions, type ApiOptions } from './options.ts';
import { errorHandler, problem, problemResponse } from './problem.ts';
import { RateLimiter, rateLimit } from './rate-limit.ts';
import { overload } from './overload.ts';
import { registerControlRoutes } from './routes/control.ts';
import { registerOperationRoutes } from './routes/operations.ts';
import { registerSecretRoutes } from './routes/secrets.ts';
import { registerDrainRoute } from './routes/drain.ts';
import { registerEventRoutes } from './routes/events.ts';
import { registerHookRoutes } from './routes/hooks.ts';
import { registerInstanceRoutes } from './routes/instances.ts';
import { registerMetricsRoute } from './routes/metrics.ts';
import { registerWorkflowRoutes } from './routes/workflows.ts';
import { registerConsole } from '../console/index.ts';

export type { AppEnv } from './context.ts';

export interface AppDeps {
  config: Config;
  store: Store;
  lifecycle: Lifecycle;
  log: Logger;
  /** Limits and knobs; each missing one takes its default (src/api/options.ts). */
  api?: Partial<ApiOptions>;
  /** Where `/metrics` reads from; default: a registry of this app's own, including `defaultRegistry`. */
  metrics?: MetricsRegistry;
  /** The runner's bounded drain, behind `POST /v1/admin/drain`; absent (HTTP-only process): 503. */
  drain?: (options: DrainOptions) => Promise<DrainReport>;
}

/** Webhook deliveries carry a signature instead of an API key. */
const isHookDelivery = (c: Context) => c.req.method === 'POST' && /^\/v1\/hooks\/[^/]+$/.test(c.req.path);

const unless =
  (skip: (c: Context) => boolean, mw: MiddlewareHandler): MiddlewareHandler =>
  (c, next) =>
    skip(c) ? next() : mw(c, next);

export function createApp(deps: AppDeps): OpenAPIHono<AppEnv> {
  // Defaults, then the environment (config.api), then what an embedder passes.
  const options: ApiOptions = { ...defaultApiOptions, ...deps.config.api, ...deps.api };
  const metrics = deps.metrics ?? new MetricsRegistry([defaultRegistry]);
  const ctx: ApiContext = {
    config: deps.config,
    sql: () => deps.store.sql,
    options,
    log: deps.log,
    metrics,
    secretBox: options.encryptionKey ? new SecretBox(options.encryptionKey) : undefined,
    rateLimiter: new RateLimiter(options.rateLimitPerSecond, options.rateLimitBurst),
  };
  const mode = authMode(deps.config);
  deps.log.info(mode === 'open' ? 'API auth is off: embedded database on a loopback address' : 'API auth is on: API keys required', {
    auth: mode,
    host: deps.config.http.host,
    database: deps.config.database.kind,
  });

  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) => {
      if (!result.success) {
        // A JSON body's fields are pointed at from its root; other inputs under their location.
        const target = (result as { target?: string }).target;
        const base = !target || target === 'json' ? '' : `/${target === 'header' ? 'headers' : target}`;
        const errors = result.error.issues.map((i) => ({
          pointer: `${base}/${i.path.map((p) => String(p).replaceAll('~', '~0').replaceAll('/', '~1')).join('/')}`,
          message: i.message,
        }));
        return problemResponse(c, problem(422, 'validation_failed', 'the request is invalid', errors));
      }
    },
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description: 'An API key (`weir keys create`), or WEIR_ADMIN_KEY',
  });
  app.openAPIRegistry.register('CloudEvent', CloudEventSchema);

  const httpRequests = metrics.counter('weir_http_requests_total', 'HTTP requests by method, route and status');
  const httpDuration = metrics.histogram('weir_http_request_duration_seconds', 'HTTP request duration by route');
  app.use('*', async (c, next) => {
    const started = performance.now();
    const incoming = c.req.header('x-request-id');
    const requestId = incoming && /^[\w.:-]{1,128}$/.test(incoming) ? incoming : uuidv7();
    c.set('requestId', requestId);
    await next();
    c.header('X-Request-Id', requestId);
    const route = [...c.req.matchedRoutes].reverse().find((r) => r.method !== 'ALL')?.path ?? 'unmatched';
    const seconds = (performance.now() - started) / 1000;
    httpRequests.inc({ method: c.req.method, route, status: String(c.res.status) });
    httpDuration.observe(seconds, { route });
    const traceparent = c.req.header('traceparent');
    deps.log.info('request', {
      requestId,
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      ms: Math.round(seconds * 1000),
      ...(traceparent ? { traceparent } : {}),
    });
  });
  app.use(
    '/v1/*',
    bodyCap({
      maxSize: options.maxBodyBytes,
      onError: (c) => problemResponse(c, problem(413, 'payload_too_large', `the request body exceeds ${options.maxBodyBytes} bytes`)),
    }),
  );
  // Starts shed load (429 + Retry-After) before auth and the rate limit queue for a connection (src/api/overload.ts).
  const shed = deps.config.overload;
  if (shed) {
    const mw = overload({ maxPoolWaiting: shed.poolWaiting, maxBacklog: shed.backlog, gate: () => deps.store.gate, sql: ctx.sql, log: deps.log });
    app.use('/v1/workflows/:namespace/:name/instances', mw);
  }
  const auth = authenticate({ mode, sql: ctx.sql, adminKey: deps.config.adminKey });
  const limit = rateLimit({ sql: ctx.sql, limiter: ctx.rateLimiter });
  for (const path of ['/v1/*', '/metrics']) {
    app.use(path, unless(isHookDelivery, auth));
    app.use(path, unless(isHookDelivery, limit));
  }
  app.use('/v1/*', idempotency({ sql: ctx.sql, ttlSeconds: options.idempotencyTtlSeconds }));

  app.onError(errorHandler(deps.log));
  app.notFound((c) => problemResponse(c, problem(404, 'not_found', `no route for ${c.req.method} ${new URL(c.req.url).pathname}`)));
  registerHealth(app, deps);
  registerWorkflowRoutes(app, ctx);
  registerInstanceRoutes(app, ctx);
  // Bulk cancel (/v1/instances/cancel) before /v1/instances/{id}/… routes.
  registerOperationRoutes(app, ctx);
  registerControlRoutes(app, ctx);
  registerEventRoutes(app, ctx);
  registerHookRoutes(app, ctx);
  registerSecretRoutes(app, ctx);
  registerMetricsRoute(app, ctx);
  registerDrainRoute(app, { ...(deps.drain ? { drain: deps.drain } : {}) });
  // The connection-budget gate (Postgres): in use vs the limit the guard currently allows.
  const gate = () => deps.store.gate;
  metrics.register({
    name: 'weir_db_pool_in_use',
    help: 'Database connections in use by this replica',
    type: 'gauge',
    collect: () => (gate() ? [{ value: gate()!.inUse }] : []),
  });
  metrics.register({
    name: 'weir_db_pool_limit',
    help: "This replica's pool limit under the connection budget",
    type: 'gauge',
    collect: () => (gate() ? [{ value: gate()!.limit }] : []),
  });
  metrics.register({
    name: 'weir_db_pool_waiting',
    help: 'Callers waiting for a database connection',
    type: 'gauge',
    collect: () => (gate() ? [{ value: gate()!.waiting }] : []),
  });
  // Generated once, on first request: building it walks every route's schemas (~15 ms).
  let document: ReturnType<typeof app.getOpenAPI31Document> | undefined;
  app.get('/openapi.json', (c) => c.json((document ??= app.getOpenAPI31Document(openApiInfo))));
  registerDocs(app);
  // The console (/ui): server-rendered pages behind the same API keys, outside the OpenAPI document.
  registerConsole(app, ctx, { mode });
  return app;
}

export const openApiInfo = {
  openapi: '3.1.0',
  info: { title: 'Weir', version: '0.1.0', description: 'Durable Serverless Workflow (DSL 1.0) service on Postgres.' },
} as const;
