/**
 * The console in a real browser (Debian's headless Chromium through playwright-core, as `.ci/run`
 * installs it): sign in, open a faulted instance and see the failed task highlighted with its
 * error, cancel a waiting instance through the confirmed button and see it end `cancelled`. The
 * run takes the README's screenshots and checks that no page scrolls sideways at 1280 px; it
 * writes them to docs/screenshots/ under `npm run screenshots` (WEIR_SCREENSHOTS=1), and to a
 * temporary directory otherwise, so that a test run leaves the tree as it was.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve, type ServerType } from '@hono/node-server';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { pgmq } from '../../../src/store/queries/pgmq.ts';
import { useTestDatabase } from '../../support/db.ts';
import { testRunner } from '../../support/runner.ts';
import { bearer, buildApp, mintKey } from '../api/_app.ts';
import { checkoutYaml, napYaml, orderYaml } from './_fixtures.ts';

const CHROMIUM = '/usr/bin/chromium';
const KEEP = process.env.WEIR_SCREENSHOTS === '1';
const SHOTS = KEEP ? fileURLToPath(new URL('../../../docs/screenshots/', import.meta.url)) : join(mkdtempSync(join(tmpdir(), 'weir-shots-')), '/');

const db = useTestDatabase();
let server: ServerType;
let base: string;
let browser: Browser;
let page: Page;
let admin: string;
const ids: Record<string, string> = {};
const browserErrors: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: the console e2e test drives Debian's Chromium (apt-get install -y chromium; .ci/run installs it)`);
  }
  const sql = db.current.sql;
  const app = buildApp(sql);
  admin = await mintKey(sql, 'admin');
  for (const doc of [checkoutYaml, napYaml, orderYaml]) {
    expect((await app.request('/v1/workflows', { method: 'POST', headers: bearer(admin, { 'content-type': 'application/yaml' }), body: doc })).status).toBe(201);
  }
  const start = async (name: string, input: unknown) =>
    (await (await app.request(`/v1/workflows/shop/${name}/instances`, { method: 'POST', headers: bearer(admin), body: JSON.stringify(input) })).json()).id as string;
  ids.order = await start('order', { items: ['book', 'lamp', 'mug'], express: false });
  ids.faulted = await start('checkout', { cart: 'c-42', amount: 1999 });
  ids.waiting = await start('nap', { reason: 'demo' });
  await testRunner(sql).drain({ maxMillis: 5000 });
  // A replica heartbeat and a dead letter, so the queues page shows what it shows in production.
  await sql`INSERT INTO weir.replicas (id, pool_limit, roles, host) VALUES ('0190c1c0-0000-7000-8000-00000000a001'::uuid, 10, 'serve', 'weir-1')`;
  await pgmq.create(sql, 'weir_dead');
  await pgmq.send(sql, 'weir_dead', { queue: 'weir_default', msgId: 7, readCt: 5, enqueuedAt: new Date().toISOString(), message: { instance: ids.faulted, kind: 'http', target: 'x' } });

  await new Promise<void>((resolve) => {
    server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
      base = `http://127.0.0.1:${info.port}`;
      resolve();
    });
  });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-quic', '--no-first-run', '--disable-sync'],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  // A blocked script or style (the pages run under a strict CSP) or a script error shows up here.
  page.on('console', (m) => void (m.type() === 'error' && browserErrors.push(m.text())));
  page.on('pageerror', (e) => void browserErrors.push(e.message));
  mkdirSync(SHOTS, { recursive: true });
});

afterAll(async () => {
  if (!KEEP) rmSync(SHOTS, { recursive: true, force: true });
  await browser?.close();
  if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** The page fits 1280 px: nothing scrolls sideways. */
async function fitsWidth() {
  expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
}

