/** Schemas shared by tasks and the workflow: durations, endpoints, authentication, errors, retries, events, data flow. */
import { z } from 'zod';
import { isoDurationPattern, isoDurationProblem } from '../duration.ts';
import type * as M from '../model.ts';
import {
  addIssue,
  anyMap,
  custom,
  describeValue,
  forward,
  int,
  isPlainObject,
  keyedUnion,
  runtimeExpressionPattern,
  stringOrObject,
  uriTemplate,
  uriTemplatePattern,
} from './helpers.ts';

// ---- durations, timeouts

const durationFields = z.strictObject({ days: int.optional(), hours: int.optional(), minutes: int.optional(), seconds: int.optional(), milliseconds: int.optional() });
const durationInline = custom<M.DurationInline>((v, ctx) => {
  if (isPlainObject(v) && Object.keys(v).length === 0) addIssue(ctx, 'a duration object needs at least one of days, hours, minutes, seconds, milliseconds', 'invalid_value');
  else forward(ctx, durationFields, v);
});

export const duration: z.ZodType<M.Duration> = custom<M.Duration>((v, ctx) => {
  if (typeof v === 'string') {
    if (runtimeExpressionPattern.test(v)) return;
    if (!isoDurationPattern.test(v)) {
      addIssue(ctx, `'${v}' is not an ISO 8601 duration (e.g. PT30S, PT1H30M, P7D) or a runtime expression`, 'invalid_value');
    } else if (isoDurationProblem(v)) {
      addIssue(ctx, `${isoDurationProblem(v)} (not supported by Weir)`, 'not_supported');
    }
  } else if (isPlainObject(v)) {
    forward(ctx, durationInline, v);
  } else {
    addIssue(ctx, `expected a duration (ISO 8601 string such as PT1H30M, or { days, hours, minutes, seconds, milliseconds }), got ${describeValue(v)}`, 'invalid_type');
  }
});

export const timeout: z.ZodType<M.Timeout> = z.strictObject({ after: duration });
export const timeoutOrReference = stringOrObject<M.Timeout | string>('a timeout { after: <duration> } or the name of a timeout in use.timeouts', z.string(), () => timeout);

// ---- authentication

const secretBased: z.ZodType<M.SecretBasedAuthentication> = z.strictObject({ use: z.string().min(1, 'expected a secret name') });

function secretOr(props: z.ZodType): () => z.ZodType {
  return () =>
    custom((v, ctx) => {
      if (!isPlainObject(v)) addIssue(ctx, `expected an object, got ${describeValue(v)}`, 'invalid_type');
      else forward(ctx, Object.hasOwn(v, 'use') ? secretBased : props, v);
    });
}

const oauth2Token: z.ZodType<M.OAuth2Token> = z.strictObject({ token: z.string(), type: z.string() });

const oauth2PropertiesObject = z.strictObject({
  authority: uriTemplate.optional(),
  grant: z.enum(['authorization_code', 'client_credentials', 'password', 'refresh_token', 'urn:ietf:params:oauth:grant-type:token-exchange']).optional(),
  client: z
    .strictObject({
      id: z.string().optional(),
      secret: z.string().optional(),
      assertion: z.string().optional(),
      authentication: z.enum(['client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt', 'none']).optional(),
    })
    .optional(),
  request: z.object({ encoding: z.enum(['application/x-www-form-urlencoded', 'application/json']).optional() }).optional(),
  issuers: z.array(z.string()).optional(),
  scopes: z.array(z.string()).optional(),
  audiences: z.array(z.string()).optional(),
  username: z.string().optional(),
  password: z.string().optional(),
  subject: oauth2Token.optional(),
  actor: oauth2Token.optional(),
  endpoints: z.object({ token: z.string().optional(), revocation: z.string().optional(), introspection: z.string().optional() }).optional(),
});

const oauth2Properties: z.ZodType<M.OAuth2AuthenticationProperties> = oauth2PropertiesObject;
// OpenID Connect has no `endpoints` (discovery supplies them); the JSON schema defines them only for oauth2.
const oidcProperties: z.ZodType<M.OAuth2AuthenticationProperties> = oauth2PropertiesObject.omit({ endpoints: true });

