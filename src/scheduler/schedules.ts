/**
 * Workflow schedules (`schedule:` in the document; id `<namespace>.<name>`, one per workflow):
 * registered with the workflow, claimed by any
 * replica with FOR UPDATE SKIP LOCKED when `next_run_at <= weir.now()`, each firing starting an
 * instance with the idempotency key `schedule:<id>:<fire time>` — N replicas never double-fire.
 *
 * - `cron`: the next occurrence in the schedule's IANA time zone (`document.metadata.weir.timezone`,
 *   default UTC); daylight-saving transitions follow croner's rules (a skipped local time does not
 *   fire; a repeated one fires once).
 * - `every`: fixed interval from the previous due time.
 * - `after`: the first run at registration, then each next one `after` the previous run ended.
 * - `on`: each event that matches (`one` / `any` filters) starts an instance with the event as input.
 *
 * Catch-up after downtime: fire ONCE for the missed window (keyed by its first missed tick), then
 * continue at the next tick after now — never once per missed tick.
 */
import { Cron } from 'croner';
import { durationToMs, type Workflow } from '../dsl/index.ts';
import { WeirError } from '../errors.ts';
import { startWorkflow } from '../runner/flow.ts';
import { compareSemver } from '../store/queries/workflows.ts';
import { json, type Sql } from '../store/sql.ts';

export type ScheduleKind = 'cron' | 'every' | 'after' | 'on';

export interface ScheduleRow {
  id: string;
  namespace: string;
  workflowName: string;
  workflowVersion: string;
  kind: ScheduleKind;
  spec: unknown;
  timezone: string;
  nextRunAt: Date | null;
  lastRunAt: Date | null;
  enabled: boolean;
}

type Raw = Record<string, unknown>;
const toRow = (r: Raw): ScheduleRow => ({
  id: r.id as string,
  namespace: r.namespace as string,
  workflowName: r.workflow_name as string,
  workflowVersion: r.workflow_version as string,
  kind: r.kind as ScheduleKind,
  spec: r.spec,
  timezone: r.timezone as string,
  nextRunAt: r.next_run_at ? new Date(r.next_run_at as string) : null,
  lastRunAt: r.last_run_at ? new Date(r.last_run_at as string) : null,
  enabled: r.enabled as boolean,
});

function kindOf(schedule: NonNullable<Workflow['schedule']>): { kind: ScheduleKind; spec: unknown } {
  if (schedule.cron !== undefined) return { kind: 'cron', spec: { cron: schedule.cron } };
  if (schedule.every !== undefined) return { kind: 'every', spec: { everyMs: durationToMs(schedule.every) } };
  if (schedule.after !== undefined) return { kind: 'after', spec: { afterMs: durationToMs(schedule.after) } };
  return { kind: 'on', spec: { on: schedule.on } };
}

/** Validates what the DSL schema cannot: a cron expression, a time zone, an `on` strategy Weir runs. */
export function scheduleProblems(workflow: Workflow, document: Record<string, unknown>): { pointer: string; message: string }[] {
  const s = workflow.schedule;
  if (!s) return [];
  const problems: { pointer: string; message: string }[] = [];
  const timezone = timezoneOf(document);
  if (s.cron !== undefined) {
    try {
      new Cron(s.cron, { timezone, paused: true });
    } catch (e) {
      problems.push({ pointer: '/schedule/cron', message: `invalid cron expression: ${(e as Error).message}` });
    }
  }
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
  } catch {
    problems.push({ pointer: '/document/metadata/weir/timezone', message: `unknown IANA time zone "${timezone}"` });
  }
  if (s.on && 'all' in s.on) {
    problems.push({ pointer: '/schedule/on/all', message: 'not supported by Weir: a schedule starts on `one` or `any` events' });
  }
  if ((s.every && durationToMs(s.every) < 1000) || (s.after && durationToMs(s.after) < 0)) {
    problems.push({ pointer: s.every ? '/schedule/every' : '/schedule/after', message: 'must be at least one second' });
  }
  return problems;
}

export function timezoneOf(document: Record<string, unknown>): string {
  const tz = (document.document as { metadata?: { weir?: { timezone?: unknown } } } | undefined)?.metadata?.weir?.timezone;
  return typeof tz === 'string' ? tz : 'UTC';
}

/** The next due time strictly after `from` (ms), or null when the kind is not time-driven. */
export function nextDue(kind: ScheduleKind, spec: unknown, timezone: string, from: number): number | null {
  if (kind === 'cron') {
    const next = new Cron((spec as { cron: string }).cron, { timezone, paused: true }).nextRun(new Date(from));
    return next ? next.getTime() : null;
  }
  if (kind === 'every') return from + (spec as { everyMs: number }).everyMs;
  return null;
}

/**
 * Registers or replaces the workflow's schedule (one per workflow name; the highest registered
 * version's schedule wins). Called in the registration transaction.
 */
