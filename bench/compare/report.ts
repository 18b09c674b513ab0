/**
 * The comparison's result (written as JSON) and its markdown rendering: throughput with database
 * cost, ratios against Weir, latency, scaling and the step-heavy case, then the issue's aims as
 * met / missed — every ratio from figures measured in the same run.
 */
import type { ThroughputRun } from './measure.ts';
import type { CpuSummary } from './profile.ts';
import type { TopStatement } from './pg.ts';
import { fmtInt, fmtNum, ratio, type Percentiles, type Spread } from './stats.ts';

export interface CaseResult {
  id: string;
  system: string;
  settings: string;
  unit: string;
  steps: number;
  units: number;
  rate: Spread;
  xactsPerUnit: number;
  walBytesPerUnit: number;
  peakConnections: number;
  capped: boolean;
  done: number;
  failed: number;
  enqueueMs: number;
  runs: ThroughputRun[];
}

export interface Results {
  date: string;
  command: string;
  server: { kind: string; settings: Record<string, string> };
  options: Record<string, number>;
  rawPgmq?: number;
  throughput: CaseResult[];
  http: CaseResult[];
  dbosError?: string;
  latency: (Percentiles & { id: string; system: string; settings: string; failures: number; roundP50s?: number[] })[];
  scaling: { processes: number; batch: number; units: number; rate: number; done: number; capped: boolean; peakConnections: number; xactsPerUnit: number; walBytesPerUnit: number }[];
  steps: CaseResult[];
  profile?: { rate: number; statements: TopStatement[]; cpu: CpuSummary[]; latency?: { p50: number; samples: number; statements: (TopStatement & { perUnit: number })[] } };
  aims?: { aim: string; measured: string; met: boolean }[];
  totalSeconds: number;
}

const rateCell = (c: CaseResult) =>
  `${fmtInt(c.rate.median)} (${fmtInt(c.rate.min)}–${fmtInt(c.rate.max)})${c.capped ? ' ⏱' : ''}${c.failed ? ` ⚠ ${c.failed} failed` : ''}`;

function caseTable(cases: CaseResult[], stepsColumn = false): string[] {
  const head = stepsColumn
    ? ['| case | system | settings | units | units/s median (min–max) | steps/s | xacts/unit | WAL B/unit | peak conns |', '|---|---|---|---:|---:|---:|---:|---:|---:|']
    : ['| case | system | settings | units | units/s median (min–max) | xacts/unit | WAL B/unit | peak conns |', '|---|---|---|---:|---:|---:|---:|---:|'];
  return [
    ...head,
    ...cases.map((c) =>
      stepsColumn
        ? `| ${c.id} | ${c.system} | ${c.settings} | ${fmtInt(c.units)} | ${rateCell(c)} | ${fmtInt(c.rate.median * c.steps)} | ${fmtNum(c.xactsPerUnit, 2)} | ${fmtInt(c.walBytesPerUnit)} | ${c.peakConnections} |`
        : `| ${c.id} | ${c.system} | ${c.settings} | ${fmtInt(c.units)} | ${rateCell(c)} | ${fmtNum(c.xactsPerUnit, 2)} | ${fmtInt(c.walBytesPerUnit)} | ${c.peakConnections} |`,
    ),
  ];
}

/** a ÷ b round by round (rounds both cases ran). */
export function roundRatios(a: readonly number[] | undefined, b: readonly number[] | undefined): number[] {
  if (!a || !b) return [];
  return a.slice(0, b.length).map((x, i) => x / b[i]);
}

