/**
 * Every runtime expression in a document, with its pointer, so all of them can be compiled once at
 * registration and a syntax error is reported before anything runs.
 *
 * Two kinds of positions:
 * - **expression fields** hold jq whether or not it is wrapped in `${ }` (`if`, switch `when`,
 *   `for.in`, `while`, `input.from` / `output.as` / `export.as` strings, catch and retry
 *   `when`/`exceptWhen`, listen `until`, correlation `from`, extension `when`, `set` as a string).
 *   The CTK writes these bare (`when: '.color == "red"'`, `output: { as: .id }`).
 * - **value positions** (`set` values, call `with` arguments, endpoints, headers, event
 *   properties, error fields, durations, `run.workflow.input`, object forms of `from`/`as`) are
 *   literals unless a string is a whole `${ … }`; they are searched recursively.
 */
import { expressionSource, isRuntimeExpression } from './normalize.ts';
import { joinPointer, parsePointer, toPointer } from './pointer.ts';
import { isPlainObject } from './schema/helpers.ts';
import { unsupportedCalls } from './schema/tasks.ts';
import { walkDocument } from './walk.ts';

export type ExpressionSite = {
  /** JSON pointer of the string holding the expression. */
  pointer: string;
  /** The jq program, without `${ }`. */
  source: string;
  /** `field` when the position always holds an expression; `value` when it was found by `${ }`. */
  kind: 'field' | 'value';
  /**
   * Variable names (without `$`) in scope besides {@link runtimeVariables}: `for.each`/`for.at`
   * inside a loop, `catch.as` inside a catch, `foreach.item`/`foreach.at` inside a listen iterator.
   */
  variables: string[];
};

/** Arguments every expression may use (dsl.md "Runtime expression arguments"), without `$`. */
export const runtimeVariables = ['context', 'input', 'output', 'secrets', 'task', 'workflow', 'runtime', 'authorization'] as const;

/**
 * Lists the runtime expressions of a document (valid or not; odd shapes are skipped), in document order.
 *
 * @example
 * expressionsOf(workflow).map((e) => e.pointer) // ['/do/0/check/if', '/do/1/setX/set/x', ...]
 */
