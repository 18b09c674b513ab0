/**
 * A workflow document as a graph: one node per task (its id is the task's JSON pointer, the same
 * pointer the engine writes into history and into an error's `instance`), edges for the `do`
 * sequence, `switch` cases, `then:` directives, loop back-edges, `try`→`catch` and `fork`
 * fan-out/fan-in, and clusters for the tasks that contain task lists. Pure: the layout and the
 * SVG are diagram-svg.ts.
 *
 * Each task compiles to an entry node and a list of open exits; a task list wires exits to the
 * next task, to a named task (`then: name`), to the workflow's end (`then: end`) or out of the list
 * (`then: exit`). Unknown shapes degrade to a plain node, never to an exception: the console must
 * render whatever was registered.
 */
import { joinPointer } from '../dsl/pointer.ts';

export type NodeKind =
  | 'start'
  | 'end'
  | 'call'
  | 'do'
  | 'emit'
  | 'for'
  | 'fork'
  | 'join'
  | 'listen'
  | 'raise'
  | 'run'
  | 'set'
  | 'switch'
  | 'try'
  | 'catch'
  | 'wait'
  | 'task';

export interface DiagramNode {
  /** The task's JSON pointer (`/do/1/charge`); synthetic nodes: `start`, `end`, `<ptr>#join`, `<ptr>/catch`. */
  id: string;
  kind: NodeKind;
  /** The task name (or a short word for synthetic nodes). */
  label: string;
  /** One short line saying what the task does (`call http GET …`, `wait PT1H`). */
  detail?: string;
  /** The cluster it belongs to, if any. */
  parent?: string;
}

export interface DiagramCluster {
  id: string;
  label: string;
  kind: 'do' | 'for' | 'try' | 'catch' | 'fork';
  parent?: string;
}

export type EdgeKind = 'next' | 'case' | 'loop' | 'error' | 'branch' | 'join' | 'jump';

export interface DiagramEdge {
  from: string;
  to: string;
  kind: EdgeKind;
  label?: string;
}

export interface Diagram {
  nodes: DiagramNode[];
  edges: DiagramEdge[];
  clusters: DiagramCluster[];
}

/** An open exit of a task or list: where control leaves `from`, and the directive it leaves with. */
interface Out {
  from: string;
  label?: string;
  then?: string;
  kind?: EdgeKind;
}

interface Compiled {
  entry: string;
  outs: Out[];
}

const taskKinds = ['call', 'emit', 'for', 'fork', 'listen', 'raise', 'run', 'set', 'switch', 'try', 'wait', 'do'] as const;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Cuts a string to `n` characters with an ellipsis. */
export function shorten(s: string, n = 36): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

/** The DSL task kind of a task object (`for` before `do`: a for-task carries both). */
export function taskKind(task: unknown): NodeKind {
  if (!isObject(task)) return 'task';
  return taskKinds.find((k) => Object.hasOwn(task, k)) ?? 'task';
}

const text = (v: unknown): string => (typeof v === 'string' ? v : v === undefined ? '' : JSON.stringify(v));

function detailOf(kind: NodeKind, task: Record<string, unknown>): string | undefined {
  switch (kind) {
    case 'call': {
      const w = isObject(task.with) ? task.with : {};
      const endpoint = isObject(w.endpoint) ? w.endpoint.uri : w.endpoint;
      if (task.call === 'http') return shorten(`http ${text(w.method).toUpperCase()} ${text(endpoint)}`.trim());
      return shorten(`call ${text(task.call)}`);
    }
    case 'wait':
      return shorten(`wait ${text(task.wait)}`);
    case 'emit': {
      const e = isObject(task.emit) && isObject(task.emit.event) && isObject(task.emit.event.with) ? task.emit.event.with : {};
      return shorten(`emit ${text(e.type)}`.trim());
    }
    case 'listen':
      return 'listen for events';
    case 'raise': {
      const err = isObject(task.raise) ? task.raise.error : undefined;
      const type = isObject(err) ? text(err.type) : text(err);
      return shorten(`raise ${type.split('/').pop() ?? ''}`.trim());
    }
    case 'run': {
      const r = isObject(task.run) ? task.run : {};
      return `run ${['container', 'script', 'shell', 'workflow'].find((k) => Object.hasOwn(r, k)) ?? ''}`.trim();
    }
    case 'set':
      return 'set';
    case 'switch':
      return 'switch';
    case 'for': {
      const f = isObject(task.for) ? task.for : {};
      const loop = `for ${text(f.each ?? 'item')} in ${text(f.in)}`;
      return shorten(task.while !== undefined ? `${loop} while …` : loop);
    }
    case 'fork':
      return isObject(task.fork) && task.fork.compete === true ? 'fork (first wins)' : 'fork';
    case 'try':
      return 'try';
    default:
      return undefined;
  }
}

