/**
 * The Serverless Workflow DSL 1.0 model as Weir reads it: plain TypeScript types of the *document*
 * shape, unchanged (no defaults filled in, no renaming), so the interpreter can address any task by a
 * JSON pointer into the document (`/do/0/taskName`). The zod schemas in `schema/*.ts` are annotated
 * with these types, so `tsc` fails when the schema and the model drift apart.
 *
 * Property names and optionality follow `spec/schema/workflow.yaml` (DSL 1.0.3).
 */

/** A `${ ... }` string (or, in expression-only fields such as `if`, a bare jq program). */
export type RuntimeExpression = string;

/** An absolute URI or RFC 6570 URI template (`https://host/pets/{petId}`). */
export type UriTemplate = string;

// ---------------------------------------------------------------------------------------------
// Durations, timeouts

export type DurationInline = {
  days?: number;
  hours?: number;
  minutes?: number;
  seconds?: number;
  milliseconds?: number;
};

/** ISO 8601 (`PT1H30M`, `P7D`), inline object, or a runtime expression producing an ISO string. */
export type Duration = string | DurationInline;

export type Timeout = { after: Duration };

// ---------------------------------------------------------------------------------------------
// Authentication

/** `{ use: <secret name> }`: credentials come from a secret declared in `use.secrets`. */
export type SecretBasedAuthentication = { use: string };

export type BasicAuthenticationProperties = { username: string; password: string };
export type BearerAuthenticationProperties = { token: string };
export type DigestAuthenticationProperties = { username: string; password: string };

export type OAuth2Token = { token: string; type: string };

export type OAuth2AuthenticationProperties = {
  authority?: UriTemplate;
  grant?:
    | 'authorization_code'
    | 'client_credentials'
    | 'password'
    | 'refresh_token'
    | 'urn:ietf:params:oauth:grant-type:token-exchange';
  client?: {
    id?: string;
    secret?: string;
    assertion?: string;
    authentication?: 'client_secret_basic' | 'client_secret_post' | 'client_secret_jwt' | 'private_key_jwt' | 'none';
  };
  request?: { encoding?: 'application/x-www-form-urlencoded' | 'application/json' };
  issuers?: string[];
  scopes?: string[];
  audiences?: string[];
  username?: string;
  password?: string;
  subject?: OAuth2Token;
  actor?: OAuth2Token;
  endpoints?: { token?: string; revocation?: string; introspection?: string };
};

export type BasicAuthentication = { basic: BasicAuthenticationProperties | SecretBasedAuthentication };
export type BearerAuthentication = { bearer: BearerAuthenticationProperties | SecretBasedAuthentication };
export type DigestAuthentication = { digest: DigestAuthenticationProperties | SecretBasedAuthentication };
export type OAuth2Authentication = { oauth2: OAuth2AuthenticationProperties | SecretBasedAuthentication };
export type OidcAuthentication = { oidc: OAuth2AuthenticationProperties | SecretBasedAuthentication };

/** An authentication policy defined inline (the shape of `use.authentications.<name>`). */
export type AuthenticationPolicy =
  | BasicAuthentication
  | BearerAuthentication
  | DigestAuthentication
  | OAuth2Authentication
  | OidcAuthentication;

/** `{ use: <name in use.authentications> }`. */
export type AuthenticationReference = { use: string };

/** Where a task or endpoint names its authentication: a reference or an inline policy. */
export type Authentication = AuthenticationReference | AuthenticationPolicy;

export const authenticationSchemes = ['basic', 'bearer', 'digest', 'oauth2', 'oidc'] as const;
export type AuthenticationScheme = (typeof authenticationSchemes)[number];

// ---------------------------------------------------------------------------------------------
// Endpoints, resources, schemas

export type EndpointConfiguration = { uri: UriTemplate | RuntimeExpression; authentication?: Authentication };

/** A URI template, a runtime expression, or `{ uri, authentication? }`. */
export type Endpoint = UriTemplate | RuntimeExpression | EndpointConfiguration;

export type ExternalResource = { name?: string; endpoint: Endpoint };

export type Schema =
  | { format?: string; document: unknown }
  | { format?: string; resource: ExternalResource };

// ---------------------------------------------------------------------------------------------
// Data flow

export type Input = { schema?: Schema; from?: string | Record<string, unknown> };
export type Output = { schema?: Schema; as?: string | Record<string, unknown> };
export type Export = { schema?: Schema; as?: string | Record<string, unknown> };

