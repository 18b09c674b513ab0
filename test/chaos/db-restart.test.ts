/**
 * Issue #11 item 2 — database restart. On a cluster of its own (restarting a shared server would
 * break every other test), two `weir serve` replicas run instances of the wait/retry/http workflow;
 * Postgres is stopped with `pg_ctl -m fast` mid-run and started again. While it is down
 * `/health/ready` answers 503 on every replica; once it is back they turn 200 again by themselves
 * (postgres.js reconnects on the next statement; the runner backs off after an error, never a hot
 * loop), and every instance completes. The repeated error is logged a bounded number of times.
 *
 * Known driver bug: postgres.js 3.4.9 can throw an uncatchable TypeError from a setImmediate
 * (`connection.js` nextWrite, `socket.write` on a socket `closed()` already nulled —
 * porsager/postgres#1154, #1208) when the server goes away mid-write, which kills the replica. Until
 * Weir guards against it, the fleet is supervised (a crashed replica is started again, as an
 * orchestrator would) and crashes are counted and reported; flip DRIVER_CRASH_FIXED to require 0.
 * Short: 200 instances, one restart. Long: 5,000 instances, a restart every 10 s, six times.
 */
import { afterAll, expect, test } from 'vitest';
import { ownDatabase, retrying, type OwnDatabase } from './support/cluster.ts';
import { Fleet, type Replica } from './support/fleet.ts';
import { report, size, sleep, until } from './support/mode.ts';
import { startEffectStub, type EffectStub } from './support/stub.ts';
import { completed, driveClock, effectWorkflow, register, startMany, statuses } from './support/workload.ts';

/** Set to true once postgres.js's nextWrite crash is guarded: then no replica may exit. */
const DRIVER_CRASH_FIXED = true;
const total = size(200, 5000);
const restarts = size(1, 6);
const downMs = size(1000, 3000);
let own: OwnDatabase | undefined;
let fleet: Fleet | undefined;
let stub: EffectStub | undefined;
afterAll(async () => {
  await fleet?.stopAll();
  await stub?.close();
  await own?.stop();
});

/** The readiness status, or 0 when the process does not answer at all (it died: that is a failure). */
const ready = async (r: Replica) => fetch(`${r.url}/health/ready`).then((res) => res.status, () => 0);

test(`database restart: ${restarts} × pg_ctl stop -m fast / start mid-run; /health/ready goes 503 then 200; all ${total} instances complete`, async () => {
  own = await ownDatabase();
  const sql = own.sql;
  stub = await startEffectStub({ failFirst: (n) => n % 5 === 0, delayMs: 10 });
  await register(sql, effectWorkflow(stub.url));
  fleet = new Fleet({
    DATABASE_URL: own.url,
    WEIR_HTTP_ALLOW_PRIVATE: 'true',
    WEIR_VISIBILITY_TIMEOUT: '2',
    WEIR_POLL_INTERVAL: '20',
    WEIR_POLL_INTERVAL_MAX: '500',
    WEIR_DB_POOL_MAX: '5',
    WEIR_HEARTBEAT_INTERVAL: '1000',
  }, { supervise: true });
  for (let i = 0; i < 2; i++) await fleet.spawn('serve');
  await Promise.all(fleet.replicas.map((r) => fleet!.ready(r)));
  await startMany(sql, 'effect', total);
  const clock = driveClock(sql);
  const recoveries: number[] = [];
  const red: number[][] = [];
  for (let k = 0; k < restarts; k++) {
    // Mid-run: some instances done, most not.
    await until(async () => (await completed(sql)) >= ((k + 1) * total) / (restarts + 2), 120_000, 50);
    await own.cluster.stopServer('fast');
    const whileDown = await Promise.all(fleet.replicas.map(ready));
    red.push(whileDown);
    await sleep(downMs);
    await own.cluster.start();
    const t = Date.now();
    const green = await until(async () => (await Promise.all(fleet!.replicas.map(ready))).every((s) => s === 200), 90_000, 50);
    expect(green, 'replicas ready again after the restart').toBe(true);
    recoveries.push(Date.now() - t);
  }
  const t1 = Date.now();
  const done = await until(async () => (await retrying(() => completed(sql))) === total, size(120_000, 600_000), 250);
  const drainMs = Date.now() - t1;
  clock.stop();
  const byStatus = await retrying(() => statuses(sql));
  const errorLines = fleet.grep(/"level":"(error|warn)"/);
  report('db-restart', {
    instances: total,
    restarts,
    downMs,
    readyWhileDown: red,
    readyAgainMs: recoveries,
    drainAfterLastRestartMs: drainMs,
    duplicateEffects: stub.duplicates(),
    warnErrorLogLines: errorLines.length,
    replicaCrashes: fleet.crashes.length,
    crashCauses: [...new Set(fleet.crashes.map((c) => c.tail.find((l) => /Error/.test(l) && !l.startsWith('{')) ?? `exit ${c.code}`))],
    statuses: byStatus,
  });
  expect(done, JSON.stringify(byStatus)).toBe(true);
  expect(byStatus).toEqual({ completed: total });
  // Red while the database is away: 503 (or no answer at all from a replica that crashed).
  for (const codes of red) for (const c of codes) expect([503, 0]).toContain(c);
  if (DRIVER_CRASH_FIXED) expect(fleet.crashes).toEqual([]);
  else expect(red.flat().filter((c) => c === 503).length).toBeGreaterThan(0);
  expect(stub.effects.size).toBe(total);
  // Bounded logs: a handful of lines per replica per restart, not one per failed statement.
  expect(errorLines.length).toBeLessThanOrEqual(fleet.replicas.length * restarts * 20);
}, size(180_000, 900_000));
