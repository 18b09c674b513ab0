/**
 * How every system is measured, the same way:
 * - throughput: a fresh clone of the system's template; enqueue N units in bulk; start the workers;
 *   sample finished units every 50 ms (and client connections every 100 ms) until all are done or
 *   the time cap (counted from the first finished unit). Units/s is counted from the moment all workers run and the first unit finished,
 *   to the sample that saw the last one — process start-up is not the system's throughput.
 *   Transactions (pg_stat_database, our own sampling subtracted) and WAL bytes
 *   (pg_current_wal_lsn) are deltas over the drain, divided by units finished.
 * - latency: workers idle on a fresh clone; one unit at a time, enqueue → its completion seen in
 *   the database (polled back-to-back), after warm-up units (not counted: a fresh process's first
 *   units measure its JIT, not the system). The cases take turns in rounds
 *   (`latencyRounds`): each round runs every case for its share of the samples, in an order
 *   rotated per round, so that a noisy minute on a shared machine lands on all of them and not on
 *   whichever case happened to run then.
 */
import { connect, connectionsNow, counters, createDatabase, dbName, dropDatabase, walBytes, type Server } from './pg.ts';
import { percentiles, type Percentiles } from './stats.ts';
import type { LatencyCase, ThroughputCase } from './system.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface ThroughputRun {
  units: number;
  done: number;
  failed: number;
  /** Units/s over the drain (see the module comment). */
  rate: number;
  /** The run hit its time cap before every unit finished. */
  capped: boolean;
  drainMs: number;
  enqueueMs: number;
  xactsPerUnit: number;
  walBytesPerUnit: number;
  peakConnections: number;
}

export interface RunOptions {
  capMs: number;
  /** Called after the workers stop and before the database is dropped (profiling). */
  after?: (db: string) => Promise<void>;
  /** Called just before the workers start (profiling: reset pg_stat_statements). */
  before?: (db: string) => Promise<void>;
}

export async function throughputRun(server: Server, c: ThroughputCase, units: number, o: RunOptions): Promise<ThroughputRun> {
  const name = dbName(c.id);
  const url = await createDatabase(server, name, templateName(c.template));
  try {
    const e0 = performance.now();
    await c.enqueue(url, units);
    const enqueueMs = performance.now() - e0;
    await sleep(1100); // idle backends report their transaction counts at most once a second
    await o.before?.(name);
    const before = await counters(server, name);
    const obs = connect(url, 1, 'cmp-observer');
    const progress = c.progress(units);
    const samples: { t: number; done: number }[] = [];
    let ticks = 0;
    let peak = 0;
    let failed = 0;
    let readyAt: number | undefined;
    let firstDoneAt: number | undefined;
    const started = performance.now();
    const workers = await c.start(url);
    void workers.ready.then(() => {
      if (!workers.replicas) readyAt = performance.now();
    });
    let capped = false;
    for (;;) {
      const [r] = await obs.unsafe<{ done: number; failed: number; ready?: number }[]>(progress);
      ticks++;
      const t = performance.now();
      samples.push({ t, done: r.done });
      failed = r.failed;
      if (workers.replicas && readyAt === undefined && (r.ready ?? 0) >= workers.replicas) readyAt = t;
      if (ticks % 2 === 0) peak = Math.max(peak, await connectionsNow(server, name));
      if (r.done + r.failed >= units) break;
      // The cap counts from the first finished unit (else from the workers being ready), so
      // worker processes slow to start on a loaded machine still get the whole cap of drain; a
      // minute more is allowed for starting at all.
      firstDoneAt ??= r.done > 0 ? t : undefined;
      const capFrom = firstDoneAt ?? readyAt;
      if (capFrom === undefined ? t - started > o.capMs + 60_000 : t - capFrom > o.capMs) {
        capped = true;
        break;
      }
      await sleep(50);
    }
    peak = Math.max(peak, await connectionsNow(server, name));
    await workers.stop();
    let exact: { done: number; failed: number } | undefined;
    if (c.final) {
      [exact] = await obs.unsafe<{ done: number; failed: number }[]>(c.final(units));
      ticks++;
      failed = exact.failed;
    }
    await obs.end();
    await sleep(300);
    const after = await counters(server, name);
    const wal = await walBytes(server, before.walLsn, after.walLsn);
    await o.after?.(name);
    const last = samples[samples.length - 1];
    const from = samples.find((s) => s.done > 0 && s.t >= (readyAt ?? 0) && s !== last) ?? samples[0];
    const rate = last.t > from.t ? ((last.done - from.done) * 1000) / (last.t - from.t) : Number.NaN;
    const done = exact?.done ?? last.done;
    return {
      units,
      done,
      failed,
      rate,
      capped,
      drainMs: last.t - started,
      enqueueMs,
      xactsPerUnit: done ? (after.xacts - before.xacts - ticks) / done : Number.NaN,
      walBytesPerUnit: done ? wal / done : Number.NaN,
      peakConnections: peak,
    };
  } finally {
    await dropDatabase(server, name);
  }
}

