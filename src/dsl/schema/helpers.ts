/**
 * Building blocks for the DSL schemas. The DSL is full of unions (`string | object`, "exactly one of
 * these keys"); a plain `z.union` reports every branch's failure, which reads like noise. These
 * helpers pick the branch the author evidently meant (by JS type, or by which key is present) and
 * report only that branch's problems, with a message naming what was expected.
 */
import { z } from 'zod';

/** Issue `params.code` values set by Weir's own checks (zod's built-in codes are mapped in issues.ts). */
export type WeirIssueCode = 'unknown_kind' | 'ambiguous_kind' | 'not_supported' | 'invalid_value' | 'invalid_type';

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return 'a string';
  if (typeof v === 'number') return Number.isInteger(v) ? 'an integer' : 'a number';
  if (typeof v === 'boolean') return 'a boolean';
  return typeof v;
}

type Ctx = z.core.$RefinementCtx<unknown>;

export function addIssue(ctx: Ctx, message: string, code: WeirIssueCode, path: PropertyKey[] = []): void {
  ctx.addIssue({ code: 'custom', message, path, params: { weir: code } });
}

/** Runs `schema` on `value` and re-reports its issues at the current position. */
export function forward(ctx: Ctx, schema: z.ZodType, value: unknown): void {
  const r = schema.safeParse(value);
  if (r.success) return;
  for (const issue of r.error.issues) ctx.addIssue(issue as unknown as Parameters<Ctx['addIssue']>[0]);
}

/**
 * Caches a thunk's result. Branch schemas are thunks so recursive schemas (tasks hold task lists)
 * can refer to each other; caching builds each once instead of on every value checked.
 */
export function once<T>(thunk: () => T): () => T {
  let value: T | undefined;
  let built = false;
  return () => {
    if (!built) {
      value = thunk();
      built = true;
    }
    return value as T;
  };
}

/** A schema whose checking is done by `check`; typed as `T` for the model. */
export function custom<T>(check: (value: unknown, ctx: Ctx) => void): z.ZodType<T> {
  return z.unknown().superRefine(check) as unknown as z.ZodType<T>;
}

/**
 * A union chosen by JS type: `string` → the string schema, plain object → the object schema,
 * anything else → one issue "expected <what>".
 */
export function stringOrObject<T>(what: string, str: z.ZodType | null, objectSchema: () => z.ZodType | null): z.ZodType<T> {
  const obj = once(objectSchema);
  return custom<T>((v, ctx) => {
    const o = isPlainObject(v) ? obj() : null;
    if (typeof v === 'string' && str) forward(ctx, str, v);
    else if (o) forward(ctx, o, v);
    else addIssue(ctx, `expected ${what}, got ${describeValue(v)}`, 'invalid_type');
  });
}

export type KeyedBranches = Record<string, () => z.ZodType>;

/**
 * A union of object shapes told apart by which key is present (`{ basic: … }` vs `{ bearer: … }`).
 * Branch keys are tried in order; the first present wins and its schema (which should be strict)
 * reports everything else. With `exclusive`, two branch keys at once is reported as ambiguous.
 */
export function keyedUnion<T>(
  what: string,
  branches: KeyedBranches,
  options: { exclusive?: boolean; unknownCode?: WeirIssueCode } = {},
): z.ZodType<T> {
  const keys = Object.keys(branches);
  const schemas = Object.fromEntries(keys.map((k) => [k, once(branches[k]!)]));
  return custom<T>((v, ctx) => {
    if (!isPlainObject(v)) {
      addIssue(ctx, `expected ${what} (an object with one of: ${keys.join(', ')}), got ${describeValue(v)}`, 'invalid_type');
      return;
    }
    const present = keys.filter((k) => Object.hasOwn(v, k));
    if (present.length === 0) {
      const got = Object.keys(v);
      addIssue(
        ctx,
        `unknown ${what}, expected one of: ${keys.join(', ')}` + (got.length ? ` (found: ${got.join(', ')})` : ' (found an empty object)'),
        options.unknownCode ?? 'unknown_kind',
      );
      return;
    }
    if (options.exclusive && present.length > 1) {
      addIssue(ctx, `${what} must have exactly one of ${present.join(', ')}`, 'ambiguous_kind');
      return;
    }
    forward(ctx, schemas[present[0]!]!(), v);
  });
}

/** A `[{ name: value }]` list where each item is a single-key map (task lists, switch cases, extensions). */
export function namedList<T>(what: string, itemSchema: () => z.ZodType, options: { minItems?: number } = {}): z.ZodType<Array<Record<string, T>>> {
  const item = once(itemSchema);
  return custom<Array<Record<string, T>>>((v, ctx) => {
    if (!Array.isArray(v)) {
      addIssue(ctx, `expected a list of ${what}s (- name: {...}), got ${describeValue(v)}`, 'invalid_type');
      return;
    }
    if (options.minItems && v.length < options.minItems) {
      addIssue(ctx, `expected at least ${options.minItems} ${what}${options.minItems > 1 ? 's' : ''}`, 'invalid_value');
    }
    v.forEach((entry, i) => {
      if (!isPlainObject(entry) || Object.keys(entry).length !== 1) {
        const keys = isPlainObject(entry) ? Object.keys(entry) : [];
        const got = !isPlainObject(entry) ? describeValue(entry) : keys.length === 0 ? 'an empty object' : `${keys.length} keys (${keys.join(', ')})`;
        addIssue(ctx, `each ${what} in the list must be a single-key map { <${what} name>: {...} }, got ${got}`, 'invalid_type', [i]);
        return;
      }
      const [name] = Object.keys(entry);
      const r = item().safeParse(entry[name!]);
      if (!r.success) {
        for (const issue of r.error.issues) {
          ctx.addIssue({ ...(issue as object), path: [i, name!, ...issue.path] } as unknown as Parameters<Ctx['addIssue']>[0]);
        }
      }
    });
  });
}

/** `${ … }` as the JSON schema's `runtimeExpression` pattern (dotAll, so multi-line programs pass). */
export const runtimeExpressionPattern = /^\s*\$\{.+\}\s*$/s;

const absolute = /^[A-Za-z][A-Za-z0-9+\-.]*:\/\/.*/s;
// RFC 6570 (level 4): literals, pct-encoded bytes and {op var.name:len,var*} expressions. Like the
// JSON schema's `format: uri-template` checker, `'` is tolerated as a literal.
const varname = String.raw`(?:[A-Za-z0-9_]|%[0-9A-Fa-f]{2})+(?:\.(?:[A-Za-z0-9_]|%[0-9A-Fa-f]{2})+)*`;
const varspec = String.raw`${varname}(?::[1-9][0-9]{0,3}|\*)?`;
const templateGrammar = new RegExp(
  String.raw`^(?:[^\x00-\x20\x7f"<>%\\^\`{|}]|%[0-9A-Fa-f]{2}|\{[+#./;?&=,!@|]?${varspec}(?:,${varspec})*\})*$`,
);

/** An absolute URI or RFC 6570 template with a scheme (`https://host/pets/{id}`). */
export const uriTemplatePattern = { test: (s: string): boolean => absolute.test(s) && templateGrammar.test(s) };
export const uriTemplate = z.string().refine((s) => uriTemplatePattern.test(s), { message: 'expected an absolute URI or URI template (scheme://...)' });

export const anyMap = z.record(z.string(), z.unknown());
export const int = z.number().int();
