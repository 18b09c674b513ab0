/**
 * The loop's clock probe (`clockWorkDue`): one statement that says whether timers or schedules have
 * anything due, so that a poll with nothing due skips their transactions. It must say "due" exactly
 * when `fireDueTimers` / `fireDueSchedules` would do something — a false "nothing" would leave a
 * timer or a schedule unfired; a false "due" costs the transactions it exists to save.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { registerWorkflow } from '../../../src/runner/index.ts';
import { startWorkflow } from '../../../src/runner/flow.ts';
import { clockWorkDue } from '../../../src/runner/clock.ts';
import { fireDueTimers } from '../../../src/runner/timers.ts';
import { fireDueSchedules, setScheduleEnabled } from '../../../src/scheduler/schedules.ts';
import { counting } from '../../support/counting.ts';
import { useTestDatabase } from '../../support/db.ts';
import { testRunner } from '../../support/runner.ts';

const db = useTestDatabase();
const due = () => clockWorkDue(db.current.sql);
afterEach(async () => {
  await db.current.sql`SELECT weir.reset_clock()`;
  await db.current.sql`DELETE FROM weir.schedules`;
  await db.current.sql`DELETE FROM weir.timers`;
});

describe('clock probe', () => {
  test('timers: due exactly when one is at or before the database clock', async () => {
    await db.current.sql`SELECT weir.set_fake_now('2026-01-01T00:00:00Z')`;
    expect(await due()).toEqual({ timers: false, schedules: false });
    await registerWorkflow(db.current.sql, `
document: { dsl: '1.0.0', namespace: clock, name: plain, version: '1.0.0' }
do:
  - t: { set: { ok: true } }
`);
    const { instance } = await startWorkflow(db.current.sql, { namespace: 'clock', workflowName: 'plain', workflowVersion: '1.0.0', queue: 'weir_default', input: {} });
    await db.current.sql`
      INSERT INTO weir.timers (id, instance_id, queue, due_at, message)
      VALUES ('t1', ${instance.id}::uuid, 'weir_default', '2026-01-01T00:01:00Z', '{"kind":"noop"}')`;
    expect(await due()).toEqual({ timers: false, schedules: false });
    await db.current.sql`SELECT weir.advance_clock('59 seconds')`;
    expect((await due()).timers).toBe(false);
    await db.current.sql`SELECT weir.advance_clock('1 second')`;
    expect(await due()).toEqual({ timers: true, schedules: false });
    expect(await fireDueTimers(db.current.sql, 10)).toBe(1);
    expect((await due()).timers).toBe(false);
  });

  test('schedules: due when a time-driven one is due and not paused, or an after schedule needs arming', async () => {
    await db.current.sql`SELECT weir.set_fake_now('2026-01-01T00:00:00Z')`;
    await registerWorkflow(db.current.sql, `
document: { dsl: '1.0.0', namespace: clock, name: every-5m, version: '1.0.0' }
schedule: { every: { minutes: 5 } }
do:
  - t: { set: { ok: true } }
`);
    expect(await due()).toEqual({ timers: false, schedules: false });
    await db.current.sql`SELECT weir.advance_clock('5 minutes')`;
    expect(await due()).toEqual({ timers: false, schedules: true });
    await setScheduleEnabled(db.current.sql, 'clock.every-5m', false);
    expect((await due()).schedules).toBe(false); // paused: nothing to fire
    await db.current.sql`DELETE FROM weir.schedules`;

    // after: due at registration; once fired, not due while its run is going; due again (to be
    // armed) when the run ends; armed, due only `after` later.
    await registerWorkflow(db.current.sql, `
document: { dsl: '1.0.0', namespace: clock, name: after-1h, version: '1.0.0' }
schedule: { after: PT1H }
do:
  - t: { set: { ok: true } }
`);
    expect((await due()).schedules).toBe(true);
    expect(await fireDueSchedules(db.current.sql, 10)).toBe(1);
    expect((await due()).schedules).toBe(false); // its run is pending
    await testRunner(db.current.sql).drain(); // runs it to completion
    const [run] = await db.current.sql<{ status: string }>`SELECT status FROM weir.instances WHERE workflow_name = 'after-1h'`;
    expect(run.status).toBe('completed');
    // The drain's own polls armed it once the run ended (an hour after the end)…
    const armedAt = async () => (await db.current.sql<{ at: Date | null }>`SELECT next_run_at AS at FROM weir.schedules`)[0].at;
    expect(await armedAt()).toEqual(new Date('2026-01-01T01:05:00Z'));
    expect((await due()).schedules).toBe(false);
    // …the state between the run's end and the next poll: ended, not armed yet.
    await db.current.sql`UPDATE weir.schedules SET next_run_at = NULL`;
    expect((await due()).schedules).toBe(true);
    expect(await fireDueSchedules(db.current.sql, 10)).toBe(0); // arms it, an hour after the end
    expect(await armedAt()).toEqual(new Date('2026-01-01T01:05:00Z'));
    expect((await due()).schedules).toBe(false);
    await db.current.sql`SELECT weir.advance_clock('60 minutes')`;
    expect((await due()).schedules).toBe(true);
  });

  test('a poll with nothing due runs no clock transaction; a due timer still fires from the loop', async () => {
    await db.current.sql`SELECT weir.set_fake_now('2026-01-01T00:00:00Z')`;
    await registerWorkflow(db.current.sql, `
document: { dsl: '1.0.0', namespace: clock, name: waits, version: '1.0.0' }
do:
  - w: { wait: { seconds: 30 } }
  - t: { set: { ok: true } }
`);
    const { instance } = await startWorkflow(db.current.sql, { namespace: 'clock', workflowName: 'waits', workflowVersion: '1.0.0', queue: 'weir_default', input: {} });
    const counter = counting(db.current.sql);
    const runner = testRunner(counter.sql);
    await runner.drain(); // the wait arms its timer
    const [armed] = await db.current.sql<{ n: number }>`SELECT count(*)::int AS n FROM weir.timers`;
    expect(armed.n).toBe(1);
    counter.transactions = 0;
    counter.statements = 0;
    expect((await runner.drain()).timersFired).toBe(0);
    // Nothing due: the probe and the queue reads, no timer or schedule transaction.
    expect(counter.transactions).toBe(0);
    expect(counter.statements).toBeGreaterThan(0);
    await db.current.sql`SELECT weir.advance_clock('31 seconds')`;
    expect((await runner.drain()).timersFired).toBe(1);
    expect(counter.transactions).toBe(1); // the timers' transaction only: no schedule is due
    await runner.drain();
    const [row] = await db.current.sql<{ status: string }>`SELECT status FROM weir.instances WHERE id = ${instance.id}::uuid`;
    expect(row.status).toBe('completed');
  });
});
