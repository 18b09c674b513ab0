/**
 * Structured JSON logs, one line per record, through `console` (present on every runtime).
 * Errors are logged with their code and message; stacks only at debug level.
 */
export type Level = 'debug' | 'info' | 'warn' | 'error' | 'silent';
const rank: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

export function createLogger(level: Level = 'info', base: Record<string, unknown> = {}, sink: (line: string) => void = (l) => console.log(l)): Logger {
  const emit = (at: Exclude<Level, 'silent'>, msg: string, fields?: Record<string, unknown>) => {
    if (rank[at] < rank[level]) return;
    const record: Record<string, unknown> = { time: new Date().toISOString(), level: at, msg, ...base };
    for (const [k, v] of Object.entries(fields ?? {})) record[k] = v instanceof Error ? describeError(v, level === 'debug') : v;
    sink(JSON.stringify(record));
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => createLogger(level, { ...base, ...fields }, sink),
  };
}

function describeError(error: Error, withStack: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = { name: error.name, message: error.message };
  const code = (error as { code?: unknown }).code;
  if (code !== undefined) out.code = code;
  if (withStack) out.stack = error.stack;
  return out;
}
