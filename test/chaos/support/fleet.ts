/**
 * Replica process control: real `weir serve` / `weir worker` processes (`node --import tsx
 * src/cli/main.ts <role>`, one OS process each so `kill -9` kills the replica itself), each `serve`
 * on its own port. Keeps every output line (to count log lines and look for errors such as "too many
 * connections"), restarts a killed replica with the same settings, and reads peak RSS (VmHWM).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { freePort } from '../../support/pg-cluster.ts';
import { sleep, until } from './mode.ts';

const repo = new URL('../../../', import.meta.url).pathname;

/** Bootstrap admin key every replica accepts (auth is on with DATABASE_URL). */
export const ADMIN_KEY = 'chaos-admin-key-0123456789abcdef';

export type Role = 'serve' | 'api' | 'worker';

export interface Replica {
  role: Role;
  env: Record<string, string>;
  port?: number;
  url?: string;
  child: ChildProcess;
  pid: number;
  /** Every output line, stdout and stderr. */
  lines: string[];
  exited: Promise<number | null>;
  /** Peak RSS in kB (VmHWM), sampled while it ran and read at exit. */
  peakRssKb: number;
  /** Set before the test kills or stops it: any other exit is a crash. */
  expectedExit: boolean;
}

/** A replica that exited without being told to (and, supervised, was started again). */
export interface Crash {
  pid: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  tail: string[];
}

export class Fleet {
  readonly replicas: Replica[] = [];
  /** Every replica ever started, dead ones too (their output is kept for the checks). */
  readonly all: Replica[] = [];
  /** Unexpected exits, in order. */
  readonly crashes: Crash[] = [];
  readonly #base: Record<string, string>;
  readonly #supervise: boolean;
  #stopping = false;
  #sampler: ReturnType<typeof setInterval> | undefined;

  /**
   * `supervise`: a replica that exits on its own is recorded in `crashes` and started again in its
   * place (what an orchestrator does), so a scenario can go on and still count the crash.
   */
  constructor(base: Record<string, string>, options: { supervise?: boolean } = {}) {
    this.#supervise = options.supervise ?? false;
    this.#base = { WEIR_LOG_LEVEL: 'warn', WEIR_ADMIN_KEY: ADMIN_KEY, WEIR_RATE_LIMIT: '0', WEIR_HOST: '127.0.0.1', ...base };
    this.#sampler = setInterval(() => this.#sample(), 250);
    this.#sampler.unref();
  }

  async spawn(role: Role, env: Record<string, string> = {}, port?: number): Promise<Replica> {
    const p = role !== 'worker' ? (port ?? (await freePort())) : undefined;
    const full = { ...this.#base, ...env, ...(p ? { PORT: String(p) } : {}) };
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', role], {
      cwd: repo,
      env: { ...process.env, ...full },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: string[] = [];
    let partial = { out: '', err: '' };
    const keep = (which: 'out' | 'err') => (b: Buffer) => {
      const text = partial[which] + b.toString();
      const parts = text.split('\n');
      partial[which] = parts.pop() ?? '';
      for (const l of parts) if (l) lines.push(l);
      if (lines.length > 50_000) lines.splice(0, lines.length - 50_000);
    };
    child.stdout?.on('data', keep('out'));
    child.stderr?.on('data', keep('err'));
    const r: Replica = {
      role,
      env: full,
      ...(p ? { port: p, url: `http://127.0.0.1:${p}` } : {}),
      child,
      pid: child.pid ?? -1,
      lines,
      exited: new Promise((resolve) =>
        child.once('exit', (code) => {
          for (const l of [partial.out, partial.err]) if (l) lines.push(l);
          partial = { out: '', err: '' };
          resolve(code);
        }),
      ),
      peakRssKb: 0,
      expectedExit: false,
    };
    void r.exited.then((code) => {
      if (r.expectedExit || this.#stopping) return;
      this.crashes.push({ pid: r.pid, code, signal: child.signalCode, tail: lines.slice(-12) });
      if (!this.#supervise) return;
      setTimeout(() => {
        if (this.#stopping) return;
        const i = this.replicas.indexOf(r);
        void this.spawn(r.role, r.env, r.port).then((next) => {
          this.replicas.pop();
          if (i >= 0) this.replicas.splice(i, 1, next);
          else this.replicas.push(next);
        });
      }, 300);
    });
    this.replicas.push(r);
    this.all.push(r);
    return r;
  }

  /** Waits for `/health/ready` (serve, api) to answer 200. */
  async ready(r: Replica, ms = 60_000): Promise<void> {
    if (!r.url) throw new Error('only serve replicas have /health/ready');
    const ok = await until(async () => (await fetch(`${r.url}/health/ready`)).status === 200, ms, 100);
    if (!ok) throw new Error(`replica ${r.pid} not ready in ${ms} ms:\n${r.lines.slice(-20).join('\n')}`);
  }

  /** Waits for the "weir started" log line (needs WEIR_LOG_LEVEL=info): signal handlers are installed. */
  async started(r: Replica, ms = 60_000): Promise<void> {
    const ok = await until(() => r.lines.some((l) => l.includes('"msg":"weir started"')), ms, 50);
    if (!ok) throw new Error(`replica ${r.pid} did not start in ${ms} ms:\n${r.lines.slice(-20).join('\n')}`);
  }

  /** `kill -9` replica i and start a replacement with the same settings (and port). */
  async crash(i: number): Promise<Replica> {
    const old = this.replicas[i];
    old.expectedExit = true;
    old.child.kill('SIGKILL');
    await old.exited;
    this.replicas.splice(i, 1);
    const next = await this.spawn(old.role, old.env, old.port);
    // keep the index stable for callers that address replicas by position
    this.replicas.splice(i, 0, this.replicas.pop()!);
    return next;
  }

  /** Signals replica `r` as the test's own doing (not a crash). */
  kill(r: Replica, signal: NodeJS.Signals): void {
    r.expectedExit = true;
    r.child.kill(signal);
  }

  async stopAll(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    this.#stopping = true;
    if (this.#sampler) clearInterval(this.#sampler);
    this.#sampler = undefined;
    for (const r of this.all) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill(signal);
    await Promise.race([Promise.all(this.all.map((r) => r.exited)), sleep(15_000)]);
  }

  /** Highest VmHWM (kB) of any replica so far. */
  peakRssKb(): number {
    this.#sample();
    return Math.max(0, ...this.all.map((r) => r.peakRssKb));
  }

  /** Output lines of every replica (dead ones too) matching `re`. */
  grep(re: RegExp): string[] {
    return this.all.flatMap((r) => r.lines.filter((l) => re.test(l)));
  }

  #sample(): void {
    for (const r of this.all) {
      if (r.child.exitCode !== null || r.child.signalCode !== null) continue;
      const kb = vmHwmKb(r.pid);
      if (kb > r.peakRssKb) r.peakRssKb = kb;
    }
  }
}

export function vmHwmKb(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** JSON request to a replica with the admin key. */
export async function api(r: Replica, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${r.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

/** A gauge from a replica's /metrics (first sample), or undefined. */
export async function gauge(r: Replica, name: string): Promise<number | undefined> {
  const res = await api(r, 'GET', '/metrics');
  const text = await res.text();
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}
