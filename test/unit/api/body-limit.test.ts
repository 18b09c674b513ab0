/**
 * bodyCap (src/api/body-limit.ts): 413 past the cap by Content-Length without touching the body —
 * on Node, touching `raw.body` builds a web Request and stream for every request — and by
 * counting a body sent without one; a body within the cap reaches the route intact.
 */
import { Hono } from 'hono';
import { expect, test } from 'vitest';
import { bodyCap } from '../../../src/api/body-limit.ts';

function app() {
  const a = new Hono();
  a.use('*', bodyCap({ maxSize: 100, onError: (c) => c.text('too large', 413) }));
  a.post('/echo', async (c) => c.text(await c.req.text()));
  a.get('/get', (c) => c.text('ok'));
  return a;
}

/** `req` with a `body` that throws when read: whoever touches it fails the request. */
function untouchable(req: Request): Request {
  return new Proxy(req, {
    get(target, prop) {
      if (prop === 'body') throw new Error('the body was touched');
      const v = Reflect.get(target, prop, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

test('with Content-Length: judged by it, the body untouched; within the cap it reaches the route', async () => {
  const big = new Request('http://x/echo', { method: 'POST', body: 'x'.repeat(101), headers: { 'content-length': '101' } });
  expect((await app().fetch(untouchable(big))).status).toBe(413);
  const get = new Request('http://x/get');
  expect((await app().fetch(untouchable(get))).status).toBe(200);
  const small = await app().request('/echo', { method: 'POST', body: 'hello', headers: { 'content-length': '5' } });
  expect(small.status).toBe(200);
  expect(await small.text()).toBe('hello');
});

test('without Content-Length (or chunked): the body is counted as it streams', async () => {
  const stream = (n: number) =>
    new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < n; i += 10) c.enqueue(new Uint8Array(10).fill(97));
        c.close();
      },
    });
  const over = await app().request('/echo', { method: 'POST', body: stream(200), duplex: 'half' } as RequestInit);
  expect(over.status).toBe(413);
  const within = await app().request('/echo', { method: 'POST', body: stream(50), duplex: 'half' } as RequestInit);
  expect(within.status).toBe(200);
  expect(await within.text()).toBe('a'.repeat(50));
  const chunked = await app().request('/echo', {
    method: 'POST',
    body: stream(200),
    headers: { 'content-length': '5', 'transfer-encoding': 'chunked' },
    duplex: 'half',
  } as RequestInit);
  expect(chunked.status).toBe(413);
});
