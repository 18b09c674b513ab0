/**
 * Weir's one configuration: parsed once from the environment (and CLI flags mapped onto the same
 * names), validated with zod, frozen, typed. Every knob is documented in the README's table; a bad
 * value fails start-up with a message naming the variable and the rule.
 */
import { z } from 'zod';
import { WeirError } from './errors.ts';
import { isQueueName, QUEUE_NAME_RULE } from './queue-name.ts';

const int = (min: number, max: number, fallback: number) =>
  z.coerce
    .number({ error: `must be an integer from ${min} to ${max}` })
    .int({ error: `must be an integer from ${min} to ${max}` })
    .min(min, { error: `must be an integer from ${min} to ${max}` })
    .max(max, { error: `must be an integer from ${min} to ${max}` })
    .default(fallback);

const bool = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes');

const postgresUrl = z
  .string()
  .refine((v) => /^postgres(ql)?:\/\//.test(v), { error: 'must be a postgres:// or postgresql:// URL' })
  .optional();

const list = z
  .string()
  .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean));

/** Environment variable → schema. Names are the contract; keep README's table in step. */
export const configSchema = z.object({
  DATABASE_URL: postgresUrl,
  WEIR_DIRECT_DATABASE_URL: postgresUrl,
  WEIR_DATA_DIR: z.string().min(1).default('./.weir/data'),
  PORT: int(0, 65535, 8080),
  WEIR_HOST: z.string().min(1).optional(),
  WEIR_BATCH_SIZE: int(1, 1000, 100),
  WEIR_VISIBILITY_TIMEOUT: int(1, 43_200, 30),
  WEIR_POLL_INTERVAL: int(1, 60_000, 50),
  WEIR_POLL_INTERVAL_MAX: int(1, 300_000, 2_000),
  WEIR_EAGER_START: bool(true),
  WEIR_CONCURRENCY: int(1, 10_000, 100),
  WEIR_QUEUES: list
    .default(['weir_default'])
    .refine((qs) => qs.length > 0 && qs.every((q) => q === '*' || isQueueName(q)), {
      error: `must be a comma-separated list of queue names (${QUEUE_NAME_RULE}) or *`,
    }),
  WEIR_DB_POOL_MAX: int(1, 1_000, 10),
  WEIR_DB_CONNECTION_BUDGET: int(1, 100_000, 0).optional(),
  WEIR_DB_RESERVE: int(0, 1_000, 3),
  WEIR_DB_POOL_MIN: int(1, 1_000, 2),
  WEIR_DB_PREPARE: bool(true),
  WEIR_MAX_DELIVERIES: int(1, 1_000, 5),
  WEIR_HEARTBEAT_INTERVAL: int(100, 600_000, 5_000),
  WEIR_CHECKPOINT_GROUP: int(1, 1_000, 128),
  WEIR_EVENT_WINDOW: int(0, 86_400, 60),
  WEIR_MAX_STATE_BYTES: int(1024, 256 * 1024 * 1024, 4 * 1024 * 1024),
  WEIR_MAX_HISTORY: int(10, 10_000_000, 10_000),
  WEIR_RETENTION_DAYS: int(1, 36_500, 30),
  WEIR_EVENT_RETENTION_HOURS: int(1, 87_600, 24),
  WEIR_SHUTDOWN_TIMEOUT: int(0, 3_600_000, 25_000),
  WEIR_STARTUP_TIMEOUT: int(0, 3_600_000, 120_000),
  WEIR_HTTP_ALLOW_PRIVATE: bool(false),
  WEIR_HTTP_ALLOW_HOSTS: list.default([]),
  WEIR_HTTP_TIMEOUT: int(1, 3_600_000, 30_000),
  WEIR_LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent'], { error: 'must be debug, info, warn, error or silent' }).default('info'),
  WEIR_ADMIN_KEY: z.string().min(24, { error: 'must be at least 24 characters' }).optional(),
  WEIR_ENCRYPTION_KEY: z
    .string()
    .refine((v) => /^[A-Za-z0-9+/]{43}=$/.test(v), { error: 'must be base64 of 32 random bytes (e.g. `openssl rand -base64 32`)' })
    .optional(),
  WEIR_CALLBACK_SECRET: z
    .string()
    .refine((v) => /^whsec_[A-Za-z0-9+/]{32,}={0,2}$/.test(v), { error: 'must be a Standard Webhooks secret: whsec_ followed by base64 (e.g. whsec_$(openssl rand -base64 32))' })
    .optional(),
  WEIR_HTTP_MAX_BODY: int(1024, 1024 * 1024 * 1024, 1024 * 1024 + 64 * 1024),
  WEIR_MAX_INPUT_BYTES: int(2, 64 * 1024 * 1024, 256 * 1024),
  WEIR_PAGE_SIZE_MAX: int(1, 10_000, 500),
  WEIR_RATE_LIMIT: int(0, 1_000_000, 100),
  WEIR_RATE_LIMIT_BURST: int(0, 10_000_000, 200),
  WEIR_IDEMPOTENCY_TTL: int(60, 30 * 86_400, 86_400),
  WEIR_WAIT_MAX: int(0, 3_600, 60),
  WEIR_WEBHOOK_TOLERANCE: int(1, 86_400, 300),
  WEIR_HOOK_SECRET_GRACE: int(0, 30 * 86_400, 86_400),
  // Load shedding on starts (src/api/overload.ts); 0 turns a check off.
  WEIR_OVERLOAD_POOL_WAITING: int(0, 1_000_000, 200),
  WEIR_OVERLOAD_BACKLOG: int(0, 100_000_000, 100_000),
});

