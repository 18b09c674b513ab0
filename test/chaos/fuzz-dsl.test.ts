/**
 * Issue #11 item 8, hostile workflow documents, expressions and bodies: mutated and arbitrary
 * documents are either registered or refused with a 4xx listing pointers; arbitrary jq never throws
 * anything but an expression fault; runaway jq (infinite recursion, `repeat`, huge ranges) is cut
 * off by the evaluation budget, also inside a running workflow; bodies nested 100,000 levels are a
 * 4xx; a 50 MB body is refused with 413 after reading at most a little past the limit; webhook
 * signatures are compared in constant time. `WEIR_CHAOS=long` runs more cases and bigger bodies.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { stringify as toYaml } from 'yaml';
import { beforeAll, describe, expect, test } from 'vitest';
import { verifyWebhook } from '../../src/api/webhooks.ts';
import { timingSafeEqual } from '../../src/crypto.ts';
import { parseDocument, validateWorkflow } from '../../src/dsl/index.ts';
import { errorTypes, WorkflowFault } from '../../src/engine/errors.ts';
import { checkExpression } from '../../src/expr/check.ts';
import { evaluateSource } from '../../src/expr/expression.ts';
import { githubSignature, newWebhookSecret, standardSignature } from '../../src/signatures.ts';
import { useTestDatabase } from '../support/db.ts';
import { testRunner } from '../support/runner.ts';
import { bearer, buildApp, mintKey } from '../integration/api/_app.ts';
import { expectClean, type App } from './hostile/api.ts';
import { deepArray, deepObject, hostileString, mutated, storableString } from './hostile/inputs.ts';
import { LONG, runs, within } from './hostile/mode.ts';

const db = useTestDatabase();
let app: App;
let admin: string;
const enc = new TextEncoder();

beforeAll(async () => {
  app = buildApp(db.current.sql);
  admin = await mintKey(db.current.sql, 'admin');
});

/** A document using most task kinds, so mutations land in every part of the schema. */
const richDocument = {
  document: { dsl: '1.0.0', namespace: 'dsl', name: 'rich', version: '1.0.0', summary: 'fuzz seed' },
  input: { schema: { format: 'json', document: { type: 'object' } } },
  use: { secrets: ['token'], functions: { greet: { call: 'http', with: { method: 'get', endpoint: 'https://example.com/{name}' } } } },
  do: [
    { init: { set: { n: '${ .n // 0 }', items: [1, 2, 3] } } },
    { pick: { switch: [{ big: { when: '.n > 10', then: 'done' } }, { other: { then: 'continue' } }] } },
    { loop: { for: { each: 'item', in: '.items' }, do: [{ add: { set: { n: '${ .n + $item }' } } }] } },
    { guarded: { try: [{ call: { call: 'http', with: { method: 'post', endpoint: 'https://example.com/x', body: { n: '${ .n }' } } } }], catch: { errors: { with: { status: 500 } }, as: 'err', do: [{ note: { set: { failed: true } } }] } } },
    { both: { fork: { branches: [{ a: { wait: { seconds: 1 } } }, { b: { emit: { event: { with: { source: 'https://example.com/x', type: 'x.y', data: '${ . }' } } } } }] } } },
    { hear: { listen: { to: { one: { with: { type: 'z' } } } }, timeout: { after: 'PT1M' } } },
    { boom: { if: '.n < 0', raise: { error: { type: 'https://example.com/e', status: 400 } } } },
    { done: { set: { done: true }, output: { as: '${ . }' }, export: { as: '${ $context + { n: .n } }' } } },
  ],
};

