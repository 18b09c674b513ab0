/**
 * Events across replicas on real Postgres: emit-before-listen within the window, `all` of three
 * events emitted through three replicas, correlation by key, listen timeout, and no event
 * delivered twice to one subscription when two replicas publish it concurrently.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { registerWorkflow } from '../../../src/runner/index.ts';
import { deliverEvents } from '../../../src/runner/events.ts';
import { getInstance, startInstance } from '../../../src/store/queries/instances.ts';
import { openPostgres } from '../../../src/store/postgres-js.ts';
import { useTestDatabase } from '../../support/db.ts';
import { testRunner } from '../../support/runner.ts';

const db = useTestDatabase();
afterEach(async () => {
  await db.current.sql`SELECT weir.reset_clock()`;
});

async function start(name: string, input: unknown = {}) {
  const { instance } = await startInstance(db.current.sql, { namespace: 'ev', workflowName: name, workflowVersion: '1.0.0', queue: 'weir_default', input });
  return instance.id;
}
const ev = (id: string, type: string, data: unknown = {}) => ({ id, source: 'https://test', type, specversion: '1.0', data });

describe('events', () => {
  test('an event emitted before the listener registers is matched within the window', async () => {
    await registerWorkflow(db.current.sql, `
document: { dsl: '1.0.0', namespace: ev, name: late-listener, version: '1.0.0' }
do:
  - hear: { listen: { to: { one: { with: { type: com.example.early } } } } }
`);
    await db.current.sql.begin((tx) => deliverEvents(tx, [ev('e1', 'com.example.early', { n: 1 })]));
    const id = await start('late-listener');
    await testRunner(db.current.sql).drain();
    const inst = await getInstance(db.current.sql, id);
    expect(inst?.status).toBe('completed');
    expect(JSON.stringify(inst?.output)).toContain('"n":1');
  });

  test('outside the window an earlier event is not matched', async () => {
    await db.current.sql`SELECT weir.set_fake_now(now())`;
    await db.current.sql.begin((tx) => deliverEvents(tx, [ev('e-old', 'com.example.early', { n: 2 })]));
    await db.current.sql`SELECT weir.advance_clock('2 minutes')`; // WEIR_EVENT_WINDOW defaults to 60 s
    const id = await start('late-listener');
    await testRunner(db.current.sql).drain();
    expect((await getInstance(db.current.sql, id))?.status).toBe('waiting');
  });

  test('listen to all of three events, emitted by three instances on three replicas', async () => {
    await registerWorkflow(db.current.sql, `
document: { dsl: '1.0.0', namespace: ev, name: all-three, version: '1.0.0' }
do:
  - hear:
      listen:
        to:
          all:
            - with: { type: com.example.a }
            - with: { type: com.example.b }
            - with: { type: com.example.c }
`);
    for (const t of ['a', 'b', 'c']) {
      await registerWorkflow(db.current.sql, `
document: { dsl: '1.0.0', namespace: ev, name: emit-${t}, version: '1.0.0' }
do:
  - say: { emit: { event: { with: { source: https://test, type: com.example.${t}, data: { from: ${t} } } } } }
`);
    }
    const listener = await start('all-three');
    await testRunner(db.current.sql).drain();
    expect((await getInstance(db.current.sql, listener))?.status).toBe('waiting');
    const handles = [0, 1, 2].map(() => openPostgres({ url: db.current.url, max: 3, prepare: true }));
    try {
      await Promise.all(['a', 'b', 'c'].map((t) => start(`emit-${t}`)));
      await Promise.all(handles.map((h) => testRunner(h.sql).drain()));
      await Promise.all(handles.map((h) => testRunner(h.sql).drain()));
    } finally {
      await Promise.all(handles.map((h) => h.close()));
    }
    const inst = await getInstance(db.current.sql, listener);
    expect(inst?.status).toBe('completed');
    const out = JSON.stringify(inst?.output);
    for (const t of ['a', 'b', 'c']) expect(out).toContain(`"from":"${t}"`);
  });

  test('correlation: each instance takes only the event with its key', async () => {
    await registerWorkflow(db.current.sql, `
document: { dsl: '1.0.0', namespace: ev, name: paid, version: '1.0.0' }
do:
  - hear:
      listen:
        to:
          one:
            with: { type: com.example.paid }
            correlate: { order: { from: '\${ .data.order }', expect: '\${ .orderId }' } }
`);
    const a = await start('paid', { orderId: 'A' });
    const b = await start('paid', { orderId: 'B' });
    const runner = testRunner(db.current.sql);
    await runner.drain();
    await db.current.sql.begin((tx) => deliverEvents(tx, [ev('p-b', 'com.example.paid', { order: 'B' })]));
    await runner.drain();
    expect((await getInstance(db.current.sql, a))?.status).toBe('waiting');
    const done = await getInstance(db.current.sql, b);
    expect(done?.status).toBe('completed');
    expect(JSON.stringify(done?.output)).toContain('"order":"B"');
  });

  test('a listen timeout fires through the database clock', async () => {
    await registerWorkflow(db.current.sql, `
document: { dsl: '1.0.0', namespace: ev, name: impatient, version: '1.0.0' }
do:
  - guard:
      try:
        - hear:
            listen: { to: { one: { with: { type: com.example.never } } } }
            timeout: { after: PT5M }
      catch:
        errors: { with: { type: https://serverlessworkflow.io/spec/1.0.0/errors/timeout } }
        do:
          - note: { set: { timedOut: true } }
`);
    await db.current.sql`SELECT weir.set_fake_now(now())`;
    const id = await start('impatient');
    const runner = testRunner(db.current.sql);
    await runner.drain();
    await db.current.sql`SELECT weir.advance_clock('4 minutes')`;
    await runner.drain();
    expect((await getInstance(db.current.sql, id))?.status).toBe('waiting');
    await db.current.sql`SELECT weir.advance_clock('2 minutes')`;
    await runner.drain();
    expect(await getInstance(db.current.sql, id)).toMatchObject({ status: 'completed', output: { timedOut: true } });
  });

  test('one event published concurrently by two replicas reaches a subscription once', async () => {
    await registerWorkflow(db.current.sql, `
document: { dsl: '1.0.0', namespace: ev, name: count-dups, version: '1.0.0' }
do:
  - hear:
      listen:
        to:
          any:
            - with: { type: com.example.dup }
          until: '\${ false }'
`);
    const id = await start('count-dups');
    await testRunner(db.current.sql).drain();
    const handles = [0, 1].map(() => openPostgres({ url: db.current.url, max: 2, prepare: true }));
    try {
      await Promise.all(handles.map((h) => h.sql.begin((tx) => deliverEvents(tx, [ev('same', 'com.example.dup')]))));
    } finally {
      await Promise.all(handles.map((h) => h.close()));
    }
    const [{ n }] = await db.current.sql<{ n: number }>`
      SELECT count(*)::int AS n FROM pgmq.q_weir_default WHERE message->>'instance' = ${id} AND message->>'kind' = 'event'`;
    expect(n).toBe(1);
  });
});
