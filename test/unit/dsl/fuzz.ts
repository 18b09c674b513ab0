/**
 * fast-check arbitraries of whole workflow documents with at most one mistake (a wrong type, a
 * missing required field, a bad duration or URI, an unknown task kind, …) at a chosen site.
 */
import fc from 'fast-check';

const pick = <T,>(...values: T[]) => fc.constantFrom(...values);

/**
 * Every place a mistake can be made is a *site* with its pool of invalid values. A document is
 * generated valid everywhere, except at the one site chosen by `injected` (if that site is reached),
 * so a disagreement cannot hide behind a second, unrelated error.
 */
const sites: unknown[][] = [];
let injected: { site: number; pick: number } | undefined;

/** `arb`, or at this site when it is the chosen one, one of `invalid`. */
function orInvalid<T>(arb: fc.Arbitrary<T>, invalid: unknown[]): fc.Arbitrary<unknown> {
  const site = sites.push(invalid) - 1;
  return arb.map((v): unknown => (injected?.site === site ? invalid[injected.pick % invalid.length] : v));
}
function mostly<T>(valid: T[], invalid: unknown[]): fc.Arbitrary<unknown> {
  return invalid.length ? orInvalid(fc.constantFrom(...valid), invalid) : fc.constantFrom(...valid);
}
const missing = Symbol('missing');
/**
 * An object from fields: optional fields are present half the time, `required` ones always unless
 * their absence is the injected mistake; a field whose value is `missing` is left out.
 */
function obj(fields: Record<string, fc.Arbitrary<unknown>>, required: string[] = []): fc.Arbitrary<Record<string, unknown>> {
  const present = (k: string, a: fc.Arbitrary<unknown>) => (required.includes(k) ? orInvalid(a, [missing]) : fc.oneof(a, fc.constant(missing)));
  return fc.record(Object.fromEntries(Object.entries(fields).map(([k, a]) => [k, present(k, a)]))).map((r) =>
    Object.fromEntries(Object.entries(r).filter(([, v]) => v !== missing)),
  );
}

const duration = mostly<unknown>(['PT1S', 'P1DT2H', 'PT0.5S', 'P2W', { seconds: 1 }, { minutes: 1, milliseconds: 5 }, '${ .d }'], ['P1Y', 'soon', 'PT', {}, { seconds: 1.5 }, { weeks: 1 }, 5, 'pt1s']);
const expr = mostly<unknown>(['.a', '${ .a }', '.a == 1'], [42, true]);
const schema = mostly<unknown>(
  [{ document: { type: 'object' } }, { format: 'json', document: {} }, { resource: { endpoint: 'https://s.test/x.json' } }, { resource: { name: 'r', endpoint: { uri: 'https://s.test/x.json', authentication: { use: 'auth' } } } }],
  [{}, { document: {}, resource: { endpoint: 'https://x' } }, { resource: {} }, { format: 1, document: {} }],
);
const input = obj({ from: mostly<unknown>(['.a', { a: '${ . }' }], [1, null]), schema, as: mostly<unknown>([missing], ['.a']) });
const output = obj({ as: mostly<unknown>(['.a', { a: 1 }], [[1]]), schema, from: mostly<unknown>([missing], ['.a']) });
const authentication = mostly<unknown>(
  [
    { use: 'auth' },
    { basic: { username: 'u', password: 'p' } },
    { basic: { use: 'secret' } },
    { bearer: { token: 't' } },
    { digest: { username: 'u', password: 'p' } },
    { oauth2: { authority: 'https://a.test', grant: 'client_credentials', client: { id: 'c' }, endpoints: { token: '/t' } } },
    { oidc: { authority: 'https://a.test', grant: 'password', username: 'u', password: 'p' } },
    { oidc: { use: 'secret' } },
  ],
  [{ use: '' }, { basic: { username: 'u' } }, { bearer: { token: 't' }, basic: { use: 's' } }, { digest: { username: 'u', password: 'p', extra: 1 } }, { oauth2: { grant: 'implicit' } }, { oidc: { authority: 'https://a.test', endpoints: { token: '/t' } } }, {}, 'auth', { oauth2: { use: 'secret', client: { id: 'c' } } }],
);
const endpoint = fc.oneof(
  mostly<unknown>(['https://x.test/a/{id}', '${ .url }', 'http://x.test/{+path}/{?q,r}', 'urn://x'], ['https://x.test/a b', 'x.test/path', '/relative', 42, null, 'https://x/{a b}', 'https://x/%zz']),
  obj({ uri: mostly<unknown>(['https://x.test', '${ .u }'], ['nope', 1]), authentication }, ['uri']),
);
const error = obj({
  type: mostly<unknown>(['https://e.test/x', '${ .t }'], ['not-a-uri', 1]),
  status: mostly<unknown>([400, 503], [500.5, '400']),
  instance: mostly<unknown>(['/do/0/t', '', '${ .i }', '/a~1b'], ['no-slash', '/a~2b', 3]),
  title: mostly<unknown>(['T', '${ .t }'], [1]),
  detail: mostly<unknown>(['D'], [2]),
}, ['type', 'status']);
const eventWith = obj({
  source: mostly<unknown>(['https://s.test', '${ .s }'], ['source', 1]),
  type: mostly<unknown>(['com.example.t'], [1]),
  time: mostly<unknown>(['2024-01-01T00:00:00Z', '2024-01-01T00:00:00.5+01:00', '${ .t }'], ['2024-01-01', 'now']),
  data: pick<unknown>({ a: 1 }, '${ . }', 3),
  dataschema: mostly<unknown>(['https://s.test/schema'], ['schema']),
  custom: pick<unknown>('x', 1),
});
const eventFilter = orInvalid(obj({ with: eventWith, correlate: mostly<unknown>([{ k: { from: '.a' } }, { k: { from: '.a', expect: '${ .b }' } }], [{ k: { expect: 'x' } }, { k: 1 }]) }, ['with']), [{}, 1]);
const strategy = orInvalid(
  fc.oneof(
    fc.record({ all: fc.array(eventFilter, { maxLength: 2 }) }),
    obj({ any: fc.array(eventFilter, { maxLength: 2 }), until: fc.oneof(mostly<unknown>(['${ true }', '.done'], [1]), orInvalid(fc.record({ one: eventFilter }), [{ one: { with: { type: 't' } }, until: 'x' }])) }, ['any']),
    fc.record({ one: eventFilter }),
  ),
  [{}, { one: { with: { type: 't' } }, all: [] }, 'x'],
);
const retry = fc.oneof(
  mostly<unknown>(['policy'], [42]),
  obj({
    when: expr,
    delay: duration,
    backoff: mostly<unknown>([{ exponential: {} }, { constant: { x: 1 } }], [{ linear: 1 }, {}, { constant: {}, linear: {} }]),
    limit: obj({ attempt: obj({ count: mostly<unknown>([3], [2.5]), duration }), duration }),
    jitter: obj({ from: duration, to: duration }, ['from', 'to']),
  }),
);

