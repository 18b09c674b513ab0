/**
 * The runner: reads its queues in batches, runs activations concurrently (bounded, one at a time
 * per instance), fires due timers, and group-commits checkpoints. `drain()` is the loop body —
 * tests and edge cron call it directly; `start()` runs it in a bounded poll loop with idle back-off.
 */
import type { Config } from '../config.ts';
import type { HttpPerformerOptions } from '../effects/http.ts';
import type { EngineContext } from '../engine/types.ts';
import type { Logger } from '../log.ts';
import { pgmq, type Message } from '../store/queries/pgmq.ts';
import type { RunnerMessage } from '../store/queries/instances.ts';
import type { Sql } from '../store/sql.ts';
import { activate, type ActivationDeps, type ActivationOutcome, type Row } from './activation.ts';
import { loadInstances, readWithInstances } from './read.ts';
import { CheckpointWriter } from './checkpoint.ts';
import { DefinitionCache } from './definitions.ts';
import { fireDueTimers } from './timers.ts';
import { clockWorkDue } from './clock.ts';
import { fireDueSchedules } from '../scheduler/schedules.ts';
import { purgeExpired } from '../scheduler/retention.ts';
import type { SecretsProvider } from './secrets.ts';
import { activationSeconds, activationsTotal, eagerStartsTotal, promotedTotal, schedulesFiredTotal, timersFiredTotal } from './metrics.ts';
import { eagerStart } from './eager.ts';
import type { StartWake } from '../store/notify.ts';
import { promoteQueued } from './flow.ts';

export interface RunnerOptions {
  sql: Sql;
  log: Logger;
  runner: Config['runner'];
  http?: HttpPerformerOptions;
  secrets?: SecretsProvider;
  runtime?: EngineContext['runtime'];
  callbackSecret?: string;
  /** This replica's id (the budget guard's): stamped on the history of fork branches it runs. */
  replicaId?: string;
}

export interface DrainOptions {
  /** Stop after this many messages (default: no cap). */
  maxMessages?: number;
  /** Stop after this long (default: no cap). */
  maxMillis?: number;
}

export interface DrainReport {
  messages: number;
  done: number;
  stale: number;
  conflicts: number;
  dead: number;
  errors: number;
  /** Activations handed back by a task rate limit. */
  limited: number;
  timersFired: number;
  schedulesFired: number;
  ms: number;
}

/**
 * A lane's activations: each message alone, but `branch` messages (fork branches handed to any
 * replica) join the lane's first non-callback message (a callback activation would ignore them).
 */
function groupBranches(lane: Message<RunnerMessage>[], maxDeliveries: number): { m: Message<RunnerMessage>; extras: Message<RunnerMessage>[] }[] {
  const single = (m: Message<RunnerMessage>) => ({ m, extras: [] as Message<RunnerMessage>[] });
  const joins = (m: Message<RunnerMessage>) => m.message?.kind === 'branch' && m.readCt <= maxDeliveries;
  const branches = lane.filter(joins);
  if (!branches.length) return lane.map(single);
  const host = lane.find((m) => !joins(m) && m.message?.kind !== 'callback') ?? branches[0];
  return [{ m: host, extras: branches.filter((m) => m !== host) }, ...lane.filter((m) => m !== host && !joins(m)).map(single)];
}

/** What a sweep read beside its messages: their instances' rows, and which instances were running here then. */
interface Prefetched {
  rows: Map<string, Row>;
  running: Set<string>;
}

/** Eager starts one replica runs at once (`Runner.offer`): each holds a pool connection for one statement. */
const EAGER_MAX = 4;

/** Messages are grouped into lanes by instance (a message without one is a lane of its own). */
const laneKey = (m: Message<RunnerMessage>) => m.message?.instance ?? `?${m.msgId}`;

