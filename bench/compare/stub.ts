/**
 * The HTTP endpoint the `call: http` steps hit: answers `{"ok":true}` at once, records nothing,
 * and keeps connections alive for a minute (the test stub closes idle ones after 1 s, so a
 * benchmark would pay a new TCP connection after every pause). Runs in its own process, so the
 * harness's sampling never delays an answer.
 */
import { createServer } from 'node:http';
import { spawnNode } from './proc.ts';

if (process.argv[2] === 'serve') {
  const body = Buffer.from('{"ok":true}');
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
      res.end(body);
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    process.stdout.write(`http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}\n`);
    process.stdout.write('ready\n');
  });
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}

export async function startBenchStub(): Promise<{ url: string; close(): Promise<void> }> {
  const p = spawnNode(['bench/compare/stub.ts', 'serve'], {});
  await p.ready;
  const url = p.output.find((l) => l.startsWith('http://'));
  if (!url) throw new Error(`the stub printed no URL: ${p.output.join('\n')}`);
  return { url: url.trim(), close: () => p.stop() };
}
