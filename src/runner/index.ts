export { Runner, type DrainOptions, type DrainReport, type RunnerOptions } from './runner.ts';
export { registerWorkflow, validateDocument, digestOf, DefinitionCache, DEFAULT_QUEUE } from './definitions.ts';
export { fireDueTimers } from './timers.ts';
export { deliverEvents } from './events.ts';
