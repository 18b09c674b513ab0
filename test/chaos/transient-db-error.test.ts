/**
 * Found by the connection-budget scenario (issue #11 item 6): a transient database error while an
 * activation loads its workflow definition faults the instance for good. In
 * src/runner/activation.ts `activate()`, the try/catch around `deps.definitions.get(…)` turns any
 * error into `faultDirectly(… workflowError('configuration', error.message))` — so "sorry, too
 * many clients already" (53300), a terminated connection or a lock timeout ends a healthy instance
 * as faulted instead of leaving its message to be retried. With six workers joining under load on
 * max_connections=40, 19 of 400 instances ended faulted with detail "sorry, too many clients
 * already".
 * Deterministic reproduction: one activation of a start message whose definition lookup fails
 * the way a connection-starved pool fails (a PostgresError with SQLSTATE 53300), the same as the
 * chaos run saw. Expected: the instance is not faulted and its message stays to be read again.
 * Fixed: activate() faults only on a definition that no longer validates (a WeirError); any other
 * error is thrown, so the message is read again later.
 */
import { expect, test } from 'vitest';
import { activate } from '../../src/runner/activation.ts';
import { CheckpointWriter } from '../../src/runner/checkpoint.ts';
import { DefinitionCache } from '../../src/runner/definitions.ts';
import { getInstance, startInstance } from '../../src/store/queries/instances.ts';
import { pgmq, type Message } from '../../src/store/queries/pgmq.ts';
import type { RunnerMessage } from '../../src/store/queries/instances.ts';
import { useTestDatabase } from '../support/db.ts';
import { NAMESPACE, register } from './support/workload.ts';

const db = useTestDatabase(3);

/** The cache, except that the first lookup fails as a connection-starved server answers. */
class StarvedOnce extends DefinitionCache {
  failed = false;
  override async get(...args: Parameters<DefinitionCache['get']>) {
    if (!this.failed) {
      this.failed = true;
      throw Object.assign(new Error('sorry, too many clients already'), { name: 'PostgresError', code: '53300', severity: 'FATAL' });
    }
    return super.get(...args);
  }
}

test('a transient database error while loading the workflow definition does not fault the instance', async () => {
  const sql = db.current.sql;
  await register(sql, `
document: { dsl: '1.0.0', namespace: ${NAMESPACE}, name: transient, version: '1.0.0' }
do:
  - one: { set: { ok: true } }
`);
  const { instance } = await startInstance(sql, { namespace: NAMESPACE, workflowName: 'transient', workflowVersion: '1.0.0', queue: 'weir_default', input: {} });
  const [msg] = await pgmq.read<RunnerMessage>(sql, 'weir_default', 30, 1);
  const deps = { sql, writer: new CheckpointWriter(sql), definitions: new StarvedOnce(), http: {}, visibilityTimeoutSeconds: 30, maxDeliveries: 5 };
  await activate(deps, 'weir_default', msg as Message<RunnerMessage>).catch(() => 'error (retried later)');
  const row = await getInstance(sql, instance.id);
  expect(row?.status, JSON.stringify(row?.error)).not.toBe('faulted');
});