export class Runner {
  readonly #o: RunnerOptions;
  readonly #writer: CheckpointWriter;
  readonly #definitions = new DefinitionCache();
  readonly #errorKinds = new Set<string>();
  #loop: Promise<void> | undefined;
  #lastPurge = 0;
  #lastPromote = Number.NEGATIVE_INFINITY;
  /** When the earliest message this replica handed back to a rate limit is due again. */
  #nextDeferred = Number.POSITIVE_INFINITY;
  /** Messages asked for so far: paces the oldest-first share of priority reads. */
  #requested = 0;
  #lastClock = Number.NEGATIVE_INFINITY;
  /** The loop's current sleep between sweeps: when it ends, ending it now, or sooner. */
  #sleep: { at: number; end(): void; shorten(ms: number): void } | undefined;
  /** A wake-up arrived while no sleep was in progress (during a sweep). */
  #wakePending = false;
  #signal: AbortSignal | undefined;
  /** Messages read and not yet finished, by msg id: what a stop past its deadline releases. */
  readonly #inflight = new Map<number, string>();
  /** Instances with a lane running (any batch in flight), and when that lane is done. */
  readonly #lanes = new Map<string, Promise<void>>();
  readonly stats = { messages: 0, done: 0, stale: 0, conflicts: 0, dead: 0, errors: 0, limited: 0, timersFired: 0, schedulesFired: 0 };

  /** The loop's idle back-off: the next sleep after a sweep that found nothing. */
  #idleDelay = 0;
  /** Eager starts running (offer): at most `EAGER_MAX` at once. */
  readonly #eager = new Set<Promise<void>>();
  readonly #deps: ActivationDeps;

