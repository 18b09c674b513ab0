/**
 * What each workflow example in the spec (`dsl-reference.md`, `dsl.md`) must do, keyed by the id
 * `spec-examples.ts` derives (`<file>#<heading>/<index>`). Written from the spec's prose — each case
 * says `why` — never from what the engine happens to produce. External hosts are answered by the
 * local stub (the listed routes' hosts are rewritten to it in the document text).
 *
 * An example that cannot run as-is (a fragment, a placeholder, a process or protocol Weir does not
 * speak) is a `skip` with the reason.
 */
import { digestAuth, basicAuthOk } from './stub-server.ts';
import type { StubRoute } from './stub-server.ts';
import { pets, petstoreSwagger } from './fixtures/petstore.ts';

export interface ExpectedRequest {
  readonly method: string;
  readonly host: string;
  readonly path: string;
  readonly query?: Readonly<Record<string, string>>;
  /** Header values (lower-case names); a RegExp must match. */
  readonly headers?: Readonly<Record<string, string | RegExp>>;
  /** Subset of the JSON body. */
  readonly json?: unknown;
  /** Subset of the form body. */
  readonly form?: Readonly<Record<string, string>>;
}

export type ExampleOutcome =
  | {
      readonly status: 'completed';
      /** Deep equality with the workflow output. */
      readonly output?: unknown;
      /** The output equals one of these (races such as `fork.compete`). */
      readonly outputOneOf?: readonly unknown[];
      /** Dotted path → expected value, checked on the output. */
      readonly properties?: Readonly<Record<string, unknown>>;
      /** Dotted paths that must exist on the output. */
      readonly has?: readonly string[];
    }
  | { readonly status: 'faulted'; /** Subset of the workflow error. */ readonly error?: Readonly<Record<string, unknown>> }
  /** Rejected by the validator; `pointer` is a prefix of at least one error's pointer. */
  | { readonly status: 'invalid'; readonly pointer?: string };

export interface ExampleCase {
  readonly name: string;
  readonly input?: unknown;
  /** Stub routes; their hosts get listeners and are rewritten in the document. `originOf` may only be called inside handlers. */
  readonly routes?: (originOf: (host: string) => string) => readonly StubRoute[];
  /** Secrets handed to the runner (`use.secrets`, `$secrets`). */
  readonly secrets?: Readonly<Record<string, unknown>>;
  /** Workflows `run.workflow` may start, as YAML documents. */
  readonly workflows?: readonly string[];
  /** The run parks on `wait`/`listen`/timeouts: timers fire at once, these events are delivered in order. */
  readonly waits?: { readonly events?: readonly Record<string, unknown>[] };
  readonly expect: ExampleOutcome;
  /** Requests the stub must see, in this order (others may come between). */
  readonly requests?: readonly ExpectedRequest[];
  /** `false`: the history must show no retry (a catch that must not match). */
  readonly retried?: false;
  /** Requests that must not happen (matched on method/host/path). */
  readonly forbidden?: readonly Pick<ExpectedRequest, 'method' | 'host' | 'path'>[];
  /** The spec text the expectation comes from. */
  readonly why: string;
}

/**
 * `skip`: not runnable here, with the reason. `unsupported`: Weir deliberately does not run this
 * (a protocol, process kind or catalog), and the validator must say so (`not_supported`) instead of
 * accepting the document and failing at run time — checked even though the example is skipped.
 */
export type ExampleExpectation =
  | { readonly skip: string; readonly unsupported?: true }
  | { readonly cases: readonly ExampleCase[] };

const json = (body: unknown, status = 200) => ({ status, body });

const route = (method: string, host: string, path: string, respond: StubRoute['respond']): StubRoute => ({ method, host, path, respond });

/** An OAuth2 token endpoint: any POST whose path ends in `/token` on `host`. */
const tokenEndpoint = (host: string, token: string): StubRoute =>
  route('POST', host, '*', (req) =>
    req.path.endsWith('/token') ? json({ access_token: token, token_type: 'Bearer', expires_in: 3600, scope: 'api' }) : undefined,
  );

