/**
 * Random documents, built from pools of valid and invalid fragments for every task kind and field,
 * validated by Weir and by the official JSON schema: they must agree on validity, up to the same
 * allow-list as the corpus cross-check. Finds the corners hand-written mutations miss.
 */
import { Validator } from '@cfworker/json-schema';
import type { Schema } from '@cfworker/json-schema';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validateWorkflow } from '../../../src/dsl/index.ts';
import { loadOfficialSchema } from './corpus.ts';
import { ALLOWED } from './allowlist.ts';

const validator = new Validator(loadOfficialSchema() as Schema, '2020-12', false);

const pick = <T,>(...values: T[]) => fc.constantFrom(...values);
const missing = Symbol('missing');
/** An object from optional fields: a field whose arbitrary yields `missing` is left out. */
function obj(fields: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<Record<string, unknown>> {
  return fc.record(Object.fromEntries(Object.entries(fields).map(([k, a]) => [k, fc.oneof(a, fc.constant(missing))]))).map((r) =>
    Object.fromEntries(Object.entries(r).filter(([, v]) => v !== missing)),
  );
}

const duration = pick<unknown>('PT1S', 'P1DT2H', 'PT0.5S', { seconds: 1 }, { minutes: 1, milliseconds: 5 }, '${ .d }', 'P1Y', 'soon', 'PT', {}, { seconds: 1.5 }, { weeks: 1 }, 5);
const expr = pick<unknown>('.a', '${ .a }', '.a == 1', 42, true);
const dataFlow = obj({
  from: pick<unknown>('.a', { a: '${ . }' }, 1, null),
  as: pick<unknown>('.a', { a: 1 }, [1]),
  schema: pick<unknown>({ document: { type: 'object' } }, { format: 'json', document: {} }, { resource: { endpoint: 'https://s.test/x.json' } }, {}, { document: {}, resource: { endpoint: 'https://x' } }),
});
const authentication = pick<unknown>(
  { use: 'auth' },
  { use: '' },
  { basic: { username: 'u', password: 'p' } },
  { basic: { use: 'secret' } },
  { basic: { username: 'u' } },
  { bearer: { token: 't' } },
  { bearer: { token: 't' }, basic: { use: 's' } },
  { digest: { username: 'u', password: 'p', extra: 1 } },
  { oauth2: { authority: 'https://a.test', grant: 'client_credentials', client: { id: 'c' } } },
  { oauth2: { grant: 'implicit' } },
  { oidc: { authority: 'https://a.test', endpoints: { token: '/t' } } },
  { oidc: { use: 's' } },
  {},
  'auth',
);
const endpoint = fc.oneof(
  pick<unknown>('https://x.test/a/{id}', 'https://x.test/a b', '${ .url }', 'x.test/path', '/relative', 42, null),
  obj({ uri: pick<unknown>('https://x.test', '${ .u }', 'nope', 1), authentication }),
);
const error = obj({
  type: pick<unknown>('https://e.test/x', '${ .t }', 'not-a-uri', 1),
  status: pick<unknown>(400, 500.5, '400'),
  instance: pick<unknown>('/do/0/t', '', 'no-slash', '${ .i }', '/a~2b'),
  title: pick<unknown>('T', '${ .t }', 1),
  detail: pick<unknown>('D', 2),
});
const eventWith = obj({
  source: pick<unknown>('https://s.test', '${ .s }', 'source', 1),
  type: pick<unknown>('com.example.t', 1),
  time: pick<unknown>('2024-01-01T00:00:00Z', '2024-01-01', '${ .t }'),
  data: pick<unknown>({ a: 1 }, '${ . }', 3),
  dataschema: pick<unknown>('https://s.test/schema', 'schema'),
  custom: pick<unknown>('x', 1),
});
const eventFilter = fc.oneof(obj({ with: eventWith, correlate: pick<unknown>({ k: { from: '.a' } }, { k: { expect: 'x' } }, { k: 1 }) }), pick<unknown>({}, 1));
const strategy: fc.Arbitrary<unknown> = fc.oneof(
  obj({ all: fc.array(eventFilter, { maxLength: 2 }) }),
  obj({ any: fc.array(eventFilter, { maxLength: 2 }), until: fc.oneof(pick<unknown>('${ true }', '.done', 1), obj({ one: eventFilter, until: pick<unknown>('x') })) }),
  obj({ one: eventFilter }),
  pick<unknown>({}, { one: { with: { type: 't' } }, all: [] }, 'x'),
);
const retry = fc.oneof(
  pick<unknown>('policy', 42),
  obj({
    when: expr,
    delay: duration,
    backoff: pick<unknown>({ exponential: {} }, { constant: { x: 1 } }, { linear: 1 }, {}, { constant: {}, linear: {} }),
    limit: obj({ attempt: obj({ count: pick<unknown>(3, 2.5), duration }), duration }),
    jitter: obj({ from: duration, to: duration }),
  }),
);

const taskBase = {
  if: expr,
  then: pick<unknown>('continue', 'end', 'exit', 42),
  timeout: fc.oneof(pick<unknown>('short', 3), obj({ after: duration })),
  input: dataFlow,
  output: dataFlow,
  export: dataFlow,
  metadata: pick<unknown>({ a: 1 }, 'meta'),
  bogus: pick<unknown>(1),
};

const { taskList } = fc.letrec<{ taskList: unknown[]; task: unknown }>((tie) => {
  const list = tie('taskList');
  const kinds: Array<fc.Arbitrary<Record<string, unknown>>> = [
    fc.record({ set: pick<unknown>({ a: 1 }, { a: '${ . }' }, '${ . }', {}, [], 1) }),
    fc.record({ wait: duration }),
    fc.record({ raise: fc.oneof(obj({ error: fc.oneof(error, pick<unknown>('anError')) }), pick<unknown>('x')) }),
    fc.record({
      call: pick<unknown>('http'),
      with: fc.oneof(
        obj({ method: pick<unknown>('get', 1), endpoint, headers: pick<unknown>({ a: 'b' }, { a: 1 }, '${ . }', 'h'), query: pick<unknown>({ q: 'v' }, '${ . }'), body: pick<unknown>({ b: 1 }), output: pick<unknown>('raw', 'response', 'text'), redirect: pick<unknown>(true, 'no') }),
        pick<unknown>('with'),
      ),
    }),
    fc.record({ call: pick<unknown>('openapi'), with: obj({ document: fc.oneof(obj({ name: pick<unknown>('d'), endpoint }), pick<unknown>('doc')), operationId: pick<unknown>('op', 1), parameters: pick<unknown>({ p: 1 }), authentication, output: pick<unknown>('content', 'x') }) }),
    fc.record({ call: pick<unknown>('fn'), with: pick<unknown>({ a: 1 }, 'x') }),
    fc.record({ emit: fc.oneof(obj({ event: obj({ with: eventWith, other: pick<unknown>(1) }) }), pick<unknown>({})) }),
    fc.record({ listen: obj({ to: strategy, read: pick<unknown>('data', 'envelope', 'json') }), foreach: obj({ item: pick<unknown>('ev'), at: pick<unknown>('i', 1), do: list, output: dataFlow }) }),
    fc.record({ for: obj({ each: pick<unknown>('item', 1), in: pick<unknown>('.items', 5), at: pick<unknown>('i') }), while: expr, do: list }),
    fc.record({ do: list }),
    fc.record({ fork: fc.oneof(obj({ branches: list, compete: pick<unknown>(true, 'yes') }), pick<unknown>([])) }),
    fc.record({ switch: fc.oneof(fc.array(fc.record({ c: obj({ when: expr, then: pick<unknown>('end', 1) }) }), { maxLength: 3 }), pick<unknown>({})) }),
    fc.record({ try: list, catch: obj({ errors: obj({ with: pick<unknown>({ status: 500 }, {}, { type: 't', extra: 1 }) }), as: pick<unknown>('err', 1), when: expr, retry, do: list }) }),
    fc.record({ run: fc.oneof(obj({ workflow: obj({ namespace: pick<unknown>('ns'), name: pick<unknown>('n', 1), version: pick<unknown>('1.0.0'), input: pick<unknown>({ a: 1 }) }), await: pick<unknown>(true, 1), return: pick<unknown>('all', 'x') }), pick<unknown>({})) }),
    fc.record({ frobnicate: pick<unknown>({}) }),
  ];
  return {
    task: fc.tuple(fc.oneof(...kinds), obj(taskBase)).map(([kind, base]) => ({ ...base, ...kind })),
    taskList: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.constant<unknown[]>([]),
      fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c'), tie('task')).map(([n, t]) => ({ [n]: t })), { maxLength: 3 }),
    ),
  };
});

