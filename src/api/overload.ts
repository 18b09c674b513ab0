/**
 * Load shedding for the routes that create work (starts): 429 with `Retry-After` instead of queueing
 * when this replica already has more than WEIR_OVERLOAD_POOL_WAITING callers waiting for a database
 * connection, or the queues hold more than WEIR_OVERLOAD_BACKLOG ready messages.
 *
 * Why: the connection gate queues callers without bound, so starts arriving faster than the
 * database commits them pile up in memory (every waiting request holds its body and socket) until
 * clients time out — the reliability battery (issue #11 item 5, test/chaos/overload.test.ts) drives
 * 2× the saturation rate and requires 202 or 429, never 5xx, and a bounded RSS. A client told
 * "429, retry after 1 s" backs off; one left hanging retries on its own schedule and adds load.
 *
 * The pool check is in memory (free). The backlog is read at most once a second per replica, in
 * the background, with a bounded count (src/api/queries/backlog.ts); requests use the last reading.
 */
import type { MiddlewareHandler } from 'hono';
import type { Logger } from '../log.ts';
import type { Gate } from '../store/gate.ts';
import type { Sql } from '../store/sql.ts';
import { problem, problemResponse } from './problem.ts';
import { readyBacklog } from './queries/backlog.ts';

export interface OverloadOptions {
  /** Callers waiting for a connection past which starts are refused; 0 turns the check off. */
  maxPoolWaiting: number;
  /** Ready messages past which starts are refused; 0 turns the check off. */
  maxBacklog: number;
  gate: () => Gate | undefined;
  sql: () => Sql;
  log: Logger;
  /** How old a backlog reading may be before a request triggers a new one. */
  backlogEveryMs?: number;
}

export function overload(o: OverloadOptions): MiddlewareHandler {
  const every = o.backlogEveryMs ?? 1000;
  let backlog = 0;
  let readAt = Number.NEGATIVE_INFINITY;
  let reading: Promise<void> | undefined;
  let refusedSinceLog = 0;
  let loggedAt = Number.NEGATIVE_INFINITY;
  const refreshBacklog = () => {
    if (reading || performance.now() - readAt < every) return;
    readAt = performance.now();
    reading = readyBacklog(o.sql(), o.maxBacklog)
      .then((n) => void (backlog = n))
      .catch(() => {}) // the database being away is /health/ready's business; keep the last reading
      .finally(() => (reading = undefined));
  };
  // One warning per 10 s while shedding, with the count: a log line per refused request would be
  // its own overload.
  const noteRefusal = (reason: string, fields: Record<string, number>) => {
    refusedSinceLog++;
    if (performance.now() - loggedAt < 10_000) return;
    loggedAt = performance.now();
    o.log.warn('overloaded: refusing starts with 429', { reason, refused: refusedSinceLog, ...fields });
    refusedSinceLog = 0;
  };
  return async (c, next) => {
    if (c.req.method !== 'POST') return next();
    const waiting = o.gate()?.waiting ?? 0;
    if (o.maxPoolWaiting > 0 && waiting > o.maxPoolWaiting) {
      noteRefusal('pool', { waiting, limit: o.maxPoolWaiting });
      return problemResponse(
        c,
        problem(429, 'overloaded', `${waiting} requests are waiting for a database connection (WEIR_OVERLOAD_POOL_WAITING=${o.maxPoolWaiting}); retry after 1s`),
        { 'Retry-After': '1' },
      );
    }
    if (o.maxBacklog > 0) {
      refreshBacklog();
      if (backlog > o.maxBacklog) {
        noteRefusal('backlog', { backlog, limit: o.maxBacklog });
        return problemResponse(
          c,
          problem(429, 'overloaded', `more than ${o.maxBacklog} messages are waiting to run (WEIR_OVERLOAD_BACKLOG); retry after 2s`),
          { 'Retry-After': '2' },
        );
      }
    }
    return next();
  };
}
