/**
 * Deno entry: `deno run -A src/runtime/deno.ts serve|api|worker|dev|migrate` (or `deno task serve`).
 * Serves the same Hono app with `Deno.serve` and runs the same runner loops as the Node entry
 * (src/runtime/start.ts); SIGTERM/SIGINT drain within WEIR_SHUTDOWN_TIMEOUT. npm dependencies come
 * from deno.json's import map, resolved from node_modules (`"nodeModulesDir": "manual"`).
 */
import { loadConfig } from '../config.ts';
import { WeirError } from '../errors.ts';
import { migrateOnce } from './migrate-command.ts';
import { commands, envWithFlags, roleOf, startProcess, type Command, type Listen, type StartedProcess } from './start.ts';

/** The few Deno APIs used here, declared locally so the project's Node typecheck stays clean. */
interface DenoApi {
  args: string[];
  env: { toObject(): Record<string, string> };
  version: { deno: string };
  serve(
    options: { port: number; hostname: string; signal?: AbortSignal; onListen?: (addr: { port: number }) => void },
    handler: (request: Request) => Response | Promise<Response>,
  ): { finished: Promise<void>; shutdown(): Promise<void>; addr: { port: number } };
  addSignalListener(signal: 'SIGTERM' | 'SIGINT', handler: () => void): void;
  exit(code: number): never;
  stdout: { writeSync(bytes: Uint8Array): number };
  stderr: { writeSync(bytes: Uint8Array): number };
}
const Deno = (globalThis as unknown as { Deno: DenoApi }).Deno;

export const denoListen: Listen = (fetch, { port, hostname }) =>
  new Promise((resolve) => {
    const server = Deno.serve({ port, hostname, onListen: (addr) => resolve({ port: addr.port, close: () => server.shutdown() }) }, fetch);
  });

/** Wires SIGTERM/SIGINT to a graceful stop, then exits. */
export function exitOnSignals(proc: StartedProcess): void {
  let once = false;
  const onSignal = (signal: string) => () => {
    if (once) return;
    once = true;
    proc.stop(signal).then(
      () => Deno.exit(0),
      () => Deno.exit(1),
    );
  };
  Deno.addSignalListener('SIGTERM', onSignal('SIGTERM'));
  Deno.addSignalListener('SIGINT', onSignal('SIGINT'));
}

export async function main(argv: string[]): Promise<number> {
  const [command = 'serve', ...args] = argv;
  if (!(commands as readonly string[]).includes(command)) {
    Deno.stderr.writeSync(new TextEncoder().encode(`weir (deno): unknown command "${command}"; use one of ${commands.join(', ')}\n`));
    return 2;
  }
  const env = envWithFlags(args, Deno.env.toObject());
  if (command === 'dev') delete env.DATABASE_URL;
  const config = loadConfig(env);
  if (command === 'migrate') {
    Deno.stdout.writeSync(new TextEncoder().encode(await migrateOnce(config)));
    return 0;
  }
  const proc = await startProcess({ config, env, role: roleOf(command as Command), listen: denoListen, runtime: { name: 'weir-deno', version: Deno.version.deno } });
  exitOnSignals(proc);
  return -1;
}

if ((import.meta as ImportMeta & { main?: boolean }).main) {
  main(Deno.args).then(
    (code) => {
      if (code >= 0) Deno.exit(code);
    },
    (error: unknown) => {
      const message = error instanceof WeirError ? error.message : `unexpected error: ${(error as Error)?.stack ?? error}`;
      Deno.stderr.writeSync(new TextEncoder().encode(`weir: ${message}\n`));
      Deno.exit(1);
    },
  );
}
