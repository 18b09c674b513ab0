/**
 * Pieces every route shares: the problem+json schema for the OpenAPI document, standard error
 * responses, page-size and cursor parameters, and reading a JSON body with pointer-carrying errors.
 */
import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { WeirError } from '../errors.ts';
import { bytesToBase64, base64ToBytes } from '../crypto.ts';
import { unstorableValue } from '../dsl/limits.ts';

export const ProblemSchema = z
  .object({
    type: z.string().openapi({ example: 'https://weir.dev/problems/validation-failed' }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    instance: z.string().optional(),
    requestId: z.string().optional(),
    errors: z.array(z.object({ pointer: z.string(), message: z.string() })).optional(),
  })
  .openapi('Problem');

const problemContent = { 'application/problem+json': { schema: ProblemSchema } };

/** OpenAPI responses for the given error statuses, each problem+json. */
export function errors(...statuses: number[]) {
  const described: Record<number, string> = {
    400: 'malformed request',
    401: 'missing or unknown API key',
    403: 'the API key lacks the role or namespace',
    404: 'not found',
    409: 'conflict',
    413: 'body too large',
    415: 'unsupported media type',
    422: 'invalid request; `errors[]` holds a JSON pointer per problem',
    429: 'rate limited; see Retry-After',
    503: 'not configured (the detail names the setting)',
  };
  return Object.fromEntries(statuses.map((s) => [s, { description: described[s] ?? 'error', content: problemContent }]));
}

export const authErrors = [401, 403, 429] as const;

/** The Idempotency-Key request header, documented on every unsafe route. */
export const IdempotencyHeaders = z.object({
  'idempotency-key': z
    .string()
    .max(255)
    .optional()
    .openapi({ description: 'replays the stored response for a repeated request (same key and body); 422 for a different body; 409 while the first is running' }),
});

export const security = [{ bearer: [] as string[] }];

export const CursorQuery = {
  limit: z.coerce.number().int().min(1).optional().openapi({ description: 'page size (bounded by the server)' }),
  cursor: z.string().max(512).optional().openapi({ description: 'the `next` value of the previous page' }),
};

export function pageSize(limit: number | undefined, options: { pageSizeDefault: number; pageSizeMax: number }): number {
  if (limit === undefined) return options.pageSizeDefault;
  if (limit > options.pageSizeMax) {
    throw new WeirError('validation_failed', `limit must be at most ${options.pageSizeMax}`, {
      errors: [{ pointer: '/query/limit', message: `at most ${options.pageSizeMax}` }],
    });
  }
  return limit;
}

export function encodeCursor(value: unknown): string {
  return bytesToBase64(new TextEncoder().encode(JSON.stringify(value))).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

export function decodeCursor<T>(cursor: string | undefined, check: (v: unknown) => v is T): T | undefined {
  if (cursor === undefined) return undefined;
  try {
    const b64 = cursor.replaceAll('-', '+').replaceAll('_', '/');
    const value: unknown = JSON.parse(new TextDecoder().decode(base64ToBytes(b64 + '='.repeat((4 - (b64.length % 4)) % 4))));
    if (check(value)) return value;
  } catch {
    // fall through
  }
  throw new WeirError('validation_failed', 'the cursor is not one this server returned', {
    errors: [{ pointer: '/query/cursor', message: 'invalid cursor' }],
  });
}

/** Parses a JSON body; an empty body is `fallback`. Bad JSON is a 400 naming the position. */
export async function readJson(c: Context, fallback: unknown = undefined): Promise<{ value: unknown; bytes: number }> {
  const text = await c.req.text();
  const bytes = new TextEncoder().encode(text).length;
  if (text.trim() === '') return { value: fallback, bytes };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new WeirError('validation_failed', `the body is not valid JSON: ${(e as Error).message}`, {
      status: 400,
      errors: [{ pointer: '', message: 'invalid JSON' }],
    });
  }
  assertStorable(value);
  return { value, bytes };
}

/**
 * Deepest nesting accepted in a JSON value from a request (instance input, event data, hook
 * payload). V8 parses any depth, but a 100,000-level body then overflowed the stack when
 * serialised for Postgres (a 500); jsonb refuses a few thousand levels anyway. Real payloads nest
 * a few dozen levels.
 */
export const MAX_VALUE_DEPTH = 512;

/** Throws 422 (with the pointer) for a value Postgres cannot store: see `unstorableValue`. */
export function assertStorable(value: unknown, base = ''): void {
  const bad = unstorableValue(value, MAX_VALUE_DEPTH);
  if (bad) {
    throw new WeirError('validation_failed', `the body cannot be stored: ${bad.message} (at "${base + bad.pointer}")`, {
      errors: [{ pointer: base + bad.pointer, message: bad.message }],
    });
  }
}

/**
 * An RFC 3339 timestamp Postgres can hold: zod's datetime accepts year 0000, which Postgres
 * refuses ("date/time field value out of range"), so it was a 500.
 */
export const Timestamp = z
  .string()
  .datetime({ offset: true })
  .refine((s) => new Date(s).getUTCFullYear() >= 1, { error: 'the year must be 0001 or later (in UTC)' });

export function mediaType(c: Context): string {
  return (c.req.header('content-type') ?? '').split(';')[0].trim().toLowerCase();
}

export const iso = (d: Date | null) => (d ? d.toISOString() : null);
