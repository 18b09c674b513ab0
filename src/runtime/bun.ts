/**
 * Bun entry: `bun src/runtime/bun.ts serve|api|worker|dev|migrate`. Serves the same Hono app with
 * `Bun.serve` and runs the same runner loops as the Node entry (src/runtime/start.ts); SIGTERM/SIGINT
 * drain within WEIR_SHUTDOWN_TIMEOUT. The single binary (scripts/build-binary.ts) is this entry
 * compiled with `bun build --compile`, plus embedded PGlite assets (src/runtime/binary.ts).
 */
import { loadConfig } from '../config.ts';
import { WeirError } from '../errors.ts';
import { migrateOnce } from './migrate-command.ts';
import type { PgliteExtraOptions } from '../store/pglite.ts';
import { commands, envWithFlags, roleOf, startProcess, type Command, type Listen } from './start.ts';

/** The few Bun APIs used here, declared locally so the project's Node typecheck stays clean. */
interface BunApi {
  version: string;
  serve(options: {
    port: number;
    hostname: string;
    fetch: (request: Request) => Response | Promise<Response>;
    /** Seconds; Bun's default (10) would cut long `?wait=` starts short. */
    idleTimeout?: number;
  }): { port: number; stop(closeActiveConnections?: boolean): Promise<void> };
}
const Bun = (globalThis as unknown as { Bun: BunApi }).Bun;

export const bunListen: Listen = async (fetch, { port, hostname }) => {
  const server = Bun.serve({ port, hostname, fetch, idleTimeout: 255 });
  return { port: server.port, close: () => server.stop(false) };
};

export interface BunMainOptions {
  /** Lays down a pre-migrated data directory on a first start (the single binary). */
  prepareDataDir?: (dataDir: string) => Promise<void>;
  /** Program name in messages. */
  name?: string;
  /** Extra PGlite options (the single binary's embedded WASM and file bundle). */
  pglite?: () => Promise<PgliteExtraOptions>;
}

export { exitOnSignals } from './signals.ts';
import { exitOnSignals } from './signals.ts';

export async function main(argv: string[], options: BunMainOptions = {}): Promise<number> {
  const name = options.name ?? 'weir (bun)';
  const [command = 'serve', ...args] = argv;
  if (command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(`${name} <${commands.join('|')}> [--port N] [--host ADDR] [--data-dir DIR] [--database-url URL]\n`);
    return 0;
  }
  if (!(commands as readonly string[]).includes(command)) {
    process.stderr.write(`${name}: unknown command "${command}"; use one of ${commands.join(', ')}\n`);
    return 2;
  }
  const env = envWithFlags(args, process.env);
  if (command === 'dev') delete env.DATABASE_URL;
  const config = loadConfig(env);
  if (command === 'migrate') {
    process.stdout.write(await migrateOnce(config, options.prepareDataDir, options.pglite));
    return 0;
  }
  const proc = await startProcess({
    config,
    env,
    role: roleOf(command as Command),
    listen: bunListen,
    runtime: { name: 'weir-bun', version: Bun.version },
    ...(options.prepareDataDir ? { prepareDataDir: options.prepareDataDir } : {}),
    ...(options.pglite ? { pglite: options.pglite } : {}),
  });
  exitOnSignals(proc);
  return -1;
}

export function runMain(argv: string[], options: BunMainOptions = {}): void {
  main(argv, options).then(
    (code) => {
      if (code >= 0) process.exit(code);
    },
    (error: unknown) => {
      const message = error instanceof WeirError ? error.message : `unexpected error: ${(error as Error)?.stack ?? error}`;
      process.stderr.write(`weir: ${message}\n`);
      process.exit(1);
    },
  );
}

if ((import.meta as ImportMeta & { main?: boolean }).main) runMain(process.argv.slice(2));
