/**
 * Cancel, suspend and resume on real Postgres: idempotent, safe against activations, cascading
 * to children and timers.
 */
import { describe, expect, test } from 'vitest';
import { cancelInstance, resumeInstance, suspendInstance } from '../../../src/runner/control.ts';
import { registerWorkflow } from '../../../src/runner/index.ts';
import { getHistory, getInstance, startInstance } from '../../../src/store/queries/instances.ts';
import { useTestDatabase } from '../../support/db.ts';
import { testRunner } from '../../support/runner.ts';
import { startStub } from '../../support/stub-server.ts';

const db = useTestDatabase();

async function start(name: string, input: unknown = {}) {
  const { instance } = await startInstance(db.current.sql, { namespace: 'ctl', workflowName: name, workflowVersion: '1.0.0', queue: 'weir_default', input });
  return instance.id;
}
const count = async (q: string) => (await db.current.sql.unsafe<{ n: number }>(q))[0].n;

describe('control', () => {
  test('cancel a parent with 3 running children and a pending timer: all end cancelled, no timer fires', async () => {
    await registerWorkflow(db.current.sql, `
document: { dsl: '1.0.0', namespace: ctl, name: sleeper, version: '1.0.0' }
do:
  - nap: { wait: P1D }
`);
    await registerWorkflow(db.current.sql, `
document: { dsl: '1.0.0', namespace: ctl, name: boss, version: '1.0.0' }
do:
  - kids:
      fork:
        branches:
          - a: { run: { workflow: { namespace: ctl, name: sleeper, version: '1.0.0' } } }
          - b: { run: { workflow: { namespace: ctl, name: sleeper, version: '1.0.0' } } }
          - c: { run: { workflow: { namespace: ctl, name: sleeper, version: '1.0.0' } } }
          - t: { wait: PT2H }
`);
    const runner = testRunner(db.current.sql);
    const id = await start('boss');
    await runner.drain();
    expect((await getInstance(db.current.sql, id))?.status).toBe('waiting');
    expect(await count(`SELECT count(*)::int AS n FROM weir.instances WHERE parent_id = '${id}' AND status = 'waiting'`)).toBe(3);
    expect(await count(`SELECT count(*)::int AS n FROM weir.timers`)).toBe(4); // 3 children's naps + the parent's wait
    const first = await cancelInstance(db.current.sql, id);
    expect(first.status).toBe('waiting'); // the cancel travels as a message
    await cancelInstance(db.current.sql, id); // idempotent: a second request changes nothing
    await runner.drain();
    expect((await getInstance(db.current.sql, id))?.status).toBe('cancelled');
    const kids = await db.current.sql<{ status: string }>`SELECT status FROM weir.instances WHERE parent_id = ${id}::uuid`;
    expect(kids.map((k) => k.status)).toEqual(['cancelled', 'cancelled', 'cancelled']);
    expect(await count(`SELECT count(*)::int AS n FROM weir.timers`)).toBe(0);
    try {
      await db.current.sql`SELECT weir.advance_clock('2 days')`;
      const r = await runner.drain();
      expect(r.timersFired).toBe(0);
    } finally {
      await db.current.sql`SELECT weir.reset_clock()`;
    }
    expect((await getHistory(db.current.sql, id)).some((h) => h.kind === 'workflowCancelled')).toBe(true);
  });

  test('cancel before the first activation ends the instance at once; its start message is then stale', async () => {
    const id = await start('sleeper');
    const c = await cancelInstance(db.current.sql, id, 'changed my mind');
    expect(c.status).toBe('cancelled');
    const r = await testRunner(db.current.sql).drain();
    expect(r.stale).toBe(1);
    expect((await getInstance(db.current.sql, id))?.status).toBe('cancelled');
  });

  test('suspend parks messages (nothing consumed, nothing retried toward weir_dead); resume delivers them', async () => {
    await registerWorkflow(db.current.sql, `
document: { dsl: '1.0.0', namespace: ctl, name: two-step, version: '1.0.0' }
do:
  - pause: { wait: PT1M }
  - done: { set: { ok: true } }
`);
    const runner = testRunner(db.current.sql);
    const id = await start('two-step');
    try {
      await runner.drain();
      expect((await suspendInstance(db.current.sql, id)).status).toBe('suspended');
      expect((await suspendInstance(db.current.sql, id)).status).toBe('suspended'); // idempotent
      await db.current.sql`SELECT weir.advance_clock('5 minutes')`;
      const r = await runner.drain();
      expect(r.timersFired).toBe(1);
      expect((await getInstance(db.current.sql, id))?.status).toBe('suspended');
      expect(await count(`SELECT count(*)::int AS n FROM weir.timers WHERE id LIKE 'parked:%' AND due_at = 'infinity'`)).toBe(1);
      expect(await count(`SELECT count(*)::int AS n FROM pgmq.q_weir_default`)).toBe(0);
      const resumed = await resumeInstance(db.current.sql, id);
      expect(resumed.status).toBe('waiting');
      await resumeInstance(db.current.sql, id); // idempotent
      await runner.drain();
      expect(await getInstance(db.current.sql, id)).toMatchObject({ status: 'completed', output: { ok: true } });
      const kinds = (await getHistory(db.current.sql, id)).map((h) => h.kind);
      expect(kinds).toContain('workflowSuspended');
      expect(kinds).toContain('workflowResumed');
    } finally {
      await db.current.sql`SELECT weir.reset_clock()`;
    }
  });

  test('a suspension set while an activation runs survives its checkpoint', async () => {
    const stub = await startStub(() => ({ delayMs: 300, body: { ok: true } }));
    try {
      await registerWorkflow(db.current.sql, `
document: { dsl: '1.0.0', namespace: ctl, name: slow-then-wait, version: '1.0.0' }
do:
  - call: { call: http, with: { method: get, endpoint: '${stub.url}/slow' } }
  - pause: { wait: PT1M }
`);
      const id = await start('slow-then-wait');
      const draining = testRunner(db.current.sql).drain();
      for (let i = 0; i < 200 && stub.requests.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
      expect(stub.requests.length).toBe(1);
      await suspendInstance(db.current.sql, id); // while the call is in flight
      await draining;
      const row = await getInstance(db.current.sql, id);
      expect(row?.status).toBe('suspended');
      expect(row?.version).toBeGreaterThanOrEqual(1); // the activation's checkpoint did commit
      expect(await count(`SELECT count(*)::int AS n FROM weir.timers WHERE instance_id = '${id}' AND id NOT LIKE 'parked:%'`)).toBe(1);
      expect((await resumeInstance(db.current.sql, id)).status).toBe('waiting');
    } finally {
      await stub.close();
    }
  });

  test('ended instances cannot be suspended or resumed; unknown ids are 404', async () => {
    const id = await start('sleeper');
    await cancelInstance(db.current.sql, id);
    await expect(suspendInstance(db.current.sql, id)).rejects.toThrow(/has ended \(cancelled\)/);
    await expect(resumeInstance(db.current.sql, id)).rejects.toThrow(/has ended/);
    await expect(cancelInstance(db.current.sql, '01930000-0000-7000-8000-000000000000')).rejects.toThrow(/does not exist/);
  });
});