describe('workflow documents', () => {
  test('the seed document is valid (so mutations start from a real workflow)', () => {
    const parsed = parseDocument(JSON.stringify(richDocument), 'json');
    expect(parsed.ok).toBe(true);
    const checked = validateWorkflow(parsed.ok ? parsed.value : null, { checkExpression });
    expect(checked.ok ? [] : checked.errors).toEqual([]);
  });

  test('mutated and arbitrary documents validate to ok or to issues with pointers, never a throw', { timeout: LONG ? 1_200_000 : 60_000 }, () => {
    let accepted = 0;
    let refused = 0;
    fc.assert(
      fc.property(mutated(richDocument), fc.constantFrom<'yaml' | 'json'>('yaml', 'json'), (doc, format) => {
        const text = format === 'json' ? JSON.stringify(doc) ?? 'null' : toYaml(doc);
        const parsed = parseDocument(text, format);
        if (!parsed.ok) {
          refused++;
          for (const e of parsed.errors) expect(e.pointer === '' || e.pointer.startsWith('/')).toBe(true);
          return;
        }
        const checked = validateWorkflow(parsed.value, { checkExpression });
        if (checked.ok) accepted++;
        else {
          refused++;
          for (const e of checked.errors) expect(typeof e.pointer === 'string' && typeof e.message === 'string').toBe(true);
        }
      }),
      { numRuns: runs(120, 10_000) },
    );
    expect(accepted + refused).toBeGreaterThan(0);
    console.log(`fuzz-dsl documents: ${accepted} accepted, ${refused} refused with pointers, 0 throws`);
  });

  test('arbitrary text (YAML with characters flipped) parses or fails cleanly', { timeout: LONG ? 1_200_000 : 60_000 }, () => {
    const yaml = toYaml(richDocument);
    fc.assert(
      fc.property(fc.nat(yaml.length), fc.nat(20), fc.string({ unit: 'binary', maxLength: 8 }), (at, cut, insert) => {
        const text = yaml.slice(0, at) + insert + yaml.slice(at + cut);
        const parsed = parseDocument(text);
        if (parsed.ok) validateWorkflow(parsed.value, { checkExpression });
      }),
      { numRuns: runs(100, 10_000) },
    );
  });

  test('registering mutated documents answers 201/200 or a problem+json 4xx', { timeout: LONG ? 1_200_000 : 60_000 }, async () => {
    let n = 0;
    const statuses: Record<number, number> = {};
    await fc.assert(
      fc.asyncProperty(mutated(richDocument), fc.boolean(), async (doc, asYaml) => {
        n++;
        // A fresh version each time, so 409 (same version, other document) stays rare.
        const d = doc && typeof doc === 'object' && !Array.isArray(doc) && (doc as { document?: unknown }).document && typeof (doc as { document: unknown }).document === 'object'
          ? { ...(doc as object), document: { ...((doc as { document: object }).document), version: `1.0.${n}` } }
          : doc;
        const body = asYaml ? toYaml(d) : JSON.stringify(d) ?? 'null';
        const res = await within(10_000, 'register', app.request('/v1/workflows', { method: 'POST', headers: bearer(admin, { 'content-type': asYaml ? 'application/yaml' : 'application/json' }), body }));
        const a = await expectClean(res, `register ${body.slice(0, 300)}`);
        if (a.status >= 400) expect([400, 409, 413, 415, 422]).toContain(a.status);
        statuses[a.status] = (statuses[a.status] ?? 0) + 1;
      }),
      { numRuns: runs(40, 3000) },
    );
    console.log(`fuzz-dsl register: ${n} documents, statuses ${JSON.stringify(statuses)}`);
  });

  test('U+0000 in a document is refused with its position (Postgres text cannot hold it)', () => {
    const parsed = parseDocument('document:\n  dsl: 1.0.0\n  name: a\u0000b\n');
    expect(parsed.ok ? 'accepted' : parsed.errors[0]).toMatchObject({ code: 'syntax', line: 3, column: 10 });
    const escaped = parseDocument(JSON.stringify({ document: { dsl: '1.0.0' }, do: [{ t: { set: { a: 'x\u0000' } } }] }), 'json');
    expect(escaped.ok ? 'accepted' : escaped.errors[0]).toMatchObject({ code: 'not_storable', pointer: '/do/0/t/set/a' });
    const surrogate = parseDocument('{"document":{"summary":"\\ud800"}}', 'json');
    expect(surrogate.ok ? 'accepted' : surrogate.errors[0]).toMatchObject({ code: 'not_storable', pointer: '/document/summary' });
  });
});

