/**
 * Compile-time check of one runtime expression, for `validateWorkflow({ checkExpression })`:
 * a syntax error or an unknown variable is reported at registration, not when the task runs.
 */
import type { ExpressionSite } from '../dsl/expressions.ts';
import { runtimeVariables } from '../dsl/expressions.ts';
import { compileCached, JqError } from './jq/index.ts';

/** Returns the compile error message, or `undefined` when `source` compiles with the variables in scope. */
export function checkExpression(source: string, _pointer: string, site: ExpressionSite): string | undefined {
  const variables = [...runtimeVariables, ...site.variables].map((v) => '$' + v);
  try {
    compileCached(source, { variables });
    return undefined;
  } catch (e) {
    if (e instanceof JqError) return e.message;
    return e instanceof Error ? e.message : String(e);
  }
}
