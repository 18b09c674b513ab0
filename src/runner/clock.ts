/**
 * Whether the clock has work: one statement the loop runs every poll interval, so that a replica
 * with nothing due pays one round trip, not the two transactions that fire timers and schedules
 * (seven round trips, with their BEGIN and COMMIT — 43% of a replica's statements under a start
 * every few milliseconds, bench compare's latency case). Its conditions are those of
 * `fireDueTimers` and `fireDueSchedules` (with `armAfterSchedules`): a timer is due; a time-driven
 * schedule is due; or an `after` schedule's last run has ended and it is not armed yet.
 */
import type { Sql } from '../store/sql.ts';

export interface ClockWork {
  timers: boolean;
  schedules: boolean;
}

export async function clockWorkDue(sql: Sql): Promise<ClockWork> {
  const [r] = await sql<{ timers: boolean; schedules: boolean }>`
    SELECT EXISTS (SELECT 1 FROM weir.timers WHERE due_at <= c.now) AS timers,
           EXISTS (SELECT 1 FROM weir.schedules
                   WHERE enabled AND next_run_at <= c.now AND kind IN ('cron', 'every', 'after'))
        OR EXISTS (SELECT 1 FROM weir.schedules s JOIN weir.instances i ON i.id = (s.spec->>'lastInstance')::uuid
                   WHERE s.kind = 'after' AND s.enabled AND s.next_run_at IS NULL AND i.ended_at IS NOT NULL) AS schedules
    FROM (SELECT weir.now() AS now) c`;
  return { timers: r.timers, schedules: r.schedules };
}