/** jq-looking text: fragments of real programs glued together at random. */
const jqish = fc
  .array(
    fc.oneof(
      fc.constantFrom('.', '.a', '.[]', '..', '|', ',', '(', ')', '[', ']', '{', '}', ':', ';', 'def f:', 'f', '$x', '$input', '$context', 'reduce', 'foreach', 'as', 'if', 'then', 'else', 'end', 'try', 'catch', 'label $out', 'break $out', '?', '//', '==', '+', '*', '/', '%', '-', 'range(', 'repeat(', 'recurse', 'limit(', 'path(', 'getpath([', 'tostring', 'tojson', 'fromjson', 'test("', 'ltrimstr(', 'splits("', 'input', 'inputs', 'env', '$ENV', 'now', 'error', 'halt', '@base64d', '@sh', '"\\(', '1e308', '-0', 'nan', 'infinite', 'null', 'true', '"'),
      hostileString.map((s) => s.slice(0, 8)),
    ),
    { maxLength: 12 },
  )
  .map((parts) => parts.join(' '));

/** Well-formed jq built from a small grammar: most of these compile, so evaluation is exercised. */
const jqProgram: fc.Arbitrary<string> = fc.letrec<{ e: string }>((tie) => ({
  e: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom('.', '.a', '.b.c', '.[0]', '.[]?', '.[-1:]', '1', '-0.5', '1e300', '"s"', '"\\(.a)"', 'null', 'true', 'empty', 'length', 'keys?', 'tostring', 'tonumber?', 'to_entries?', 'add', 'not', 'env', '$__loc__', 'input_line_number?', 'now | type', 'infinite', 'nan | isnan', '[paths]', 'ascii_downcase?', 'explode?', '@base64', '@json', 'splits("a")?', 'range(5)', 'error("boom")', 'halt_error?'),
    fc.tuple(tie('e'), tie('e')).map(([a, b]) => `${a} | ${b}`),
    fc.tuple(tie('e'), fc.constantFrom('+', '-', '*', '/', '%', '//', '==', '<', 'and', 'or'), tie('e')).map(([a, op, b]) => `(${a}) ${op} (${b})`),
    tie('e').map((a) => `[${a}]`),
    tie('e').map((a) => `{a: (${a}), "b": 1}`),
    tie('e').map((a) => `map(${a})?`),
    tie('e').map((a) => `select(${a})`),
    tie('e').map((a) => `try (${a}) catch .`),
    tie('e').map((a) => `first(${a})`),
    tie('e').map((a) => `[limit(3; ${a})]`),
    fc.tuple(tie('e'), tie('e'), tie('e')).map(([c, t, f]) => `if ${c} then ${t} else ${f} end`),
    fc.tuple(tie('e'), tie('e')).map(([a, b]) => `${a} as $x | ${b}`),
    fc.tuple(tie('e'), tie('e'), tie('e')).map(([xs, init, step]) => `reduce (${xs}) as $x (${init}; ${step})`),
    fc.tuple(tie('e'), tie('e')).map(([a, b]) => `def f: ${a}; ${b} | f`),
    fc.tuple(fc.nat(12), tie('e')).map(([n, a]) => `[range(${n})] | map(${a})?`),
  ),
})).e;

const isExpressionFault = (e: unknown) => e instanceof WorkflowFault && e.error.type === errorTypes.expression;

