/**
 * The one seam between the conformance harness and Weir: parse + validate a document the way the
 * API does, then run it with the local runner. Everything the CTK and the spec examples exercise
 * goes through here, so a change in either contract is fixed in one place.
 */
import { parseDocument, validateWorkflow } from '../../src/dsl/index.ts';
import type { Workflow } from '../../src/dsl/index.ts';
import { runLocally } from '../../src/effects/local-runner.ts';
import { checkExpression } from '../../src/expr/check.ts';
import type { LocalRunOptions, LocalRunResult } from '../../src/effects/local-runner.ts';

export type { Workflow };
export type RunOptions = LocalRunOptions;
/** The part of a local run the harness reads; `history` stays opaque (see trace.ts). */
export interface RunResult {
  readonly status: LocalRunResult['status'];
  readonly output?: unknown;
  readonly error?: Readonly<Record<string, unknown>> | undefined;
  readonly history: readonly unknown[];
}

export interface LoadError {
  readonly pointer?: string;
  readonly message: string;
  readonly code?: string;
}

export type LoadResult =
  | { readonly ok: true; readonly workflow: Workflow; readonly document: unknown }
  | { readonly ok: false; readonly stage: 'parse' | 'validate'; readonly errors: readonly LoadError[] };

export async function loadWorkflow(text: string): Promise<LoadResult> {
  const parsed = parseDocument(text);
  if (!parsed.ok) return { ok: false, stage: 'parse', errors: parsed.errors };
  // jq syntax is checked at registration, as the API and `weir run` do.
  const validated = validateWorkflow(parsed.value, { checkExpression });
  if (!validated.ok) return { ok: false, stage: 'validate', errors: validated.errors };
  return { ok: true, workflow: validated.workflow, document: parsed.value };
}

export async function runWorkflow(workflow: Workflow, input: unknown, options: RunOptions): Promise<RunResult> {
  return runLocally(workflow, input, options);
}

/** Renders validation errors for a failing test: one `pointer: message [code]` per line. */
export function describeLoadErrors(result: Extract<LoadResult, { ok: false }>): string {
  return `${result.stage} failed:\n${result.errors.map((e) => `  ${e.pointer || '(document)'}: ${e.message}${e.code ? ` [${e.code}]` : ''}`).join('\n')}`;
}
