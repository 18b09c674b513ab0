/**
 * The API's list queries (workflows, instances). They mirror `listWorkflows`/`listInstances` in
 * store/queries but treat "no namespace filter" with `coalesce(…, 'null')`: postgres.js sends
 * `json(null)` as SQL NULL, so `NULL::jsonb = 'null'::jsonb` would hide every row.
 */
import { toInstance, type InstanceFilter, type InstanceRow } from '../../store/queries/instances.ts';
import { compareSemver } from '../../store/queries/workflows.ts';
import { json, type Sql } from '../../store/sql.ts';

export async function listWorkflowNames(
  sql: Sql,
  options: { namespaces?: readonly string[]; limit: number; after?: { namespace: string; name: string } },
): Promise<{ namespace: string; name: string; versions: string[]; latest: string }[]> {
  const after = options.after ?? { namespace: '', name: '' };
  const ns = json(options.namespaces ? [...options.namespaces] : null);
  const rows = await sql<{ namespace: string; name: string; versions: string[] }>`
    SELECT namespace, name, array_agg(version) AS versions FROM weir.workflows
    WHERE (namespace, name) > (${after.namespace}::text, ${after.name}::text)
      AND (coalesce(${ns}::jsonb, 'null'::jsonb) = 'null'::jsonb OR namespace IN (SELECT jsonb_array_elements_text(${ns}::jsonb)))
    GROUP BY namespace, name ORDER BY namespace, name LIMIT ${options.limit}::int`;
  return rows.map((r) => {
    const versions = [...r.versions].sort((a, b) => compareSemver(b, a));
    return { namespace: r.namespace, name: r.name, versions, latest: versions[0] };
  });
}

/** Newest first; `before` is the last id of the previous page (ids are time-ordered). */
export async function listInstancePage(sql: Sql, filter: InstanceFilter, page: { limit: number; before?: string }): Promise<InstanceRow[]> {
  const ns = json(filter.namespaces ? [...filter.namespaces] : null);
  const st = json(filter.statuses ? [...filter.statuses] : null);
  const rows = await sql<Record<string, unknown>>`
    SELECT * FROM weir.instances
    WHERE (coalesce(${ns}::jsonb, 'null'::jsonb) = 'null'::jsonb OR namespace IN (SELECT jsonb_array_elements_text(${ns}::jsonb)))
      AND (${filter.workflowName ?? null}::text IS NULL OR workflow_name = ${filter.workflowName ?? null}::text)
      AND (coalesce(${st}::jsonb, 'null'::jsonb) = 'null'::jsonb OR status IN (SELECT jsonb_array_elements_text(${st}::jsonb)))
      AND (${filter.createdAfter ?? null}::timestamptz IS NULL OR created_at >= ${filter.createdAfter ?? null}::timestamptz)
      AND (${filter.createdBefore ?? null}::timestamptz IS NULL OR created_at < ${filter.createdBefore ?? null}::timestamptz)
      AND (${page.before ?? null}::uuid IS NULL OR id < ${page.before ?? null}::uuid)
    ORDER BY id DESC LIMIT ${page.limit}::int`;
  return rows.map(toInstance);
}

/**
 * The version and queue a start needs, without loading documents: the named version, or the
 * highest semver when `version` is omitted (store's getWorkflow reads every version's document).
 */
export async function workflowRef(
  sql: Sql,
  namespace: string,
  name: string,
  version?: string,
): Promise<{ name: string; version: string; queue: string } | undefined> {
  const rows = await sql<{ version: string; queue: string }>`
    SELECT version, queue FROM weir.workflows
    WHERE namespace = ${namespace} AND name = ${name} AND (${version ?? null}::text IS NULL OR version = ${version ?? null}::text)`;
  if (!rows.length) return undefined;
  const best = rows.reduce((a, b) => (compareSemver(b.version, a.version) > 0 ? b : a));
  return { name, version: best.version, queue: best.queue };
}
