/**
 * Node entry: opens the store (taking the PGlite data-directory lock when embedded), migrates,
 * serves the Hono app with @hono/node-server, and drains on SIGTERM/SIGINT within
 * WEIR_SHUTDOWN_TIMEOUT.
 */
import { serve, type ServerType } from '@hono/node-server';
import { createApp } from '../api/app.ts';
import type { Config } from '../config.ts';
import { Lifecycle } from '../lifecycle.ts';
import { createLogger, type Logger } from '../log.ts';
import { Runner } from '../runner/index.ts';
import { SecretsProvider, secretsFromEnv } from '../runner/secrets.ts';
import { SecretBox } from '../crypto.ts';
import { openStore, type Store } from '../store/open.ts';
import { uuidv7 } from '../store/uuid.ts';
import { acquireDataDirLock, type DataDirLock } from './data-dir-lock.ts';

export interface NodeProcessOptions {
  config: Config;
  /** `api`: HTTP only; `worker`: loops only; `serve`: both. */
  role: 'serve' | 'api' | 'worker';
  log?: Logger;
}

export interface RunningProcess {
  url?: string;
  store: Store;
  runner?: Runner;
  lifecycle: Lifecycle;
  stop(reason?: string): Promise<void>;
}

export async function startNodeProcess(options: NodeProcessOptions): Promise<RunningProcess> {
  const { config, role } = options;
  const log = options.log ?? createLogger(config.logLevel, { role });
  const lifecycle = new Lifecycle();
  lifecycle.to('starting');
  let lock: DataDirLock | undefined;
  if (config.database.kind === 'pglite') lock = acquireDataDirLock(config.database.dataDir);
  let store: Store;
  try {
    store = await openStore(config.database, {
      poolMax: config.pool.max,
      applicationName: `weir-${role}`,
      guard: { replicaId: uuidv7(), roles: role, pool: config.pool, heartbeatMs: config.pool.heartbeatMs, log: log.child({ component: 'budget' }) },
    });
    const report = await store.migrate();
    if (report.applied.length) log.info('migrations applied', { applied: report.applied });
    const budget = await store.startBudget().catch(async (error: unknown) => {
      await store.close();
      throw error;
    });
    if (budget) log.info('connection budget', { ...budget });
  } catch (error) {
    lock?.release();
    throw error;
  }
  let server: ServerType | undefined;
  let url: string | undefined;
  if (role !== 'worker') {
    const app = createApp({ config, store, lifecycle, log });
    await new Promise<void>((resolve) => {
      server = serve({ fetch: app.fetch, port: config.http.port, hostname: config.http.host }, (info) => {
        url = `http://${config.http.host.includes(':') ? `[${config.http.host}]` : config.http.host}:${info.port}`;
        resolve();
      });
    });
  }
  let runner: Runner | undefined;
  let unlisten: (() => Promise<void>) | undefined;
  if (role !== 'api') {
    runner = new Runner({
      sql: store.sql,
      log: log.child({ component: 'runner' }),
      runner: config.runner,
      http: { allowPrivate: config.effects.allowPrivate, allowHosts: [...config.effects.allowHosts], timeoutMs: config.effects.httpTimeoutMs },
      runtime: { name: 'weir', version: '0.1.0' },
      ...(config.callbackSecret ? { callbackSecret: config.callbackSecret } : {}),
      secrets: new SecretsProvider(store.sql, {
        env: secretsFromEnv(process.env),
        ...(config.api.encryptionKey ? { box: new SecretBox(config.api.encryptionKey) } : {}),
      }),
    });
    // Loops stop reading when draining begins (lifecycle.signal aborts).
    runner.start(lifecycle.signal);
    const served = new Set(config.runner.queues);
    const r = runner;
    unlisten = await store
      .listen((queue) => {
        if (served.has('*') || served.has(queue)) r.wake();
      })
      .catch((error: Error) => {
        log.warn('LISTEN unavailable: polling only', { error });
        return undefined;
      });
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
      const deadline = new Promise<void>((resolve) => setTimeout(resolve, config.runner.shutdownTimeoutMs).unref());
      const closeServer = new Promise<void>((resolve) => {
        if (!server) return resolve();
        server.close(() => resolve());
        (server as { closeIdleConnections?: () => void }).closeIdleConnections?.();
      });
      // In-flight activations finish (their checkpoints commit) or, past the deadline, are left to
      // their visibility timeout; nothing is lost either way (the message stays until checkpointed).
      const released = runner?.stop(Math.max(0, config.runner.shutdownTimeoutMs - 500)).then((n) => {
        if (n) log.warn('released in-flight messages at the shutdown deadline', { released: n });
      });
      await Promise.race([Promise.all([closeServer, released]), deadline]);
      await unlisten?.().catch(() => {});
      await store.close();
      lock?.release();
      lifecycle.to('stopped');
      log.info('stopped');
    })());
  return { url, store, runner, lifecycle, stop };
}

/** Wires SIGTERM/SIGINT to a graceful stop, then exits. */
export function exitOnSignals(proc: RunningProcess): void {
  const onSignal = (signal: NodeJS.Signals) => {
    proc.stop(signal).then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}
