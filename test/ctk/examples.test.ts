/**
 * Every workflow example in the spec (`dsl-reference.md`, `dsl.md`) run as a test with the
 * behaviour the spec's prose gives it (examples-expectations.ts). HTTP goes to the local stub.
 * Prints `spec examples: N/M pass` (M = runnable examples) and the skipped ones with their reasons.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { describeLoadErrors, loadWorkflow, runWorkflow } from './engine.ts';
import type { RunOptions, RunResult, Workflow } from './engine.ts';
import type { CloudEvent } from '../../src/engine/types.ts';
import { expectations } from './examples-expectations.ts';
import type { ExampleCase, ExpectedRequest } from './examples-expectations.ts';
import { loadSpecExamples } from './spec-examples.ts';
import type { SpecExample } from './spec-examples.ts';
import { CTK_HOSTS, pathMatches, rewriteHosts, startStub } from './stub-server.ts';
import type { RecordedRequest, Stub } from './stub-server.ts';
import { getPath, isSubset, jsonEqual, show } from './values.ts';
import { specDocuments } from '../unit/dsl/corpus.ts';

const examples = loadSpecExamples(new URL('../../../shared/spec/', import.meta.url));

let stub: Stub;
/** Per example id: whether every case passed. */
const outcomes = new Map<string, boolean>();

beforeAll(async () => {
  stub = await startStub();
});

beforeEach(() => {
  stub.reset();
});

afterAll(async () => {
  await stub?.close();
  const runnable = examples.filter((e) => { const x = expectations[e.id]; return x !== undefined && 'cases' in x; });
  const passed = runnable.filter((e) => outcomes.get(e.id) === true).length;
  const lines = [`spec examples: ${passed}/${runnable.length} pass (${examples.length} extracted, ${examples.length - runnable.length} not runnable here)`];
  for (const e of runnable) if (outcomes.get(e.id) !== true) lines.push(`  FAILED: ${e.id} (${e.file}:${e.line})`);
  for (const e of examples) {
    const x = expectations[e.id];
    if (x && 'skip' in x) lines.push(`  skipped: ${e.id} — ${x.skip}`);
  }
  console.log(lines.join('\n'));
});

it('extracts the spec examples, and every one has an expectation', () => {
  expect(examples.length).toBeGreaterThan(40);
  expect(examples.filter((e) => expectations[e.id] === undefined).map((e) => `${e.id} (${e.file}:${e.line})`)).toEqual([]);
});

it('misses none of the whole documents the DSL corpus finds (test/unit/dsl/corpus.ts)', () => {
  const mine = new Set(examples.map((e) => `${e.file}:${e.line}`));
  const theirs = [...specDocuments('dsl-reference.md'), ...specDocuments('dsl.md')].map((d) => `${d.file.replace('spec/', '')}:${d.line}`);
  expect(theirs.length).toBeGreaterThan(20);
  expect(theirs.filter((k) => !mine.has(k))).toEqual([]);
});

it('has no expectation for an example that is gone', () => {
  const ids = new Set(examples.map((e) => e.id));
  expect(Object.keys(expectations).filter((id) => !ids.has(id))).toEqual([]);
});

for (const example of examples) {
  const x = expectations[example.id];
  if (!x || 'skip' in x) {
    if (x?.unsupported) {
      it(`${example.id} is skipped (Weir does not run it) and rejected as not_supported`, async () => {
        const loaded = await loadWorkflow(example.yaml);
        if (loaded.ok) throw new Error('the validator accepted a document Weir cannot run; it should answer not_supported');
        expect(loaded.errors.map((e) => e.code)).toContain('not_supported');
      });
    } else it.skip(`${example.id} — ${x ? x.skip : 'no expectation'}`, () => {});
    continue;
  }
  describe(`${example.id} (${example.file}:${example.line})`, () => {
    for (const c of x.cases) {
      it(c.name, async () => {
        try {
          await runCase(example, c);
          if (outcomes.get(example.id) !== false) outcomes.set(example.id, true);
        } catch (e) {
          outcomes.set(example.id, false);
          throw e;
        }
      });
    }
  });
}

async function runCase(example: SpecExample, c: ExampleCase): Promise<void> {
  const routes = c.routes?.(stub.origin) ?? [];
  stub.use(routes);
  const hosts = [...new Set([...CTK_HOSTS, ...routes.map((r) => r.host)])];
  await stub.listen(hosts);
  const loaded = await loadWorkflow(rewriteHosts(example.yaml, hosts, stub.origin));

  if (c.expect.status === 'invalid') {
    if (loaded.ok) throw new Error(`expected the validator to reject the document (${c.why})`);
    const pointer = c.expect.pointer;
    if (pointer && !loaded.errors.some((e) => (e.pointer ?? '').startsWith(pointer))) {
      throw new Error(`expected an error under ${pointer}; got ${describeLoadErrors(loaded)}`);
    }
    return;
  }
  if (!loaded.ok) throw new Error(`the example was rejected — ${describeLoadErrors(loaded)}`);

  const instanceId = `example-${++runs}`;
  const result = await runWorkflow(loaded.workflow, c.input ?? {}, { ...(await runOptions(c, hosts)), instanceId });
  // A previous run may still have a request in flight (a fork's losing branch): keep only this run's,
  // told apart by the Idempotency-Key `<instance id>:<task>:<effect>` every Weir request carries.
  const seen = stub.requests.filter((r) => {
    const key = r.headers['idempotency-key'];
    // `/` for child workflows, whose instance ids extend the parent's.
    return key === undefined || key.startsWith(`${instanceId}:`) || key.startsWith(`${instanceId}/`);
  });
  const context = `\n  why: ${c.why}\n  status: ${result.status}, output: ${show(result.output)}, error: ${show(result.error)}\n  requests: ${describeRequests(seen)}`;
  checkOutcome(c, result, context);
  checkRequests(c, seen, context);
  if (c.retried === false) {
    const retries = result.history.filter((h) => /retr/i.test(String((h as { kind?: unknown }).kind ?? '')));
    if (retries.length) throw new Error(`expected no retry, history has ${show(retries)}${context}`);
  }
}

