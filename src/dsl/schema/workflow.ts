/** The workflow document: `document`, `use`, `do`, data flow, `timeout`, `schedule`. */
import { z } from 'zod';
import type * as M from '../model.ts';
import {
  authenticationPolicy,
  duration,
  endpoint,
  error,
  eventConsumptionStrategy,
  input,
  output,
  retryPolicy,
  timeout,
  timeoutOrReference,
} from './common.ts';
import { anyMap, namedList } from './helpers.ts';
import { task, taskList } from './tasks.ts';

// Semantic versions, as the JSON schema's `document.dsl` / `document.version` pattern (semver.org).
const semver =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;
// RFC 1123 label: what `namespace` and `name` must look like (they appear in URLs and queue names).
const label = /^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$/;

const labelString = (what: string) =>
  z.string().regex(label, { message: `${what} must be 1-63 letters, digits or '-', starting and ending with a letter or digit` });

export const document: z.ZodType<M.Document> = z.strictObject({
  dsl: z.string().regex(semver, { message: "expected the DSL version as semver, e.g. '1.0.3'" }),
  namespace: labelString('namespace'),
  name: labelString('name'),
  // At most 255: the version is part of the workflows table's primary key, and a btree entry
  // past ~2.7 kB is refused by Postgres (a 9,000-character pre-release tag was a 500).
  version: z.string().max(255, { message: 'a version is at most 255 characters' }).regex(semver, { message: "expected a semantic version, e.g. '1.0.0'" }),
  title: z.string().optional(),
  summary: z.string().optional(),
  tags: anyMap.optional(),
  metadata: anyMap.optional(),
});

const extension: z.ZodType<M.Extension> = z.strictObject({
  extend: z.enum(['call', 'composite', 'emit', 'for', 'listen', 'raise', 'run', 'set', 'switch', 'try', 'wait', 'all']),
  when: z.string().optional(),
  before: taskList.optional(),
  after: taskList.optional(),
});

export const use: z.ZodType<M.Use> = z.strictObject({
  authentications: z.record(z.string(), authenticationPolicy).optional(),
  errors: z.record(z.string(), error).optional(),
  extensions: namedList<M.Extension>('extension', () => extension).optional(),
  functions: z.record(z.string(), task).optional(),
  retries: z.record(z.string(), retryPolicy).optional(),
  secrets: z.array(z.string()).optional(),
  timeouts: z.record(z.string(), timeout).optional(),
  catalogs: z.record(z.string(), z.strictObject({ endpoint })).optional(),
});

const schedule: z.ZodType<M.Schedule> = z.strictObject({
  every: duration.optional(),
  cron: z.string().optional(),
  after: duration.optional(),
  on: eventConsumptionStrategy.optional(),
});

const evaluate: z.ZodType<M.Evaluate> = z.strictObject({
  language: z.string().optional(),
  mode: z.enum(['strict', 'loose']).optional(),
});

/**
 * The whole document. Unlike the JSON schema, unknown top-level properties are errors (a misspelt
 * `ouput:` would otherwise be ignored silently); `evaluate` is accepted as dsl-reference.md defines it.
 */
export const workflowSchema: z.ZodType<M.Workflow> = z.strictObject({
  document,
  input: input.optional(),
  use: use.optional(),
  do: taskList,
  timeout: timeoutOrReference.optional(),
  output: output.optional(),
  schedule: schedule.optional(),
  evaluate: evaluate.optional(),
});
