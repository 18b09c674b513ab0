/**
 * Visits every task list of a (possibly invalid) document: the workflow's `do`, nested `do`, `for`,
 * `fork.branches`, `try` and `catch.do`, `listen.foreach.do`, `use.functions` and extension
 * `before`/`after`. Defensive: anything that is not the expected shape is skipped (the schema
 * reports it).
 */
import { joinPointer } from './pointer.ts';
import { isPlainObject } from './schema/helpers.ts';

export type VisitedTask = { name: string; task: Record<string, unknown>; pointer: string; index: number };

export type TaskListVisit = {
  /** Pointer of the list itself (`/do`, `/do/0/loop/do`). */
  pointer: string;
  /** Entries that are `{ name: object }` maps; others are skipped. */
  tasks: VisitedTask[];
};

export type Walker = {
  list?(visit: TaskListVisit): void;
  task?(task: VisitedTask): void;
};

export function walkDocument(doc: unknown, walker: Walker): void {
  if (!isPlainObject(doc)) return;
  walkList(doc.do, '/do', walker);
  const use = doc.use;
  if (isPlainObject(use)) {
    if (isPlainObject(use.functions)) {
      for (const [name, fn] of Object.entries(use.functions)) {
        if (isPlainObject(fn)) walkTask({ name, task: fn, pointer: joinPointer('/use/functions', name), index: -1 }, walker);
      }
    }
    if (Array.isArray(use.extensions)) {
      use.extensions.forEach((item, i) => {
        if (!isPlainObject(item)) return;
        for (const [name, ext] of Object.entries(item)) {
          if (!isPlainObject(ext)) continue;
          walkList(ext.before, joinPointer('/use/extensions', i, name, 'before'), walker);
          walkList(ext.after, joinPointer('/use/extensions', i, name, 'after'), walker);
        }
      });
    }
  }
}

export function walkList(list: unknown, pointer: string, walker: Walker): void {
  if (!Array.isArray(list)) return;
  const tasks: VisitedTask[] = [];
  list.forEach((item, index) => {
    if (!isPlainObject(item)) return;
    const names = Object.keys(item);
    if (names.length !== 1) return;
    const name = names[0]!;
    const task = item[name];
    if (isPlainObject(task)) tasks.push({ name, task, index, pointer: joinPointer(pointer, index, name) });
  });
  walker.list?.({ pointer, tasks });
  for (const t of tasks) walkTask(t, walker);
}

function walkTask(t: VisitedTask, walker: Walker): void {
  walker.task?.(t);
  const { task, pointer } = t;
  // Order matters only for the order of reported issues; this is document order for each kind.
  if (Object.hasOwn(task, 'for') || Object.hasOwn(task, 'do')) walkList(task.do, joinPointer(pointer, 'do'), walker);
  if (isPlainObject(task.fork)) walkList(task.fork.branches, joinPointer(pointer, 'fork', 'branches'), walker);
  if (Object.hasOwn(task, 'try')) {
    walkList(task.try, joinPointer(pointer, 'try'), walker);
    if (isPlainObject(task.catch)) walkList(task.catch.do, joinPointer(pointer, 'catch', 'do'), walker);
  }
  if (isPlainObject(task.foreach)) walkList(task.foreach.do, joinPointer(pointer, 'foreach', 'do'), walker);
}
