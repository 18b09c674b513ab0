/**
 * Migrations run under one session advisory lock: ten migrators started together against one
 * empty database — exactly one applies, none fails, and the schema is complete.
 */
import { inject, expect, test } from 'vitest';
import { migrate, migrationsCurrent } from '../../../src/store/migrate.ts';
import { openPostgres } from '../../../src/store/postgres-js.ts';
import { migrations, sqlInstalls } from '../../../src/generated/migrations.ts';
import { withDatabase } from '../../support/pg-cluster.ts';

test('ten concurrent migrators on an empty database: exactly one applies, none fails', async () => {
  const name = `weir_mig_${Date.now().toString(36)}`;
  const admin = openPostgres({ url: inject('pgAdminUrl'), max: 1, prepare: false });
  await admin.sql.unsafe(`CREATE DATABASE ${name}`);
  const url = withDatabase(inject('pgAdminUrl'), name);
  const handles = Array.from({ length: 10 }, () => openPostgres({ url, max: 1, prepare: false }));
  try {
    const results = await Promise.allSettled(handles.map((h) => migrate(h.sql)));
    const failures = results.filter((r) => r.status === 'rejected');
    expect(failures).toEqual([]);
    const reports = results.map((r) => (r as PromiseFulfilledResult<Awaited<ReturnType<typeof migrate>>>).value);
    const appliers = reports.filter((r) => r.applied.length > 0);
    expect(appliers).toHaveLength(1);
    expect(appliers[0].applied).toHaveLength(sqlInstalls.length + migrations.length);
    expect(await migrationsCurrent(handles[0].sql)).toBe(true);
    const tables = await handles[0].sql<{ t: string }>`
      SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'weir' ORDER BY 1`;
    expect(tables.map((r) => r.t)).toEqual(
      expect.arrayContaining(['instances', 'workflows', 'history', 'timers', 'subscriptions', 'events', 'schedules', 'replicas', 'idempotency', 'clock', 'migrations']),
    );
    // And again: nothing left to apply.
    expect((await migrate(handles[0].sql)).applied).toEqual([]);
  } finally {
    await Promise.all(handles.map((h) => h.close()));
    await admin.sql.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.close();
  }
});

test('a changed SQL install is re-applied once; unchanged ones are skipped; the superseded version stays current', async () => {
  const name = `weir_mig2_${Date.now().toString(36)}`;
  const admin = openPostgres({ url: inject('pgAdminUrl'), max: 1, prepare: false });
  await admin.sql.unsafe(`CREATE DATABASE ${name}`);
  const h = openPostgres({ url: withDatabase(inject('pgAdminUrl'), name), max: 1, prepare: false });
  try {
    await migrate(h.sql);
    const changed = sqlInstalls.map((i) =>
      i.name === '10_clock.sql' ? { ...i, hash: 'changed', sql: `${i.sql}\nCOMMENT ON FUNCTION weir.now() IS 'v2';` } : i,
    );
    const report = await migrate(h.sql, { installs: changed });
    expect(report.applied).toEqual(['sql/10_clock.sql']);
    const [c] = await h.sql<{ d: string }>`SELECT obj_description('weir.now()'::regprocedure) AS d`;
    expect(c.d).toBe('v2');
    // The bundled version ran before another superseded it (an old replica during a rolling
    // upgrade): still current, so it stays ready.
    expect(await migrationsCurrent(h.sql)).toBe(true);
    // Where the bundled version never ran (only another one did), it is not.
    const bundled = sqlInstalls.find((i) => i.name === '10_clock.sql')!;
    await h.sql`DELETE FROM weir.migrations WHERE name = ${`sql/10_clock.sql@${bundled.hash}`}`;
    expect(await migrationsCurrent(h.sql)).toBe(false);
  } finally {
    await h.close();
    await admin.sql.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.close();
  }
});

test('re-applying the sql/ installs does not deadlock a running reader that holds a queue table and then reads weir.instances', async () => {
  // The runner's read claims messages (ROW EXCLUSIVE on the queue table) and joins weir.instances
  // in the same statement. An install that locked weir.instances exclusively and then a queue table
  // (DROP TRIGGER, then the priority indexes) made a cycle with it: "deadlock detected" on a
  // running replica while a newer version migrated. Here the reader's two steps are split so the
  // install runs between them, deterministically.
  const name = `weir_mig3_${Date.now().toString(36)}`;
  const admin = openPostgres({ url: inject('pgAdminUrl'), max: 1, prepare: false });
  await admin.sql.unsafe(`CREATE DATABASE ${name}`);
  const url = withDatabase(inject('pgAdminUrl'), name);
  const reader = openPostgres({ url, max: 1, prepare: false });
  const migrator = openPostgres({ url, max: 1, prepare: false, applicationName: 'weir-mig3' });
  try {
    await migrate(migrator.sql);
    await reader.sql`SELECT pgmq.create('weir_default')`;
    const changed = sqlInstalls.map((i) => (i.name === '60_flow.sql' ? { ...i, hash: 'next', sql: `${i.sql}\n-- next\n` } : i));
    let migration: Promise<unknown> | undefined;
    const seen = await reader.sql.begin(async (tx) => {
      await tx`UPDATE pgmq.q_weir_default SET vt = vt WHERE false`;
      migration = migrate(migrator.sql, { installs: changed });
      migration.catch(() => {}); // awaited below
      // Until the install waits for the queue table this transaction holds (bounded).
      for (let i = 0; i < 200; i++) {
        const [w] = await admin.sql<{ n: number }>`
          SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = ${name} AND application_name = 'weir-mig3' AND wait_event_type = 'Lock'`;
        if (w.n > 0) break;
        await new Promise((r) => setTimeout(r, 25));
      }
      const [r] = await tx<{ n: number }>`SELECT count(*)::int AS n FROM weir.instances`;
      return r.n;
    });
    expect(seen).toBe(0);
    await expect(migration).resolves.toMatchObject({ applied: ['sql/60_flow.sql'] });
  } finally {
    await reader.close();
    await migrator.close();
    await admin.sql.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.close();
  }
});
