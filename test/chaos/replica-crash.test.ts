/**
 * Issue #11 item 1 — replica crash. Three `weir serve` processes run instances of a workflow with a
 * durable `wait`, a retried `call: http` (the stub refuses every third instance's first attempt)
 * and a `set`; a random replica is killed with SIGKILL at a fixed period and restarted on its port.
 * Every instance completes (0 lost); each instance's effect happens at least once, and duplicate
 * effects (at-least-once HTTP: a call whose result died with its replica is made again with the
 * same Idempotency-Key) stay within one per instance per crash and within the calls a crashed
 * replica could have had in flight.
 * Short: 150 instances, 3 crashes 1 s apart. Long (WEIR_CHAOS=long): 5,000 instances, a crash
 * every 3 s for 60 s.
 */
import { afterAll, expect, test } from 'vitest';
import { useTestDatabase } from '../support/db.ts';
import { Fleet } from './support/fleet.ts';
import { report, size, sleep, until } from './support/mode.ts';
import { startEffectStub, type EffectStub } from './support/stub.ts';
import { completed, driveClock, effectWorkflow, register, startMany, statuses } from './support/workload.ts';

const db = useTestDatabase(5);
const total = size(150, 5000);
const crashes = size(3, 20);
const crashEveryMs = size(1000, 3000);
const concurrency = 16;
let fleet: Fleet | undefined;
let stub: EffectStub | undefined;
afterAll(async () => {
  await fleet?.stopAll();
  await stub?.close();
});

test(`replica crash: ${total} instances, kill -9 a random replica ${crashes}× every ${crashEveryMs} ms — all complete, 0 lost, duplicates bounded`, async () => {
  const sql = db.current.sql;
  stub = await startEffectStub({ failFirst: (n) => n % 3 === 0, delayMs: 20 });
  await register(sql, effectWorkflow(stub.url));
  fleet = new Fleet({
    DATABASE_URL: db.current.url,
    WEIR_HTTP_ALLOW_PRIVATE: 'true',
    WEIR_VISIBILITY_TIMEOUT: '2',
    WEIR_POLL_INTERVAL: '20',
    WEIR_POLL_INTERVAL_MAX: '200',
    WEIR_CONCURRENCY: String(concurrency),
    WEIR_DB_POOL_MAX: '5',
    WEIR_SHUTDOWN_TIMEOUT: '2000',
  });
  for (let i = 0; i < 3; i++) await fleet.spawn('serve');
  await Promise.all(fleet.replicas.map((r) => fleet!.ready(r)));
  await startMany(sql, 'effect', total);
  const clock = driveClock(sql);
  const t0 = Date.now();
  let kills = 0;
  const recoveries: number[] = [];
  for (; kills < crashes; kills++) {
    await sleep(crashEveryMs);
    const victim = Math.floor(Math.random() * fleet.replicas.length);
    const at = Date.now();
    const next = await fleet.crash(victim);
    await fleet.ready(next);
    recoveries.push(Date.now() - at);
  }
  const chaosMs = Date.now() - t0;
  const done = await until(async () => (await completed(sql)) === total, size(120_000, 600_000), 250);
  const drainMs = Date.now() - t0 - chaosMs;
  clock.stop();
  const byStatus = await statuses(sql);
  const lost = total - (byStatus.completed ?? 0);
  const duplicates = stub.duplicates();
  const keyDuplicates = [...stub.byKey.values()].reduce((a, k) => a + Math.max(0, k - 1), 0);
  const worst = Math.max(0, ...stub.effects.values());
  // Instances with 2xx answers under two Idempotency-Keys. Seen only on instances whose first
  // attempt the stub refuses: a re-made attempt-1 call (same key, concurrent re-delivery) got 2xx
  // from this stub, which — unlike an idempotent downstream — does not replay its stored 503 for a
  // repeated key, while the first activation had already committed the 503 and scheduled attempt 2.
  // A stub artifact, reported rather than asserted; duplicateKeys counts calls re-made.
  const multiKey = [...stub.keysByN.entries()].filter(([, keys]) => new Set(keys).size > 1);
  report('replica-crash', {
    instances: total,
    crashes: kills,
    completed: byStatus.completed ?? 0,
    lost,
    duplicateEffects: duplicates,
    duplicateKeys: keyDuplicates,
    worstPerInstance: worst,
    effectsUnderSeveralKeys: multiKey.length,
    severalKeysSample: multiKey.slice(0, 2).map(([n, keys]) => ({ n, keys })),
    retried: stub.refused,
    peakRssMb: Math.round(fleet.peakRssKb() / 1024),
    replicaRestartMs: Math.max(...recoveries),
    chaosMs,
    drainAfterChaosMs: drainMs,
    statuses: byStatus,
  });
  expect(done, JSON.stringify(byStatus)).toBe(true);
  expect(byStatus).toEqual({ completed: total });
  expect(lost).toBe(0);
  expect(kills).toBe(crashes);
  // Every instance's effect happened (none skipped), and duplicates are bounded by the crashes.
  expect(stub.effects.size).toBe(total);
  expect(worst).toBeLessThanOrEqual(1 + kills);
  expect(duplicates).toBeLessThanOrEqual(kills * concurrency);
  expect(fleet.crashes).toEqual([]); // only the kills we made

}, size(240_000, 900_000));
