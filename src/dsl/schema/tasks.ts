/**
 * One schema per task kind. A task is recognised by its discriminating key (`call`, `do`, `set`, …)
 * and checked against that kind's schema only, so an author who misspells a property of a `set` task
 * hears about that property, not about eleven other task kinds.
 */
import { z } from 'zod';
import type * as M from '../model.ts';
import { taskKinds } from '../model.ts';
import {
  authentication,
  duration,
  endpoint,
  error,
  errorFilter,
  eventConsumptionStrategy,
  eventProperties,
  exportSchema,
  externalResource,
  input,
  output,
  retryOrReference,
  timeoutOrReference,
} from './common.ts';
import {
  addIssue,
  anyMap,
  custom,
  describeValue,
  forward,
  isPlainObject,
  keyedUnion,
  namedList,
  runtimeExpressionPattern,
  stringOrObject,
} from './helpers.ts';

const taskBase = {
  if: z.string().optional(),
  input: input.optional(),
  output: output.optional(),
  export: exportSchema.optional(),
  timeout: timeoutOrReference.optional(),
  then: z.string().optional(),
  metadata: anyMap.optional(),
};

/** A list of named tasks, `[{ name: task }]`. */
export const taskList: z.ZodType<M.TaskItem[]> = namedList<M.Task>('task', () => task);

// ---- call

const exprOrStringMap = (what: string) => {
  const map = z.record(z.string(), z.string({ error: `${what} values must be strings` }));
  return custom<Record<string, string> | string>((v, ctx) => {
    if (typeof v === 'string') {
      if (!runtimeExpressionPattern.test(v)) addIssue(ctx, `expected a map of ${what} or a runtime expression \${ ... }`, 'invalid_value');
    } else if (isPlainObject(v)) forward(ctx, map, v);
    else addIssue(ctx, `expected a map of ${what} or a runtime expression, got ${describeValue(v)}`, 'invalid_type');
  });
};

const callOutput = z.enum(['raw', 'content', 'response'], { error: "expected 'raw', 'content' or 'response'" });

export const callHttpTask: z.ZodType<M.CallHttpTask> = z.strictObject({
  ...taskBase,
  call: z.literal('http'),
  with: z.strictObject({
    method: z.string(),
    endpoint,
    headers: exprOrStringMap('header names to values').optional(),
    body: z.unknown().optional(),
    query: exprOrStringMap('query parameters to values').optional(),
    output: callOutput.optional(),
    redirect: z.boolean().optional(),
  }),
});

export const callOpenApiTask: z.ZodType<M.CallOpenApiTask> = z.strictObject({
  ...taskBase,
  call: z.literal('openapi'),
  with: z.strictObject({
    document: externalResource,
    operationId: z.string(),
    parameters: anyMap.optional(),
    authentication: authentication.optional(),
    output: callOutput.optional(),
    redirect: z.boolean().optional(),
  }),
});

/** Call protocols in the DSL that Weir does not run; their arguments are not checked further. */
export const unsupportedCalls = ['grpc', 'asyncapi', 'a2a', 'mcp'] as const;

const callUnsupported = z.looseObject({ ...taskBase }).superRefine((v, ctx) => {
  addIssue(ctx, `call: ${String((v as { call?: unknown }).call)} is not supported by Weir (supported: http, openapi, and functions from use.functions)`, 'not_supported', ['call']);
});

export const callFunctionTask: z.ZodType<M.CallFunctionTask> = z.strictObject({ ...taskBase, call: z.string(), with: anyMap.optional() });

export const callTask = custom<M.CallTask>((v, ctx) => {
  const call = (v as { call: unknown }).call;
  if (typeof call !== 'string') {
    addIssue(ctx, `expected call to be 'http', 'openapi' or the name of a function, got ${describeValue(call)}`, 'invalid_type', ['call']);
    return;
  }
  if (call === 'http' || call === 'openapi') {
    forward(ctx, call === 'http' ? callHttpTask : callOpenApiTask, v);
  } else if ((unsupportedCalls as readonly string[]).includes(call)) forward(ctx, callUnsupported, v);
  else forward(ctx, callFunctionTask, v);
});

// ---- do, emit, for, fork, listen, raise

export const doTask: z.ZodType<M.DoTask> = z.strictObject({ ...taskBase, do: taskList });

