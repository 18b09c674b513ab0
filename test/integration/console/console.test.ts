/**
 * The console over HTTP (no browser): sign-in, the session cookie, CSRF, namespace scoping, and
 * each page rendering what the store holds.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { useTestDatabase } from '../../support/db.ts';
import { testRunner } from '../../support/runner.ts';
import { bearer, buildApp, mintKey } from '../api/_app.ts';
import { checkoutYaml, cookieFrom, csrfFrom, napYaml, orderYaml } from './_fixtures.ts';

const db = useTestDatabase();
let app: ReturnType<typeof buildApp>;
let admin: string;
let faulted: string;
let waiting: string;

const form = (fields: Record<string, string>, cookie?: string, extra: Record<string, string> = {}) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded', ...(cookie ? { cookie } : {}), ...extra },
  body: new URLSearchParams(fields).toString(),
});

async function login(key: string): Promise<string> {
  const res = await app.request('/ui/login', form({ key, next: '/ui/instances' }));
  expect(res.status).toBe(303);
  return cookieFrom(res);
}

const get = (path: string, cookie?: string) => app.request(path, { headers: cookie ? { cookie } : {} });

beforeAll(async () => {
  const sql = db.current.sql;
  app = buildApp(sql, { env: { WEIR_ADMIN_KEY: 'bootstrap-admin-key-0123456789abcdef' } });
  admin = await mintKey(sql, 'admin');
  for (const doc of [checkoutYaml, napYaml, orderYaml]) {
    const res = await app.request('/v1/workflows', { method: 'POST', headers: bearer(admin, { 'content-type': 'application/yaml' }), body: doc });
    expect(res.status).toBe(201);
  }
  const start = async (name: string) => (await (await app.request(`/v1/workflows/shop/${name}/instances`, { method: 'POST', headers: bearer(admin), body: '{}' })).json()).id as string;
  faulted = await start('checkout');
  waiting = await start('nap');
  await testRunner(sql).drain({ maxMillis: 5000 });
});

describe('sign-in', () => {
  test('no cookie: every page redirects to the login form and shows no data', async () => {
    for (const path of ['/ui', '/ui/instances', `/ui/instances/${faulted}`, '/ui/workflows', '/ui/queues', '/ui/workflows/shop/checkout/1.0.0']) {
      const res = await get(path);
      expect(res.status, path).toBe(302);
      expect(res.headers.get('location')).toMatch(/^\/ui\/login\?next=/);
      expect(await res.text()).not.toContain('checkout');
    }
    const loginPage = await get('/ui/login');
    expect(loginPage.status).toBe(200);
    expect(await loginPage.text()).toMatch(/<label for="key">API key<\/label>/);
  });

  test('a bad key is a 401 page; a forged or tampered cookie is no session', async () => {
    const bad = await app.request('/ui/login', form({ key: 'weir_not-a-real-key' }));
    expect(bad.status).toBe(401);
    expect(bad.headers.get('set-cookie')).toBeNull();
    expect(await bad.text()).toContain('unknown or revoked');
    const cookie = await login(admin);
    const tampered = cookie.replace(/\.(\d+)\./, (_m, exp: string) => `.${Number(exp) + 1000}.`);
    expect((await get('/ui/instances', tampered)).status).toBe(302);
    expect((await get('/ui/instances', 'weir_console=v1.k.' + 'a'.repeat(64) + '.9999999999.xyz')).status).toBe(302);
  });

  test('the session cookie is HttpOnly, SameSite=Strict, scoped to /ui, and holds no key', async () => {
    const res = await app.request('/ui/login', form({ key: admin }));
    const set = res.headers.get('set-cookie') ?? '';
    expect(set).toMatch(/HttpOnly/);
    expect(set).toMatch(/SameSite=Strict/);
    expect(set).toMatch(/Path=\/ui/);
    expect(set).not.toContain(admin);
    // http://localhost is loopback: no Secure, so local development works; any other host gets Secure.
    expect(set).not.toMatch(/Secure/);
    const remote = await app.request('https://weir.example.com/ui/login', form({ key: admin }, undefined, { host: 'weir.example.com' }));
    expect(remote.headers.get('set-cookie')).toMatch(/Secure/);
  });

  test('the bootstrap admin key signs in; a sign-in posted from another origin is refused', async () => {
    expect(cookieFrom(await app.request('/ui/login', form({ key: 'bootstrap-admin-key-0123456789abcdef' })))).toMatch(/^weir_console=v1\.a\./);
    const cross = await app.request('/ui/login', form({ key: admin }, undefined, { origin: 'https://evil.example' }));
    expect(cross.status).toBe(403);
  });

  test('auth off (embedded database on loopback): no sign-in, but actions still need the CSRF token', async () => {
    const open = buildApp(db.current.sql, { open: true });
    expect((await open.request('/ui/login')).status).toBe(302);
    const first = await open.request('/ui/instances');
    expect(first.status).toBe(200);
    const cookie = cookieFrom(first);
    expect(cookie).toMatch(/^weir_console=v1\.o\./);
    expect((await open.request(`/ui/instances/${waiting}/suspend`, form({ confirmed: '1' }, cookie))).status).toBe(403);
    // An anonymous session from an open server is nothing on a server with auth on.
    expect((await get('/ui/instances', cookie)).status).toBe(302);
  });

  test('a revoked key ends its sessions at once', async () => {
    const key = await mintKey(db.current.sql, 'read');
    const cookie = await login(key);
    expect((await get('/ui/instances', cookie)).status).toBe(200);
    await db.current.sql`UPDATE weir.api_keys SET revoked_at = now() WHERE prefix = ${key.slice(0, 12)}`;
    expect((await get('/ui/instances', cookie)).status).toBe(302);
  });
});

describe('actions', () => {
  test('a POST without the CSRF token is 403 and changes nothing; a GET on an action URL changes nothing', async () => {
    const cookie = await login(admin);
    const noToken = await app.request(`/ui/instances/${waiting}/cancel`, form({ confirmed: '1' }, cookie));
    expect(noToken.status).toBe(403);
    const wrong = await app.request(`/ui/instances/${waiting}/cancel`, form({ confirmed: '1', csrf: 'x'.repeat(32) }, cookie));
    expect(wrong.status).toBe(403);
    const viaGet = await get(`/ui/instances/${waiting}/cancel`, cookie);
    expect(viaGet.status).toBe(303);
    const noCookie = await app.request(`/ui/instances/${waiting}/cancel`, form({ confirmed: '1' }));
    expect(noCookie.status).toBe(401);
    const row = await (await app.request(`/v1/instances/${waiting}`, { headers: bearer(admin) })).json();
    expect(row.status).toBe('waiting');
  });

  test('an unconfirmed action asks on a page; a read key may look but not act; another namespace is hidden', async () => {
    const cookie = await login(admin);
    const page = await (await get(`/ui/instances/${waiting}`, cookie)).text();
    const ask = await app.request(`/ui/instances/${waiting}/suspend`, form({ csrf: csrfFrom(page) }, cookie));
    expect(ask.status).toBe(200);
    expect(await ask.text()).toContain('Yes, suspend');

    const reader = await login(await mintKey(db.current.sql, 'read', ['shop']));
    const readerPage = await (await get(`/ui/instances/${waiting}`, reader)).text();
    expect(readerPage).not.toContain('Cancel instance');
    const denied = await app.request(`/ui/instances/${waiting}/suspend`, form({ csrf: csrfFrom(readerPage), confirmed: '1' }, reader));
    expect(denied.status).toBe(403);

    const outsider = await login(await mintKey(db.current.sql, 'admin', ['elsewhere']));
    expect((await get(`/ui/instances/${waiting}`, outsider)).status).toBe(403);
    const list = await (await get('/ui/instances', outsider)).text();
    expect(list).not.toContain(waiting);
    expect(await (await get('/ui/workflows', outsider)).text()).not.toContain('checkout');
    expect(await (await get('/ui/queues', outsider)).text()).toContain('need a key valid for');
  });

  test('suspend, resume and cancel through the console, each confirmed', async () => {
    const cookie = await login(admin);
    const act = async (verb: string) => {
      const page = await (await get(`/ui/instances/${waiting}`, cookie)).text();
      const res = await app.request(`/ui/instances/${waiting}/${verb}`, form({ csrf: csrfFrom(page), confirmed: '1' }, cookie));
      expect(res.status).toBe(303);
      expect(res.headers.get('location')).toBe(`/ui/instances/${waiting}?done=${verb}`);
    };
    const status = async () => (await (await app.request(`/v1/instances/${waiting}`, { headers: bearer(admin) })).json()).status;
    await act('suspend');
    expect(await status()).toBe('suspended');
    await act('resume');
    expect(await status()).toBe('waiting');
    await act('cancel');
    await testRunner(db.current.sql).drain({ maxMillis: 5000 });
    expect(await status()).toBe('cancelled');
    const page = await (await get(`/ui/instances/${waiting}?done=cancel`, cookie)).text();
    expect(page).toContain('data-status="cancelled"');
    expect(page).toContain('Cancelled.');
  });
});

describe('pages', () => {
  test('a faulted instance shows its error and highlights the failed task in the diagram', async () => {
    const cookie = await login(admin);
    const res = await get(`/ui/instances/${faulted}`, cookie);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    const page = await res.text();
    expect(page).toContain('data-status="faulted"');
    expect(page).toContain('Payment declined');
    expect(page).toContain('the card was declined');
    expect(page).toMatch(/<g class="node kind-raise state-failed" data-pointer="\/do\/1\/charge" data-state="failed"><title>charge — raise payment-declined \(failed\)<\/title>/);
    expect(page).toMatch(/class="node kind-set state-done" data-pointer="\/do\/0\/validate"/);
    expect(page).toContain('<svg class="timeline"');
  });

  test('the workflow page draws the diagram and shows the YAML; the list shows versions', async () => {
    const cookie = await login(admin);
    const list = await (await get('/ui/workflows', cookie)).text();
    expect(list).toContain('href="/ui/workflows/shop/order/2.1.0"');
    const page = await (await get('/ui/workflows/shop/order/2.1.0', cookie)).text();
    expect(page).toContain('<svg class="diagram"');
    for (const pointer of ['/do/0/route', '/do/1/reserve', '/do/2/pay/catch', '/do/3/ship#join']) expect(page).toContain(`data-pointer="${pointer}"`);
    expect(page).toContain('summary: Every construct the diagram draws.');
    expect((await get('/ui/workflows/shop/order', cookie)).headers.get('location')).toBe('/ui/workflows/shop/order/2.1.0');
  });

  test('the instance list filters by status and workflow', async () => {
    const cookie = await login(admin);
    const faultedOnly = await (await get('/ui/instances?status=faulted', cookie)).text();
    expect(faultedOnly).toContain(faulted);
    expect(faultedOnly).not.toContain(`/ui/instances/${waiting}"`);
    const byWorkflow = await (await get('/ui/instances?workflow=nap', cookie)).text();
    expect(byWorkflow).toContain(waiting);
    expect(byWorkflow).not.toContain(`/ui/instances/${faulted}"`);
    const later = await (await get('/ui/instances?after=2999-01-01T00:00', cookie)).text();
    expect(later).toContain('No instances match.');
  });

  test('the instance list pages through a cursor, keeping its filters', async () => {
    const cookie = await login(admin);
    for (let i = 0; i < 51; i++) {
      await app.request('/v1/workflows/shop/checkout/instances', { method: 'POST', headers: bearer(admin), body: '{}' });
    }
    const first = await (await get('/ui/instances?workflow=checkout', cookie)).text();
    expect(first.match(/<tr><td><a class="mono"/g)).toHaveLength(50);
    const next = /<a href="(\/ui\/instances\?workflow=checkout&amp;cursor=[0-9a-f-]+)">Next page<\/a>/.exec(first);
    expect(next).not.toBeNull();
    const second = await (await get(next![1].replaceAll('&amp;', '&'), cookie)).text();
    // 52 checkout instances in all (one from the start of the file): two on the second page, the oldest is the faulted one.
    expect(second.match(/<tr><td><a class="mono"/g)).toHaveLength(2);
    expect(second).toContain(faulted);
    expect(second).not.toContain('Next page');
  });

  test('the queues page lists queues, the budget and the schedule; pause is a POST', async () => {
    const cookie = await login(admin);
    const page = await (await get('/ui/queues', cookie)).text();
    expect(page).toContain('<code>weir_default</code>');
    expect(page).toContain('Connection budget');
    expect(page).toContain('shop.order');
    const res = await app.request('/ui/schedules/shop.order/pause', form({ csrf: csrfFrom(page), confirmed: '1' }, cookie));
    expect(res.status).toBe(303);
    const [row] = await db.current.sql<{ enabled: boolean }>`SELECT enabled FROM weir.schedules WHERE id = 'shop.order'`;
    expect(row.enabled).toBe(false);
    expect(await (await get('/ui/queues', cookie)).text()).toContain('Resume shop.order');
  });

  test('an unknown console page is a 404 page for a signed-in user and a redirect for anyone else', async () => {
    const cookie = await login(admin);
    const res = await get('/ui/nope', cookie);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect((await get('/ui/nope')).status).toBe(302);
  });

  test('assets are cached; console routes are not in the OpenAPI document', async () => {
    const css = await get('/ui/assets/console.css');
    expect(css.status).toBe(200);
    expect(css.headers.get('cache-control')).toContain('max-age');
    const doc = await (await get('/openapi.json')).json();
    expect(Object.keys(doc.paths).filter((p) => p.startsWith('/ui'))).toEqual([]);
  });
});
