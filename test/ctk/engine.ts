/**
 * The one seam between the conformance harness and Weir: parse + validate a document, then run it
 * with the local runner. Everything the CTK and the spec examples exercise goes through here, so a
 * change in the runner's contract is fixed in one place.
 *
 * The modules are imported lazily so the suite still loads (and reports which module is missing)
 * while the parser or the local runner is being built.
 */

/** The validated workflow, opaque to the harness. */
export type Workflow = unknown;

export type RunStatus = 'completed' | 'faulted' | 'cancelled' | 'waiting' | 'running';

export interface RunResult {
  readonly status: RunStatus | string;
  readonly output?: unknown;
  readonly error?: Record<string, unknown>;
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

export type RunOptions = Record<string, unknown>;

interface DslModule {
  parseDocument(text: string, format?: 'yaml' | 'json'): { ok: true; value: unknown } | { ok: false; errors: LoadError[] };
  validateWorkflow(doc: unknown): { ok: true; workflow: Workflow } | { ok: false; errors: LoadError[] };
}

interface RunnerModule {
  runLocally(workflow: Workflow, input: unknown, options?: RunOptions): Promise<RunResult>;
}

const DSL = '../../src/dsl/index.ts';
const RUNNER = '../../src/effects/local-runner.ts';

let dsl: DslModule | undefined;
let runner: RunnerModule | undefined;

async function load<T>(specifier: string, names: readonly string[]): Promise<T> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(specifier)) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`cannot load ${specifier.replace('../../', '')}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  const missing = names.filter((n) => typeof mod[n] !== 'function');
  if (missing.length) throw new Error(`${specifier.replace('../../', '')} does not export ${missing.join(', ')} (yet)`);
  return mod as T;
}

/** Parses and validates a YAML/JSON workflow document the way the API would. */
export async function loadWorkflow(text: string): Promise<LoadResult> {
  dsl ??= await load<DslModule>(DSL, ['parseDocument', 'validateWorkflow']);
  const parsed = dsl.parseDocument(text);
  if (!parsed.ok) return { ok: false, stage: 'parse', errors: parsed.errors };
  const validated = dsl.validateWorkflow(parsed.value);
  if (!validated.ok) return { ok: false, stage: 'validate', errors: validated.errors };
  return { ok: true, workflow: validated.workflow, document: parsed.value };
}

export async function runWorkflow(workflow: Workflow, input: unknown, options: RunOptions): Promise<RunResult> {
  runner ??= await load<RunnerModule>(RUNNER, ['runLocally']);
  return runner.runLocally(workflow, input, options);
}

/** Renders validation errors for a failing test: one `pointer: message` per line. */
export function describeLoadErrors(result: Extract<LoadResult, { ok: false }>): string {
  return `${result.stage} failed:\n${result.errors.map((e) => `  ${e.pointer ?? '(document)'}: ${e.message}${e.code ? ` [${e.code}]` : ''}`).join('\n')}`;
}