const workflow = fc.record({
  do: taskList,
  use: obj({
    authentications: pick<unknown>({ auth: { bearer: { token: 't' } } }, { auth: { use: 'x' } }),
    errors: pick<unknown>({ anError: { type: 'https://e.test', status: 400 } }, { anError: { status: 400 } }),
    functions: pick<unknown>({ fn: { call: 'http', with: { method: 'get', endpoint: 'https://f.test' } } }, { fn: { nope: 1 } }),
    retries: pick<unknown>({ policy: { delay: 'PT1S' } }),
    timeouts: pick<unknown>({ short: { after: 'PT1S' } }, { short: {} }),
    secrets: pick<unknown>(['secret', 's'], 'secret'),
  }),
  extra: obj({ timeout: pick<unknown>('short', { after: 'PT1M' }), schedule: pick<unknown>({ every: 'PT1H' }, { cron: 1 }, { on: { one: { with: { type: 't' } } } }) }),
}).map(({ do: list, use, extra }) => ({ document: { dsl: '1.0.3', namespace: 'fuzz', name: 'doc', version: '1.0.0' }, use, do: list, ...extra }));

describe('fuzzed cross-check: Weir validator vs the official JSON schema', () => {
  it('agree on validity of random documents, up to the allow-list', () => {
    let valid = 0;
    let invalid = 0;
    fc.assert(
      fc.property(workflow, (doc) => {
        const official = validator.validate(doc).valid;
        const weir = validateWorkflow(doc);
        if (official === weir.ok) {
          if (official) valid++;
          else invalid++;
          return;
        }
        if (official && !weir.ok) {
          const unexplained = weir.errors.filter((e) => !ALLOWED.some((a) => a.code === e.code && (!a.pointer || a.pointer.test(e.pointer))));
          expect(unexplained, JSON.stringify(doc)).toEqual([]);
          return;
        }
        expect.fail(`official schema rejects, Weir accepts: ${JSON.stringify(doc)}\n${JSON.stringify(validator.validate(doc).errors.slice(-3))}`);
      }),
      { numRuns: 400, seed: 20261123 },
    );
    console.info(`[dsl fuzz] ${valid} valid and ${invalid} invalid random documents agreed on`);
    expect(valid).toBeGreaterThan(20);
    expect(invalid).toBeGreaterThan(20);
  });
});