describe('expressions', () => {
  test('arbitrary jq evaluates or throws an expression fault, never anything else', { timeout: LONG ? 1_200_000 : 60_000 }, () => {
    let faults = 0;
    fc.assert(
      fc.property(fc.oneof(jqish, jqProgram), fc.jsonValue({ maxDepth: 3 }), (source, input) => {
        expect(typeof (checkExpression(source, '/x', { variables: [] } as never) ?? '')).toBe('string');
        try {
          evaluateSource(source, input, { $input: input, $context: {} });
        } catch (e) {
          faults++;
          expect(isExpressionFault(e), String(e)).toBe(true);
        }
      }),
      { numRuns: runs(500, 50_000) },
    );
    expect(faults).toBeGreaterThan(0);
    console.log(`fuzz-dsl jq: ${faults} expression faults, 0 other throws`);
  });

  const runaway = [
    'def f: f; f',
    'def f: 1 + f; f',
    'def f: [f]; f',
    '[repeat(.)]',
    'last(repeat(1))',
    '[range(1e12)]',
    'last(range(1e12))',
    'reduce range(1e12) as $x (0; . + 1)',
    'until(false; .)',
    '0 | [recurse(. + 1)] | length',
    '[limit(1e9; repeat(1))] | length',
    '"x" * 1e9 | length',
    '[range(1e7)] | tostring | length',
    'label $l | repeat(.) | empty',
    '[paths] | length',
  ];

  test.each(runaway)('runaway `%s` is cut off by the evaluation budget with an expression fault', (source) => {
    const started = performance.now();
    let thrown: unknown;
    try {
      evaluateSource(source, { a: 1 }, {});
    } catch (e) {
      thrown = e;
    }
    const ms = performance.now() - started;
    if (source === '[paths] | length') {
      // Not runaway on a small input: a control that the budget does not cut legitimate work.
      expect(thrown).toBeUndefined();
      return;
    }
    expect(isExpressionFault(thrown), String(thrown)).toBe(true);
    expect((thrown as WorkflowFault).message).toMatch(/limit|budget|deadline|depth|stack/);
    // deadlineMs is 1000 and checked every 4096 steps; leave room for a shared 2-core CI box.
    expect(ms).toBeLessThan(5_000);
  });

  test('arbitrary jq inside running workflows: each instance completes or faults, the runner never errors', { timeout: LONG ? 1_200_000 : 60_000 }, async () => {
    const runner = testRunner(db.current.sql);
    const ends: Record<string, number> = {};
    let n = 0;
    await fc.assert(
      fc.asyncProperty(jqProgram, fc.jsonValue({ maxDepth: 2 }), async (source, input) => {
        n++;
        // Single-quoted YAML: a quote is doubled; the program must still compile to be registered.
        const doc = `document: { dsl: 1.0.0, namespace: dsl, name: jq${n}, version: 1.0.0 }
do:
  - compute: { set: { v: '\${ ${source.replaceAll("'", "''").replaceAll('\n', ' ')} }' } }
`;
        const reg = await expectClean(await app.request('/v1/workflows', { method: 'POST', headers: bearer(admin, { 'content-type': 'application/yaml' }), body: doc }), `register ${source}`);
        if (reg.status !== 201) return;
        const started = await expectClean(await app.request(`/v1/workflows/dsl/jq${n}/instances`, { method: 'POST', headers: bearer(admin, { 'content-type': 'application/json' }), body: JSON.stringify(input) ?? 'null' }), 'start');
        if (started.status !== 202) return;
        const report = await within(30_000, `drain ${source}`, runner.drain({ maxMillis: 20_000 }));
        expect(report.errors, source).toBe(0);
        const [row] = await db.current.sql<{ status: string; error: { type?: string } | null }>`SELECT status, error FROM weir.instances WHERE id = ${(started.body as { id: string }).id}::uuid`;
        expect(['completed', 'faulted'], `${source} → ${row.status}`).toContain(row.status);
        if (row.status === 'faulted') expect(row.error?.type, source).toBe(errorTypes.expression);
        ends[row.status] = (ends[row.status] ?? 0) + 1;
      }),
      { numRuns: runs(40, 2000) },
    );
    console.log(`fuzz-dsl jq in workflows: ${n} programs, ${JSON.stringify(ends)}`);
  });

  test('a workflow whose expression loops forever faults with an expression error; the runner carries on', { timeout: 60_000 }, async () => {
    const doc = (name: string, expr: string) => `document: { dsl: 1.0.0, namespace: dsl, name: ${name}, version: 1.0.0 }
do:
  - spin:
      set:
        v: '\${ ${expr} }'
`;
    const post = (path: string, body: string, type: string) => app.request(path, { method: 'POST', headers: bearer(admin, { 'content-type': type }), body });
    expect((await post('/v1/workflows', doc('spin', 'def f: f; f'), 'application/yaml')).status).toBe(201);
    expect((await post('/v1/workflows', doc('range', '[range(1e12)] | length'), 'application/yaml')).status).toBe(201);
    expect((await post('/v1/workflows', doc('fine', '1 + 1'), 'application/yaml')).status).toBe(201);
    const ids: string[] = [];
    for (const name of ['spin', 'range', 'fine']) ids.push(((await (await post(`/v1/workflows/dsl/${name}/instances`, '{}', 'application/json')).json()) as { id: string }).id);
    const started = performance.now();
    await within(30_000, 'drain', testRunner(db.current.sql).drain({ maxMillis: 20_000 }));
    expect(performance.now() - started).toBeLessThan(20_000);
    const rows = await db.current.sql<{ id: string; status: string; error: { type?: string } | null; output: unknown }>`
      SELECT id::text, status, error, output FROM weir.instances WHERE id = ANY(${ids}::uuid[])`;
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const id of ids.slice(0, 2)) {
      expect(byId.get(id)?.status).toBe('faulted');
      expect(byId.get(id)?.error?.type).toBe(errorTypes.expression);
    }
    expect(byId.get(ids[2])).toMatchObject({ status: 'completed', output: { v: 2 } });
  });
});