const policyBranches = {
  basic: () => z.strictObject({ basic: secretOr(z.strictObject({ username: z.string(), password: z.string() }))() }),
  bearer: () => z.strictObject({ bearer: secretOr(z.strictObject({ token: z.string() }))() }),
  digest: () => z.strictObject({ digest: secretOr(z.strictObject({ username: z.string(), password: z.string() }))() }),
  oauth2: () => z.strictObject({ oauth2: secretOr(oauth2Properties)() }),
  oidc: () => z.strictObject({ oidc: secretOr(oidcProperties)() }),
};

/** An inline policy, as in `use.authentications.<name>`. */
export const authenticationPolicy = keyedUnion<M.AuthenticationPolicy>('authentication policy', policyBranches, { exclusive: true });

/** Where a task names its authentication: `{ use: <name> }` or an inline policy. */
export const authentication = keyedUnion<M.Authentication>(
  'authentication',
  { use: () => z.strictObject({ use: z.string().min(1, 'expected the name of an authentication in use.authentications') }), ...policyBranches },
  { exclusive: true },
);

// ---- endpoints, resources, schemas

const endpointConfiguration: z.ZodType<M.EndpointConfiguration> = z.strictObject({
  uri: custom<string>((v, ctx) => {
    if (typeof v !== 'string' || !(uriTemplatePattern.test(v) || runtimeExpressionPattern.test(v))) {
      addIssue(ctx, `expected an absolute URI template (scheme://...) or a runtime expression, got ${describeValue(v)}`, 'invalid_value');
    }
  }),
  authentication: authentication.optional(),
});

export const endpoint: z.ZodType<M.Endpoint> = custom<M.Endpoint>((v, ctx) => {
  if (typeof v === 'string') {
    if (!uriTemplatePattern.test(v) && !runtimeExpressionPattern.test(v)) {
      addIssue(ctx, `expected a URI template or endpoint object: '${v}' is neither an absolute URI (scheme://...) nor a runtime expression`, 'invalid_value');
    }
  } else if (isPlainObject(v)) {
    forward(ctx, endpointConfiguration, v);
  } else {
    addIssue(ctx, `expected a URI template or endpoint object, got ${describeValue(v)}`, 'invalid_type');
  }
});

export const externalResource: z.ZodType<M.ExternalResource> = z.strictObject({ name: z.string().optional(), endpoint });

export const schema = keyedUnion<M.Schema>(
  'schema',
  {
    document: () => z.strictObject({ format: z.string().optional(), document: z.unknown() }),
    resource: () => z.strictObject({ format: z.string().optional(), resource: externalResource }),
  },
  { exclusive: true },
);

// ---- data flow

const exprOrObject = stringOrObject<string | Record<string, unknown>>('a runtime expression or an object', z.string(), () => anyMap);
export const input: z.ZodType<M.Input> = z.strictObject({ schema: schema.optional(), from: exprOrObject.optional() });
export const output: z.ZodType<M.Output> = z.strictObject({ schema: schema.optional(), as: exprOrObject.optional() });
export const exportSchema: z.ZodType<M.Export> = z.strictObject({ schema: schema.optional(), as: exprOrObject.optional() });

// ---- errors and retries

const expressionOrString = z.string();
const jsonPointerPattern = /^(?:\/(?:[^~/]|~0|~1)*)*$/;
export const error: z.ZodType<M.Error> = z.strictObject({
  type: custom<string>((v, ctx) => {
    if (typeof v !== 'string' || !(uriTemplatePattern.test(v) || runtimeExpressionPattern.test(v))) {
      addIssue(ctx, `expected an absolute URI (e.g. https://serverlessworkflow.io/spec/1.0.0/errors/validation) or a runtime expression, got ${typeof v === 'string' ? `'${v}'` : describeValue(v)}`, 'invalid_value');
    }
  }),
  status: int,
  instance: custom<string>((v, ctx) => {
    if (typeof v !== 'string' || !(jsonPointerPattern.test(v) || runtimeExpressionPattern.test(v))) {
      addIssue(ctx, `expected a JSON pointer (e.g. /do/0/myTask) or a runtime expression, got ${typeof v === 'string' ? `'${v}'` : describeValue(v)}`, 'invalid_value');
    }
  }).optional(),
  title: expressionOrString.optional(),
  detail: expressionOrString.optional(),
});

