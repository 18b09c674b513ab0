/**
 * The page shell every console page shares: skip link, navigation (current page marked with
 * `aria-current`), who is signed in and a sign-out form, then the page's `<main>`. Helpers for
 * status badges, times and action forms (each an authenticated POST with the CSRF token).
 */
import type { Context } from 'hono';
import { html } from 'hono/html';
import type { Principal } from '../api/auth.ts';

export type Html = ReturnType<typeof html>;

export interface PageSession {
  principal: Principal;
  csrf: string;
}

const nav = [
  ['instances', '/ui/instances', 'Instances'],
  ['workflows', '/ui/workflows', 'Workflows'],
  ['queues', '/ui/queues', 'Queues & replicas'],
] as const;

export type Section = (typeof nav)[number][0] | 'login';

export function page(title: string, body: Html | string, options: { section: Section; session?: PageSession }): Html {
  const s = options.session;
  const who = s
    ? html`<span class="who"><span>${s.principal.id === 'anonymous' ? 'local (auth off)' : `${s.principal.role} · ${s.principal.namespaces.join(', ')}`}</span>${
        s.principal.id === 'anonymous' ? '' : html`<form method="post" action="/ui/logout">${csrfField(s)}<button type="submit">Sign out</button></form>`
      }</span>`
    : '';
  const links = s
    ? nav.map(([id, href, label]) => html`<a href="${href}"${id === options.section ? html` aria-current="page"` : ''}>${label}</a>`)
    : '';
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Weir</title><link rel="icon" href="data:,"><link rel="stylesheet" href="/ui/assets/console.css"><script src="/ui/assets/console.js" defer></script></head>
<body><a class="skip" href="#main">Skip to content</a>
<header class="top"><nav class="wrap" aria-label="Console"><span class="brand">Weir</span>${links}${who}</nav></header>
<main id="main" class="wrap">${body}</main></body></html>`;
}

export const csrfField = (s: PageSession) => html`<input type="hidden" name="csrf" value="${s.csrf}">`;

/** A POST button for an action; `confirm` asks first (in the browser, or on a server page without script). */
export function actionForm(s: PageSession, action: string, label: string, options: { confirm?: string; style?: 'danger' | 'primary' } = {}): Html {
  return html`<form method="post" action="${action}"${options.confirm ? html` data-confirm="${options.confirm}"` : ''}>${csrfField(s)}<input type="hidden" name="confirmed" value=""><button type="submit" class="btn ${options.style ?? ''}">${label}</button></form>`;
}

export const statusBadge = (status: string) => html`<span class="status s-${status}">${status}</span>`;

/** A UTC time in a `<time>` element (machine-readable), shown to the second. */
export function time(d: Date | null | undefined): Html | string {
  if (!d) return '—';
  const iso = d.toISOString();
  return html`<time datetime="${iso}">${iso.slice(0, 19).replace('T', ' ')}</time>`;
}

/** The toggle and status line for a region the script refreshes. */
export const liveControls = () =>
  html`<p class="live"><input type="checkbox" id="live-toggle" checked><label for="live-toggle">Live updates</label><span id="live-note" role="status"></span></p>`;

export function htmlResponse(c: Context, body: Html, status: 200 | 400 | 401 | 403 | 404 | 405 | 409 | 413 | 422 | 500 | 503 = 200): Response | Promise<Response> {
  c.header('Cache-Control', 'no-store');
  return c.html(body, status);
}

export const json = (v: unknown) => JSON.stringify(v, null, 2);
