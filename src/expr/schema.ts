/**
 * `input.schema` / `output.schema` / `export.schema` validation (JSON Schema, interpreted by
 * @cfworker/json-schema — no code generation, so it runs on edge runtimes that forbid `new Function`).
 */
import { Validator } from '@cfworker/json-schema';
import type { Schema } from '../dsl/model.ts';
import { fault } from '../engine/errors.ts';

const validators = new WeakMap<object, Validator>();

function validatorFor(document: object | boolean): Validator {
  if (typeof document === 'boolean') return new Validator(document, '2020-12', false);
  let v = validators.get(document);
  if (!v) {
    v = new Validator(document as never, '2020-12', false);
    validators.set(document, v);
  }
  return v;
}

/**
 * Throws a validation error (400) naming the first problems when `value` does not satisfy the
 * schema. `what` says which data was checked ("workflow input", "task output", …).
 */
export function validateSchema(schema: Schema | undefined, value: unknown, what: string): void {
  if (!schema) return;
  if (schema.format !== undefined && !/^json(:|$)/.test(schema.format)) {
    throw fault('configuration', `schema format '${schema.format}' is not supported; use json`);
  }
  if (!('document' in schema)) {
    throw fault('configuration', `external schema resources are not supported for the ${what}; inline the schema under 'document'`);
  }
  const doc = schema.document;
  if (doc === null || (typeof doc !== 'object' && typeof doc !== 'boolean')) {
    throw fault('configuration', `the ${what} schema document must be an object`);
  }
  const result = validatorFor(doc as object | boolean).validate(value);
  if (result.valid) return;
  const problems = result.errors
    .filter((e) => e.keyword !== 'properties' && e.keyword !== 'items' && e.keyword !== '$ref')
    .slice(0, 3)
    .map((e) => `${e.instanceLocation.replace(/^#/, '') || '/'}: ${e.error}`);
  throw fault('validation', `the ${what} does not match its schema: ${(problems.length ? problems : [result.errors[0]?.error ?? 'invalid']).join('; ')}`);
}
