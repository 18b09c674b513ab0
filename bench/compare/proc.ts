/**
 * Worker processes for the comparison: every system's workers run in their own OS process(es),
 * apart from the process that enqueues and observes, so no system shares an event loop with the
 * harness. Peers run bench/compare/child.ts; Weir runs the real `weir worker`.
 */
import { spawn, type ChildProcess } from 'node:child_process';

const repo = new URL('../../', import.meta.url).pathname;

export interface Proc {
  child: ChildProcess;
  /** Resolves when the process prints a line `ready` (peers' child.ts does). */
  ready: Promise<void>;
  output: string[];
  send(line: string): void;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();

/** Kills every worker process still running (an interrupted run leaves none behind). */
export function killAll(): void {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}

/**
 * `cwd`: another checkout to run the script from (the `--baseline` rows); default this one. A
 * TypeScript script runs through tsx; a compiled one (`.js`) as it is.
 */
export function spawnNode(args: string[], env: Record<string, string>, nodeArgs: string[] = [], cwd = repo): Proc {
  const loader = args[0]?.endsWith('.js') ? [] : ['--import', 'tsx'];
  const child = spawn(process.execPath, [...nodeArgs, ...loader, ...args], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  const output: string[] = [];
  let markReady: () => void = () => {};
  let failReady: (e: Error) => void = () => {};
  const ready = new Promise<void>((resolve, reject) => {
    markReady = resolve;
    failReady = reject;
  });
  ready.catch(() => {});
  let buffer = '';
  child.stdout?.on('data', (b: Buffer) => {
    buffer += b.toString();
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (line.trim() === 'ready') markReady();
      else keep(line);
    }
  });
  const keep = (s: string) => {
    output.push(s);
    if (output.length > 100) output.shift();
  };
  child.stderr?.on('data', (b: Buffer) => keep(b.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('exit', (code) => failReady(new Error(`worker exited (${code}) before ready:\n${output.join('\n').slice(-2000)}`)));
  return {
    child,
    ready,
    output,
    send: (line) => void child.stdin?.write(`${line}\n`),
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const killed = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(killed);
    },
  };
}
