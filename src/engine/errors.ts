/**
 * Workflow errors (RFC 7807 problem details with the DSL's standard error types) and the one
 * exception class the interpreter throws internally to carry them.
 */
import type { WorkflowError } from '../dsl/model.ts';

export type { WorkflowError };

const BASE = 'https://serverlessworkflow.io/spec/1.0.0/errors/';

export const errorTypes = {
  configuration: `${BASE}configuration`,
  validation: `${BASE}validation`,
  expression: `${BASE}expression`,
  authentication: `${BASE}authentication`,
  authorization: `${BASE}authorization`,
  timeout: `${BASE}timeout`,
  communication: `${BASE}communication`,
  runtime: `${BASE}runtime`,
} as const;

export type StandardErrorKind = keyof typeof errorTypes;

const defaultStatus: Record<StandardErrorKind, number> = {
  configuration: 400,
  validation: 400,
  expression: 400,
  authentication: 401,
  authorization: 403,
  timeout: 408,
  communication: 500,
  runtime: 500,
};

const defaultTitle: Record<StandardErrorKind, string> = {
  configuration: 'Configuration Error',
  validation: 'Validation Error',
  expression: 'Expression Error',
  authentication: 'Authentication Error',
  authorization: 'Authorization Error',
  timeout: 'Timeout',
  communication: 'Communication Error',
  runtime: 'Runtime Error',
};

/** Builds a standard workflow error; `instance` is filled in by the task that raises it. */
export function workflowError(
  kind: StandardErrorKind,
  detail?: string,
  extra: Partial<WorkflowError> = {},
): WorkflowError {
  const error: WorkflowError = { type: errorTypes[kind], status: defaultStatus[kind], title: defaultTitle[kind] };
  if (detail !== undefined) error.detail = detail;
  return Object.assign(error, extra);
}

/** Thrown inside the interpreter and caught at the task boundary, where it becomes a task fault. */
export class WorkflowFault extends Error {
  readonly error: WorkflowError;
  constructor(error: WorkflowError) {
    super(error.detail ?? error.title ?? error.type);
    this.name = 'WorkflowFault';
    this.error = error;
  }
}

export function fault(kind: StandardErrorKind, detail?: string, extra?: Partial<WorkflowError>): WorkflowFault {
  return new WorkflowFault(workflowError(kind, detail, extra));
}

/** Converts anything thrown inside a task into a workflow error (unexpected ones become runtime errors). */
export function toWorkflowError(e: unknown): WorkflowError {
  if (e instanceof WorkflowFault) return e.error;
  const message = e instanceof Error ? e.message : String(e);
  return workflowError('runtime', message);
}

/**
 * Whether an error type matches the type named in a catch filter. Exact match, or — for the
 * standard types only — the same last path segment under serverlessworkflow.io: the CTK's try.feature
 * filters on `https://serverlessworkflow.io/dsl/errors/types/communication` while dsl.md has runtimes
 * raise `https://serverlessworkflow.io/spec/1.0.0/errors/communication`; both name the same type.
 */
export function errorTypeMatches(actual: string, filter: string): boolean {
  if (actual === filter) return true;
  const a = standardKind(actual);
  return a !== undefined && a === standardKind(filter);
}

function standardKind(type: string): string | undefined {
  const m = /^https?:\/\/(?:www\.)?serverlessworkflow\.io\/.*\/([a-z]+)\/?$/.exec(type);
  if (!m) return undefined;
  return m[1] in errorTypes ? m[1] : undefined;
}
