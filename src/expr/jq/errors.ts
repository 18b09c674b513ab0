/**
 * Errors: `JqError` is the only error the public API throws. Inside the evaluator, jq-level
 * errors travel as `ValueError` (catchable by `try`), and `break $label` as `BreakSignal`.
 */

export type JqErrorCode = 'parse' | 'compile' | 'runtime' | 'limit';

export class JqError extends Error {
  readonly code: JqErrorCode;
  readonly line?: number;
  readonly column?: number;
  /** The `error(value)` payload (or jq's message string) for runtime errors. */
  readonly value?: unknown;

  constructor(
    code: JqErrorCode,
    message: string,
    extra?: { line?: number; column?: number; value?: unknown; cause?: unknown },
  ) {
    super(message, extra?.cause === undefined ? undefined : { cause: extra.cause });
    this.name = 'JqError';
    this.code = code;
    if (extra?.line !== undefined) this.line = extra.line;
    if (extra?.column !== undefined) this.column = extra.column;
    if (extra && 'value' in extra) this.value = extra.value;
  }
}

/**
 * A jq runtime error. `value` is what `try … catch .` sees (jq's wording, which may describe the
 * input value); `safe` is a variant naming only types, used for the public message so that values
 * — which may come from `$secrets` — never reach logs through `JqError.message`.
 */
export class ValueError {
  readonly value: unknown;
  readonly safe: string | undefined;
  constructor(value: unknown, safe?: string) {
    this.value = value;
    this.safe = safe;
  }
}

/** `break $name`: unwinds to the `label` invocation whose identity object it carries. */
export class BreakSignal {
  readonly label: object;
  constructor(label: object) {
    this.label = label;
  }
}

export function positionOf(src: string, offset: number): { line: number; column: number } {
  let line = 1;
  let last = -1;
  for (let i = 0; i < offset && i < src.length; i++) {
    if (src.charCodeAt(i) === 10) {
      line++;
      last = i;
    }
  }
  return { line, column: offset - last };
}

/** Throws a jq runtime error with a message (the catchable value) and an optional redacted variant. */
export function fail(message: string, safe?: string): never {
  throw new ValueError(message, safe);
}
