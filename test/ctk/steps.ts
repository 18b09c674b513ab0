/**
 * Every step the Serverless Workflow CTK defines (ctk/README.md upstream), including the ones no
 * feature uses yet (`should cancel`, `should run before`, task outcome steps), so a new upstream
 * scenario written with them runs without harness changes.
 */
import { parse as parseYaml } from 'yaml';
import { describeLoadErrors, loadWorkflow, runWorkflow } from './engine.ts';
import type { RunOptions, RunResult, Workflow } from './engine.ts';
import type { Scenario, ScenarioStep } from './gherkin.ts';
import { describeTrace, firstIndex, startOrder, taskTrace } from './trace.ts';
import type { TaskEvent } from './trace.ts';
import { getPath, isSubset, jsonEqual, show } from './values.ts';

export interface StepEnv {
  /** Points the document's external hosts at the local stub. */
  rewrite(text: string): string;
  runOptions(): RunOptions;
}

export interface World {
  workflow?: Workflow;
  input: unknown;
  result?: RunResult;
  trace: TaskEvent[];
}

interface StepDefinition {
  /** Matched against the step text (without keyword), case-insensitively, whole text. */
  readonly pattern: RegExp;
  /** Whether the step takes a doc string, and whether it is handed over parsed (`yaml`) or as text. */
  readonly doc?: 'yaml' | 'raw';
  /** `doc` is the step's doc string parsed as YAML (all CTK doc strings are YAML); `raw` its text. */
  run(world: World, args: string[], doc: unknown, env: StepEnv, raw: string): void | Promise<void>;
}

export class StepFailure extends Error {
  override name = 'StepFailure';
}

function fail(message: string): never {
  throw new StepFailure(message);
}

const TASK = String.raw`['"]?([\w.-]+)['"]?`;

function completed(world: World): RunResult {
  const r = executed(world);
  if (r.status !== 'completed') fail(`expected the workflow to complete, but it ended ${r.status}${r.error ? ` with error ${show(r.error)}` : ''}`);
  return r;
}

function executed(world: World): RunResult {
  return world.result ?? fail('the workflow has not been executed (missing "When the workflow is executed")');
}

function outputMap(world: World): Record<string, unknown> {
  const { output } = completed(world);
  if (typeof output !== 'object' || output === null || Array.isArray(output)) fail(`expected the workflow output to be a map, got ${show(output)}`);
  return output as Record<string, unknown>;
}

function faultedWith(actual: unknown, expected: unknown, what: string): void {
  if (!isSubset(expected, actual)) fail(`${what} error mismatch\n  expected (subset): ${show(expected)}\n  actual: ${show(actual)}`);
}

function taskEvents(world: World, name: string): TaskEvent[] {
  executed(world);
  const events = world.trace.filter((t) => t.name === name);
  if (events.length === 0) fail(`task ${name} never ran; trace:\n${describeTrace(world.trace)}`);
  return events;
}

function taskOutcome(world: World, name: string, phase: TaskEvent['phase']): TaskEvent {
  const events = taskEvents(world, name);
  const hit = events.find((t) => t.phase === phase);
  if (!hit) fail(`expected task ${name} to be ${phase}, but its events were: ${events.map((e) => e.phase).join(', ')}`);
  return hit;
}

/** Index of the event that ends a task (completed/faulted/cancelled), or its start if none. */
function endIndex(trace: readonly TaskEvent[], name: string): number {
  for (let i = trace.length - 1; i >= 0; i--) {
    const t = trace[i];
    if (t && t.name === name && t.phase !== 'started') return i;
  }
  return firstIndex(trace, name, 'started');
}

function ranBefore(world: World, first: string, second: string): void {
  taskEvents(world, first);
  taskEvents(world, second);
  const a = endIndex(world.trace, first);
  const b = firstIndex(world.trace, second, 'started');
  if (!(b > a)) fail(`expected ${second} to run after ${first} finished; trace:\n${describeTrace(world.trace)}`);
}

