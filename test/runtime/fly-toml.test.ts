/**
 * fly.toml, parsed (smol-toml): the process groups run the weir CLI's `api` and `worker`, the web
 * group is health-checked on /health/ready, the kill signal and timeout cover the drain deadline,
 * migrations are the release command, and the pool/budget variables add up for the machine count
 * docs/DEPLOY.md plans for.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DockerfileParser } from 'dockerfile-ast';
import { parse } from 'smol-toml';
import { describe, expect, test } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { repo } from './_support.ts';

type Toml = Record<string, unknown>;
const fly = parse(readFileSync(join(repo, 'fly.toml'), 'utf8')) as Toml;
const env = fly.env as Record<string, string>;
const seconds = (v: unknown) => (typeof v === 'number' ? v : Number(/^(\d+)s$/.exec(String(v))?.[1]));

/** docs/DEPLOY.md's plan: 2 web + 2 worker machines on a Fly Postgres with max_connections = 100. */
const plan = { machines: 4, maxConnections: 100, superuserReserved: 3 };

describe('fly.toml', () => {
  test('web runs `weir api`, worker runs `weir worker`, on the image whose entrypoint is the weir CLI', () => {
    expect(fly.processes).toEqual({ web: 'api', worker: 'worker' });
    const dockerfile = DockerfileParser.parse(readFileSync(join(repo, 'Dockerfile'), 'utf8'));
    const entrypoint = dockerfile.getInstructions().filter((i) => i.getKeyword() === 'ENTRYPOINT').at(-1)!;
    expect(JSON.parse(entrypoint.getArgumentsContent()!)).toEqual(['node', 'dist/src/cli/main.js']);
    expect((fly.build as Toml).dockerfile).toBe('Dockerfile');
  });

  test('the web group serves HTTP on PORT and is health-checked on /health/ready', () => {
    const http = fly.http_service as Toml;
    expect(http.processes).toEqual(['web']);
    expect(String(http.internal_port)).toBe(env.PORT);
    const checks = http.checks as Toml[];
    expect(checks.length).toBeGreaterThan(0);
    for (const c of checks) {
      expect(c.path).toBe('/health/ready');
      expect(c.method).toBe('GET');
    }
  });

  test('kill_signal SIGTERM, kill_timeout above the drain deadline (WEIR_SHUTDOWN_TIMEOUT)', () => {
    expect(fly.kill_signal).toBe('SIGTERM');
    const drainSeconds = Number(env.WEIR_SHUTDOWN_TIMEOUT) / 1000;
    expect(drainSeconds).toBe(loadConfig({}).runner.shutdownTimeoutMs / 1000); // the documented default, 25 s
    const kill = seconds(fly.kill_timeout);
    expect(kill).toBeGreaterThan(drainSeconds);
    expect(kill).toBeLessThanOrEqual(drainSeconds + 10);
  });

  test('migrations are the release command', () => {
    expect((fly.deploy as Toml).release_command).toBe('migrate');
  });

  test('the environment is a valid Weir configuration', () => {
    expect(() => loadConfig({ ...env, DATABASE_URL: 'postgres://weir@weir-db.flycast:5432/weir' })).not.toThrow();
  });

  test('pool arithmetic: N machines × WEIR_DB_POOL_MAX fit the budget after the reserve, and the budget fits max_connections', () => {
    const config = loadConfig({ ...env, DATABASE_URL: 'postgres://weir@weir-db.flycast:5432/weir' });
    const budget = config.pool.budget!;
    expect(budget).toBeLessThanOrEqual(plan.maxConnections - plan.superuserReserved);
    const perMachine = Math.floor((budget - config.pool.reserve) / plan.machines);
    expect(config.pool.max).toBeLessThanOrEqual(perMachine);
    expect(config.pool.min).toBeLessThanOrEqual(config.pool.max);
    // The reserve covers what is outside the pools: a LISTEN session per worker machine and the release command.
    expect(config.pool.reserve).toBeGreaterThanOrEqual(plan.machines / 2 + 1);
    const deploy = readFileSync(join(repo, 'docs/DEPLOY.md'), 'utf8');
    expect(deploy).toContain(`(${budget} − ${config.pool.reserve}) / ${plan.machines}`);
  });
});
