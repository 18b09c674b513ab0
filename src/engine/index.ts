/** The pure interpreter: `advance` and `isStale`, retry from a failed task, plus the types of state, stimuli and effects. */
export { advance, isStale } from './advance.ts';
export { prepareRetry, retryFromFailure, retryRefusal } from './retry.ts';
export { errorTypes, workflowError, errorTypeMatches, type WorkflowError } from './errors.ts';
export type * from './types.ts';