test('sign in, see the failed task of a faulted instance, cancel a waiting one; screenshots', { timeout: 60_000 }, async () => {
  await page.goto(`${base}/ui/instances/${ids.faulted}`);
  expect(new URL(page.url()).pathname).toBe('/ui/login');
  await page.getByLabel('API key').fill('weir_wrong-key-for-this-test');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect.poll(() => page.getByRole('alert').textContent()).toContain('unknown or revoked');
  await page.getByLabel('API key').fill(admin);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${base}/ui/instances/${ids.faulted}`);

  // The faulted instance: status, the problem details, the failed node marked in the diagram.
  expect(await page.locator('#instance-status').getAttribute('data-status')).toBe('faulted');
  const failed = page.locator('svg.diagram g.node.state-failed');
  expect(await failed.count()).toBe(1);
  expect(await failed.getAttribute('data-pointer')).toBe('/do/1/charge');
  expect(await failed.locator('title').textContent()).toContain('(failed)');
  expect(await page.locator('#error').textContent()).toContain('Payment declined');
  expect(await page.locator('#error').textContent()).toContain('/do/1/charge');
  await fitsWidth();
  await page.screenshot({ path: `${SHOTS}instance.png`, fullPage: true });

  await page.getByRole('link', { name: 'Instances', exact: true }).click();
  await page.waitForURL(`${base}/ui/instances`);
  expect(await page.locator('tbody tr').count()).toBe(3);
  await fitsWidth();
  await page.screenshot({ path: `${SHOTS}instances.png`, fullPage: true });

  await page.getByRole('link', { name: 'Workflows', exact: true }).click();
  await page.waitForURL(`${base}/ui/workflows`);
  await fitsWidth();
  await page.screenshot({ path: `${SHOTS}workflows.png`, fullPage: true });
  await page.getByRole('link', { name: 'order', exact: true }).click();
  await page.waitForURL(`${base}/ui/workflows/shop/order/2.1.0`);
  expect(await page.locator('svg.diagram g.node').count()).toBeGreaterThan(10);
  await fitsWidth();
  await page.screenshot({ path: `${SHOTS}workflow.png`, fullPage: true });

  await page.getByRole('link', { name: 'Queues & replicas' }).click();
  await page.waitForURL(`${base}/ui/queues`);
  expect(await page.locator('#queues + table').textContent()).toContain('weir_default');
  expect(await page.getByText('weir-1').count()).toBe(1);
  await fitsWidth();
  await page.screenshot({ path: `${SHOTS}queues.png`, fullPage: true });

  // A live instance: the task it waits in is marked as current.
  await page.goto(`${base}/ui/instances/${ids.order}`);
  expect(await page.locator('svg.diagram g.node.state-current').count()).toBeGreaterThan(0);
  await fitsWidth();
  await page.screenshot({ path: `${SHOTS}instance-waiting.png`, fullPage: true });

  // Cancel the waiting instance: the button asks first (a dismissed dialog changes nothing).
  await page.goto(`${base}/ui/instances/${ids.waiting}`);
  expect(await page.locator('#instance-status').getAttribute('data-status')).toBe('waiting');
  expect(await page.locator('svg.diagram g.node.state-current').getAttribute('data-pointer')).toBe('/do/1/sleep');
  page.once('dialog', (d) => void d.dismiss());
  await page.getByRole('button', { name: 'Cancel instance' }).click();
  expect(await page.locator('#instance-status').getAttribute('data-status')).toBe('waiting');
  page.once('dialog', (d) => {
    expect(d.message()).toContain('Cancel this instance?');
    void d.accept();
  });
  await page.getByRole('button', { name: 'Cancel instance' }).click();
  await page.waitForURL(`${base}/ui/instances/${ids.waiting}?done=cancel`);
  await testRunner(db.current.sql).drain({ maxMillis: 5000 });
  // No reload: the page's live refresh (every 5 s) brings the final state in.
  await page.locator('#instance-status[data-status="cancelled"]').waitFor({ timeout: 12_000 });
  expect(await page.locator('#live-note').textContent()).toBe('Final state.');
  expect(await page.locator('#instance-status').textContent()).toContain('cancelled');

  // Keyboard: the first Tab stop is the skip link.
  await page.keyboard.press('Tab');
  expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
  // The failed sign-in answered 401, which Chromium logs as a failed resource; nothing else may.
  expect(browserErrors.filter((e) => !/status of 401/.test(e))).toEqual([]);
});