let runs = 0;

async function runOptions(c: ExampleCase, hosts: readonly string[]): Promise<RunOptions> {
  const children = new Map<string, Workflow>();
  for (const text of c.workflows ?? []) {
    const loaded = await loadWorkflow(rewriteHosts(text, hosts, stub.origin));
    if (!loaded.ok) throw new Error(`child workflow rejected — ${describeLoadErrors(loaded)}`);
    const doc = (parseYaml(text) as { document: { namespace: string; name: string; version: string } }).document;
    children.set(`${doc.namespace}/${doc.name}/${doc.version}`, loaded.workflow);
  }
  return {
    // The stub is on loopback, which the SSRF guard refuses unless allowed.
    allowPrivate: true,
    ...(c.secrets ? { secrets: c.secrets } : {}),
    ...(children.size
      ? { resolveWorkflow: (ref: { namespace: string; name: string; version: string }) => children.get(`${ref.namespace}/${ref.name}/${ref.version}`) }
      : {}),
    // Timers fire at once on the runner's virtual clock; events are offered one at a time while it listens.
    instantTimers: true,
    ...(c.waits?.events ? { events: c.waits.events.map((e, i) => ({ id: `evt-${i + 1}`, specversion: '1.0', ...e }) as CloudEvent) } : {}),
  };
}

function checkOutcome(c: ExampleCase, result: RunResult, context: string): void {
  const want = c.expect;
  if (want.status === 'invalid') return;
  if (result.status !== want.status) throw new Error(`expected ${want.status}, got ${result.status}${context}`);
  if (want.status === 'faulted') {
    if (want.error && !isSubset(want.error, result.error)) throw new Error(`error mismatch: expected (subset) ${show(want.error)}${context}`);
    return;
  }
  if ('output' in want && !jsonEqual(result.output, want.output)) throw new Error(`output mismatch: expected ${show(want.output)}${context}`);
  if (want.outputOneOf && !want.outputOneOf.some((o) => jsonEqual(o, result.output))) {
    throw new Error(`output is none of ${show(want.outputOneOf)}${context}`);
  }
  for (const path of want.has ?? []) if (!getPath(result.output, path).found) throw new Error(`output lacks '${path}'${context}`);
  for (const [path, value] of Object.entries(want.properties ?? {})) {
    const got = getPath(result.output, path);
    if (!got.found || !jsonEqual(got.value, value)) throw new Error(`output '${path}' should be ${show(value)}, is ${show(got.value)}${context}`);
  }
}

function requestMatches(want: ExpectedRequest, req: RecordedRequest): boolean {
  if (want.method !== req.method || want.host !== req.host || !pathMatches(want.path, req.path)) return false;
  if (want.query && !isSubset(want.query, req.query)) return false;
  for (const [name, value] of Object.entries(want.headers ?? {})) {
    const got = req.headers[name];
    if (got === undefined || (typeof value === 'string' ? got !== value : !value.test(got))) return false;
  }
  if (want.json !== undefined && !isSubset(want.json, req.json)) return false;
  if (want.form !== undefined && !isSubset(want.form, req.form)) return false;
  return true;
}

/** Expected requests must appear in order; other requests may come between them. */
function checkRequests(c: ExampleCase, seen: readonly RecordedRequest[], context: string): void {
  let from = 0;
  for (const want of c.requests ?? []) {
    const at = seen.findIndex((r, i) => i >= from && requestMatches(want, r));
    if (at < 0) throw new Error(`missing request (in order): ${show(want)}${context}`);
    from = at + 1;
  }
  for (const bad of c.forbidden ?? []) {
    const hit = seen.find((r) => r.method === bad.method && r.host === bad.host && pathMatches(bad.path, r.path));
    if (hit) throw new Error(`unexpected request ${bad.method} ${bad.host}${bad.path}${context}`);
  }
}

function describeRequests(seen: readonly RecordedRequest[]): string {
  if (seen.length === 0) return '(none)';
  return seen
    .map((r) => `\n    ${r.method} ${r.host}${r.path}${Object.keys(r.query).length ? `?${new URLSearchParams(r.query as Record<string, string>)}` : ''} auth=${r.headers.authorization ?? '-'} body=${show(r.json ?? r.form ?? r.body, 200)}`)
    .join('');
}
