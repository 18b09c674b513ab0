/**
 * CloudEvents 1.0 validation and the HTTP protocol binding's three content modes: structured
 * (`application/cloudevents+json`), batch (`application/cloudevents-batch+json`) and binary
 * (attributes in `ce-*` headers, the body is the data).
 */
import { z } from '@hono/zod-openapi';
import type { CloudEventRecord } from '../store/queries/events.ts';
import type { ProblemField } from '../errors.ts';
import { bytesToBase64 } from '../crypto.ts';

const attributeName = /^[a-z0-9]{1,20}$/;
const nonEmpty = (what: string) => z.string({ error: `${what} must be a string` }).min(1, { error: `${what} must not be empty` });
const utf8 = new TextEncoder();
/**
 * `id`, `source` and `type` are indexed (the primary key is (source, id); type has an index), and
 * Postgres refuses a btree entry past ~2.7 kB: a 10,000-character id was a 500. 1 KiB each keeps
 * (source, id) under the limit whatever the characters.
 */
export const MAX_KEY_ATTRIBUTE_BYTES = 1024;
const indexed = (what: string) =>
  nonEmpty(what).refine((s) => s.length <= MAX_KEY_ATTRIBUTE_BYTES && utf8.encode(s).length <= MAX_KEY_ATTRIBUTE_BYTES, {
    error: `${what} must be at most ${MAX_KEY_ATTRIBUTE_BYTES} bytes (UTF-8)`,
  });
const rfc3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const absoluteUri = /^[a-zA-Z][a-zA-Z0-9+.-]*:\S*$/;
const mediaType = /^[\w.+-]+\/[\w.+-]+(\s*;.*)?$/;

export const CloudEventSchema = z
  .object({
    specversion: z.literal('1.0', { error: 'specversion must be "1.0"' }),
    id: indexed('id'),
    source: indexed('source').refine((s) => !/\s/.test(s), { error: 'source must be a URI-reference' }),
    type: indexed('type'),
    subject: nonEmpty('subject').optional(),
    time: z.string().refine((t) => rfc3339.test(t) && !Number.isNaN(Date.parse(t)), { error: 'time must be an RFC 3339 timestamp' }).optional(),
    datacontenttype: z.string().regex(mediaType, { error: 'datacontenttype must be an RFC 2046 media type' }).optional(),
    dataschema: z.string().regex(absoluteUri, { error: 'dataschema must be an absolute URI' }).optional(),
    data: z.unknown().optional(),
    data_base64: z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, { error: 'data_base64 must be base64' }).optional(),
  })
  .catchall(z.union([z.string(), z.number().int(), z.boolean(), z.null()], { error: 'an extension attribute must be a string, integer or boolean' }))
  .superRefine((e, ctx) => {
    if (e.data !== undefined && e.data_base64 !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['data_base64'], message: 'an event carries data or data_base64, not both' });
    }
  })
  .openapi('CloudEvent', { description: 'A CloudEvent 1.0 (JSON format)' });

export type Parsed = { ok: true; events: CloudEventRecord[] } | { ok: false; errors: ProblemField[] };

const pointerOf = (path: readonly PropertyKey[]) => path.map((p) => `/${String(p).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');

export function validateEvents(values: readonly unknown[], batch: boolean): Parsed {
  const errors: ProblemField[] = [];
  const events: CloudEventRecord[] = [];
  values.forEach((v, i) => {
    // Checked apart from the schema: zod skips refinements once a required attribute is missing.
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      for (const k of Object.keys(v)) {
        if (k !== 'data_base64' && !attributeName.test(k)) {
          errors.push({ pointer: pointerOf(batch ? [i, k] : [k]), message: `attribute name "${k}" must be 1 to 20 lower-case letters or digits` });
        }
      }
    }
    const r = CloudEventSchema.safeParse(v);
    if (r.success) events.push(r.data as CloudEventRecord);
    else for (const issue of r.error.issues) errors.push({ pointer: pointerOf(batch ? [i, ...issue.path] : issue.path), message: issueMessage(issue) });
  });
  return errors.length ? { ok: false, errors } : { ok: true, events };
}

function issueMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type' && issue.input === undefined) return `${String(issue.path[issue.path.length - 1])} is required`;
  return issue.message;
}

const isJsonType = (t: string) => /^application\/([\w.-]+\+)?json$/i.test(t.split(';')[0].trim()) || t.trim() === '';

/** Binary mode: `ce-*` headers are the attributes (percent-decoded), the body is the data. */
export function fromBinary(headers: Headers, body: Uint8Array): { ok: true; value: Record<string, unknown> } | { ok: false; message: string } {
  const event: Record<string, unknown> = {};
  headers.forEach((value, name) => {
    const n = name.toLowerCase();
    if (n.startsWith('ce-')) {
      try {
        event[n.slice(3)] = decodeURIComponent(value);
      } catch {
        event[n.slice(3)] = value;
      }
    }
  });
  const contentType = headers.get('content-type') ?? '';
  if (contentType) event.datacontenttype = contentType;
  if (body.length) {
    if (isJsonType(contentType)) {
      try {
        event.data = JSON.parse(new TextDecoder().decode(body));
      } catch (e) {
        return { ok: false, message: `the body is not valid JSON: ${(e as Error).message}` };
      }
    } else if (/^text\/|\+xml$|\/xml$/i.test(contentType.split(';')[0])) {
      event.data = new TextDecoder().decode(body);
    } else {
      event.data_base64 = bytesToBase64(body);
    }
  }
  return { ok: true, value: event };
}
