/**
 * Workflow definitions: immutable per (namespace, name, version). Registering the same version
 * again with the same document is a no-op; with a different document it is a conflict.
 */
import { json, type Sql } from '../sql.ts';

export interface WorkflowRow {
  namespace: string;
  name: string;
  version: string;
  document: unknown;
  source: string | null;
  digest: string;
  queue: string;
  /** Flow-control options fixed at registration (runner/flow.ts), or null. */
  options: unknown;
  createdAt: Date;
}

type Raw = { namespace: string; name: string; version: string; document: unknown; source: string | null; digest: string; queue: string; options?: unknown; created_at: Date };
const toRow = (r: Raw): WorkflowRow => ({
  namespace: r.namespace,
  name: r.name,
  version: r.version,
  document: r.document,
  source: r.source,
  digest: r.digest,
  queue: r.queue,
  options: r.options ?? null,
  createdAt: new Date(r.created_at),
});

export type InsertOutcome = { outcome: 'created' | 'unchanged'; row: WorkflowRow } | { outcome: 'conflict'; row: WorkflowRow };

export async function insertWorkflow(
  sql: Sql,
  w: { namespace: string; name: string; version: string; document: unknown; source?: string; digest: string; queue: string; options?: unknown },
): Promise<InsertOutcome> {
  const inserted = await sql<Raw>`
    INSERT INTO weir.workflows (namespace, name, version, document, source, digest, queue, options)
    VALUES (${w.namespace}, ${w.name}, ${w.version}, ${json(w.document)}::jsonb, ${w.source ?? null}, ${w.digest}, ${w.queue},
            ${w.options === undefined ? null : json(w.options)}::jsonb)
    ON CONFLICT (namespace, name, version) DO NOTHING
    RETURNING *`;
  if (inserted[0]) return { outcome: 'created', row: toRow(inserted[0]) };
  const [existing] = await sql<Raw>`
    SELECT * FROM weir.workflows WHERE namespace = ${w.namespace} AND name = ${w.name} AND version = ${w.version}`;
  return { outcome: existing.digest === w.digest ? 'unchanged' : 'conflict', row: toRow(existing) };
}

/** One version, or the highest semver when `version` is omitted. */
export async function getWorkflow(sql: Sql, namespace: string, name: string, version?: string): Promise<WorkflowRow | undefined> {
  if (version !== undefined) {
    const [r] = await sql<Raw>`SELECT * FROM weir.workflows WHERE namespace = ${namespace} AND name = ${name} AND version = ${version}`;
    return r ? toRow(r) : undefined;
  }
  const rows = await listVersions(sql, namespace, name);
  return rows[0];
}

/** Every version of a workflow, highest semver first. */
export async function listVersions(sql: Sql, namespace: string, name: string): Promise<WorkflowRow[]> {
  const rows = await sql<Raw>`SELECT * FROM weir.workflows WHERE namespace = ${namespace} AND name = ${name}`;
  return rows.map(toRow).sort((a, b) => compareSemver(b.version, a.version));
}

export async function listWorkflows(
  sql: Sql,
  options: { namespaces?: readonly string[]; limit: number; after?: { namespace: string; name: string } },
): Promise<{ namespace: string; name: string; versions: string[]; latest: string }[]> {
  const after = options.after ?? { namespace: '', name: '' };
  const ns = options.namespaces ? [...options.namespaces] : null;
  const rows = await sql<{ namespace: string; name: string; versions: string[] }>`
    SELECT namespace, name, array_agg(version) AS versions FROM weir.workflows
    WHERE (namespace, name) > (${after.namespace}, ${after.name})
      AND (${json(ns)}::jsonb IS NULL OR namespace IN (SELECT jsonb_array_elements_text(${json(ns)}::jsonb)))
    GROUP BY namespace, name ORDER BY namespace, name LIMIT ${options.limit}`;
  return rows.map((r) => {
    const versions = [...r.versions].sort((a, b) => compareSemver(b, a));
    return { namespace: r.namespace, name: r.name, versions, latest: versions[0] };
  });
}

/** Semantic Versioning 2.0 precedence; versions that are not semver sort below those that are. */
export function compareSemver(a: string, b: string): number {
  const parse = (v: string) => /^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+.*)?$/.exec(v);
  const pa = parse(a);
  const pb = parse(b);
  if (!pa || !pb) return pa ? 1 : pb ? -1 : a < b ? -1 : a > b ? 1 : 0;
  for (let i = 1; i <= 3; i++) {
    const d = Number(pa[i]) - Number(pb[i]);
    if (d) return Math.sign(d);
  }
  if (!pa[4] || !pb[4]) return pa[4] ? -1 : pb[4] ? 1 : 0;
  const xa = pa[4].split('.');
  const xb = pb[4].split('.');
  for (let i = 0; i < Math.max(xa.length, xb.length); i++) {
    if (xa[i] === undefined) return -1;
    if (xb[i] === undefined) return 1;
    const na = /^\d+$/.test(xa[i]);
    const nb = /^\d+$/.test(xb[i]);
    if (na && nb && Number(xa[i]) !== Number(xb[i])) return Math.sign(Number(xa[i]) - Number(xb[i]));
    if (na !== nb) return na ? -1 : 1;
    if (xa[i] !== xb[i]) return xa[i] < xb[i] ? -1 : 1;
  }
  return 0;
}

type WorkflowRef = { name: string; version: string; queue: string };

/**
 * Refs of named versions, per database handle: a registered version is never changed (another
 * document is a 409) nor deleted, so its queue is known for good once read. Bounded; a miss is
 * not cached (the version may be registered a moment later).
 */
const namedRefs = new WeakMap<Sql, Map<string, WorkflowRef>>();

/**
 * The version and queue a start needs, without loading documents: the named version, or the
 * highest semver when `version` is omitted (store's getWorkflow reads every version's document).
 * A named version's ref is read once per handle (`namedRefs`): a start with `?version=` costs one
 * round trip less. The highest version is read every time: another replica may register a newer one.
 */
export async function getWorkflowRef(sql: Sql, namespace: string, name: string, version?: string): Promise<WorkflowRef | undefined> {
  const key = version === undefined ? undefined : `${namespace}\u0000${name}\u0000${version}`;
  const hit = key === undefined ? undefined : namedRefs.get(sql)?.get(key);
  if (hit) return hit;
  const rows = await sql<{ version: string; queue: string }>`
    SELECT version, queue FROM weir.workflows
    WHERE namespace = ${namespace} AND name = ${name} AND (${version ?? null}::text IS NULL OR version = ${version ?? null}::text)`;
  if (!rows.length) return undefined;
  const best = rows.reduce((a, b) => (compareSemver(b.version, a.version) > 0 ? b : a));
  const ref = Object.freeze({ name, version: best.version, queue: best.queue });
  if (key !== undefined) {
    let refs = namedRefs.get(sql);
    if (!refs) namedRefs.set(sql, (refs = new Map()));
    if (refs.size >= 10_000) refs.delete(refs.keys().next().value as string);
    refs.set(key, ref);
  }
  return ref;
}
