/**
 * `listen`: subscribes (a `listen` effect with a subscription id), then consumes the events the
 * runner delivers for that subscription until the strategy is satisfied — `one`, `all` (every
 * filter once), `any` (first match, or until `until` holds / the `until` events arrive). Events the
 * filters reject are ignored. The output is the consumed events (read as `data`, `envelope` or
 * `raw`), optionally mapped through `foreach`.
 */
import type { EventConsumptionStrategy, EventFilter, ListenTask } from '../dsl/model.ts';
import { evaluateCondition, evaluateTransform, isExpression, evaluateField } from '../expr/expression.ts';
import { addWait, emitEffect, newEffectId, taskArgs, type Env } from '../engine/env.ts';
import { done, failWith, listFrame, push, wait, type KindAction, type TaskKindHandler } from '../engine/kind.ts';
import type { CloudEvent, TaskFrame } from '../engine/types.ts';
import { attributesMatch, correlationMatches } from './event-match.ts';

type ListenState = {
  sub: string;
  matched: number[];
  events: unknown[];
  expects: Record<string, unknown>;
  phase?: 'foreach';
  i?: number;
  outputs?: unknown[];
};

type Strategy = { mode: 'one' | 'all' | 'any'; filters: EventFilter[]; until?: string | EventConsumptionStrategy };

function strategyOf(to: EventConsumptionStrategy): Strategy {
  if ('one' in to) return { mode: 'one', filters: [to.one] };
  if ('all' in to) return { mode: 'all', filters: to.all };
  return { mode: 'any', filters: to.any ?? [], ...(to.until === undefined ? {} : { until: to.until }) };
}

export const listenKind: TaskKindHandler = {
  start(f, env, task) {
    const t = task as ListenTask;
    const st = strategyOf(t.listen.to);
    const args = taskArgs(env, f);
    const expects: Record<string, unknown> = {};
    for (const filter of st.filters) {
      for (const [key, c] of Object.entries(filter.correlate ?? {})) {
        if (c.expect === undefined) continue;
        expects[key] = isExpression(c.expect) ? evaluateField(c.expect, f.input, args, { now: env.ctx.now }) : c.expect;
      }
    }
    const sub = newEffectId(env, 'sub');
    f.s = { sub, matched: [], events: [], expects } satisfies ListenState;
    addWait(env, sub, 'event', f);
    emitEffect(env, {
      kind: 'listen',
      id: sub,
      task: f.ptr,
      strategy: st.mode,
      filters: st.filters,
      correlation: { ...expects },
      ...(st.until === undefined ? {} : { until: st.until }),
    });
    return wait;
  },
  resume(f, env, task, sig) {
    const t = task as ListenTask;
    const s = f.s as ListenState;
    if (s.phase === 'foreach') return foreachNext(f, env, t, sig);
    if (sig?.kind !== 'stimulus' || sig.stimulus.kind !== 'event') return wait;
    const st = strategyOf(t.listen.to);
    const args = taskArgs(env, f);
    const now = env.ctx.now;
    let finished = false;
    for (const event of sig.stimulus.events) {
      if (st.until !== undefined && typeof st.until !== 'string') {
        const u = strategyOf(st.until);
        if (u.filters.some((flt) => attributesMatch(flt, event, args, now))) {
          finished = true;
          break;
        }
      }
      const index = matchIndex(st, s, event, args, now);
      if (index < 0) continue;
      s.events.push(read(t, event));
      if (st.mode === 'one') finished = true;
      else if (st.mode === 'all') {
        s.matched.push(index);
        finished = s.matched.length === st.filters.length;
      } else if (st.until === undefined) finished = true;
      else if (typeof st.until === 'string') finished = evaluateCondition(st.until, s.events, args, { now });
      if (finished) break;
    }
    if (!finished) {
      addWait(env, s.sub, 'event', f);
      return wait;
    }
    env.effects.push({ kind: 'unlisten', id: s.sub });
    if (t.foreach?.do || t.foreach?.output || t.foreach?.export) {
      s.phase = 'foreach';
      s.i = -1;
      s.outputs = [];
      return foreachNext(f, env, t, undefined);
    }
    return done(s.events);
  },
};

function matchIndex(st: Strategy, s: ListenState, event: CloudEvent, args: Record<string, unknown>, now: number): number {
  if (st.mode === 'any' && st.filters.length === 0) return 0;
  for (let i = 0; i < st.filters.length; i++) {
    if (st.mode === 'all' && s.matched.includes(i)) continue;
    const filter = st.filters[i];
    if (!attributesMatch(filter, event, args, now)) continue;
    const trial = { ...s.expects };
    if (!correlationMatches(filter, event, trial, args, now)) continue;
    s.expects = trial;
    return i;
  }
  return -1;
}

function read(t: ListenTask, event: CloudEvent): unknown {
  return t.listen.read === 'envelope' ? event : (event.data ?? null);
}

/** `foreach`: each consumed event through `do` (with `$item`/`$index`) and `output.as`. */
function foreachNext(f: TaskFrame, env: Env, t: ListenTask, sig: Parameters<NonNullable<TaskKindHandler['resume']>>[3]): KindAction {
  const s = f.s as ListenState;
  const it = t.foreach!;
  if (sig?.kind === 'throw') return failWith(sig.error);
  if (sig?.kind === 'return') finishItem(f, env, t, sig.value);
  for (;;) {
    const i = (s.i ?? -1) + 1;
    if (i >= s.events.length) return done(s.outputs);
    s.i = i;
    const vars = { [it.item ?? 'item']: s.events[i], [it.at ?? 'index']: i };
    if (it.do) return push(listFrame(env, `${f.ptr}/foreach/do`, s.events[i], vars));
    finishItem(f, env, t, s.events[i]);
  }
}

function finishItem(f: TaskFrame, env: Env, t: ListenTask, value: unknown): void {
  const s = f.s as ListenState;
  const it = t.foreach!;
  let out = value;
  const args = taskArgs(env, f);
  args['$' + (it.item ?? 'item')] = s.events[s.i ?? 0];
  args['$' + (it.at ?? 'index')] = s.i ?? 0;
  if (it.output?.as !== undefined) out = evaluateTransform(it.output.as, value, args, env.mode, { now: env.ctx.now });
  if (it.export?.as !== undefined) {
    env.state.context = evaluateTransform(it.export.as, out, { ...args, $output: out }, env.mode, { now: env.ctx.now });
  }
  s.outputs!.push(out);
}