// ---------------------------------------------------------------------------------------------
// Errors and retries

/** A workflow error definition (RFC 7807 problem details). Named `Error` as in the DSL. */
export type Error = {
  type: UriTemplate | RuntimeExpression;
  status: number;
  instance?: string;
  title?: string;
  detail?: string;
};
/** Alias of {@link Error} for modules that must not shadow the global `Error`. */
export type WorkflowError = Error;

export type ErrorFilter = {
  type?: string;
  status?: number;
  instance?: string;
  title?: string;
  details?: string;
  [extra: string]: unknown;
};

export type Backoff =
  | { constant: Record<string, unknown> }
  | { exponential: Record<string, unknown> }
  | { linear: Record<string, unknown> };

export type RetryPolicy = {
  when?: RuntimeExpression;
  exceptWhen?: RuntimeExpression;
  delay?: Duration;
  backoff?: Backoff;
  limit?: {
    attempt?: { count?: number; duration?: Duration };
    duration?: Duration;
  };
  jitter?: { from: Duration; to: Duration };
};

// ---------------------------------------------------------------------------------------------
// Events

export type EventProperties = {
  id?: string;
  source?: UriTemplate | RuntimeExpression;
  type?: string;
  time?: string;
  subject?: string;
  datacontenttype?: string;
  dataschema?: UriTemplate | RuntimeExpression;
  data?: unknown;
  [extension: string]: unknown;
};

export type EventFilter = {
  with: EventProperties;
  correlate?: Record<string, { from: string; expect?: string; [extra: string]: unknown }>;
};

export type EventConsumptionStrategy =
  | { all: EventFilter[] }
  | { any: EventFilter[]; until?: RuntimeExpression | EventConsumptionStrategy }
  | { one: EventFilter };

export type SubscriptionIterator = {
  item?: string;
  at?: string;
  do?: TaskItem[];
  output?: Output;
  export?: Export;
};

// ---------------------------------------------------------------------------------------------
// Flow

/** `continue`, `exit`, `end`, or the name of a task in the same task list. */
export type FlowDirective = string;
export const flowDirectives = ['continue', 'exit', 'end'] as const;
export type FlowDirectiveKeyword = (typeof flowDirectives)[number];

// ---------------------------------------------------------------------------------------------
// Tasks

/** Properties every task may carry. */
export type TaskBase = {
  if?: RuntimeExpression;
  input?: Input;
  output?: Output;
  export?: Export;
  timeout?: Timeout | string;
  then?: FlowDirective;
  metadata?: Record<string, unknown>;
};

export type HttpArguments = {
  method: string;
  endpoint: Endpoint;
  headers?: Record<string, string> | RuntimeExpression;
  body?: unknown;
  query?: Record<string, string> | RuntimeExpression;
  output?: 'raw' | 'content' | 'response';
  redirect?: boolean;
};

export type OpenApiArguments = {
  document: ExternalResource;
  operationId: string;
  parameters?: Record<string, unknown>;
  authentication?: Authentication;
  output?: 'raw' | 'content' | 'response';
  redirect?: boolean;
};

export type CallHttpTask = TaskBase & { call: 'http'; with: HttpArguments };
export type CallOpenApiTask = TaskBase & { call: 'openapi'; with: OpenApiArguments };
/** `call: grpc | asyncapi | a2a | mcp`: schema-valid, rejected by Weir ("not supported"). */
export type CallUnsupportedTask = TaskBase & { call: 'grpc' | 'asyncapi' | 'a2a' | 'mcp'; with: Record<string, unknown> };
/** `call: <name>` of a function declared in `use.functions`. */
export type CallFunctionTask = TaskBase & { call: string; with?: Record<string, unknown> };

export type CallTask = CallHttpTask | CallOpenApiTask | CallUnsupportedTask | CallFunctionTask;

export type DoTask = TaskBase & { do: TaskItem[] };

export type EmitTask = TaskBase & {
  emit: { event: { with?: EventProperties; [extra: string]: unknown } };
};

export type ForTask = TaskBase & {
  for: { each?: string; in: RuntimeExpression; at?: string };
  while?: RuntimeExpression;
  do: TaskItem[];
};

export type ForkTask = TaskBase & { fork: { branches: TaskItem[]; compete?: boolean } };