class Builder {
  readonly nodes: DiagramNode[] = [];
  readonly edges: DiagramEdge[] = [];
  readonly clusters: DiagramCluster[] = [];
  readonly #ids = new Set<string>();

  node(n: DiagramNode): string {
    if (!this.#ids.has(n.id)) {
      this.#ids.add(n.id);
      this.nodes.push(n.parent === undefined ? omitParent(n) : n);
    }
    return n.id;
  }

  edge(from: string, to: string, kind: EdgeKind, label?: string): void {
    if (this.edges.some((e) => e.from === from && e.to === to && e.label === label)) return;
    this.edges.push(label === undefined ? { from, to, kind } : { from, to, kind, label });
  }

  cluster(c: DiagramCluster): string {
    this.clusters.push(c.parent === undefined ? { id: c.id, label: c.label, kind: c.kind } : c);
    return c.id;
  }

  /** A task list: each task's exits go to the next task unless its `then` says otherwise. */
  list(items: unknown, pointer: string, parent: string | undefined): Compiled {
    const tasks: { name: string; task: Record<string, unknown>; ptr: string }[] = [];
    if (Array.isArray(items)) {
      items.forEach((item, i) => {
        if (!isObject(item)) return;
        const [name] = Object.keys(item);
        if (name !== undefined && isObject(item[name])) tasks.push({ name, task: item[name], ptr: joinPointer(pointer, i, name) });
      });
    }
    if (tasks.length === 0) {
      const id = this.node({ id: `${pointer}#empty`, kind: 'task', label: '(no tasks)', ...(parent ? { parent } : {}) });
      return { entry: id, outs: [{ from: id }] };
    }
    const compiled = tasks.map((t) => this.task(t.name, t.task, t.ptr, parent));
    const entryOf = new Map(tasks.map((t, i) => [t.name, compiled[i].entry]));
    const outs: Out[] = [];
    compiled.forEach((c, i) => {
      for (const out of c.outs) {
        const then = out.then ?? 'continue';
        const kind = out.kind ?? 'next';
        if (then === 'continue') {
          const next = compiled[i + 1];
          if (next) this.edge(out.from, next.entry, kind, out.label);
          else outs.push({ from: out.from, ...(out.label ? { label: out.label } : {}), kind });
        } else if (then === 'exit') {
          outs.push({ from: out.from, label: out.label ?? 'exit', kind: 'jump' });
        } else if (then === 'end') {
          this.edge(out.from, 'end', 'jump', out.label ?? 'end');
        } else {
          const target = entryOf.get(then);
          if (target) this.edge(out.from, target, target === c.entry ? 'loop' : 'jump', out.label ?? `then ${then}`);
          else outs.push({ from: out.from, label: out.label ?? `then ${then}`, kind: 'jump' });
        }
      }
    });
    return { entry: compiled[0].entry, outs };
  }