/** Ratios and aims, from one run's figures. */
export function judge(r: Results): { ratios: string[]; aims: NonNullable<Results['aims']> } {
  const t = (id: string) => r.throughput.find((c) => c.id === id) ?? r.http.find((c) => c.id === id);
  const l = (id: string) => r.latency.find((c) => c.id === id);
  const lines: string[] = [];
  const pb = t('pgboss-tuned');
  const gd = t('graphile-default');
  for (const id of ['weir-set1-default', 'weir-set1-tuned', 'weir-pure3-default', 'weir-pure3-tuned']) {
    const w = t(id);
    if (!w) continue;
    const parts = [
      ['pg-boss tuned', pb?.rate.median],
      ['pg-boss default', t('pgboss-default')?.rate.median],
      ['graphile-worker tuned', t('graphile-tuned')?.rate.median],
      ['graphile-worker default', gd?.rate.median],
      ['raw PGMQ round trip', r.rawPgmq],
    ] as const;
    lines.push(`- ${id} (${fmtInt(w.rate.median)}/s) ÷ ${parts.map(([n, v]) => `${n} ${ratio(w.rate.median, v)}`).join(' · ')}`);
  }
  const dh = t('dbos-http3');
  for (const id of ['weir-http3-default', 'weir-http3-tuned']) {
    const w = t(id);
    if (w) lines.push(`- ${id} (${fmtInt(w.rate.median)}/s) ÷ DBOS 3 HTTP steps (${fmtInt(dh?.rate.median)}/s): ${ratio(w.rate.median, dh?.rate.median)}`);
  }
  for (const id of ['weir-set1-default', 'weir-set1-tuned']) {
    const w = t(id);
    if (w && pb) lines.push(`- WAL bytes per unit, ${id} ÷ pg-boss tuned: ${ratio(w.walBytesPerUnit, pb.walBytesPerUnit)} (${fmtInt(w.walBytesPerUnit)} vs ${fmtInt(pb.walBytesPerUnit)} B); transactions per unit ${fmtNum(w.xactsPerUnit, 3)} vs ${fmtNum(pb.xactsPerUnit, 3)}`);
  }
  const peers = r.latency.filter((x) => x.system !== 'Weir');
  const best = peers.reduce<(typeof peers)[number] | undefined>((a, b) => (!a || b.p50 < a.p50 ? b : a), undefined);
  const wake = l('weir-notify');
  if (wake && best) {
    const byRound = roundRatios(wake.roundP50s, best.roundP50s);
    const rounds = byRound.length > 1 ? `; by round ${byRound.map((x) => x.toFixed(2)).join(', ')}` : '';
    lines.push(`- p50 latency, Weir with wake-up ÷ best peer (${best.id}): ${ratio(wake.p50, best.p50)} (${fmtNum(wake.p50)} ms vs ${fmtNum(best.p50)} ms${rounds})`);
  }

  const aims: NonNullable<Results['aims']> = [];
  const add = (aim: string, a: number | undefined, b: number | undefined, k: number, le = false) => {
    if (a === undefined || b === undefined) return;
    aims.push({ aim, measured: `${fmtNum(a, 1)} vs ${fmtNum(k * b, 1)} (${ratio(a, b)})`, met: le ? a <= k * b : a >= k * b });
  };
  for (const v of ['tuned', 'default'] as const) {
    add(`Weir 1-task workflows/s (${v}) ≥ 0.5 × pg-boss tuned jobs/s`, t(`weir-set1-${v}`)?.rate.median, pb?.rate.median, 0.5);
    add(`Weir 1-task workflows/s (${v}) ≥ graphile-worker's default`, t(`weir-set1-${v}`)?.rate.median, gd?.rate.median, 1);
    add(`Weir 3 × call: http workflows/s (${v}) ≥ 3 × DBOS`, t(`weir-http3-${v}`)?.rate.median, dh?.rate.median, 3);
    add(`Weir WAL bytes per 1-task workflow (${v}) ≤ 2 × pg-boss tuned per job`, t(`weir-set1-${v}`)?.walBytesPerUnit, pb?.walBytesPerUnit, 2, true);
  }
  add('Weir p50 latency with wake-up (defaults) ≤ best peer', wake?.p50, best?.p50, 1, true);
  return { ratios: lines, aims };
}

