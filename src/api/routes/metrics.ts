/**
 * `GET /metrics`: Prometheus text. HTTP requests by route and status (counted by the app),
 * queue depth and oldest-message age per queue (`pgmq.metrics_all()`), instances by status,
 * concurrency slots in use and queued per scope,
 * and whatever the runner registered on the default registry. Needs a key valid for every
 * namespace (`*`, any role): the figures span all namespaces.
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { pgmq } from '../../store/queries/pgmq.ts';
import { slotsInUse } from '../../runner/flow.ts';
import { authorize } from '../auth.ts';
import { authErrors, errors, security } from '../common.ts';
import type { ApiContext, AppEnv } from '../context.ts';

const route = createRoute({
  method: 'get',
  path: '/metrics',
  tags: ['ops'],
  summary: 'Prometheus metrics (text exposition format)',
  security,
  responses: {
    200: { description: 'metrics', content: { 'text/plain; version=0.0.4': { schema: z.string() } } },
    ...errors(...authErrors),
  },
});

export function registerMetricsRoute(app: OpenAPIHono<AppEnv>, ctx: ApiContext): void {
  ctx.metrics.register({
    name: 'weir_queue_depth',
    help: 'Messages in the queue (visible or not)',
    type: 'gauge',
    collect: async () => (await pgmq.metricsAll(ctx.sql())).map((m) => ({ labels: { queue: m.queueName }, value: m.queueLength })),
  });
  ctx.metrics.register({
    name: 'weir_queue_oldest_message_age_seconds',
    help: 'Age of the oldest message in the queue (lag); 0 when empty',
    type: 'gauge',
    collect: async () => (await pgmq.metricsAll(ctx.sql())).map((m) => ({ labels: { queue: m.queueName }, value: m.oldestMsgAgeSec ?? 0 })),
  });
  ctx.metrics.register({
    name: 'weir_instances',
    help: 'Instances by status',
    type: 'gauge',
    collect: async () => {
      const rows = await ctx.sql()<{ status: string; n: number }>`SELECT status, count(*)::int AS n FROM weir.instances GROUP BY status`;
      return rows.map((r) => ({ labels: { status: r.status }, value: Number(r.n) }));
    },
  });
  // Flow control: slots held and instances queued per concurrency scope (the 100 busiest).
  const slots = async () => slotsInUse(ctx.sql(), 100);
  ctx.metrics.register({
    name: 'weir_concurrency_slots_in_use',
    help: 'Concurrency slots held, per scope (namespace/workflow#key; the 100 busiest scopes)',
    type: 'gauge',
    collect: async () => (await slots()).map((r) => ({ labels: { scope: r.scope }, value: r.used })),
  });
  ctx.metrics.register({
    name: 'weir_concurrency_queued',
    help: 'Instances queued behind a concurrency limit, per scope (the 100 busiest scopes)',
    type: 'gauge',
    collect: async () => (await slots()).map((r) => ({ labels: { scope: r.scope }, value: r.queued })),
  });
  app.openapi(route, async (c) => {
    authorize(c, 'read', '*');
    return c.text(await ctx.metrics.render(), 200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
  });
}
