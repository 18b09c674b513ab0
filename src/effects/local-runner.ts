/**
 * Runs a workflow to its end in memory: loops `advance` and performs the effects — HTTP through the
 * performer, timers instantly on a virtual clock (or for real), emits on an in-memory bus that feeds
 * in-memory listens, child workflows through `resolveWorkflow`. Used by unit tests, the CTK harness
 * and `weir run`.
 *
 * @example
 * const { status, output } = await runLocally(workflow, { petId: 1 }, { allowPrivate: true });
 */
import { advance, isStale } from '../engine/advance.ts';
import { workflowError } from '../engine/errors.ts';
import type {
  CloudEvent,
  Effect,
  EngineContext,
  EngineLimits,
  HistoryEntry,
  InstanceState,
  Stimulus,
  Workflow,
  WorkflowError,
} from '../engine/types.ts';
import { EventBus } from './event-bus.ts';
import { performHttp, type HttpPerformerOptions } from './http.ts';

export type WorkflowRef = { namespace: string; name: string; version: string };

export type LocalRunOptions = HttpPerformerOptions & {
  secrets?: Record<string, unknown>;
  /** Finds the workflow a `run: workflow` task names; `undefined` faults that task. */
  resolveWorkflow?: (ref: WorkflowRef) => Workflow | undefined | Promise<Workflow | undefined>;
  /** Fire timers at once on a virtual clock (default) or wait for them for real (`false`). */
  instantTimers?: boolean;
  /** Events offered to the workflow's listens, one at a time, whenever it waits for events. */
  events?: CloudEvent[];
  /** Shared bus (child runs get the parent's). */
  bus?: EventBus;
  /** Start of the virtual clock (epoch ms); defaults to the host clock. */
  now?: number;
  instanceId?: string;
  seed?: string;
  limits?: Partial<EngineLimits>;
  runtime?: EngineContext['runtime'];
  /** Upper bound on activations (advance calls) before the run is faulted. */
  maxActivations?: number;
  /** Called after every advance (tests use it to check statelessness or record states). */
  onAdvance?: (step: { state: InstanceState; effects: Effect[]; stimulus: Stimulus }) => void;
};

export type LocalRunResult = {
  status: 'completed' | 'faulted' | 'cancelled';
  output?: unknown;
  error?: WorkflowError;
  history: HistoryEntry[];
  /** Events this run emitted. */
  emitted: CloudEvent[];
  state: InstanceState;
};

