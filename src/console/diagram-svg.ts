/**
 * Lays a Diagram out with dagre (the maintained successor of the classic layered-graph layout;
 * pure JS, so it runs on Node, Deno, Bun, at the edge and in the binary) and renders it as inline
 * SVG on the server: the browser needs no script to see it. Node ids are JSON pointers, kept as
 * `data-pointer` so tests and the timeline can find a task's node.
 */
import dagre from '@dagrejs/dagre';
import { html, raw } from 'hono/html';
import type { Diagram, DiagramNode } from './diagram.ts';

/** What the instance page knows about a task: it failed, it is where the instance is now, or it ran. */
export type NodeState = 'failed' | 'current' | 'done';

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Layout {
  width: number;
  height: number;
  nodes: (DiagramNode & Box)[];
  clusters: { id: string; label: string; kind: string; box: Box }[];
  edges: { from: string; to: string; kind: string; label?: string; points: { x: number; y: number }[]; labelAt?: { x: number; y: number } }[];
}

const CHAR = 7.2;
const LABEL_FONT = 12;

function nodeSize(n: DiagramNode): { width: number; height: number } {
  if (n.kind === 'start' || n.kind === 'end' || n.kind === 'join') return { width: 64, height: 28 };
  const chars = Math.max(n.label.length, n.detail?.length ?? 0);
  return { width: Math.min(280, Math.max(96, Math.round(chars * CHAR) + 28)), height: n.detail ? 46 : 32 };
}

