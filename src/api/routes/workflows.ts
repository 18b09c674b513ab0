/**
 * Workflow definitions: register (YAML or JSON; namespace, name and version come from the
 * document), list, versions, and one version (JSON, or its YAML source on `Accept: application/yaml`).
 */
import { onLimitPolicies } from '../../runner/flow.ts';
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { stringify as toYaml } from 'yaml';
import { parseDocument, validateWorkflow, type ValidationIssue } from '../../dsl/index.ts';
import { WeirError } from '../../errors.ts';
import { checkExpression } from '../../expr/check.ts';
import { getWorkflow, listVersions, listWorkflows } from '../../store/queries/workflows.ts';
import { queueOf, storeWorkflow } from '../../runner/definitions.ts';
import type { ApiContext, AppEnv } from '../context.ts';
import { authErrors, CursorQuery, IdempotencyHeaders, decodeCursor, encodeCursor, errors, iso, mediaType, pageSize, security } from '../common.ts';
import { allows, authorize, principalOf, visibleNamespaces } from '../auth.ts';
import { walkDocument } from '../../dsl/walk.ts';
import { problem, problemResponse } from '../problem.ts';

export const FlowOptions = z
  .object({
    concurrency: z
      .object({ limit: z.number().int(), key: z.string().optional(), onLimit: z.enum(onLimitPolicies) })
      .optional()
      .openapi({ description: 'at most `limit` running instances (per value of `key`, a jq expression over the input); past it a start is queued, skipped, or cancels the oldest running one' }),
    debounce: z
      .object({ window: z.unknown(), key: z.string().optional() })
      .optional()
      .openapi({ description: 'starts with the same key within `window` of the first collapse into one instance that starts when the window ends, with the last input' }),
  })
  .openapi('FlowOptions');

export const Registered = z
  .object({ namespace: z.string(), name: z.string(), version: z.string(), digest: z.string(), queue: z.string(), flow: FlowOptions.optional() })
  .openapi('RegisteredWorkflow');

const VersionInfo = z.object({ version: z.string(), digest: z.string(), queue: z.string(), createdAt: z.string() });
const WorkflowVersions = z
  .object({ namespace: z.string(), name: z.string(), latest: z.string(), versions: z.array(VersionInfo) })
  .openapi('WorkflowVersions');
const WorkflowSummary = z.object({ namespace: z.string(), name: z.string(), latest: z.string(), versions: z.array(z.string()) });
const WorkflowPage = z.object({ items: z.array(WorkflowSummary), next: z.string().nullable() }).openapi('WorkflowPage');
const WorkflowDocument = z
  .object({
    namespace: z.string(),
    name: z.string(),
    version: z.string(),
    digest: z.string(),
    queue: z.string(),
    createdAt: z.string(),
    document: z.record(z.string(), z.unknown()),
  })
  .openapi('WorkflowDocument');

const Path = z.object({
  namespace: z.string().openapi({ param: { name: 'namespace', in: 'path' } }),
  name: z.string().openapi({ param: { name: 'name', in: 'path' } }),
});

const register = createRoute({
  method: 'post',
  path: '/v1/workflows',
  tags: ['workflows'],
  summary: 'Register a workflow document (YAML or JSON)',
  description:
    'Namespace, name and version come from the document\'s `document:` section. The same document again is 200; a different document under an existing version is 409. Validation reports every problem at once, each with a JSON pointer into the document.',
  security,
  request: {
    headers: IdempotencyHeaders,
    query: z.object({
      queue: z.string().optional().openapi({ description: 'queue the instances run on; else `document.metadata.weir.queue`, else `weir_default`' }),
      concurrency: z.coerce.number().int().min(1).max(100_000).optional().openapi({ description: 'at most this many running instances (overrides `document.metadata.weir.concurrency.limit`)' }),
      concurrencyKey: z.string().min(1).optional().openapi({ description: 'a `${ jq }` expression over the input: the limit applies per value (e.g. `${ .customerId }`)' }),
      onLimit: z.enum(onLimitPolicies).optional().openapi({ description: 'what a start past the limit does: `queue` (default; FIFO per key), `skip`, `cancel-previous`' }),
      debounceWindow: z.string().optional().openapi({ description: 'ISO 8601 duration (e.g. `PT5S`): starts within it collapse into one (overrides `document.metadata.weir.debounce.window`)' }),
      debounceKey: z.string().min(1).optional().openapi({ description: 'a `${ jq }` expression over the input: debounce per value' }),
    }),
    body: {
      required: true,
      content: {
        'application/yaml': { schema: { type: 'string', description: 'a Serverless Workflow DSL 1.0 document' } },
        'application/json': { schema: { type: 'object', description: 'a Serverless Workflow DSL 1.0 document' } },
      },
    },
  },
  responses: {
    201: { description: 'registered', content: { 'application/json': { schema: Registered } }, headers: { Location: { schema: { type: 'string' } } } },
    200: { description: 'this exact document was already registered', content: { 'application/json': { schema: Registered } } },
    ...errors(400, 409, 413, 415, 422, ...authErrors),
  },
});

