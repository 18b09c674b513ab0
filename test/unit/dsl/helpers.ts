import { parse } from 'yaml';
import { validateWorkflow } from '../../../src/dsl/index.ts';
import type { ValidateOptions, ValidationIssue } from '../../../src/dsl/index.ts';

/** A minimal valid header; tests append `do:` and friends. */
export const HEADER = `document:
  dsl: '1.0.3'
  namespace: test
  name: sample
  version: '0.1.0'
`;

export function yaml(text: string): unknown {
  return parse(text, { version: '1.2', schema: 'core' });
}

/** Validates `HEADER + body` and returns the issues (empty when valid). */
export function issuesOf(body: string, options?: ValidateOptions): ValidationIssue[] {
  const r = validateWorkflow(yaml(HEADER + body), options);
  return r.ok ? [] : r.errors;
}

/** `pointer [code]` lines, compact for assertions. */
export function brief(issues: ValidationIssue[]): string[] {
  return issues.map((i) => `${i.pointer} [${i.code}]`);
}
