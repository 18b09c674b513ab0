/**
 * Which database errors are the database being away for a moment — a connection dropped or
 * refused, a backend terminated, a server starting or out of connection slots — as opposed to a
 * mistake that trying again will not fix (a bad URL's password, a migration that does not apply,
 * a connection budget too small). Start-up retries the first kind with back-off; the second ends
 * the process with its message.
 */

/** postgres.js's own connection error codes. */
const DRIVER_CODES = new Set(['CONNECTION_CLOSED', 'CONNECTION_DESTROYED', 'CONNECTION_ENDED', 'CONNECT_TIMEOUT']);
/** Node socket and resolver errors of a network or server that is not there yet. */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
/**
 * SQLSTATEs: class 08 (connection exception), 57P01 admin shutdown (pg_terminate_backend),
 * 57P02 crash shutdown, 57P03 cannot connect now (starting up or in recovery), 53300 too many
 * connections, 40001 / 40P01 serialization failure and deadlock (another replica racing us).
 */
const SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300', '40001', '40P01']);

export function isTransientDbError(error: unknown): boolean {
  for (let e = error, depth = 0; e && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (DRIVER_CODES.has(code) || SOCKET_CODES.has(code) || SQLSTATES.has(code) || /^08/.test(code))) return true;
    // An AggregateError (several addresses refused) is transient when all of its errors are.
    const errors = (e as { errors?: unknown }).errors;
    if (Array.isArray(errors) && errors.length && errors.every(isTransientDbError)) return true;
  }
  return false;
}

export interface RetryOptions {
  /** Gives up (rethrowing the last error) once this many ms have passed since the first try. */
  deadlineMs: number;
  /** First back-off; doubles per failure up to `maxDelayMs`, each jittered to 50–100 %. */
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** Told of each transient failure before the wait (log it). */
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
  signal?: AbortSignal;
}

/** Runs `fn` until it succeeds, retrying transient database errors with capped, jittered back-off. */
export async function retryTransient<T>(fn: () => Promise<T>, options: RetryOptions): Promise<T> {
  const start = Date.now();
  let delay = options.initialDelayMs ?? 250;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      const wait = Math.round(delay * (0.5 + Math.random() / 2));
      if (!isTransientDbError(error) || options.signal?.aborted || Date.now() - start + wait > options.deadlineMs) throw error;
      options.onRetry?.(error, attempt, wait);
      await new Promise((resolve) => setTimeout(resolve, wait));
      delay = Math.min(delay * 2, options.maxDelayMs ?? 5_000);
    }
  }
}
