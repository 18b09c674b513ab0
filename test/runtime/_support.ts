/**
 * Shared by the runtime suites: the Deno and Bun binaries from their npm platform packages (found
 * directly, so they work whether or not npm ran the packages' install scripts), a spawned Weir
 * process with bounded readiness polling, and the smoke scenario every runtime must pass over real
 * HTTP: register a workflow with an HTTP call and a wait, start it, move the DB clock, read it done.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { expect } from 'vitest';
import type { Sql } from '../../src/store/sql.ts';

export const repo = new URL('../../', import.meta.url).pathname;

function firstRunnable(candidates: string[]): string {
  for (const c of candidates) {
    const path = c.startsWith('/') ? c : `${repo}${c}`;
    if (existsSync(path) && spawnSync(path, ['--version'], { timeout: 20_000 }).status === 0) return path;
  }
  throw new Error(`none of these runs: ${candidates.join(', ')} — run npm ci (the deno and bun devDependencies ship the binaries)`);
}

let deno: string | undefined;
let bun: string | undefined;
/**
 * The Deno binary from @deno/linux-x64-glibc, a direct devDependency: the `deno` wrapper package lists
 * every platform's package as optional, and the registry here has only this one, so its lock entry
 * would be incomplete and `npm ci` would refuse the lock file.
 */
export const denoBinary = () => (deno ??= firstRunnable(['node_modules/@deno/linux-x64-glibc/deno']));
/**
 * The Bun binary: @oven/bun-linux-x64 ships `bin/bun`; bun's install script moves it over the
 * placeholder `bun/bin/bun.exe`. Either place, whichever holds a runnable binary.
 */
export const bunBinary = () => (bun ??= firstRunnable(['node_modules/@oven/bun-linux-x64/bin/bun', 'node_modules/bun/bin/bun.exe']));

export interface Spawned {
  child: ChildProcess;
  output: string[];
  exited: Promise<number | null>;
  /** SIGTERM, then wait (bounded) for the exit code. */
  stop(timeoutMs?: number): Promise<number | null>;
}

export function spawnProcess(command: string, args: string[], options: { cwd?: string; env: Record<string, string> }): Spawned {
  const child = spawn(command, args, { cwd: options.cwd ?? repo, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  const keep = (b: Buffer) => {
    output.push(b.toString());
    if (output.length > 300) output.shift();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const stop = async (timeoutMs = 15_000) => {
    if (child.exitCode !== null) return child.exitCode;
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const code = await exited;
    clearTimeout(t);
    return code;
  };
  return { child, output, exited, stop };
}

/** Polls `url` (bounded) until it answers 200; returns the elapsed milliseconds. */
export async function waitForOk(url: string, p: Spawned, timeoutMs = 60_000): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < timeoutMs) {
    if (p.child.exitCode !== null) throw new Error(`process exited with ${p.child.exitCode}:\n${p.output.join('')}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (res.ok) return performance.now() - started;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`${url} not ready within ${timeoutMs} ms:\n${p.output.join('')}`);
}

export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** A clean environment for a child: PATH and HOME only, plus what the test sets. */
export function cleanEnv(extra: Record<string, string>): Record<string, string> {
  return { PATH: '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', WEIR_LOG_LEVEL: 'warn', ...extra };
}

export const smokeWorkflow = (stubUrl: string, name = 'call-and-wait') => `document:
  dsl: 1.0.0
  namespace: smoke
  name: ${name}
  version: 1.0.0
do:
  - fetch:
      call: http
      with:
        method: get
        endpoint: ${stubUrl}/greeting
  - pause:
      wait: PT30M
  - finish:
      set:
        greeting: \${ .message }
        woke: true
`;

export interface Api {
  base: string;
  headers: Record<string, string>;
}

async function call(api: Api, method: string, path: string, body?: string, contentType = 'application/json') {
  const res = await fetch(`${api.base}${path}`, {
    method,
    headers: { ...api.headers, ...(body === undefined ? {} : { 'content-type': contentType }) },
    ...(body === undefined ? {} : { body }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

export async function registerAndStart(api: Api, yaml: string, name = 'call-and-wait'): Promise<string> {
  const reg = await call(api, 'POST', '/v1/workflows', yaml, 'application/yaml');
  expect([200, 201]).toContain(reg.status);
  const started = await call(api, 'POST', `/v1/workflows/smoke/${name}/instances`, '{}');
  expect(started.status, JSON.stringify(started.body)).toBe(202);
  return started.body.id as string;
}

export async function getInstance(api: Api, id: string): Promise<Record<string, unknown>> {
  const r = await call(api, 'GET', `/v1/instances/${id}`);
  expect(r.status).toBe(200);
  return r.body;
}

/** Polls the instance (bounded) until its status is one of `statuses`. */
export async function waitForStatus(api: Api, id: string, statuses: string[], timeoutMs = 30_000): Promise<Record<string, unknown>> {
  const started = performance.now();
  let last: Record<string, unknown> = {};
  while (performance.now() - started < timeoutMs) {
    last = await getInstance(api, id);
    if (statuses.includes(last.status as string)) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`instance ${id} still ${String(last.status)} after ${timeoutMs} ms: ${JSON.stringify(last)}`);
}

/**
 * The smoke scenario: HTTP call to the stub, then a 30-minute wait that only the DB clock moves past.
 * `advance` moves the clock (SQL on the test database, or a route for the embedded one).
 */
export async function runSmoke(api: Api, stubUrl: string, advance: () => Promise<void>): Promise<string> {
  const id = await registerAndStart(api, smokeWorkflow(stubUrl));
  const parked = await waitForStatus(api, id, ['waiting', 'faulted']);
  expect(parked.status, JSON.stringify(parked)).toBe('waiting');
  await advance();
  const done = await waitForStatus(api, id, ['completed', 'faulted']);
  expect(done.status, JSON.stringify(done)).toBe('completed');
  expect(done.output).toMatchObject({ greeting: 'hello from the stub', woke: true });
  return id;
}

export const advanceSql = (sql: Sql) => async () => {
  await sql`SELECT weir.advance_clock('1 hour')`;
};