export const errorFilter: z.ZodType<M.ErrorFilter> = z
  .looseObject({
    type: z.string().optional(),
    status: int.optional(),
    instance: z.string().optional(),
    title: z.string().optional(),
    details: z.string().optional(),
  })
  .refine((f) => Object.keys(f).length > 0, { message: 'an error filter needs at least one property' });

const backoff = keyedUnion<M.Backoff>(
  'backoff',
  { constant: () => z.object({ constant: anyMap }), exponential: () => z.object({ exponential: anyMap }), linear: () => z.object({ linear: anyMap }) },
  { exclusive: true },
);

export const retryPolicy: z.ZodType<M.RetryPolicy> = z.strictObject({
  when: z.string().optional(),
  exceptWhen: z.string().optional(),
  delay: duration.optional(),
  backoff: backoff.optional(),
  limit: z
    .strictObject({
      attempt: z.strictObject({ count: int.optional(), duration: duration.optional() }).optional(),
      duration: duration.optional(),
    })
    .optional(),
  jitter: z.strictObject({ from: duration, to: duration }).optional(),
});

export const retryOrReference = stringOrObject<M.RetryPolicy | string>('a retry policy or the name of one in use.retries', z.string(), () => retryPolicy);

// ---- events

const uriOrExpression = custom<string>((v, ctx) => {
  if (typeof v !== 'string' || !(uriTemplatePattern.test(v) || runtimeExpressionPattern.test(v))) {
    addIssue(ctx, `expected an absolute URI (scheme://...) or a runtime expression, got ${typeof v === 'string' ? `'${v}'` : describeValue(v)}`, 'invalid_value');
  }
});

const rfc3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

export const eventProperties: z.ZodType<M.EventProperties> = z.looseObject({
  id: z.string().optional(),
  source: uriOrExpression.optional(),
  type: z.string().optional(),
  time: custom<string>((v, ctx) => {
    if (typeof v !== 'string' || !(rfc3339.test(v) || runtimeExpressionPattern.test(v))) {
      addIssue(ctx, `expected an RFC 3339 date-time or a runtime expression, got ${typeof v === 'string' ? `'${v}'` : describeValue(v)}`, 'invalid_value');
    }
  }).optional(),
  subject: z.string().optional(),
  datacontenttype: z.string().optional(),
  dataschema: uriOrExpression.optional(),
  data: z.unknown().optional(),
});

export const eventFilter: z.ZodType<M.EventFilter> = z.strictObject({
  with: eventProperties.refine((p) => Object.keys(p as object).length > 0, { message: 'an event filter needs at least one property' }),
  correlate: z.record(z.string(), z.looseObject({ from: z.string(), expect: z.string().optional() })).optional(),
});

export const eventConsumptionStrategy: z.ZodType<M.EventConsumptionStrategy> = keyedUnion<M.EventConsumptionStrategy>(
  'event consumption strategy',
  {
    all: () => z.strictObject({ all: z.array(eventFilter) }),
    any: () =>
      z.strictObject({
        any: z.array(eventFilter),
        until: stringOrObject<string | M.EventConsumptionStrategy>('a runtime expression or an event consumption strategy', z.string(), () =>
          custom((v, ctx) => {
            if (isPlainObject(v) && Object.hasOwn(v, 'until')) addIssue(ctx, "a nested 'until' strategy cannot itself have 'until'", 'invalid_value', ['until']);
            else forward(ctx, eventConsumptionStrategy, v);
          }),
        ).optional(),
      }),
    one: () => z.strictObject({ one: eventFilter }),
  },
  { exclusive: true },
);

