/**
 * Health routes through app.request() on the real test database.
 */
import { expect, test } from 'vitest';
import { createApp } from '../../../src/api/app.ts';
import { loadConfig } from '../../../src/config.ts';
import { Lifecycle } from '../../../src/lifecycle.ts';
import { createLogger } from '../../../src/log.ts';
import type { Store } from '../../../src/store/open.ts';
import { migrationsCurrent } from '../../../src/store/migrate.ts';
import { useTestDatabase } from '../../support/db.ts';

const db = useTestDatabase();

function storeOf(sql = db.current.sql): Store {
  const partial: Partial<Store> = {
    driver: 'postgres',
    sql,
    migrate: async () => ({ applied: [], skipped: 0 }),
    check: async () => {
      try {
        await sql`SELECT 1`;
      } catch (e) {
        return { ok: false, reason: `database unreachable: ${(e as Error).message}` };
      }
      return (await migrationsCurrent(sql)) ? { ok: true } : { ok: false, reason: 'migrations are not current' };
    },
    close: async () => {},
  };
  return partial as Store;
}

function appWith(store: Store, lifecycle = running()) {
  return createApp({ config: loadConfig({}), store, lifecycle, log: createLogger('silent') });
}

function running() {
  const l = new Lifecycle();
  l.to('starting');
  l.to('running');
  return l;
}

test('/health/live answers without touching the database', async () => {
  const broken: Store = { ...storeOf(), check: async () => { throw new Error('must not be called'); } };
  const res = await appWith(broken).request('/health/live');
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ status: 'ok' });
  expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
});

test('/health/ready is 200 on a reachable, migrated database', async () => {
  const res = await appWith(storeOf()).request('/health/ready');
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ status: 'ok', checks: { lifecycle: 'running', database: 'ok' } });
});

test('/health/ready is 503 while draining', async () => {
  const l = running();
  l.to('draining');
  const res = await appWith(storeOf(), l).request('/health/ready');
  expect(res.status).toBe(503);
  expect((await res.json()).checks.lifecycle).toBe('draining');
});

test('/health/ready is 503 when migrations are behind', async () => {
  await db.current.sql`DELETE FROM weir.migrations WHERE name LIKE 'drizzle/%'`;
  const res = await appWith(storeOf()).request('/health/ready');
  expect(res.status).toBe(503);
  expect((await res.json()).checks.database).toContain('migrations are not current');
});

test('unknown routes are problem+json 404 with the request id echoed', async () => {
  const res = await appWith(storeOf()).request('/nope', { headers: { 'x-request-id': 'req-123' } });
  expect(res.status).toBe(404);
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  expect(res.headers.get('x-request-id')).toBe('req-123');
  expect(await res.json()).toMatchObject({ status: 404, title: 'Not Found', instance: '/nope', requestId: 'req-123' });
});
