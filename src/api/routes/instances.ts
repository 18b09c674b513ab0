/**
 * Instances: start (row and `start` message in one transaction; `Idempotency-Key`; `?wait=`
 * blocks until the instance ends or the wait runs out), read, list with filters, history.
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { WeirError } from '../../errors.ts';
import {
  getHistory,
  getInstance,
  listInstances,
  terminalStatuses,
  type InstanceRow,
} from '../../store/queries/instances.ts';
import { instanceStatuses } from '../../store/schema.ts';
import type { Sql } from '../../store/sql.ts';
import { startWorkflow } from '../../runner/flow.ts';
import { authorize, visibleNamespaces } from '../auth.ts';
import { getWorkflowRef } from '../../store/queries/workflows.ts';
import { authErrors, CursorQuery, IdempotencyHeaders, decodeCursor, encodeCursor, errors, iso, pageSize, readJson, security, Timestamp } from '../common.ts';
import type { ApiContext, AppEnv } from '../context.ts';

export const Instance = z
  .object({
    id: z.string().uuid(),
    namespace: z.string(),
    workflow: z.object({ name: z.string(), version: z.string() }),
    status: z.enum(instanceStatuses),
    input: z.unknown().optional(),
    output: z.unknown().optional(),
    error: z.unknown().optional(),
    createdAt: z.string(),
    updatedAt: z.string(),
    startedAt: z.string().nullable(),
    endedAt: z.string().nullable(),
  })
  .openapi('Instance');

const InstancePage = z.object({ items: z.array(Instance), next: z.string().nullable() }).openapi('InstancePage');
const HistoryEntry = z.object({ seq: z.number().int(), at: z.string(), kind: z.string(), taskRef: z.string().nullable(), data: z.unknown() });
const HistoryPage = z.object({ items: z.array(HistoryEntry), next: z.string().nullable() }).openapi('HistoryPage');

const StartedInstance = Instance.extend({
  outcome: z.enum(['started', 'existing', 'queued', 'skipped', 'debounced', 'delayed']).openapi({
    description:
      '`started`; `existing` (same Idempotency-Key); `queued` (waits for a concurrency slot); `skipped` (limit reached under `onLimit: skip`: this is the running instance, nothing was started); `delayed` (a new debounce window); `debounced` (folded into the open window: its input is now this one)',
  }),
}).openapi('StartedInstance');

const IdParam = z.object({ id: z.string().openapi({ param: { name: 'id', in: 'path' }, format: 'uuid' }) });

const start = createRoute({
  method: 'post',
  path: '/v1/workflows/{namespace}/{name}/instances',
  tags: ['instances'],
  summary: 'Start an instance (the body is its input)',
  description:
    'Answers 202 at once, or with `?wait=<seconds>` blocks until the instance ends (200 with its output) or the wait runs out (202 with its current state). An `Idempotency-Key` header makes retries safe.',
  security,
  request: {
    params: z.object({
      namespace: z.string().openapi({ param: { name: 'namespace', in: 'path' } }),
      name: z.string().openapi({ param: { name: 'name', in: 'path' } }),
    }),
    query: z.object({
      version: z.string().optional().openapi({ description: 'default: the highest semver registered' }),
      wait: z.coerce.number().min(0).optional().openapi({ description: 'seconds to wait for the end (bounded by the server)' }),
      priority: z.coerce.number().int().min(0).max(9).optional().openapi({ description: '0 (default) to 9: higher starts are read first from the queue (a quarter of every read stays oldest-first, so none starve)' }),
      debounceKey: z.string().min(1).max(512).optional().openapi({ description: 'collapse starts with this key within the debounce window into one instance (with the last input)' }),
      debounceWindow: z.string().optional().openapi({ description: 'ISO 8601 duration of the debounce window (default: the workflow’s `metadata.weir.debounce.window`)' }),
    }),
    headers: IdempotencyHeaders.extend({
      'weir-callback-url': z.string().optional().openapi({ description: 'POST the outcome here when the instance ends (Standard Webhooks signature; needs WEIR_CALLBACK_SECRET)' }),
      traceparent: z.string().optional().openapi({ description: 'W3C Trace Context: continued by the instance’s HTTP calls' }),
    }),
    body: { required: false, content: { 'application/json': { schema: { description: 'the instance input (any JSON value)' } } } },
  },
  responses: {
    202: {
      description: 'started, queued behind a concurrency limit, or delayed by a debounce window (or still running after the wait)',
      content: { 'application/json': { schema: StartedInstance } },
      headers: { Location: { schema: { type: 'string' } } },
    },
    200: { description: 'ended within the wait; or `outcome: skipped`: the concurrency limit was reached and this is the running instance', content: { 'application/json': { schema: StartedInstance } } },
    ...errors(400, 404, 409, 413, 422, ...authErrors),
  },
});

const get = createRoute({
  method: 'get',
  path: '/v1/instances/{id}',
  tags: ['instances'],
  summary: 'One instance',
  security,
  request: { params: IdParam },
  responses: { 200: { description: 'the instance', content: { 'application/json': { schema: Instance } } }, ...errors(404, ...authErrors) },
});

const list = createRoute({
  method: 'get',
  path: '/v1/instances',
  tags: ['instances'],
  summary: 'List instances, newest first',
  security,
  request: {
    query: z.object({
      namespace: z.string().optional(),
      workflow: z.string().optional().openapi({ description: 'workflow name' }),
      status: z.string().optional().openapi({ description: `comma-separated: ${instanceStatuses.join(', ')}` }),
      createdAfter: Timestamp.optional(),
      createdBefore: Timestamp.optional(),
      ...CursorQuery,
    }),
  },
  responses: { 200: { description: 'a page', content: { 'application/json': { schema: InstancePage } } }, ...errors(422, ...authErrors) },
});

const history = createRoute({
  method: 'get',
  path: '/v1/instances/{id}/history',
  tags: ['instances'],
  summary: "An instance's history, oldest first",
  security,
  request: { params: IdParam, query: z.object(CursorQuery) },
  responses: { 200: { description: 'a page', content: { 'application/json': { schema: HistoryPage } } }, ...errors(404, 422, ...authErrors) },
});

export function instanceView(r: InstanceRow) {
  return {
    id: r.id,
    namespace: r.namespace,
    workflow: { name: r.workflowName, version: r.workflowVersion },
    status: r.status,
    input: r.input,
    ...(r.output !== null ? { output: r.output } : {}),
    ...(r.error !== null ? { error: r.error } : {}),
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
    startedAt: iso(r.startedAt),
    endedAt: iso(r.endedAt),
  };
}

const ended = (r: InstanceRow) => terminalStatuses.includes(r.status);

/**
 * The pauses of `?wait=` between reads of the row: 2 ms, doubling to 500 ms. A workflow of a few
 * pure tasks ends within a few milliseconds of its start (an idle replica runs it on the start's
 * wake-up), so the first reads come soon — a first pause of 20 ms made such a start answer in 20
 * ms instead of 3 — and a long wait costs one read per 500 ms, about 16 reads in 5 s.
 */
