/**
 * The interpreter's data: state (one JSON row), stimuli (what wakes an instance), effects (what the
 * runner must do), history (the timeline). All plain JSON — see ARCHITECTURE.md.
 */
import type { Workflow, WorkflowError } from '../dsl/model.ts';

export type { Workflow, WorkflowError };

export type InstanceStatus = 'running' | 'waiting' | 'suspended' | 'completed' | 'faulted' | 'cancelled';

/** A CloudEvent as JSON (structured mode). */
export type CloudEvent = {
  id: string;
  source: string;
  type: string;
  specversion: string;
  time?: string;
  subject?: string;
  datacontenttype?: string;
  dataschema?: string;
  data?: unknown;
  [extension: string]: unknown;
};

// ---------------------------------------------------------------------------------------------
// Frames: the resumable call stack of one thread (the main flow or one fork branch)

/** Runs the workflow: input schema/transform, then `/do`, then output transform/schema. */
export type WorkflowFrame = { k: 'wf'; fid: number; phase: 'init' | 'run' };

/** Runs a task list (`/do`, `/do/0/x/do`, `/do/1/t/try`, …) applying flow directives. */
export type ListFrame = {
  k: 'list';
  fid: number;
  /** Pointer of the task list (an array in the document). */
  ptr: string;
  /** Index of the task that runs (or ran) now; -1 before the first. */
  index: number;
  /** Data flowing through the list: the output of the last task (raw input of the next). */
  data: unknown;
  /** Variables this list brings into scope (`$item`, `$index`, `$error`, …), keys without `$`. */
  vars?: Record<string, unknown>;
  /** Iterations a `then: <earlier task>` jump has made, bounded by `limits.maxIterations`. */
  jumps?: number;
};

/** Runs one task through its lifecycle (if → input → kind → output → export). */
export type TaskFrame = {
  k: 'task';
  fid: number;
  /** Pointer of the task (`/do/0/getPet`). */
  ptr: string;
  name: string;
  /** `before` / `after`: running the task lists of extensions (`use.extensions`) around the task. */
  phase: 'init' | 'before' | 'run' | 'after';
  /** Raw task input (before `input.from`). */
  raw: unknown;
  /** Transformed task input (`$input`). */
  input?: unknown;
  startedAt: number;
  /** Resolved `$authorization` descriptor, once a call has resolved its authentication. */
  auth?: { scheme: string; parameter: string };
  /** Kind-specific resumable state (loop index, retry attempt, pending request, …). */
  s?: Record<string, unknown>;
  /** Extensions applying to this task: their indexes in `use.extensions`, the one running, and the output held while `after` lists run. */
  x?: { apply: number[]; i: number; out?: unknown; then?: string };
};

export type Frame = WorkflowFrame | ListFrame | TaskFrame;

/** What a finished frame hands to the frame below it. */
export type Signal =
  | { kind: 'return'; value: unknown; then?: string }
  | { kind: 'throw'; error: WorkflowError }
  | { kind: 'stimulus'; stimulus: Stimulus };

export type Thread = {
  id: string;
  stack: Frame[];
  /** True while the top frame waits for a stimulus or for its branches. */
  blocked: boolean;
  /** A pending signal for the top frame. */
  sig?: Signal;
  /** For a fork branch: the forking thread, the fork task frame and the branch index. */
  parent?: { thread: string; fid: number; index: number };
};

/** Something the instance waits for, keyed by effect / timer / subscription / child id. */
export type Wait = {
  kind: 'http' | 'timer' | 'event' | 'child';
  thread: string;
  fid: number;
};

/** A `timeout` (task, workflow, or retry attempt) armed on a frame. */
export type TimeoutEntry = {
  thread: string;
  fid: number;
  dueAt: number;
  /** Pointer reported as the error's `instance`. */
  ptr: string;
  /** Whether the timer effect has been emitted (timers are armed only for frames still active at the end of an advance). */
  armed: boolean;
};

export type InstanceState = {
  v: 1;
  id: string;
  status: InstanceStatus;
  /** Raw workflow input (`$workflow.input`). */
  input: unknown;
  startedAt: number;
  context: unknown;
  /** Counter for frame ids and effect ids. */
  seq: number;
  threads: Record<string, Thread>;
  waits: Record<string, Wait>;
  timeouts: Record<string, TimeoutEntry>;
  output?: unknown;
  error?: WorkflowError;
  /** Stimuli that arrived while suspended, delivered in order on `resume`. */
  inbox?: Stimulus[];
  /** A faulted instance's point of retry: the state as the error left the task that failed (retry.ts). */
  recovery?: Recovery;
  /** Set by `prepareRetry`, consumed by the `retry` stimulus that runs the prepared state. */
  retrying?: { task: string; thread: string };
};

/**
 * What a faulted instance keeps to be retried from its failed task: the threads, waits, timeouts
 * and context as they were when the error left that task, before the unwinding released them.
 * Absent when the fault did not come out of a task (workflow input/output, a workflow timeout,
 * an engine limit): there is no task to run again.
 */
