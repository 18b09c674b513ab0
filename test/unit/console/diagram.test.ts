/** The diagram builder: which nodes and edges each DSL construct becomes, and that dagre lays them out. */
import { describe, expect, test } from 'vitest';
import { buildDiagram, nodeForPointer, taskKind } from '../../../src/console/diagram.ts';
import { layoutDiagram, renderDiagramSvg } from '../../../src/console/diagram-svg.ts';

const edge = (d: ReturnType<typeof buildDiagram>, from: string, to: string) => d.edges.find((e) => e.from === from && e.to === to);

describe('buildDiagram', () => {
  test('a do sequence runs start → tasks in order → end', () => {
    const d = buildDiagram({ do: [{ a: { set: {} } }, { b: { wait: 'PT1H' } }] });
    expect(d.nodes.map((n) => n.id)).toEqual(['start', '/do/0/a', '/do/1/b', 'end']);
    expect(d.edges.map((e) => `${e.from}>${e.to}`).sort()).toEqual(['/do/0/a>/do/1/b', '/do/1/b>end', 'start>/do/0/a'].sort());
    expect(d.nodes.find((n) => n.id === '/do/1/b')?.detail).toBe('wait PT1H');
  });

  test('switch cases are labelled edges to their targets; no default adds a "no match" path', () => {
    const d = buildDiagram({
      do: [
        { check: { switch: [{ big: { when: '${ .n > 1 }', then: 'large' } }, { huge: { when: '${ .n > 9 }', then: 'end' } }] } },
        { small: { set: {} } },
        { large: { set: {} } },
      ],
    });
    expect(edge(d, '/do/0/check', '/do/2/large')?.label).toBe('big');
    expect(edge(d, '/do/0/check', 'end')?.label).toBe('huge');
    expect(edge(d, '/do/0/check', '/do/1/small')?.label).toBe('no match');
  });

  test('then: end, exit and a named task are flow edges', () => {
    const d = buildDiagram({ do: [{ a: { set: {}, then: 'c' } }, { b: { set: {} } }, { c: { set: {}, then: 'end' } }, { d: { set: {} } }] });
    expect(edge(d, '/do/0/a', '/do/2/c')?.kind).toBe('jump');
    expect(edge(d, '/do/0/a', '/do/1/b')).toBeUndefined();
    expect(edge(d, '/do/2/c', 'end')?.label).toBe('end');
    expect(edge(d, '/do/2/c', '/do/3/d')).toBeUndefined();
  });

  test('a for loop is a cluster with a back-edge to its head and a "done" exit', () => {
    const d = buildDiagram({ do: [{ each: { for: { each: 'x', in: '${ .xs }' }, do: [{ step: { set: {} } }] } }, { after: { set: {} } }] });
    expect(d.clusters).toEqual([{ id: '/do/0/each#cluster', label: 'each', kind: 'for' }]);
    expect(d.nodes.find((n) => n.id === '/do/0/each/do/0/step')?.parent).toBe('/do/0/each#cluster');
    expect(edge(d, '/do/0/each/do/0/step', '/do/0/each')?.kind).toBe('loop');
    expect(edge(d, '/do/0/each', '/do/1/after')?.label).toBe('done');
  });

  test('try/catch: the try body and the catch handler are grouped, joined by an "on error" edge', () => {
    const d = buildDiagram({
      do: [{ safe: { try: [{ risky: { call: 'http', with: { method: 'get', endpoint: 'https://x.test/a' } } }], catch: { do: [{ recover: { set: {} } }] } } }, { next: { set: {} } }],
    });
    expect(edge(d, '/do/0/safe', '/do/0/safe/catch')).toMatchObject({ kind: 'error', label: 'on error' });
    expect(edge(d, '/do/0/safe/catch', '/do/0/safe/catch/do/0/recover')).toBeDefined();
    expect(edge(d, '/do/0/safe/try/0/risky', '/do/1/next')).toBeDefined();
    expect(edge(d, '/do/0/safe/catch/do/0/recover', '/do/1/next')).toBeDefined();
    expect(d.nodes.find((n) => n.id === '/do/0/safe/try/0/risky')?.detail).toBe('http GET https://x.test/a');
  });

  test('fork fans out to every branch and joins them; branches are not chained', () => {
    const d = buildDiagram({ do: [{ both: { fork: { branches: [{ left: { set: {} } }, { right: { wait: 'PT1S' } }] } } }] });
    const left = '/do/0/both/fork/branches/0/left';
    const right = '/do/0/both/fork/branches/1/right';
    expect(edge(d, '/do/0/both', left)?.kind).toBe('branch');
    expect(edge(d, '/do/0/both', right)?.kind).toBe('branch');
    expect(edge(d, left, right)).toBeUndefined();
    expect(edge(d, left, '/do/0/both#join')?.kind).toBe('join');
    expect(edge(d, '/do/0/both#join', 'end')).toBeDefined();
  });

  test('raise has no way out; odd shapes degrade to plain nodes', () => {
    const d = buildDiagram({ do: [{ boom: { raise: { error: { type: 'https://e.test/errors/nope', status: 400 } } } }, { never: { set: {} } }, 'junk', { x: 5 }] });
    expect(d.edges.filter((e) => e.from === '/do/0/boom')).toEqual([]);
    expect(d.nodes.find((n) => n.id === '/do/0/boom')?.detail).toBe('raise nope');
    expect(buildDiagram(null).nodes.map((n) => n.kind)).toEqual(['start', 'task', 'end']);
    expect(buildDiagram({ do: [{ only: { raise: { error: 'x' } } }] }).nodes.map((n) => n.id)).toEqual(['start', '/do/0/only']);
    expect(taskKind({ for: {}, do: [] })).toBe('for');
  });

  test('a pointer finds its task: an error inside a task still names the task', () => {
    const d = buildDiagram({ do: [{ a: { try: [{ inner: { set: {} } }], catch: {} } }] });
    expect(nodeForPointer(d, '/do/0/a/try/0/inner')).toBe('/do/0/a/try/0/inner');
    expect(nodeForPointer(d, '/do/0/a/try/0/inner/set/x')).toBe('/do/0/a/try/0/inner');
    expect(nodeForPointer(d, '/do/0/a')).toBe('/do/0/a');
    expect(nodeForPointer(d, '/elsewhere')).toBeUndefined();
    expect(nodeForPointer(d, undefined)).toBeUndefined();
  });
});

