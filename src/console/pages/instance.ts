/**
 * One instance: its facts, input, output or error (the problem details), the diagram with the
 * failed or current task highlighted, the timeline of its history, and cancel / suspend / resume
 * (each a POST with the CSRF token, confirmed first; the runner's control functions do the work).
 */
import type { Hono } from 'hono';
import { html } from 'hono/html';
import { allows, authorize } from '../../api/auth.ts';
import { WeirError } from '../../errors.ts';
import { cancelInstance, resumeInstance, suspendInstance } from '../../runner/control.ts';
import { getHistory, getInstance, terminalStatuses, type InstanceRow } from '../../store/queries/instances.ts';
import { getWorkflow } from '../../store/queries/workflows.ts';
import { buildDiagram, nodeForPointer } from '../diagram.ts';
import { layoutDiagram, renderDiagramSvg, type NodeState } from '../diagram-svg.ts';
import type { ConsoleContext, ConsoleDeps, ConsoleEnv } from '../index.ts';
import { actionForm, csrfField, htmlResponse, json, liveControls, page, statusBadge, time, type PageSession } from '../layout.ts';
import { buildTimeline, formatDuration, renderTimelineSvg } from '../timeline.ts';
import { workflowHref } from './workflows.ts';

const HISTORY_MAX = 1000;
const verbs = ['cancel', 'suspend', 'resume'] as const;
type Verb = (typeof verbs)[number];

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function problemBlock(error: unknown, failedTask: string | undefined) {
  if (!isObject(error)) return html`<pre tabindex="0">${json(error)}</pre>`;
  const field = (k: string) => (error[k] === undefined ? '' : html`<dt>${k}</dt><dd>${k === 'type' || k === 'instance' ? html`<code>${String(error[k])}</code>` : String(error[k])}</dd>`);
  const rest = Object.fromEntries(Object.entries(error).filter(([k]) => !['type', 'status', 'title', 'detail', 'instance'].includes(k)));
  return html`<section class="problem" aria-labelledby="error-title" id="error"><h2 id="error-title">Error${error.title ? html`: ${String(error.title)}` : ''}</h2>
<dl class="facts">${field('title')}${field('status')}${field('detail')}${field('type')}${field('instance')}${failedTask ? html`<dt>failed task</dt><dd><strong>${failedTask}</strong></dd>` : ''}</dl>
${Object.keys(rest).length ? html`<pre tabindex="0">${json(rest)}</pre>` : ''}</section>`;
}

function actions(s: PageSession, r: InstanceRow) {
  if (terminalStatuses.includes(r.status)) return html`<p class="muted">This instance has ended; nothing to control.</p>`;
  if (!allows(s.principal, 'write', r.namespace)) return html`<p class="muted">Your key may read this namespace but not control its instances (role write needed).</p>`;
  const base = `/ui/instances/${r.id}`;
  return html`<div class="actions">
${r.status === 'suspended' ? actionForm(s, `${base}/resume`, 'Resume', { confirm: 'Resume this instance?', style: 'primary' }) : actionForm(s, `${base}/suspend`, 'Suspend', { confirm: 'Suspend this instance? Its messages wait until it is resumed.' })}
${actionForm(s, `${base}/cancel`, 'Cancel instance', { confirm: 'Cancel this instance? This cannot be undone.', style: 'danger' })}
</div>`;
}

