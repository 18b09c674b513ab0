/**
 * Issue #11 item 5 — overload. A `weir api` replica with a small pool: the test measures its
 * saturation rate of starts (closed loop), then offers twice that rate open-loop. Every answer is
 * 202, or 429 with `Retry-After` once more than WEIR_OVERLOAD_POOL_WAITING requests wait for a
 * connection or the ready backlog passes WEIR_OVERLOAD_BACKLOG (src/api/overload.ts) — never a 5xx
 * or a dropped connection; the replica's peak RSS stays bounded; afterwards a worker drains the
 * backlog and every accepted instance completes.
 * Short: 2 s measurement, 4 s at 2×. Long: 10 s measurement, 60 s at 2×.
 */
import { afterAll, expect, test } from 'vitest';
import { useTestDatabase } from '../support/db.ts';
import { api, Fleet, type Replica } from './support/fleet.ts';
import { report, size, sleep, until } from './support/mode.ts';
import { NAMESPACE, register, statuses } from './support/workload.ts';

const db = useTestDatabase(5);
const measureMs = size(2000, 10_000);
const overloadMs = size(4000, 60_000);
const poolWaiting = 16;
const backlogBound = size(5000, 50_000);
let fleet: Fleet | undefined;
afterAll(async () => {
  await fleet?.stopAll();
});

type Outcome = { status: number; retryAfter: string | null };

async function startOne(r: Replica, n: number): Promise<Outcome> {
  try {
    const res = await api(r, 'POST', `/v1/workflows/${NAMESPACE}/quick/instances`, { n });
    await res.arrayBuffer();
    return { status: res.status, retryAfter: res.headers.get('retry-after') };
  } catch {
    return { status: 0, retryAfter: null }; // connection refused or reset: as bad as a 5xx
  }
}

test(`overload: 2× the saturation rate of starts answers 202 or 429 with Retry-After, never 5xx; RSS bounded; backlog drains`, async () => {
  const sql = db.current.sql;
  await register(sql, `
document: { dsl: '1.0.0', namespace: ${NAMESPACE}, name: quick, version: '1.0.0' }
do:
  - one: { set: { n: '\${ $workflow.input.n }' } }
`);
  fleet = new Fleet({
    DATABASE_URL: db.current.url,
    WEIR_DB_POOL_MAX: '3',
    WEIR_OVERLOAD_POOL_WAITING: String(poolWaiting),
    WEIR_OVERLOAD_BACKLOG: String(backlogBound),
  });
  const server = await fleet.spawn('api');
  await fleet.ready(server);
  let n = 0;
  const outcomes: Outcome[] = [];
  // 1. Saturation: a closed loop of 32 clients for measureMs; accepted starts per second.
  const m0 = Date.now();
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (Date.now() - m0 < measureMs) outcomes.push(await startOne(server, n++));
    }),
  );
  const saturation = outcomes.filter((o) => o.status === 202).length / (measureMs / 1000);
  // 2. Twice that, open loop: requests leave on schedule whether or not earlier ones were answered.
  const rate = 2 * saturation;
  const inflight = new Set<Promise<void>>();
  let peakInflight = 0;
  const o0 = Date.now();
  let sent = 0;
  while (Date.now() - o0 < overloadMs) {
    const due = Math.floor(((Date.now() - o0) / 1000) * rate);
    for (; sent < due; sent++) {
      const p: Promise<void> = startOne(server, n++).then((o) => {
        outcomes.push(o);
        inflight.delete(p);
      });
      inflight.add(p);
    }
    peakInflight = Math.max(peakInflight, inflight.size);
    await sleep(5);
  }
  await Promise.all(inflight);
  const overloadRss = fleet.peakRssKb();
  // 3. A worker drains the backlog; every accepted start completes.
  await fleet.spawn('worker');
  const accepted = outcomes.filter((o) => o.status === 202).length;
  const drained = await until(async () => ((await statuses(sql)).completed ?? 0) === accepted, size(120_000, 600_000), 250);
  const byStatus = await statuses(sql);
  const byCode: Record<string, number> = {};
  for (const o of outcomes) byCode[o.status] = (byCode[o.status] ?? 0) + 1;
  const refused = outcomes.filter((o) => o.status === 429);
  report('overload', {
    saturationPerSec: Math.round(saturation),
    offeredPerSec: Math.round(rate),
    offeredMs: overloadMs,
    sent: outcomes.length,
    byStatus: byCode,
    peakClientInflight: peakInflight,
    peakRssMb: Math.round(overloadRss / 1024),
    accepted,
    instances: byStatus,
    shedLogLines: fleet.grep(/overloaded: refusing starts/).length,
  });
  expect(Object.keys(byCode).filter((c) => c !== '202' && c !== '429')).toEqual([]);
  for (const o of refused) expect(Number(o.retryAfter)).toBeGreaterThan(0);
  // Offered twice what it can take, the replica sheds instead of queueing without bound.
  expect(refused.length).toBeGreaterThan(0);
  expect(overloadRss).toBeLessThan(512 * 1024);
  expect(drained, JSON.stringify(byStatus)).toBe(true);
  expect(byStatus).toEqual({ completed: accepted });
  expect(fleet.crashes).toEqual([]);
}, size(180_000, 600_000));
