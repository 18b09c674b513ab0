/**
 * Instance control: cancel, suspend, resume (DESIGN §8), through the runner's control functions
 * (row lock; a started instance is cancelled by its interpreter, so children and timers end too).
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { WeirError } from '../../errors.ts';
import { cancelInstance, resumeInstance, suspendInstance } from '../../runner/control.ts';
import { getInstance, terminalStatuses } from '../../store/queries/instances.ts';
import { authorize } from '../auth.ts';
import { authErrors, errors, IdempotencyHeaders, readJson, security } from '../common.ts';
import type { ApiContext, AppEnv } from '../context.ts';
import { Instance, instanceView } from './instances.ts';

const IdParam = z.object({ id: z.string().openapi({ param: { name: 'id', in: 'path' }, format: 'uuid' }) });

const action = (verb: 'cancel' | 'suspend' | 'resume', summary: string, description: string) =>
  createRoute({
    method: 'post',
    path: `/v1/instances/{id}/${verb}`,
    tags: ['instances'],
    summary,
    description,
    security,
    request: {
      params: IdParam,
      headers: IdempotencyHeaders,
      ...(verb === 'cancel'
        ? {
            body: {
              required: false,
              // A plain schema (not zod): the body is read leniently whatever its Content-Type, and checked below.
              content: { 'application/json': { schema: { type: 'object' as const, properties: { reason: { type: 'string' as const, maxLength: 1000 } } } } },
            },
          }
        : {}),
    },
    responses: {
      200: { description: 'done (or nothing to do)', content: { 'application/json': { schema: Instance } } },
      ...(verb === 'cancel' ? { 202: { description: 'cancellation requested: the runner ends it', content: { 'application/json': { schema: Instance } } } } : {}),
      ...errors(404, 409, ...authErrors),
    },
  });

const cancel = action('cancel', 'Cancel an instance', 'Not yet started: cancelled at once (200). Running or waiting: the runner cancels it with its children and timers (202). Already ended: unchanged (200).');
const suspend = action('suspend', 'Suspend an instance', 'Its messages are parked until resume. 409 when it has ended.');
const resume = action('resume', 'Resume a suspended instance', 'Its parked messages become due now. 409 when it has ended.');

export function registerControlRoutes(app: OpenAPIHono<AppEnv>, ctx: ApiContext): void {
  const guard = async (c: Parameters<Parameters<typeof app.openapi>[1]>[0], id: string) => {
    const row = await getInstance(ctx.sql(), id);
    if (!row) throw new WeirError('not_found', `no instance ${id}`);
    authorize(c, 'write', row.namespace);
    return row;
  };

  app.openapi(cancel, async (c) => {
    const { id } = c.req.valid('param');
    const before = await guard(c, id);
    const { value } = await readJson(c, {});
    const reason = (value as { reason?: unknown } | null)?.reason;
    if (reason !== undefined && (typeof reason !== 'string' || reason.length > 1000)) {
      throw new WeirError('validation_failed', 'reason must be a string of at most 1000 characters', { errors: [{ pointer: '/reason', message: 'expected a string of at most 1000 characters' }] });
    }
    const row = await cancelInstance(ctx.sql(), id, reason ?? 'cancelled by request');
    const ended = terminalStatuses.includes(row.status);
    return c.json(instanceView(row), ended || terminalStatuses.includes(before.status) ? 200 : 202);
  });

  app.openapi(suspend, async (c) => {
    const { id } = c.req.valid('param');
    await guard(c, id);
    return c.json(instanceView(await suspendInstance(ctx.sql(), id)), 200);
  });

  app.openapi(resume, async (c) => {
    const { id } = c.req.valid('param');
    await guard(c, id);
    return c.json(instanceView(await resumeInstance(ctx.sql(), id)), 200);
  });
}