function parseQuotedList(text: string): string[] {
  const items = [...text.matchAll(/'([^']*)'/g)].map((m) => m[1] ?? '');
  if (items.length === 0) fail(`no quoted property paths in "${text}"`);
  return items;
}

export const stepDefinitions: readonly StepDefinition[] = [
  // Arrange
  {
    pattern: /^a workflow with definition:$/i,
    doc: 'raw',
    async run(world, _args, _doc, env, raw) {
      // URIs are rewritten in the text, before parsing, exactly as a user would have written them.
      const loaded = await loadWorkflow(env.rewrite(raw));
      if (!loaded.ok) fail(`the workflow definition was rejected — ${describeLoadErrors(loaded)}`);
      world.workflow = loaded.workflow;
    },
  },
  {
    pattern: /^(?:given )?the workflow input is:$/i,
    doc: 'yaml',
    run(world, _args, doc) {
      world.input = doc;
    },
  },
  // Act
  {
    pattern: /^the workflow is executed$/i,
    async run(world, _args, _doc, env) {
      const workflow = world.workflow ?? fail('no workflow defined (missing "Given a workflow with definition:")');
      world.result = await runWorkflow(workflow, world.input, env.runOptions());
      world.trace = taskTrace(world.result.history);
    },
  },
  // Assert: the workflow
  {
    pattern: /^the workflow should cancel$/i,
    run(world) {
      const r = executed(world);
      if (r.status !== 'cancelled') fail(`expected the workflow to be cancelled, but it ended ${r.status}`);
    },
  },
  {
    pattern: /^the workflow should complete$/i,
    run(world) {
      completed(world);
    },
  },
  {
    pattern: /^the workflow should complete with output:$/i,
    doc: 'yaml',
    run(world, _args, doc) {
      const { output } = completed(world);
      if (!jsonEqual(output, doc)) fail(`workflow output mismatch\n  expected: ${show(doc)}\n  actual:   ${show(output)}`);
    },
  },
  {
    pattern: /^the workflow should fault$/i,
    run(world) {
      const r = executed(world);
      if (r.status !== 'faulted') fail(`expected the workflow to fault, but it ended ${r.status} with output ${show(r.output)}`);
    },
  },
  {
    pattern: /^the workflow should fault with error:$/i,
    doc: 'yaml',
    run(world, _args, doc) {
      const r = executed(world);
      if (r.status !== 'faulted') fail(`expected the workflow to fault, but it ended ${r.status} with output ${show(r.output)}`);
      faultedWith(r.error, doc, 'workflow');
    },
  },
  {
    pattern: /^the workflow output should have properties (.+)$/i,
    run(world, [list = '']) {
      const output = outputMap(world);
      const missing = parseQuotedList(list).filter((p) => !getPath(output, p).found);
      if (missing.length) fail(`workflow output lacks ${missing.map((m) => `'${m}'`).join(', ')}; output: ${show(output)}`);
    },
  },
  {
    pattern: /^the workflow output should have a '([^']+)' property with value:$/i,
    doc: 'yaml',
    run(world, [path = ''], doc) {
      const output = outputMap(world);
      const got = getPath(output, path);
      if (!got.found) fail(`workflow output lacks '${path}'; output: ${show(output)}`);
      if (!jsonEqual(got.value, doc)) fail(`'${path}' mismatch\n  expected: ${show(doc)}\n  actual:   ${show(got.value)}`);
    },
  },
  {
    pattern: /^the workflow output should have a '([^']+)' property containing (\d+) items?$/i,
    run(world, [path = '', count = '0']) {
      const output = outputMap(world);
      const got = getPath(output, path);
      if (!got.found) fail(`workflow output lacks '${path}'; output: ${show(output)}`);
      const v = got.value;
      const size = Array.isArray(v) ? v.length : typeof v === 'object' && v !== null ? Object.keys(v).length : undefined;
      if (size === undefined) fail(`'${path}' is not a collection: ${show(v)}`);
      if (size !== Number(count)) fail(`'${path}' has ${size} items, expected ${count}: ${show(v)}`);
    },
  },
  // Assert: tasks
  {
    pattern: new RegExp(`^${TASK} should run first$`, 'i'),
    run(world, [name = '']) {
      taskEvents(world, name);
      const order = startOrder(world.trace);
      if (order[0] !== name) fail(`expected ${name} to run first, but the start order was ${order.join(' → ')}`);
    },
  },
  {
    pattern: new RegExp(`^${TASK} should run last$`, 'i'),
    run(world, [name = '']) {
      taskEvents(world, name);
      const order = startOrder(world.trace);
      if (order[order.length - 1] !== name) fail(`expected ${name} to run last, but the start order was ${order.join(' → ')}`);
    },
  },
  {
    pattern: new RegExp(`^${TASK} should run before ${TASK}$`, 'i'),
    run(world, [first = '', second = '']) {
      ranBefore(world, first, second);
    },
  },
  {
    pattern: new RegExp(`^${TASK} should run after ${TASK}$`, 'i'),
    run(world, [second = '', first = '']) {
      ranBefore(world, first, second);
    },
  },
  {
    pattern: new RegExp(`^${TASK} should cancel$`, 'i'),
    run(world, [name = '']) {
      taskOutcome(world, name, 'cancelled');
    },
  },
  {
    pattern: new RegExp(`^${TASK} should complete$`, 'i'),
    run(world, [name = '']) {
      taskOutcome(world, name, 'completed');
    },
  },
  {
    pattern: new RegExp(`^${TASK} should complete with output:$`, 'i'),
    doc: 'yaml',
    run(world, [name = ''], doc) {
      const t = taskOutcome(world, name, 'completed');
      if (!('output' in t)) fail(`the history does not record ${name}'s output`);
      if (!jsonEqual(t.output, doc)) fail(`${name} output mismatch\n  expected: ${show(doc)}\n  actual:   ${show(t.output)}`);
    },
  },
  {
    pattern: new RegExp(`^${TASK} should fault$`, 'i'),
    run(world, [name = '']) {
      taskOutcome(world, name, 'faulted');
    },
  },
  {
    pattern: new RegExp(`^${TASK} should fault with error:$`, 'i'),
    doc: 'yaml',
    run(world, [name = ''], doc) {
      const t = taskOutcome(world, name, 'faulted');
      faultedWith(t.error, doc, `task ${name}`);
    },
  },
];

