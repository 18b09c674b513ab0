#!/usr/bin/env node
/**
 * `weir <command>`: serve | api | dev | migrate | help. Flags map onto the same names as the
 * environment (`--port 9000` is PORT=9000), so one config schema validates both.
 */
import { loadConfig } from '../config.ts';
import { WeirError } from '../errors.ts';
import { exitOnSignals, startNodeProcess } from '../runtime/node.ts';
import { parseFlags } from '../runtime/start.ts';
import { openStore } from '../store/open.ts';
import { acquireDataDirLock } from '../runtime/data-dir-lock.ts';
import { readFile } from 'node:fs/promises';
import { runCommand } from './run.ts';
import { validateCommand } from './validate.ts';
import { keysCommand } from './keys.ts';
import { migrateOnce } from '../runtime/migrate-command.ts';

const io = {
  readFile: (path: string) => readFile(path, 'utf8'),
  stdout: (s: string) => void process.stdout.write(s),
  stderr: (s: string) => void process.stderr.write(s),
};

const usage = `weir — durable Serverless Workflow service on Postgres

Usage: weir <command> [flags]

Commands:
  serve      HTTP API and workflow runner (embedded database when DATABASE_URL is unset)
  api        HTTP API only
  worker     workflow runner only (poll loops, no HTTP)
  dev        serve on the embedded database (ignores DATABASE_URL)
  migrate    apply database migrations and exit
  keys create --namespace NS|* --role admin|write|read [--name N]   print a new API key (shown once)
  keys list | keys revoke ID                                        manage API keys
  run FILE [--input JSON]   run a workflow file locally, in memory; print its output
  validate FILE…            validate workflow files; print every problem with its JSON pointer
  help       this text

Flags (each is also an environment variable):
  --port N             PORT (default 8080)
  --host ADDR          WEIR_HOST
  --data-dir DIR       WEIR_DATA_DIR (embedded database folder, default ./.weir/data)
  --database-url URL   DATABASE_URL
`;

export { parseFlags };

export async function main(argv: string[]): Promise<number> {
  const [command = 'help', ...args] = argv;
  switch (command) {
    case 'serve':
    case 'api':
    case 'worker':
    case 'dev': {
      const { env } = parseFlags(args, process.env);
      if (command === 'dev') delete env.DATABASE_URL;
      const config = loadConfig(env);
      const role = command === 'api' ? 'api' : command === 'worker' ? 'worker' : 'serve';
      const proc = await startNodeProcess({ config, role });
      exitOnSignals(proc);
      return -1; // keep running
    }
    case 'migrate': {
      const { env } = parseFlags(args, process.env);
      process.stdout.write(await migrateOnce(loadConfig(env)));
      return 0;
    }
    case 'keys': {
      const { env, rest } = parseFlags(args, process.env);
      const config = loadConfig(env);
      const lock = config.database.kind === 'pglite' ? acquireDataDirLock(config.database.dataDir) : undefined;
      try {
        const store = await openStore(config.database, { poolMax: 2, applicationName: 'weir-keys' });
        try {
          await store.migrate();
          return await keysCommand(rest, { sql: store.sql, ...io });
        } finally {
          await store.close();
        }
      } finally {
        lock?.release();
      }
    }
    case 'run':
      return runCommand(args, io);
    case 'validate':
      return validateCommand(args, io);
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(usage);
      return 0;
    default:
      process.stderr.write(`weir: unknown command "${command}"\n\n${usage}`);
      return 2;
  }
}

const isEntry = import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('/cli/main.js') || process.argv[1]?.endsWith('/cli/main.ts');
if (isEntry) {
  main(process.argv.slice(2)).then(
    (code) => {
      if (code >= 0) process.exitCode = code;
    },
    (error: unknown) => {
      const message = error instanceof WeirError ? error.message : `unexpected error: ${(error as Error)?.stack ?? error}`;
      process.stderr.write(`weir: ${message}\n`);
      process.exitCode = 1;
    },
  );
}
