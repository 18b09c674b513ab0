/**
 * getWorkflowRef (src/store/queries/workflows.ts): a named version's ref is read once per database
 * handle — versions are immutable and never deleted — while the highest version is read every
 * time (another replica may register a newer one), and a version not registered yet is not
 * remembered as missing.
 */
import { expect, test } from 'vitest';
import { registerWorkflow } from '../../../src/runner/index.ts';
import { getWorkflowRef } from '../../../src/store/queries/workflows.ts';
import { counting } from '../../support/counting.ts';
import { useTestDatabase } from '../../support/db.ts';

const db = useTestDatabase();
const doc = (version: string, queue: string) => `
document: { dsl: '1.0.0', namespace: refs, name: wf, version: '${version}', metadata: { weir: { queue: ${queue} } } }
do:
  - a: { set: { ok: true } }
`;

test('a named version is read once per handle; the highest version every time; a miss is not remembered', async () => {
  const c = counting(db.current.sql);
  await registerWorkflow(db.current.sql, doc('1.0.0', 'q_one'));
  expect(await getWorkflowRef(c.sql, 'refs', 'wf', '1.0.0')).toEqual({ name: 'wf', version: '1.0.0', queue: 'q_one' });
  expect(c.statements).toBe(1);
  expect(await getWorkflowRef(c.sql, 'refs', 'wf', '1.0.0')).toEqual({ name: 'wf', version: '1.0.0', queue: 'q_one' });
  expect(c.statements).toBe(1);
  // Another handle reads its own.
  const other = counting(db.current.sql);
  await getWorkflowRef(other.sql, 'refs', 'wf', '1.0.0');
  expect(other.statements).toBe(1);

  expect(await getWorkflowRef(c.sql, 'refs', 'wf', '2.0.0')).toBeUndefined();
  expect(await getWorkflowRef(c.sql, 'refs', 'wf')).toMatchObject({ version: '1.0.0' });
  await registerWorkflow(db.current.sql, doc('2.0.0', 'q_two'));
  expect(await getWorkflowRef(c.sql, 'refs', 'wf', '2.0.0')).toEqual({ name: 'wf', version: '2.0.0', queue: 'q_two' });
  expect(await getWorkflowRef(c.sql, 'refs', 'wf')).toEqual({ name: 'wf', version: '2.0.0', queue: 'q_two' });
  expect(c.statements).toBe(5);
});
