/**
 * Lanes: which activation performs which HTTP call of an instance.
 *
 * Every call an activation creates is written to `instances.pending` with the lane of the message
 * that activation serves (`<kind>:<target>`, stable across a rate-limit hand-back, which re-sends
 * the same body). A message that comes back after a crash performs its own lane's calls again (same
 * Idempotency-Keys), and no other message's. Calls of a fork's second, third… branch get a lane of
 * their own and a `branch` message in the same checkpoint: any replica can take that message and
 * perform them, so the branches of one fork run on several replicas at once. Their results meet
 * in the instance row: each activation commits by compare-and-set and, when another branch
 * committed first, re-applies its results to the newer state (activation.ts, "rebase").
 */
import type { InstanceState } from '../engine/types.ts';
import type { RunnerMessage } from '../store/queries/instances.ts';
import type { HttpEffect } from './checkpoint.ts';

/** A call in `instances.pending`: the effect, and the lane (message) that performs it. */
export type PendingCall = HttpEffect & { lane?: string };

export function laneOf(message: RunnerMessage | undefined): string {
  return `${message?.kind ?? '?'}:${message?.target ?? '?'}`;
}

/** Whether the state still waits for the call's result (not finished, cancelled or timed out). */
export function awaited(state: InstanceState | undefined, call: HttpEffect): boolean {
  return state?.waits[call.id] !== undefined;
}

/** Whether an activation serving `lanes` performs `call`; calls without a lane belong to any. */
export function owns(lanes: ReadonlySet<string>, call: PendingCall): boolean {
  return call.lane === undefined || lanes.has(call.lane);
}

/**
 * Gives newly created calls their lanes: the first fork branch's (or the main flow's) stay on
 * `lane`, to be performed here; every other branch's calls get a lane of their own, named by
 * their first call, and a `branch` message that wakes it.
 */
export function assignLanes(calls: readonly HttpEffect[], lane: string, instance: string): { calls: PendingCall[]; messages: RunnerMessage[] } {
  if (calls.length === 0) return { calls: [], messages: [] };
  const groups = new Map<string, HttpEffect[]>();
  for (const c of calls) {
    const key = c.branch ?? '';
    groups.set(key, [...(groups.get(key) ?? []), c]);
  }
  const out: PendingCall[] = [];
  const messages: RunnerMessage[] = [];
  [...groups.values()].forEach((group, i) => {
    const own = i === 0 ? lane : laneOf({ instance, kind: 'branch', target: group[0].id });
    if (i > 0) messages.push({ instance, kind: 'branch', target: group[0].id });
    for (const c of group) out.push({ ...c, lane: own });
  });
  return { calls: out, messages };
}

/** What `instances.pending` holds after a checkpoint: every lane's calls still awaited, once each. */
export function mergePending(base: readonly PendingCall[], created: readonly PendingCall[], state: InstanceState | undefined): PendingCall[] {
  const seen = new Set<string>();
  const out: PendingCall[] = [];
  for (const c of [...base, ...created]) {
    if (seen.has(c.id) || !awaited(state, c)) continue;
    seen.add(c.id);
    out.push(c);
  }
  return out;
}
