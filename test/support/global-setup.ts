/**
 * Vitest globalSetup for the `integration` project: one real Postgres for the run, one migrated
 * template database, and each test file clones its own database from it (test/support/db.ts).
 */
import type { TestProject } from 'vitest/node';
import { openPostgres } from '../../src/store/postgres-js.ts';
import { migrate } from '../../src/store/migrate.ts';
import { provisionPostgres, withDatabase } from './pg-cluster.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    pgAdminUrl: string;
    pgTemplate: string;
    pgKind: string;
  }
}

export default async function setup(project: TestProject) {
  const server = await provisionPostgres();
  const template = `weir_tpl_${process.pid}_${Date.now().toString(36)}`;
  const admin = openPostgres({ url: server.url, max: 1, prepare: false });
  await admin.sql.unsafe(`CREATE DATABASE ${template}`);
  const tpl = openPostgres({ url: withDatabase(server.url, template), max: 1, prepare: false });
  try {
    await migrate(tpl.sql);
  } finally {
    await tpl.close();
  }
  project.provide('pgAdminUrl', server.url);
  project.provide('pgTemplate', template);
  project.provide('pgKind', server.kind);
  return async () => {
    // Clones kept for inspection after a failure still name the template; drop only what we can.
    await admin.sql.unsafe(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`).catch(() => {});
    await admin.close();
    await server.stop();
  };
}