const taskBase = {
  if: expr,
  then: mostly<unknown>(['continue', 'end', 'exit'], [42]),
  timeout: fc.oneof(mostly<unknown>(['short'], [3]), obj({ after: duration }, ['after'])),
  input,
  output,
  export: output,
  metadata: mostly<unknown>([{ a: 1 }], ['meta']),
  bogus: mostly<unknown>([missing], [1]),
};

const { taskList } = fc.letrec<{ taskList: unknown[]; task: unknown }>((tie) => {
  const list = tie('taskList');
  const kinds: Array<fc.Arbitrary<Record<string, unknown>>> = [
    fc.record({ set: mostly<unknown>([{ a: 1 }, { a: '${ . }' }, '${ . }'], [{}, [], 1]) }),
    fc.record({ wait: duration }),
    fc.record({ raise: obj({ error: fc.oneof(error, mostly<unknown>(['anError'], [1])) }, ['error']) }),
    obj({
      call: pick<unknown>('http'),
      with: orInvalid(
        obj({ method: mostly<unknown>(['get'], [1]), endpoint, headers: mostly<unknown>([{ a: 'b' }, '${ . }'], [{ a: 1 }, 'h']), query: mostly<unknown>([{ q: 'v' }, '${ . }'], [{ q: 1 }, 'q']), body: pick<unknown>({ b: 1 }), output: mostly<unknown>(['raw', 'response', 'content'], ['text']), redirect: mostly<unknown>([true], ['no']) }, ['method', 'endpoint']),
        ['with'],
      ),
    }, ['call', 'with']),
    fc.record({ call: pick<unknown>('openapi'), with: obj({ document: orInvalid(obj({ name: pick<unknown>('d'), endpoint }, ['endpoint']), ['doc']), operationId: mostly<unknown>(['op'], [1]), parameters: pick<unknown>({ p: 1 }), authentication, output: mostly<unknown>(['content'], ['x']) }, ['document', 'operationId']) }),
    fc.record({ call: pick<unknown>('fn'), with: mostly<unknown>([{ a: 1 }], ['x']) }),
    fc.record({ emit: obj({ event: obj({ with: eventWith, other: pick<unknown>(1) }) }, ['event']) }),
    fc.record({ listen: obj({ to: strategy, read: mostly<unknown>(['data', 'envelope', 'raw'], ['json']) }, ['to']), foreach: obj({ item: pick<unknown>('ev'), at: mostly<unknown>(['i'], [1]), do: list, output }) }),
    fc.record({ for: obj({ each: mostly<unknown>(['item'], [1]), in: mostly<unknown>(['.items'], [5]), at: pick<unknown>('i') }, ['in']), while: expr, do: list }),
    fc.record({ do: list }),
    fc.record({ fork: obj({ branches: list, compete: mostly<unknown>([true], ['yes']) }, ['branches']) }),
    fc.record({ switch: fc.array(fc.record({ c: obj({ when: expr, then: mostly<unknown>(['end'], [1]) }, ['then']) }), { minLength: 1, maxLength: 3 }) }),
    fc.record({ try: list, catch: obj({ errors: obj({ with: mostly<unknown>([{ status: 500 }, { type: 't', extra: 1 }], [{}, { status: '500' }]) }), as: mostly<unknown>(['err'], [1]), when: expr, retry, do: list }) }),
    fc.record({ run: orInvalid(obj({ workflow: obj({ namespace: pick<unknown>('ns'), name: mostly<unknown>(['n'], [1]), version: pick<unknown>('1.0.0'), input: pick<unknown>({ a: 1 }) }, ['namespace', 'name', 'version']), await: mostly<unknown>([true], [1]), return: mostly<unknown>(['all', 'none'], ['x']) }, ['workflow']), [{}, { shell: { command: 'ls' }, workflow: { namespace: 'a', name: 'b', version: '1' } }]) }),
    orInvalid(fc.record({ set: pick<unknown>({ a: 1 }) }), [{ frobnicate: {} }, {}, { set: { a: 1 }, wait: 'PT1S' }]) as fc.Arbitrary<Record<string, unknown>>,
  ];
  return {
    task: fc.tuple(fc.oneof(...kinds), obj(taskBase)).map(([kind, base]) => ({ ...base, ...kind })),
    taskList: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.constant<unknown[]>([]),
      // Names are unique except by a rare mistake (a duplicate is a Weir-only error, allow-listed).
      fc.array(tie('task'), { maxLength: 3 }).chain((tasks) =>
        mostly([false], [true]).map((dup) => tasks.map((t, i) => ({ [dup && i > 0 ? 't0' : `t${i}`]: t }))),
      ),
    ),
  };
});

