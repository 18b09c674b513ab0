/**
 * Operations: bulk cancel by filter (bounded, reports how many it touched and whether more match),
 * rerun of an ended instance, retry of a faulted one from its failed task, schedules (list, pause, resume), and the dead-letter queue (list,
 * requeue).
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { WeirError } from '../../errors.ts';
import { cancelMatching, listDeadLetters, requeueDeadLetter, rerunInstance } from '../../runner/operations.ts';
import { retryInstance } from '../../runner/retry.ts';
import { listSchedules, setScheduleEnabled } from '../../scheduler/schedules.ts';
import { getInstance } from '../../store/queries/instances.ts';
import { authorize, visibleNamespaces } from '../auth.ts';
import { authErrors, errors, iso, security, Timestamp } from '../common.ts';
import type { ApiContext, AppEnv } from '../context.ts';
import { Instance, instanceView } from './instances.ts';

const BULK_MAX = 1000;

const bulkCancel = createRoute({
  method: 'post',
  path: '/v1/instances/cancel',
  tags: ['instances'],
  summary: 'Cancel every unended instance matching a filter (bounded)',
  description: `Cancels at most \`limit\` (≤ ${BULK_MAX}) instances, oldest first; \`more\` says whether others still match — call again.`,
  security,
  request: {
    body: {
      required: true,
      content: {
        'application/json': {
          schema: z.object({
            namespace: z.string().min(1),
            workflow: z.string().min(1).optional(),
            status: z.array(z.enum(['pending', 'running', 'waiting', 'suspended'])).optional(),
            createdAfter: Timestamp.optional(),
            createdBefore: Timestamp.optional(),
            limit: z.number().int().min(1).max(BULK_MAX).default(100),
            reason: z.string().max(1000).optional(),
          }),
        },
      },
    },
  },
  responses: {
    200: { description: 'what was cancelled', content: { 'application/json': { schema: z.object({ cancelled: z.number().int(), more: z.boolean() }) } } },
    ...errors(422, ...authErrors),
  },
});

const IdParam = z.object({ id: z.string().openapi({ param: { name: 'id', in: 'path' }, format: 'uuid' }) });

const rerun = createRoute({
  method: 'post',
  path: '/v1/instances/{id}/rerun',
  tags: ['instances'],
  summary: 'Start a new instance of the same workflow version with the same input',
  security,
  request: { params: IdParam },
  responses: {
    202: { description: 'the new instance', content: { 'application/json': { schema: Instance } } },
    ...errors(404, 409, ...authErrors),
  },
});

const RetriedInstance = Instance.extend({
  retry: z.object({
    task: z.string().openapi({ description: 'JSON pointer of the task that runs again' }),
    queued: z.boolean().openapi({ description: 'true: the workflow is at its concurrency limit and the instance waits for a slot (status `queued`)' }),
  }),
}).openapi('RetriedInstance');

const retry = createRoute({
  method: 'post',
  path: '/v1/instances/{id}/retry',
  tags: ['instances'],
  summary: 'Resume a faulted instance at the task that failed (the same instance; what completed before it is kept)',
  description:
    'The failed task runs again from its start (a new attempt, a new Idempotency-Key), and so does any task that was waiting when the instance faulted (a sibling fork branch); tasks that completed are not run again. 409 when the instance is not faulted, or faulted where no task can be run again (before it started, on its input or output, a workflow timeout, a poison message): the detail says why — rerun it instead.',
  security,
  request: { params: IdParam },
  responses: {
    202: { description: 'the instance, running (or queued for a concurrency slot) again', content: { 'application/json': { schema: RetriedInstance } } },
    ...errors(404, 409, ...authErrors),
  },
});

const Schedule = z
  .object({
    id: z.string(),
    namespace: z.string(),
    workflow: z.object({ name: z.string(), version: z.string() }),
    kind: z.enum(['cron', 'every', 'after', 'on']),
    spec: z.unknown(),
    timezone: z.string(),
    nextRunAt: z.string().nullable(),
    lastRunAt: z.string().nullable(),
    enabled: z.boolean(),
  })
  .openapi('Schedule');

const schedules = createRoute({
  method: 'get',
  path: '/v1/schedules',
  tags: ['schedules'],
  summary: 'List schedules (one per scheduled workflow, id `<namespace>.<name>`)',
  security,
  responses: { 200: { description: 'schedules', content: { 'application/json': { schema: z.object({ items: z.array(Schedule) }) } } }, ...errors(...authErrors) },
});

const scheduleAction = (verb: 'pause' | 'resume') =>
  createRoute({
    method: 'post',
    path: `/v1/schedules/{id}/${verb}`,
    tags: ['schedules'],
    summary: verb === 'pause' ? 'Pause a schedule' : 'Resume a schedule (the next run counts from now; the paused window is not replayed)',
    security,
    request: { params: z.object({ id: z.string().openapi({ param: { name: 'id', in: 'path' } }) }) },
    responses: { 200: { description: 'the schedule', content: { 'application/json': { schema: Schedule } } }, ...errors(404, ...authErrors) },
  });

const DeadLetter = z
  .object({ msgId: z.number().int(), queue: z.string(), originalMsgId: z.number().int(), readCt: z.number().int(), enqueuedAt: z.string(), message: z.unknown() })
  .openapi('DeadLetter');

const deadLetters = createRoute({
  method: 'get',
  path: '/v1/dead-letters',
  tags: ['ops'],
  summary: 'Messages moved to weir_dead after WEIR_MAX_DELIVERIES failed activations',
  security,
  request: { query: z.object({ limit: z.coerce.number().int().min(1).max(500).default(50), after: z.coerce.number().int().min(0).optional() }) },
  responses: { 200: { description: 'dead letters', content: { 'application/json': { schema: z.object({ items: z.array(DeadLetter) }) } } }, ...errors(...authErrors) },
});

const requeue = createRoute({
  method: 'post',
  path: '/v1/dead-letters/{msgId}/requeue',
  tags: ['ops'],
  summary: 'Put a dead message back on its queue (its instance is revived)',
  security,
  request: { params: z.object({ msgId: z.coerce.number().int().min(1).openapi({ param: { name: 'msgId', in: 'path' } }) }) },
  responses: {
    200: { description: 'requeued', content: { 'application/json': { schema: z.object({ queue: z.string(), instance: z.string().nullable() }) } } },
    ...errors(404, ...authErrors),
  },
});

const scheduleView = (s: Awaited<ReturnType<typeof listSchedules>>[number]) => ({
  id: s.id,
  namespace: s.namespace,
  workflow: { name: s.workflowName, version: s.workflowVersion },
  kind: s.kind,
  spec: s.spec,
  timezone: s.timezone,
  nextRunAt: iso(s.nextRunAt),
  lastRunAt: iso(s.lastRunAt),
  enabled: s.enabled,
});

export function registerOperationRoutes(app: OpenAPIHono<AppEnv>, ctx: ApiContext): void {
  app.openapi(bulkCancel, async (c) => {
    const body = c.req.valid('json');
    authorize(c, 'write', body.namespace);
    const result = await cancelMatching(
      ctx.sql(),
      {
        namespaces: [body.namespace],
        ...(body.workflow ? { workflowName: body.workflow } : {}),
        ...(body.status ? { statuses: body.status } : {}),
        ...(body.createdAfter ? { createdAfter: new Date(body.createdAfter) } : {}),
        ...(body.createdBefore ? { createdBefore: new Date(body.createdBefore) } : {}),
      },
      body.limit,
      body.reason ?? 'cancelled in bulk',
    );
    return c.json(result, 200);
  });

  app.openapi(rerun, async (c) => {
    const { id } = c.req.valid('param');
    const old = await getInstance(ctx.sql(), id);
    if (!old) throw new WeirError('not_found', `no instance ${id}`);
    authorize(c, 'write', old.namespace);
    const fresh = await rerunInstance(ctx.sql(), id);
    c.header('Location', `/v1/instances/${fresh.id}`);
    return c.json(instanceView(fresh), 202);
  });

  app.openapi(retry, async (c) => {
    const { id } = c.req.valid('param');
    const old = await getInstance(ctx.sql(), id);
    if (!old) throw new WeirError('not_found', `no instance ${id}`);
    authorize(c, 'write', old.namespace);
    const { instance, task, queued } = await retryInstance(ctx.sql(), id);
    c.header('Location', `/v1/instances/${instance.id}`);
    return c.json({ ...instanceView(instance), retry: { task, queued } }, 202);
  });

  app.openapi(schedules, async (c) => {
    const rows = await listSchedules(ctx.sql(), visibleNamespaces(c));
    return c.json({ items: rows.map(scheduleView) }, 200);
  });

  for (const verb of ['pause', 'resume'] as const) {
    app.openapi(scheduleAction(verb), async (c) => {
      const { id } = c.req.valid('param');
      const found = (await listSchedules(ctx.sql(), visibleNamespaces(c))).find((s) => s.id === id);
      if (!found) throw new WeirError('not_found', `no schedule ${id}`);
      authorize(c, 'write', found.namespace);
      return c.json(scheduleView(await setScheduleEnabled(ctx.sql(), id, verb === 'resume')), 200);
    });
  }

  app.openapi(deadLetters, async (c) => {
    authorize(c, 'admin', '*');
    const { limit, after } = c.req.valid('query');
    const items = await listDeadLetters(ctx.sql(), { limit, ...(after !== undefined ? { after } : {}) });
    return c.json({ items: items.map((d) => ({ ...d, enqueuedAt: String(d.enqueuedAt) })) }, 200);
  });

  app.openapi(requeue, async (c) => {
    authorize(c, 'admin', '*');
    const { msgId } = c.req.valid('param');
    return c.json(await requeueDeadLetter(ctx.sql(), msgId), 200);
  });
}