/** Positions every node, cluster and edge (top to bottom). */
export function layoutDiagram(diagram: Diagram): Layout {
  const g = new dagre.graphlib.Graph({ compound: true, multigraph: true });
  g.setGraph({ rankdir: 'TB', nodesep: 28, ranksep: 40, edgesep: 12, marginx: 8, marginy: 8 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const c of diagram.clusters) g.setNode(c.id, { label: c.label, paddingTop: 18, width: 0, height: 0 });
  for (const c of diagram.clusters) if (c.parent) g.setParent(c.id, c.parent);
  for (const n of diagram.nodes) {
    g.setNode(n.id, { ...nodeSize(n) });
    if (n.parent) g.setParent(n.id, n.parent);
  }
  diagram.edges.forEach((e, i) => {
    const label = e.label ? { width: Math.round(e.label.length * 6.4) + 8, height: 16, labelpos: 'c' as const } : {};
    g.setEdge(e.from, e.to, { ...label, minlen: 1 }, `e${i}`);
  });
  dagre.layout(g);
  const graph = g.graph() as { width?: number; height?: number };
  const box = (id: string): Box => {
    const l = g.node(id) as Box;
    return { x: l.x - l.width / 2, y: l.y - l.height / 2, width: l.width, height: l.height };
  };
  return {
    width: Math.ceil(graph.width ?? 0),
    height: Math.ceil(graph.height ?? 0),
    nodes: diagram.nodes.map((n) => ({ ...n, ...box(n.id) })),
    clusters: diagram.clusters.map((c) => ({ id: c.id, label: c.label, kind: c.kind, box: box(c.id) })),
    edges: diagram.edges.map((e, i) => {
      const l = g.edge({ v: e.from, w: e.to, name: `e${i}` }) as { points?: { x: number; y: number }[]; x?: number; y?: number };
      return {
        from: e.from,
        to: e.to,
        kind: e.kind,
        ...(e.label ? { label: e.label } : {}),
        points: l?.points ?? [],
        ...(e.label && l?.x !== undefined && l.y !== undefined ? { labelAt: { x: l.x, y: l.y } } : {}),
      };
    }),
  };
}

const f = (n: number) => (Math.round(n * 10) / 10).toString();

const stateWord: Record<NodeState, string> = { failed: 'failed', current: 'current task', done: 'ran' };

/**
 * Inline SVG of the layout. `states` marks nodes by id; each marked node gets a class, a visible
 * badge (not colour alone) and a `<title>` naming its state for screen readers.
 */
export function renderDiagramSvg(layout: Layout, options: { title: string; states?: ReadonlyMap<string, NodeState> }) {
  const states = options.states ?? new Map<string, NodeState>();
  const marked = [...states].filter(([, s]) => s !== 'done');
  const summary = `${options.title}: ${layout.nodes.filter((n) => n.id.startsWith('/') && !n.id.includes('#') && n.kind !== 'catch').length} tasks${marked
    .map(([id, s]) => `; ${stateWord[s]}: ${layout.nodes.find((n) => n.id === id)?.label ?? id}`)
    .join('')}`;
  const clusters = layout.clusters.map(
    (c) => html`<g class="cluster cluster-${c.kind}"><rect x="${f(c.box.x)}" y="${f(c.box.y)}" width="${f(c.box.width)}" height="${f(c.box.height)}" rx="8"></rect><text x="${f(c.box.x + 8)}" y="${f(c.box.y + 13)}">${c.kind === 'do' ? c.label : `${c.kind} ${c.label}`}</text></g>`,
  );
  const edges = layout.edges.map((e) => {
    if (e.points.length === 0) return '';
    const d = e.points.map((p, i) => `${i ? 'L' : 'M'}${f(p.x)} ${f(p.y)}`).join(' ');
    const label = e.label && e.labelAt
      ? html`<g class="edge-label"><rect x="${f(e.labelAt.x - (e.label.length * 6.4 + 8) / 2)}" y="${f(e.labelAt.y - 8)}" width="${f(e.label.length * 6.4 + 8)}" height="16" rx="3"></rect><text x="${f(e.labelAt.x)}" y="${f(e.labelAt.y + 4)}" text-anchor="middle">${e.label}</text></g>`
      : '';
    return html`<g class="edge edge-${e.kind}"><path d="${d}" marker-end="url(#arrow)"></path>${label}</g>`;
  });
  const nodes = layout.nodes.map((n) => {
    const state = states.get(n.id);
    const cls = `node kind-${n.kind}${state ? ` state-${state}` : ''}`;
    const cx = n.x + n.width / 2;
    const title = `${n.label}${n.detail ? ` — ${n.detail}` : ''}${state ? ` (${stateWord[state]})` : ''}`;
    const badge =
      state === 'failed' ? html`<text class="badge" x="${f(n.x + n.width)}" y="${f(n.y - 3)}" text-anchor="end">✕ failed</text>`
      : state === 'current' ? html`<text class="badge" x="${f(n.x + n.width)}" y="${f(n.y - 3)}" text-anchor="end">● now</text>`
      : '';
    const rx = n.kind === 'start' || n.kind === 'end' || n.kind === 'join' ? 14 : 6;
    const text = n.detail
      ? html`<text class="label" x="${f(cx)}" y="${f(n.y + 20)}" text-anchor="middle">${n.label}</text><text class="detail" x="${f(cx)}" y="${f(n.y + 36)}" text-anchor="middle">${n.detail}</text>`
      : html`<text class="label" x="${f(cx)}" y="${f(n.y + n.height / 2 + 4)}" text-anchor="middle">${n.label}</text>`;
    return html`<g class="${cls}" data-pointer="${n.id}"${state ? raw(` data-state="${state}"`) : ''}><title>${title}</title><rect x="${f(n.x)}" y="${f(n.y)}" width="${f(n.width)}" height="${f(n.height)}" rx="${rx}"></rect>${text}${badge}</g>`;
  });
  return html`<svg class="diagram" role="img" aria-label="${summary}" viewBox="0 0 ${layout.width} ${layout.height}" width="${layout.width}" height="${layout.height}" font-size="${LABEL_FONT}" xmlns="http://www.w3.org/2000/svg"><defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0 0L10 5L0 10z"></path></marker></defs>${clusters}${edges}${nodes}</svg>`;
}