describe('untrusted data through the runner', () => {
  /** JSON values with strings that look like expressions, SQL, or nothing in particular. */
  const payload = fc.jsonValue({ maxDepth: 3 }).chain((v) =>
    fc.dictionary(storableString, fc.oneof(storableString, fc.constant(v), fc.constantFrom('${ . }', '${ $secrets.token }', '${ $context }', '.a', 'def f: f; f')), { maxKeys: 5 }),
  );

  test('instance input and event data are data: echoed verbatim, never evaluated as expressions', { timeout: LONG ? 1_200_000 : 60_000 }, async () => {
    const post = (path: string, body: string, type: string) => app.request(path, { method: 'POST', headers: bearer(admin, { 'content-type': type }), body });
    expect((await post('/v1/workflows', `document: { dsl: 1.0.0, namespace: dsl, name: echo, version: 1.0.0 }
do:
  - copy: { set: { echoed: '\${ .payload }' } }
`, 'application/yaml')).status).toBe(201);
    expect((await post('/v1/workflows', `document: { dsl: 1.0.0, namespace: dsl, name: hear, version: 1.0.0 }
do:
  - hear: { listen: { to: { one: { with: { type: dsl.fuzz.payload } } } } }
`, 'application/yaml')).status).toBe(201);
    // No event window: each listener hears the event published after it, not an earlier run's.
    const runner = testRunner(db.current.sql, { WEIR_EVENT_WINDOW: '0' });
    let n = 0;
    await fc.assert(
      fc.asyncProperty(payload, async (data) => {
        n++;
        // What was sent: JSON has no -0 (JSON.stringify writes 0), and fc.jsonValue generates it.
        const sent = JSON.parse(JSON.stringify(data)) as unknown;
        const started = await expectClean(await post('/v1/workflows/dsl/echo/instances', JSON.stringify({ payload: data }), 'application/json'), 'start');
        const listener = await expectClean(await post('/v1/workflows/dsl/hear/instances', '{}', 'application/json'), 'listen');
        await runner.drain({ maxMillis: 10_000 });
        const event = { specversion: '1.0', id: `p${n}-${Math.random()}`, source: '/fuzz', type: 'dsl.fuzz.payload', data };
        expect((await expectClean(await post('/v1/events', JSON.stringify(event), 'application/cloudevents+json'), 'event')).status).toBe(202);
        const report = await runner.drain({ maxMillis: 10_000 });
        expect(report.errors).toBe(0);
        const echo = await expectClean(await app.request(`/v1/instances/${(started.body as { id: string }).id}`, { headers: bearer(admin) }), 'echo');
        expect(echo.body).toMatchObject({ status: 'completed', output: { echoed: sent } });
        const heard = await expectClean(await app.request(`/v1/instances/${(listener.body as { id: string }).id}`, { headers: bearer(admin) }), 'heard');
        expect((heard.body as { status: string }).status).toBe('completed');
        const output = (heard.body as { output: unknown }).output;
        // A `listen … one` outputs the consumed events' data, in a list.
        expect(output).toEqual([sent]);
      }),
      { numRuns: runs(10, 500) },
    );
  });
});

