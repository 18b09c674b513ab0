/**
 * Eager starts: an idle replica runs a start's first activation straight from its wake-up
 * (notify.ts `StartWake`: the message id and the instance as inserted), without reading the
 * message first, and claims the message in the checkpoint that commits the activation
 * (`writeClaimedCheckpoint`). Idle start → first checkpoint then takes two round trips on the
 * critical path (the start, the checkpoint) where the read-then-commit path takes three.
 *
 * Safe because nothing happens before that one statement commits: the activation is only kept
 * when it performs no I/O and writes nothing but a simple checkpoint (state, history, timers) —
 * no HTTP call, child, event, subscription or branch message — and the statement applies only if
 * the message is still unclaimed and the instance still `pending` at version 0. Anything else
 * (`declined`, `lost`) leaves the message untouched for the usual read, so the start runs exactly
 * as it would have; only the work done here is thrown away.
 */
import { advance } from '../engine/index.ts';
import type { InstanceState } from '../engine/types.ts';
import type { RunnerMessage } from '../store/queries/instances.ts';
import type { StartWake } from '../store/notify.ts';
import { WeirError } from '../errors.ts';
import { accumulatorFor, capState, engineContext, type ActivationDeps, type Row } from './activation.ts';
import { isSimple, writeClaimedCheckpoint } from './checkpoint.ts';
import { assignLanes, laneOf, mergePending } from './lanes.ts';

/**
 * `done`: the activation committed (the message consumed); `lost`: it was written by nobody here —
 * another replica has or had the message, or the instance is no longer a pending start;
 * `declined`: the activation needs what only the usual path does (I/O, children, events, an
 * unknown or broken definition), nothing was written.
 */
export type EagerOutcome = 'done' | 'lost' | 'declined';

/** The outcome, and whether the committed checkpoint armed a timer (the loop's clock work fires it). */
export interface EagerResult {
  outcome: EagerOutcome;
  timers: boolean;
}

const declined: EagerResult = { outcome: 'declined', timers: false };

export async function eagerStart(deps: Pick<ActivationDeps, 'sql' | 'definitions' | 'secrets' | 'runtime' | 'eventWindowSeconds' | 'maxHistory' | 'maxStateBytes' | 'replicaId'>, wake: StartWake): Promise<EagerResult> {
  const i = wake.instance;
  const message: RunnerMessage = { instance: i.id, kind: 'start', target: i.id };
  const row: Pick<Row, 'id' | 'queue'> = { id: i.id, queue: wake.queue };
  let workflow;
  try {
    workflow = await deps.definitions.get(deps.sql, i.namespace, i.workflowName, i.workflowVersion);
  } catch (error) {
    if (error instanceof WeirError) return declined; // a broken definition: the usual path faults the instance
    throw error;
  }
  if (!workflow) return declined;
  const secrets = deps.secrets ? await deps.secrets.forNamespace(i.namespace) : undefined;
  // As activate() applies a start: the same context, interpreter step, accumulator and lanes.
  const acc = accumulatorFor(deps, secrets);
  const r = advance(workflow, undefined, { kind: 'start', input: i.input }, engineContext(deps, i.id, wake.now, secrets));
  const lanes = assignLanes(acc.add(r.effects, r.history), laneOf(message), i.id);
  if (lanes.calls.length || lanes.messages.length || acc.childEffects.length) return declined;
  let state: InstanceState = r.state;
  const pending = mergePending([], [], state);
  if (pending.length) return declined;
  state = capState(state, deps.maxStateBytes, acc, wake.now);
  const cp = acc.checkpoint(row, state, 0, pending, { queue: wake.queue, msgId: wake.msgId });
  if (!isSimple(cp)) return declined;
  const applied = await writeClaimedCheckpoint(deps.sql, cp);
  return { outcome: applied ? 'done' : 'lost', timers: applied && cp.timers.length > 0 };
}
