/**
 * The start-up sequence every long-running entry point shares (Deno, Bun, the single binary):
 * data-directory lock (PGlite) → open the store → migrate → connection budget → serve the Hono app
 * → runner loops with LISTEN wake-up → graceful drain within WEIR_SHUTDOWN_TIMEOUT. Only how HTTP is
 * served differs per runtime, so that is the one port (`Listen`); node.ts, deno.ts and bun.ts are
 * adapters over it.
 */
import { createApp } from '../api/app.ts';
import type { Config, Env } from '../config.ts';
import { WeirError } from '../errors.ts';
import { Lifecycle } from '../lifecycle.ts';
import { createLogger, type Logger } from '../log.ts';
import type { Runner } from '../runner/index.ts';
import { createRunner } from './create-runner.ts';
import { openStore, type Store } from '../store/open.ts';
import type { PgliteExtraOptions } from '../store/pglite.ts';
import { uuidv7 } from '../store/uuid.ts';
import { acquireDataDirLock, type DataDirLock } from './data-dir-lock.ts';
import { retryTransient } from '../store/transient.ts';

/**
 * LISTEN for wake-ups, the first try awaited. While it cannot be set up (the database dropping
 * connections at start-up) the runner polls, and LISTEN is tried again with back-off (1 s
 * doubling to 60 s) until it works or the process stops. Once set up, postgres.js re-listens by
 * itself after a reconnect.
 */
export async function listenWithRetry(listen: () => Promise<() => Promise<void>>, log: Logger, firstDelayMs = 1_000): Promise<() => Promise<void>> {
  let stopped = false;
  let active: (() => Promise<void>) | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const attempt = (delayMs: number, failures: number) =>
    listen().then(
      async (unlisten) => {
        if (stopped) return void (await unlisten().catch(() => {}));
        active = unlisten;
        if (failures) log.info('LISTEN set up: wake-ups resume', { failures });
      },
      (error: Error) => {
        if (stopped) return;
        // The first failure is worth a warning; the retries after it are not (they are bounded anyway).
        if (failures === 0) log.warn('LISTEN unavailable: polling until it can be set up', { error });
        timer = setTimeout(() => attempt(Math.min(delayMs * 2, 60_000), failures + 1), delayMs);
        (timer as { unref?: () => void }).unref?.();
      },
    );
  // The first try is awaited (wake-ups work from the first request on, as before); retries are not.
  await attempt(firstDelayMs, 0);
  return async () => {
    stopped = true;
    clearTimeout(timer);
    await active?.();
  };
}

/** One warning per start-up retry: the back-off (up to 5 s) bounds them. */
function startupRetryLog(log: Logger) {
  return (error: unknown, attempt: number, delayMs: number) =>
    log.warn('database not reachable at start-up; retrying', { attempt, retryInMs: delayMs, error: error as Error });
}

export type Role = 'serve' | 'api' | 'worker';

/** Serves `fetch` on host:port; resolves once listening with the bound port and a close(). */
export type Listen = (
  fetch: (request: Request) => Response | Promise<Response>,
  options: { port: number; hostname: string },
) => Promise<{ port: number; close(): Promise<void> }>;

export interface StartOptions {
  config: Config;
  /** The environment the config was loaded from (workflow secrets: WEIR_SECRET_<name>). */
  env: Env;
  role: Role;
  listen: Listen;
  log?: Logger;
  /** Runtime name and version reported to workflows (`$runtime`). */
  runtime?: { name: string; version: string };
  /**
   * Called with the data directory before PGlite opens it: the single binary uses it to lay down
   * its pre-migrated template on a first start.
   */
  prepareDataDir?: (dataDir: string) => Promise<void>;
  /** Extra PGlite options (the single binary's embedded WASM and file bundle). */
  pglite?: () => Promise<PgliteExtraOptions>;
}

export interface StartedProcess {
  url?: string;
  store: Store;
  runner?: Runner;
  lifecycle: Lifecycle;
  stop(reason?: string): Promise<void>;
}

