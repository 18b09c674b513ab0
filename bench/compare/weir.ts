/**
 * Weir: the real runner in real `weir worker` processes (src/cli/main.ts, compiled: buildWorker),
 * one or more per run.
 * Units are workflow instances started in bulk the way bench/runner.ts does (instance rows and
 * their `start` messages in one statement each). Workflows: `set1` (one `set` task — a unit
 * comparable to a job), `pure3` (three pure tasks), `http3` (three `call: http` to the local stub)
 * and `step20` (20 tasks, 5 of them `call: http`).
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.ts';
import { migrate } from '../../src/store/migrate.ts';
import { openPostgres } from '../../src/store/postgres-js.ts';
import { pgmq } from '../../src/store/queries/pgmq.ts';
import { registerWorkflow } from '../../src/runner/index.ts';
import { connect } from './pg.ts';
import { freePort } from '../../test/support/pg-cluster.ts';
import { spawnNode } from './proc.ts';
import type { LatencyCase, Single, Template, ThroughputCase, Workers } from './system.ts';

export type WeirWorkflow = 'set1' | 'pure3' | 'http3' | 'step20';

export const steps: Record<WeirWorkflow, number> = { set1: 1, pure3: 3, http3: 3, step20: 20 };

function documents(stub: string): Record<WeirWorkflow, string> {
  const head = (name: string) => `document: { dsl: '1.0.0', namespace: bench, name: ${name}, version: '1.0.0' }\ndo:\n`;
  const step20 = Array.from({ length: 20 }, (_, i) =>
    (i + 1) % 4 === 0
      ? `  - t${i + 1}: { call: http, with: { method: get, endpoint: '${stub}/${i + 1}' } }`
      : `  - t${i + 1}: { set: { v: ${i + 1} } }`,
  ).join('\n');
  return {
    set1: `${head('set1')}  - a: { set: { x: '\${ .n + 1 }' } }\n`,
    pure3: `${head('pure3')}  - a: { set: { x: '\${ .n + 1 }' } }
  - b: { switch: [ { big: { when: '\${ .x > 10 }', then: c } }, { small: { then: c } } ] }
  - c: { set: { y: '\${ .x * 2 }' } }\n`,
    http3: `${head('http3')}  - one: { call: http, with: { method: get, endpoint: '${stub}/1' } }
  - two: { call: http, with: { method: get, endpoint: '${stub}/2' } }
  - three: { call: http, with: { method: get, endpoint: '${stub}/3' } }\n`,
    step20: `${head('step20')}${step20}\n`,
  };
}

export function weirTemplate(stub: string): Template {
  return {
    name: 'weir',
    async prepare(url) {
      const h = openPostgres({ url, max: 1, prepare: false, applicationName: 'cmp-setup' });
      try {
        await migrate(h.sql);
        for (const text of Object.values(documents(stub))) await registerWorkflow(h.sql, text);
      } finally {
        await h.close();
      }
    },
  };
}

/** Instances and their start messages, one statement; no NOTIFY (no worker runs yet). */
async function bulkStart(url: string, workflow: WeirWorkflow, count: number): Promise<void> {
  const sql = connect(url, 1, 'cmp-enqueue');
  try {
    for (let i = 0; i < count; i += 5000) {
      const n = Math.min(5000, count - i);
      await sql`
        WITH ins AS (
          INSERT INTO weir.instances (id, namespace, workflow_name, workflow_version, status, input, queue)
          SELECT gen_random_uuid(), 'bench', ${workflow}, '1.0.0', 'pending', jsonb_build_object('n', g), 'weir_default'
          FROM generate_series(${i + 1}::int, ${i + n}::int) g RETURNING id)
        SELECT pgmq.send_batch('weir_default', ARRAY(SELECT jsonb_build_object('instance', id, 'kind', 'start', 'target', id) FROM ins))`;
    }
  } finally {
    await sql.end();
  }
}

export interface WeirWorkerOptions {
  processes?: number;
  /** Another Weir checkout whose `weir worker` runs instead of this one's (`--baseline`). */
  repo?: string;
  env?: Record<string, string>;
  /** Extra node flags (e.g. --cpu-prof). */
  nodeArgs?: string[];
}

const here = new URL('../../', import.meta.url).pathname;

/**
 * Compiles a checkout's worker (`tsc -p tsconfig.build.json` into its dist/), as `npm start` and
 * the image run it: the workers measured run compiled JavaScript, as the peers' do. Through tsx
 * the same worker was ~6% slower (set1 tuned, alternating, same server: 5,779–5,871 vs
 * 6,147–6,318/s): its transform keeps function names with a `__name` call per closure made.
 */
