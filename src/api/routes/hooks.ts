/**
 * Webhooks. Managed with `/v1/hooks` (create returns the signing secret once; rotate keeps the
 * old secret valid for a grace period; delete). Deliveries to `POST /v1/hooks/{name}` need no
 * API key: the signature is the credential. A verified delivery starts the hook's workflow with
 * the body as input, or publishes the body as a CloudEvent; a bad signature starts nothing.
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { WeirError } from '../../errors.ts';
import { deleteHook, getHook, getHookSecrets, insertHook, listHooks, recordDelivery, rotateHookSecret, type HookRow } from '../../store/queries/hooks.ts';
import { startWorkflow } from '../../runner/flow.ts';
import { uuidv7 } from '../../store/uuid.ts';
import { authorize, visibleNamespaces } from '../auth.ts';
import { MAX_KEY_ATTRIBUTE_BYTES } from '../cloudevents.ts';
import { assertStorable, authErrors, errors, IdempotencyHeaders, security } from '../common.ts';
import type { ApiContext, AppEnv } from '../context.ts';
import type { SecretBox } from '../../crypto.ts';
import { problem, problemResponse } from '../problem.ts';
import { publishEvents } from '../publish.ts';
import { getWorkflowRef } from '../../store/queries/workflows.ts';
import { newWebhookSecret, verifyWebhook } from '../webhooks.ts';
import { instanceView } from './instances.ts';

const fitsIndex = (s: string) => new TextEncoder().encode(s).length <= MAX_KEY_ATTRIBUTE_BYTES;
const tooLong = `at most ${MAX_KEY_ATTRIBUTE_BYTES} bytes (UTF-8)`;

const Target = z
  .discriminatedUnion('kind', [
    z.object({ kind: z.literal('start'), workflow: z.object({ name: z.string().min(1), version: z.string().min(1).optional() }) }),
    // type and source become the published event's indexed attributes: the same bound as POST /v1/events
    // (a refinement, not maxLength, so the OpenAPI document is unchanged).
    z.object({ kind: z.literal('event'), type: z.string().min(1).refine(fitsIndex, { error: tooLong }), source: z.string().min(1).refine(fitsIndex, { error: tooLong }).optional() }),
  ])
  .openapi('HookTarget');
const Hook = z
  .object({
    name: z.string(),
    namespace: z.string(),
    target: Target,
    verifier: z.enum(['standard', 'github']),
    createdAt: z.string(),
  })
  .openapi('Hook');
const NewHook = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/, { error: 'letters, digits, _ . - (at most 100)' }),
    namespace: z.string().min(1),
    target: Target,
    verifier: z.enum(['standard', 'github']).default('standard'),
  })
  .openapi('NewHook');
const CreatedHook = Hook.extend({ secret: z.string().openapi({ description: 'shown once: store it in the sender' }) }).openapi('CreatedHook');
const Rotated = z.object({ secret: z.string(), previousValidUntil: z.string() }).openapi('RotatedHookSecret');
const NameParam = z.object({ name: z.string().openapi({ param: { name: 'name', in: 'path' } }) });
const Delivered = z.object({ instance: z.unknown().optional(), event: z.object({ id: z.string(), type: z.string() }).optional() }).openapi('HookDelivered');

const create = createRoute({
  method: 'post',
  path: '/v1/hooks',
  tags: ['hooks'],
  summary: 'Create a webhook endpoint (returns its signing secret once)',
  security,
  request: { headers: IdempotencyHeaders, body: { required: true, content: { 'application/json': { schema: NewHook } } } },
  responses: { 201: { description: 'created', content: { 'application/json': { schema: CreatedHook } } }, ...errors(409, 422, 503, ...authErrors) },
});
const list = createRoute({
  method: 'get',
  path: '/v1/hooks',
  tags: ['hooks'],
  summary: 'List webhook endpoints (without secrets)',
  security,
  responses: { 200: { description: 'hooks', content: { 'application/json': { schema: z.object({ items: z.array(Hook) }) } } }, ...errors(...authErrors) },
});
const rotate = createRoute({
  method: 'post',
  path: '/v1/hooks/{name}/rotate',
  tags: ['hooks'],
  summary: 'Rotate the signing secret (the previous one stays valid for a grace period)',
  security,
  request: { params: NameParam },
  responses: { 200: { description: 'rotated', content: { 'application/json': { schema: Rotated } } }, ...errors(404, 503, ...authErrors) },
});
const remove = createRoute({
  method: 'delete',
  path: '/v1/hooks/{name}',
  tags: ['hooks'],
  summary: 'Delete a webhook endpoint',
  security,
  request: { params: NameParam },
  responses: { 204: { description: 'deleted' }, ...errors(404, ...authErrors) },
});
const deliver = createRoute({
  method: 'post',
  path: '/v1/hooks/{name}',
  tags: ['hooks'],
  summary: 'Deliver a webhook (Standard Webhooks or X-Hub-Signature-256 signed)',
  description:
    'No API key: the signature is the credential. Standard Webhooks: `webhook-id`, `webhook-timestamp` (within 5 minutes), `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`; a repeated `webhook-id` is refused. GitHub style: `X-Hub-Signature-256: sha256=<hex>`.',
  request: {
    params: NameParam,
    body: { required: false, content: { 'application/json': { schema: { description: 'the payload: instance input or event data' } } } },
  },
  responses: {
    202: { description: 'accepted: the instance started or the event stored', content: { 'application/json': { schema: Delivered } } },
    ...errors(400, 401, 404, 409, 413, 422, 429),
  },
});

const view = (h: HookRow) => ({ name: h.name, namespace: h.namespace, target: h.target, verifier: h.verifier, createdAt: h.createdAt.toISOString() });

function box(ctx: ApiContext): SecretBox {
  if (!ctx.secretBox) {
    throw new WeirError('config_invalid', 'webhook secrets are encrypted at rest: set WEIR_ENCRYPTION_KEY (32 random bytes, base64)', { status: 503 });
  }
  return ctx.secretBox;
}

export function registerHookRoutes(app: OpenAPIHono<AppEnv>, ctx: ApiContext): void {
  app.openapi(create, async (c) => {
    const body = c.req.valid('json');
    authorize(c, 'admin', body.namespace);
    const secret = newWebhookSecret();
    const row = await insertHook(ctx.sql(), { ...body, secret: await box(ctx).seal(secret) });
    if (!row) throw new WeirError('conflict', `a hook named "${body.name}" exists`, { errors: [{ pointer: '/name', message: 'already taken' }] });
    c.header('Location', `/v1/hooks/${encodeURIComponent(row.name)}`);
    return c.json({ ...view(row), secret }, 201);
  });

  app.openapi(list, async (c) => {
    const rows = await listHooks(ctx.sql(), visibleNamespaces(c));
    return c.json({ items: rows.map(view) }, 200);
  });

  app.openapi(rotate, async (c) => {
    const { name } = c.req.valid('param');
    const hook = await getHook(ctx.sql(), name);
    if (!hook) throw new WeirError('not_found', `no hook named "${name}"`);
    authorize(c, 'admin', hook.namespace);
    const secret = newWebhookSecret();
    const until = await rotateHookSecret(ctx.sql(), name, await box(ctx).seal(secret), ctx.options.hookSecretGraceSeconds);
    if (!until) throw new WeirError('not_found', `no hook named "${name}"`);
    return c.json({ secret, previousValidUntil: until.toISOString() }, 200);
  });

  app.openapi(remove, async (c) => {
    const { name } = c.req.valid('param');
    const hook = await getHook(ctx.sql(), name);
    if (!hook) throw new WeirError('not_found', `no hook named "${name}"`);
    authorize(c, 'admin', hook.namespace);
    await deleteHook(ctx.sql(), name);
    return c.body(null, 204);
  });

  app.openapi(deliver, async (c) => {
    const { name } = c.req.valid('param');
    const sql = ctx.sql();
    const hook = await getHookSecrets(sql, name);
    if (!hook) throw new WeirError('not_found', `no hook named "${name}"`);
    // Deliveries carry no API key: each hook has its own bucket, checked before any signature work.
    const r = await ctx.rateLimiter.take(sql, `hook:${name}`);
    if (!r.allowed) {
      return problemResponse(c, problem(429, 'rate_limited', `hook "${name}" is receiving more than ${ctx.rateLimiter.perSecond} deliveries per second`), {
        'Retry-After': String(r.retryAfterSeconds),
      }) as never;
    }
    const body = new Uint8Array(await c.req.arrayBuffer());
    const secrets = [await box(ctx).open(hook.secret), ...(hook.previousSecret ? [await box(ctx).open(hook.previousSecret)] : [])];
    const verdict = await verifyWebhook(hook.verifier, secrets, c.req.raw.headers, body, hook.nowSeconds, ctx.options.webhookToleranceSeconds);
    if (!verdict.ok) return problemResponse(c, problem(401, 'bad_signature', verdict.reason)) as never;
    const text = new TextDecoder().decode(body);
    let payload: unknown = text;
    if (/json/i.test(c.req.header('content-type') ?? 'application/json') || text.trim().startsWith('{')) {
      try {
        payload = text.trim() === '' ? {} : JSON.parse(text);
      } catch (e) {
        throw new WeirError('validation_failed', `the body is not valid JSON: ${(e as Error).message}`, { status: 400, errors: [{ pointer: '', message: 'invalid JSON' }] });
      }
    }
    assertStorable(payload);
    const result = await sql.begin(async (tx) => {
      if (verdict.deliveryId !== undefined && !(await recordDelivery(tx, name, verdict.deliveryId, ctx.options.webhookToleranceSeconds * 2))) {
        throw new WeirError('conflict', `delivery ${verdict.deliveryId} was already received`, { errors: [{ pointer: '/headers/webhook-id', message: 'replayed' }] });
      }
      const target = hook.target;
      if (target.kind === 'start') {
        const wf = await getWorkflowRef(tx, hook.namespace, target.workflow.name, target.workflow.version);
        if (!wf) throw new WeirError('not_found', `hook "${name}" starts ${hook.namespace}/${target.workflow.name}, which is not registered`);
        const { instance } = await startWorkflow(tx, {
          namespace: hook.namespace,
          workflowName: wf.name,
          workflowVersion: wf.version,
          queue: wf.queue,
          input: payload,
        });
        return { instance: instanceView(instance) };
      }
      const id = verdict.deliveryId ?? uuidv7();
      await publishEvents(tx, [
        {
          specversion: '1.0',
          id,
          source: target.source ?? `/v1/hooks/${name}`,
          type: target.type,
          datacontenttype: c.req.header('content-type') ?? 'application/json',
          data: payload,
        },
      ]);
      return { event: { id, type: target.type } };
    });
    return c.json(result, 202);
  });
}
