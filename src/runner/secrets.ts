/**
 * Workflow secrets (`$secrets`, and the credentials of `use.authentications`): from the
 * environment (`WEIR_SECRET_<name>`, every namespace) and from `weir.secrets` (per namespace,
 * AES-256-GCM with WEIR_ENCRYPTION_KEY), the table winning on a name clash. Cached per namespace
 * for a short time. Values are redacted from what Weir stores for people to read: history, outputs
 * and errors.
 */
import type { SecretBox } from '../crypto.ts';
import type { Sql } from '../store/sql.ts';

export type Secrets = Record<string, string>;

export class SecretsProvider {
  readonly #sql: Sql;
  readonly #env: Secrets;
  readonly #box: SecretBox | undefined;
  readonly #ttlMs: number;
  readonly #cache = new Map<string, { at: number; value: Secrets }>();

  constructor(sql: Sql, options: { env?: Secrets; box?: SecretBox; ttlMs?: number } = {}) {
    this.#sql = sql;
    this.#env = options.env ?? {};
    this.#box = options.box;
    this.#ttlMs = options.ttlMs ?? 30_000;
  }

  async forNamespace(namespace: string): Promise<Secrets> {
    const hit = this.#cache.get(namespace);
    if (hit && performance.now() - hit.at < this.#ttlMs) return hit.value;
    const value: Secrets = { ...this.#env };
    if (this.#box) {
      const rows = await this.#sql<{ name: string; ciphertext: string }>`SELECT name, ciphertext FROM weir.secrets WHERE namespace = ${namespace}`;
      for (const r of rows) value[r.name] = await this.#box.open(r.ciphertext);
    }
    this.#cache.set(namespace, { at: performance.now(), value });
    if (this.#cache.size > 1000) this.#cache.delete(this.#cache.keys().next().value as string);
    return value;
  }
}

/** Secrets from `WEIR_SECRET_<name>` environment variables. */
export function secretsFromEnv(env: Readonly<Record<string, string | undefined>>): Secrets {
  const out: Secrets = {};
  for (const [k, v] of Object.entries(env)) if (k.startsWith('WEIR_SECRET_') && k.length > 12 && v !== undefined) out[k.slice(12)] = v;
  return out;
}

/** Shorter values would redact ordinary words; such a secret is not a secret. */
const MIN_REDACTED = 4;

/** Replaces every occurrence of a secret value inside strings (and keys) with `***`. */
export function redact<T>(value: T, secrets: Secrets): T {
  const needles = Object.values(secrets).filter((s) => typeof s === 'string' && s.length >= MIN_REDACTED);
  if (needles.length === 0) return value;
  const scrub = (s: string) => needles.reduce((acc, n) => (acc.includes(n) ? acc.split(n).join('***') : acc), s);
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return scrub(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [scrub(k), walk(x)]));
    return v;
  };
  return walk(value) as T;
}
