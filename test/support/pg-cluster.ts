/**
 * Real Postgres for tests and benchmarks, in this order of preference:
 * 1. `DATABASE_URL` when set (used as an admin connection: tests create databases in it);
 * 2. testcontainers, when a container engine answers on its socket (the docker CLI alone is not enough);
 * 3. a throwaway cluster from the local `initdb`/`pg_ctl` (PATH, then /usr/lib/postgresql/<v>/bin),
 *    run as an unprivileged OS user when we are root, on a free port, removed afterwards.
 * Chaos tests that restart Postgres or change `max_connections` call `startLocalCluster` directly.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

export interface PgServer {
  /** Admin URL (database `postgres`). */
  url: string;
  kind: 'env' | 'container' | 'local';
  stop(): Promise<void>;
}

export interface LocalCluster extends PgServer {
  port: number;
  dataDir: string;
  restart(mode?: 'fast' | 'immediate'): Promise<void>;
  /** Runs `pg_ctl stop`; `start()` brings it back on the same port. */
  stopServer(mode?: 'fast' | 'immediate'): Promise<void>;
  start(): Promise<void>;
}

export async function provisionPostgres(): Promise<PgServer> {
  if (process.env.DATABASE_URL) {
    return { url: process.env.DATABASE_URL, kind: 'env', stop: async () => {} };
  }
  if (await containerEngineAnswers()) return startContainer();
  if (findPgBin()) return startLocalCluster();
  throw new Error(
    'No Postgres for the tests. Do one of: set DATABASE_URL to a server where the user may CREATE DATABASE; ' +
      'start a container engine (Docker/Podman) for testcontainers; or install PostgreSQL so initdb/pg_ctl ' +
      'are on PATH or under /usr/lib/postgresql/<version>/bin (e.g. `apt-get install -y postgresql`).',
  );
}

async function containerEngineAnswers(): Promise<boolean> {
  const host = process.env.DOCKER_HOST;
  const socketPath = host?.startsWith('unix://') ? host.slice(7) : host ? undefined : '/var/run/docker.sock';
  if (!socketPath || !existsSync(socketPath)) return false;
  return new Promise((resolve) => {
    const req = request({ socketPath, path: '/_ping', timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
    req.end();
  });
}

async function startContainer(): Promise<PgServer> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const container = await new GenericContainer('postgres:15-alpine')
    .withEnvironment({ POSTGRES_PASSWORD: 'weir', POSTGRES_USER: 'postgres' })
    .withCommand(['postgres', '-c', 'fsync=off', '-c', 'max_connections=300'])
    .withExposedPorts(5432)
    .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/, 2))
    .start();
  const url = `postgres://postgres:weir@${container.getHost()}:${container.getMappedPort(5432)}/postgres`;
  return { url, kind: 'container', stop: async () => void (await container.stop()) };
}

export function findPgBin(): string | undefined {
  const onPath = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' }).stdout.trim();
  if (onPath) {
    const real = spawnSync('readlink', ['-f', onPath], { encoding: 'utf8' }).stdout.trim() || onPath;
    const dir = real.slice(0, real.lastIndexOf('/'));
    if (existsSync(join(dir, 'pg_ctl'))) return dir;
  }
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base)
    .filter((v) => existsSync(join(base, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(base, versions[0], 'bin') : undefined;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Postgres refuses to run as root: run its binaries as `postgres` (or `nobody`) when we are root. */
function asUser(): string | undefined {
  if (userInfo().uid !== 0) return undefined;
  for (const user of ['postgres', 'nobody']) {
    if (spawnSync('id', ['-u', user]).status === 0) return user;
  }
  throw new Error('running as root and neither a `postgres` nor a `nobody` user exists to run Postgres as');
}

export interface LocalClusterOptions {
  maxConnections?: number;
  /** Extra `-c name=value` settings. */
  settings?: Record<string, string | number>;
}

export async function startLocalCluster(options: LocalClusterOptions = {}): Promise<LocalCluster> {
  const bin = findPgBin();
  if (!bin) throw new Error('initdb/pg_ctl not found (install PostgreSQL: apt-get install -y postgresql)');
  const user = asUser();
  const dir = mkdtempSync(join(tmpdir(), 'weir-pg-'));
  chmodSync(dir, 0o777);
  const dataDir = join(dir, 'data');
  const run = (cmd: string, args: string[]) => {
    const full = user ? ['runuser', ['-u', user, '--', join(bin, cmd), ...args]] : [join(bin, cmd), args];
    return execFileSync(full[0] as string, full[1] as string[], { stdio: 'pipe', encoding: 'utf8' });
  };
  run('initdb', ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
  const port = await freePort();
  const settings: Record<string, string | number> = {
    port,
    listen_addresses: '127.0.0.1',
    unix_socket_directories: dir,
    fsync: 'off',
    synchronous_commit: 'off',
    full_page_writes: 'off',
    max_connections: options.maxConnections ?? 300,
    ...options.settings,
  };
  const opts = Object.entries(settings)
    .map(([k, v]) => `-c ${k}=${v}`)
    .join(' ');
  const log = join(dir, 'postgres.log');
  const start = async () => {
    run('pg_ctl', ['-D', dataDir, '-o', opts, '-l', log, '-w', '-t', '60', 'start']);
  };
  const stopServer = async (mode: 'fast' | 'immediate' = 'fast') => {
    run('pg_ctl', ['-D', dataDir, '-m', mode, '-w', 'stop']);
  };
  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    kind: 'local',
    port,
    dataDir,
    start,
    stopServer,
    restart: async (mode = 'fast') => {
      await stopServer(mode);
      await start();
    },
    stop: async () => {
      try {
        await stopServer('immediate');
      } catch {
        // already stopped
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Replaces the database name in a Postgres URL. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}
