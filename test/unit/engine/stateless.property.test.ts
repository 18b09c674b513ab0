/**
 * Property: for any workflow built from set / wait / do / for / fork / try / raise, driving it with
 * the state serialized to JSON and back between every advance (and each advance run twice, see
 * helpers.drive) ends exactly where an in-memory run ends.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runLocally } from '../../../src/effects/local-runner.ts';
import { T0, drive, wf } from './helpers.ts';

let counter = 0;
const name = () => `t${counter++}`;

const task: fc.Memo<unknown> = fc.memo((depth: number): fc.Arbitrary<unknown> => {
  const leaf = fc.oneof(
    fc.constant(null).map(() => ({ [name()]: { set: { v: '${ (.v // 0) + 1 }', log: '${ (.log // []) + [$task.name] }' } } })),
    fc.integer({ min: 1, max: 3 }).map((s) => ({ [name()]: { wait: { seconds: s } } })),
    fc.constant(null).map(() => ({ [name()]: { raise: { error: { type: 'https://example.com/e', status: 500 } } } })),
  );
  if (depth <= 0) return leaf;
  const list = fc.array(task(depth - 1), { minLength: 1, maxLength: 3 });
  return fc.oneof(
    { weight: 3, arbitrary: leaf },
    { weight: 1, arbitrary: list.map((l) => ({ [name()]: { do: l } })) },
    { weight: 1, arbitrary: list.map((l) => ({ [name()]: { for: { in: '${ [1, 2] }' }, do: l } })) },
    { weight: 1, arbitrary: fc.tuple(list, fc.boolean()).map(([l, compete]) => ({ [name()]: { fork: { compete, branches: l } } })) },
    {
      weight: 1,
      arbitrary: fc.tuple(list, fc.boolean()).map(([l, retry]) => ({
        [name()]: { try: l, catch: { ...(retry ? { retry: { delay: { seconds: 1 }, limit: { attempt: { count: 1 } } } } : {}), do: [{ [name()]: { set: { caught: true } } }] } },
      })),
    },
  );
});

describe('statelessness (property)', () => {
  it('JSON round trips between advances change nothing', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(task(3), { minLength: 1, maxLength: 4 }), async (tasks) => {
        const w = wf(tasks);
        const durable = drive(w, {}, (e) => (e.kind === 'timer' ? { kind: 'timerFired', id: e.id } : undefined));
        const memory = await runLocally(w, {}, { now: T0, instanceId: 'i-1' });
        expect(durable.state.status).toBe(memory.status);
        expect(durable.state.output).toEqual(memory.output);
        expect(durable.state.error).toEqual(memory.error);
      }),
      { numRuns: 150 },
    );
  });
});
