/**
 * Liveness (process up: no database call) and readiness (database reachable, migrations current,
 * not draining). Orchestrators route traffic on readiness and restart on liveness.
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv, AppDeps } from './app.ts';

const Health = z
  .object({
    status: z.enum(['ok', 'unavailable']),
    checks: z.record(z.string(), z.string()).optional(),
  })
  .openapi('Health');

const live = createRoute({
  method: 'get',
  path: '/health/live',
  tags: ['ops'],
  summary: 'The process is up (no database call)',
  responses: { 200: { description: 'alive', content: { 'application/json': { schema: Health } } } },
});

const ready = createRoute({
  method: 'get',
  path: '/health/ready',
  tags: ['ops'],
  summary: 'The database is reachable, migrations are current and the process is not draining',
  responses: {
    200: { description: 'ready', content: { 'application/json': { schema: Health } } },
    503: { description: 'not ready', content: { 'application/json': { schema: Health } } },
  },
});

export function registerHealth(app: OpenAPIHono<AppEnv>, deps: AppDeps): void {
  app.openapi(live, (c) => c.json({ status: 'ok' as const }, 200));
  app.openapi(ready, async (c) => {
    const checks: Record<string, string> = {};
    const phase = deps.lifecycle.phase;
    checks.lifecycle = phase;
    const db = await deps.store.check();
    checks.database = db.ok ? 'ok' : db.reason;
    const ok = db.ok && phase === 'running';
    return c.json({ status: ok ? ('ok' as const) : ('unavailable' as const), checks }, ok ? 200 : 503);
  });
}
