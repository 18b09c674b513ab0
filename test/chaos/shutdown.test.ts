/**
 * Issue #11 item 7 — graceful shutdown. SIGTERM a replica under load (slow HTTP calls in flight,
 * a batch read but not started): it exits 0 within WEIR_SHUTDOWN_TIMEOUT (+ process teardown),
 * and leaves no message hidden — what it had not started is handed back at once, what still ran at
 * the deadline is released — so with a visibility timeout of 10 minutes, the next replica picks up
 * everything immediately and every instance completes.
 * Short: one replica, 100 instances, one SIGTERM. Long: 3 replicas, 2,000 instances, a random
 * replica SIGTERMed and replaced every 3 s for 60 s.
 */
import { afterAll, expect, test } from 'vitest';
import { useTestDatabase } from '../support/db.ts';
import { Fleet, type Replica } from './support/fleet.ts';
import { long, report, size, sleep, until } from './support/mode.ts';
import { startEffectStub, type EffectStub } from './support/stub.ts';
import { completed, driveClock, effectWorkflow, hiddenMessages, register, startMany, statuses } from './support/workload.ts';

const db = useTestDatabase(5);
const total = size(100, 2000);
const shutdownTimeoutMs = 1500;
/** Exit allowance past the deadline: closing the pool and the process itself. */
const teardownMs = 3000;
let fleet: Fleet | undefined;
let stub: EffectStub | undefined;
afterAll(async () => {
  await fleet?.stopAll();
  await stub?.close();
});

async function terminate(r: Replica): Promise<{ code: number | null; ms: number }> {
  const t0 = Date.now();
  fleet!.kill(r, 'SIGTERM');
  const code = await r.exited;
  return { code, ms: Date.now() - t0 };
}

test(`graceful shutdown: SIGTERM under load exits within WEIR_SHUTDOWN_TIMEOUT and leaves no message to wait out its visibility timeout (${total} instances)`, async () => {
  const sql = db.current.sql;
  // Calls take longer than the shutdown deadline: some are still running when it passes.
  stub = await startEffectStub({ delayMs: size(2500, 800) });
  await register(sql, effectWorkflow(stub.url));
  fleet = new Fleet({
    DATABASE_URL: db.current.url,
    WEIR_HTTP_ALLOW_PRIVATE: 'true',
    WEIR_VISIBILITY_TIMEOUT: '600',
    WEIR_SHUTDOWN_TIMEOUT: String(shutdownTimeoutMs),
    WEIR_POLL_INTERVAL: '20',
    WEIR_POLL_INTERVAL_MAX: '200',
    WEIR_CONCURRENCY: '8',
    WEIR_BATCH_SIZE: '40',
    WEIR_DB_POOL_MAX: '4',
    // "weir started" (info) tells when SIGTERM is handled: before that it kills the process outright.
    WEIR_LOG_LEVEL: 'info',
  });
  await startMany(sql, 'effect', total);
  const clock = driveClock(sql);
  const exits: { code: number | null; ms: number; hiddenAfter?: number }[] = [];
  const t0 = Date.now();
  if (!long) {
    const r = await fleet.spawn('worker');
    await fleet.started(r);
    // Under load: calls in flight (the stub has seen some), the rest of the batch read.
    expect(await until(() => stub!.stub.requests.length >= 4, 60_000, 50)).toBe(true);
    const exit = await terminate(r);
    fleet.replicas.splice(0, 1);
    // Alone on the database: every message it held is visible again right now.
    exits.push({ ...exit, hiddenAfter: await hiddenMessages(sql) });
    stub.setDelay(20);
    await fleet.spawn('worker');
  } else {
    for (let i = 0; i < 3; i++) await fleet.spawn('worker');
    while (Date.now() - t0 < 60_000 && (await completed(sql)) < total) {
      await sleep(3000);
      const i = Math.floor(Math.random() * fleet.replicas.length);
      const [victim] = fleet.replicas.splice(i, 1);
      await fleet.started(victim);
      exits.push(await terminate(victim));
      await fleet.spawn('worker');
    }
  }
  const chaosMs = Date.now() - t0;
  // A message left hidden would hold its instance for 600 s; 120 s is far short of that.
  const done = await until(async () => (await completed(sql)) === total, 120_000, 200);
  const drainMs = Date.now() - t0 - chaosMs;
  clock.stop();
  const byStatus = await statuses(sql);
  const released = fleet.grep(/released in-flight messages at the shutdown deadline/).length;
  report('shutdown', {
    instances: total,
    sigterms: exits.length,
    exitCodes: [...new Set(exits.map((e) => e.code))],
    slowestExitMs: Math.max(...exits.map((e) => e.ms)),
    deadlineMs: shutdownTimeoutMs,
    releasedAtDeadline: released,
    hiddenAfterExit: exits[0].hiddenAfter,
    drainAfterMs: drainMs,
    duplicateEffects: stub.duplicates(),
    statuses: byStatus,
  });
  expect(done, JSON.stringify(byStatus)).toBe(true);
  expect(byStatus).toEqual({ completed: total });
  for (const e of exits) {
    expect(e.code).toBe(0);
    expect(e.ms).toBeLessThan(shutdownTimeoutMs + teardownMs);
  }
  if (!long) {
    expect(exits[0].hiddenAfter).toBe(0);
    expect(released).toBeGreaterThan(0);
  }
  expect(stub.effects.size).toBe(total);
  expect(fleet.crashes).toEqual([]);
}, size(180_000, 400_000));
