/**
 * The Weir console at `/ui`: server-rendered pages on the same Hono app as the API (so it runs in
 * the single binary, on Deno and at the edge), reading through the same store queries and acting
 * through the same runner control functions, behind the same API keys (session.ts).
 *
 * Mounted as a plain Hono sub-app: its routes stay out of the OpenAPI document, and its errors
 * render as pages rather than problem+json. Every page needs a session; every action is a POST
 * carrying the session's CSRF token; a GET on an action URL answers 405 and changes nothing.
 */
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { bodyCap } from '../api/body-limit.ts';
import { html } from 'hono/html';
import type { Principal } from '../api/auth.ts';
import type { ApiContext } from '../api/context.ts';
import { WeirError } from '../errors.ts';
import { css, js } from './assets.ts';
import { htmlResponse, page } from './layout.ts';
import { registerInstancePages } from './pages/instances.ts';
import { registerInstancePage } from './pages/instance.ts';
import { registerLoginPages, registerLogout } from './pages/login.ts';
import { registerQueuePages } from './pages/queues.ts';
import { registerWorkflowPages } from './pages/workflows.ts';
import { sessionCookie, sessionKeeper, setSessionCookie, type Session, type SessionKeeper } from './session.ts';

export type ConsoleEnv = { Variables: { requestId: string; principal: Principal; session: Session } };
export type ConsoleContext = Context<ConsoleEnv>;

export interface ConsoleDeps {
  ctx: ApiContext;
  mode: 'open' | 'keys';
  keeper: SessionKeeper;
}

const ASSET_MAX_AGE = 3600;

/** Security headers for every console response: no framing, no inline script, no referrer leaks. */
const hardened: MiddlewareHandler = async (c, next) => {
  await next();
  c.header('Content-Security-Policy', "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
  c.header('X-Frame-Options', 'DENY');
  c.header('X-Content-Type-Options', 'nosniff');
  c.header('Referrer-Policy', 'same-origin');
};

/** Renders an error as a page; WeirErrors keep their status and message, anything else is a logged 500. */
function errorPage(ctx: ApiContext) {
  return (err: Error, c: Context) => {
    const status = err instanceof WeirError ? err.status : 500;
    if (!(err instanceof WeirError) || status >= 500) ctx.log.error('console request failed', { requestId: c.get('requestId' as never), error: err });
    const detail = err instanceof WeirError && status < 500 ? err.message : 'Something went wrong; the request id is in the server log.';
    const session = c.get('session' as never) as Session | undefined;
    const body = html`<h1>${status === 403 ? 'Not allowed' : status === 404 ? 'Not found' : status === 409 ? 'Conflict' : 'Error'}</h1><p class="error-msg" role="alert">${detail}</p><p><a href="/ui/instances">Back to instances</a></p>`;
    return htmlResponse(c, page('Error', body, { section: 'instances', ...(session ? { session } : {}) }), ([400, 401, 403, 404, 405, 409, 413, 422, 503] as const).find((s) => s === status) ?? 500);
  };
}

/** Mounts the console on `app` under `/ui`. */
export function registerConsole(app: { route(path: string, sub: Hono<ConsoleEnv>): unknown }, ctx: ApiContext, options: { mode: 'open' | 'keys' }): void {
  const ui = new Hono<ConsoleEnv>();
  const keeper = sessionKeeper({ config: ctx.config, mode: options.mode, sql: ctx.sql });
  const deps: ConsoleDeps = { ctx, mode: options.mode, keeper };
  ui.use('*', hardened);
  ui.onError(errorPage(ctx));
  ui.get('/assets/console.css', (c) => c.body(css, 200, { 'content-type': 'text/css; charset=utf-8', 'cache-control': `public, max-age=${ASSET_MAX_AGE}` }));
  ui.get('/assets/console.js', (c) => c.body(js, 200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': `public, max-age=${ASSET_MAX_AGE}` }));
  // Form posts are a few hundred bytes: refuse anything large before reading it.
  ui.use('*', bodyCap({ maxSize: 16 * 1024, onError: (c) => c.text('request body too large', 413) }));
  registerLoginPages(ui, deps);

  // Everything below needs a session. Without one: GETs go to the login page, POSTs are refused.
  ui.use('*', async (c, next) => {
    let session = await keeper.verify(sessionCookie(c));
    if (!session && options.mode === 'open') {
      const token = await keeper.anonymous();
      setSessionCookie(c, token);
      session = await keeper.verify(token);
    }
    if (!session) {
      if (c.req.method === 'GET' || c.req.method === 'HEAD') {
        const url = new URL(c.req.url);
        return c.redirect(`/ui/login?next=${encodeURIComponent(url.pathname + url.search)}`, 302);
      }
      return c.text('sign in first', 401);
    }
    c.set('session', session);
    c.set('principal', session.principal);
    if (c.req.method === 'POST') {
      const form = await c.req.parseBody();
      if (typeof form.csrf !== 'string' || form.csrf !== session.csrf) {
        return htmlResponse(c, page('Forbidden', html`<h1>Not allowed</h1><p class="error-msg" role="alert">The form is missing its security token or it expired; go back, reload the page and try again.</p>`, { section: 'instances', session }), 403);
      }
    }
    return next();
  });
  ui.get('/', (c) => c.redirect('/ui/instances', 302));
  registerLogout(ui);
  registerWorkflowPages(ui, deps);
  registerInstancePages(ui, deps);
  registerInstancePage(ui, deps);
  registerQueuePages(ui, deps);
  // Behind the session check, so an unknown path tells a signed-out visitor nothing.
  ui.all('*', () => {
    throw new WeirError('not_found', 'There is no such page in the console.');
  });
  app.route('/ui', ui);
}