export async function syncSchedule(tx: Sql, workflow: Workflow, document: Record<string, unknown>): Promise<void> {
  const { namespace, name, version } = workflow.document;
  const id = `${namespace}.${name}`;
  const [existing] = await tx<{ workflow_version: string }>`SELECT workflow_version FROM weir.schedules WHERE id = ${id} FOR UPDATE`;
  if (existing && compareSemver(version, existing.workflow_version) < 0) return;
  if (!workflow.schedule) {
    if (existing) await tx`DELETE FROM weir.schedules WHERE id = ${id}`;
    return;
  }
  const problems = scheduleProblems(workflow, document);
  if (problems.length) throw new WeirError('validation_failed', 'the workflow schedule is invalid', { errors: problems });
  const { kind, spec } = kindOf(workflow.schedule);
  const timezone = timezoneOf(document);
  const [{ now }] = await tx<{ now: Date }>`SELECT weir.now() AS now`;
  const nowMs = new Date(now).getTime();
  const next = kind === 'after' ? nowMs : nextDue(kind, spec, timezone, nowMs);
  await tx`
    INSERT INTO weir.schedules (id, namespace, workflow_name, workflow_version, kind, spec, timezone, next_run_at, enabled)
    VALUES (${id}, ${namespace}, ${name}, ${version}, ${kind}, ${json(spec)}::jsonb, ${timezone},
            ${next === null ? null : new Date(next)}::timestamptz, true)
    ON CONFLICT (id) DO UPDATE SET
      workflow_version = EXCLUDED.workflow_version, kind = EXCLUDED.kind, timezone = EXCLUDED.timezone,
      next_run_at = CASE WHEN weir.schedules.spec = EXCLUDED.spec AND weir.schedules.kind = EXCLUDED.kind
                         THEN weir.schedules.next_run_at ELSE EXCLUDED.next_run_at END,
      spec = EXCLUDED.spec`;
}

/** Claims due schedules, starts their instances, and moves them on. Returns how many fired. */
export async function fireDueSchedules(sql: Sql, limit: number): Promise<number> {
  return sql.begin(async (tx) => {
    await armAfterSchedules(tx);
    const due = await tx<Raw & { now: Date }>`
      SELECT s.*, w.queue, weir.now() AS now FROM weir.schedules s
      JOIN weir.workflows w ON w.namespace = s.namespace AND w.name = s.workflow_name AND w.version = s.workflow_version
      WHERE s.enabled AND s.next_run_at <= weir.now() AND s.kind IN ('cron', 'every', 'after')
      ORDER BY s.next_run_at LIMIT ${limit} FOR UPDATE OF s SKIP LOCKED`;
    for (const raw of due) {
      const s = toRow(raw);
      const now = new Date(raw.now).getTime();
      // One firing covers the whole missed window: it is keyed by the first missed tick, and the
      // next due time is the first tick after now (computed directly, not tick by tick).
      const fireAt = (s.nextRunAt as Date).getTime();
      const next =
        s.kind === 'every'
          ? // on the interval grid from the first due time: late polls never make it drift
            fireAt + (s.spec as { everyMs: number }).everyMs * (Math.floor((now - fireAt) / (s.spec as { everyMs: number }).everyMs) + 1)
          : nextDue(s.kind, s.spec, s.timezone, Math.max(fireAt, now));
      const { instance } = await startWorkflow(tx, {
        namespace: s.namespace,
        workflowName: s.workflowName,
        workflowVersion: s.workflowVersion,
        queue: raw.queue as string,
        input: {},
        idempotencyKey: `schedule:${s.id}:${new Date(fireAt).toISOString()}`,
      });
      await tx`
        UPDATE weir.schedules SET last_run_at = ${new Date(fireAt)}::timestamptz,
          next_run_at = ${next === null ? null : new Date(next)}::timestamptz,
          spec = CASE WHEN kind = 'after' THEN spec || jsonb_build_object('lastInstance', ${instance.id}::text) ELSE spec END
        WHERE id = ${s.id}`;
    }
    return due.length;
  });
}

/** `after` schedules: once the last run ended, the next one is due `after` its end. */
async function armAfterSchedules(tx: Sql): Promise<void> {
  await tx`
    UPDATE weir.schedules s SET next_run_at = i.ended_at + make_interval(secs => (s.spec->>'afterMs')::double precision / 1000)
    FROM weir.instances i
    WHERE s.kind = 'after' AND s.enabled AND s.next_run_at IS NULL
      AND i.id = (s.spec->>'lastInstance')::uuid AND i.ended_at IS NOT NULL`;
}

export async function listSchedules(sql: Sql, namespaces?: readonly string[]): Promise<ScheduleRow[]> {
  const rows = await sql<Raw>`
    SELECT * FROM weir.schedules
    WHERE ${json(namespaces ?? null)}::jsonb IS NULL OR namespace IN (SELECT jsonb_array_elements_text(${json(namespaces ?? null)}::jsonb))
    ORDER BY id`;
  return rows.map(toRow);
}

export async function setScheduleEnabled(sql: Sql, id: string, enabled: boolean): Promise<ScheduleRow> {
  return sql.begin(async (tx) => {
    const [raw] = await tx<Raw & { now: Date }>`SELECT *, weir.now() AS now FROM weir.schedules WHERE id = ${id} FOR UPDATE`;
    if (!raw) throw new WeirError('not_found', `schedule ${id} does not exist`);
    const s = toRow(raw);
    if (s.enabled === enabled) return s;
    // Resuming does not replay the paused window: the next due time counts from now.
    const now = new Date(raw.now).getTime();
    const next = enabled ? (s.kind === 'after' ? null : nextDue(s.kind, s.spec, s.timezone, now)) : s.nextRunAt?.getTime() ?? null;
    const [updated] = await tx<Raw>`
      UPDATE weir.schedules SET enabled = ${enabled}, next_run_at = ${next === null ? null : new Date(next)}::timestamptz
      WHERE id = ${id} RETURNING *`;
    return toRow(updated);
  });
}
