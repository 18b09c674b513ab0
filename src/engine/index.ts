/** The pure interpreter: `advance` and `isStale`, plus the types of state, stimuli and effects. */
export { advance, isStale } from './advance.ts';
export { errorTypes, workflowError, errorTypeMatches, type WorkflowError } from './errors.ts';
export type * from './types.ts';