type Parsed = z.output<typeof configSchema>;

export interface Config {
  /** `postgres` when DATABASE_URL is set, else the embedded PGlite database. */
  readonly database:
    | { readonly kind: 'postgres'; readonly url: string; readonly directUrl: string; readonly prepare: boolean }
    | { readonly kind: 'pglite'; readonly dataDir: string };
  readonly http: { readonly port: number; readonly host: string };
  readonly runner: {
    readonly batchSize: number;
    readonly visibilityTimeoutSeconds: number;
    readonly pollIntervalMs: number;
    readonly pollIntervalMaxMs: number;
    /** An idle replica runs a start's first activation from its wake-up (runner/eager.ts). */
    readonly eagerStart: boolean;
    readonly concurrency: number;
    readonly queues: readonly string[];
    readonly maxDeliveries: number;
    readonly shutdownTimeoutMs: number;
    /** How long start-up retries a database that is away (refused, dropped, starting) before giving up. */
    readonly startupTimeoutMs: number;
    readonly checkpointGroup: number;
    readonly eventWindowSeconds: number;
    readonly maxStateBytes: number;
    readonly maxHistory: number;
    readonly retention: { readonly instanceDays: number; readonly eventHours: number };
  };
  readonly pool: { readonly max: number; readonly min: number; readonly budget?: number; readonly reserve: number; readonly heartbeatMs: number };
  readonly effects: { readonly allowPrivate: boolean; readonly allowHosts: readonly string[]; readonly httpTimeoutMs: number };
  /** HTTP API limits and secrets (src/api/options.ts). */
  readonly api: {
    readonly maxBodyBytes: number;
    readonly maxInputBytes: number;
    readonly pageSizeMax: number;
    readonly rateLimitPerSecond: number;
    readonly rateLimitBurst: number;
    readonly idempotencyTtlSeconds: number;
    readonly waitMaxSeconds: number;
    readonly webhookToleranceSeconds: number;
    readonly hookSecretGraceSeconds: number;
    readonly encryptionKey?: string;
  };
  /** Load shedding on starts (src/api/overload.ts): 429 past either bound; 0 turns one off. */
  readonly overload?: { readonly poolWaiting: number; readonly backlog: number };
  /** Signs completion callbacks (Standard Webhooks); callbacks are refused without it. */
  readonly callbackSecret?: string;
  readonly logLevel: Parsed['WEIR_LOG_LEVEL'];
  readonly adminKey?: string;
}

export type Env = Readonly<Record<string, string | undefined>>;

