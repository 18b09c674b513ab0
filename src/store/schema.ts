/**
 * Weir's tables (schema `weir`), the source drizzle-kit generates migrations from
 * (`npm run db:generate`). Hot-path statements live in `queries/` as plain SQL; this file owns
 * the shape. Every timestamp that drives durable behaviour is written from `weir.now()`.
 */
import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgSchema,
  primaryKey,
  smallint,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

export const weir = pgSchema('weir');

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });
const now = sql`weir.now()`;

export const workflows = weir.table(
  'workflows',
  {
    namespace: text('namespace').notNull(),
    name: text('name').notNull(),
    version: text('version').notNull(),
    document: jsonb('document').notNull(),
    /** The document as registered (YAML or JSON text), shown back to users. */
    source: text('source'),
    digest: text('digest').notNull(),
    queue: text('queue').notNull().default('weir_default'),
    /** Flow control (runner/flow.ts): `{ concurrency?, debounce? }`, fixed at registration like the document. */
    options: jsonb('options'),
    createdAt: ts('created_at').notNull().default(now),
  },
  (t) => [primaryKey({ columns: [t.namespace, t.name, t.version] })],
);

/** `queued`: waiting for a concurrency slot; `delayed`: inside its debounce window (runner/flow.ts). */
export const instanceStatuses = ['queued', 'delayed', 'pending', 'running', 'waiting', 'suspended', 'completed', 'faulted', 'cancelled'] as const;

export const instances = weir.table(
  'instances',
  {
    id: uuid('id').primaryKey(),
    namespace: text('namespace').notNull(),
    workflowName: text('workflow_name').notNull(),
    workflowVersion: text('workflow_version').notNull(),
    status: text('status', { enum: instanceStatuses }).notNull().default('pending'),
    input: jsonb('input'),
    output: jsonb('output'),
    error: jsonb('error'),
    state: jsonb('state'),
    version: integer('version').notNull().default(0),
    parentId: uuid('parent_id'),
    /** The parent's wait id this child answers (the `child-done` message target). */
    parentWait: text('parent_wait'),
    correlation: jsonb('correlation'),
    /** I/O effects started but not yet fed back (performed again, same Idempotency-Key, after a crash). */
    pending: jsonb('pending'),
    /** Completion callback: `{ url }`, POSTed the outcome signed per Standard Webhooks. */
    callback: jsonb('callback'),
    priority: smallint('priority').notNull().default(0),
    idempotencyKey: text('idempotency_key'),
    /** The concurrency scope (`namespace/workflow#key`) whose slot the instance holds or waits for. */
    slotScope: text('slot_scope'),
    /** The debounce key of a `delayed` start (starts with the same key collapse into it). */
    debounceKey: text('debounce_key'),
    queue: text('queue').notNull().default('weir_default'),
    createdAt: ts('created_at').notNull().default(now),
    updatedAt: ts('updated_at').notNull().default(now),
    startedAt: ts('started_at'),
    endedAt: ts('ended_at'),
  },
  (t) => [
    index('instances_ns_wf_created_idx').on(t.namespace, t.workflowName, t.createdAt),
    index('instances_status_created_idx').on(t.status, t.createdAt),
    index('instances_parent_idx').on(t.parentId).where(sql`${t.parentId} IS NOT NULL`),
    uniqueIndex('instances_idempotency_idx')
      .on(t.namespace, t.workflowName, t.idempotencyKey)
      .where(sql`${t.idempotencyKey} IS NOT NULL`),
    index('instances_ended_idx').on(t.endedAt).where(sql`${t.endedAt} IS NOT NULL`),
    index('instances_queued_idx').on(t.slotScope, t.id).where(sql`${t.status} = 'queued'`),
    index('instances_debounce_idx').on(t.namespace, t.workflowName, t.debounceKey).where(sql`${t.status} = 'delayed'`),
  ],
);

/**
 * Concurrency slots: one row per instance holding a slot of its scope, inserted in the start's
 * transaction and deleted in the transaction that ends the instance (trigger in sql/60_flow.sql).
 * The instance holds the slot, not a replica: a crash leaves it held until the instance ends.
 */
export const slots = weir.table(
  'slots',
  {
    instanceId: uuid('instance_id').primaryKey(),
    scope: text('scope').notNull(),
    acquiredAt: ts('acquired_at').notNull().default(now),
  },
  (t) => [index('slots_scope_idx').on(t.scope)],
);

/**
 * The timeline. A row is the entry numbered `seq` (`at`, `kind`, `task_ref`, `data`) and, in
 * `earlier`, the entries the same checkpoint wrote before it — numbered `seq - n` … `seq - 1` for
 * n of them, oldest first, each `{ at (epoch ms), kind, ref?, data? }`. One row per instance per
 * checkpoint instead of one per entry: a one-task workflow writes 1 row, not 4 (a quarter of the
 * rows' WAL and inserts). Writers of a single entry take `max(seq) + 1` as before; readers expand
 * rows (store/queries/instances.ts getHistory).
 */
export const history = weir.table(
  'history',
  {
    instanceId: uuid('instance_id').notNull(),
    seq: integer('seq').notNull(),
    at: ts('at').notNull().default(now),
    kind: text('kind').notNull(),
    taskRef: text('task_ref'),
    data: jsonb('data'),
    earlier: jsonb('earlier'),
  },
  (t) => [primaryKey({ columns: [t.instanceId, t.seq] })],
);

export const timers = weir.table(
  'timers',
  {
    id: text('id').notNull(),
    instanceId: uuid('instance_id').notNull(),
    queue: text('queue').notNull().default('weir_default'),
    dueAt: ts('due_at').notNull(),
    message: jsonb('message').notNull(),
    createdAt: ts('created_at').notNull().default(now),
  },
  (t) => [primaryKey({ columns: [t.instanceId, t.id] }), index('timers_due_idx').on(t.dueAt)],
);

