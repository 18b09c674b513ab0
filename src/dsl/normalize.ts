/**
 * Helpers that give the interpreter a convenient view of a validated workflow without changing its
 * shape: tasks stay where they are in the document and are addressed by JSON pointer (`/do/0/name`).
 */
import type { Task, TaskItem, TaskKind, Workflow } from './model.ts';
import { taskKinds } from './model.ts';
import { joinPointer, resolvePointer } from './pointer.ts';

/**
 * The kind of a task, by its discriminating key (a `for` task also has `do`; `for` wins).
 *
 * @example
 * taskKindOf({ set: { a: 1 } }) // 'set'
 */
export function taskKindOf(task: Task): TaskKind;
export function taskKindOf(task: unknown): TaskKind | undefined;
export function taskKindOf(task: unknown): TaskKind | undefined {
  if (task === null || typeof task !== 'object' || Array.isArray(task)) return undefined;
  return taskKinds.find((k) => Object.hasOwn(task, k));
}

/** `[name, task]` of a task list entry `{ name: task }`. */
export function taskEntry(item: TaskItem): [name: string, task: Task] {
  const [name] = Object.keys(item);
  return [name!, item[name!]!];
}

/** A task list as `{ name, task, pointer }` records; `listPointer` is the list's own pointer, e.g. `/do`. */
export function taskEntries(list: TaskItem[], listPointer: string): Array<{ name: string; task: Task; pointer: string; index: number }> {
  return list.map((item, index) => {
    const [name, task] = taskEntry(item);
    return { name, task, index, pointer: joinPointer(listPointer, index, name) };
  });
}

/** The task at `pointer` (e.g. `/do/1/loop/do/0/step`), or `undefined` when the pointer names no task. */
export function taskAt(workflow: Workflow, pointer: string): Task | undefined {
  const node = resolvePointer(workflow, pointer);
  return taskKindOf(node) ? (node as Task) : undefined;
}

const wrapped = /^\s*\$\{(.+)\}\s*$/s;

/** True for a `${ … }` string. */
export function isRuntimeExpression(value: unknown): value is string {
  return typeof value === 'string' && wrapped.test(value);
}

/**
 * The jq program inside `${ … }`; a string without the wrapper is returned trimmed (for fields that
 * are always expressions, such as `if`, `when`, `for.in`, `output.as`, where the CTK writes bare jq).
 *
 * @example
 * expressionSource('${ .a + 1 }') // '.a + 1'
 * expressionSource('.color == "red"') // '.color == "red"'
 */
export function expressionSource(value: string): string {
  const m = wrapped.exec(value);
  return (m ? m[1]! : value).trim();
}
