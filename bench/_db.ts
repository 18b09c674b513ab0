/**
 * A migrated Postgres database for benchmarks: DATABASE_URL's server if set, else a throwaway
 * local cluster (the same provisioning as the tests). Prints the server version and key settings.
 */
import { migrate } from '../src/store/migrate.ts';
import { openPostgres } from '../src/store/postgres-js.ts';
import { provisionPostgres, withDatabase } from '../test/support/pg-cluster.ts';

export async function benchDatabase(label: string) {
  const server = await provisionPostgres();
  const name = `weir_bench_${label}_${Date.now().toString(36)}`;
  const admin = openPostgres({ url: server.url, max: 1, prepare: false });
  await admin.sql.unsafe(`CREATE DATABASE ${name}`);
  const url = withDatabase(server.url, name);
  const m = openPostgres({ url, max: 1, prepare: false });
  await migrate(m.sql);
  const [v] = await m.sql<{ v: string; mc: string; sc: string; fs: string }>`
    SELECT version() AS v, current_setting('max_connections') AS mc,
           current_setting('synchronous_commit') AS sc, current_setting('fsync') AS fs`;
  console.log(`# ${v.v.split(',')[0]} (${server.kind}); max_connections=${v.mc} synchronous_commit=${v.sc} fsync=${v.fs}`);
  await m.close();
  return {
    url,
    async close() {
      await admin.sql.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {});
      await admin.close();
      await server.stop();
    },
  };
}

export function rate(count: number, ms: number): string {
  return `${Math.round((count * 1000) / ms).toLocaleString('en-US')}/s`;
}
