/**
 * µs per jq evaluation (program compiled once) for four workloads, Weir's engine beside jqjs
 * (pure JS) and jq-web (jq 1.7 compiled to WebAssembly), with ratios.
 * `npm run bench -- jq [seconds-per-measurement]`. Prints figures; asserts nothing.
 */
import { createRequire } from 'node:module';
// @ts-expect-error jqjs ships no type declarations
import jqjs from '@michaelhomer/jqjs';
import { compile } from '../src/expr/jq/index.ts';

const seconds = Number(process.argv[2] ?? 1);
const require = createRequire(import.meta.url);

interface Workload {
  readonly name: string;
  readonly program: string;
  readonly input: unknown;
}

function order(): unknown {
  const items = [];
  for (let i = 0; i < 8; i++) items.push({ sku: `SKU-${1000 + i}`, name: `Item number ${i}`, qty: 1 + (i % 3), price: 9.5 + i });
  return {
    id: 'ord-7f3a9c',
    status: 'paid',
    customer: { id: 'cus-42', name: 'Ada Lovelace', email: 'ada@example.com', tier: 'gold' },
    shipping: { street: '12 Analytical Row', city: 'London', zip: 'NW1', country: 'GB' },
    items,
    currency: 'EUR',
  };
}

const workloads: Workload[] = [
  { name: '.a.b + 1', program: '.a.b + 1', input: { a: { b: 41 } } },
  {
    name: 'order total object (1 KB)',
    program:
      '{id, customer: .customer.name, email: .customer.email, city: .shipping.city, count: (.items | length), total: (.items | map(.qty * .price) | add), skus: [.items[].sku]}',
    input: order(),
  },
  {
    name: 'map(select(.x > 2)) | length, 1,000',
    program: 'map(select(.x > 2)) | length',
    input: Array.from({ length: 1000 }, (_, i) => ({ x: i % 5, id: i })),
  },
  {
    name: 'reduce over 10,000 numbers',
    program: 'reduce .[] as $n (0; . + $n)',
    input: Array.from({ length: 10000 }, (_, i) => i),
  },
];

/** Mean µs per call of `fn`, over about `seconds` of wall time after a warm-up (JIT tiers up). */
function measure(fn: () => unknown, budgetSeconds = seconds, maxCalls = Infinity): number {
  const warm = performance.now() + Math.min(500, budgetSeconds * 500);
  let calls = 0;
  while (performance.now() < warm && calls < maxCalls) {
    fn();
    calls++;
  }
  let n = 0;
  const start = performance.now();
  const end = start + budgetSeconds * 1000;
  let now = start;
  while (now < end && n < maxCalls) {
    for (let k = 0; k < 10 && n < maxCalls; k++, n++) fn();
    now = performance.now();
  }
  return ((now - start) * 1000) / n;
}

type JqWeb = { json(input: unknown, program: string): unknown };
let jqWebInstance: JqWeb | null = null;
let jqWebCalls = 0;

/** jq-web's WebAssembly instance degrades after a few hundred calls: take a fresh one every 200. */
async function jqWeb(): Promise<JqWeb> {
  if (jqWebInstance && jqWebCalls < 200) return jqWebInstance;
  const path = require.resolve('jq-web');
  delete require.cache[path];
  jqWebInstance = (await require(path)) as JqWeb;
  jqWebCalls = 0;
  return jqWebInstance;
}

async function measureJqWeb(w: Workload): Promise<number> {
  // jq-web has no compile-once API: each call parses the program and serializes the input
  let total = 0;
  let n = 0;
  const deadline = performance.now() + seconds * 1000;
  while (performance.now() < deadline || n < 20) {
    const jq = await jqWeb();
    const t0 = performance.now();
    for (let k = 0; k < 10; k++) jq.json(w.input, w.program);
    total += performance.now() - t0;
    jqWebCalls += 10;
    n += 10;
  }
  return (total * 1000) / n;
}

function fmt(us: number): string {
  return us < 10 ? us.toFixed(2) : us < 1000 ? us.toFixed(1) : us.toFixed(0);
}

const rows: string[][] = [['workload', 'weir µs', 'jqjs µs', 'jq-web µs', 'jqjs/weir', 'jq-web/weir']];
for (const w of workloads) {
  const weir = compile(w.program);
  const js = jqjs.compile(w.program);
  const expected = JSON.stringify(weir.run(w.input));
  const jsOut = JSON.stringify([...js(w.input)]);
  const webOut = JSON.stringify([(await jqWeb()).json(w.input, w.program)]);
  if (jsOut !== expected || webOut !== expected) {
    console.warn(`outputs differ for ${w.name}: weir ${expected.slice(0, 80)} jqjs ${jsOut.slice(0, 80)} jq-web ${webOut.slice(0, 80)}`);
  }
  const tWeir = measure(() => weir.run(w.input));
  const tJs = measure(() => [...js(w.input)]);
  const tWeb = await measureJqWeb(w);
  rows.push([w.name, fmt(tWeir), fmt(tJs), fmt(tWeb), `${(tJs / tWeir).toFixed(1)}×`, `${(tWeb / tWeir).toFixed(0)}×`]);
}

const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
for (const r of rows) console.log(r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  '));
console.log('ratios: how many times longer the other engine takes than Weir (higher is better for Weir)');
