/**
 * An instance's history as a Gantt chart: each `taskStarted` paired with the entry that ended it
 * (completed, faulted, cancelled) for the same task pointer and fork branch. Retries (`taskRetried`
 * on the try task, with the delay it waits) and suspensions are kept as marks, so waits show as
 * time, not as gaps. Pure over history rows; rendering is the SVG below.
 */
import { html } from 'hono/html';
import { resolvePointer } from '../dsl/pointer.ts';
import { taskKind, type NodeKind } from './diagram.ts';

export interface HistoryLike {
  seq: number;
  at: Date;
  kind: string;
  taskRef: string | null;
  data: unknown;
}

export type BarOutcome = 'completed' | 'faulted' | 'cancelled' | 'skipped' | 'running' | 'unfinished';

export interface Bar {
  ref: string;
  name: string;
  branch?: string;
  kind: NodeKind;
  /** Nesting depth (0 for a top-level task). */
  depth: number;
  start: number;
  end: number;
  outcome: BarOutcome;
  retries: { at: number; attempt: number; delayMs: number }[];
}

export interface Timeline {
  start: number;
  end: number;
  bars: Bar[];
  suspensions: { from: number; to: number }[];
  /** Pointers of the tasks still open (innermost first-class): where a live instance is now. */
  current: string[];
  /** Pointer of the task whose `taskFaulted` came last, if any. */
  lastFaulted?: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const depthOf = (ref: string) => Math.max(0, ref.split('/').filter((t) => /^\d+$/.test(t)).length - 1);

/**
 * Builds the timeline. `now` closes tasks that are still open on a live instance; `endedAt` closes
 * them on an ended one (they ended with it: `unfinished`).
 */
export function buildTimeline(rows: readonly HistoryLike[], options: { document?: unknown; now: number; endedAt?: number | null }): Timeline {
  const bars: Bar[] = [];
  const open = new Map<string, Bar[]>();
  const suspensions: { from: number; to: number }[] = [];
  let suspendedAt: number | undefined;
  let lastFaulted: string | undefined;
  const first = rows[0]?.at.getTime() ?? options.now;
  const close = options.endedAt ?? options.now;
  for (const r of rows) {
    const at = r.at.getTime();
    const data = isObject(r.data) ? r.data : {};
    const branch = typeof data.branch === 'string' ? data.branch : undefined;
    if (r.kind === 'workflowSuspended') suspendedAt ??= at;
    if (r.kind === 'workflowResumed' && suspendedAt !== undefined) {
      suspensions.push({ from: suspendedAt, to: at });
      suspendedAt = undefined;
    }
    if (!r.taskRef) continue;
    const key = `${r.taskRef}|${branch ?? ''}`;
    const stack = open.get(key) ?? [];
    if (r.kind === 'taskStarted') {
      const task = options.document === undefined ? undefined : resolvePointer(options.document, r.taskRef);
      const bar: Bar = {
        ref: r.taskRef,
        name: typeof data.task === 'string' ? data.task : (r.taskRef.split('/').pop() ?? r.taskRef),
        ...(branch ? { branch } : {}),
        kind: taskKind(task),
        depth: depthOf(r.taskRef),
        start: at,
        end: at,
        outcome: 'running',
        retries: [],
      };
      bars.push(bar);
      stack.push(bar);
      open.set(key, stack);
    } else if (r.kind === 'taskRetried') {
      const bar = stack[stack.length - 1];
      const d = isObject(data.data) ? data.data : {};
      if (bar) bar.retries.push({ at, attempt: Number(d.attempt ?? bar.retries.length + 1), delayMs: Number(d.delayMs ?? 0) });
    } else if (r.kind === 'taskCompleted' || r.kind === 'taskFaulted' || r.kind === 'taskCancelled' || r.kind === 'taskSkipped') {
      if (r.kind === 'taskFaulted') lastFaulted = r.taskRef;
      const outcome = ({ taskCompleted: 'completed', taskFaulted: 'faulted', taskCancelled: 'cancelled', taskSkipped: 'skipped' } as const)[r.kind];
      const bar = stack.pop();
      if (bar) {
        bar.end = at;
        bar.outcome = outcome;
      } else {
        const name = typeof data.task === 'string' ? data.task : (r.taskRef.split('/').pop() ?? r.taskRef);
        bars.push({ ref: r.taskRef, name, ...(branch ? { branch } : {}), kind: 'task', depth: depthOf(r.taskRef), start: at, end: at, outcome, retries: [] });
      }
    }
  }
  if (suspendedAt !== undefined) suspensions.push({ from: suspendedAt, to: close });
  const stillOpen = bars.filter((b) => b.outcome === 'running');
  for (const b of stillOpen) {
    b.end = Math.max(b.start, close);
    if (options.endedAt != null) b.outcome = 'unfinished';
  }
  const openRefs = options.endedAt != null ? [] : stillOpen.map((b) => b.ref);
  const current = [...new Set(openRefs)].filter((ref) => !openRefs.some((o) => o !== ref && o.startsWith(`${ref}/`)));
  const end = Math.max(close, ...bars.map((b) => b.end), first);
  return { start: first, end, bars, suspensions, current, ...(lastFaulted ? { lastFaulted } : {}) };
}

/** `0 ms`, `340 ms`, `1.2 s`, `3 min 4 s`, `1 h 2 min`, `2 d 3 h`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s < 10 ? s.toFixed(1) : Math.round(s)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min${Math.round(s % 60) ? ` ${Math.round(s % 60)} s` : ''}`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h} h${m % 60 ? ` ${m % 60} min` : ''}`;
  return `${Math.floor(h / 24)} d${h % 24 ? ` ${h % 24} h` : ''}`;
}

const MAX_BARS = 200;
const W = 1000;
const LABEL_W = 250;
const ROW = 22;
const TOP = 24;

const f = (n: number) => (Math.round(n * 10) / 10).toString();

/** The Gantt chart as inline SVG, with a `<title>` on every bar (task, duration, outcome). */
export function renderTimelineSvg(t: Timeline) {
  const bars = t.bars.slice(0, MAX_BARS);
  const span = Math.max(1, t.end - t.start);
  const chart = W - LABEL_W - 12;
  const x = (ms: number) => LABEL_W + ((ms - t.start) / span) * chart;
  const height = TOP + bars.length * ROW + 8;
  const ticks = [0, 0.25, 0.5, 0.75, 1].map(
    (p) => html`<g class="tick"><line x1="${f(LABEL_W + p * chart)}" x2="${f(LABEL_W + p * chart)}" y1="${TOP - 6}" y2="${height}"></line><text x="${f(LABEL_W + p * chart)}" y="${TOP - 10}" text-anchor="${p === 0 ? 'start' : p === 1 ? 'end' : 'middle'}">${p === 0 ? '0' : `+${formatDuration(p * span)}`}</text></g>`,
  );
  const bands = t.suspensions.map(
    (s) => html`<rect class="suspended-band" x="${f(x(s.from))}" y="${TOP - 4}" width="${f(Math.max(2, x(s.to) - x(s.from)))}" height="${height - TOP}"><title>suspended for ${formatDuration(s.to - s.from)}</title></rect>`,
  );
  const rows = bars.map((b, i) => {
    const y = TOP + i * ROW;
    const width = Math.max(3, x(b.end) - x(b.start));
    const title = `${b.name}${b.branch ? ` [${b.branch}]` : ''}: ${b.outcome}, ${formatDuration(b.end - b.start)}${b.retries.length ? `, ${b.retries.length} retr${b.retries.length === 1 ? 'y' : 'ies'}` : ''}`;
    const retries = b.retries.map(
      (r) => html`<rect class="retry-wait" x="${f(x(r.at))}" y="${y + 4}" width="${f(Math.max(2, x(r.at + r.delayMs) - x(r.at)))}" height="${ROW - 8}"><title>retry ${r.attempt} after ${formatDuration(r.delayMs)}</title></rect><path class="retry-mark" d="M${f(x(r.at))} ${y + 2}l4 4l-4 4l-4-4z"></path>`,
    );
    const label = `${'  '.repeat(Math.min(b.depth, 6))}${b.name}`;
    return html`<g class="bar outcome-${b.outcome} kind-${b.kind}" data-pointer="${b.ref}"><title>${title}</title><text class="bar-label" x="${4 + Math.min(b.depth, 6) * 12}" y="${y + 15}">${label.trim().length > 30 ? `${label.trim().slice(0, 29)}…` : label.trim()}</text><rect x="${f(x(b.start))}" y="${y + 3}" width="${f(width)}" height="${ROW - 6}" rx="3"></rect>${retries}</g>`;
  });
  const more = t.bars.length > MAX_BARS ? html`<p class="note">Showing the first ${MAX_BARS} of ${t.bars.length} task runs.</p>` : '';
  return html`<svg class="timeline" role="img" aria-label="Timeline: ${bars.length} task runs over ${formatDuration(span)}" viewBox="0 0 ${W} ${height}" preserveAspectRatio="xMinYMin meet" font-size="12" xmlns="http://www.w3.org/2000/svg">${ticks}${bands}${rows}</svg>${more}`;
}
