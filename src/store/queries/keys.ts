/**
 * API keys: the key is shown once at creation and only its SHA-256 is stored. A key is scoped to
 * namespaces (or `*`) and one role.
 */
import { json, type Sql } from '../sql.ts';
import { uuidv7 } from '../uuid.ts';

export const roles = ['read', 'write', 'admin'] as const;
export type Role = (typeof roles)[number];

export interface ApiKeyRow {
  id: string;
  prefix: string;
  namespaces: string[];
  role: Role;
  name: string | null;
  createdAt: Date;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
}

type Raw = { id: string; prefix: string; namespaces: string[]; role: Role; name: string | null; created_at: Date; revoked_at: Date | null; last_used_at: Date | null };
const toRow = (r: Raw): ApiKeyRow => ({
  id: r.id,
  prefix: r.prefix,
  namespaces: r.namespaces,
  role: r.role,
  name: r.name,
  createdAt: new Date(r.created_at),
  revokedAt: r.revoked_at ? new Date(r.revoked_at) : null,
  lastUsedAt: r.last_used_at ? new Date(r.last_used_at) : null,
});

export async function insertApiKey(
  sql: Sql,
  k: { hash: string; prefix: string; namespaces: readonly string[]; role: Role; name?: string },
): Promise<ApiKeyRow> {
  const [r] = await sql<Raw>`
    INSERT INTO weir.api_keys (id, hash, prefix, namespaces, role, name)
    VALUES (${uuidv7()}::uuid, ${k.hash}, ${k.prefix},
            ARRAY(SELECT jsonb_array_elements_text(${json(k.namespaces)}::jsonb)), ${k.role}, ${k.name ?? null})
    RETURNING id, prefix, namespaces, role, name, created_at, revoked_at, last_used_at`;
  return toRow(r);
}

/** The live (unrevoked) key with this hash. */
export async function findApiKeyByHash(sql: Sql, hash: string): Promise<ApiKeyRow | undefined> {
  const [r] = await sql<Raw>`
    SELECT id, prefix, namespaces, role, name, created_at, revoked_at, last_used_at
    FROM weir.api_keys WHERE hash = ${hash} AND revoked_at IS NULL`;
  return r ? toRow(r) : undefined;
}

export async function listApiKeys(sql: Sql): Promise<ApiKeyRow[]> {
  const rows = await sql<Raw>`
    SELECT id, prefix, namespaces, role, name, created_at, revoked_at, last_used_at FROM weir.api_keys ORDER BY created_at, id`;
  return rows.map(toRow);
}

/** Revokes by id or by the displayed prefix; returns how many keys were revoked. */
export async function revokeApiKey(sql: Sql, idOrPrefix: string): Promise<number> {
  const isUuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(idOrPrefix);
  const rows = await sql<{ id: string }>`
    UPDATE weir.api_keys SET revoked_at = weir.now()
    WHERE revoked_at IS NULL AND (${isUuid ? idOrPrefix : null}::uuid = id OR prefix = ${idOrPrefix})
    RETURNING id`;
  return rows.length;
}

/** Marks a key used (for `weir keys list`); callers throttle it, it is not on every request. */
export async function touchApiKey(sql: Sql, id: string): Promise<void> {
  await sql`UPDATE weir.api_keys SET last_used_at = weir.now() WHERE id = ${id}::uuid`;
}
