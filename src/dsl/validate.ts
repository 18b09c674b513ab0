/**
 * `validateWorkflow`: the whole document is checked before anything runs, and every problem is
 * reported at once (schema, references, unsupported features, runtime expression syntax).
 */
import { expressionsOf } from './expressions.ts';
import { fromZodIssues } from './issues.ts';
import type { ValidationIssue, Workflow } from './model.ts';
import { workflowSchema } from './schema/workflow.ts';
import { semanticIssues } from './semantic.ts';

export type ValidateOptions = {
  /**
   * Compiles one runtime expression (`source` without `${ }`); returns an error message, or
   * `undefined` when it compiles. Wire it to the jq compiler (see `jqExpressionChecker`).
   */
  checkExpression?: (source: string, pointer: string) => string | undefined;
};

export type ValidationResult = { ok: true; workflow: Workflow } | { ok: false; errors: ValidationIssue[] };

/**
 * Validates a parsed document against the DSL 1.0 schema and Weir's semantic rules.
 * On success the document itself is returned, typed (no defaults filled in, shape unchanged).
 *
 * @example
 * const r = validateWorkflow(doc, { checkExpression: jqExpressionChecker });
 * if (!r.ok) for (const e of r.errors) console.log(`${e.pointer}: ${e.message}`);
 */
export function validateWorkflow(doc: unknown, options: ValidateOptions = {}): ValidationResult {
  const errors: ValidationIssue[] = [];
  const parsed = workflowSchema.safeParse(doc);
  if (!parsed.success) errors.push(...fromZodIssues(doc, parsed.error.issues));
  errors.push(...semanticIssues(doc));
  if (options.checkExpression) {
    for (const site of expressionsOf(doc)) {
      const message = options.checkExpression(site.source, site.pointer);
      if (message !== undefined) errors.push({ pointer: site.pointer, code: 'invalid_expression', message: `invalid runtime expression: ${message}` });
    }
  }
  const unique = dedupe(errors);
  return unique.length === 0 ? { ok: true, workflow: doc as Workflow } : { ok: false, errors: unique };
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
