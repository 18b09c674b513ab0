/** `POST /v1/events`: CloudEvents in structured, batch or binary mode, stored through `insertEvents`. */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { WeirError } from '../../errors.ts';
import { authorize } from '../auth.ts';
import { fromBinary, validateEvents } from '../cloudevents.ts';
import { assertStorable, authErrors, errors, IdempotencyHeaders, mediaType, security } from '../common.ts';
import type { ApiContext, AppEnv } from '../context.ts';
import { problem, problemResponse } from '../problem.ts';
import { publishEvents } from '../publish.ts';

const Accepted = z.object({ accepted: z.number().int(), duplicates: z.number().int() }).openapi('EventsAccepted');

const publish = createRoute({
  method: 'post',
  path: '/v1/events',
  tags: ['events'],
  summary: 'Publish CloudEvents (structured, batch, or binary mode)',
  description:
    'Events are deduplicated by source and id. Binary mode: the attributes travel as `ce-*` headers and the body is the data. Needs a `write` key for every namespace (`*`): events wake listeners in any namespace.',
  security,
  request: {
    headers: IdempotencyHeaders,
    body: {
      required: true,
      content: {
        'application/cloudevents+json': { schema: { $ref: '#/components/schemas/CloudEvent' } },
        'application/cloudevents-batch+json': { schema: { type: 'array', items: { $ref: '#/components/schemas/CloudEvent' } } },
        '*/*': { schema: { description: 'binary mode: the event data, with ce-id, ce-source, ce-specversion, ce-type headers' } },
      },
    },
  },
  responses: { 202: { description: 'stored', content: { 'application/json': { schema: Accepted } } }, ...errors(400, 413, 415, 422, ...authErrors) },
});

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new WeirError('validation_failed', `the body is not valid JSON: ${(e as Error).message}`, { status: 400, errors: [{ pointer: '', message: 'invalid JSON' }] });
  }
}

export function registerEventRoutes(app: OpenAPIHono<AppEnv>, ctx: ApiContext): void {
  app.openapi(publish, async (c) => {
    authorize(c, 'write', '*');
    const type = mediaType(c);
    let values: unknown[];
    let batch = false;
    if (type === 'application/cloudevents+json') {
      values = [parseJson(await c.req.text())];
    } else if (type === 'application/cloudevents-batch+json') {
      const v = parseJson(await c.req.text());
      if (!Array.isArray(v)) throw new WeirError('validation_failed', 'a batch is a JSON array of events', { errors: [{ pointer: '', message: 'expected an array' }] });
      values = v;
      batch = true;
    } else if (c.req.header('ce-specversion') !== undefined) {
      const r = fromBinary(c.req.raw.headers, new Uint8Array(await c.req.arrayBuffer()));
      if (!r.ok) throw new WeirError('validation_failed', r.message, { status: 400, errors: [{ pointer: '', message: 'invalid JSON' }] });
      values = [r.value];
    } else {
      return problemResponse(
        c,
        problem(415, 'unsupported_media_type', 'send application/cloudevents+json, application/cloudevents-batch+json, or binary mode (ce-specversion, ce-id, ce-source, ce-type headers)'),
      ) as never;
    }
    values.forEach((v, i) => assertStorable(v, batch ? `/${i}` : ''));
    const parsed = validateEvents(values, batch);
    if (!parsed.ok) throw new WeirError('validation_failed', 'the event is not a valid CloudEvent 1.0', { errors: parsed.errors });
    const { inserted } = await publishEvents(ctx.sql(), parsed.events);
    return c.json({ accepted: inserted, duplicates: parsed.events.length - inserted }, 202);
  });
}