const list = createRoute({
  method: 'get',
  path: '/v1/workflows',
  tags: ['workflows'],
  summary: 'List workflows (one entry per namespace/name, with its versions)',
  security,
  request: { query: z.object({ namespace: z.string().optional(), ...CursorQuery }) },
  responses: { 200: { description: 'a page', content: { 'application/json': { schema: WorkflowPage } } }, ...errors(422, ...authErrors) },
});

const versions = createRoute({
  method: 'get',
  path: '/v1/workflows/{namespace}/{name}',
  tags: ['workflows'],
  summary: 'The versions of a workflow, highest first',
  security,
  request: { params: Path },
  responses: { 200: { description: 'versions', content: { 'application/json': { schema: WorkflowVersions } } }, ...errors(404, ...authErrors) },
});

const one = createRoute({
  method: 'get',
  path: '/v1/workflows/{namespace}/{name}/{version}',
  tags: ['workflows'],
  summary: 'One version of a workflow (its YAML source on Accept: application/yaml)',
  security,
  request: { params: Path.extend({ version: z.string().openapi({ param: { name: 'version', in: 'path' } }) }) },
  responses: {
    200: {
      description: 'the document',
      content: { 'application/json': { schema: WorkflowDocument }, 'application/yaml': { schema: { type: 'string' } } },
    },
    ...errors(404, ...authErrors),
  },
});

const issuesToErrors = (issues: readonly ValidationIssue[]) =>
  issues.map((i) => ({
    pointer: i.pointer,
    message: i.line !== undefined ? `${i.message} (line ${i.line}, column ${i.column ?? 1})` : i.message,
    code: i.code,
    ...(i.line !== undefined ? { line: i.line, column: i.column } : {}),
  }));

/**
 * `run: workflow` starts an instance in the namespace it names (the runner does not check), with
 * that namespace's secrets, and the parent reads its output. So registering a workflow that runs
 * workflows of another namespace takes what starting them through the API takes: write there.
 * Without this a key scoped to namespace A could start — and read — B's workflows. The namespace
 * is a literal string in the DSL, so the check here is complete.
 */
function authorizeChildren(c: Context, document: unknown, own: string): void {
  const p = principalOf(c);
  walkDocument(document, {
    task({ task, pointer }) {
      const run = task.run as { workflow?: { namespace?: unknown } } | undefined;
      const target = run?.workflow?.namespace;
      if (typeof target !== 'string' || target === own || allows(p, 'write', target)) return;
      const at = `${pointer}/run/workflow/namespace`;
      throw new WeirError('forbidden', `this workflow runs workflows of namespace "${target}" (${at}); registering it needs role write in "${target}", which this API key (namespaces ${p.namespaces.join(',')}) lacks`, {
        errors: [{ pointer: at, message: `needs role write in namespace "${target}"` }],
      });
    },
  });
}