export function waitPauses(ms: number): number[] {
  const out: number[] = [];
  for (let delay = 2, total = 0; total < ms; delay = Math.min(delay * 2, 500)) {
    out.push(Math.min(delay, ms - total));
    total += delay;
  }
  return out;
}

/** Reads the row until it ends or `ms` runs out, pausing as `waitPauses` says (the runner may be another process). */
async function waitForEnd(sql: Sql, instance: InstanceRow, ms: number, signal: AbortSignal | undefined): Promise<InstanceRow> {
  const deadline = Date.now() + ms;
  let current = instance;
  for (const pause of waitPauses(ms)) {
    if (ended(current) || Date.now() >= deadline || signal?.aborted) break;
    await new Promise((resolve) => setTimeout(resolve, Math.min(pause, Math.max(0, deadline - Date.now()))));
    current = (await getInstance(sql, current.id)) ?? current;
  }
  return current;
}

async function visibleInstance(c: Context, ctx: ApiContext, id: string): Promise<InstanceRow> {
  const row = await getInstance(ctx.sql(), id);
  if (!row) throw new WeirError('not_found', `no instance ${id}`);
  authorize(c, 'read', row.namespace);
  return row;
}

export function registerInstanceRoutes(app: OpenAPIHono<AppEnv>, ctx: ApiContext): void {
  app.openapi(start, async (c) => {
    const { namespace, name } = c.req.valid('param');
    const { version, wait, priority, debounceKey, debounceWindow } = c.req.valid('query');
    authorize(c, 'write', namespace);
    const { value: input, bytes } = await readJson(c, {});
    if (bytes > ctx.options.maxInputBytes) {
      throw new WeirError('payload_too_large', `the input is ${bytes} bytes; the limit is ${ctx.options.maxInputBytes} bytes`);
    }
    if (wait !== undefined && wait > ctx.options.waitMaxSeconds) {
      throw new WeirError('validation_failed', `wait may be at most ${ctx.options.waitMaxSeconds} seconds`, {
        errors: [{ pointer: '/query/wait', message: `at most ${ctx.options.waitMaxSeconds}` }],
      });
    }
    const sql = ctx.sql();
    const workflow = await getWorkflowRef(sql, namespace, name, version);
    if (!workflow) {
      const any = version === undefined ? undefined : await getWorkflowRef(sql, namespace, name);
      throw new WeirError(
        'not_found',
        any ? `workflow ${namespace}/${name} has no version ${version} (latest is ${any.version})` : `no workflow ${namespace}/${name} is registered`,
        version !== undefined && any ? { errors: [{ pointer: '/query/version', message: 'no such version' }] } : {},
      );
    }
    const { instance, outcome } = await startWorkflow(
      sql,
      {
        namespace,
        workflowName: name,
        workflowVersion: workflow.version,
        queue: workflow.queue,
        input,
        idempotencyKey: c.req.header('idempotency-key'),
        ...(priority ? { priority } : {}),
        ...traceOf(c.req.header('traceparent')),
        ...callbackOf(c.req.header('weir-callback-url'), ctx),
      },
      { ...(debounceKey !== undefined ? { debounceKey } : {}), ...(debounceWindow !== undefined ? { debounceWindow } : {}) },
    );
    const current = wait && outcome !== 'skipped' ? await waitForEnd(sql, instance, wait * 1000, c.req.raw.signal) : instance;
    c.header('Location', `/v1/instances/${current.id}`);
    return c.json({ ...instanceView(current), outcome }, ended(current) || outcome === 'skipped' ? 200 : 202);
  });

  app.openapi(get, async (c) => c.json(instanceView(await visibleInstance(c, ctx, c.req.valid('param').id)), 200));

  app.openapi(list, async (c) => {
    const q = c.req.valid('query');
    const limit = pageSize(q.limit, ctx.options);
    const statuses = q.status?.split(',').map((s) => s.trim()).filter(Boolean);
    const bad = statuses?.find((s) => !(instanceStatuses as readonly string[]).includes(s));
    if (bad !== undefined) {
      throw new WeirError('validation_failed', `unknown status "${bad}"`, { errors: [{ pointer: '/query/status', message: `one of ${instanceStatuses.join(', ')}` }] });
    }
    const before = decodeCursor(q.cursor, (v): v is string => typeof v === 'string' && /^[0-9a-f-]{36}$/.test(v));
    const visible = visibleNamespaces(c);
    const namespaces = q.namespace !== undefined ? (visible && !visible.includes(q.namespace) ? [] : [q.namespace]) : visible;
    const rows =
      namespaces && namespaces.length === 0
        ? []
        : await listInstances(
            ctx.sql(),
            {
              namespaces,
              workflowName: q.workflow,
              statuses: statuses as InstanceRow['status'][] | undefined,
              createdAfter: q.createdAfter ? new Date(q.createdAfter) : undefined,
              createdBefore: q.createdBefore ? new Date(q.createdBefore) : undefined,
            },
            { limit: limit + 1, before },
          );
    const items = rows.slice(0, limit);
    const next = rows.length > limit ? encodeCursor(items[items.length - 1].id) : null;
    return c.json({ items: items.map(instanceView), next }, 200);
  });

  app.openapi(history, async (c) => {
    const { id } = c.req.valid('param');
    const q = c.req.valid('query');
    await visibleInstance(c, ctx, id);
    const limit = pageSize(q.limit, ctx.options);
    const after = decodeCursor(q.cursor, (v): v is number => Number.isInteger(v));
    const rows = await getHistory(ctx.sql(), id, { afterSeq: after, limit: limit + 1 });
    const items = rows.slice(0, limit).map((r) => ({ seq: r.seq, at: r.at.toISOString(), kind: r.kind, taskRef: r.taskRef, data: r.data }));
    return c.json({ items, next: rows.length > limit ? encodeCursor(items[items.length - 1].seq) : null }, 200);
  });
}

