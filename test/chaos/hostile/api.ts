/**
 * The API under fuzzing: the real app on the file's test database (auth on), the routes read from
 * its own OpenAPI document (a new route is fuzzed and isolation-tested without touching these
 * files), and the one check every answer must pass.
 */
import { expect } from 'vitest';
import { openApiInfo } from '../../../src/api/app.ts';
import { buildApp } from '../../integration/api/_app.ts';

export type App = ReturnType<typeof buildApp>;

export interface Operation {
  method: string;
  /** The OpenAPI path, `{name}` for each parameter. */
  path: string;
  params: { name: string; in: 'path' | 'query' | 'header' }[];
  /** Media types of the request body, when it has one. */
  bodyTypes: string[];
  /** Whether the route needs no API key (health, docs, hook deliveries). */
  public: boolean;
}

/** Every operation in the app's OpenAPI 3.1 document. */
export function operationsOf(app: App): Operation[] {
  const doc = app.getOpenAPI31Document(openApiInfo);
  const out: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const [method, op] of Object.entries(item as Record<string, unknown>)) {
      if (!['get', 'post', 'put', 'delete', 'patch'].includes(method)) continue;
      const o = op as { parameters?: { name: string; in: 'path' | 'query' | 'header' }[]; requestBody?: { content?: Record<string, unknown> }; security?: unknown[] };
      out.push({
        method: method.toUpperCase(),
        path,
        params: (o.parameters ?? []).map((p) => ({ name: p.name, in: p.in })),
        bodyTypes: Object.keys(o.requestBody?.content ?? {}),
        public: !o.security?.length,
      });
    }
  }
  return out;
}

/** Fills `{name}` segments; values are inserted as given (callers percent-encode, or not, on purpose). */
export const fillPath = (path: string, values: Record<string, string>) => path.replace(/\{(\w+)\}/g, (_, n: string) => values[n] ?? 'x');

/** Percent-encodes any string, lone surrogates included (encodeURIComponent throws on those). */
export function encodeSegment(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    return encodeURIComponent(s.replace(/[\uD800-\uDFFF]/gu, '\ufffd'));
  }
}

export interface Answer {
  status: number;
  contentType: string;
  text: string;
  body: unknown;
}

/**
 * The contract of every answer to any input: never a 5xx; a 4xx is `application/problem+json`
 * with `type`, `title` and the same `status`, and a validation failure points at the bad fields.
 */
export async function expectClean(res: Response, what: string): Promise<Answer> {
  const text = await res.text();
  const contentType = res.headers.get('content-type') ?? '';
  const where = `${what} → ${res.status} ${text.slice(0, 300)}`;
  expect(res.status, where).toBeLessThan(500);
  expect(res.status, where).toBeGreaterThanOrEqual(200);
  let body: unknown = undefined;
  if (res.status >= 400) {
    expect(contentType, where).toBe('application/problem+json');
    body = JSON.parse(text);
    const p = body as { type?: unknown; title?: unknown; status?: unknown; errors?: unknown };
    expect(typeof p.type === 'string' && p.type.startsWith('https://weir.dev/problems/'), where).toBe(true);
    expect(typeof p.title, where).toBe('string');
    expect(p.status, where).toBe(res.status);
    if (p.type === 'https://weir.dev/problems/validation-failed') {
      expect(Array.isArray(p.errors) && p.errors.length > 0, `${where}: a validation problem lists its fields`).toBe(true);
      for (const e of p.errors as { pointer?: unknown; message?: unknown }[]) {
        expect(typeof e.pointer === 'string' && (e.pointer === '' || e.pointer.startsWith('/')), where).toBe(true);
        expect(typeof e.message, where).toBe('string');
      }
    }
  } else if (contentType.startsWith('application/json')) {
    body = JSON.parse(text);
  }
  return { status: res.status, contentType, text, body };
}
