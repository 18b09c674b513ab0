/**
 * Schedules on real Postgres with the database clock: three replicas advancing one cron tick at a
 * time over 100 ticks start exactly 100 instances; a jump over 10 missed ticks fires once
 * (catch-up policy); every/after/on schedules; pause and resume.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { registerWorkflow } from '../../../src/runner/index.ts';
import { listSchedules, setScheduleEnabled } from '../../../src/scheduler/schedules.ts';
import { openPostgres } from '../../../src/store/postgres-js.ts';
import { deliverEvents } from '../../../src/runner/events.ts';
import { useTestDatabase } from '../../support/db.ts';
import { testRunner } from '../../support/runner.ts';

const db = useTestDatabase();
const startsOf = async (name: string) =>
  (await db.current.sql<{ n: number }>`SELECT count(*)::int AS n FROM weir.instances WHERE workflow_name = ${name}`)[0].n;
afterEach(async () => {
  await db.current.sql`SELECT weir.reset_clock()`;
});

describe('schedules', () => {
  test('3 replicas, 100 cron ticks one at a time: exactly 100 starts; a jump over 10 ticks fires once', async () => {
    await db.current.sql`SELECT weir.set_fake_now('2026-01-01T00:00:30Z')`;
    await registerWorkflow(db.current.sql, `
document: { dsl: '1.0.0', namespace: sched, name: every-minute, version: '1.0.0' }
schedule: { cron: '* * * * *' }
do:
  - tick: { set: { ok: true } }
`);
    const [s] = await listSchedules(db.current.sql);
    expect(s).toMatchObject({ id: 'sched.every-minute', kind: 'cron', nextRunAt: new Date('2026-01-01T00:01:00Z') });
    const handles = [0, 1, 2].map(() => openPostgres({ url: db.current.url, max: 3, prepare: true }));
    const replicas = handles.map((h) => testRunner(h.sql));
    try {
      for (let tick = 0; tick < 100; tick++) {
        await db.current.sql`SELECT weir.advance_clock('1 minute')`;
        await Promise.all(replicas.map((r) => r.drain()));
      }
      expect(await startsOf('every-minute')).toBe(100);
      const completed = await db.current.sql<{ n: number }>`SELECT count(*)::int AS n FROM weir.instances WHERE workflow_name = 'every-minute' AND status = 'completed'`;
      expect(completed[0].n).toBe(100);
      // Downtime: the clock jumps over 10 ticks; one start covers the missed window.
      await db.current.sql`SELECT weir.advance_clock('10 minutes')`;
      await Promise.all(replicas.map((r) => r.drain()));
      expect(await startsOf('every-minute')).toBe(101);
      const [after] = await listSchedules(db.current.sql);
      expect(after.nextRunAt).toEqual(new Date('2026-01-01T01:51:00Z')); // the first tick after the jump
    } finally {
      await Promise.all(handles.map((h) => h.close()));
    }
  });

  test('cron in an IANA time zone; pause stops firing, resume continues from now', async () => {
    await db.current.sql`SELECT weir.set_fake_now('2026-03-01T00:00:00Z')`;
    await registerWorkflow(db.current.sql, `
document:
  dsl: '1.0.0'
  namespace: sched
  name: paris-nine
  version: '1.0.0'
  metadata: { weir: { timezone: Europe/Paris } }
schedule: { cron: '0 9 * * *' }
do:
  - t: { set: { ok: true } }
`);
    const [s] = (await listSchedules(db.current.sql)).filter((x) => x.id === 'sched.paris-nine');
    expect(s.nextRunAt).toEqual(new Date('2026-03-01T08:00:00Z')); // 09:00 CET
    await setScheduleEnabled(db.current.sql, s.id, false);
    await db.current.sql`SELECT weir.advance_clock('2 days')`;
    await testRunner(db.current.sql).drain();
    expect(await startsOf('paris-nine')).toBe(0);
    const resumed = await setScheduleEnabled(db.current.sql, s.id, true);
    expect(resumed.nextRunAt).toEqual(new Date('2026-03-03T08:00:00Z'));
  });

  test('every: fixed interval; after: the next run is due after the previous one ended', async () => {
    await db.current.sql`SELECT weir.set_fake_now('2026-05-01T00:00:00Z')`;
    await registerWorkflow(db.current.sql, `
document: { dsl: '1.0.0', namespace: sched, name: every-5m, version: '1.0.0' }
schedule: { every: { minutes: 5 } }
do:
  - t: { set: { ok: true } }
`);
    await registerWorkflow(db.current.sql, `
document: { dsl: '1.0.0', namespace: sched, name: after-1h, version: '1.0.0' }
schedule: { after: PT1H }
do:
  - t: { set: { ok: true } }
`);
    const runner = testRunner(db.current.sql);
    await runner.drain();
    expect(await startsOf('after-1h')).toBe(1); // first run at registration
    expect(await startsOf('every-5m')).toBe(0);
    for (let i = 0; i < 6; i++) {
      await db.current.sql`SELECT weir.advance_clock('5 minutes')`;
      await runner.drain();
    }
    expect(await startsOf('every-5m')).toBe(6);
    expect(await startsOf('after-1h')).toBe(1); // 30 minutes after the first run ended
    await db.current.sql`SELECT weir.advance_clock('31 minutes')`;
    await runner.drain();
    await runner.drain();
    expect(await startsOf('after-1h')).toBe(2);
  });

  test('on: each matching event starts one instance with the event as input, once per event', async () => {
    await registerWorkflow(db.current.sql, `
document: { dsl: '1.0.0', namespace: sched, name: on-order, version: '1.0.0' }
schedule:
  on:
    one: { with: { type: com.example.order } }
do:
  - t: { set: { got: '\${ .data.n }' } }
`);
    const ev = (id: string, type = 'com.example.order') => ({ id, source: 'test', type, specversion: '1.0', data: { n: Number(id) } });
    await db.current.sql.begin((tx) => deliverEvents(tx, [ev('1'), ev('2'), ev('3', 'com.example.other')]));
    await db.current.sql.begin((tx) => deliverEvents(tx, [ev('1')])); // a duplicate starts nothing
    await testRunner(db.current.sql).drain();
    const rows = await db.current.sql<{ output: { got: number } }>`SELECT output FROM weir.instances WHERE workflow_name = 'on-order' ORDER BY created_at`;
    expect(rows.map((r) => r.output.got).sort()).toEqual([1, 2]);
  });

  test('bad schedules are refused at registration with pointers', async () => {
    await expect(
      registerWorkflow(db.current.sql, `
document: { dsl: '1.0.0', namespace: sched, name: bad-cron, version: '1.0.0' }
schedule: { cron: 'not a cron' }
do:
  - t: { set: { ok: true } }
`),
    ).rejects.toMatchObject({ code: 'validation_failed', errors: [expect.objectContaining({ pointer: '/schedule/cron' })] });
  });
});
