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
export { parseDocument, DEFAULT_MAX_BYTES } from './parse.ts';
export type { ParseOptions, ParseResult, SourcePosition } from './parse.ts';
export { validateWorkflow } from './validate.ts';
export type { ValidateOptions, ValidationResult } from './validate.ts';
export { expressionsOf, runtimeVariables } from './expressions.ts';
export type { ExpressionSite } from './expressions.ts';
export { durationToMs, isoDurationProblem } from './duration.ts';
export { expressionSource, isRuntimeExpression, taskAt, taskEntries, taskEntry, taskKindOf } from './normalize.ts';
export { escapeToken, joinPointer, parsePointer, resolvePointer, toPointer } from './pointer.ts';
export { workflowSchema } from './schema/workflow.ts';
export { task as taskSchema, unsupportedCalls, unsupportedRuns } from './schema/tasks.ts';
