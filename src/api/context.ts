/** What every route module receives: the store, the limits, the log and the metrics registry. */
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import type { Sql } from '../store/sql.ts';
import type { Principal } from './auth.ts';
import type { SecretBox } from '../crypto.ts';
import type { MetricsRegistry } from '../metrics.ts';
import type { ApiOptions } from './options.ts';
import type { RateLimiter } from './rate-limit.ts';

export type AppEnv = { Variables: { requestId: string; principal: Principal } };

export interface ApiContext {
  config: Config;
  /** The store's Sql, resolved per request (the OpenAPI generator builds the app without a database). */
  sql(): Sql;
  options: ApiOptions;
  log: Logger;
  metrics: MetricsRegistry;
  /** Encrypts hook secrets at rest; undefined when no encryption key is configured. */
  secretBox?: SecretBox;
  /** The API keys' and hooks' request buckets (WEIR_RATE_LIMIT), leased from Postgres. */
  rateLimiter: RateLimiter;
}