export interface LatencyResult extends Percentiles {
  failures: number;
}

export async function latencyRun(
  server: Server,
  c: LatencyCase,
  samples: number,
  hooks: Pick<RunOptions, 'before' | 'after'> = {},
  timeoutMs = 10_000,
  warmup = 5,
): Promise<LatencyResult> {
  const { ms, failures } = await latencySamples(server, c, samples, hooks, timeoutMs, warmup);
  return { ...percentiles(ms), failures };
}

/** One case's worker on a fresh clone, `samples` units one at a time after `warmup` more. */
async function latencySamples(
  server: Server,
  c: LatencyCase,
  samples: number,
  hooks: Pick<RunOptions, 'before' | 'after'>,
  timeoutMs: number,
  warmup: number,
): Promise<{ ms: number[]; failures: number }> {
  const name = dbName(c.id);
  const url = await createDatabase(server, name, templateName(c.template));
  const workers = await c.start(url);
  try {
    await workers.ready;
    if (workers.replicas) {
      const obs = connect(url, 1, 'cmp-observer');
      while ((await obs`SELECT count(*)::int AS n FROM weir.replicas`)[0].n < workers.replicas) await sleep(50);
      await obs.end();
    }
    await sleep(1500); // let start-up finish (LISTEN, first polls) before the first sample
    const single = await c.open(url);
    await hooks.before?.(name);
    const ms: number[] = [];
    let failures = 0;
    try {
      for (let i = 0; i < samples + warmup; i++) {
        const t0 = performance.now();
        const id = await single.enqueue(i);
        let ok = true;
        while (!(await single.done(id))) {
          if (performance.now() - t0 > timeoutMs) {
            ok = false;
            break;
          }
        }
        if (!ok) failures++;
        else if (i >= warmup) ms.push(performance.now() - t0);
      }
    } finally {
      await single.close();
    }
    await hooks.after?.(name);
    return { ms, failures };
  } finally {
    await workers.stop();
    await dropDatabase(server, name);
  }
}

/**
 * Which case runs how many samples in which round: every case in every round, the order rotated
 * by one per round, `samples` split over the rounds as evenly as they go (earlier rounds take the
 * remainder). Fewer samples than rounds: one round per sample.
 */
export function latencySchedule<T>(cases: readonly T[], samples: number, rounds: number): { round: number; item: T; samples: number }[] {
  const r = Math.max(1, Math.min(Math.floor(rounds), samples));
  const plan: { round: number; item: T; samples: number }[] = [];
  for (let round = 0; round < r; round++) {
    const share = Math.floor(samples / r) + (round < samples % r ? 1 : 0);
    for (let k = 0; k < cases.length; k++) plan.push({ round, item: cases[(k + round) % cases.length], samples: share });
  }
  return plan;
}

export interface RoundedLatency extends LatencyResult {
  /** p50 of each round's samples, in round order: how much the machine moved under the run. */
  roundP50s: number[];
}

/**
 * Every case, `samples` units each, taking turns over `rounds` rounds (`latencySchedule`): the
 * percentiles are over all of a case's samples; `onRun` reports each round as it ends.
 */
export async function latencyRounds(
  server: Server,
  cases: readonly LatencyCase[],
  samples: number,
  rounds: number,
  warmup: number,
  onRun: (c: LatencyCase, round: number, p50: number) => void = () => {},
  timeoutMs = 10_000,
): Promise<Map<LatencyCase, RoundedLatency>> {
  const got = new Map<LatencyCase, { ms: number[]; failures: number; roundP50s: number[] }>(cases.map((c) => [c, { ms: [], failures: 0, roundP50s: [] }]));
  for (const step of latencySchedule(cases, samples, rounds)) {
    const r = await latencySamples(server, step.item, step.samples, {}, timeoutMs, warmup);
    const acc = got.get(step.item)!;
    acc.ms.push(...r.ms);
    acc.failures += r.failures;
    const p50 = percentiles(r.ms).p50;
    acc.roundP50s.push(p50);
    onRun(step.item, step.round, p50);
  }
  return new Map([...got].map(([c, a]) => [c, { ...percentiles(a.ms), failures: a.failures, roundP50s: a.roundP50s }]));
}

export function templateName(template: string): string {
  return `cmp_tpl_${template}_${process.pid}`;
}
