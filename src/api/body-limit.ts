/**
 * The request body cap (413 past `maxSize` bytes), judged by Content-Length without touching the
 * body; only a body without one (chunked) is counted as it streams, by hono's `bodyLimit`.
 *
 * Why not `bodyLimit` alone: it reads `c.req.raw.body` before anything else, and on Node that
 * builds a full web `Request` with a stream over the socket for every request, GETs included
 * (@hono/node-server makes it lazily, and reads a body straight from the socket until then). That
 * cost 0.3 ms of the 3.4 ms an API start took in the server, and the later `c.req.text()` then
 * went through the web stream as well.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';

export function bodyCap(options: { maxSize: number; onError: (c: Context) => Response | Promise<Response> }): MiddlewareHandler {
  const streamed = bodyLimit(options);
  return async (c, next) => {
    // Our GET and HEAD routes never read a body.
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    const length = c.req.header('content-length');
    // With both headers the body is chunked (RFC 9112 §6.3): count it.
    if (length !== undefined && c.req.header('transfer-encoding') === undefined) {
      return Number.parseInt(length, 10) > options.maxSize ? options.onError(c) : next();
    }
    return streamed(c, next);
  };
}