/** OIDC discovery: any GET ending in `/.well-known/openid-configuration` on `host`. */
const discovery = (originOf: (host: string) => string, host: string, realm: string): StubRoute =>
  route('GET', host, '*', (req) =>
    req.path.endsWith('/.well-known/openid-configuration')
      ? json({
          issuer: `${originOf(host)}${realm}`,
          token_endpoint: `${originOf(host)}${realm}/protocol/openid-connect/token`,
          jwks_uri: `${originOf(host)}${realm}/protocol/openid-connect/certs`,
          grant_types_supported: ['client_credentials'],
        })
      : undefined,
  );

const available = pets.filter((p) => p.status === 'available');
const pet1 = pets.find((p) => p.id === 1);

const CALL_PROBLEM = 'https://serverlessworkflow.io/spec/1.0.0/errors/';

const PROCESS_SKIP =
  'run.container / run.shell / run.script need a container engine or a local process; Weir is a Postgres-only service that runs no processes (DESIGN.md §1)';
const ASYNCAPI_SKIP =
  'call: asyncapi needs an AsyncAPI document and a message broker on fake.com (server greetingsServer / protocol http); Weir has no AsyncAPI bindings';

const ticketRoutes = () => [
  route('POST', 'fake-ticketing-system.com', '/tickets/escalate', json({ step: 'escalated' })),
  route('POST', 'fake-ticketing-system.com', '/tickets/assign', json({ step: 'assigned' })),
  route('POST', 'fake-ticketing-system.com', '/tickets/resolve', json({ step: 'resolved' })),
];
const ticket = (path: string) => ({ method: 'POST', host: 'fake-ticketing-system.com', path: `/tickets/${path}` });

const orderRoutes = () => [
  route('POST', 'fake-payment-service.com', '/validate', json({ valid: true })),
  route('POST', 'fake-fulfillment-service.com', '/fulfill', json({ fulfilled: true })),
  route('GET', 'fake-inventory-service.com', '/inventory', json({ inStock: true })),
  route('POST', 'fake-packaging-service.com', '/pack', json({ packed: true })),
  route('POST', 'fake-shipping-service.com', '/schedule', json({ scheduled: true })),
  route('POST', 'fake-logging-service.com', '/warn', json({ logged: true })),
  route('POST', 'fake-notification-service.com', '/notify', json({ notified: true })),
];
const electronic = [
  { method: 'POST', host: 'fake-payment-service.com', path: '/validate' },
  { method: 'POST', host: 'fake-fulfillment-service.com', path: '/fulfill' },
];
const physical = [
  { method: 'GET', host: 'fake-inventory-service.com', path: '/inventory' },
  { method: 'POST', host: 'fake-packaging-service.com', path: '/pack' },
  { method: 'POST', host: 'fake-shipping-service.com', path: '/schedule' },
];
const unknownOrder = [
  { method: 'POST', host: 'fake-logging-service.com', path: '/warn' },
  { method: 'POST', host: 'fake-notification-service.com', path: '/notify' },
];

const securedSample = (check: StubRoute['respond']) => () => [route('GET', 'secured.fake.com', '/sample', check)];