export type Recovery = {
  /** Pointer and name of the task the error left. */
  task: string;
  name: string;
  /** Its thread (`main` or a fork branch). */
  thread: string;
  /** `ctx.now` of the fault: time spent faulted is not counted against timeouts on retry. */
  at: number;
  context: unknown;
  threads: Record<string, Thread>;
  waits: Record<string, Wait>;
  timeouts: Record<string, TimeoutEntry>;
};

// ---------------------------------------------------------------------------------------------
// Stimuli

export type HttpResponseData = {
  status: number;
  headers: Record<string, string>;
  /** Parsed JSON when the content type says JSON, else text (base64 when the request asked for raw). */
  body: unknown;
  /** Final URL after redirects. */
  url?: string;
};

export type ChildOutcome = { status: 'completed' | 'faulted' | 'cancelled'; output?: unknown; error?: WorkflowError };

export type Stimulus =
  | { kind: 'start'; input: unknown }
  | { kind: 'effectResult' | 'httpResult'; id: string; result?: HttpResponseData; error?: WorkflowError }
  | { kind: 'timerFired'; id: string }
  | { kind: 'event'; id: string; events: CloudEvent[] }
  | { kind: 'childDone'; id: string; outcome: ChildOutcome }
  | { kind: 'cancel'; reason?: string }
  | { kind: 'suspend' }
  | { kind: 'resume' }
  /** Runs a state made by `prepareRetry` (stale unless the state is `retrying`). */
  | { kind: 'retry' };

// ---------------------------------------------------------------------------------------------
// Effects

export type HttpRequestSpec = {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: unknown;
  /** `raw`: the performer returns the body base64-encoded. */
  responseType?: 'raw';
  timeoutMs?: number;
};

type EffectBase = { id: string; /** Pointer of the task that produced it. */ task: string; /** Fork branch thread id; absent on the main flow. */ branch?: string };

export type Effect =
  | (EffectBase & {
      kind: 'http';
      request: HttpRequestSpec;
      idempotencyKey: string;
      /** The task's rate limit (`metadata.weir.rateLimit`), its key evaluated: the runner takes a token before the call. */
      rateLimit?: { key: string; limit: number; periodMs: number };
    })
  | (EffectBase & { kind: 'emit'; event: CloudEvent })
  | (EffectBase & { kind: 'timer'; dueAt: number; purpose: 'wait' | 'retry' | 'timeout' })
  | { kind: 'cancelTimer'; id: string }
  /** An HTTP request whose result is no longer wanted (a losing fork branch, a timed-out task): abort it if still in flight. */
  | { kind: 'cancelHttp'; id: string }
  /**
   * Open a subscription. `filters` are the document's event filters (attributes may hold regular or
   * runtime expressions — the engine re-checks every delivered event); `correlation` holds the
   * correlation values already known (from `expect`), which a runner may use to route events.
   */
  | (EffectBase & { kind: 'listen'; strategy: 'one' | 'all' | 'any'; filters: unknown[]; until?: unknown; correlation: Record<string, unknown> })
  | { kind: 'unlisten'; id: string }
  | (EffectBase & { kind: 'startChild'; workflow: { namespace: string; name: string; version: string }; input: unknown; await: boolean })
  | { kind: 'cancelChild'; id: string }
  | { kind: 'complete'; output: unknown }
  | { kind: 'fault'; error: WorkflowError };

// ---------------------------------------------------------------------------------------------
// History

export type HistoryKind =
  | 'workflowStarted'
  | 'workflowCompleted'
  | 'workflowFaulted'
  | 'workflowCancelled'
  | 'workflowSuspended'
  | 'workflowResumed'
  | 'workflowRetried'
  | 'taskStarted'
  | 'taskCompleted'
  | 'taskSkipped'
  | 'taskFaulted'
  | 'taskRetried'
  | 'taskCancelled';

export type HistoryEntry = {
  at: number;
  kind: HistoryKind;
  /** Task name (absent for workflow entries). */
  task?: string;
  /** Task pointer. */
  ref?: string;
  branch?: string;
  /** The replica that ran a fork branch's entry (stamped by the durable runner, not the engine). */
  worker?: string;
  data?: unknown;
};

// ---------------------------------------------------------------------------------------------
// Context

export type EngineLimits = {
  /** Iterations of one `for` / `while` loop, or `then:` jumps within one task list. */
  maxIterations: number;
  /** Frame steps in one `advance` call. */
  maxSteps: number;
};

export type EngineContext = {
  /** Epoch ms, from the database clock. The interpreter reads no clock of its own. */
  now: number;
  /** Instance id (used at `start`; afterwards the state's id is used). */
  instanceId?: string;
  /** Secrets visible as `$secrets` and to `use` authentication policies. */
  secrets?: Record<string, unknown>;
  /** Seed for retry jitter and digest nonces; jitter is a pure function of seed, task and attempt. */
  seed?: string;
  /** `$runtime` descriptor. */
  runtime?: { name: string; version: string; metadata?: Record<string, unknown> };
  limits?: Partial<EngineLimits>;
};

export type AdvanceResult = { state: InstanceState; effects: Effect[]; history: HistoryEntry[] };