export type ListenTask = TaskBase & {
  listen: { to: EventConsumptionStrategy; read?: 'data' | 'envelope' | 'raw' };
  foreach?: SubscriptionIterator;
};

export type RaiseTask = TaskBase & { raise: { error: Error | string } };

export type RunWorkflow = {
  workflow: { namespace: string; name: string; version: string; input?: Record<string, unknown> };
};
/** `run: container | script | shell`: schema-valid, rejected by Weir ("not supported"). */
export type RunUnsupported =
  | { container: Record<string, unknown> }
  | { script: Record<string, unknown> }
  | { shell: Record<string, unknown> };
export type RunProcess = (RunWorkflow | RunUnsupported) & {
  await?: boolean;
  return?: 'stdout' | 'stderr' | 'code' | 'all' | 'none';
};
export type RunTask = TaskBase & { run: RunProcess };

export type SetTask = TaskBase & { set: Record<string, unknown> | RuntimeExpression };

export type SwitchCase = { when?: RuntimeExpression; then: FlowDirective };
export type SwitchTask = TaskBase & { switch: Array<Record<string, SwitchCase>> };

export type Catch = {
  errors?: { with?: ErrorFilter };
  as?: string;
  when?: RuntimeExpression;
  exceptWhen?: RuntimeExpression;
  retry?: RetryPolicy | string;
  do?: TaskItem[];
};
export type TryTask = TaskBase & { try: TaskItem[]; catch: Catch };

export type WaitTask = TaskBase & { wait: Duration };

export type Task =
  | CallTask
  | DoTask
  | EmitTask
  | ForTask
  | ForkTask
  | ListenTask
  | RaiseTask
  | RunTask
  | SetTask
  | SwitchTask
  | TryTask
  | WaitTask;

/**
 * The discriminating key of each task kind, in the order kinds are detected. `for` comes before
 * `do` because a for task also carries `do`; `try` before everything because its `catch` may carry
 * `do`.
 */
export const taskKinds = ['call', 'emit', 'for', 'fork', 'listen', 'raise', 'run', 'set', 'switch', 'try', 'wait', 'do'] as const;
export type TaskKind = (typeof taskKinds)[number];

/** One entry of a task list: a single-key map `{ [taskName]: Task }`. */
export type TaskItem = Record<string, Task>;

// ---------------------------------------------------------------------------------------------
// Workflow

export type Document = {
  dsl: string;
  namespace: string;
  name: string;
  version: string;
  title?: string;
  summary?: string;
  tags?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
};

export type Catalog = { endpoint: Endpoint };

export type Extension = {
  extend: 'call' | 'composite' | 'emit' | 'for' | 'listen' | 'raise' | 'run' | 'set' | 'switch' | 'try' | 'wait' | 'all';
  when?: RuntimeExpression;
  before?: TaskItem[];
  after?: TaskItem[];
};

export type Use = {
  authentications?: Record<string, AuthenticationPolicy>;
  errors?: Record<string, Error>;
  extensions?: Array<Record<string, Extension>>;
  functions?: Record<string, Task>;
  retries?: Record<string, RetryPolicy>;
  secrets?: string[];
  timeouts?: Record<string, Timeout>;
  catalogs?: Record<string, Catalog>;
};

export type Schedule = {
  every?: Duration;
  cron?: string;
  after?: Duration;
  on?: EventConsumptionStrategy;
};

/** `evaluate` is in dsl-reference.md but not in the 1.0.3 JSON schema; Weir accepts it. */
export type Evaluate = { language?: string; mode?: 'strict' | 'loose' };

export type Workflow = {
  document: Document;
  input?: Input;
  use?: Use;
  do: TaskItem[];
  timeout?: Timeout | string;
  output?: Output;
  schedule?: Schedule;
  evaluate?: Evaluate;
};

// ---------------------------------------------------------------------------------------------
// Validation results

/** One problem found in a document. */
export type ValidationIssue = {
  /** RFC 6901 JSON pointer into the document, e.g. `/do/2/callApi/with/endpoint`; `''` = the root. */
  pointer: string;
  /** What is wrong, in words a workflow author understands. */
  message: string;
  /** A stable machine code, e.g. `invalid_type`, `unknown_task_kind`, `not_supported`. */
  code: string;
  /** 1-based line/column in the source text, when known (parse errors, or mapped by the caller). */
  line?: number;
  column?: number;
};
