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

/** The app's onError: typed errors map to their status; anything else is a logged 500. */
export function errorHandler(log: Logger) {
  return (error: Error, c: Context) => {
    // Configuration problems name a setting, never a secret: the operator needs to see which.
    if (error instanceof WeirError && (error.status < 500 || error.code === 'config_invalid')) {
      return problemResponse(c, problem(error.status, error.code, error.message, error.errors));
    }
    if (error instanceof WeirError) {
      log.error('request failed', { requestId: c.get('requestId' as never), code: error.code, error });
      return problemResponse(c, problem(error.status, error.code, 'the server could not complete the request'));
    }
    const status = (error as { status?: number }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return problemResponse(c, problem(status, 'bad_request', error.message));
    }
    log.error('unhandled error', { requestId: c.get('requestId' as never), error });
    return problemResponse(c, problem(500, 'internal', 'the server could not complete the request'));
  };
}
