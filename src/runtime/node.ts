/**
 * Node entry: the shared start-up (src/runtime/start.ts) with @hono/node-server serving HTTP, and
 * SIGTERM/SIGINT wired to the graceful drain.
 */
import { serve } from '@hono/node-server';
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import { startProcess, type Listen, type Role, type StartedProcess } from './start.ts';

export interface NodeProcessOptions {
  config: Config;
  /** `api`: HTTP only; `worker`: loops only; `serve`: both. */
  role: Role;
  log?: Logger;
}

export type RunningProcess = StartedProcess;

const nodeListen: Listen = (fetch, { port, hostname }) =>
  new Promise((resolve) => {
    const server = serve({ fetch, port, hostname }, (info) =>
      resolve({
        port: info.port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            (server as { closeIdleConnections?: () => void }).closeIdleConnections?.();
          }),
      }),
    );
  });

export function startNodeProcess(options: NodeProcessOptions): Promise<RunningProcess> {
  return startProcess({
    config: options.config,
    env: process.env,
    role: options.role,
    listen: nodeListen,
    runtime: { name: 'weir', version: '0.1.0' },
    ...(options.log ? { log: options.log } : {}),
  });
}

export { exitOnSignals } from './signals.ts';