describe('layout and SVG', () => {
  const doc = {
    do: [
      { a: { set: {} } },
      { loop: { for: { each: 'x', in: '${ .xs }' }, do: [{ s: { set: {} } }] } },
      { t: { try: [{ charge: { set: {} } }], catch: { do: [{ undo: { set: {} } }] } } },
      { f: { fork: { branches: [{ l: { set: {} } }, { r: { set: {} } }] } } },
    ],
  };

  test('dagre places every node inside the drawing, nodes in a cluster inside its box', () => {
    const layout = layoutDiagram(buildDiagram(doc));
    expect(layout.width).toBeGreaterThan(0);
    for (const n of layout.nodes) {
      expect(n.x).toBeGreaterThanOrEqual(0);
      expect(n.y + n.height).toBeLessThanOrEqual(layout.height + 0.5);
      if (n.parent) {
        const c = layout.clusters.find((k) => k.id === n.parent)!.box;
        expect(n.x).toBeGreaterThanOrEqual(c.x);
        expect(n.x + n.width).toBeLessThanOrEqual(c.x + c.width + 0.5);
      }
    }
    for (const e of layout.edges) expect(e.points.length).toBeGreaterThan(1);
    // Top to bottom: the first task sits above the last.
    const y = (id: string) => layout.nodes.find((n) => n.id === id)!.y;
    expect(y('/do/0/a')).toBeLessThan(y('/do/3/f#join'));
  });

  test('marked nodes carry a class, a visible badge and an accessible name; text is escaped', async () => {
    const d = buildDiagram({ do: [{ '<b>': { set: {} } }, { charge: { set: {} } }] });
    const svg = String(await renderDiagramSvg(layoutDiagram(d), { title: 'Diagram', states: new Map([['/do/1/charge', 'failed'], ['/do/0/<b>', 'done']]) }));
    expect(svg).toContain('class="node kind-set state-failed" data-pointer="/do/1/charge" data-state="failed"><title>charge — set (failed)</title>');
    expect(svg).toContain('✕ failed');
    expect(svg).toContain('aria-label="Diagram: 2 tasks; failed: charge"');
    expect(svg).toContain('&lt;b&gt;');
    expect(svg).not.toContain('<b>');
  });
});