export function expressionsOf(doc: unknown): ExpressionSite[] {
  const sites: ExpressionSite[] = [];
  if (!isPlainObject(doc)) return sites;
  /** Variables in scope for the tasks of each list, by list pointer. */
  const listScopes = new Map<string, string[]>();
  let scope: string[] = [];

  const field = (value: unknown, pointer: string) => {
    if (typeof value === 'string') sites.push({ pointer, source: expressionSource(value), kind: 'field', variables: scope });
  };
  const values = (value: unknown, pointer: string) => {
    if (isRuntimeExpression(value)) sites.push({ pointer, source: expressionSource(value), kind: 'value', variables: scope });
    else if (Array.isArray(value)) value.forEach((v, i) => values(v, joinPointer(pointer, i)));
    else if (isPlainObject(value)) for (const [k, v] of Object.entries(value)) values(v, joinPointer(pointer, k));
  };
  /** `input` / `output` / `export`: a string is an expression field; an object is searched. */
  const dataFlow = (holder: unknown, pointer: string, key: 'from' | 'as') => {
    if (!isPlainObject(holder)) return;
    const v = holder[key];
    if (typeof v === 'string') field(v, joinPointer(pointer, key));
    else values(v, joinPointer(pointer, key));
  };
  const timeout = (t: unknown, pointer: string) => {
    if (isPlainObject(t)) values(t.after, joinPointer(pointer, 'after'));
  };
  const retry = (r: unknown, pointer: string) => {
    if (!isPlainObject(r)) return;
    field(r.when, joinPointer(pointer, 'when'));
    field(r.exceptWhen, joinPointer(pointer, 'exceptWhen'));
    for (const key of ['delay', 'limit', 'jitter']) values(r[key], joinPointer(pointer, key));
  };
  const eventFilter = (f: unknown, pointer: string) => {
    if (!isPlainObject(f)) return;
    values(f.with, joinPointer(pointer, 'with'));
    if (isPlainObject(f.correlate)) {
      for (const [name, c] of Object.entries(f.correlate)) {
        if (!isPlainObject(c)) continue;
        field(c.from, joinPointer(pointer, 'correlate', name, 'from'));
        values(c.expect, joinPointer(pointer, 'correlate', name, 'expect'));
      }
    }
  };
  const strategy = (s: unknown, pointer: string) => {
    if (!isPlainObject(s)) return;
    for (const key of ['all', 'any'] as const) {
      if (Array.isArray(s[key])) (s[key] as unknown[]).forEach((f, i) => eventFilter(f, joinPointer(pointer, key, i)));
    }
    eventFilter(s.one, joinPointer(pointer, 'one'));
    if (typeof s.until === 'string') field(s.until, joinPointer(pointer, 'until'));
    else strategy(s.until, joinPointer(pointer, 'until'));
  };

  dataFlow(doc.input, '/input', 'from');
  timeout(doc.timeout, '/timeout');
  if (isPlainObject(doc.use)) {
    const use = doc.use;
    if (isPlainObject(use.errors)) for (const [n, e] of Object.entries(use.errors)) values(e, joinPointer('/use/errors', n));
    if (isPlainObject(use.authentications)) for (const [n, a] of Object.entries(use.authentications)) values(a, joinPointer('/use/authentications', n));
    if (isPlainObject(use.retries)) for (const [n, r] of Object.entries(use.retries)) retry(r, joinPointer('/use/retries', n));
    if (isPlainObject(use.timeouts)) for (const [n, t] of Object.entries(use.timeouts)) timeout(t, joinPointer('/use/timeouts', n));
    if (Array.isArray(use.extensions)) {
      use.extensions.forEach((item, i) => {
        if (!isPlainObject(item)) return;
        for (const [n, ext] of Object.entries(item)) if (isPlainObject(ext)) field(ext.when, joinPointer('/use/extensions', i, n, 'when'));
      });
    }
  }
  if (isPlainObject(doc.schedule)) strategy(doc.schedule.on, '/schedule/on');

  walkDocument(doc, {
    task({ task, pointer }) {
      const at = (...segments: Array<string | number>) => joinPointer(pointer, ...segments);
      const outer = listScopes.get(parentList(pointer)) ?? [];
      const name = (v: unknown, fallback: string) => (typeof v === 'string' ? v : fallback);
      const loop = isPlainObject(task.for) ? [...outer, name(task.for.each, 'item'), name(task.for.at, 'index')] : outer;
      const caught = isPlainObject(task.catch) ? [...outer, name(task.catch.as, 'error')] : outer;
      const iterated = isPlainObject(task.foreach) ? [...outer, name(task.foreach.item, 'item'), name(task.foreach.at, 'index')] : outer;
      listScopes.set(at('do'), loop);
      listScopes.set(at('fork', 'branches'), outer);
      listScopes.set(at('try'), outer);
      listScopes.set(at('catch', 'do'), caught);
      listScopes.set(at('foreach', 'do'), iterated);
      scope = outer;
      field(task.if, at('if'));
      dataFlow(task.input, at('input'), 'from');
      timeout(task.timeout, at('timeout'));

      // Unsupported protocols are refused anyway; their arguments (asyncapi iterators with their own
      // variables, …) are not scoped here, so their expressions are not reported.
      if (Object.hasOwn(task, 'call') && !(unsupportedCalls as readonly unknown[]).includes(task.call)) values(task.with, at('with'));
      if (isPlainObject(task.emit)) values(task.emit.event, at('emit', 'event'));
      if (isPlainObject(task.for)) field(task.for.in, at('for', 'in'));
      scope = loop;
      if (Object.hasOwn(task, 'for')) field(task.while, at('while'));
      scope = outer;
      if (isPlainObject(task.listen)) strategy(task.listen.to, at('listen', 'to'));
      if (isPlainObject(task.raise)) values(task.raise.error, at('raise', 'error'));
      if (isPlainObject(task.run) && isPlainObject(task.run.workflow)) values(task.run.workflow.input, at('run', 'workflow', 'input'));
      if (Object.hasOwn(task, 'set')) {
        if (typeof task.set === 'string') field(task.set, at('set'));
        else values(task.set, at('set'));
      }
      if (Array.isArray(task.switch)) {
        task.switch.forEach((item, i) => {
          if (!isPlainObject(item)) return;
          for (const [n, c] of Object.entries(item)) if (isPlainObject(c)) field(c.when, at('switch', i, n, 'when'));
        });
      }
      if (Object.hasOwn(task, 'try') && isPlainObject(task.catch)) {
        scope = caught;
        field(task.catch.when, at('catch', 'when'));
        field(task.catch.exceptWhen, at('catch', 'exceptWhen'));
        retry(task.catch.retry, at('catch', 'retry'));
        scope = outer;
      }
      if (Object.hasOwn(task, 'wait')) values(task.wait, at('wait'));
      if (isPlainObject(task.foreach)) {
        scope = iterated;
        dataFlow(task.foreach.output, at('foreach', 'output'), 'as');
        dataFlow(task.foreach.export, at('foreach', 'export'), 'as');
        scope = outer;
      }

      dataFlow(task.output, at('output'), 'as');
      dataFlow(task.export, at('export'), 'as');
    },
  });
  scope = [];
  dataFlow(doc.output, '/output', 'as');
  return sites;
}

/** `/do/0/loop/do/1/step` → `/do/0/loop/do` (the list holding the task). */
function parentList(taskPointer: string): string {
  return toPointer(parsePointer(taskPointer).slice(0, -2));
}
