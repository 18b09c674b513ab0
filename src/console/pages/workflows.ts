/**
 * Workflows: the registered workflows with their versions (cursor pages), and one version as a
 * diagram, its YAML, and its latest instances.
 */
import type { Hono } from 'hono';
import { html } from 'hono/html';
import { stringify as toYaml } from 'yaml';
import { authorize, visibleNamespaces } from '../../api/auth.ts';
import { decodeCursor, encodeCursor } from '../../api/common.ts';
import { WeirError } from '../../errors.ts';
import { listInstances } from '../../store/queries/instances.ts';
import { getWorkflow, listVersions, listWorkflows } from '../../store/queries/workflows.ts';
import { buildDiagram } from '../diagram.ts';
import { layoutDiagram, renderDiagramSvg } from '../diagram-svg.ts';
import type { ConsoleDeps, ConsoleEnv } from '../index.ts';
import { htmlResponse, page, statusBadge, time } from '../layout.ts';

const PAGE = 50;

export const workflowHref = (namespace: string, name: string, version?: string) =>
  `/ui/workflows/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}${version ? `/${encodeURIComponent(version)}` : ''}`;

export function registerWorkflowPages(ui: Hono<ConsoleEnv>, deps: ConsoleDeps): void {
  const { ctx } = deps;

  ui.get('/workflows', async (c) => {
    const session = c.get('session');
    const after = decodeCursor(c.req.query('cursor') || undefined, (v): v is { namespace: string; name: string } =>
      typeof v === 'object' && v !== null && typeof (v as { namespace?: unknown }).namespace === 'string' && typeof (v as { name?: unknown }).name === 'string',
    );
    const visible = visibleNamespaces(c);
    const rows = visible && visible.length === 0 ? [] : await listWorkflows(ctx.sql(), { namespaces: visible, limit: PAGE + 1, after });
    const items = rows.slice(0, PAGE);
    const last = items[items.length - 1];
    const next = rows.length > PAGE && last ? encodeCursor({ namespace: last.namespace, name: last.name }) : undefined;
    const body = html`<h1>Workflows</h1>
${items.length === 0 ? html`<p>No workflows are registered${visible ? ' in your namespaces' : ''}. Register one with <code>POST /v1/workflows</code>.</p>` : html`
<table><caption class="muted">${items.length} workflow${items.length === 1 ? '' : 's'}${after ? ' (continued)' : ''}</caption>
<thead><tr><th scope="col">Namespace</th><th scope="col">Name</th><th scope="col">Latest</th><th scope="col">Versions</th><th scope="col">Instances</th></tr></thead>
<tbody>${items.map(
  (w) => html`<tr><td>${w.namespace}</td><td><a href="${workflowHref(w.namespace, w.name, w.latest)}">${w.name}</a></td><td>${w.latest}</td><td>${w.versions.map((v, i) => html`${i ? ', ' : ''}<a href="${workflowHref(w.namespace, w.name, v)}">${v}</a>`)}</td><td><a href="/ui/instances?namespace=${encodeURIComponent(w.namespace)}&amp;workflow=${encodeURIComponent(w.name)}">${w.name} instances</a></td></tr>`,
)}</tbody></table>`}
<nav class="pager" aria-label="Pages">${after ? html`<a href="/ui/workflows">First page</a>` : ''}${next ? html`<a href="/ui/workflows?cursor=${next}">Next page</a>` : ''}</nav>`;
    return htmlResponse(c, page('Workflows', body, { section: 'workflows', session }));
  });

  ui.get('/workflows/:namespace/:name', async (c) => {
    const { namespace, name } = c.req.param();
    authorize(c, 'read', namespace);
    const versions = await listVersions(ctx.sql(), namespace, name);
    if (!versions.length) throw new WeirError('not_found', `no workflow ${namespace}/${name} is registered`);
    return c.redirect(workflowHref(namespace, name, versions[0].version), 302);
  });

  ui.get('/workflows/:namespace/:name/:version', async (c) => {
    const session = c.get('session');
    const { namespace, name, version } = c.req.param();
    authorize(c, 'read', namespace);
    const sql = ctx.sql();
    const row = await getWorkflow(sql, namespace, name, version);
    if (!row) throw new WeirError('not_found', `no version ${version} of workflow ${namespace}/${name} is registered`);
    const [versions, recent] = await Promise.all([
      listVersions(sql, namespace, name),
      listInstances(sql, { namespaces: [namespace], workflowName: name }, { limit: 10 }),
    ]);
    const doc = row.document as { document?: { title?: string; summary?: string } };
    const svg = renderDiagramSvg(layoutDiagram(buildDiagram(row.document)), { title: `Diagram of ${name} ${version}` });
    const yaml = row.source && !/^\s*\{/.test(row.source) ? row.source : toYaml(row.document);
    const body = html`<h1>${namespace} / ${name} <span class="muted">${version}</span></h1>
${doc.document?.title || doc.document?.summary ? html`<p>${doc.document?.title ?? ''}${doc.document?.title && doc.document?.summary ? ' — ' : ''}${doc.document?.summary ?? ''}</p>` : ''}
<dl class="facts"><dt>Queue</dt><dd><code>${row.queue}</code></dd><dt>Registered</dt><dd>${time(row.createdAt)}</dd><dt>Digest</dt><dd><code>${row.digest}</code></dd>
<dt>Versions</dt><dd>${versions.map((v, i) => html`${i ? ', ' : ''}${v.version === version ? html`<strong aria-current="page">${v.version}</strong>` : html`<a href="${workflowHref(namespace, name, v.version)}">${v.version}</a>`}`)}</dd></dl>
<h2 id="diagram">Diagram</h2>
<div class="figure">${svg}</div>
<h2>Latest instances</h2>
${recent.length === 0 ? html`<p class="muted">None yet.</p>` : html`<table><thead><tr><th scope="col">Instance</th><th scope="col">Version</th><th scope="col">Status</th><th scope="col">Created</th></tr></thead><tbody>${recent.map(
  (i) => html`<tr><td><a class="mono" href="/ui/instances/${i.id}">${i.id}</a></td><td>${i.workflowVersion}</td><td>${statusBadge(i.status)}</td><td>${time(i.createdAt)}</td></tr>`,
)}</tbody></table>`}
<p><a href="/ui/instances?namespace=${encodeURIComponent(namespace)}&amp;workflow=${encodeURIComponent(name)}">All instances of ${name}</a></p>
<h2>Document (YAML)</h2>
<pre tabindex="0" aria-label="Workflow document in YAML"><code>${yaml}</code></pre>`;
    return htmlResponse(c, page(`${name} ${version}`, body, { section: 'workflows', session }));
  });
}
