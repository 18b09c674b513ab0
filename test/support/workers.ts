/**
 * Real `weir worker` processes for multi-process tests: `node --import tsx src/cli/main.ts worker`
 * (one OS process each, so `kill -9` kills the replica itself, not a wrapper).
 */
import { spawn, type ChildProcess } from 'node:child_process';

const repo = new URL('../../', import.meta.url).pathname;

export interface WorkerProcess {
  child: ChildProcess;
  output: string[];
  exited: Promise<number | null>;
}

export function spawnWorker(env: Record<string, string>, command: 'worker' | 'serve' = 'worker'): WorkerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', command], {
    cwd: repo,
    env: { ...process.env, WEIR_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const keep = (b: Buffer) => {
    output.push(b.toString());
    if (output.length > 200) output.shift();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output, exited };
}
