/**
 * Builds the API on the file's test database, with auth on (a Postgres config) unless asked
 * otherwise, and mints API keys straight into `weir.api_keys`.
 */
import { createApp, type AppDeps } from '../../../src/api/app.ts';
import { newApiKey } from '../../../src/api/auth.ts';
import { bytesToBase64 } from '../../../src/crypto.ts';
import type { ApiOptions } from '../../../src/api/options.ts';
import { loadConfig } from '../../../src/config.ts';
import { Lifecycle } from '../../../src/lifecycle.ts';
import { createLogger } from '../../../src/log.ts';
import type { Store } from '../../../src/store/open.ts';
import { insertApiKey, type Role } from '../../../src/store/queries/keys.ts';
import type { Sql } from '../../../src/store/sql.ts';

export const ENCRYPTION_KEY = bytesToBase64(new Uint8Array(32).fill(7));

/** A Store over the test database; the API uses only `sql` (and `check` for readiness). */
export function storeOf(sql: Sql): Store {
  const partial: Partial<Store> = { driver: 'postgres', sql, migrate: async () => ({ applied: [], skipped: 0 }), check: async () => ({ ok: true }), close: async () => {} };
  return partial as Store;
}

export function running(): Lifecycle {
  const l = new Lifecycle();
  l.to('starting');
  l.to('running');
  return l;
}

export function buildApp(
  sql: Sql,
  opts: { api?: Partial<ApiOptions>; env?: Record<string, string>; open?: boolean; log?: AppDeps['log'] } = {},
) {
  const env = opts.open ? {} : { DATABASE_URL: 'postgres://unused@127.0.0.1/unused', ...opts.env };
  return createApp({
    config: loadConfig(env),
    store: storeOf(sql),
    lifecycle: running(),
    log: opts.log ?? createLogger('silent'),
    api: { rateLimitPerSecond: 0, encryptionKey: ENCRYPTION_KEY, ...opts.api },
  });
}

export async function mintKey(sql: Sql, role: Role, namespaces: string[] = ['*']): Promise<string> {
  const k = await newApiKey();
  await insertApiKey(sql, { hash: k.hash, prefix: k.prefix, namespaces, role });
  return k.key;
}

export const bearer = (key: string, extra: Record<string, string> = {}) => ({ authorization: `Bearer ${key}`, ...extra });

export const helloYaml = `document:
  dsl: 1.0.0
  namespace: examples
  name: hello
  version: 1.0.0
do:
  - greet:
      set:
        greeting: \${ "Hello, " + .name }
`;
