/**
 * Webhook endpoints (`weir.hooks`) and the delivery ids seen recently (`weir.hook_deliveries`).
 * Secrets arrive here already encrypted: this module never sees a plaintext secret.
 */
import { json, type Sql } from '../sql.ts';

export type HookTarget = { kind: 'start'; workflow: { name: string; version?: string } } | { kind: 'event'; type: string; source?: string };
export type Verifier = 'standard' | 'github';

export interface HookRow {
  name: string;
  namespace: string;
  target: HookTarget;
  verifier: Verifier;
  createdAt: Date;
}

export interface HookSecrets extends HookRow {
  secret: string;
  /** The secret before the last rotation, while its grace period lasts. */
  previousSecret: string | null;
  /** The database clock, in seconds since the epoch, when the hook was read. */
  nowSeconds: number;
}

type Raw = { name: string; namespace: string; target: HookTarget; verifier: Verifier; created_at: Date };
const toRow = (r: Raw): HookRow => ({ name: r.name, namespace: r.namespace, target: r.target, verifier: r.verifier, createdAt: new Date(r.created_at) });

export async function insertHook(
  sql: Sql,
  h: { name: string; namespace: string; target: HookTarget; verifier: Verifier; secret: string },
): Promise<HookRow | undefined> {
  const [r] = await sql<Raw>`
    INSERT INTO weir.hooks (name, namespace, target, secret, verifier)
    VALUES (${h.name}, ${h.namespace}, ${json(h.target)}::jsonb, ${h.secret}, ${h.verifier})
    ON CONFLICT (name) DO NOTHING
    RETURNING name, namespace, target, verifier, created_at`;
  return r ? toRow(r) : undefined;
}

export async function getHook(sql: Sql, name: string): Promise<HookRow | undefined> {
  const [r] = await sql<Raw>`SELECT name, namespace, target, verifier, created_at FROM weir.hooks WHERE name = ${name}`;
  return r ? toRow(r) : undefined;
}

export async function getHookSecrets(sql: Sql, name: string): Promise<HookSecrets | undefined> {
  const [r] = await sql<Raw & { secret: string; previous: string | null; now_s: number }>`
    SELECT name, namespace, target, verifier, created_at, secret,
           CASE WHEN previous_expires_at > weir.now() THEN previous_secret END AS previous,
           EXTRACT(EPOCH FROM weir.now())::float8 AS now_s
    FROM weir.hooks WHERE name = ${name}`;
  return r ? { ...toRow(r), secret: r.secret, previousSecret: r.previous, nowSeconds: Number(r.now_s) } : undefined;
}

export async function listHooks(sql: Sql, namespaces: readonly string[] | undefined): Promise<HookRow[]> {
  // coalesce: postgres.js sends json(null) as SQL NULL.
  const ns = json(namespaces ? [...namespaces] : null);
  const rows = await sql<Raw>`
    SELECT name, namespace, target, verifier, created_at FROM weir.hooks
    WHERE coalesce(${ns}::jsonb, 'null'::jsonb) = 'null'::jsonb OR namespace IN (SELECT jsonb_array_elements_text(${ns}::jsonb))
    ORDER BY name LIMIT 1000`;
  return rows.map(toRow);
}

/** Replaces the secret; the old one stays valid for `graceSeconds`. */
export async function rotateHookSecret(sql: Sql, name: string, secret: string, graceSeconds: number): Promise<Date | undefined> {
  const [r] = await sql<{ until: Date }>`
    UPDATE weir.hooks SET previous_secret = secret, secret = ${secret},
           previous_expires_at = weir.now() + make_interval(secs => ${graceSeconds}::float8)
    WHERE name = ${name} RETURNING previous_expires_at AS until`;
  return r ? new Date(r.until) : undefined;
}

export async function deleteHook(sql: Sql, name: string): Promise<boolean> {
  const rows = await sql`DELETE FROM weir.hooks WHERE name = ${name} RETURNING name`;
  if (rows.length) await sql`DELETE FROM weir.hook_deliveries WHERE hook = ${name}`;
  return rows.length > 0;
}

/**
 * Records a delivery id; false when it was already seen (a replay). Ids older than `keepSeconds`
 * are swept (a bounded batch) on the way: a replay that old fails the timestamp check anyway.
 */
export async function recordDelivery(sql: Sql, hook: string, deliveryId: string, keepSeconds: number): Promise<boolean> {
  await sql`
    DELETE FROM weir.hook_deliveries WHERE ctid IN (
      SELECT ctid FROM weir.hook_deliveries
      WHERE hook = ${hook} AND received_at < weir.now() - make_interval(secs => ${keepSeconds}::float8) LIMIT 100)`;
  const rows = await sql`
    INSERT INTO weir.hook_deliveries (hook, delivery_id) VALUES (${hook}, ${deliveryId})
    ON CONFLICT (hook, delivery_id) DO NOTHING RETURNING hook`;
  return rows.length > 0;
}
