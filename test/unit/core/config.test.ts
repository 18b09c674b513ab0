import { describe, expect, test } from 'vitest';
import { loadConfig } from '../../../src/config.ts';
import { WeirError } from '../../../src/errors.ts';

describe('config', () => {
  test('defaults: embedded database on loopback, documented runner knobs', () => {
    const c = loadConfig({});
    expect(c.database).toEqual({ kind: 'pglite', dataDir: './.weir/data' });
    expect(c.http).toEqual({ port: 8080, host: '127.0.0.1' });
    expect(c.runner).toMatchObject({ batchSize: 100, visibilityTimeoutSeconds: 30, queues: ['weir_default'], maxDeliveries: 5 });
    expect(Object.isFrozen(c) && Object.isFrozen(c.runner)).toBe(true);
  });

  test('DATABASE_URL selects Postgres, binds all interfaces, and the direct URL defaults to it', () => {
    const c = loadConfig({ DATABASE_URL: 'postgres://u:p@db:5432/weir', WEIR_DB_PREPARE: 'false', WEIR_QUEUES: 'a, b_2' });
    expect(c.database).toEqual({ kind: 'postgres', url: 'postgres://u:p@db:5432/weir', directUrl: 'postgres://u:p@db:5432/weir', prepare: false });
    expect(c.http.host).toBe('0.0.0.0');
    expect(c.runner.queues).toEqual(['a', 'b_2']);
  });

  test('a bad value fails with a message naming the variable and the rule', () => {
    const attempt = () => loadConfig({ WEIR_BATCH_SIZE: 'lots', PORT: '70000', DATABASE_URL: 'mysql://x' });
    expect(attempt).toThrow(WeirError);
    try {
      attempt();
    } catch (e) {
      const err = e as WeirError;
      expect(err.code).toBe('config_invalid');
      expect(err.message).toContain('WEIR_BATCH_SIZE must be an integer from 1 to 1000 (got "lots")');
      expect(err.message).toContain('PORT must be an integer from 0 to 65535');
      expect(err.message).toContain('DATABASE_URL must be a postgres:// or postgresql:// URL');
      expect(err.errors.map((x) => x.pointer).sort()).toEqual(['/DATABASE_URL', '/PORT', '/WEIR_BATCH_SIZE']);
    }
  });

  test('secrets in bad values are not echoed', () => {
    expect(() => loadConfig({ WEIR_ADMIN_KEY: 'short-secret' })).toThrow(/WEIR_ADMIN_KEY must be at least 24 characters \(got "\*\*\*"\)/);
  });

  test('cross-field rule: the idle poll ceiling is not below the poll interval', () => {
    expect(() => loadConfig({ WEIR_POLL_INTERVAL: '500', WEIR_POLL_INTERVAL_MAX: '100' })).toThrow(/WEIR_POLL_INTERVAL_MAX \(100\) must be at least WEIR_POLL_INTERVAL \(500\)/);
  });

  test('invalid queue names are refused', () => {
    expect(() => loadConfig({ WEIR_QUEUES: 'ok,Bad-Name' })).toThrow(/WEIR_QUEUES must be a comma-separated list/);
    expect(() => loadConfig({ WEIR_QUEUES: 'q'.repeat(48) })).toThrow(/lower-case letters, digits and _; at most 47/);
    expect(loadConfig({ WEIR_QUEUES: `${'q'.repeat(47)},a_1` }).runner.queues).toEqual(['q'.repeat(47), 'a_1']);
  });
});
