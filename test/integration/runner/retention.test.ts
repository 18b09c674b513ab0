/**
 * Retention purges what is past its time, in bounded batches, and nothing younger.
 */
import { expect, test } from 'vitest';
import { registerWorkflow } from '../../../src/runner/index.ts';
import { deliverEvents } from '../../../src/runner/events.ts';
import { purgeExpired } from '../../../src/scheduler/retention.ts';
import { startInstance } from '../../../src/store/queries/instances.ts';
import { pgmq } from '../../../src/store/queries/pgmq.ts';
import { useTestDatabase } from '../../support/db.ts';
import { testRunner } from '../../support/runner.ts';

const db = useTestDatabase();

test('ended instances with history, old events and archives go after their retention, in batches', async () => {
  const sql = db.current.sql;
  try {
    await registerWorkflow(sql, `
document: { dsl: '1.0.0', namespace: ret, name: quick, version: '1.0.0' }
do:
  - t: { set: { ok: true } }
`);
    await sql`SELECT weir.set_fake_now('2026-01-01T00:00:00Z')`;
    for (let i = 0; i < 5; i++) await startInstance(sql, { namespace: 'ret', workflowName: 'quick', workflowVersion: '1.0.0', queue: 'weir_default', input: { i } });
    await testRunner(sql).drain();
    await sql.begin((tx) => deliverEvents(tx, [{ id: 'old', source: 's', type: 't', specversion: '1.0' }]));
    const id = await pgmq.send(sql, 'weir_default', { x: 1 });
    await pgmq.archive(sql, 'weir_default', id);
    await sql`UPDATE pgmq.a_weir_default SET archived_at = weir.now()`;
    // 31 days later, one more instance ends and a fresh event arrives.
    await sql`SELECT weir.advance_clock('31 days')`;
    await startInstance(sql, { namespace: 'ret', workflowName: 'quick', workflowVersion: '1.0.0', queue: 'weir_default', input: { i: 99 } });
    await testRunner(sql).drain();
    await sql.begin((tx) => deliverEvents(tx, [{ id: 'new', source: 's', type: 't', specversion: '1.0' }]));

    const first = await purgeExpired(sql, { instanceDays: 30, eventHours: 24, batch: 3 });
    expect(first).toMatchObject({ instances: 3, events: 1, archived: 1 });
    const second = await purgeExpired(sql, { instanceDays: 30, eventHours: 24, batch: 3 });
    expect(second.instances).toBe(2);
    expect((await purgeExpired(sql, { instanceDays: 30, eventHours: 24, batch: 3 })).instances).toBe(0);
    const left = await sql<{ n: number; h: number }>`
      SELECT (SELECT count(*)::int FROM weir.instances) AS n, (SELECT count(*)::int FROM weir.history) AS h`;
    expect(left[0].n).toBe(1);
    expect(left[0].h).toBeGreaterThan(0); // the young instance keeps its history
    const [{ n: orphans }] = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM weir.history h WHERE NOT EXISTS (SELECT 1 FROM weir.instances i WHERE i.id = h.instance_id)`;
    expect(orphans).toBe(0);
    expect((await sql<{ id: string }>`SELECT id FROM weir.events`).map((e) => e.id)).toEqual(['new']);
  } finally {
    await sql`SELECT weir.reset_clock()`;
  }
});