describe('bodies built to hurt', () => {
  const depth = LONG ? 1_000_000 : 100_000;

  test(`JSON and YAML nested ${depth} levels are a 4xx on every route that reads a body, not a stack overflow`, { timeout: LONG ? 600_000 : 60_000 }, async () => {
    const hook = await (await app.request('/v1/hooks', { method: 'POST', headers: bearer(admin, { 'content-type': 'application/json' }), body: JSON.stringify({ name: 'deep', namespace: 'dsl', target: { kind: 'event', type: 'deep' } }) })).json();
    await app.request('/v1/workflows', { method: 'POST', headers: bearer(admin, { 'content-type': 'application/yaml' }), body: 'document: { dsl: 1.0.0, namespace: dsl, name: d, version: 1.0.0 }\ndo:\n  - t: { set: { a: 1 } }\n' });
    const [{ s }] = await db.current.sql<{ s: number }>`SELECT floor(EXTRACT(EPOCH FROM weir.now()))::int AS s`;
    // Each kind is cut to the body cap: the point is nesting, not size.
    const cap = 1024 * 1024;
    const bodies = [deepArray(depth).slice(0, cap), deepArray(Math.min(depth, cap / 2 - 8)), deepObject(Math.min(depth, cap / 6 - 8)), '- '.repeat(Math.min(depth, cap / 2 - 8)) + '1', '{"a":'.repeat(Math.min(depth, cap / 6 - 8))];
    for (const body of bodies) {
      const signature = await standardSignature(hook.secret, `d${body.length}`, s, enc.encode(body));
      for (const [method, path, type, extra] of [
        ['POST', '/v1/workflows', 'application/json', {}],
        ['POST', '/v1/workflows', 'application/yaml', {}],
        ['POST', '/v1/workflows/dsl/d/instances', 'application/json', {}],
        ['POST', '/v1/events', 'application/cloudevents+json', {}],
        ['POST', '/v1/events', 'application/cloudevents-batch+json', {}],
        ['POST', '/v1/events', 'application/json', { 'ce-specversion': '1.0', 'ce-id': `deep${body.length}`, 'ce-source': '/deep', 'ce-type': 'deep' }],
        ['POST', '/v1/hooks/deep', 'application/json', { 'webhook-id': `d${body.length}`, 'webhook-timestamp': String(s), 'webhook-signature': signature }],
        ['POST', '/v1/instances/cancel', 'application/json', {}],
        ['PUT', '/v1/secrets/dsl/deep', 'application/json', {}],
        ['POST', '/v1/hooks', 'application/json', {}],
      ] as const) {
        const res = await within(20_000, `${method} ${path}`, app.request(path, { method, headers: { ...bearer(admin), 'content-type': type, ...extra }, body }));
        const a = await expectClean(res, `${method} ${path} (${type}) nested ${body.length} chars`);
        expect(a.status, a.text).toBeGreaterThanOrEqual(400);
      }
    }
  });

  /** A body of `total` bytes produced on demand, counting how many bytes the server pulled. */
  function countingBody(total: number) {
    const chunk = new Uint8Array(64 * 1024).fill(0x20);
    let pulled = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (pulled >= total) return controller.close();
        pulled += chunk.length;
        controller.enqueue(chunk);
      },
    }, { highWaterMark: 0 });
    return { stream, pulled: () => pulled };
  }

  const size = (LONG ? 500 : 50) * 1024 * 1024;
  const limit = 1024 * 1024 + 64 * 1024;

  test(`a ${size / 1024 / 1024} MB body is refused with 413 before it is buffered (streamed, and with Content-Length)`, { timeout: LONG ? 600_000 : 60_000 }, async () => {
    const routes = [
      ['POST', '/v1/workflows', 'application/yaml'],
      ['POST', '/v1/workflows/dsl/d/instances', 'application/json'],
      ['POST', '/v1/events', 'application/cloudevents+json'],
      ['POST', '/v1/hooks/deep', 'application/json'],
      ['PUT', '/v1/secrets/dsl/big', 'application/json'],
      ['POST', '/v1/instances/cancel', 'application/json'],
    ] as const;
    for (const [method, path, type] of routes) {
      // Chunked: no Content-Length, the cap is enforced while reading.
      const streamed = countingBody(size);
      const res = await within(20_000, path, app.request(path, { method, headers: bearer(admin, { 'content-type': type }), body: streamed.stream, duplex: 'half' } as RequestInit));
      const a = await expectClean(res, `${method} ${path} streamed`);
      // The hook route checks the signature headers first; without them it never reads the body.
      expect(path === '/v1/hooks/deep' ? [401, 413] : [413], a.text).toContain(a.status);
      expect(streamed.pulled(), `${path} read ${streamed.pulled()} bytes of ${size}`).toBeLessThan(limit + 1024 * 1024);
      // Declared: refused on the header alone, nothing read.
      const declared = countingBody(size);
      const res2 = await within(20_000, path, app.request(path, { method, headers: bearer(admin, { 'content-type': type, 'content-length': String(size) }), body: declared.stream, duplex: 'half' } as RequestInit));
      expect((await expectClean(res2, `${method} ${path} with Content-Length`)).status).toBe(413);
      expect(declared.pulled()).toBeLessThan(limit + 1024 * 1024);
    }
  });
});

