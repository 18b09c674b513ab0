/**
 * Tests of the conformance harness itself, against canned run results: every step passes on a
 * matching run and fails, with a message naming the step, on a mismatching one. Without this a
 * step that always passes would let a broken engine "conform".
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { RunResult } from './engine.ts';
import { parseFeature } from './gherkin.ts';
import { runScenario } from './steps.ts';
import type { StepEnv } from './steps.ts';
import { rewriteHosts } from './stub-server.ts';
import { taskTrace } from './trace.ts';

let canned: RunResult = { status: 'completed', output: {}, history: [] };
const seen: { input?: unknown; text?: string } = {};

vi.mock('./engine.ts', () => ({
  loadWorkflow: async (text: string) => {
    seen.text = text;
    return { ok: true, workflow: { text }, document: {} };
  },
  runWorkflow: async (_workflow: unknown, input: unknown) => {
    seen.input = input;
    return canned;
  },
  describeLoadErrors: () => '',
}));

const env: StepEnv = { rewrite: (t) => rewriteHosts(t, ['petstore.swagger.io'], () => 'http://127.0.0.1:1'), runOptions: () => ({}) };

const started = (ref: string) => ({ at: 0, kind: 'taskStarted', task: ref.split('/').pop(), ref });
const completed = (ref: string, output?: unknown) => ({ at: 0, kind: 'taskCompleted', task: ref.split('/').pop(), ref, data: { output } });
const faulted = (ref: string, error: unknown) => ({ at: 0, kind: 'taskFaulted', task: ref.split('/').pop(), ref, data: { error } });
const cancelled = (ref: string) => ({ at: 0, kind: 'taskCancelled', task: ref.split('/').pop(), ref });

function scenario(steps: string): Parameters<typeof runScenario>[0] {
  const text = `Feature: F\n  Scenario: S\n    Given a workflow with definition:\n    """yaml\n    document: {}\n    do:\n      - a:\n          call: http\n          with: { endpoint: https://petstore.swagger.io/v2/pet/1 }\n    """\n${steps
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n')}\n`;
  const [s] = parseFeature(text, 'test.feature');
  if (!s) throw new Error('no scenario');
  return s;
}

async function outcome(steps: string): Promise<string> {
  try {
    await runScenario(scenario(steps), env);
    return 'pass';
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

beforeEach(() => {
  canned = {
    status: 'completed',
    output: { a: 1, nested: { b: [1, 2, 3] } },
    history: [started('/do/0/a'), completed('/do/0/a', { x: 1 }), started('/do/1/b'), faulted('/do/1/b', { type: 't', status: 400 }), started('/do/2/c'), cancelled('/do/2/c')],
  };
});

describe('arrange and act', () => {
  it('rewrites stubbed hosts and passes the YAML input', async () => {
    expect(await outcome('And given the workflow input is:\n"""yaml\npetId: 1\n"""\nWhen the workflow is executed')).toBe('pass');
    expect(seen.text).toContain('endpoint: http://127.0.0.1:1/v2/pet/1 }');
    expect(seen.input).toEqual({ petId: 1 });
  });
  it('defaults the input to an empty object', async () => {
    expect(await outcome('When the workflow is executed')).toBe('pass');
    expect(seen.input).toEqual({});
  });
  it('fails an undefined step with its location', async () => {
    expect(await outcome('When the moon is full')).toMatch(/test\.feature:\d+ When the moon is full\nundefined step/);
  });
  it('fails an assertion made before execution', async () => {
    expect(await outcome('Then the workflow should complete')).toMatch(/has not been executed/);
  });
});

describe('workflow outcome steps', () => {
  const run = (s: string) => outcome(`When the workflow is executed\n${s}`);
  it('should complete / with output', async () => {
    expect(await run('Then the workflow should complete')).toBe('pass');
    expect(await run('Then the workflow should complete with output:\n"""yaml\nnested: { b: [1, 2, 3] }\na: 1\n"""')).toBe('pass');
    expect(await run('Then the workflow should complete with output:\n"""yaml\na: 1\n"""')).toMatch(/output mismatch/);
    canned = { ...canned, status: 'faulted', error: { type: 'x', status: 500 } };
    expect(await run('Then the workflow should complete')).toMatch(/ended faulted/);
  });
  it('should fault / with error (subset of the error)', async () => {
    canned = { status: 'faulted', error: { type: 'x', status: 400, title: 'T', instance: '/do/0/a', detail: 'extra' }, history: [] };
    expect(await run('Then the workflow should fault')).toBe('pass');
    expect(await run('Then the workflow should fault with error:\n"""yaml\ntype: x\nstatus: 400\ntitle: T\ninstance: /do/0/a\n"""')).toBe('pass');
    expect(await run('Then the workflow should fault with error:\n"""yaml\ntype: x\nstatus: 500\n"""')).toMatch(/error mismatch/);
  });
  it('should cancel', async () => {
    expect(await run('Then the workflow should cancel')).toMatch(/expected the workflow to be cancelled/);
    canned = { status: 'cancelled', history: [] };
    expect(await run('Then the workflow should cancel')).toBe('pass');
  });
  it('output properties, property values and item counts', async () => {
    expect(await run("And the workflow output should have properties 'a', 'nested', 'nested.b'")).toBe('pass');
    expect(await run("And the workflow output should have properties 'a', 'nested.c'")).toMatch(/lacks 'nested.c'/);
    expect(await run("And the workflow output should have a 'nested.b' property with value:\n\"\"\"yaml\n[1, 2, 3]\n\"\"\"")).toBe('pass');
    expect(await run("And the workflow output should have a 'a' property with value:\n\"\"\"yaml\n2\n\"\"\"")).toMatch(/'a' mismatch/);
    expect(await run("And the workflow output should have a 'nested.b' property containing 3 items")).toBe('pass');
    expect(await run("And the workflow output should have a 'nested.b' property containing 1 items")).toMatch(/has 3 items/);
  });
});

describe('task steps (from the history trace)', () => {
  const run = (s: string) => outcome(`When the workflow is executed\n${s}`);
  it('run first / last / before / after', async () => {
    expect(await run('And a should run first')).toBe('pass');
    expect(await run('And c should run last')).toBe('pass');
    expect(await run('And b should run first')).toMatch(/start order was a → b → c/);
    expect(await run('And a should run before b')).toBe('pass');
    expect(await run('And b should run after a')).toBe('pass');
    expect(await run('And a should run after b')).toMatch(/expected a to run after b/);
    expect(await run('And zz should run first')).toMatch(/never ran/);
  });
  it('complete / with output, fault / with error, cancel', async () => {
    expect(await run('And a should complete')).toBe('pass');
    expect(await run('And a should complete with output:\n"""yaml\nx: 1\n"""')).toBe('pass');
    expect(await run('And a should complete with output:\n"""yaml\nx: 2\n"""')).toMatch(/a output mismatch/);
    expect(await run('And b should fault')).toBe('pass');
    expect(await run('And b should fault with error:\n"""yaml\nstatus: 400\n"""')).toBe('pass');
    expect(await run('And b should complete')).toMatch(/expected task b to be completed/);
    expect(await run('And c should cancel')).toBe('pass');
  });
});

describe('taskTrace', () => {
  it('reads lifecycle entries and ignores the rest', () => {
    const trace = taskTrace([
      { kind: 'workflowStarted' },
      started('/do/0/x~1y'),
      { kind: 'taskSkipped', ref: '/do/1/z' },
      completed('/do/0/x~1y', 3),
    ]);
    expect(trace.map((t) => `${t.phase} ${t.name}`)).toEqual(['started x/y', 'completed x/y']);
    expect(trace[1]?.output).toBe(3);
  });
});