async function render(c: ConsoleContext, deps: ConsoleDeps, r: InstanceRow, notice?: string) {
  const session = c.get('session');
  const sql = deps.ctx.sql();
  const [wf, history] = await Promise.all([getWorkflow(sql, r.namespace, r.workflowName, r.workflowVersion), getHistory(sql, r.id, { limit: HISTORY_MAX })]);
  const [{ now }] = await sql<{ now: Date }>`SELECT weir.now() AS now`;
  const timeline = buildTimeline(history, { document: wf?.document, now: new Date(now).getTime(), endedAt: r.endedAt?.getTime() ?? null });
  const diagram = wf ? buildDiagram(wf.document) : undefined;
  const states = new Map<string, NodeState>();
  let failedTask: string | undefined;
  if (diagram) {
    for (const b of timeline.bars) {
      const id = nodeForPointer(diagram, b.ref);
      if (id && b.outcome === 'completed') states.set(id, 'done');
    }
    for (const ref of timeline.current) {
      const id = nodeForPointer(diagram, ref);
      if (id) states.set(id, 'current');
    }
    if (r.status === 'faulted') {
      const pointer = isObject(r.error) && typeof r.error.instance === 'string' ? r.error.instance : timeline.lastFaulted;
      const id = nodeForPointer(diagram, pointer) ?? nodeForPointer(diagram, timeline.lastFaulted);
      if (id) {
        states.set(id, 'failed');
        failedTask = diagram.nodes.find((n) => n.id === id)?.label;
      }
    }
  }
  const ended = terminalStatuses.includes(r.status);
  const took = r.startedAt ? formatDuration((r.endedAt ?? new Date(now)).getTime() - r.startedAt.getTime()) : undefined;
  const body = html`<h1>Instance <span class="mono">${r.id}</span></h1>
${notice ? html`<p role="status" class="note">${notice}</p>` : ''}
${ended ? '' : liveControls()}
<div data-live="${ended ? 'final' : 'poll'}">
<dl class="facts">
<dt>Status</dt><dd id="instance-status" data-status="${r.status}">${statusBadge(r.status)}</dd>
<dt>Workflow</dt><dd>${r.namespace} / <a href="${workflowHref(r.namespace, r.workflowName, r.workflowVersion)}">${r.workflowName}</a> ${r.workflowVersion}</dd>
<dt>Created</dt><dd>${time(r.createdAt)}</dd><dt>Started</dt><dd>${time(r.startedAt)}</dd><dt>Ended</dt><dd>${time(r.endedAt)}${took ? html` <span class="muted">(${ended ? 'took' : 'running for'} ${took})</span>` : ''}</dd>
<dt>Queue</dt><dd><code>${r.queue}</code></dd>
${r.parentId ? html`<dt>Parent</dt><dd><a class="mono" href="/ui/instances/${r.parentId}">${r.parentId}</a></dd>` : ''}
${timeline.current.length && !ended ? html`<dt>Current task</dt><dd>${timeline.current.map((p, i) => html`${i ? ', ' : ''}<code>${p}</code>`)}</dd>` : ''}
</dl>
${actions(session, r)}
${r.status === 'faulted' || (r.status === 'cancelled' && r.error !== null) ? problemBlock(r.error, failedTask) : ''}
<h2 id="diagram">Diagram</h2>
${diagram ? html`<div class="figure">${renderDiagramSvg(layoutDiagram(diagram), { title: `Diagram of ${r.workflowName}`, states })}</div>` : html`<p class="muted">The workflow version is no longer registered.</p>`}
<h2 id="timeline">Timeline</h2>
${timeline.bars.length ? html`<div class="figure">${renderTimelineSvg(timeline)}</div>` : html`<p class="muted">No task has started yet.</p>`}
</div>
<div class="grid2">
<section aria-labelledby="input-title"><h2 id="input-title">Input</h2><pre tabindex="0">${json(r.input)}</pre></section>
${r.output !== null ? html`<section aria-labelledby="output-title"><h2 id="output-title">Output</h2><pre tabindex="0">${json(r.output)}</pre></section>` : ''}
</div>
<details><summary>History (${history.length}${history.length === HISTORY_MAX ? '+' : ''} entries)</summary>
<table><thead><tr><th scope="col">#</th><th scope="col">At</th><th scope="col">Event</th><th scope="col">Task</th><th scope="col">Data</th></tr></thead>
<tbody>${history.map(
  (h) => html`<tr><td>${h.seq}</td><td>${time(h.at)}</td><td>${h.kind}</td><td>${h.taskRef ? html`<code>${h.taskRef}</code>` : ''}</td><td class="mono">${h.data === null ? '' : JSON.stringify(h.data).slice(0, 300)}</td></tr>`,
)}</tbody></table></details>`;
  return htmlResponse(c, page(`Instance ${r.id.slice(0, 8)}`, body, { section: 'instances', session }));
}

export function registerInstancePage(ui: Hono<ConsoleEnv>, deps: ConsoleDeps): void {
  const load = async (c: ConsoleContext, role: 'read' | 'write') => {
    const id = c.req.param('id') ?? '';
    const row = await getInstance(deps.ctx.sql(), id);
    if (!row) throw new WeirError('not_found', `no instance ${id}`);
    authorize(c, role, row.namespace);
    return row;
  };

  ui.get('/instances/:id', async (c) => {
    const row = await load(c, 'read');
    const done = c.req.query('done');
    const ended = terminalStatuses.includes(row.status);
    // Fixed messages only: nothing from the query string is echoed into the page.
    const notice =
      done === 'cancel' ? (ended ? 'Cancelled.' : 'Cancellation requested: the runner ends the instance, its children and timers.')
      : done === 'suspend' ? 'Suspended.'
      : done === 'resume' ? 'Resumed.'
      : undefined;
    return render(c, deps, row, notice);
  });

  for (const verb of verbs) {
    // A GET on an action URL changes nothing (a prefetch or a pasted link must not cancel).
    ui.get(`/instances/:id/${verb}`, (c) => {
      c.header('Allow', 'POST');
      return c.redirect(`/ui/instances/${encodeURIComponent(c.req.param('id') ?? '')}`, 303);
    });
    ui.post(`/instances/:id/${verb}`, async (c) => {
      const row = await load(c, 'write');
      const form = await c.req.parseBody();
      if (form.confirmed !== '1') return confirmPage(c, row, verb);
      const sql = deps.ctx.sql();
      const who = c.get('principal').id;
      const done: Record<Verb, () => Promise<InstanceRow>> = {
        cancel: () => cancelInstance(sql, row.id, `cancelled in the console (key ${who})`),
        suspend: () => suspendInstance(sql, row.id),
        resume: () => resumeInstance(sql, row.id),
      };
      await done[verb]();
      return c.redirect(`/ui/instances/${row.id}?done=${verb}`, 303);
    });
  }
}

/** Without script the browser cannot ask; the server does, with the same form and `confirmed=1`. */
function confirmPage(c: ConsoleContext, row: InstanceRow, verb: Verb) {
  const session = c.get('session');
  const body = html`<h1>${verb[0].toUpperCase()}${verb.slice(1)} instance?</h1>
<p>Instance <span class="mono">${row.id}</span> of ${row.namespace} / ${row.workflowName} is ${statusBadge(row.status)}.</p>
<form method="post" action="/ui/instances/${row.id}/${verb}">${csrfField(session)}<input type="hidden" name="confirmed" value="1">
<div class="actions"><button type="submit" class="btn ${verb === 'cancel' ? 'danger' : 'primary'}">Yes, ${verb}</button> <a class="btn" href="/ui/instances/${row.id}">No, go back</a></div></form>`;
  return htmlResponse(c, page(`Confirm ${verb}`, body, { section: 'instances', session }));
}
