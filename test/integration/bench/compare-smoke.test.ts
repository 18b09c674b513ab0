/**
 * `npm run bench -- compare` end to end at tiny counts, on the tests' Postgres (DATABASE_URL: the
 * harness creates and drops its own databases there): every latency case — the peers, Weir's
 * wake-up with and without eager starts, Weir through its HTTP API, Weir by polling — builds,
 * starts its workers, completes every unit and lands in the JSON. Figures are not asserted
 * (performance lives in the benchmark, never in a test); that the command works is.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, inject, test } from 'vitest';

const repo = new URL('../../../', import.meta.url).pathname;

test('bench compare --only latency runs end to end: every case completes every unit', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'weir-bench-smoke-'));
  const out = join(dir, 'result.json');
  try {
    const args = ['--import', 'tsx', 'bench/run.ts', 'compare', '--only', 'latency', '--latency-samples', '2', '--latency-rounds', '1', '--latency-warmup', '1', '--out', out, '--quiet'];
    const { stdout } = await promisify(execFile)(process.execPath, args, {
      cwd: repo,
      env: { ...process.env, DATABASE_URL: inject('pgAdminUrl') },
      timeout: 150_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    expect(stdout).toContain('## Latency');
    const result = JSON.parse(readFileSync(out, 'utf8')) as { latency: { id: string; failures: number; p50: number }[] };
    expect(result.latency.map((l) => l.id)).toEqual([
      'pgboss-notify',
      'graphile-notify',
      'weir-notify',
      'weir-notify (WEIR_EAGER_START=false)',
      'weir-api',
      'weir-poll',
    ]);
    for (const l of result.latency) {
      expect(l.failures, l.id).toBe(0);
      expect(l.p50, l.id).toBeGreaterThan(0);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 180_000);