export async function startProcess(options: StartOptions): Promise<StartedProcess> {
  const { config, role } = options;
  const log = options.log ?? createLogger(config.logLevel, { role });
  const lifecycle = new Lifecycle();
  lifecycle.to('starting');
  let lock: DataDirLock | undefined;
  if (config.database.kind === 'pglite') {
    lock = acquireDataDirLock(config.database.dataDir);
    await options.prepareDataDir?.(config.database.dataDir);
  }
  let store: Store | undefined;
  const replicaId = uuidv7();
  try {
    const opened = await openStore(config.database, {
      poolMax: config.pool.max,
      ...(options.pglite ? { pglite: options.pglite } : {}),
      applicationName: `weir-${role}`,
      guard: { replicaId, roles: role, pool: config.pool, heartbeatMs: config.pool.heartbeatMs, log: log.child({ component: 'budget' }) },
    });
    store = opened;
    // A database that is away for a moment (restarting, refusing, dropping connections) is waited
    // for, with back-off, up to WEIR_STARTUP_TIMEOUT: exiting would only have the orchestrator
    // start us again, later and noisier. Both steps are safe to repeat.
    const retrying = { deadlineMs: config.runner.startupTimeoutMs, onRetry: startupRetryLog(log) };
    const report = await retryTransient(() => opened.migrate(), retrying);
    if (report.applied.length) log.info('migrations applied', { applied: report.applied });
    const budget = await retryTransient(() => opened.startBudget(), retrying);
    if (budget) log.info('connection budget', { ...budget });
  } catch (error) {
    // Nothing may keep the process alive after a failed start (an open pool would).
    await store?.close().catch(() => {});
    lock?.release();
    throw error;
  }
  // Every role but `api` runs the loops; the drain route uses the same runner.
  const runner = role !== 'api' ? createRunner(config, store, log, options.env, options.runtime, replicaId) : undefined;
  let server: { port: number; close(): Promise<void> } | undefined;
  let url: string | undefined;
  if (role !== 'worker') {
    const app = createApp({ config, store, lifecycle, log, ...(runner ? { drain: (o) => runner.drain(o) } : {}) });
    server = await options.listen((request) => app.fetch(request), { port: config.http.port, hostname: config.http.host });
    url = `http://${config.http.host.includes(':') ? `[${config.http.host}]` : config.http.host}:${server.port}`;
  }
  let unlisten: (() => Promise<void>) | undefined;
  if (runner) {
    runner.start(lifecycle.signal);
    unlisten = await listenWithRetry(
      () =>
        store.listen((wake) => {
          // A start's wake-up may run its first activation right here (WEIR_EAGER_START, idle only).
          if (runner.serves(wake.queue) && !(wake.start && runner.offer(wake.start))) runner.wake();
        }),
      log,
    );
  }
  lifecycle.to('running');
  log.info('weir started', {
    url,
    database: config.database.kind === 'pglite' ? `embedded (PGlite) in ${config.database.dataDir}` : 'postgres',
  });

  let stopping: Promise<void> | undefined;
  const stop = (reason = 'stop requested') =>
    (stopping ??= (async () => {
      log.info('draining', { reason, deadlineMs: config.runner.shutdownTimeoutMs });
      lifecycle.to('draining');
      let timer: ReturnType<typeof setTimeout> | undefined;
      const deadline = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, config.runner.shutdownTimeoutMs);
      });
      const released = runner?.stop(Math.max(0, config.runner.shutdownTimeoutMs - 500)).then((n) => {
        if (n) log.warn('released in-flight messages at the shutdown deadline', { released: n });
      });
      await Promise.race([Promise.all([server?.close(), released]), deadline]);
      clearTimeout(timer);
      await unlisten?.().catch(() => {});
      await store.close();
      lock?.release();
      lifecycle.to('stopped');
      log.info('stopped');
    })());
  return { url, store, runner, lifecycle, stop };
}

/** `weir <command>` for the Deno and Bun entry points: the long-running subset of src/cli/main.ts. */
export const commands = ['serve', 'api', 'worker', 'dev', 'migrate'] as const;
export type Command = (typeof commands)[number];

/** CLI flags and the environment variables they set: one config schema validates both. */
export const flagToEnv: Readonly<Record<string, string>> = {
  '--port': 'PORT',
  '--host': 'WEIR_HOST',
  '--data-dir': 'WEIR_DATA_DIR',
  '--database-url': 'DATABASE_URL',
};

/** Maps `--port 9000` / `--port=9000` onto the environment names; other arguments are returned as `rest`. */
export function parseFlags(args: readonly string[], env: Env): { env: Record<string, string | undefined>; rest: string[] } {
  const out: Record<string, string | undefined> = { ...env };
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i].split('=', 2) as [string, string | undefined];
    const name = flagToEnv[flag];
    if (!name) {
      rest.push(args[i]);
      continue;
    }
    const value = inline ?? args[++i];
    if (value === undefined) throw new WeirError('config_invalid', `${flag} needs a value`);
    out[name] = value;
  }
  return { env: out, rest };
}

export function envWithFlags(args: readonly string[], env: Env): Record<string, string | undefined> {
  return parseFlags(args, env).env;
}

export function roleOf(command: Command): Role {
  return command === 'api' ? 'api' : command === 'worker' ? 'worker' : 'serve';
}