export function buildWorker(repo = here): void {
  execFileSync(process.execPath, [join(repo, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: repo, stdio: 'pipe' });
}

export function startWeirWorkers(url: string, o: WeirWorkerOptions = {}): Workers {
  const n = o.processes ?? 1;
  const procs = Array.from({ length: n }, () =>
    spawnNode(['dist/src/cli/main.js', 'worker'], { DATABASE_URL: url, WEIR_LOG_LEVEL: 'error', WEIR_HTTP_ALLOW_PRIVATE: 'true', ...o.env }, o.nodeArgs, o.repo),
  );
  return {
    ready: Promise.resolve(),
    replicas: n,
    stop: async () => void (await Promise.all(procs.map((p) => p.stop()))),
  };
}

/**
 * Finished = enqueued − start messages left: a unit's message is deleted in its final checkpoint's
 * transaction. Counting instances by status instead scans every wide instance row (state, input,
 * output) — 11 ms per sample at 20,000 rows, a fifth of a core taken from the system measured.
 */
const progress = (count: number) => `
  SELECT (${count} - (SELECT count(*) FROM pgmq.q_weir_default))::int AS done, 0 AS failed,
         (SELECT count(*) FROM weir.replicas)::int AS ready`;

const final = () => `
  SELECT count(*) FILTER (WHERE status = 'completed')::int AS done,
         count(*) FILTER (WHERE status IN ('faulted', 'cancelled'))::int AS failed
  FROM weir.instances`;

export function describeEnv(env: Record<string, string> = {}): string {
  const shown = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  const d = loadConfig({}).runner;
  return shown.length ? shown.join(' ') : `defaults (WEIR_BATCH_SIZE ${d.batchSize}, WEIR_CONCURRENCY ${d.concurrency}, WEIR_POLL_INTERVAL ${d.pollIntervalMs})`;
}

export function weirThroughput(id: string, workflow: WeirWorkflow, o: WeirWorkerOptions & { unit?: string } = {}): ThroughputCase {
  const processes = o.processes ?? 1;
  return {
    id,
    system: 'Weir',
    settings: `${processes} × weir worker${o.repo ? ` of ${o.repo}` : ''}, ${describeEnv(o.env)}`,
    unit: o.unit ?? `workflow ${workflow}`,
    template: 'weir',
    steps: steps[workflow],
    enqueue: (url, count) => bulkStart(url, workflow, count),
    start: async (url) => startWeirWorkers(url, o),
    progress,
    final,
  };
}

async function weirSingle(url: string, wake: boolean, repo?: string): Promise<Single> {
  // The store's own start (and its driver settings) from the checkout measured: a baseline row
  // enqueues with the baseline's code.
  const store = repo ? new URL(`file://${repo.replace(/\/?$/, '/')}src/store/`) : new URL('../../src/store/', import.meta.url);
  const { openPostgres: open } = (await import(new URL('postgres-js.ts', store).href)) as typeof import('../../src/store/postgres-js.ts');
  const { startInstance: start } = (await import(new URL('queries/instances.ts', store).href)) as typeof import('../../src/store/queries/instances.ts');
  const { pgmq: queue } = (await import(new URL('queries/pgmq.ts', store).href)) as typeof import('../../src/store/queries/pgmq.ts');
  const h = open({ url, max: 1, prepare: true, applicationName: 'cmp-enqueue' });
  const sql = h.sql;
  // Completion is observed the way every peer's is: one postgres.js connection of the harness.
  const obs = connect(url, 1, 'cmp-observer');
  const request = { namespace: 'bench', workflowName: 'set1', workflowVersion: '1.0.0', queue: 'weir_default' };
  return {
    async enqueue(i) {
      // With wake-up: the store's own start (row + message + NOTIFY, one transaction).
      if (wake) return (await start(sql, { ...request, input: { n: i } })).instance.id;
      // Without: the same row and message, no NOTIFY — the worker finds it by polling.
      return sql.begin(async (tx) => {
        const [r] = await tx<{ id: string }>`
          INSERT INTO weir.instances (id, namespace, workflow_name, workflow_version, status, input, queue)
          VALUES (gen_random_uuid(), 'bench', 'set1', '1.0.0', 'pending', jsonb_build_object('n', ${i}::int), 'weir_default') RETURNING id`;
        await queue.send(tx, 'weir_default', { instance: r.id, kind: 'start', target: r.id });
        return r.id;
      });
    },
    done: async (id) => (await obs`SELECT status AS s FROM weir.instances WHERE id = ${id}::uuid`)[0]?.s === 'completed',
    close: async () => {
      await h.close();
      await obs.end();
    },
  };
}

/**
 * `env` set: a diagnostic row — the same wake-up with another worker setting (WEIR_POLL_INTERVAL=1
 * shows what a wake-up lost while a sweep runs costs: the loop then sleeps only 1 ms after work).
 */
export function weirLatency(wake: boolean, env?: Record<string, string>, repo?: string): LatencyCase {
  const id = wake ? (env ? `weir-notify (${describeEnv(env)})` : 'weir-notify') : 'weir-poll';
  const worker = `1 × weir worker${repo ? ` of ${repo}` : ''}`;
  return {
    id: repo ? `${id} (baseline)` : id,
    system: 'Weir',
    settings: wake
      ? `${worker}, ${env ? describeEnv(env) : 'defaults'}; start = startInstance (NOTIFY weir_wake at commit)`
      : `${worker}, defaults; start without NOTIFY: found by polling (WEIR_POLL_INTERVAL 50, idle back-off to 2000)`,
    template: 'weir',
    start: async (url) => startWeirWorkers(url, { ...(env ? { env } : {}), ...(repo ? { repo } : {}) }),
    open: async (url) => weirSingle(url, wake, repo),
  };
}

const API_KEY = 'bench-compare-admin-key-0123456789';

/**
 * The start users make: `POST /v1/workflows/bench/set1/instances` to a real `weir serve` (API and
 * runner in one process, defaults, the bootstrap admin key) on a free loopback port, from the
 * harness's fetch; completion observed in SQL like every other case. Against `weir-notify`, it shows
 * what the HTTP request path (middleware, auth, rate limit, validation) adds to a start.
 */
export function weirApiLatency(repo?: string): LatencyCase {
  let api = '';
  return {
    id: repo ? 'weir-api (baseline)' : 'weir-api',
    system: 'Weir',
    settings: `1 × weir serve${repo ? ` of ${repo}` : ''}, defaults; start = POST /v1/workflows/{ns}/{name}/instances (admin key)`,
    template: 'weir',
    async start(url) {
      const port = await freePort();
      api = `http://127.0.0.1:${port}`;
      const proc = spawnNode(['dist/src/cli/main.js', 'serve'], {
        DATABASE_URL: url, PORT: String(port), WEIR_HOST: '127.0.0.1', WEIR_ADMIN_KEY: API_KEY, WEIR_LOG_LEVEL: 'error',
      }, [], repo);
      return { ready: Promise.resolve(), replicas: 1, stop: () => proc.stop() };
    },
    async open(url) {
      // The replica row appears before the HTTP server listens: wait for the API itself.
      for (let i = 0; i < 300 && !(await fetch(`${api}/health/ready`).then((r) => r.ok, () => false)); i++) await new Promise((r) => setTimeout(r, 50));
      const obs = connect(url, 1, 'cmp-observer');
      const headers = { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' };
      return {
        async enqueue(i) {
          const r = await fetch(`${api}/v1/workflows/bench/set1/instances?version=1.0.0`, { method: 'POST', headers, body: JSON.stringify({ n: i }) });
          if (r.status !== 202 && r.status !== 201 && r.status !== 200) throw new Error(`start answered ${r.status}: ${await r.text()}`);
          return ((await r.json()) as { id: string }).id;
        },
        done: async (id) => (await obs`SELECT status AS s FROM weir.instances WHERE id = ${id}::uuid`)[0]?.s === 'completed',
        close: async () => void (await obs.end()),
      };
    },
  };
}

/** Raw PGMQ send→read→delete round trips on Weir's SQL, `clients` at a time: the floor under Weir. */
export async function rawRoundTrip(url: string, clients = 8, seconds = 3): Promise<number> {
  const h = openPostgres({ url, max: clients, prepare: true, applicationName: 'cmp-raw' });
  try {
    await pgmq.create(h.sql, 'bench_raw');
    const end = performance.now() + seconds * 1000;
    const t0 = performance.now();
    const counts = await Promise.all(
      Array.from({ length: clients }, async () => {
        let n = 0;
        while (performance.now() < end) {
          await pgmq.send(h.sql, 'bench_raw', { n });
          const [m] = await pgmq.read(h.sql, 'bench_raw', 30, 1);
          if (m) await pgmq.delete(h.sql, 'bench_raw', m.msgId);
          n++;
        }
        return n;
      }),
    );
    return (counts.reduce((a, b) => a + b, 0) * 1000) / (performance.now() - t0);
  } finally {
    await h.close();
  }
}