export const expectations: Readonly<Record<string, ExampleExpectation>> = {
  'dsl-reference#workflow/0': {
    cases: [
      {
        name: 'orders a dalmatian: finds pets through the catalogued OpenAPI function, mails the matches with an OAuth2 token, logs around each task',
        input: { order: { breed: 'dalmatian', client: { email: 'cruella@fake.com', preferredDisplayName: 'Cruella' } } },
        routes: (originOf) => [
          // The example calls operationId `findByStatus`; the public petstore names it `findPetsByStatus`.
          route('GET', 'petstore.swagger.io', '/v2/swagger.json', () => json(petstoreSwagger(originOf('petstore.swagger.io'), 'findByStatus'))),
          discovery(originOf, 'petstore.swagger.io', ''),
          tokenEndpoint('petstore.swagger.io', 'petstore-token'),
          route('POST', 'fake.log.collector.com', '*', json({ logged: true })),
          route('POST', 'fake.smtp.service.com', '/email/send', json({ sent: true })),
        ],
        expect: { status: 'completed', output: { sent: true } },
        requests: [
          { method: 'POST', host: 'fake.log.collector.com', path: '/', json: { message: "Executing task '/do/0/getAvailablePets'..." } },
          { method: 'GET', host: 'petstore.swagger.io', path: '/v2/pet/findByStatus', query: { status: 'available' } },
          { method: 'POST', host: 'fake.log.collector.com', path: '/', json: { message: "Executed task '/do/0/getAvailablePets'..." } },
          { method: 'POST', host: 'fake.log.collector.com', path: '/', json: { message: "Executing task '/do/1/submitMatchesByMail'..." } },
          {
            method: 'POST',
            host: 'fake.smtp.service.com',
            path: '/email/send',
            headers: { authorization: 'Bearer petstore-token' },
            json: { from: 'noreply@fake.petstore.com', to: 'cruella@fake.com', subject: 'Candidates for Adoption' },
          },
          { method: 'POST', host: 'fake.log.collector.com', path: '/', json: { message: "Executed task '/do/1/submitMatchesByMail'..." } },
        ],
        why: 'Workflow: `use.functions` tasks are called by name; Extension `extend: all` runs `before`/`after` around every non-extension task with `$task.reference`; OAuth2 client_credentials obtains a token sent as Bearer; the last task output (the HTTP content) is the workflow output.',
      },
    ],
  },
  'dsl-reference#call/0': {
    cases: [
      {
        name: 'gets pet 1 through the {petId} URI template',
        input: { petId: 1 },
        expect: { status: 'completed', output: pet1 },
        requests: [{ method: 'GET', host: 'petstore.swagger.io', path: '/v2/pet/1' }],
        why: 'URI Template: `{petId}` is replaced by the top-level input property; HTTP Call `output` defaults to `content`, deserialized JSON.',
      },
    ],
  },
  'dsl-reference#asyncapi-call/0': { unsupported: true, skip: ASYNCAPI_SKIP },
  'dsl-reference#grpc-call/0': { unsupported: true,
    skip: 'call: grpc needs a gRPC server on localhost:5011 and the proto file file://app/greet.proto; Weir has no gRPC client',
  },
  'dsl-reference#http-call/0': {
    cases: [
      {
        name: 'gets pet 1',
        input: { petId: 1 },
        expect: { status: 'completed', output: pet1 },
        requests: [{ method: 'GET', host: 'petstore.swagger.io', path: '/v2/pet/1' }],
        why: 'HTTP Call: `endpoint` may be a plain URI template string; output defaults to the deserialized content.',
      },
      {
        name: 'an unknown pet answers 404, which faults the workflow with a communication error',
        input: { petId: 99 },
        expect: { status: 'faulted', error: { type: `${CALL_PROBLEM}communication`, status: 404, instance: '/do/0/getPet' } },
        requests: [{ method: 'GET', host: 'petstore.swagger.io', path: '/v2/pet/99' }],
        why: 'HTTP Call `redirect` (default false): "runtimes must raise an error for response status codes outside the 200–299 range"; dsl.md Interoperability: the error type is communication; Error: `instance` points at the task (try.feature expects the response status as the error status).',
      },
    ],
  },
  'dsl-reference#openapi-call/0': {
    cases: [
      {
        name: 'finds available pets through findPetsByStatus',
        expect: { status: 'completed', output: available },
        requests: [
          { method: 'GET', host: 'petstore.swagger.io', path: '/v2/swagger.json' },
          { method: 'GET', host: 'petstore.swagger.io', path: '/v2/pet/findByStatus', query: { status: 'available' } },
        ],
        why: 'OpenAPI Call: the operation is looked up by `operationId` in the document, `parameters` fill its query parameters; output defaults to the content.',
      },
    ],
  },
  'dsl-reference#a2a-call/0': { unsupported: true,
    skip: 'call: a2a needs an A2A agent (agent card at example.com, JSON-RPC message/send); Weir has no A2A client',
  },
  'dsl-reference#mcp-call/0': { unsupported: true,
    skip: 'call: mcp with the stdio transport spawns `npx slack-mcp-server@latest` with a Slack token; Weir runs no local processes',
  },
  'dsl-reference#do/0': {
    cases: [
      {
        name: 'books the hotel, then the flight, with an OAuth2 client_credentials token',
        routes: () => [
          tokenEndpoint('fake-booking-agency.com', 'booking-token'),
          route('POST', 'fake-booking-agency.com', '/hotels/book', json({ booking: 'hotel-1' })),
          route('POST', 'fake-booking-agency.com', '/flights/book', json({ booking: 'flight-1' })),
        ],
        expect: { status: 'completed', output: { booking: 'flight-1' } },
        requests: [
          {
            method: 'POST',
            host: 'fake-booking-agency.com',
            path: '/oauth2/token',
            form: { grant_type: 'client_credentials', client_id: 'serverless-workflow-runtime', client_secret: 'secret0123456789' },
          },
          {
            method: 'POST',
            host: 'fake-booking-agency.com',
            path: '/hotels/book',
            headers: { authorization: 'Bearer booking-token' },
            json: { name: 'Four Seasons', city: 'Antwerp', country: 'Belgium' },
          },
          {
            method: 'POST',
            host: 'fake-booking-agency.com',
            path: '/flights/book',
            headers: { authorization: 'Bearer booking-token' },
            json: { departure: { from: { airport: 'BRU' } }, arrival: { to: { airport: 'LIS' } } },
          },
        ],
        why: 'Do: subtasks run in sequence, each completing before the next; OAuth2: token from `authority` + `endpoints.token` (default `/oauth2/token`), client credentials posted form-encoded (`client_secret_post`, the default); the last task output is the workflow output.',
      },
    ],
  },
  'dsl-reference#emit/0': {
    cases: [
      {
        name: 'emits the order-placed event; the task output is the event',
        expect: {
          status: 'completed',
          has: ['id', 'specversion', 'time'],
          properties: {
            source: 'https://petstore.com',
            type: 'com.petstore.order.placed.v1',
            data: { client: { firstName: 'Cruella', lastName: 'de Vil' }, items: [{ breed: 'dalmatian', quantity: 101 }] },
          },
        },
        why: 'Emit: publishes the event described by `emit.event.with`; Event Properties: `id`, `source`, `type` are required when emitting, so the runtime fills `id`; the CTK (emit.feature) makes the emitted CloudEvent the task output.',
      },
    ],
  },
  'dsl-reference#for/0': {
    cases: [
      {
        name: 'listens for the first checkup, then output.as indexes the consumed-events array with .pets',
        input: { pets: [{ id: 'p1' }, { id: 'p2' }], vet: { name: 'Dr Dolittle' } },
        waits: {
          events: [
            { type: 'com.fake.petclinic.pets.checkup.completed.v2', source: 'https://petclinic.fake', data: { petId: 'p1' } },
            { type: 'com.fake.petclinic.pets.checkup.completed.v2', source: 'https://petclinic.fake', data: { petId: 'p2' } },
          ],
        },
        expect: { status: 'faulted', error: { type: `${CALL_PROBLEM}expression`, status: 400 } },
        why: 'Listen: "A listen task produces a sequentially ordered array of all the events it has consumed", so `output.as: .pets + [...]` indexes an array with "pets"; dsl.md Runtime Expressions: a failed evaluation raises type expression, status 400. The example as written cannot accumulate pets.',
      },
    ],
  },
  'dsl-reference#fork/0': {
    cases: [
      {
        name: 'alerts nurse and doctor concurrently; the first to answer wins',
        input: { patient: { fullName: 'John Doe' }, room: { number: 42 } },
        routes: () => [
          route('PUT', 'fake-hospital.com', '/api/v3/alert/nurses', json({ alerted: 'nurses' })),
          route('PUT', 'fake-hospital.com', '/api/v3/alert/doctor', json({ alerted: 'doctor' })),
        ],
        expect: { status: 'completed', outputOneOf: [{ alerted: 'nurses' }, { alerted: 'doctor' }] },
        why: 'Fork: with `compete: true` "the task returns only the output of the winning branch".',
      },
    ],
  },
  'dsl-reference#listen/0': {
    cases: [
      {
        name: 'ignores a normal temperature, completes on an abnormal heart rate',
        waits: {
          events: [
            { type: 'com.fake-hospital.vitals.measurements.temperature', source: 'https://fake-hospital.com', data: { temperature: 37 } },
            { type: 'com.fake-hospital.vitals.measurements.bpm', source: 'https://fake-hospital.com', data: { bpm: 120 } },
          ],
        },
        expect: { status: 'completed', output: [{ bpm: 120 }] },
        why: 'Event Filter: `with` attributes support runtime expressions (`data: ${ .temperature > 38 }` rejects 37); Event Consumption Strategy `any` without `until`: "once any event is received, it proceeds"; Listen: output is the array of consumed events, `read` defaulting to `data`.',
      },
      {
        name: 'completes on a fever, reading the event data',
        waits: {
          events: [{ type: 'com.fake-hospital.vitals.measurements.temperature', source: 'https://fake-hospital.com', data: { temperature: 39.5 } }],
        },
        expect: { status: 'completed', output: [{ temperature: 39.5 }] },
        why: 'Event Filter: the temperature filter matches when `${ .temperature > 38 }` holds; Listen `read` defaults to `data`.',
      },
    ],
  },
  'dsl-reference#raise/0': {
    cases: [
      {
        name: 'an unknown priority takes the default case and raises the reusable error',
        input: { ticket: { id: 'T-1', priority: 'urgent' } },
        routes: ticketRoutes,
        expect: { status: 'faulted', error: { type: 'https://fake.com/errors/tickets/undefined-priority', status: 400, title: 'Undefined Priority' } },
        forbidden: [ticket('escalate'), ticket('assign'), ticket('resolve')],
        why: 'Switch Case: a case without `when` matches when no other does; Raise: raises the inline error, which faults the workflow when uncaught.',
      },
      {
        name: 'high priority escalates, then flows on through assign and resolve',
        input: { ticket: { id: 'T-2', priority: 'high' } },
        routes: ticketRoutes,
        expect: { status: 'completed', output: { step: 'resolved' } },
        requests: [
          { ...ticket('escalate'), json: { ticketId: 'T-2' } },
          { ...ticket('assign'), json: { ticketId: null } },
          { ...ticket('resolve'), json: { ticketId: null } },
        ],
        why: 'Task Flow: after a task without `then` the next task in declaration order runs (`continue`), so escalateToManager is followed by assignToSpecialist and resolveTicket; Data Flow: each task\'s input is the previous task\'s output (the escalate response, which has no `ticket`), so their `ticketId` is null.',
      },
      {
        name: 'low priority only resolves',
        input: { ticket: { id: 'T-3', priority: 'low' } },
        routes: ticketRoutes,
        expect: { status: 'completed', output: { step: 'resolved' } },
        requests: [{ ...ticket('resolve'), json: { ticketId: 'T-3' } }],
        forbidden: [ticket('escalate'), ticket('assign')],
        why: 'Switch: `then: resolveTicket` jumps to the last task; nothing before it runs.',
      },
    ],
  },
  'dsl-reference#run/0': { unsupported: true, skip: PROCESS_SKIP },
  'dsl-reference#container-process/0': { unsupported: true, skip: PROCESS_SKIP },
  'dsl-reference#script-process/0': { unsupported: true, skip: PROCESS_SKIP },
  'dsl-reference#shell-process/0': { unsupported: true, skip: PROCESS_SKIP },
  'dsl-reference#workflow-process/0': {
    cases: [
      {
        name: 'runs another-one/do-stuff 0.1.0 with {foo: bar} and outputs its result',
        workflows: [
          `document:
  dsl: '1.0.3'
  namespace: another-one
  name: do-stuff
  version: '0.1.0'
do:
  - echo:
      set:
        received: \${ . }
`,
        ],
        expect: { status: 'completed', output: { received: { foo: 'bar' } } },
        why: 'Workflow Process: runs the named workflow with `input`; Run: `await` defaults to true, so the task waits for the child and outputs its result.',
      },
    ],
  },
  'dsl-reference#set/0': {
    cases: [
      {
        name: 'sets the shape, then replaces the data with .configuration.color of the shape (null)',
        input: { configuration: { size: { width: 6, height: 6 }, fill: { red: 69, green: 69, blue: 69 }, color: 'red' } },
        expect: { status: 'completed', output: null },
        why: 'Set: the data set is the task output (set.feature: input keys not set are gone); Data Flow: the second task reads the first one\'s output, which has no `configuration`, so `${ .configuration.color }` is null.',
      },
    ],
  },
  'dsl-reference#switch/0': {
    cases: [
      {
        name: 'an electronic order validates payment, fulfils, then exits the workflow',
        input: { orderType: 'electronic' },
        routes: orderRoutes,
        expect: { status: 'completed', output: { fulfilled: true } },
        requests: electronic,
        forbidden: [...physical, ...unknownOrder],
        why: 'Switch: the first matching case\'s `then` is followed; Flow Directive `exit` "completes the current scope\'s execution, potentially terminating the entire workflow" in the main `do`.',
      },
      {
        name: 'a physical order checks inventory, packs, schedules shipping, then exits',
        input: { orderType: 'physical' },
        routes: orderRoutes,
        expect: { status: 'completed', output: { scheduled: true } },
        requests: physical,
        forbidden: [...electronic, ...unknownOrder],
        why: 'Switch + Do: the nested tasks run in order; `then: exit` ends the workflow before handleUnknownOrderType.',
      },
      {
        name: 'any other order type takes the default case',
        input: { orderType: 'teleported' },
        routes: orderRoutes,
        expect: { status: 'completed', output: { notified: true } },
        requests: unknownOrder,
        forbidden: [...electronic, ...physical],
        why: 'Switch Case: the case without `when` matches when no other case does.',
      },
    ],
  },
  'dsl-reference#try/0': {
    cases: [
      {
        name: 'an unusable endpoint raises an error the 503 filter does not catch, so the workflow faults without retrying',
        expect: { status: 'faulted' },
        retried: false,
        why: 'Interoperability: a problem during a call raises an error (communication); Catch: `errors.with` filters on status 503 (and a misspelled `serverlessworkflow.io.io` type), which the error does not have, so it is not caught nor retried and faults the workflow (Task Flow: `fault`).',
      },
    ],
  },
  'dsl-reference#wait/0': {
    cases: [
      {
        name: 'waits ten seconds (timers fire at once) and passes its input through',
        input: { greeting: 'hello' },
        waits: {},
        expect: { status: 'completed', output: { greeting: 'hello' } },
        why: 'Wait: pauses for the duration, then proceeds; it produces no data of its own, so its output is its input.',
      },
    ],
  },
  'dsl-reference#authentication/0': {
    cases: [
      {
        name: 'basic credentials come from the usernamePasswordSecret secret',
        secrets: { usernamePasswordSecret: { username: 'weir', password: 's3cret' } },
        routes: securedSample((req) => (basicAuthOk(req, 'weir', 's3cret') ? json({ authenticated: true }) : json({}, 401))),
        expect: { status: 'completed', output: { authenticated: true } },
        requests: [{ method: 'GET', host: 'secured.fake.com', path: '/sample', headers: { authorization: `Basic ${btoa('weir:s3cret')}` } }],
        why: 'Authentication: `basic.use` names a secret declared in `use.secrets` holding the username and password; dsl.md Secret: the runtime provides the secret\'s data.',
      },
    ],
  },
  'dsl-reference#basic-authentication/0': {
    cases: [
      {
        name: 'sends admin/password123 as Basic credentials',
        routes: securedSample((req) => (basicAuthOk(req, 'admin', 'password123') ? json({ authenticated: true }) : json({}, 401))),
        expect: { status: 'completed', output: { authenticated: true } },
        requests: [{ method: 'GET', host: 'secured.fake.com', path: '/sample', headers: { authorization: `Basic ${btoa('admin:password123')}` } }],
        why: 'Basic Authentication: username/password of the named policy `use: sampleBasic`.',
      },
    ],
  },
  'dsl-reference#bearer-authentication/0': {
    cases: [
      {
        name: 'sends the token from the input as Bearer',
        input: { user: { token: 'tok-123' } },
        routes: securedSample((req) => (req.headers.authorization === 'Bearer tok-123' ? json({ authenticated: true }) : json({}, 401))),
        expect: { status: 'completed', output: { authenticated: true } },
        requests: [{ method: 'GET', host: 'secured.fake.com', path: '/sample', headers: { authorization: 'Bearer tok-123' } }],
        why: 'Bearer Authentication: `token` may be a runtime expression, evaluated on the task input.',
      },
    ],
  },
  'dsl-reference#digest-authentication/0': {
    cases: [
      {
        name: 'answers the digest challenge for admin/password123',
        routes: securedSample(digestAuth('admin', 'password123', json({ authenticated: true }))),
        expect: { status: 'completed', output: { authenticated: true } },
        requests: [{ method: 'GET', host: 'secured.fake.com', path: '/sample', headers: { authorization: /^Digest / } }],
        why: 'Digest Authentication: the runtime authenticates with the username/password using HTTP digest (RFC 7616).',
      },
    ],
  },
  'dsl-reference#oauth2-authentication/0': {
    cases: [
      {
        name: 'gets a client_credentials token from the authority, then calls with it',
        routes: () => [
          tokenEndpoint('keycloak', 'kc-token'),
          route('GET', 'secured.fake.com', '/sample', (req) => (req.headers.authorization === 'Bearer kc-token' ? json({ authenticated: true }) : json({}, 401))),
        ],
        expect: { status: 'completed', output: { authenticated: true } },
        requests: [
          { method: 'POST', host: 'keycloak', path: '/realms/fake-authority/oauth2/token', form: { grant_type: 'client_credentials', client_id: 'workflow-runtime', client_secret: '**********' } },
          { method: 'GET', host: 'secured.fake.com', path: '/sample', headers: { authorization: 'Bearer kc-token' } },
        ],
        why: 'OAUTH2 Authentication: `endpoints.token` is the path of the token endpoint relative to `authority`; `client.authentication` defaults to client_secret_post and `request.encoding` to form-urlencoded.',
      },
    ],
  },
  'dsl-reference#openidconnect-authentication/0': {
    cases: [
      {
        name: 'discovers the token endpoint, gets a client_credentials token, then calls with it',
        routes: (originOf) => [
          discovery(originOf, 'keycloak', '/realms/fake-authority'),
          tokenEndpoint('keycloak', 'oidc-token'),
          route('GET', 'secured.fake.com', '/sample', (req) => (req.headers.authorization === 'Bearer oidc-token' ? json({ authenticated: true }) : json({}, 401))),
        ],
        expect: { status: 'completed', output: { authenticated: true } },
        requests: [{ method: 'GET', host: 'secured.fake.com', path: '/sample', headers: { authorization: 'Bearer oidc-token' } }],
        why: 'OpenIdConnect Authentication: a token is obtained from the `authority` for the `client_credentials` grant and sent as Bearer.',
      },
    ],
  },
  'dsl-reference#catalog/0': { unsupported: true,
    skip: 'calls log:0.5.2@global from a function catalog on github.com; Weir does not resolve catalogs (declare the function in use.functions instead)',
  },
  'dsl-reference#extension/0': {
    cases: [
      {
        name: 'logs before and after sampleTask',
        routes: () => [route('POST', 'fake.log.collector.com', '*', json({ logged: true })), route('GET', 'fake.com', '/sample', json({ sample: true }))],
        expect: { status: 'completed' },
        requests: [
          { method: 'POST', host: 'fake.log.collector.com', path: '/', json: { message: "Executing task '/do/0/sampleTask'..." } },
          { method: 'GET', host: 'fake.com', path: '/sample' },
          { method: 'POST', host: 'fake.log.collector.com', path: '/', json: { message: "Executed task '/do/0/sampleTask'..." } },
        ],
        why: 'Extension: `extend: all` runs `before` tasks before and `after` tasks after every (non-extension) task; `$task.reference` is the task\'s JSON pointer.',
      },
    ],
  },
  'dsl-reference#extension/1': {
    cases: [
      {
        name: 'does not intercept a call to another host: sampleTask really calls fake.com',
        routes: () => [route('GET', 'fake.com', '/sample', json({ sample: true }))],
        expect: { status: 'completed', output: { sample: true } },
        requests: [{ method: 'GET', host: 'fake.com', path: '/sample' }],
        why: 'Extension: `when` decides whether the extension applies; sampleTask targets https://fake.com, not https://mocked.service.com, so it runs unmocked (and `$task` has no `call`, dsl.md Task Descriptor).',
      },
    ],
  },
  'dsl-reference#input/0': { skip: 'fragment: an `input` definition (schema + from), not a workflow document' },
  'dsl-reference#output/0': { skip: 'fragment: an `output` definition (schema + as), not a workflow document' },
  'dsl-reference#schema/0': { skip: 'fragment: a JSON schema definition (`format` + `document`), not a workflow document' },
  'dsl-reference#timeout/0': {
    cases: [
      {
        name: 'the 30 s workflow timeout interrupts the 60 s wait',
        waits: {},
        expect: { status: 'faulted', error: { type: `${CALL_PROBLEM}timeout`, status: 408 } },
        why: 'dsl.md Timeouts: when a timeout occurs the runtime must interrupt the workflow and raise type timeout, status 408, which faults it if uncaught.',
      },
    ],
  },
  'dsl-reference#process-result/0': { unsupported: true, skip: PROCESS_SKIP },
  'dsl-reference#asyncapi-server/0': { unsupported: true, skip: ASYNCAPI_SKIP },
  'dsl-reference#asyncapi-outbound-message/0': { unsupported: true, skip: ASYNCAPI_SKIP },
  'dsl-reference#asyncapi-subscription/0': { unsupported: true, skip: ASYNCAPI_SKIP },
  'dsl-reference#asyncapi-subscription-lifetime/0': { unsupported: true, skip: ASYNCAPI_SKIP },
  'dsl-reference#subscription-iterator/0': { unsupported: true, skip: ASYNCAPI_SKIP },
  'dsl#using-cataloged-functions/0': { unsupported: true,
    skip: 'calls log:0.5.2@global from a function catalog on github.com; Weir does not resolve catalogs (declare the function in use.functions instead)',
  },
  'dsl#creating-a-custom-function/0': { skip: 'fragment: a catalog `function.yaml` (a task definition running a script), not a workflow document' },
  'dsl#using-a-custom-function/0': { unsupported: true,
    skip: 'placeholder: calls https://github.com/myorg/functions/validateEmailAddress@v1.0.0, a made-up repository whose function runs a script; Weir resolves no catalog functions nor scripts',
  },
  'dsl#extensions/0': {
    cases: [
      {
        name: 'is rejected: `\\(` is not a YAML escape, and sampleTask gives `uri` where an HTTP call requires `endpoint`',
        expect: { status: 'invalid' },
        why: 'YAML 1.2 §5.7: `\\(` is not an escape in a double-quoted scalar, so the document does not parse; even unescaped, HTTP Call requires `endpoint` (schema: `required: [ method, endpoint ]`, `unevaluatedProperties: false`).',
      },
    ],
  },
};
