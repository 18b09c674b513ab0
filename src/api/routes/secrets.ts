/**
 * Workflow secrets per namespace (`$secrets`): write-only values, encrypted at rest with
 * WEIR_ENCRYPTION_KEY. Reads list names only; a value never leaves the server.
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { WeirError } from '../../errors.ts';
import { authorize } from '../auth.ts';
import { authErrors, errors, iso, security } from '../common.ts';
import type { ApiContext, AppEnv } from '../context.ts';

const params = z.object({
  namespace: z.string().regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/).openapi({ param: { name: 'namespace', in: 'path' } }),
  name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/).openapi({ param: { name: 'name', in: 'path' } }),
});
const SecretInfo = z.object({ namespace: z.string(), name: z.string(), createdAt: z.string().nullable() }).openapi('SecretInfo');

const put = createRoute({
  method: 'put',
  path: '/v1/secrets/{namespace}/{name}',
  tags: ['secrets'],
  summary: 'Set a workflow secret (write-only; encrypted at rest)',
  security,
  request: { params, body: { required: true, content: { 'application/json': { schema: z.object({ value: z.string().min(1).max(64 * 1024) }) } } } },
  responses: { 200: { description: 'stored', content: { 'application/json': { schema: SecretInfo } } }, ...errors(422, 503, ...authErrors) },
});
const list = createRoute({
  method: 'get',
  path: '/v1/secrets/{namespace}',
  tags: ['secrets'],
  summary: 'List the names of a namespace’s secrets (never their values)',
  security,
  request: { params: params.pick({ namespace: true }) },
  responses: { 200: { description: 'names', content: { 'application/json': { schema: z.object({ items: z.array(SecretInfo) }) } } }, ...errors(...authErrors) },
});
const del = createRoute({
  method: 'delete',
  path: '/v1/secrets/{namespace}/{name}',
  tags: ['secrets'],
  summary: 'Delete a workflow secret',
  security,
  request: { params },
  responses: { 204: { description: 'deleted' }, ...errors(404, ...authErrors) },
});

export function registerSecretRoutes(app: OpenAPIHono<AppEnv>, ctx: ApiContext): void {
  app.openapi(put, async (c) => {
    const { namespace, name } = c.req.valid('param');
    authorize(c, 'admin', namespace);
    if (!ctx.secretBox) throw new WeirError('database_unavailable', 'secrets need WEIR_ENCRYPTION_KEY (base64 of 32 random bytes) to be encrypted at rest', { status: 503 });
    const ciphertext = await ctx.secretBox.seal(c.req.valid('json').value);
    const [row] = await ctx.sql()<{ created_at: Date }>`
      INSERT INTO weir.secrets (namespace, name, ciphertext) VALUES (${namespace}, ${name}, ${ciphertext})
      ON CONFLICT (namespace, name) DO UPDATE SET ciphertext = EXCLUDED.ciphertext, created_at = weir.now()
      RETURNING created_at`;
    return c.json({ namespace, name, createdAt: iso(new Date(row.created_at)) }, 200);
  });
  app.openapi(list, async (c) => {
    const { namespace } = c.req.valid('param');
    authorize(c, 'read', namespace);
    const rows = await ctx.sql()<{ name: string; created_at: Date }>`SELECT name, created_at FROM weir.secrets WHERE namespace = ${namespace} ORDER BY name`;
    return c.json({ items: rows.map((r) => ({ namespace, name: r.name, createdAt: iso(new Date(r.created_at)) })) }, 200);
  });
  app.openapi(del, async (c) => {
    const { namespace, name } = c.req.valid('param');
    authorize(c, 'admin', namespace);
    const gone = await ctx.sql()`DELETE FROM weir.secrets WHERE namespace = ${namespace} AND name = ${name} RETURNING name`;
    if (!gone.length) throw new WeirError('not_found', `no secret ${namespace}/${name}`);
    return c.body(null, 204);
  });
}