export const subscriptions = weir.table(
  'subscriptions',
  {
    id: text('id').notNull(),
    instanceId: uuid('instance_id').notNull(),
    taskRef: text('task_ref').notNull(),
    filters: jsonb('filters').notNull(),
    correlation: jsonb('correlation'),
    expiresAt: ts('expires_at'),
    createdAt: ts('created_at').notNull().default(now),
  },
  (t) => [primaryKey({ columns: [t.instanceId, t.id] }), index('subscriptions_expires_idx').on(t.expiresAt)],
);

export const events = weir.table(
  'events',
  {
    id: text('id').notNull(),
    source: text('source').notNull(),
    type: text('type').notNull(),
    subject: text('subject'),
    time: ts('time'),
    data: jsonb('data'),
    /** The whole CloudEvent (extensions included) as received. */
    event: jsonb('event').notNull(),
    /** Emitted by a workflow in this namespace (delivered only there); NULL: published through the API, to every namespace. */
    namespace: text('namespace'),
    receivedAt: ts('received_at').notNull().default(now),
  },
  (t) => [
    primaryKey({ columns: [t.source, t.id] }),
    index('events_type_received_idx').on(t.type, t.receivedAt),
    index('events_received_idx').on(t.receivedAt),
  ],
);

export const schedules = weir.table(
  'schedules',
  {
    id: text('id').primaryKey(),
    namespace: text('namespace').notNull(),
    workflowName: text('workflow_name').notNull(),
    workflowVersion: text('workflow_version').notNull(),
    kind: text('kind', { enum: ['cron', 'every', 'after', 'on'] }).notNull(),
    spec: jsonb('spec').notNull(),
    timezone: text('timezone').notNull().default('UTC'),
    nextRunAt: ts('next_run_at'),
    lastRunAt: ts('last_run_at'),
    enabled: boolean('enabled').notNull().default(true),
    createdAt: ts('created_at').notNull().default(now),
  },
  (t) => [index('schedules_due_idx').on(t.nextRunAt).where(sql`${t.enabled}`)],
);

export const replicas = weir.table('replicas', {
  id: uuid('id').primaryKey(),
  startedAt: ts('started_at').notNull().default(now),
  heartbeatAt: ts('heartbeat_at').notNull().default(now),
  poolLimit: smallint('pool_limit').notNull(),
  roles: text('roles').notNull().default('serve'),
  host: text('host'),
});

export const idempotency = weir.table(
  'idempotency',
  {
    key: text('key').notNull(),
    scope: text('scope').notNull(),
    requestDigest: text('request_digest').notNull(),
    status: smallint('status'),
    response: jsonb('response'),
    lockedUntil: ts('locked_until'),
    expiresAt: ts('expires_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.scope, t.key] }), index('idempotency_expires_idx').on(t.expiresAt)],
);

export const apiKeys = weir.table('api_keys', {
  id: uuid('id').primaryKey(),
  /** SHA-256 of the key; the key itself is shown once and never stored. */
  hash: text('hash').notNull().unique(),
  prefix: text('prefix').notNull(),
  namespaces: text('namespaces').array().notNull(),
  role: text('role', { enum: ['admin', 'write', 'read'] }).notNull(),
  name: text('name'),
  createdAt: ts('created_at').notNull().default(now),
  revokedAt: ts('revoked_at'),
  lastUsedAt: ts('last_used_at'),
});

/** Monotonic counters keyed by name (e.g. stale messages dropped), cheap to read for metrics. */
export const counters = weir.table('counters', {
  name: text('name').primaryKey(),
  value: bigint('value', { mode: 'number' }).notNull().default(0),
});

/** Webhook endpoints: `POST /v1/hooks/{name}` verified with `secret`, then start or publish. */
export const hooks = weir.table('hooks', {
  name: text('name').primaryKey(),
  namespace: text('namespace').notNull(),
  /** `{ kind: 'start', workflow: { name, version? } } | { kind: 'event', type, source? }` */
  target: jsonb('target').notNull(),
  /** Signing secret, encrypted at rest. */
  secret: text('secret').notNull(),
  /** The secret before the last rotation, still accepted until `previousExpiresAt`. */
  previousSecret: text('previous_secret'),
  previousExpiresAt: ts('previous_expires_at'),
  verifier: text('verifier', { enum: ['standard', 'github'] }).notNull().default('standard'),
  createdAt: ts('created_at').notNull().default(now),
});

/** `webhook-id`s seen recently: a replay inside the tolerance window is refused. */
export const hookDeliveries = weir.table(
  'hook_deliveries',
  {
    hook: text('hook').notNull(),
    deliveryId: text('delivery_id').notNull(),
    receivedAt: ts('received_at').notNull().default(now),
  },
  (t) => [primaryKey({ columns: [t.hook, t.deliveryId] }), index('hook_deliveries_received_idx').on(t.receivedAt)],
);

/** Token buckets shared by all replicas (API keys, task rate limits). */
export const rateLimits = weir.table('rate_limits', {
  key: text('key').primaryKey(),
  tokens: doublePrecision('tokens').notNull(),
  updatedAt: ts('updated_at').notNull().default(now),
});

/** Workflow secrets (`$secrets`), encrypted at rest; `WEIR_SECRET_*` variables also provide them. */
export const secrets = weir.table(
  'secrets',
  {
    namespace: text('namespace').notNull(),
    name: text('name').notNull(),
    ciphertext: text('ciphertext').notNull(),
    createdAt: ts('created_at').notNull().default(now),
  },
  (t) => [primaryKey({ columns: [t.namespace, t.name] })],
);
