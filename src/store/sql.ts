/**
 * The one small port every hot-path query goes through. Two adapters implement it:
 * postgres.js (a real server, through `DATABASE_URL`) and PGlite (the embedded database).
 * Repositories write tagged templates with explicit casts (`${id}::uuid`) and run unchanged on both.
 */
export type Row = Record<string, unknown>;

export interface Sql {
  /** `postgres` for a real server, `pglite` for the embedded database. */
  readonly driver: 'postgres' | 'pglite';
  /** A parameterised statement: every `${value}` becomes `$n`. */
  <T = Row>(strings: TemplateStringsArray, ...values: unknown[]): Promise<T[]>;
  /**
   * A statement whose text is built by the caller (identifiers already quoted); values as `$n`.
   * `prepare`: the caller's texts are a small bounded set (one per queue, say), so this one may be
   * kept as a prepared statement like a tagged template's; left unprepared otherwise.
   */
  unsafe<T = Row>(text: string, params?: readonly unknown[], options?: { prepare?: boolean }): Promise<T[]>;
  /** Several statements without parameters (migrations, SQL installs). */
  exec(script: string): Promise<void>;
  /** One transaction; the callback's queries run in it; a throw rolls it back. */
  begin<T>(fn: (tx: Sql) => Promise<T>): Promise<T>;
}

/** A value to be sent as JSON; pair it with a `::jsonb` cast in the statement. */
export class JsonParam {
  readonly value: unknown;
  constructor(value: unknown) {
    this.value = value ?? null;
  }
}

/**
 * Marks a value to be sent as JSON; write `${json(v)}::jsonb`. Each adapter encodes it its own way.
 * JSON `null` arrives as SQL NULL on both drivers (postgres.js cannot send a jsonb 'null'), so
 * test an optional JSON parameter with `${json(x)}::jsonb IS NULL`.
 */
export function json(value: unknown): JsonParam {
  return new JsonParam(value);
}

/** Turns a tagged template into `$1…$n` text and its parameters. */
export function toQuery(strings: TemplateStringsArray, values: readonly unknown[]): { text: string; params: unknown[] } {
  let text = strings[0];
  for (let i = 1; i < strings.length; i++) text += `$${i}${strings[i]}`;
  return { text, params: [...values] };
}

/** bigint and undefined mean the same on both drivers once normalised. */
function normaliseParam(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value === undefined) return null;
  return value;
}

export type Runner = {
  /**
   * `fixed`: the text is one of a bounded set — a tagged template's (one per call site), or
   * caller-built text whose caller says so (`unsafe(…, { prepare: true })`) — and may be kept as a
   * prepared statement; other caller-built text may not.
   */
  query(text: string, params: readonly unknown[], fixed?: boolean): Promise<Row[]>;
  exec(script: string): Promise<void>;
  begin<T>(fn: (runner: Runner) => Promise<T>): Promise<T>;
};

/**
 * Builds the callable `Sql` from a driver's three primitives. `encodeJson` turns a `JsonParam`
 * into what the driver sends for a jsonb parameter (postgres.js serialises by the described
 * parameter type, so a pre-stringified value would be stored as a JSON string).
 */
export function makeSql(driver: Sql['driver'], runner: Runner, encodeJson: (value: unknown) => unknown): Sql {
  const encode = (params: readonly unknown[]) =>
    params.map((p) => (p instanceof JsonParam ? encodeJson(p.value) : normaliseParam(p)));
  const sql = (<T = Row>(strings: TemplateStringsArray, ...values: unknown[]) => {
    const { text, params } = toQuery(strings, values);
    return runner.query(text, encode(params), true) as Promise<T[]>;
  }) as Sql;
  Object.defineProperty(sql, 'driver', { value: driver });
  sql.unsafe = <T = Row>(text: string, params: readonly unknown[] = [], options?: { prepare?: boolean }) =>
    runner.query(text, encode(params), options?.prepare === true) as Promise<T[]>;
  sql.exec = (script: string) => runner.exec(script);
  sql.begin = <T>(fn: (tx: Sql) => Promise<T>) => runner.begin((inner) => fn(makeSql(driver, inner, encodeJson)));
  return sql;
}
