/**
 * The Serverless Workflow conformance kit (../shared/ctk/features) run against Weir's local runner.
 * Each scenario is one test; HTTP goes to a local stub. Scenarios on the skip list still run, but
 * their failure does not fail the suite. Prints `CTK: N/M scenarios pass` at the end.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadFeatures } from './gherkin.ts';
import { skipList } from './skip-list.ts';
import { matchStep, runScenario } from './steps.ts';
import type { StepEnv } from './steps.ts';
import { CTK_HOSTS, rewriteHosts, startStub } from './stub-server.ts';
import type { Stub } from './stub-server.ts';

const featuresDir = new URL('../../../shared/ctk/features/', import.meta.url);
const scenarios = loadFeatures(featuresDir);
/** Weir's own scenarios for the upstream steps no upstream feature uses yet; not part of the score. */
const extraScenarios = loadFeatures(new URL('./fixtures/', import.meta.url));

let stub: Stub;
const results = new Map<string, { passed: boolean; message?: string }>();

const env: StepEnv = {
  rewrite: (text) => rewriteHosts(text, CTK_HOSTS, stub.origin),
  // The stub lives on loopback, which the runner's SSRF guard refuses unless told otherwise.
  runOptions: () => ({ allowPrivate: true }),
};

beforeAll(async () => {
  stub = await startStub();
});

beforeEach(() => {
  stub.reset();
});

afterAll(async () => {
  await stub?.close();
  const passed = [...results.values()].filter((r) => r.passed).length;
  const lines = [`CTK: ${passed}/${scenarios.length} scenarios pass`];
  for (const s of scenarios) {
    const r = results.get(key(s.file, s.name));
    const reason = skipList[s.name];
    if (r?.passed && reason !== undefined) lines.push(`  note: "${s.name}" passes but is on the skip list — remove it`);
    if (!r?.passed && reason !== undefined) lines.push(`  skipped: "${s.name}" — ${reason}`);
    if (!r?.passed && reason === undefined) lines.push(`  FAILED: "${s.name}" (${s.file})`);
  }
  console.log(lines.join('\n'));
});

function key(file: string, name: string): string {
  return `${file}::${name}`;
}

it('finds the 11 CTK features and their 21 scenarios', () => {
  expect(new Set(scenarios.map((s) => s.file)).size).toBe(11);
  expect(scenarios).toHaveLength(21);
});

it('has a step definition for every step the features use', () => {
  const undefinedSteps = scenarios.flatMap((s) => s.steps.filter((st) => !matchStep(st.text)).map((st) => `${st.location} ${st.text}`));
  expect(undefinedSteps).toEqual([]);
});

it('names only real scenarios on the skip list', () => {
  const names = new Set(scenarios.map((s) => s.name));
  expect(Object.keys(skipList).filter((n) => !names.has(n))).toEqual([]);
});

for (const file of [...new Set(scenarios.map((s) => s.file))]) {
  describe(file, () => {
    for (const scenario of scenarios.filter((s) => s.file === file)) {
      const reason = skipList[scenario.name];
      const title = reason === undefined ? scenario.name : `${scenario.name} [skip-listed: ${reason}]`;
      it(title, async () => {
        try {
          await runScenario(scenario, env);
          results.set(key(file, scenario.name), { passed: true });
        } catch (e) {
          const message = e instanceof Error ? e.message : String(e);
          results.set(key(file, scenario.name), { passed: false, message });
          if (reason === undefined) throw e;
        }
      });
    }
  });
}

describe('upstream steps no upstream feature uses yet (fixtures/unused-steps.feature)', () => {
  for (const scenario of extraScenarios) {
    it(scenario.name, async () => {
      await runScenario(scenario, env);
    });
  }
});
