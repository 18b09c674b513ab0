/** Console sessions without a database: signing, expiry, the admin key, CSRF tokens, safe redirects. */
import { expect, test } from 'vitest';
import { loadConfig } from '../../../src/config.ts';
import { safeNext } from '../../../src/console/pages/login.ts';
import { sessionKeeper } from '../../../src/console/session.ts';

const ADMIN = 'bootstrap-admin-key-0123456789abcdef';
const config = loadConfig({ DATABASE_URL: 'postgres://u:p@db.example/weir', WEIR_ADMIN_KEY: ADMIN });
const noDatabase = () => {
  throw new Error('no database in unit tests');
};

test('the admin key signs in; the cookie holds its hash, not the key, and expires after 8 hours', async () => {
  let now = 1_000_000;
  const keeper = sessionKeeper({ config, mode: 'keys', sql: noDatabase, nowSeconds: () => now });
  const token = (await keeper.login(ADMIN))!;
  expect(token).toMatch(/^v1\.a\.[0-9a-f]{64}\.1028800\.[\w-]{12}\.[\w-]+$/);
  expect(token).not.toContain(ADMIN);
  const session = await keeper.verify(token);
  expect(session?.principal).toEqual({ id: 'admin-key', role: 'admin', namespaces: ['*'] });
  expect(session?.csrf).toBe(await keeper.csrfFor(token));
  now += 8 * 3600 + 1;
  expect(await keeper.verify(token)).toBeUndefined();
});

test('a cookie signed by another deployment, or edited, is no session', async () => {
  const keeper = sessionKeeper({ config, mode: 'keys', sql: noDatabase });
  const other = sessionKeeper({ config: loadConfig({ DATABASE_URL: 'postgres://u:other@db.example/weir', WEIR_ADMIN_KEY: ADMIN }), mode: 'keys', sql: noDatabase });
  const token = (await other.login(ADMIN))!;
  expect(await keeper.verify(token)).toBeUndefined();
  const mine = (await keeper.login(ADMIN))!;
  expect(await keeper.verify(mine.replace('v1.a.', 'v1.o.'))).toBeUndefined();
  expect(await keeper.verify(`${mine}x`)).toBeUndefined();
  expect(await keeper.verify(undefined)).toBeUndefined();
  // Anonymous sessions exist only where auth is off.
  expect(await keeper.verify(await keeper.anonymous())).toBeUndefined();
});

test('each session has its own CSRF token', async () => {
  const keeper = sessionKeeper({ config, mode: 'open', sql: noDatabase });
  const [a, b] = [await keeper.anonymous(), await keeper.anonymous()];
  expect((await keeper.verify(a))?.principal.id).toBe('anonymous');
  expect(await keeper.csrfFor(a)).not.toBe(await keeper.csrfFor(b));
  expect((await keeper.verify(a))?.csrf).toBe(await keeper.csrfFor(a));
});

test('after sign-in the browser only goes to a console path', () => {
  expect(safeNext('/ui/instances/01a2?x=1')).toBe('/ui/instances/01a2?x=1');
  for (const bad of ['//evil.example/ui', 'https://evil.example/', '/ui//evil', '/ui\\\\evil', '/v1/instances', '/uix', undefined, 5]) {
    expect(safeNext(bad)).toBe('/ui/instances');
  }
});
