/**
 * Bundles the files no runtime may read from disk into `src/generated/*.ts`:
 * `sql/*.sql` (hand-written installs) and `drizzle/` (generated migrations, in journal order).
 * `--check` regenerates in memory and fails when a committed file differs (CI runs it).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const check = process.argv.includes('--check');
const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const header = '// generated — do not edit. Source: scripts/generate.ts (npm run generate).\n';

function migrationsModule(): string {
  const sqlDir = join(root, 'sql');
  const installs = readdirSync(sqlDir)
    .filter((f) => /^\d\d_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((name) => {
      const text = readFileSync(join(sqlDir, name), 'utf8');
      return { name, hash: sha(text), sql: text };
    });
  const journal = JSON.parse(readFileSync(join(root, 'drizzle/meta/_journal.json'), 'utf8')) as {
    entries: { idx: number; tag: string; when: number }[];
  };
  const migrations = journal.entries
    .sort((a, b) => a.idx - b.idx)
    .map((e) => {
      const text = readFileSync(join(root, 'drizzle', `${e.tag}.sql`), 'utf8');
      const statements = text
        .split('--> statement-breakpoint')
        .map((s) => s.trim())
        .filter(Boolean);
      return { tag: e.tag, hash: sha(text), statements };
    });
  return (
    header +
    `export interface SqlInstall { name: string; hash: string; sql: string }\n` +
    `export interface Migration { tag: string; hash: string; statements: string[] }\n\n` +
    `export const sqlInstalls: SqlInstall[] = ${JSON.stringify(installs, null, 2)};\n\n` +
    `export const migrations: Migration[] = ${JSON.stringify(migrations, null, 2)};\n`
  );
}

async function openApiJson(): Promise<string> {
  const { createApp, openApiInfo } = await import('../src/api/app.ts');
  const { loadConfig } = await import('../src/config.ts');
  const { Lifecycle } = await import('../src/lifecycle.ts');
  const { createLogger } = await import('../src/log.ts');
  const unused = () => {
    throw new Error('the OpenAPI generator must not touch the store');
  };
  const store = { driver: 'postgres', sql: unused, migrate: unused, check: unused, close: unused } as never;
  const app = createApp({ config: loadConfig({}), store, lifecycle: new Lifecycle(), log: createLogger('silent') });
  return `${JSON.stringify(app.getOpenAPI31Document(openApiInfo), null, 2)}\n`;
}

const outputs: Record<string, () => string | Promise<string>> = {
  'src/generated/migrations.ts': migrationsModule,
  'openapi/openapi.json': openApiJson,
};

let stale = 0;
mkdirSync(join(root, 'src/generated'), { recursive: true });
for (const [path, make] of Object.entries(outputs)) {
  const text = await make();
  const file = join(root, path);
  const current = existsSync(file) ? readFileSync(file, 'utf8') : '';
  if (current === text) continue;
  if (check) {
    console.error(`${path} is stale: run \`npm run generate\` and commit the result`);
    stale++;
  } else {
    writeFileSync(file, text);
    console.log(`wrote ${path}`);
  }
}
if (stale) process.exit(1);
