/**
 * Issue #11 item 4 — poison. One instance's activation fails every time (a trigger refuses every
 * write of its row except the fault: the checkpoint throws, as a bug or a bad row would). Its
 * message is read WEIR_MAX_DELIVERIES times, then goes to `weir_dead` and the instance is faulted
 * with an error naming the limit — while the good instances around it keep completing, and the
 * failure is logged once per replica, not once per delivery.
 * Short: 2 workers, 200 good instances, 2 poison. Long: 3 workers, 3,000 good, 20 poison.
 */
import { afterAll, expect, test } from 'vitest';
import { startInstance } from '../../src/store/queries/instances.ts';
import { useTestDatabase } from '../support/db.ts';
import { Fleet } from './support/fleet.ts';
import { report, size, until } from './support/mode.ts';
import { NAMESPACE, register, startMany, statuses } from './support/workload.ts';

const db = useTestDatabase(5);
const good = size(200, 3000);
const poisons = size(2, 20);
const workers = size(2, 3);
const maxDeliveries = 3;
let fleet: Fleet | undefined;
afterAll(async () => {
  await fleet?.stopAll();
});

test(`poison: ${poisons} always-crashing instances end in weir_dead after WEIR_MAX_DELIVERIES=${maxDeliveries}; ${good} others complete`, async () => {
  const sql = db.current.sql;
  await register(sql, `
document: { dsl: '1.0.0', namespace: ${NAMESPACE}, name: quick, version: '1.0.0' }
do:
  - one: { set: { n: '\${ $workflow.input.n }' } }
  - two: { set: { n: '\${ $workflow.input.n }', done: true } }
`);
  await register(sql, `
document: { dsl: '1.0.0', namespace: ${NAMESPACE}, name: poison, version: '1.0.0' }
do:
  - one: { set: { never: true } }
`);
  await sql.unsafe(`
    CREATE FUNCTION public.chaos_poison() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'chaos: this activation always crashes'; END $$`);
  await sql.unsafe(`
    CREATE TRIGGER chaos_poison BEFORE UPDATE ON weir.instances FOR EACH ROW
    WHEN (NEW.workflow_name = 'poison' AND NEW.status <> 'faulted') EXECUTE FUNCTION public.chaos_poison()`);
  const ids: string[] = [];
  for (let i = 0; i < poisons; i++) {
    const { instance } = await startInstance(sql, { namespace: NAMESPACE, workflowName: 'poison', workflowVersion: '1.0.0', queue: 'weir_default', input: { i } });
    ids.push(instance.id);
  }
  await startMany(sql, 'quick', good);
  fleet = new Fleet({
    DATABASE_URL: db.current.url,
    WEIR_VISIBILITY_TIMEOUT: '1',
    WEIR_MAX_DELIVERIES: String(maxDeliveries),
    WEIR_POLL_INTERVAL: '20',
    WEIR_POLL_INTERVAL_MAX: '200',
    WEIR_DB_POOL_MAX: '4',
  });
  const t0 = Date.now();
  for (let i = 0; i < workers; i++) await fleet.spawn('worker');
  let goodDoneMs = 0;
  const ended = await until(async () => {
    const s = await statuses(sql);
    if (!goodDoneMs && (s.completed ?? 0) === good) goodDoneMs = Date.now() - t0;
    return (s.completed ?? 0) === good && (s.faulted ?? 0) === poisons;
  }, size(90_000, 300_000), 200);
  const deadMs = Date.now() - t0;
  const byStatus = await statuses(sql);
  const faulted = await sql<{ id: string; error: { detail?: string; title?: string } }>`
    SELECT id, coalesce(error, state->'error') AS error FROM weir.instances WHERE status = 'faulted' ORDER BY id`;
  const dead = await sql<{ message: { queue: string; readCt: number; message: { instance: string } } }>`SELECT message FROM pgmq.q_weir_dead`;
  const errorLines = fleet.grep(/chaos: this activation always crashes/);
  report('poison', { good, poisons, workers, statuses: byStatus, dead: dead.length, goodCompletedMs: goodDoneMs, allSettledMs: deadMs, errorLogLines: errorLines.length, error: faulted[0]?.error?.detail });
  expect(ended, JSON.stringify(byStatus)).toBe(true);
  expect(byStatus).toEqual({ completed: good, faulted: poisons });
  expect(faulted.map((f) => f.id).sort()).toEqual([...ids].sort());
  for (const f of faulted) {
    expect(f.error.title).toBe('Poison message');
    expect(f.error.detail).toContain(`WEIR_MAX_DELIVERIES=${maxDeliveries}`);
    expect(f.error.detail).toContain('weir_dead');
  }
  expect(dead).toHaveLength(poisons);
  for (const d of dead) {
    expect(d.message.queue).toBe('weir_default');
    expect(d.message.readCt).toBe(maxDeliveries + 1);
    expect(ids).toContain(d.message.message.instance);
  }
  // Nothing of the poison is left to be read again.
  const left = await sql<{ n: number }>`SELECT count(*)::int AS n FROM pgmq.q_weir_default`;
  expect(left[0].n).toBe(0);
  // Rate-limited: one line per replica for the repeated failure, not one per delivery.
  expect(errorLines.length).toBeLessThanOrEqual(workers);
}, size(120_000, 400_000));
