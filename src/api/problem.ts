/**
 * RFC 9457 problem details: every error the API returns has this shape, with `errors[]` holding a
 * JSON pointer per bad field. Internal errors reveal nothing but the request id.
 */
import type { Context } from 'hono';
import { WeirError, type ProblemField } from '../errors.ts';
import type { Logger } from '../log.ts';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  errors?: ProblemField[];
  requestId?: string;
}

const titles: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export const PROBLEM_BASE = 'https://weir.dev/problems/';

export function problem(status: number, code: string, detail?: string, errors?: ProblemField[]): Problem {
  return {
    type: `${PROBLEM_BASE}${code.replaceAll('_', '-')}`,
    title: titles[status] ?? 'Error',
    status,
    ...(detail ? { detail } : {}),
    ...(errors?.length ? { errors } : {}),
  };
}

export function problemResponse(c: Context, p: Problem, headers: Record<string, string> = {}): Response {
  const requestId = c.get('requestId' as never) as string | undefined;
  const body = { ...p, instance: p.instance ?? new URL(c.req.url).pathname, ...(requestId ? { requestId } : {}) };
  return new Response(JSON.stringify(body), {
    status: p.status,
    headers: { 'content-type': 'application/problem+json', ...headers },
  });
}

/**
 * SQLSTATEs that mean "this input value cannot be stored" (class 22, data exception; 54000, a
 * value too long for its index; 54001, a value nested too deep for the server's stack), as raised
 * while a request's own values are written or compared.
 */
const unstorableStates = new Set([
  '22001', // string_data_right_truncation
  '22003', // numeric_value_out_of_range
  '22007', // invalid_datetime_format
  '22008', // datetime_field_overflow
  '22021', // character_not_in_repertoire (U+0000 in text)
  '22P02', // invalid_text_representation
  '22P05', // untranslatable_character (\u0000 or a lone surrogate in jsonb)
  '54000', // program_limit_exceeded (a value too long for its btree index entry)
  '54001', // statement_too_complex (stack depth)
]);

/** The app's onError: typed errors map to their status; anything else is a logged 500. */
export function errorHandler(log: Logger) {
  return (error: Error, c: Context) => {
    // Configuration problems name a setting, never a secret: the operator needs to see which.
    if (error instanceof WeirError && (error.status < 500 || error.code === 'config_invalid' || error.code === 'not_available_here')) {
      return problemResponse(c, problem(error.status, error.code, error.message, error.errors));
    }
    if (error instanceof WeirError) {
      log.error('request failed', { requestId: c.get('requestId' as never), code: error.code, error });
      return problemResponse(c, problem(error.status, error.code, 'the server could not complete the request'));
    }
    const sqlstate = (error as { code?: unknown }).code;
    if (typeof sqlstate === 'string' && unstorableStates.has(sqlstate)) {
      // A value from the request that Postgres refuses (NUL in text, a year 0 timestamp, a
      // number out of range): the client's to change, so 422 — never a 500. The routes refuse
      // what they can foresee with a pointer; this is the net under them.
      log.warn('request value refused by Postgres', { requestId: c.get('requestId' as never), sqlstate });
      return problemResponse(c, problem(422, 'unprocessable', `a value in the request cannot be stored (SQLSTATE ${sqlstate}); check strings for U+0000 and dates and numbers for range`));
    }
    const status = (error as { status?: number }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return problemResponse(c, problem(status, 'bad_request', error.message));
    }
    log.error('unhandled error', { requestId: c.get('requestId' as never), error });
    return problemResponse(c, problem(500, 'internal', 'the server could not complete the request'));
  };
}
