/**
 * What one activation writes at its next checkpoint: history, timers armed and cancelled,
 * subscriptions, emitted events, children, and the `branch` messages of calls handed to other
 * lanes — collected from the interpreter's effects between two checkpoints (`reset` after each).
 */
import type { Effect, HistoryEntry, InstanceState } from '../engine/types.ts';
import type { InstanceStatus, RunnerMessage, StartRequest } from '../store/queries/instances.ts';
import type { Checkpoint, HttpEffect } from './checkpoint.ts';
import { literalTypes } from './events.ts';
import type { PendingCall } from './lanes.ts';
import { redact } from './secrets.ts';

/** What the accumulator needs of the instance row. */
export interface AccumulatorRow {
  id: string;
  queue: string;
}

/** What a completed instance keeps of its state: no data, no threads. */
function completedHeader(state: InstanceState): InstanceState {
  return { v: state.v, id: state.id, status: state.status, startedAt: state.startedAt, seq: state.seq } as InstanceState;
}

export type ChildEffect = Extract<Effect, { kind: 'startChild' }>;

export type Accumulator = ReturnType<typeof newAccumulator>;

/**
 * `worker` (the replica id) is stamped on the history of fork branches: their activations may run
 * on different replicas, and the timeline says which ran what (Temporal records a worker identity
 * on its task events for the same reason). Main-flow entries stay unstamped: they would add WAL
 * to every workflow for no question anyone asks.
 */
export function newAccumulator(eventWindowSeconds: number, secrets: Record<string, string>, historyCap: number | undefined, worker?: string) {
  let history: HistoryEntry[] = [];
  let timers: Checkpoint['timers'] = [];
  let cancelTimers: string[] = [];
  let subscriptions: Checkpoint['subscriptions'] = [];
  let unsubscribe: string[] = [];
  let emits: Checkpoint['emits'] = [];
  let cancelChildren: string[] = [];
  let send: RunnerMessage[] = [];
  const acc = {
    childEffects: [] as ChildEffect[],
    children: [] as StartRequest[],
    /** Records durable effects; returns the HTTP calls to perform now. */
    add(effects: Effect[], entries: HistoryEntry[]): HttpEffect[] {
      history = history.concat(worker ? entries.map((e) => (e.branch ? { ...e, worker } : e)) : entries);
      const http: HttpEffect[] = [];
      for (const e of effects) {
        switch (e.kind) {
          case 'http':
            http.push(e);
            break;
          case 'timer':
            timers.push({ id: e.id, dueAt: e.dueAt, queue: '', message: { instance: '', kind: 'timer', target: e.id } });
            break;
          case 'cancelTimer':
            cancelTimers.push(e.id);
            timers = timers.filter((t) => t.id !== e.id);
            break;
          case 'listen':
            subscriptions.push({ id: e.id, taskRef: e.task, filters: { strategy: e.strategy, filters: e.filters, types: literalTypes(e.filters) } });
            break;
          case 'unlisten':
            unsubscribe.push(e.id);
            subscriptions = subscriptions.filter((s) => s.id !== e.id);
            break;
          case 'emit':
            emits.push(e.event);
            break;
          case 'startChild':
            acc.childEffects.push(e);
            break;
          case 'cancelChild':
            cancelChildren.push(e.id);
            break;
          case 'complete':
          case 'fault':
            break;
        }
      }
      return http;
    },
    /** Messages that wake other lanes (`branch`), sent with the next checkpoint. */
    send(messages: RunnerMessage[]): void {
      if (messages.length) send = send.concat(messages);
    },
    sending(): boolean {
      return send.length > 0;
    },
    checkpoint(row: AccumulatorRow, state: InstanceState, version: number, pending: PendingCall[] | null, consume: Checkpoint['consume']): Checkpoint {
      const status: InstanceStatus = state.status;
      const ended = status === 'completed' || status === 'faulted' || status === 'cancelled';
      // What people read (history, output, error) never shows a secret's value.
      return {
        instanceId: row.id,
        expectedVersion: version,
        // An ended instance's state is kept only to be read: no secret value stays in it at rest.
        // A completed one keeps just its header (input and output have their own columns; nothing
        // resumes it), which is also a third of the WAL its last write costs. A faulted one keeps
        // everything: requeuing its dead letter or retrying resumes from it.
        state: status === 'completed' ? completedHeader(state) : ended ? redact(state, secrets) : state,
        status,
        ...(state.output === undefined ? {} : { output: redact(state.output, secrets) }),
        ...(state.error ? { error: redact(state.error, secrets) } : {}),
        pending,
        history: redact(history, secrets),
        ...(historyCap ? { historyCap } : {}),
        timers: timers.map((t) => ({ ...t, queue: row.queue, message: { instance: row.id, kind: 'timer', target: t.id } })),
        cancelTimers,
        subscriptions,
        eventWindowSeconds,
        unsubscribe,
        emits,
        children: acc.children,
        cancelChildren,
        ...(send.length ? { send } : {}),
        ended,
        ...(consume ? { consume } : {}),
      };
    },
    reset() {
      history = [];
      timers = [];
      cancelTimers = [];
      subscriptions = [];
      unsubscribe = [];
      emits = [];
      cancelChildren = [];
      send = [];
      acc.childEffects = [];
      acc.children = [];
    },
  };
  return acc;
}