const workflow = fc.record({
  do: taskList,
  use: obj({
    authentications: mostly<unknown>([{ auth: { bearer: { token: 't' } } }], [{ auth: { use: 'x' } }]),
    errors: mostly<unknown>([{ anError: { type: 'https://e.test', status: 400 } }], [{ anError: { status: 400 } }]),
    functions: mostly<unknown>([{ fn: { call: 'http', with: { method: 'get', endpoint: 'https://f.test' } } }], [{ fn: { nope: 1 } }]),
    retries: pick<unknown>({ policy: { delay: 'PT1S' } }),
    timeouts: mostly<unknown>([{ short: { after: 'PT1S' } }], [{ short: {} }]),
    secrets: mostly<unknown>([['secret', 's']], ['secret']),
  }, ['authentications', 'errors', 'functions', 'retries', 'timeouts', 'secrets']),
  extra: obj({ timeout: pick<unknown>('short', { after: 'PT1M' }), schedule: mostly<unknown>([{ every: 'PT1H' }, { on: { one: { with: { type: 't' } } } }], [{ cron: 1 }]) }),
}).map(({ do: list, use, extra }) => ({ document: { dsl: '1.0.3', namespace: 'fuzz', name: 'doc', version: '1.0.0' }, use, do: list, ...extra }));

/** Number of places a mistake can be injected. */
export const mistakeSites = sites.length;

/**
 * A document and the site of its one injected mistake (`undefined`: none, the document is valid
 * as far as the pools go). Not shrinkable: the injection is state read during generation.
 */
export const documentWithOneMistake: fc.Arbitrary<{ doc: unknown; site: number | undefined }> = fc.noShrink(
  fc.tuple(fc.integer({ min: -1, max: mistakeSites - 1 }), fc.nat(50)).chain(([site, pick]) => {
    injected = site < 0 ? undefined : { site, pick };
    return workflow.map((doc) => ({ doc, site: site < 0 ? undefined : site }));
  }),
);