export function registerWorkflowRoutes(app: OpenAPIHono<AppEnv>, ctx: ApiContext): void {
  app.openapi(register, async (c) => {
    const type = mediaType(c);
    const format = ['application/yaml', 'application/x-yaml', 'text/yaml'].includes(type)
      ? ('yaml' as const)
      : type === 'application/json'
        ? ('json' as const)
        : type === ''
          ? undefined
          : null;
    if (format === null) {
      return problemResponse(c, problem(415, 'unsupported_media_type', `send the document as application/yaml or application/json (got ${type})`)) as never;
    }
    const source = await c.req.text();
    const parsed = parseDocument(source, format);
    if (!parsed.ok) {
      const tooLarge = parsed.errors.some((e) => e.code === 'too_large');
      return problemResponse(c, problem(tooLarge ? 413 : 422, 'invalid_document', 'the document could not be parsed', issuesToErrors(parsed.errors))) as never;
    }
    const checked = validateWorkflow(parsed.value, { checkExpression });
    if (!checked.ok) {
      const located = checked.errors.map((e) => ({ ...e, ...(e.line === undefined ? parsed.locate(e.pointer) : {}) }));
      return problemResponse(
        c,
        problem(422, 'validation_failed', `the workflow has ${checked.errors.length} problem(s)`, issuesToErrors(located)),
      ) as never;
    }
    const doc = parsed.value as { document: { namespace: string; name: string; version: string } };
    const { namespace, name, version } = doc.document;
    authorize(c, 'write', namespace);
    authorizeChildren(c, parsed.value, namespace);
    const q = c.req.valid('query');
    const queue = queueOf(parsed.value as Record<string, unknown>, q.queue);
    const flow = {
      ...(q.concurrency !== undefined ? { concurrency: q.concurrency } : {}),
      ...(q.concurrencyKey !== undefined ? { concurrencyKey: q.concurrencyKey } : {}),
      ...(q.onLimit !== undefined ? { onLimit: q.onLimit } : {}),
      ...(q.debounceWindow !== undefined ? { debounceWindow: q.debounceWindow } : {}),
      ...(q.debounceKey !== undefined ? { debounceKey: q.debounceKey } : {}),
    };
    const result = await storeWorkflow(ctx.sql(), { document: parsed.value as Record<string, unknown>, workflow: checked.workflow, source, queue, flow });
    const body = { namespace, name, version, digest: result.digest, queue: result.queue, ...(result.flow ? { flow: result.flow } : {}) };
    if (result.outcome === 'unchanged') return c.json(body, 200);
    c.header('Location', `/v1/workflows/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}/${encodeURIComponent(version)}`);
    return c.json(body, 201);
  });

  app.openapi(list, async (c) => {
    const q = c.req.valid('query');
    const limit = pageSize(q.limit, ctx.options);
    const after = decodeCursor(q.cursor, (v): v is { namespace: string; name: string } =>
      typeof v === 'object' && v !== null && typeof (v as { namespace?: unknown }).namespace === 'string' && typeof (v as { name?: unknown }).name === 'string',
    );
    const visible = visibleNamespaces(c);
    const namespaces = q.namespace !== undefined ? (visible && !visible.includes(q.namespace) ? [] : [q.namespace]) : visible;
    const rows = namespaces && namespaces.length === 0 ? [] : await listWorkflows(ctx.sql(), { namespaces, limit: limit + 1, after });
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return c.json({ items, next: rows.length > limit && last ? encodeCursor({ namespace: last.namespace, name: last.name }) : null }, 200);
  });

  app.openapi(versions, async (c) => {
    const { namespace, name } = c.req.valid('param');
    authorize(c, 'read', namespace);
    const rows = await listVersions(ctx.sql(), namespace, name);
    if (!rows.length) throw new WeirError('not_found', `no workflow ${namespace}/${name} is registered`);
    return c.json(
      {
        namespace,
        name,
        latest: rows[0].version,
        versions: rows.map((r) => ({ version: r.version, digest: r.digest, queue: r.queue, createdAt: r.createdAt.toISOString() })),
      },
      200,
    );
  });

  app.openapi(one, async (c) => {
    const { namespace, name, version } = c.req.valid('param');
    authorize(c, 'read', namespace);
    const row = await getWorkflow(ctx.sql(), namespace, name, version);
    if (!row) throw new WeirError('not_found', `no version ${version} of workflow ${namespace}/${name} is registered`);
    const accept = c.req.header('accept') ?? '';
    if (/application\/(x-)?yaml|text\/yaml/.test(accept) && !/application\/json/.test(accept)) {
      const text = row.source && !/^\s*\{/.test(row.source) ? row.source : toYaml(row.document);
      return c.body(text, 200, { 'content-type': 'application/yaml; charset=utf-8' });
    }
    return c.json(
      {
        namespace,
        name,
        version,
        digest: row.digest,
        queue: row.queue,
        createdAt: iso(row.createdAt) as string,
        document: row.document as Record<string, unknown>,
      },
      200,
    );
  });
}