export const emitTask: z.ZodType<M.EmitTask> = z.strictObject({
  ...taskBase,
  emit: z.strictObject({
    event: z.looseObject({
      with: custom<M.EventProperties>((v, ctx) => {
        forward(ctx, eventProperties, v);
        if (isPlainObject(v)) {
          for (const k of ['source', 'type']) if (!Object.hasOwn(v, k)) addIssue(ctx, `an emitted event needs '${k}'`, 'invalid_type', [k]);
        }
      }).optional(),
    }),
  }),
});

export const forTask: z.ZodType<M.ForTask> = z.strictObject({
  ...taskBase,
  for: z.strictObject({ each: z.string().optional(), in: z.string(), at: z.string().optional() }),
  while: z.string().optional(),
  do: taskList,
});

export const forkTask: z.ZodType<M.ForkTask> = z.strictObject({
  ...taskBase,
  fork: z.strictObject({ branches: taskList, compete: z.boolean().optional() }),
});

export const listenTask: z.ZodType<M.ListenTask> = z.strictObject({
  ...taskBase,
  listen: z.strictObject({
    to: eventConsumptionStrategy,
    read: z.enum(['data', 'envelope', 'raw'], { error: "expected 'data', 'envelope' or 'raw'" }).optional(),
  }),
  foreach: z
    .strictObject({
      item: z.string().optional(),
      at: z.string().optional(),
      do: taskList.optional(),
      output: output.optional(),
      export: exportSchema.optional(),
    })
    .optional(),
});

export const raiseTask: z.ZodType<M.RaiseTask> = z.strictObject({
  ...taskBase,
  raise: z.strictObject({
    error: stringOrObject<M.Error | string>('an error definition or the name of an error in use.errors', z.string(), () => error),
  }),
});

// ---- run

const runShared = { await: z.boolean().optional(), return: z.enum(['stdout', 'stderr', 'code', 'all', 'none']).optional() };

const runWorkflow = z.strictObject({
  ...runShared,
  workflow: z.strictObject({
    namespace: z.string(),
    name: z.string(),
    version: z.string(),
    input: anyMap.optional(),
  }),
});

/** Process kinds in the DSL that Weir does not run (no containers, scripts or shells in a durable service). */
export const unsupportedRuns = ['container', 'script', 'shell'] as const;

const runUnsupported = (kind: string) =>
  z.looseObject({}).superRefine((_v, ctx) => {
    addIssue(ctx, `run: ${kind} is not supported by Weir (only run: workflow is)`, 'not_supported', [kind]);
  });

export const runTask: z.ZodType<M.RunTask> = z.strictObject({
  ...taskBase,
  run: keyedUnion<M.RunProcess>(
    'process',
    {
      workflow: () => runWorkflow,
      container: () => runUnsupported('container'),
      script: () => runUnsupported('script'),
      shell: () => runUnsupported('shell'),
    },
    { exclusive: true },
  ),
});

// ---- set, switch, try, wait

export const setTask: z.ZodType<M.SetTask> = z.strictObject({
  ...taskBase,
  set: stringOrObject<Record<string, unknown> | string>('an object of values to set or a runtime expression', z.string(), () =>
    anyMap.refine((o) => Object.keys(o).length > 0, { message: 'set needs at least one property' }),
  ),
});

const switchCase: z.ZodType<M.SwitchCase> = z.strictObject({ when: z.string().optional(), then: z.string() });

export const switchTask: z.ZodType<M.SwitchTask> = z.strictObject({
  ...taskBase,
  switch: namedList<M.SwitchCase>('switch case', () => switchCase, { minItems: 1 }),
});

export const tryTask: z.ZodType<M.TryTask> = z.strictObject({
  ...taskBase,
  try: taskList,
  catch: z.strictObject({
    errors: z.looseObject({ with: errorFilter.optional() }).optional(),
    as: z.string().optional(),
    when: z.string().optional(),
    exceptWhen: z.string().optional(),
    retry: retryOrReference.optional(),
    do: taskList.optional(),
  }),
});

export const waitTask: z.ZodType<M.WaitTask> = z.strictObject({ ...taskBase, wait: duration });

const kindSchemas: Record<M.TaskKind, () => z.ZodType> = {
  call: () => callTask,
  emit: () => emitTask,
  for: () => forTask,
  fork: () => forkTask,
  listen: () => listenTask,
  raise: () => raiseTask,
  run: () => runTask,
  set: () => setTask,
  switch: () => switchTask,
  try: () => tryTask,
  wait: () => waitTask,
  do: () => doTask,
};

/** Any task: dispatched on its discriminating key (see `taskKinds` for the order). */
export const task: z.ZodType<M.Task> = keyedUnion<M.Task>('task kind', Object.fromEntries(taskKinds.map((k) => [k, kindSchemas[k]])));
