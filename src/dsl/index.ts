/**
 * Serverless Workflow DSL 1.0: parse, validate, and the typed model the interpreter runs.
 *
 * @example
 * const parsed = parseDocument(text);
 * if (!parsed.ok) return parsed.errors;
 * const result = validateWorkflow(parsed.value, { checkExpression });
 * if (!result.ok) return result.errors; // [{ pointer: '/do/0/x/call', message, code }]
 * run(result.workflow);
 */
export type * from './model.ts';
export { authenticationSchemes, flowDirectives, taskKinds } from './model.ts';
