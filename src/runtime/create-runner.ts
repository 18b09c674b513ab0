import type { Config, Env } from '../config.ts';
import { SecretBox } from '../crypto.ts';
import type { Logger } from '../log.ts';
import { Runner } from '../runner/index.ts';
import { SecretsProvider, secretsFromEnv } from '../runner/secrets.ts';
import type { Store } from '../store/open.ts';

/**
 * The runner every entry builds (Node, Deno, Bun, the binary, the edge drain): one place, so a
 * new Runner option reaches all of them. No node: imports: the edge entry uses it.
 */
export function createRunner(
  config: Config,
  store: Store,
  log: Logger,
  /** The environment the config came from: WEIR_SECRET_<name> variables become workflow secrets. */
  env: Env,
  runtime: { name: string; version: string } = { name: 'weir', version: '0.1.0' },
  /** The replica id the budget guard heartbeats under (also stamped on fork-branch history). */
  replicaId?: string,
): Runner {
  return new Runner({
    sql: store.sql,
    log: log.child({ component: 'runner' }),
    runner: config.runner,
    http: { allowPrivate: config.effects.allowPrivate, allowHosts: [...config.effects.allowHosts], timeoutMs: config.effects.httpTimeoutMs },
    runtime,
    ...(replicaId ? { replicaId } : {}),
    ...(config.callbackSecret ? { callbackSecret: config.callbackSecret } : {}),
    secrets: new SecretsProvider(store.sql, {
      env: secretsFromEnv(env),
      ...(config.api.encryptionKey ? { box: new SecretBox(config.api.encryptionKey) } : {}),
    }),
  });
}