export async function runLocally(workflow: Workflow, input: unknown, options: LocalRunOptions = {}): Promise<LocalRunResult> {
  const instant = options.instantTimers !== false;
  let clock = options.now ?? Date.now();
  const now = () => (instant ? clock : Date.now());
  const instanceId = options.instanceId ?? crypto.randomUUID();
  const bus = options.bus ?? new EventBus();
  const base: Omit<EngineContext, 'now'> = { instanceId };
  if (options.secrets) base.secrets = options.secrets;
  if (options.seed !== undefined) base.seed = options.seed;
  if (options.limits) base.limits = options.limits;
  if (options.runtime) base.runtime = options.runtime;

  const history: HistoryEntry[] = [];
  const emitted: CloudEvent[] = [];
  const ready: Stimulus[] = [];
  const inbox = [...(options.events ?? [])];
  const timers = new Map<string, number>();
  const inflight = new Set<string>();
  const subscriptions = new Set<string>();
  const children = new Map<string, AbortController>();
  const requests = new Map<string, AbortController>();
  let wake: () => void = () => {};
  const woken = () => new Promise<void>((resolve) => (wake = resolve));
  let wakePromise = woken();
  const push = (s: Stimulus) => {
    ready.push(s);
    wake();
  };

  const step = (state: InstanceState | undefined, stimulus: Stimulus) => {
    const r = advance(workflow, state, stimulus, { ...base, now: now() });
    history.push(...r.history);
    options.onAdvance?.({ state: r.state, effects: r.effects, stimulus });
    return r;
  };

  const perform = (effects: Effect[]) => {
    for (const e of effects) {
      switch (e.kind) {
        case 'http': {
          const controller = new AbortController();
          requests.set(e.id, controller);
          inflight.add(e.id);
          const signal = options.signal ? AbortSignal.any([options.signal, controller.signal]) : controller.signal;
          void performHttp(e, { ...options, signal }).then((outcome) => {
            requests.delete(e.id);
            if (!inflight.delete(e.id)) return;
            push({ kind: 'effectResult', id: e.id, ...outcome });
          });
          break;
        }
        case 'cancelHttp':
          inflight.delete(e.id);
          requests.get(e.id)?.abort();
          requests.delete(e.id);
          wake();
          break;
        case 'timer':
          timers.set(e.id, e.dueAt);
          break;
        case 'cancelTimer':
          timers.delete(e.id);
          break;
        case 'emit':
          emitted.push(e.event);
          bus.publish(e.event);
          break;
        case 'listen':
          subscriptions.add(e.id);
          bus.subscribe(`${instanceId}/${e.id}`, (event) => push({ kind: 'event', id: e.id, events: [event] }));
          break;
        case 'unlisten':
          subscriptions.delete(e.id);
          bus.unsubscribe(`${instanceId}/${e.id}`);
          break;
        case 'startChild':
          startChild(e);
          break;
        case 'cancelChild':
          children.get(e.id)?.abort();
          children.delete(e.id);
          break;
        case 'complete':
        case 'fault':
          break;
      }
    }
  };

  const startChild = (e: Extract<Effect, { kind: 'startChild' }>) => {
    const controller = new AbortController();
    children.set(e.id, controller);
    if (e.await) inflight.add(e.id);
    const done = (outcome: Extract<Stimulus, { kind: 'childDone' }>['outcome']) => {
      children.delete(e.id);
      if (!e.await) return;
      inflight.delete(e.id);
      push({ kind: 'childDone', id: e.id, outcome });
    };
    void (async () => {
      const child = await options.resolveWorkflow?.(e.workflow);
      if (!child) {
        const ref = `${e.workflow.namespace}/${e.workflow.name}:${e.workflow.version}`;
        return done({ status: 'faulted', error: workflowError('configuration', `workflow ${ref} was not found`, { status: 404 }) });
      }
      const { onAdvance: _ignored, ...inherited } = options;
      const r = await runLocally(child, e.input, {
        ...inherited,
        bus,
        events: [],
        now: now(),
        instanceId: `${instanceId}/${e.id}`,
        signal: controller.signal,
      });
      done(r.status === 'completed' ? { status: r.status, output: r.output } : { status: r.status, ...(r.error ? { error: r.error } : {}) });
    })().catch((err: unknown) => done({ status: 'faulted', error: workflowError('runtime', String(err)) }));
  };

  let r = step(undefined, { kind: 'start', input });
  const maxActivations = options.maxActivations ?? 100_000;
  let activations = 1;
  const onAbort = () => push({ kind: 'cancel', reason: 'aborted' });
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for (;;) {
      perform(r.effects);
      if (r.state.status === 'completed' || r.state.status === 'faulted' || r.state.status === 'cancelled') break;
      let stimulus = ready.shift();
      while (!stimulus) {
        if (inflight.size) {
          await wakePromise;
          wakePromise = woken();
        } else if (subscriptions.size && inbox.length) {
          bus.publish(inbox.shift()!);
        } else if (timers.size) {
          const [id, due] = [...timers.entries()].reduce((a, b) => (b[1] < a[1] ? b : a));
          if (instant) clock = Math.max(clock, due);
          else {
            const ms = due - Date.now();
            if (ms > 0) {
              await Promise.race([new Promise((res) => setTimeout(res, ms)), wakePromise]);
              if (ready.length || Date.now() < due) {
                stimulus = ready.shift();
                continue;
              }
            }
          }
          timers.delete(id);
          push({ kind: 'timerFired', id });
        } else {
          const what = subscriptions.size ? 'events nobody will send' : 'something the local runner cannot provide';
          const error = workflowError('runtime', `the workflow waits for ${what}; nothing is pending`);
          return finish(r.state, 'faulted', undefined, error);
        }
        stimulus = ready.shift();
      }
      if (isStale(r.state, stimulus!)) continue;
      if (++activations > maxActivations) {
        return finish(r.state, 'faulted', undefined, workflowError('runtime', `more than ${maxActivations} activations; stopping the local run`));
      }
      r = step(r.state, stimulus!);
    }
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    for (const id of subscriptions) bus.unsubscribe(`${instanceId}/${id}`);
    for (const c of children.values()) c.abort();
    for (const c of requests.values()) c.abort();
  }
  const s = r.state;
  return finish(s, s.status as LocalRunResult['status'], s.output, s.error);

  function finish(state: InstanceState, status: LocalRunResult['status'], output: unknown, error: WorkflowError | undefined): LocalRunResult {
    const out: LocalRunResult = { status, history, emitted, state };
    if (status === 'completed') out.output = output;
    if (error) out.error = error;
    return out;
  }
}