/** Finds the definition for a step, or undefined: an unknown step fails its scenario. */
export function matchStep(text: string): { def: StepDefinition; args: string[] } | undefined {
  for (const def of stepDefinitions) {
    const m = def.pattern.exec(text.trim());
    if (m) return { def, args: m.slice(1).map((a) => a ?? '') };
  }
  return undefined;
}

/** Runs a scenario's steps in order; the first failing step throws with its location and text. */
export async function runScenario(scenario: Scenario, env: StepEnv): Promise<World> {
  const world: World = { input: {}, trace: [] };
  for (const step of scenario.steps) {
    try {
      await runStep(world, step, env);
    } catch (e) {
      const message = e instanceof Error ? (e instanceof StepFailure ? e.message : `${e.name}: ${e.message}`) : String(e);
      throw new StepFailure(`${step.location} ${step.keyword.trim()} ${step.text}\n${message}`, { cause: e });
    }
  }
  return world;
}

async function runStep(world: World, step: ScenarioStep, env: StepEnv): Promise<void> {
  const found = matchStep(step.text) ?? fail(`undefined step: "${step.text}"`);
  const { def, args } = found;
  if (def.doc && !step.docString) fail('this step needs a doc string');
  const raw = step.docString?.content ?? '';
  const doc = def.doc === 'yaml' ? (parseYaml(raw) as unknown) : undefined;
  await def.run(world, args, doc, env, raw);
}
