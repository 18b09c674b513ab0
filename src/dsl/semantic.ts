/**
 * Checks the JSON schema cannot express: names that must resolve (`then` targets, `use.*`
 * references), unique task names, the DSL version Weir runs, and the features Weir does not run.
 * Runs on any document (valid or not) and skips what is not the expected shape.
 */
import type { ValidationIssue } from './model.ts';
import { flowDirectives } from './model.ts';
import { joinPointer } from './pointer.ts';
import { isPlainObject } from './schema/helpers.ts';
import { walkDocument } from './walk.ts';

const jqIdentifier = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function semanticIssues(doc: unknown): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  if (!isPlainObject(doc)) return issues;
  const issue = (pointer: string, code: string, message: string) => issues.push({ pointer, code, message });

  const document = isPlainObject(doc.document) ? doc.document : undefined;
  if (document && typeof document.dsl === 'string' && !/^1\.0\.\d+$/.test(document.dsl)) {
    issue('/document/dsl', 'unsupported_dsl_version', `Weir runs DSL 1.0.x documents; this one declares '${document.dsl}'`);
  }

  const use = isPlainObject(doc.use) ? doc.use : {};
  const names = (key: string) => new Set(isPlainObject(use[key]) ? Object.keys(use[key] as object) : []);
  const errors = names('errors');
  const authentications = names('authentications');
  const functions = names('functions');
  const retries = names('retries');
  const timeouts = names('timeouts');
  const secrets = new Set(Array.isArray(use.secrets) ? use.secrets.filter((s): s is string => typeof s === 'string') : []);

  const listNames = (what: string, set: Set<string>) => (set.size ? `${what}: ${[...set].join(', ')}` : `no ${what} are declared`);

  const checkTimeout = (t: unknown, pointer: string) => {
    if (typeof t === 'string' && !timeouts.has(t)) {
      issue(pointer, 'unknown_reference', `timeout '${t}' is not defined in use.timeouts (${listNames('timeouts', timeouts)})`);
    }
  };

  /** Inline policy `{ basic: { use: secret } }` or reference `{ use: name }`. */
  const checkAuthentication = (auth: unknown, pointer: string, allowReference: boolean) => {
    if (!isPlainObject(auth)) return;
    if (allowReference && typeof auth.use === 'string') {
      if (!authentications.has(auth.use)) {
        issue(joinPointer(pointer, 'use'), 'unknown_reference', `authentication '${auth.use}' is not defined in use.authentications (${listNames('authentications', authentications)})`);
      }
      return;
    }
    for (const scheme of ['basic', 'bearer', 'digest', 'oauth2', 'oidc']) {
      const config = auth[scheme];
      if (!isPlainObject(config)) continue;
      if (typeof config.use === 'string') {
        if (!secrets.has(config.use)) {
          issue(joinPointer(pointer, scheme, 'use'), 'unknown_reference', `secret '${config.use}' is not declared in use.secrets (${listNames('secrets', secrets)})`);
        }
      } else if (scheme === 'oauth2' || scheme === 'oidc') {
        // Weir requests tokens itself (client_credentials or password grant) from the authority.
        if (config.authority === undefined) {
          issue(joinPointer(pointer, scheme), 'incomplete_authentication', `${scheme} authentication needs an authority (the token issuer's URI)`);
        }
        if (typeof config.grant === 'string' && config.grant !== 'client_credentials' && config.grant !== 'password') {
          issue(joinPointer(pointer, scheme, 'grant'), 'not_supported', `${scheme} grant '${config.grant}' is not supported by Weir (client_credentials or password)`);
        }
      }
    }
  };

  const checkEndpoint = (endpoint: unknown, pointer: string) => {
    if (isPlainObject(endpoint)) checkAuthentication(endpoint.authentication, joinPointer(pointer, 'authentication'), true);
  };

  /** `input.schema` / `output.schema` / `export.schema`: Weir validates inline JSON Schema documents only. */
  const checkSchemaResource = (holder: unknown, pointer: string) => {
    if (!isPlainObject(holder) || !isPlainObject(holder.schema)) return;
    const schema = holder.schema;
    const at = joinPointer(pointer, 'schema');
    if (typeof schema.format === 'string' && !/^json(:|$)/.test(schema.format)) {
      issue(joinPointer(at, 'format'), 'not_supported', `schema format '${schema.format}' is not supported by Weir (only json)`);
    }
    if (isPlainObject(schema.resource)) {
      issue(joinPointer(at, 'resource'), 'not_supported', "external schema resources are not supported by Weir; inline the JSON Schema under 'document'");
      checkEndpoint(schema.resource.endpoint, joinPointer(at, 'resource', 'endpoint'));
    }
    if (Object.hasOwn(schema, 'document') && !Object.hasOwn(schema, 'resource')) {
      const doc = schema.document;
      if (doc === null || (typeof doc !== 'object' && typeof doc !== 'boolean') || Array.isArray(doc)) {
        issue(joinPointer(at, 'document'), 'invalid_schema_document', 'a JSON Schema document must be an object (or true/false)');
      }
    }
  };

  const checkVariable = (name: unknown, pointer: string, what: string) => {
    if (typeof name === 'string' && !jqIdentifier.test(name)) {
      issue(pointer, 'invalid_variable_name', `${what} '${name}' must be a valid variable name (letters, digits, _; not starting with a digit), as it becomes $${name}`);
    }
  };

  checkTimeout(doc.timeout, '/timeout');
  checkSchemaResource(doc.input, '/input');
  checkSchemaResource(doc.output, '/output');
  if (isPlainObject(use.authentications)) {
    for (const [name, policy] of Object.entries(use.authentications)) checkAuthentication(policy, joinPointer('/use/authentications', name), false);
  }
  if (isPlainObject(use.catalogs)) {
    for (const [name, catalog] of Object.entries(use.catalogs)) {
      if (isPlainObject(catalog)) checkEndpoint(catalog.endpoint, joinPointer('/use/catalogs', name, 'endpoint'));
    }
  }
  if (isPlainObject(doc.evaluate)) {
    const { language } = doc.evaluate;
    if (language !== undefined && language !== 'jq') issue('/evaluate/language', 'not_supported', `expression language '${String(language)}' is not supported by Weir (only jq)`);
  }

  walkDocument(doc, {
    list({ pointer, tasks }) {
      const seen = new Map<string, string>();
      for (const t of tasks) {
        const first = seen.get(t.name);
        if (first !== undefined) issue(t.pointer, 'duplicate_task_name', `task name '${t.name}' is already used at ${first}; names must be unique within a list`);
        else seen.set(t.name, t.pointer);
      }
      const targets = new Set(tasks.map((t) => t.name));
      const checkThen = (then: unknown, at: string) => {
        if (typeof then !== 'string' || (flowDirectives as readonly string[]).includes(then) || targets.has(then)) return;
        issue(at, 'unknown_flow_target', `then: '${then}' names no task in this list (${pointer}); expected continue, exit, end or one of: ${[...targets].join(', ')}`);
      };
      for (const t of tasks) {
        checkThen(t.task.then, joinPointer(t.pointer, 'then'));
        if (Array.isArray(t.task.switch)) {
          let defaults = 0;
          t.task.switch.forEach((item, i) => {
            if (!isPlainObject(item)) return;
            for (const [caseName, c] of Object.entries(item)) {
              if (!isPlainObject(c)) continue;
              const at = joinPointer(t.pointer, 'switch', i, caseName);
              checkThen(c.then, joinPointer(at, 'then'));
              if (c.when === undefined && ++defaults === 2) issue(at, 'duplicate_default_case', 'a switch may have only one default case (a case without when)');
            }
          });
        }
      }
    },
    task({ task, pointer }) {
      const at = (...segments: Array<string | number>) => joinPointer(pointer, ...segments);
      checkTimeout(task.timeout, at('timeout'));
      checkSchemaResource(task.input, at('input'));
      checkSchemaResource(task.output, at('output'));
      checkSchemaResource(task.export, at('export'));

      if (typeof task.call === 'string' && Object.hasOwn(task, 'call')) {
        const call = task.call;
        const args = isPlainObject(task.with) ? task.with : undefined;
        if (call === 'http') checkEndpoint(args?.endpoint, at('with', 'endpoint'));
        else if (call === 'openapi') {
          if (isPlainObject(args?.document)) checkEndpoint(args.document.endpoint, at('with', 'document', 'endpoint'));
          checkAuthentication(args?.authentication, at('with', 'authentication'), true);
        } else if (!['grpc', 'asyncapi', 'a2a', 'mcp'].includes(call)) {
          if (call.includes('@')) {
            issue(at('call'), 'not_supported', `call: '${call}' refers to a catalog function; catalogs are not supported by Weir (declare the function in use.functions)`);
          } else if (!functions.has(call)) {
            issue(at('call'), 'unknown_reference', `call: '${call}' is not http or openapi, nor a function defined in use.functions (${listNames('functions', functions)})`);
          }
        }
      }
      if (isPlainObject(task.raise) && typeof task.raise.error === 'string' && !errors.has(task.raise.error)) {
        issue(at('raise', 'error'), 'unknown_reference', `error '${task.raise.error}' is not defined in use.errors (${listNames('errors', errors)})`);
      }
      if (Object.hasOwn(task, 'try') && isPlainObject(task.catch)) {
        if (typeof task.catch.retry === 'string' && !retries.has(task.catch.retry)) {
          issue(at('catch', 'retry'), 'unknown_reference', `retry policy '${task.catch.retry}' is not defined in use.retries (${listNames('retries', retries)})`);
        }
        checkVariable(task.catch.as, at('catch', 'as'), 'catch.as');
      }
      if (isPlainObject(task.for)) {
        checkVariable(task.for.each, at('for', 'each'), 'for.each');
        checkVariable(task.for.at, at('for', 'at'), 'for.at');
      }
      if (isPlainObject(task.foreach)) {
        checkSchemaResource(task.foreach.output, at('foreach', 'output'));
        checkSchemaResource(task.foreach.export, at('foreach', 'export'));
        checkVariable(task.foreach.item, at('foreach', 'item'), 'foreach.item');
        checkVariable(task.foreach.at, at('foreach', 'at'), 'foreach.at');
      }
    },
  });
  return issues;
}
