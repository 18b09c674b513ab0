/** Shared helpers for interpreter tests: tiny documents, a JSON-round-tripping driver. */
import { expect } from 'vitest';
import { advance } from '../../../src/engine/index.ts';
import type { AdvanceResult, Effect, EngineContext, InstanceState, Stimulus, Workflow } from '../../../src/engine/index.ts';

export const document = { dsl: '1.0.3', namespace: 'test', name: 'unit', version: '1.0.0' };

/** A workflow document from its `do` list and top-level extras. */
export function wf(tasks: unknown[], extra: Record<string, unknown> = {}): Workflow {
  return { document, do: tasks, ...extra } as Workflow;
}

export const T0 = Date.UTC(2026, 0, 1);

/** One `advance` from `start`: what a workflow of pure tasks does in a single call. */
export function start(w: Workflow, input: unknown = {}, ctx: Partial<EngineContext> = {}): AdvanceResult {
  return advance(w, undefined, { kind: 'start', input }, { now: T0, instanceId: 'i-1', ...ctx });
}

const json = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

/** What Postgres `jsonb` does to an object: keys reordered, shorter first, then bytewise. */
export function jsonbOrder<T>(v: T): T {
  if (Array.isArray(v)) return v.map(jsonbOrder) as T;
  if (v === null || typeof v !== 'object') return v;
  const keys = Object.keys(v).sort((a, b) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(keys.map((k) => [k, jsonbOrder((v as Record<string, unknown>)[k])])) as T;
}

/**
 * Drives an instance to its end: `respond` maps each effect to the stimulus that answers it (or
 * undefined). Between every advance the state is serialized to JSON and back, and the advance is run
 * twice — on the JSON copy and on a copy with keys in `jsonb` order — to check that the results are
 * identical: the interpreter keeps nothing outside the state and does not depend on key order.
 */
export function drive(
  w: Workflow,
  input: unknown,
  respond: (e: Effect, now: number) => Stimulus | undefined,
  ctx: Partial<EngineContext> = {},
): { state: InstanceState; effects: Effect[]; steps: AdvanceResult[] } {
  let now = T0;
  const steps: AdvanceResult[] = [];
  const all: Effect[] = [];
  let r = advance(w, undefined, { kind: 'start', input }, { now, instanceId: 'i-1', ...ctx });
  steps.push(r);
  const queue: Stimulus[] = [];
  for (let guard = 0; guard < 1000; guard++) {
    all.push(...r.effects);
    for (const e of r.effects) {
      if (e.kind === 'cancelTimer') {
        const i = queue.findIndex((q) => q.kind === 'timerFired' && q.id === e.id);
        if (i >= 0) queue.splice(i, 1);
      }
      const s = respond(e, now);
      if (s) queue.push(s);
    }
    if (['completed', 'faulted', 'cancelled'].includes(r.state.status)) break;
    // Non-timer stimuli first (in order), then the timer due soonest — what a runner would do.
    const due = (q: Stimulus) => (all.find((e) => e.kind === 'timer' && e.id === (q as { id: string }).id) as { dueAt: number } | undefined)?.dueAt ?? 0;
    let pick = queue.findIndex((q) => q.kind !== 'timerFired');
    if (pick < 0 && queue.length) pick = queue.reduce((best, q, i) => (due(q) < due(queue[best]) ? i : best), 0);
    const next = pick < 0 ? undefined : queue.splice(pick, 1)[0];
    if (!next) break;
    if (next.kind === 'timerFired') {
      const t = all.find((e) => e.kind === 'timer' && e.id === next.id) as { dueAt: number } | undefined;
      if (t) now = Math.max(now, t.dueAt);
    }
    const c = { now, ...ctx };
    const a = advance(w, json(r.state), next, c);
    const b = advance(w, jsonbOrder(json(r.state)), json(next), c);
    expect(jsonbOrder(json(a))).toEqual(jsonbOrder(json(b)));
    r = a;
    steps.push(r);
  }
  return { state: r.state, effects: all, steps };
}

export function effectsOf<K extends Effect['kind']>(effects: Effect[], kind: K): Extract<Effect, { kind: K }>[] {
  return effects.filter((e) => e.kind === kind) as Extract<Effect, { kind: K }>[];
}
