/**
 * A TCP proxy on 127.0.0.1 that delays every chunk in both directions (a slow network to the
 * database). Order is kept per direction: a chunk leaves `delayMs` after it arrived, never before
 * the one ahead of it (one FIFO per direction). `cutAll()` drops every open connection at once, like a network blip.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface DelayProxy {
  port: number;
  /** Postgres URL through the proxy (same user and database as `target`). */
  url(target: string): string;
  setDelay(ms: number, jitterMs?: number): void;
  /** Open client connections. */
  readonly open: number;
  cutAll(): number;
  close(): Promise<void>;
}

export async function startDelayProxy(upstreamPort: number, delayMs = 0, jitterMs = 0): Promise<DelayProxy> {
  let delay = delayMs;
  let jitter = jitterMs;
  const sockets = new Set<Socket>();
  // Each direction is a FIFO drained by one timer at a time. Not a setTimeout per chunk: two
  // timers due in the same millisecond but made with different durations fire in either order,
  // which reordered the byte stream (a ReadyForQuery overtaking the CommandComplete before it
  // made postgres.js hand one query's rows to the next — seen as a migration reading no rows).
  const pipe = (from: Socket, to: Socket) => {
    const queue: { at: number; chunk: Buffer | null }[] = []; // null: end of stream
    let timer: ReturnType<typeof setTimeout> | undefined;
    const drain = () => {
      timer = undefined;
      while (queue.length && queue[0].at <= Date.now()) {
        const { chunk } = queue.shift()!;
        if (to.destroyed) continue;
        if (chunk) to.write(chunk);
        else to.end();
      }
      if (queue.length) timer = setTimeout(drain, Math.max(0, queue[0].at - Date.now()));
    };
    const push = (chunk: Buffer | null) => {
      const last = queue.length ? queue[queue.length - 1].at : 0;
      // A chunk never leaves before the one ahead of it, whatever its own delay.
      queue.push({ at: Math.max(Date.now() + delay + Math.random() * jitter, last), chunk });
      if (!timer) timer = setTimeout(drain, Math.max(0, queue[0].at - Date.now()));
    };
    from.on('data', (chunk: Buffer) => push(chunk));
    from.on('end', () => push(null));
    from.on('error', () => to.destroy());
    from.on('close', () => {
      const last = queue.length ? queue[queue.length - 1].at : Date.now();
      setTimeout(() => to.destroy(), Math.max(0, last - Date.now()) + 10);
    });
  };
  const server: Server = createServer((client) => {
    const upstream = connect(upstreamPort, '127.0.0.1');
    sockets.add(client);
    sockets.add(upstream);
    client.on('close', () => sockets.delete(client));
    upstream.on('close', () => sockets.delete(upstream));
    pipe(client, upstream);
    pipe(upstream, client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    url: (target) => {
      const u = new URL(target);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    setDelay: (ms, j = 0) => {
      delay = ms;
      jitter = j;
    },
    get open() {
      return sockets.size / 2;
    },
    cutAll: () => {
      const n = sockets.size / 2;
      for (const s of sockets) s.destroy();
      return n;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