/** What a header value can hold (the Headers class refuses control characters). */
const visibleAscii = fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c));

describe('webhook signatures', () => {
  const body = enc.encode('{"hello":"world"}');
  const now = 1_800_000_000;

  test('verifyWebhook accepts the right signature and refuses wrong, short, long, empty and near-miss ones', { timeout: LONG ? 600_000 : 60_000 }, async () => {
    const secret = newWebhookSecret();
    const good = await standardSignature(secret, 'id1', now, body);
    const headers = (sig: string) => new Headers({ 'webhook-id': 'id1', 'webhook-timestamp': String(now), 'webhook-signature': sig });
    expect((await verifyWebhook('standard', [secret], headers(good), body, now, 300)).ok).toBe(true);
    const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.nat(good.length - 4).map((i) => flip(good, i + 3)),
          fc.nat(good.length - 1).map((n) => good.slice(0, n)),
          fc.string({ unit: visibleAscii, minLength: 1, maxLength: 10 }).map((x) => good + x),
          fc.string({ unit: visibleAscii, maxLength: 120 }).map((x) => `v1,${x}`),
          fc.constantFrom('v1,', 'v1', '', ' ', 'v2,' + good.slice(3), good.toLowerCase(), good.replace('v1,', 'v1, ')),
        ),
        async (sig) => {
          fc.pre(sig !== good && sig.trim() !== '');
          const v = await verifyWebhook('standard', [secret], headers(sig), body, now, 300);
          expect(v.ok, sig).toBe(false);
        },
      ),
      { numRuns: runs(120, 10_000) },
    );
    const gh = await githubSignature('gh-secret', body);
    const ghHeaders = (sig: string) => new Headers({ 'x-hub-signature-256': sig });
    expect((await verifyWebhook('github', ['gh-secret'], ghHeaders(gh), body, now, 300)).ok).toBe(true);
    for (const sig of [gh.slice(0, -1), gh + '0', gh.toUpperCase(), 'sha256=', 'sha1=' + gh.slice(7), gh.replace(/.$/, (c) => (c === '0' ? '1' : '0'))]) {
      expect((await verifyWebhook('github', ['gh-secret'], ghHeaders(sig), body, now, 300)).ok, sig).toBe(false);
    }
  });

  test('timingSafeEqual is equality, for strings of any length and content', { timeout: LONG ? 600_000 : 60_000 }, () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), fc.boolean(), (a, b, same) => {
        const y = same ? a : b;
        expect(timingSafeEqual(a, y)).toBe(a === y);
      }),
      { numRuns: runs(2000, 100_000) },
    );
  });

  test('every signature and key comparison goes through the constant-time compare (source inspection, not a timing test)', () => {
    const crypto = readFileSync(new URL('../../src/crypto.ts', import.meta.url), 'utf8');
    const fn = crypto.slice(crypto.indexOf('export function timingSafeEqual'), crypto.indexOf('\n}\n', crypto.indexOf('export function timingSafeEqual')));
    // No early exit: one pass over the longer input, differences OR-ed together, length folded in.
    expect(fn).not.toMatch(/return false|break|===\s*[xy]\[|\.length\s*!==|!==\s*\w+\.length/);
    expect(fn).toMatch(/diff \|=/);
    const webhooks = readFileSync(new URL('../../src/api/webhooks.ts', import.meta.url), 'utf8');
    expect(webhooks.match(/timingSafeEqual\(/g)?.length).toBeGreaterThanOrEqual(2);
    // A plain comparison against a computed signature would leak its prefix through timing.
    expect(webhooks).not.toMatch(/(given|expected|g)\s*[!=]==?\s*(given|expected|await)/);
    const auth = readFileSync(new URL('../../src/api/auth.ts', import.meta.url), 'utf8');
    expect(auth).toMatch(/timingSafeEqual\(hash, await adminHash\)/);
  });
});
