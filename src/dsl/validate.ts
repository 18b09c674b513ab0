/**
 * `validateWorkflow`: the whole document is checked before anything runs, and every problem is
 * reported at once (schema, references, unsupported features, runtime expression syntax).
 */
import { expressionsOf } from './expressions.ts';
import type { ExpressionSite } from './expressions.ts';
import { fromZodIssues } from './issues.ts';
import type { ValidationIssue, Workflow } from './model.ts';
import { MAX_DEPTH, valueTooDeep } from './limits.ts';
import { joinPointer } from './pointer.ts';
import { workflowSchema } from './schema/workflow.ts';
import { semanticIssues } from './semantic.ts';

export type ValidateOptions = {
  /**
   * Compiles one runtime expression (`source` without `${ }`); returns an error message, or
   * `undefined` when it compiles. `site.variables` lists the loop/catch variables in scope (besides `$context`, `$input`, …).
   */
  checkExpression?: (source: string, pointer: string, site: ExpressionSite) => string | undefined;
  /** Maps a pointer to its place in the source text (`ParseResult.locate`), to add line/column to issues. */
  locate?: (pointer: string) => { line: number; column: number } | undefined;
};

export type ValidationResult = { ok: true; workflow: Workflow } | { ok: false; errors: ValidationIssue[] };

/**
 * Validates a parsed document against the DSL 1.0 schema and Weir's semantic rules.
 * On success the document itself is returned, typed (no defaults filled in, shape unchanged).
 *
 * @example
 * const r = validateWorkflow(doc, { checkExpression }); // from src/expr/check.ts (jq)
 * if (!r.ok) for (const e of r.errors) console.log(`${e.pointer}: ${e.message}`);
 */
export function validateWorkflow(doc: unknown, options: ValidateOptions = {}): ValidationResult {
  const tooDeep = valueTooDeep(doc);
  if (tooDeep !== undefined) {
    // Checked first, iteratively: everything below recurses once per level.
    return { ok: false, errors: [{ pointer: tooDeep, code: 'too_deep', message: `document nests deeper than ${MAX_DEPTH} levels`, ...options.locate?.(tooDeep) }] };
  }
  const errors: ValidationIssue[] = [];
  const parsed = workflowSchema.safeParse(doc);
  if (!parsed.success) errors.push(...fromZodIssues(doc, parsed.error.issues));
  errors.push(...semanticIssues(doc));
  if (options.checkExpression) {
    for (const site of expressionsOf(doc)) {
      const message = options.checkExpression(site.source, site.pointer, site);
      if (message !== undefined) errors.push({ pointer: site.pointer, code: 'invalid_expression', message: `invalid runtime expression: ${message}` });
    }
  }
  const unique = inDocumentOrder(doc, dedupe(errors));
  if (unique.length === 0) return { ok: true, workflow: doc as Workflow };
  const locate = options.locate;
  return { ok: false, errors: locate ? unique.map((e) => ({ ...e, ...locate(e.pointer) })) : unique };
}

/** Sorts issues by where they are in the document (pre-order), so a reader goes top to bottom. */
function inDocumentOrder(doc: unknown, issues: ValidationIssue[]): ValidationIssue[] {
  if (issues.length < 2) return issues;
  const order = new Map<string, number>();
  const visit = (node: unknown, pointer: string) => {
    order.set(pointer, order.size);
    if (Array.isArray(node)) node.forEach((v, i) => visit(v, joinPointer(pointer, i)));
    else if (node !== null && typeof node === 'object') for (const [k, v] of Object.entries(node)) visit(v, joinPointer(pointer, k));
  };
  visit(doc, '');
  const rank = (pointer: string): number => {
    // A missing property ranks right after its parent, before the parent's existing children.
    for (let p = pointer; ; p = p.slice(0, p.lastIndexOf('/'))) {
      const r = order.get(p);
      if (r !== undefined) return p === pointer ? r : r + 0.5;
      if (p === '') return 0;
    }
  };
  return issues
    .map((issue, i) => ({ issue, i, r: rank(issue.pointer) }))
    .sort((a, b) => a.r - b.r || a.i - b.i)
    .map((x) => x.issue);
}

function dedupe(issues: ValidationIssue[]): ValidationIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = `${i.pointer}\u0000${i.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