/** W3C Trace Context: a valid `traceparent` on the start request is kept and continued by the instance's calls. */
function traceOf(header: string | undefined): { correlation?: { traceparent: string } } {
  if (!header || !/^00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$/.test(header.trim())) return {};
  return { correlation: { traceparent: header.trim() } };
}

/**
 * `Weir-Callback-Url`: the outcome is POSTed there when the instance ends, signed per Standard
 * Webhooks with WEIR_CALLBACK_SECRET (refused without one: an unsigned callback could be forged).
 */
function callbackOf(header: string | undefined, ctx: ApiContext): { callback?: { url: string } } {
  if (header === undefined) return {};
  const pointer = '/headers/weir-callback-url';
  if (!ctx.config.callbackSecret) {
    throw new WeirError('unprocessable', 'completion callbacks need WEIR_CALLBACK_SECRET on the server (they are signed)', { errors: [{ pointer, message: 'callbacks are not configured' }] });
  }
  let url: URL;
  try {
    url = new URL(header);
  } catch {
    throw new WeirError('validation_failed', 'Weir-Callback-Url must be an absolute http(s) URL', { errors: [{ pointer, message: 'not a URL' }] });
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || header.length > 2048) {
    throw new WeirError('validation_failed', 'Weir-Callback-Url must be an http(s) URL of at most 2048 characters', { errors: [{ pointer, message: 'expected an http(s) URL' }] });
  }
  return { callback: { url: url.toString() } };
}
