/** A Runner over a test database with background loops off: tests call drain(). */
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/log.ts';
import { Runner } from '../../src/runner/index.ts';
import type { Sql } from '../../src/store/sql.ts';

export function testRunner(
  sql: Sql,
  env: Record<string, string> = {},
  http: ConstructorParameters<typeof Runner>[0]['http'] = { allowPrivate: true },
  /** A replica id, for tests that run several replicas in one process. */
  replicaId?: string,
) {
  const config = loadConfig({ WEIR_QUEUES: '*', ...env });
  return new Runner({ sql, log: createLogger(process.env.WEIR_TEST_LOG === '1' ? 'debug' : 'silent'), runner: config.runner, http, ...(replicaId ? { replicaId } : {}) });
}
