/**
 * Instances: filter by status, namespace, workflow and creation time (UTC), newest first, in
 * cursor pages (ids are time-ordered), through the store's `listInstances` as the API does.
 */
import type { Hono } from 'hono';
import { html } from 'hono/html';
import { visibleNamespaces } from '../../api/auth.ts';
import { listInstances, type InstanceStatus } from '../../store/queries/instances.ts';
import { instanceStatuses } from '../../store/schema.ts';
import type { ConsoleDeps, ConsoleEnv } from '../index.ts';
import { htmlResponse, liveControls, page, statusBadge, time } from '../layout.ts';
import { countByStatus } from '../queries.ts';
import { workflowHref } from './workflows.ts';

const PAGE = 50;
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `2026-11-23T17:30` (a datetime-local value, read as UTC) or a full ISO time; else undefined. */
export function parseTime(v: string | undefined): Date | undefined {
  if (!v) return undefined;
  const text = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(v) ? `${v}Z` : v;
  const d = new Date(text);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

export function registerInstancePages(ui: Hono<ConsoleEnv>, deps: ConsoleDeps): void {
  const { ctx } = deps;
  ui.get('/instances', async (c) => {
    const session = c.get('session');
    const q = {
      status: c.req.query('status') ?? '',
      namespace: (c.req.query('namespace') ?? '').trim(),
      workflow: (c.req.query('workflow') ?? '').trim(),
      after: c.req.query('after') ?? '',
      before: c.req.query('before') ?? '',
      cursor: c.req.query('cursor') ?? '',
    };
    const status = (instanceStatuses as readonly string[]).includes(q.status) ? (q.status as InstanceStatus) : undefined;
    const createdAfter = parseTime(q.after);
    const createdBefore = parseTime(q.before);
    const visible = visibleNamespaces(c);
    const namespaces = q.namespace ? (visible && !visible.includes(q.namespace) ? [] : [q.namespace]) : visible;
    const sql = ctx.sql();
    const [rows, counts] = await Promise.all([
      namespaces && namespaces.length === 0
        ? []
        : listInstances(
            sql,
            {
              ...(namespaces ? { namespaces } : {}),
              ...(q.workflow ? { workflowName: q.workflow } : {}),
              ...(status ? { statuses: [status] } : {}),
              ...(createdAfter ? { createdAfter } : {}),
              ...(createdBefore ? { createdBefore } : {}),
            },
            { limit: PAGE + 1, ...(uuid.test(q.cursor) ? { before: q.cursor } : {}) },
          ),
      countByStatus(sql, visible),
    ]);
    const items = rows.slice(0, PAGE);
    const keep = new URLSearchParams(Object.entries({ status: q.status, namespace: q.namespace, workflow: q.workflow, after: q.after, before: q.before }).filter(([, v]) => v !== ''));
    const nextHref = rows.length > PAGE ? `/ui/instances?${new URLSearchParams([...keep, ['cursor', items[items.length - 1].id]])}` : undefined;
    const badTime = (q.after && !createdAfter) || (q.before && !createdBefore);
    const body = html`<h1>Instances</h1>
<p class="muted">${instanceStatuses.map((s, i) => html`${i ? ' · ' : ''}<a href="/ui/instances?status=${s}">${s}</a> ${counts.get(s) ?? 0}`)}</p>
<form class="filters" method="get" action="/ui/instances" role="search" aria-label="Filter instances">
<label for="f-status">Status<select id="f-status" name="status"><option value="">any</option>${instanceStatuses.map((s) => html`<option value="${s}"${s === status ? ' selected' : ''}>${s}</option>`)}</select></label>
<label for="f-namespace">Namespace<input id="f-namespace" name="namespace" value="${q.namespace}" size="14"></label>
<label for="f-workflow">Workflow<input id="f-workflow" name="workflow" value="${q.workflow}" size="16"></label>
<label for="f-after">Created from (UTC)<input id="f-after" name="after" type="datetime-local" value="${q.after}"></label>
<label for="f-before">Created before (UTC)<input id="f-before" name="before" type="datetime-local" value="${q.before}"></label>
<button type="submit" class="btn primary">Filter</button> <a class="btn" href="/ui/instances">Clear</a>
</form>
${badTime ? html`<p class="error-msg" role="alert">A time filter was not a date and time; it was ignored.</p>` : ''}
${liveControls()}
<div data-live="poll">
${items.length === 0 ? html`<p>No instances match.</p>` : html`
<table><caption class="muted">${items.length} instance${items.length === 1 ? '' : 's'}, newest first${q.cursor ? ' (continued)' : ''}</caption>
<thead><tr><th scope="col">Instance</th><th scope="col">Workflow</th><th scope="col">Status</th><th scope="col">Created</th><th scope="col">Ended</th></tr></thead>
<tbody>${items.map(
  (i) => html`<tr><td><a class="mono" href="/ui/instances/${i.id}">${i.id}</a></td><td>${i.namespace} / <a href="${workflowHref(i.namespace, i.workflowName, i.workflowVersion)}">${i.workflowName}</a> <span class="muted">${i.workflowVersion}</span></td><td>${statusBadge(i.status)}</td><td>${time(i.createdAt)}</td><td>${time(i.endedAt)}</td></tr>`,
)}</tbody></table>`}
</div>
<nav class="pager" aria-label="Pages">${q.cursor ? html`<a href="/ui/instances?${keep.toString()}">First page</a>` : ''}${nextHref ? html`<a href="${nextHref}">Next page</a>` : ''}</nav>`;
    return htmlResponse(c, page('Instances', body, { section: 'instances', session }));
  });
}
