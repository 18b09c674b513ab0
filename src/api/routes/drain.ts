/**
 * `POST /v1/admin/drain`: one bounded drain of the work queues per request, for platforms that
 * cannot hold a poll loop (edge functions triggered by cron). Admin role over every namespace. The
 * body caps the drain by messages and by milliseconds, each within an upper bound, so one call
 * always fits an edge platform's request limit; it answers with what it did (the runner's
 * DrainReport) and why it stopped, so a caller can call again at once when the cap, not idleness,
 * stopped it. Concurrent calls are safe: messages are read with a visibility timeout (SKIP LOCKED),
 * so two drains never take the same message.
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { WeirError } from '../../errors.ts';
import type { DrainOptions, DrainReport } from '../../runner/index.ts';
import { authorize } from '../auth.ts';
import { authErrors, errors, security } from '../common.ts';
import type { AppEnv } from '../context.ts';

/**
 * Upper bounds. 60 s: within the request limits of the edge platforms we document (Supabase Edge
 * Functions 150 s wall clock, Deno Deploy and Cloudflare Workers cron ≥ 30 s); the time cap is
 * checked between sweeps, so one sweep (at most WEIR_BATCH_SIZE messages) may run past it.
 */
export const drainLimits = { maxMessages: 1_000, maxMillis: 60_000, defaultMessages: 100, defaultMillis: 10_000 } as const;

export const DrainRequest = z
  .object({
    maxMessages: z.number().int().min(1).max(drainLimits.maxMessages).default(drainLimits.defaultMessages),
    maxMillis: z.number().int().min(1).max(drainLimits.maxMillis).default(drainLimits.defaultMillis),
  })
  .strict()
  .openapi('DrainRequest');

export const DrainResult = z
  .object({
    messages: z.number().int().openapi({ description: 'messages read' }),
    done: z.number().int(),
    stale: z.number().int(),
    conflicts: z.number().int(),
    dead: z.number().int(),
    errors: z.number().int(),
    limited: z.number().int().openapi({ description: 'activations handed back by a task rate limit' }),
    timersFired: z.number().int(),
    schedulesFired: z.number().int(),
    ms: z.number(),
    stoppedBy: z.enum(['idle', 'maxMessages', 'maxMillis']).openapi({ description: '`idle`: no work left; otherwise a cap stopped it — call again' }),
  })
  .openapi('DrainReport');

const route = createRoute({
  method: 'post',
  path: '/v1/admin/drain',
  tags: ['ops'],
  summary: 'Run one bounded drain of the work queues (edge platforms: call from a cron trigger)',
  security,
  request: { body: { required: false, content: { 'application/json': { schema: DrainRequest } } } },
  responses: {
    200: { description: 'what the drain did', content: { 'application/json': { schema: DrainResult } } },
    ...errors(...authErrors, 422, 503),
  },
});

export interface DrainRouteDeps {
  /** The runner's drain (Runner#drain), or any function with its contract; absent: 503. */
  drain?: (options: DrainOptions) => Promise<DrainReport>;
}

export function registerDrainRoute(app: OpenAPIHono<AppEnv>, deps: DrainRouteDeps): void {
  app.openapi(route, async (c) => {
    authorize(c, 'admin', '*');
    if (!deps.drain) {
      throw new WeirError('not_available_here', 'this process runs no runner (weir api): call the drain on weir serve, weir worker or the edge entry', { status: 503 });
    }
    // An empty body means the defaults (a cron trigger often sends none).
    const body = c.req.header('content-type')?.includes('json') ? c.req.valid('json') : DrainRequest.parse({});
    const report = await deps.drain({ maxMessages: body.maxMessages, maxMillis: body.maxMillis });
    const stoppedBy = report.messages >= body.maxMessages ? 'maxMessages' : report.ms >= body.maxMillis ? 'maxMillis' : 'idle';
    return c.json({ ...report, stoppedBy } as const, 200);
  });
}
