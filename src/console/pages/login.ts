/** Sign in with an API key (sets the session cookie), sign out (clears it). */
import type { Hono } from 'hono';
import { html } from 'hono/html';
import type { ConsoleDeps, ConsoleEnv } from '../index.ts';
import { htmlResponse, page } from '../layout.ts';
import { clearSessionCookie, sameOrigin, sessionCookie, setSessionCookie } from '../session.ts';

/** Only a path inside the console: never another origin (`//evil`, `/\\evil`) after sign-in. */
export function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/ui(\/[\w\-./%?=&~+:,]*)?$/.test(next) && !next.includes('//') ? next : '/ui/instances';
}

function form(next: string, error?: string) {
  return html`<section class="login" aria-labelledby="login-title">
<h1 id="login-title">Sign in to Weir</h1>
<p class="muted">Use an API key (<code>weir keys create --namespace NS --role read|write|admin</code>) or the bootstrap admin key. The key is checked like an API request; the browser keeps only a signed session cookie for 8 hours.</p>
${error ? html`<p class="error-msg" role="alert" id="login-error">${error}</p>` : ''}
<form method="post" action="/ui/login">
<input type="hidden" name="next" value="${next}">
<label for="key">API key</label>
<input id="key" name="key" type="password" autocomplete="current-password" required spellcheck="false"${error ? html` aria-describedby="login-error" aria-invalid="true"` : ''}>
<p><button type="submit" class="btn primary">Sign in</button></p>
</form></section>`;
}

export function registerLoginPages(ui: Hono<ConsoleEnv>, deps: ConsoleDeps): void {
  ui.get('/login', async (c) => {
    const next = safeNext(c.req.query('next'));
    // Auth off (embedded database on loopback): nothing to sign in to; the console issues the session.
    if (deps.mode === 'open' || (await deps.keeper.verify(sessionCookie(c)))) return c.redirect(next, 302);
    return htmlResponse(c, page('Sign in', form(next), { section: 'login' }));
  });

  ui.post('/login', async (c) => {
    if (!sameOrigin(c)) return htmlResponse(c, page('Sign in', form('/ui/instances', 'This sign-in came from another site and was refused.'), { section: 'login' }), 403);
    const body = await c.req.parseBody();
    const next = safeNext(body.next);
    const key = typeof body.key === 'string' ? body.key.trim() : '';
    const token = key ? await deps.keeper.login(key) : undefined;
    if (!token) {
      return htmlResponse(c, page('Sign in', form(next, key ? 'That API key is unknown or revoked.' : 'Enter an API key.'), { section: 'login' }), 401);
    }
    setSessionCookie(c, token);
    return c.redirect(next, 303);
  });
}

/** Registered behind the session check: signing out is an action like any other (POST + CSRF). */
export function registerLogout(ui: Hono<ConsoleEnv>): void {
  ui.post('/logout', (c) => {
    clearSessionCookie(c);
    return c.redirect('/ui/login', 303);
  });
}
