/**
 * Typed, coded errors. `code` is stable (clients and tests match on it); `status` is the HTTP
 * status the API maps it to; `pointer` names the bad field (RFC 6901) when there is one.
 */
export type ErrorCode =
  | 'config_invalid'
  | 'validation_failed'
  | 'not_found'
  | 'conflict'
  | 'unprocessable'
  | 'unauthorized'
  | 'forbidden'
  | 'rate_limited'
  | 'payload_too_large'
  | 'data_dir_locked'
  | 'connection_budget'
  | 'database_unavailable'
  /** This process does not do what was asked (e.g. a drain on `weir api`, which runs no runner). */
  | 'not_available_here'
  | 'migration_failed'
  | 'internal';

const statusOf: Record<ErrorCode, number> = {
  config_invalid: 500,
  validation_failed: 422,
  not_found: 404,
  conflict: 409,
  unprocessable: 422,
  unauthorized: 401,
  forbidden: 403,
  rate_limited: 429,
  payload_too_large: 413,
  data_dir_locked: 503,
  connection_budget: 503,
  database_unavailable: 503,
  not_available_here: 503,
  migration_failed: 500,
  internal: 500,
};

export interface ProblemField {
  pointer: string;
  message: string;
}

export class WeirError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly errors: ProblemField[];

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; errors?: ProblemField[]; status?: number } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'WeirError';
    this.code = code;
    this.status = options.status ?? statusOf[code];
    this.errors = options.errors ?? [];
  }
}