  task(name: string, task: Record<string, unknown>, ptr: string, parent: string | undefined): Compiled {
    const kind = taskKind(task);
    const detail = detailOf(kind, task);
    const at = parent ? { parent } : {};
    const then = typeof task.then === 'string' ? task.then : undefined;
    const withThen = (outs: Out[]): Out[] => (then === undefined ? outs : outs.map((o) => (o.then === undefined ? { ...o, then } : o)));
    const label = task.if !== undefined ? `${name} (if …)` : name;

    switch (kind) {
      case 'do': {
        const cluster = this.cluster({ id: `${ptr}#cluster`, label: name, kind: 'do', ...at });
        const inner = this.list(task.do, joinPointer(ptr, 'do'), cluster);
        // The task's own node heads its cluster, so history and errors that name it have a target.
        const head = this.node({ id: ptr, kind: 'do', label, detail: 'do', parent: cluster });
        this.edge(head, inner.entry, 'next');
        return { entry: head, outs: withThen(inner.outs) };
      }
      case 'for': {
        const cluster = this.cluster({ id: `${ptr}#cluster`, label: name, kind: 'for', ...at });
        const head = this.node({ id: ptr, kind, label, ...(detail ? { detail } : {}), parent: cluster });
        const inner = this.list(task.do, joinPointer(ptr, 'do'), cluster);
        this.edge(head, inner.entry, 'next', 'each');
        for (const o of inner.outs) this.edge(o.from, head, 'loop', o.label ?? 'next');
        return { entry: head, outs: withThen([{ from: head, label: 'done' }]) };
      }
      case 'switch': {
        const head = this.node({ id: ptr, kind, label, ...(detail ? { detail } : {}), ...at });
        const cases = Array.isArray(task.switch) ? task.switch : [];
        const outs: Out[] = [];
        let hasDefault = false;
        for (const item of cases) {
          if (!isObject(item)) continue;
          const [caseName] = Object.keys(item);
          const c = caseName === undefined ? undefined : item[caseName];
          if (!isObject(c)) continue;
          if (c.when === undefined) hasDefault = true;
          const caseThen = typeof c.then === 'string' ? c.then : 'continue';
          outs.push({ from: head, label: caseName, then: caseThen, kind: 'case' });
        }
        // No default case: an unmatched switch continues (DSL: the task's `then`, else the next task).
        if (!hasDefault) outs.push({ from: head, label: 'no match', kind: 'case', ...(then ? { then } : {}) });
        return { entry: head, outs };
      }
      case 'try': {
        const cluster = this.cluster({ id: `${ptr}#cluster`, label: name, kind: 'try', ...at });
        const head = this.node({ id: ptr, kind, label, detail: 'try', parent: cluster });
        const body = this.list(task.try, joinPointer(ptr, 'try'), cluster);
        this.edge(head, body.entry, 'next');
        const c = isObject(task.catch) ? task.catch : {};
        const errors = isObject(c.errors) && isObject(c.errors.with) ? c.errors.with : undefined;
        const caught = errors?.type !== undefined ? `catch ${text(errors.type).split('/').pop()}` : 'catch';
        const catchId = this.node({
          id: joinPointer(ptr, 'catch'),
          kind: 'catch',
          label: caught,
          ...(isObject(c.retry) || typeof c.retry === 'string' ? { detail: 'retry, then catch' } : {}),
          parent: cluster,
        });
        this.edge(head, catchId, 'error', 'on error');
        const handled = c.do === undefined ? { entry: catchId, outs: [{ from: catchId }] } : this.list(c.do, joinPointer(ptr, 'catch', 'do'), cluster);
        if (handled.entry !== catchId) this.edge(catchId, handled.entry, 'next');
        return { entry: head, outs: withThen([...body.outs, ...handled.outs]) };
      }
      case 'fork': {
        const cluster = this.cluster({ id: `${ptr}#cluster`, label: name, kind: 'fork', ...at });
        const head = this.node({ id: ptr, kind, label, ...(detail ? { detail } : {}), parent: cluster });
        const join = this.node({ id: `${ptr}#join`, kind: 'join', label: 'join', parent: cluster });
        // Branches run side by side: each compiles alone (no sequence edges between them).
        const branches = isObject(task.fork) && Array.isArray(task.fork.branches) ? task.fork.branches : [];
        branches.forEach((item, i) => {
          if (!isObject(item)) return;
          const [branch] = Object.keys(item);
          if (branch === undefined || !isObject(item[branch])) return;
          const compiled = this.task(branch, item[branch], joinPointer(ptr, 'fork', 'branches', i, branch), cluster);
          this.edge(head, compiled.entry, 'branch');
          for (const o of compiled.outs) {
            if (o.then === 'end') this.edge(o.from, 'end', 'jump', o.label ?? 'end');
            else this.edge(o.from, join, 'join', o.label);
          }
        });
        return { entry: head, outs: withThen([{ from: join }]) };
      }
      default: {
        const id = this.node({ id: ptr, kind, label, ...(detail ? { detail } : {}), ...at });
        // `raise` never continues: its error goes to the nearest catch or faults the workflow.
        return { entry: id, outs: kind === 'raise' ? [] : withThen([{ from: id }]) };
      }
    }
  }
}

function omitParent(n: DiagramNode): DiagramNode {
  const { parent: _parent, ...rest } = n;
  return rest;
}

/** The graph of a workflow document (the stored JSON form of what was registered). */
export function buildDiagram(document: unknown): Diagram {
  const b = new Builder();
  b.node({ id: 'start', kind: 'start', label: 'start' });
  const root = isObject(document) ? b.list(document.do, '/do', undefined) : b.list([], '/do', undefined);
  b.node({ id: 'end', kind: 'end', label: 'end' });
  b.edge('start', root.entry, 'next');
  for (const o of root.outs) b.edge(o.from, 'end', o.kind ?? 'next', o.label);
  // A workflow that can only fault (its last step raises) has no way to the end: no dangling node.
  const nodes = b.edges.some((e) => e.to === 'end') ? b.nodes : b.nodes.filter((n) => n.id !== 'end');
  return { nodes, edges: b.edges, clusters: b.clusters };
}

/**
 * The node a JSON pointer (an error's `instance`, a history `task_ref`) lands on: the node whose
 * id is the longest prefix of it (an error inside a task's `with` still marks the task).
 */
export function nodeForPointer(diagram: Diagram, pointer: string | undefined | null): string | undefined {
  if (!pointer) return undefined;
  let best: string | undefined;
  for (const n of diagram.nodes) {
    if (!n.id.startsWith('/')) continue;
    if ((pointer === n.id || pointer.startsWith(`${n.id}/`)) && (!best || n.id.length > best.length)) best = n.id;
  }
  return best;
}
