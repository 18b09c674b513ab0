/**
 * Pure-interpreter throughput: task steps/s for a 10-task set/switch/for workflow with jq
 * transforms (one `advance` runs it to completion), and µs per jq evaluation, cached vs uncached.
 * `npm run bench -- engine [seconds]`. Prints figures; asserts nothing.
 */
import { advance } from '../src/engine/index.ts';
import type { Workflow } from '../src/engine/index.ts';
import { evaluateSource } from '../src/expr/expression.ts';
import { compile } from '../src/expr/jq/index.ts';

const seconds = Number(process.argv[2] ?? 2);

const workflow = {
  document: { dsl: '1.0.3', namespace: 'bench', name: 'engine', version: '1.0.0' },
  do: [
    { init: { set: { n: 0, items: '${ [range(0; 3)] }', tag: 'bench' } } },
    { addOne: { set: { n: '${ .n + 1 }', items: '${ .items }', tag: '${ .tag }' } } },
    { check: { switch: [{ big: { when: '.n > 100', then: 'exit' } }, { small: { then: 'continue' } }] } },
    {
      loop: {
        for: { each: 'x', in: '.items' },
        do: [{ acc: { set: { n: '${ .n + $x }', items: '${ .items }', tag: '${ .tag }' } } }],
      },
    },
    { shape: { set: { total: '${ .n }', count: '${ .items | length }' }, output: { as: '. + { doubled: (.total * 2) }' } } },
    { keep: { set: { total: '${ .total }', doubled: '${ .doubled }' }, export: { as: '$context + { last: .total }' } } },
    { route: { switch: [{ odd: { when: '.total % 2 == 1', then: 'odd' } }, { even: { then: 'even' } }] } },
    { odd: { set: { parity: 'odd', total: '${ .total }' }, then: 'done' } },
    { even: { set: { parity: 'even', total: '${ .total }' } } },
    { done: { set: { result: '${ .parity + ":" + (.total | tostring) }' } } },
  ],
} as unknown as Workflow;

/**
 * Runs `fn` for `seconds` of wall time; rates are per second of this process's CPU time (user +
 * system), so a busy machine (CI, shared runners) does not distort the single-core figure.
 */
function timeIt(fn: () => number): { perSecond: number; total: number; ms: number } {
  const deadline = performance.now() + seconds * 1000;
  let total = 0;
  let runs = 0;
  const cpu0 = process.cpuUsage();
  while (performance.now() < deadline) {
    total += fn();
    runs++;
  }
  const cpu = process.cpuUsage(cpu0);
  const ms = (cpu.user + cpu.system) / 1000;
  return { perSecond: (total / ms) * 1000, total: runs, ms };
}

// Warm up (JIT, expression cache).
for (let i = 0; i < 200; i++) advance(workflow, undefined, { kind: 'start', input: {} }, { now: 0, instanceId: 'w' });

const check = advance(workflow, undefined, { kind: 'start', input: {} }, { now: 0, instanceId: 'b' });
if (check.state.status !== 'completed') throw new Error(`bench workflow did not complete: ${JSON.stringify(check.state.error)}`);
const stepsPerRun = check.history.filter((h) => h.kind === 'taskCompleted').length;

const engine = timeIt(() => {
  const r = advance(workflow, undefined, { kind: 'start', input: {} }, { now: 0, instanceId: 'b' });
  return r.history.length > 0 ? stepsPerRun : 0;
});

// A durable activation: resume a waiting instance (state cloned, timer delivered, next wait armed).
const waiting = {
  document: workflow.document,
  do: [{ prep: { set: { items: '${ [range(0; 20)] }', n: 0 } } }, { loop: { for: { in: '.items' }, do: [{ pause: { wait: 'PT1S' } }, { inc: { set: { items: '${ .items }', n: '${ .n + 1 }' } } }] } }],
} as unknown as Workflow;
const first = advance(waiting, undefined, { kind: 'start', input: {} }, { now: 0, instanceId: 'r' });
const firstTimer = first.effects.find((e) => e.kind === 'timer') as { id: string };
const resumeCost = timeIt(() => {
  const r = advance(waiting, first.state, { kind: 'timerFired', id: firstTimer.id }, { now: 1000 });
  return r.effects.length > 0 ? 1 : 0;
});

const vars = { $input: { a: 1 }, $context: {} };
const source = '{ sum: (.xs | add), n: (.xs | length), tag: ("v" + (.v | tostring)) }';
const data = { xs: [1, 2, 3, 4, 5], v: 7 };
const cached = timeIt(() => {
  for (let i = 0; i < 100; i++) evaluateSource(source, data, vars);
  return 100;
});
const uncached = timeIt(() => {
  for (let i = 0; i < 10; i++) compile(source, { variables: Object.keys(vars) }).run(data, vars);
  return 10;
});

console.log(
  `engine: ${Math.round(engine.perSecond).toLocaleString('en')} task steps/s per CPU second ` +
    `(${stepsPerRun} tasks per run of a set/switch/for workflow with jq transforms, one advance each; ` +
    `${Math.round((engine.total / engine.ms) * 1000).toLocaleString('en')} runs/s, ${((engine.ms / engine.total) * 1000).toFixed(0)} µs/run)`,
);
console.log(`durable activation (resume a waiting instance on timerFired, run 2 tasks, park on the next timer): ${(1e6 / resumeCost.perSecond).toFixed(1)} µs`);
console.log(`jq evaluation: cached ${(1e6 / cached.perSecond).toFixed(2)} µs, uncached (compile + run) ${(1e6 / uncached.perSecond).toFixed(2)} µs`);
