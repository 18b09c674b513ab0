/** Performers of the interpreter's effects (I/O lives here) and the in-memory local runner. */
export { performHttp, type HttpOutcome, type HttpPerformerOptions } from './http.ts';
export { ssrfProblem, isPrivateIp, type SsrfOptions } from './ssrf.ts';
export { EventBus } from './event-bus.ts';
export { runLocally, type LocalRunOptions, type LocalRunResult, type WorkflowRef } from './local-runner.ts';
