/**
 * Queues and replicas: per queue its depth, visible messages, oldest message age and dead letters;
 * the live replicas with their pool limits and the connection budget they share; and the
 * schedules with their next fire time, paused and resumed here. Queue and replica figures span
 * every namespace, so (like `/metrics`) they need a key valid for `*`; schedules are filtered to
 * the key's namespaces.
 */
import type { Hono } from 'hono';
import { html } from 'hono/html';
import { allows, authorize, visibleNamespaces } from '../../api/auth.ts';
import { WeirError } from '../../errors.ts';
import { listSchedules, setScheduleEnabled } from '../../scheduler/schedules.ts';
import type { ConsoleDeps, ConsoleEnv } from '../index.ts';
import { actionForm, htmlResponse, liveControls, page, time } from '../layout.ts';
import { listLiveReplicas, listQueues, readBudget } from '../queries.ts';
import { formatDuration } from '../timeline.ts';
import { workflowHref } from './workflows.ts';

const specText = (kind: string, spec: unknown): string => {
  const s = (spec ?? {}) as Record<string, unknown>;
  if (kind === 'cron') return `cron ${String(s.cron)}`;
  if (kind === 'every') return `every ${formatDuration(Number(s.everyMs))}`;
  if (kind === 'after') return `${formatDuration(Number(s.afterMs))} after the previous run`;
  return 'on events';
};

export function registerQueuePages(ui: Hono<ConsoleEnv>, deps: ConsoleDeps): void {
  const { ctx } = deps;

  ui.get('/queues', async (c) => {
    const session = c.get('session');
    const p = session.principal;
    const everywhere = p.namespaces.includes('*');
    const sql = ctx.sql();
    const [queues, replicas, budget, schedules] = await Promise.all([
      everywhere ? listQueues(sql) : undefined,
      everywhere ? listLiveReplicas(sql, ctx.config.pool.heartbeatMs) : undefined,
      everywhere ? readBudget(sql, ctx.config.pool).catch(() => undefined) : undefined,
      listSchedules(sql, visibleNamespaces(c)),
    ]);
    const usable = budget ? budget.budget - budget.reserve : 0;
    const body = html`<h1>Queues &amp; replicas</h1>
${liveControls()}
<div data-live="poll">
<h2 id="queues">Queues</h2>
${!queues ? html`<p class="muted">Queue and replica figures span every namespace: they need a key valid for <code>*</code>.</p>` : html`
<table><thead><tr><th scope="col">Queue</th><th scope="col">Depth</th><th scope="col">Visible now</th><th scope="col">Oldest message</th><th scope="col">Dead letters</th></tr></thead>
<tbody>${queues.map(
  (q) => html`<tr><td><code>${q.name}</code></td><td>${q.depth}</td><td>${q.visible}</td><td>${q.oldestAgeSeconds === null ? '—' : formatDuration(q.oldestAgeSeconds * 1000)}</td><td>${q.deadLetters}</td></tr>`,
)}</tbody></table>
<p class="muted">Dead letters: messages moved to <code>weir_dead</code> after WEIR_MAX_DELIVERIES failed activations (<code>GET /v1/dead-letters</code>, requeue with <code>POST /v1/dead-letters/{msgId}/requeue</code>).</p>`}
${replicas ? html`<h2 id="replicas">Replicas</h2>
${replicas.length === 0 ? html`<p class="muted">No replica has heartbeated recently (an API-only process or the embedded database runs no budget guard).</p>` : html`
<table><thead><tr><th scope="col">Replica</th><th scope="col">Host</th><th scope="col">Roles</th><th scope="col">Pool limit</th><th scope="col">Started</th><th scope="col">Last heartbeat</th></tr></thead>
<tbody>${replicas.map(
  (r) => html`<tr><td class="mono">${r.id}</td><td>${r.host ?? '—'}</td><td>${r.roles}</td><td>${r.poolLimit}</td><td>${time(r.startedAt)}</td><td>${time(r.heartbeatAt)}</td></tr>`,
)}</tbody></table>`}` : ''}
${budget ? html`<h2 id="budget">Connection budget</h2>
<dl class="facts"><dt>Budget</dt><dd>${budget.budget} connections ${budget.configured ? '(WEIR_DB_CONNECTION_BUDGET)' : html`(max_connections ${budget.maxConnections} − ${budget.reserved} reserved − ${budget.foreign} not Weir's)`}</dd>
<dt>Reserve</dt><dd>${budget.reserve} (WEIR_DB_RESERVE)</dd>
<dt>Shared by</dt><dd>${replicas?.length ?? 0} live replica${replicas?.length === 1 ? '' : 's'}: fair share ${Math.min(budget.poolMax, Math.floor(usable / Math.max(1, replicas?.length ?? 1)))} each (WEIR_DB_POOL_MAX ${budget.poolMax})</dd>
<dt>In use by Weir</dt><dd>${budget.weirInUse} connection${budget.weirInUse === 1 ? '' : 's'}; pool limits add up to ${(replicas ?? []).reduce((n, r) => n + r.poolLimit, 0)}</dd></dl>` : ''}
<h2 id="schedules">Schedules</h2>
${schedules.length === 0 ? html`<p class="muted">No scheduled workflows.</p>` : html`
<table><thead><tr><th scope="col">Schedule</th><th scope="col">Workflow</th><th scope="col">When</th><th scope="col">Next run</th><th scope="col">Last run</th><th scope="col">State</th><th scope="col"><span class="muted">Action</span></th></tr></thead>
<tbody>${schedules.map(
  (s) => html`<tr><td><code>${s.id}</code></td><td>${s.namespace} / <a href="${workflowHref(s.namespace, s.workflowName, s.workflowVersion)}">${s.workflowName}</a> ${s.workflowVersion}</td><td>${specText(s.kind, s.spec)} <span class="muted">${s.timezone}</span></td><td>${s.enabled ? time(s.nextRunAt) : html`<span class="muted">paused</span>`}</td><td>${time(s.lastRunAt)}</td><td>${s.enabled ? 'active' : 'paused'}</td><td>${
    allows(p, 'write', s.namespace)
      ? actionForm(session, `/ui/schedules/${encodeURIComponent(s.id)}/${s.enabled ? 'pause' : 'resume'}`, s.enabled ? `Pause ${s.id}` : `Resume ${s.id}`, { confirm: s.enabled ? `Pause schedule ${s.id}?` : `Resume schedule ${s.id}? The next run counts from now.` })
      : ''
  }</td></tr>`,
)}</tbody></table>`}
</div>`;
    return htmlResponse(c, page('Queues & replicas', body, { section: 'queues', session }));
  });

  for (const verb of ['pause', 'resume'] as const) {
    ui.get(`/schedules/:id/${verb}`, (c) => {
      c.header('Allow', 'POST');
      return c.redirect('/ui/queues#schedules', 303);
    });
    ui.post(`/schedules/:id/${verb}`, async (c) => {
      const id = c.req.param('id') ?? '';
      const found = (await listSchedules(ctx.sql(), visibleNamespaces(c))).find((s) => s.id === id);
      if (!found) throw new WeirError('not_found', `no schedule ${id}`);
      authorize(c, 'write', found.namespace);
      // Pausing is reversible and the button names the schedule: no second confirmation page.
      await setScheduleEnabled(ctx.sql(), id, verb === 'resume');
      return c.redirect('/ui/queues#schedules', 303);
    });
  }
}
