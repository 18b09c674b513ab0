/**
 * Workflow definitions: registration (parse, validate with every expression compiled, digest,
 * insert, create the queue) and a bounded in-memory cache of validated models for the runner.
 * A definition is immutable per (namespace, name, version), so a cached model never goes stale.
 */
import { parseDocument, validateWorkflow, type Workflow } from '../dsl/index.ts';
import { checkExpression } from '../expr/check.ts';
import { flowOptionsOf, type FlowOptions, type FlowOverrides } from './flow.ts';
import { WeirError } from '../errors.ts';
import { isQueueName, QUEUE_NAME_RULE } from '../queue-name.ts';
import { pgmq } from '../store/queries/pgmq.ts';
import { getWorkflow, insertWorkflow, type WorkflowRow } from '../store/queries/workflows.ts';
import type { Sql } from '../store/sql.ts';
import { scheduleProblems, syncSchedule } from '../scheduler/schedules.ts';

export const DEFAULT_QUEUE = 'weir_default';

export interface Registered {
  outcome: 'created' | 'unchanged';
  namespace: string;
  name: string;
  version: string;
  digest: string;
  queue: string;
  /** Flow-control options (concurrency, debounce), when the version has any. */
  flow?: FlowOptions;
}

/** Canonical JSON (sorted keys) so the digest ignores key order and formatting. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const obj = value as Record<string, unknown>;
  return `{${Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`)
    .join(',')}}`;
}

export async function digestOf(document: unknown): Promise<string> {
  const bytes = new TextEncoder().encode(canonicalJson(document));
  const hash = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return `sha256:${Array.from(hash, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/** Parses and validates a document; throws a 422 WeirError listing every issue with its pointer. */
export function validateDocument(text: string, format?: 'yaml' | 'json'): { document: Record<string, unknown>; workflow: Workflow } {
  const parsed = parseDocument(text, format);
  if (!parsed.ok) {
    throw new WeirError('validation_failed', 'the workflow document could not be parsed', {
      errors: parsed.errors.map((e) => ({ pointer: e.pointer, message: e.message })),
    });
  }
  const result = validateWorkflow(parsed.value, { checkExpression });
  if (!result.ok) {
    throw new WeirError('validation_failed', `the workflow document is invalid (${result.errors.length} problem${result.errors.length === 1 ? '' : 's'})`, {
      errors: result.errors.map((e) => ({ pointer: e.pointer, message: e.message })),
    });
  }
  return { document: parsed.value as Record<string, unknown>, workflow: result.workflow };
}

export function queueOf(document: Record<string, unknown>, override?: string): string {
  const meta = (document.document as { metadata?: { weir?: { queue?: unknown } } } | undefined)?.metadata?.weir?.queue;
  const queue = override ?? (typeof meta === 'string' ? meta : DEFAULT_QUEUE);
  if (!isQueueName(queue)) {
    throw new WeirError('validation_failed', `queue "${queue}" is invalid`, {
      errors: [{ pointer: override !== undefined ? '/query/queue' : '/document/metadata/weir/queue', message: QUEUE_NAME_RULE }],
    });
  }
  return queue;
}

/** Registers a workflow version: 'created', 'unchanged' (same document again), or a 409 conflict. */
export async function registerWorkflow(
  sql: Sql,
  text: string,
  options: { format?: 'yaml' | 'json'; queue?: string; flow?: FlowOverrides } = {},
): Promise<Registered> {
  const { document, workflow } = validateDocument(text, options.format);
  return storeWorkflow(sql, { document, workflow, source: text, queue: queueOf(document, options.queue), ...(options.flow ? { flow: options.flow } : {}) });
}

/**
 * Stores a validated document — the one write path for registrations (API and CLI): checks its
 * schedule, digests it, creates its queue, inserts the version and registers its schedule, in one
 * transaction. Same document again: 'unchanged'. Another document under an existing version: 409.
 */
export async function storeWorkflow(
  sql: Sql,
  w: { document: Record<string, unknown>; workflow: Workflow; source: string; queue: string; flow?: FlowOverrides },
): Promise<Registered> {
  const { namespace, name, version } = w.workflow.document;
  const problems = scheduleProblems(w.workflow, w.document);
  if (problems.length) throw new WeirError('validation_failed', 'the workflow schedule is invalid', { errors: problems });
  const flow = flowOptionsOf(w.document, w.flow);
  const digest = await digestOf(w.document);
  const result = await sql.begin(async (tx) => {
    const inserted = await insertWorkflow(tx, { namespace, name, version, document: w.document, source: w.source, digest, queue: w.queue, ...(flow ? { options: flow } : {}) });
    if (inserted.outcome === 'created') {
      await pgmq.create(tx, w.queue);
      await syncSchedule(tx, w.workflow, w.document);
    }
    return inserted;
  });
  if (result.outcome === 'unchanged' && canonicalJson(result.row.options ?? null) !== canonicalJson(flow ?? null)) {
    throw new WeirError(
      'conflict',
      `${namespace}/${name} version ${version} is already registered with other flow-control options (${canonicalJson(result.row.options ?? null)}); registered versions are immutable: bump document.version`,
      { errors: [{ pointer: '/query', message: 'differs from the registered options' }] },
    );
  }
  if (result.outcome === 'conflict') {
    throw new WeirError(
      'conflict',
      `${namespace}/${name} version ${version} is already registered with a different document (${result.row.digest}); registered versions are immutable: bump document.version`,
      { errors: [{ pointer: '/document/version', message: 'already registered with a different document' }] },
    );
  }
  return { outcome: result.outcome, namespace, name, version, digest: result.row.digest, queue: result.row.queue, ...(flow ? { flow } : {}) };
}

/** Validated models by `namespace/name/version`, least recently used evicted. */
export class DefinitionCache {
  readonly #max: number;
  readonly #entries = new Map<string, Workflow>();

  constructor(max = 500) {
    this.#max = max;
  }

  async get(sql: Sql, namespace: string, name: string, version: string): Promise<Workflow | undefined> {
    const key = `${namespace}/${name}/${version}`;
    const hit = this.#entries.get(key);
    if (hit) {
      this.#entries.delete(key);
      this.#entries.set(key, hit);
      return hit;
    }
    const row = await getWorkflow(sql, namespace, name, version);
    if (!row) return undefined;
    const model = this.load(row);
    this.#entries.set(key, model);
    if (this.#entries.size > this.#max) this.#entries.delete(this.#entries.keys().next().value as string);
    return model;
  }

  load(row: WorkflowRow): Workflow {
    const result = validateWorkflow(row.document);
    if (!result.ok) {
      throw new WeirError('unprocessable', `stored workflow ${row.namespace}/${row.name}:${row.version} no longer validates: ${result.errors[0]?.pointer} ${result.errors[0]?.message}`);
    }
    return result.workflow;
  }
}