  constructor(options: RunnerOptions) {
    this.#o = options;
    this.#writer = new CheckpointWriter(options.sql, { maxGroup: options.runner.checkpointGroup });
    this.#deps = {
      sql: options.sql,
      writer: this.#writer,
      definitions: this.#definitions,
      http: options.http ?? {},
      visibilityTimeoutSeconds: options.runner.visibilityTimeoutSeconds,
      maxDeliveries: options.runner.maxDeliveries,
      eventWindowSeconds: options.runner.eventWindowSeconds,
      maxStateBytes: options.runner.maxStateBytes,
      maxHistory: options.runner.maxHistory,
      ...(options.secrets ? { secrets: options.secrets } : {}),
      ...(options.runtime ? { runtime: options.runtime } : {}),
      ...(options.callbackSecret ? { callbackSecret: options.callbackSecret } : {}),
      ...(options.replicaId ? { replicaId: options.replicaId } : {}),
      claimBranches: (q: string, ids: readonly number[]) => this.#claimBranches(q, ids),
      onDefer: (delayMs: number) => {
        this.#nextDeferred = Math.min(this.#nextDeferred, performance.now() + delayMs);
      },
    };
  }

  /** Whether this replica serves `queue` (WEIR_QUEUES). */
  serves(queue: string): boolean {
    const q = this.#o.runner.queues;
    return q.includes('*') || q.includes(queue);
  }

  async #queues(): Promise<string[]> {
    const configured = this.#o.runner.queues;
    if (!configured.includes('*')) return [...configured];
    return (await pgmq.listQueues(this.#o.sql)).map((q) => q.queueName).filter((q) => q !== 'weir_dead');
  }

  /** One sweep: due timers, then one batch from each queue. Returns what it did. */
  async sweep(limit = Number.POSITIVE_INFINITY, options: { clockEvery?: number; onReadsDone?: (messages: number) => void } = {}): Promise<DrainReport> {
    const started = performance.now();
    const report: DrainReport = { messages: 0, done: 0, stale: 0, conflicts: 0, dead: 0, errors: 0, limited: 0, timersFired: 0, schedulesFired: 0, ms: 0 };
    // The background loop looks at due timers and schedules at most once per poll interval, so a
    // loop that runs back-to-back sweeps (full batches) does not pay two transactions per batch;
    // and it does so after the batch's activations, not before or beside them: a sweep woken for a
    // start reaches its message and commits it without the clock work's transactions competing
    // for the same cores and server (bench compare, idle start → completed). drain() does it first
    // (tests move the clock, then drain).
    const clock = async () => {
      // One statement says whether either has anything due; most polls find nothing.
      const due = await clockWorkDue(this.#o.sql);
      report.timersFired = due.timers ? await fireDueTimers(this.#o.sql, Math.max(100, this.#o.runner.batchSize * 4)) : 0;
      report.schedulesFired = due.schedules ? await fireDueSchedules(this.#o.sql, 100) : 0;
      // The flow-control safety net (ends start their successors themselves): every 5 s at most
      // from the background loop.
      if (!this.#signal || performance.now() - this.#lastPromote >= 5_000) {
        this.#lastPromote = performance.now();
        const promoted = await promoteQueued(this.#o.sql);
        if (promoted) promotedTotal.inc({}, promoted);
      }
      if (report.timersFired) timersFiredTotal.inc({}, report.timersFired);
      if (report.schedulesFired) schedulesFiredTotal.inc({}, report.schedulesFired);
    };
    const clockDue = !options.clockEvery || performance.now() - this.#lastClock >= options.clockEvery;
    if (clockDue) this.#lastClock = performance.now();
    if (clockDue && !options.clockEvery) await clock();
    try {
      const queues = await this.#queues();
      for (const [k, queue] of queues.entries()) {
        const qty = Math.min(this.#o.runner.batchSize, limit - report.messages);
        if (qty <= 0) break;
        let batch: Message<RunnerMessage>[];
        let read: Prefetched;
        try {
          // A quarter of what is read (cumulative per replica) is oldest-first whatever the priority.
          const fifo = Math.floor((this.#requested + qty) / 4) - Math.floor(this.#requested / 4);
          this.#requested += qty;
          // Instances with an activation running here now: a row read beside the messages could be
          // older than the checkpoint that activation is about to commit, so their lanes load their
          // own row when they run.
          const running = new Set(this.#lanes.keys());
          const r = await readWithInstances(this.#o.sql, queue, this.#o.runner.visibilityTimeoutSeconds, qty, fifo);
          batch = r.messages;
          read = { rows: r.rows, running };
        } catch (error) {
          if (/does not exist/.test((error as Error).message)) continue; // queue not created yet
          throw error;
        }
        report.messages += batch.length;
        // The last read of this sweep is done: the loop may start reading the next sweep's batch
        // while this one runs.
        if (k === queues.length - 1) options.onReadsDone?.(report.messages);
        await this.#runBatch(queue, batch, report, read);
      }
      options.onReadsDone?.(report.messages);
    } finally {
      // Also when a read failed: a queue that keeps failing must not stop timers from firing.
      if (clockDue && options.clockEvery) await clock();
    }
    // Retention: at most once a minute per replica, bounded batches, only from the background loop.
    if (this.#signal && performance.now() - this.#lastPurge > 60_000) {
      this.#lastPurge = performance.now();
      await purgeExpired(this.#o.sql, { ...this.#o.runner.retention, batch: 500 }).catch((e: Error) => this.#logOnce(e, { where: 'retention' }));
    }
    report.ms = performance.now() - started;
    for (const k of ['messages', 'done', 'stale', 'conflicts', 'dead', 'errors', 'limited', 'timersFired', 'schedulesFired'] as const) this.stats[k] += report[k];
    return report;
  }

  /** Messages of one instance run one after another; different instances run concurrently. */
  async #runBatch(queue: string, batch: Message<RunnerMessage>[], report: DrainReport, read: Prefetched): Promise<void> {
    const byInstance = new Map<string, Message<RunnerMessage>[]>();
    for (const m of batch) {
      const key = laneKey(m);
      byInstance.set(key, [...(byInstance.get(key) ?? []), m]);
    }
    const lanes = [...byInstance.values()];
    const deps = this.#deps;
    for (const m of batch) this.#inflight.set(m.msgId, queue);
    // A lane whose instance still runs in the previous batch (the loop reads ahead while a batch
    // commits) waits for it and loads its own row after it: one instance still runs one
    // activation at a time per replica, and never from a row older than its last checkpoint.
    const before = new Map<string, Promise<void>>();
    const finish = new Map<string, () => void>();
    for (const lane of lanes) {
      const key = laneKey(lane[0]);
      const running = this.#lanes.get(key);
      // Fork-branch messages alone do not wait: they are meant to run beside the instance's other
      // activations (their calls were written first, so their results rebase onto whatever
      // committed meanwhile), and waiting could hold them behind the very branch they run with.
      const branchesOnly = lane.every((m) => m.message?.kind === 'branch');
      if (branchesOnly) {
        finish.set(key, () => {}); // nor does anything wait for them
        continue;
      }
      if (running) before.set(key, running);
      const done = new Promise<void>((resolve) => finish.set(key, resolve));
      this.#lanes.set(key, done);
      void done.then(() => {
        if (this.#lanes.get(key) === done) this.#lanes.delete(key);
      });
    }
    let next = 0;
    try {
      // The first message of every lane starts from the row read with the batch, or from one
      // statement loading the rows of lanes whose instance was running here at the read; later
      // messages of a lane see the row its previous activation wrote, so they load their own.
      const stale = lanes.filter((l) => !before.has(laneKey(l[0])) && read.running.has(laneKey(l[0])));
      let rows = read.rows;
      if (stale.length) {
        const ids = stale.map((l) => l[0].message?.instance ?? '');
        const fresh = await loadInstances(this.#o.sql, ids);
        rows = new Map(read.rows);
        for (const id of ids) fresh.has(id) ? rows.set(id, fresh.get(id) as Row) : rows.delete(id);
      }
      const worker = async () => {
        while (next < lanes.length) {
          const lane = lanes[next++];
          const key = laneKey(lane[0]);
          try {
            const wait = before.get(key);
            if (wait) await wait;
            await this.#runLane(queue, lane, wait ? undefined : rows, deps, report);
          } finally {
            finish.get(key)?.();
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(this.#o.runner.concurrency, lanes.length) }, worker));
    } finally {
      for (const f of finish.values()) f(); // lanes never started (the load failed)
    }
  }

  /**
   * One instance's messages of a batch, one after another; `rows`: the batch's prefetched rows.
   * Its `branch` messages (fork branches' calls) run together in the activation of its first
   * other message (or of the first of them): their calls are performed concurrently, one checkpoint.
   */
  async #runLane(queue: string, lane: Message<RunnerMessage>[], rows: Map<string, Row> | undefined, deps: ActivationDeps, report: DrainReport): Promise<void> {
    if (this.#signal?.aborted) {
      // Draining: hand messages not yet started straight back instead of running them.
      await this.#release(lane.map((m) => m.msgId));
      return;
    }
    for (const [k, { m, extras }] of groupBranches(lane, this.#o.runner.maxDeliveries).entries()) {
      let outcome: ActivationOutcome | 'error';
      const began = performance.now();
      try {
        // The activation adds to `extras` the branch messages it claims back (claimBranches).
        outcome = await activate(deps, queue, m, k === 0 && rows ? (rows.get(m.message?.instance ?? '') ?? null) : undefined, extras);
      } catch (error) {
        outcome = 'error';
        this.#logOnce(error as Error, { queue, msgId: m.msgId, instance: m.message?.instance });
      } finally {
        this.#inflight.delete(m.msgId);
        for (const e of extras) this.#inflight.delete(e.msgId);
      }
      if (outcome === 'conflict') {
        // Another activation moved the instance on: let these messages come back and be judged
        // against the new state (applied, or dropped as stale) instead of losing them.
        for (const id of [m.msgId, ...extras.map((e) => e.msgId)]) await pgmq.setVt(this.#o.sql, queue, id, 0).catch(() => {});
      }
      activationsTotal.inc({ outcome });
      activationSeconds.observe((performance.now() - began) / 1000, { queue });
      const key = outcome === 'error' ? 'errors' : outcome === 'conflict' ? 'conflicts' : outcome === 'parked' ? 'done' : outcome;
      report[key]++;
    }
  }

  /**
   * An activation that just handed fork branches to `branch` messages takes back, at once, as
   * many as this replica has free slots for (WEIR_CONCURRENCY less the messages it holds): they
   * join that activation, so an idle replica runs a fork's calls concurrently in one activation,
   * while a busy one leaves them to whichever replica reads them first.
   */
  async #claimBranches(queue: string, msgIds: readonly number[]): Promise<Message<RunnerMessage>[]> {
    const free = this.#o.runner.concurrency - this.#inflight.size;
    if (free <= 0 || this.#signal?.aborted) return [];
    const claimed = await pgmq.readIds<RunnerMessage>(this.#o.sql, queue, this.#o.runner.visibilityTimeoutSeconds, msgIds.slice(0, free));
    for (const m of claimed) this.#inflight.set(m.msgId, queue);
    return claimed;
  }

  /** Runs sweeps until there is no work left or a cap is reached. */
  async drain(options: DrainOptions = {}): Promise<DrainReport> {
    const started = performance.now();
    const total: DrainReport = { messages: 0, done: 0, stale: 0, conflicts: 0, dead: 0, errors: 0, limited: 0, timersFired: 0, schedulesFired: 0, ms: 0 };
    const maxMessages = options.maxMessages ?? Number.POSITIVE_INFINITY;
    const maxMillis = options.maxMillis ?? Number.POSITIVE_INFINITY;
    for (;;) {
      const r = await this.sweep(maxMessages - total.messages);
      for (const k of ['messages', 'done', 'stale', 'conflicts', 'dead', 'errors', 'limited', 'timersFired', 'schedulesFired'] as const) total[k] += r[k];
      const idle = r.messages === 0 && r.timersFired === 0 && r.schedulesFired === 0;
      if (idle || total.messages >= maxMessages || performance.now() - started >= maxMillis) break;
    }
    total.ms = performance.now() - started;
    return total;
  }

  /** Makes messages visible again at once (visibility timeout to now): another replica takes them. */
  async #release(msgIds: number[]): Promise<void> {
    for (const id of msgIds) {
      const queue = this.#inflight.get(id);
      this.#inflight.delete(id);
      if (queue) await pgmq.setVt(this.#o.sql, queue, id, 0).catch(() => {});
    }
  }

  /**
   * Graceful stop: the loop stops reading (its signal aborted), activations in flight finish; what
   * is still running at the deadline is released for other replicas — nothing waits for its
   * visibility timeout. Resolves with how many messages were released.
   */
  async stop(deadlineMs: number): Promise<number> {
    const finished = await Promise.race([
      // An eager start holds no lease: it commits or writes nothing, but is waited for all the same.
      (this.#loop ?? Promise.resolve()).then(() => Promise.all(this.#eager)).then(() => true),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), deadlineMs)),
    ]);
    if (finished && this.#inflight.size === 0) return 0;
    const ids = [...this.#inflight.keys()];
    await this.#release(ids);
    return ids.length;
  }

  /** Background poll loop until `signal` aborts; waits for the sweep in flight before resolving stop(). */
  start(signal: AbortSignal): void {
    if (this.#loop) return;
    this.#signal = signal;
    const { pollIntervalMs, pollIntervalMaxMs } = this.#o.runner;
    this.#loop = (async () => {
      this.#idleDelay = pollIntervalMs;
      // A sweep whose batch still runs (its checkpoints committing) while the next one reads.
      let behind: Promise<unknown> | undefined;
      while (!signal.aborted) {
        let delay: number;
        try {
          let readsDone: (messages: number) => void = () => {};
          const read = new Promise<number>((resolve) => (readsDone = resolve));
          const swept = this.sweep(Number.POSITIVE_INFINITY, { clockEvery: pollIntervalMs, onReadsDone: (n) => readsDone(n) });
          swept.catch(() => {}); // awaited below, or by the next turn when it runs behind
          // A full batch means more is waiting: read the next batch while this one's
          // checkpoints commit, and run it, instead of after (the read and the group commit each
          // took ~10 ms of a 250-message batch, one after the other; bench compare set1 tuned,
          // same run: 3,721/s reading ahead vs 3,028/s with the second batch held to
          // WEIR_CONCURRENCY in all). At most one batch runs behind the read, and only when every
          // lane of a batch runs at once (concurrency ≥ batch): a smaller pool (a CPU pool) keeps
          // its bound, and no second batch waits leased for a worker.
          const n = await Promise.race([read, swept.then((r) => r.messages, () => 0)]);
          if (n >= this.#o.runner.batchSize && this.#o.runner.concurrency >= this.#o.runner.batchSize) {
            if (behind) await behind;
            behind = swept.catch((error: Error) => this.#logOnce(error, { where: 'sweep' }));
            continue;
          }
          if (behind) await behind;
          behind = undefined;
          const r = await swept;
          const busy = r.messages > 0 || r.timersFired > 0 || r.schedulesFired > 0;
          this.#idleDelay = busy ? pollIntervalMs : Math.min(pollIntervalMaxMs, this.#idleDelay * 2);
          // A full batch means more is waiting: sweep again at once.
          const full = r.messages >= this.#o.runner.batchSize;
          delay = full ? 0 : busy ? pollIntervalMs : this.#idleDelay;
          // Messages handed back to a rate limit come back at a known time: be there, not a
          // backed-off poll interval later.
          if (this.#nextDeferred !== Number.POSITIVE_INFINITY) {
            const due = this.#nextDeferred - performance.now();
            if (due <= 0) this.#nextDeferred = Number.POSITIVE_INFINITY;
            else delay = Math.min(delay, due + 1);
          }
        } catch (error) {
          this.#logOnce(error as Error, { where: 'sweep' });
          this.#idleDelay = Math.min(pollIntervalMaxMs, Math.max(this.#idleDelay * 2, 250));
          delay = this.#idleDelay; // never a hot loop after an error
        }
        // A wake-up that came while the sweep ran is not lost: sweep again at once.
        if (this.#wakePending) {
          this.#wakePending = false;
          delay = 0;
        }
        await new Promise<void>((resolve) => {
          let t = setTimeout(done, delay);
          const self = this;
          function done() {
            clearTimeout(t);
            signal.removeEventListener('abort', done);
            self.#sleep = undefined;
            resolve();
          }
          const sleep = {
            at: performance.now() + delay,
            end: done,
            shorten(ms: number) {
              if (performance.now() + ms >= sleep.at) return;
              clearTimeout(t);
              t = setTimeout(done, ms);
              sleep.at = performance.now() + ms;
            },
          };
          this.#sleep = sleep;
          signal.addEventListener('abort', done, { once: true });
        });
      }
      await behind;
    })();
  }

  /**
   * A start's wake-up (notify.ts `StartWake`). When this replica is idle — its loop asleep, no
   * message in flight, fewer than `EAGER_MAX` eager starts running — and WEIR_EAGER_START allows,
   * it runs the start's first activation at once without reading its message (eager.ts) and
   * returns true; the loop is woken afterwards unless that activation committed. Else false: wake
   * the loop instead. Idle only: a busy replica's read takes the message with the rest of its
   * batch anyway, and an eager start racing that read would be work thrown away. More than one at
   * a time because a client that saw the last start complete may start the next before this
   * replica has even read its commit's answer (bench compare: 7% of one-at-a-time starts, when
   * only one was allowed, went the slower way).
   */
  offer(start: StartWake): boolean {
    const signal = this.#signal;
    if (!this.#o.runner.eagerStart || !signal || signal.aborted || !this.#sleep || this.#eager.size >= EAGER_MAX) return false;
    if (this.#inflight.size || this.#lanes.size || !this.serves(start.queue)) return false;
    const began = performance.now();
    const run: Promise<void> = eagerStart(this.#deps, start)
      .then(
        ({ outcome, timers }) => {
          eagerStartsTotal.inc({ outcome });
          if (outcome !== 'done') return this.wake();
          this.stats.messages++;
          this.stats.done++;
          activationsTotal.inc({ outcome: 'done' });
          activationSeconds.observe((performance.now() - began) / 1000, { queue: start.queue });
          // A timer armed (a first `wait`, a retry back-off): sweep after one poll interval, as
          // after any activation, so its clock work fires it on time — not after an idle back-off
          // of up to WEIR_POLL_INTERVAL_MAX.
          if (timers) this.#soon();
        },
        (error: Error) => {
          eagerStartsTotal.inc({ outcome: 'error' });
          this.#logOnce(error, { where: 'eager start', queue: start.queue, msgId: start.msgId, instance: start.instance.id });
          this.wake(); // the usual read runs it (and meets the same error, if it is the workflow's)
        },
      )
      .finally(() => {
        this.#eager.delete(run);
      });
    this.#eager.add(run);
    return true;
  }

  /** As after a busy sweep: the idle back-off starts over, and the loop sleeps at most one poll interval more. */
  #soon(): void {
    this.#idleDelay = this.#o.runner.pollIntervalMs;
    this.#sleep?.shorten(this.#o.runner.pollIntervalMs);
  }

  /** While the loop sleeps: milliseconds until its next sweep (else undefined). */
  get nextSweepInMs(): number | undefined {
    return this.#sleep ? Math.max(0, this.#sleep.at - performance.now()) : undefined;
  }

  /** The background loop is between sweeps, sleeping (what `offer` requires, with nothing in flight). */
  get asleep(): boolean {
    return this.#sleep !== undefined;
  }

  /** Cuts the current idle sleep short (e.g. on a NOTIFY). */
  wake(): void {
    if (this.#sleep) this.#sleep.end();
    else this.#wakePending = true;
  }


  #logOnce(error: Error, fields: Record<string, unknown>): void {
    const kind = `${(error as { code?: string }).code ?? error.name}:${error.message.slice(0, 80)}`;
    if (this.#errorKinds.has(kind)) return this.#o.log.debug('activation error (repeat)', { ...fields, error });
    if (this.#errorKinds.size > 1000) this.#errorKinds.clear();
    this.#errorKinds.add(kind);
    this.#o.log.error('activation error', { ...fields, error });
  }
}