export function loadConfig(env: Env): Config {
  // Empty strings mean "unset", as in most twelve-factor tooling.
  const input = Object.fromEntries(
    Object.keys(configSchema.shape).flatMap((k) => (env[k] === undefined || env[k] === '' ? [] : [[k, env[k]]])),
  );
  const result = configSchema.safeParse(input);
  if (!result.success) {
    const errors = result.error.issues.map((issue) => {
      const name = String(issue.path[0]);
      const got = env[name];
      return { pointer: `/${name}`, message: `${name} ${issue.message}${got === undefined ? '' : ` (got ${JSON.stringify(redact(name, got))})`}` };
    });
    throw new WeirError('config_invalid', `invalid configuration: ${errors.map((e) => e.message).join('; ')}`, { errors });
  }
  const c = result.data;
  if (c.WEIR_POLL_INTERVAL_MAX < c.WEIR_POLL_INTERVAL) {
    const message = `WEIR_POLL_INTERVAL_MAX (${c.WEIR_POLL_INTERVAL_MAX}) must be at least WEIR_POLL_INTERVAL (${c.WEIR_POLL_INTERVAL})`;
    throw new WeirError('config_invalid', `invalid configuration: ${message}`, { errors: [{ pointer: '/WEIR_POLL_INTERVAL_MAX', message }] });
  }
  const database: Config['database'] = c.DATABASE_URL
    ? { kind: 'postgres', url: c.DATABASE_URL, directUrl: c.WEIR_DIRECT_DATABASE_URL ?? c.DATABASE_URL, prepare: c.WEIR_DB_PREPARE }
    : { kind: 'pglite', dataDir: c.WEIR_DATA_DIR };
  return deepFreeze({
    database,
    // The embedded database is for local development: listen on loopback unless told otherwise.
    http: { port: c.PORT, host: c.WEIR_HOST ?? (database.kind === 'pglite' ? '127.0.0.1' : '0.0.0.0') },
    runner: {
      batchSize: c.WEIR_BATCH_SIZE,
      visibilityTimeoutSeconds: c.WEIR_VISIBILITY_TIMEOUT,
      pollIntervalMs: c.WEIR_POLL_INTERVAL,
      pollIntervalMaxMs: c.WEIR_POLL_INTERVAL_MAX,
      eagerStart: c.WEIR_EAGER_START,
      concurrency: c.WEIR_CONCURRENCY,
      queues: c.WEIR_QUEUES,
      maxDeliveries: c.WEIR_MAX_DELIVERIES,
      shutdownTimeoutMs: c.WEIR_SHUTDOWN_TIMEOUT,
      startupTimeoutMs: c.WEIR_STARTUP_TIMEOUT,
      checkpointGroup: c.WEIR_CHECKPOINT_GROUP,
      eventWindowSeconds: c.WEIR_EVENT_WINDOW,
      maxStateBytes: c.WEIR_MAX_STATE_BYTES,
      maxHistory: c.WEIR_MAX_HISTORY,
      retention: { instanceDays: c.WEIR_RETENTION_DAYS, eventHours: c.WEIR_EVENT_RETENTION_HOURS },
    },
    pool: {
      max: c.WEIR_DB_POOL_MAX,
      min: Math.min(c.WEIR_DB_POOL_MIN, c.WEIR_DB_POOL_MAX),
      budget: c.WEIR_DB_CONNECTION_BUDGET || undefined,
      reserve: c.WEIR_DB_RESERVE,
      heartbeatMs: c.WEIR_HEARTBEAT_INTERVAL,
    },
    effects: { allowPrivate: c.WEIR_HTTP_ALLOW_PRIVATE, allowHosts: c.WEIR_HTTP_ALLOW_HOSTS, httpTimeoutMs: c.WEIR_HTTP_TIMEOUT },
    api: {
      maxBodyBytes: c.WEIR_HTTP_MAX_BODY,
      maxInputBytes: c.WEIR_MAX_INPUT_BYTES,
      pageSizeMax: c.WEIR_PAGE_SIZE_MAX,
      rateLimitPerSecond: c.WEIR_RATE_LIMIT,
      rateLimitBurst: c.WEIR_RATE_LIMIT_BURST,
      idempotencyTtlSeconds: c.WEIR_IDEMPOTENCY_TTL,
      waitMaxSeconds: c.WEIR_WAIT_MAX,
      webhookToleranceSeconds: c.WEIR_WEBHOOK_TOLERANCE,
      hookSecretGraceSeconds: c.WEIR_HOOK_SECRET_GRACE,
      ...(c.WEIR_ENCRYPTION_KEY ? { encryptionKey: c.WEIR_ENCRYPTION_KEY } : {}),
    },
    overload: { poolWaiting: c.WEIR_OVERLOAD_POOL_WAITING, backlog: c.WEIR_OVERLOAD_BACKLOG },
    ...(c.WEIR_CALLBACK_SECRET ? { callbackSecret: c.WEIR_CALLBACK_SECRET } : {}),
    logLevel: c.WEIR_LOG_LEVEL,
    adminKey: c.WEIR_ADMIN_KEY,
  });
}

function redact(name: string, value: string): string {
  if (name.endsWith('_KEY') || name.endsWith('_SECRET')) return '***';
  if (name.endsWith('DATABASE_URL')) return value.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
  return value;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