export function render(r: Results): string {
  const s = r.server.settings;
  const out: string[] = [];
  out.push(`# Weir vs peers — ${r.date}`);
  out.push('');
  out.push(`Postgres ${s.server_version} (${r.server.kind}): shared_buffers=${s.shared_buffers} synchronous_commit=${s.synchronous_commit} fsync=${s.fsync} full_page_writes=${s.full_page_writes} max_connections=${s.max_connections} wal_level=${s.wal_level} work_mem=${s.work_mem}`);
  out.push(`Machine: ${s.cpus}, ${s.memory}, Node ${s.node}. Command: \`${r.command}\``);
  if (r.rawPgmq) out.push(`Raw PGMQ send→read→delete round trips (8 clients, 3 s): ${fmtInt(r.rawPgmq)}/s`);
  if (r.throughput.length) {
    out.push('', `## Throughput — ${fmtInt(r.options.units)} units enqueued in bulk, then drained; median (min–max) of ${r.options.runs} runs, ${r.options.defaultRuns ?? r.options.runs} for default settings`, '');
    out.push(...caseTable(r.throughput));
    out.push('', `⏱ = time-capped (${r.options.defaultCapSeconds} s for default settings, ${r.options.capSeconds} s otherwise): the rate is over the units finished before the cap, and so are the per-unit costs.`);
  }
  if (r.http.length || r.dbosError) {
    out.push('', `## Three HTTP steps per workflow — ${fmtInt(r.options.httpUnits)} workflows, median of ${r.options.runs} runs`, '');
    out.push(...caseTable(r.http, true));
    if (r.dbosError) out.push('', `DBOS could not run: ${r.dbosError}`);
  }
  if (r.latency.length) {
    const rounds = r.options.latencyRounds ?? 1;
    const taking = rounds > 1 ? `, the cases taking turns in ${rounds} rounds` : '';
    out.push('', `## Latency — one unit at a time, enqueue → completion seen in the database, ${r.options.latencySamples} units${taking}`, '');
    out.push('| case | system | settings | p50 ms | p95 ms | p99 ms | mean ms | p50 by round |', '|---|---|---|---:|---:|---:|---:|---|');
    for (const x of r.latency) out.push(`| ${x.id} | ${x.system} | ${x.settings} | ${fmtNum(x.p50)} | ${fmtNum(x.p95)} | ${fmtNum(x.p99)} | ${fmtNum(x.mean)} | ${(x.roundP50s ?? []).map((v) => fmtNum(v)).join(' · ')} |${x.failures ? ` ⚠ ${x.failures} timed out` : ''}`);
  }
  if (r.scaling.length) {
    const units = r.scaling[0].units;
    out.push('', `## Scaling — Weir 1-task workflows/s by worker processes × WEIR_BATCH_SIZE (WEIR_CONCURRENCY = max(32, batch), WEIR_CHECKPOINT_GROUP = max(64, batch); ${fmtInt(units)} units, 1 run per cell, ${r.options.scaleCapSeconds} s cap)`, '');
    const batches = [...new Set(r.scaling.map((x) => x.batch))];
    out.push(`| processes | ${batches.map((b) => `batch ${b}`).join(' | ')} | peak conns (largest batch) |`, `|---:|${batches.map(() => '---:|').join('')}---:|`);
    for (const p of [...new Set(r.scaling.map((x) => x.processes))]) {
      const row = batches.map((b) => {
        const x = r.scaling.find((y) => y.processes === p && y.batch === b);
        return x ? `${fmtInt(x.rate)}${x.capped ? ' ⏱' : ''}` : '—';
      });
      const last = r.scaling.find((y) => y.processes === p && y.batch === batches[batches.length - 1]);
      out.push(`| ${p} | ${row.join(' | ')} | ${last?.peakConnections ?? '—'} |`);
    }
  }
  if (r.steps.length) {
    out.push('', `## Step-heavy — 20 tasks (15 set, 5 call: http to a local stub) per workflow, ${fmtInt(r.options.stepUnits)} workflows, 1 run`, '');
    out.push(...caseTable(r.steps, true));
  }
  const { ratios, aims } = judge(r);
  r.aims = aims;
  if (ratios.length) out.push('', '## Ratios (same run)', '', ...ratios);
  if (aims.length) {
    out.push('', '## Aims (issue #10)', '', '| aim | measured (Weir vs target) | met |', '|---|---|---|');
    for (const a of aims) out.push(`| ${a.aim} | ${a.measured} | ${a.met ? 'yes' : '**no**'} |`);
  }
  if (r.profile) {
    out.push('', `## Profile — weir set1, 1 worker (${fmtInt(r.profile.rate)}/s while profiled)`, '');
    if (r.profile.statements.length) {
      out.push('| statement (pg_stat_statements) | calls | total ms | mean ms | WAL B |', '|---|---:|---:|---:|---:|');
      for (const st of r.profile.statements) out.push(`| \`${st.query.replace(/\|/g, '\\|').slice(0, 160)}\` | ${fmtInt(st.calls)} | ${fmtInt(st.totalMs)} | ${st.meanMs} | ${fmtInt(st.walBytes)} |`);
    }
    const lat = r.profile.latency;
    if (lat) {
      out.push('', `One idle start → completed (weir-notify, ${lat.samples} units, p50 ${fmtNum(lat.p50)} ms): statements per unit`, '', '| statement | per unit | mean ms |', '|---|---:|---:|');
      for (const st of lat.statements) out.push(`| \`${st.query.replace(/\|/g, '\\|').slice(0, 160)}\` | ${st.perUnit} | ${st.meanMs} |`);
    }
    for (const c of r.profile.cpu) {
      out.push('', `CPU (self time, ${fmtInt(c.totalMs)} ms profiled):`, '', '| file or package | self ms | % |', '|---|---:|---:|');
      for (const f of c.files.slice(0, 10)) out.push(`| ${f.name} | ${fmtInt(f.selfMs)} | ${f.pct} |`);
      out.push('', '| function | self ms | % |', '|---|---:|---:|');
      for (const f of c.functions.slice(0, 15)) out.push(`| \`${f.name}\` | ${fmtInt(f.selfMs)} | ${f.pct} |`);
    }
  }
  out.push('', `Total wall time: ${Math.floor(r.totalSeconds / 60)} min ${r.totalSeconds % 60} s`);
  return out.join('\n');
}
