/** Deliberate disagreements between Weir's validator and the official JSON schema, each with its reason. */
export type Allowance = { code: string; pointer?: RegExp; reason: string };

/**
 * Deliberate disagreements: the JSON schema accepts the document, Weir rejects it with one of these
 * (and only these) issues. Each says why.
 */
export const ALLOWED: Allowance[] = [
  { code: 'not_supported', reason: 'call: grpc/asyncapi/a2a/mcp, run: container/script/shell, catalog functions (name@catalog), calendar durations (years/months), evaluate.language other than jq, external or non-JSON schemas (input/output/export.schema), oauth2/oidc grants other than client_credentials/password — valid DSL that Weir does not run; refused at registration rather than faulting at run time' },
  { code: 'unknown_property', pointer: /^\/[^/]+$/, reason: 'the JSON schema allows any top-level property; Weir rejects unknown ones (a misspelt `ouput:` would be ignored silently) and accepts `evaluate` from dsl-reference.md' },
  { code: 'unknown_reference', reason: 'references (call <function>, raise.error, authentication.use, retry, timeout, secrets) must resolve in `use`; the JSON schema cannot express it' },
  { code: 'unknown_flow_target', reason: '`then` must name a task of the same list; the JSON schema accepts any string' },
  { code: 'duplicate_task_name', reason: 'task names must be unique within a list (flow targets and pointers would be ambiguous)' },
  { code: 'duplicate_default_case', reason: 'dsl-reference.md: only one switch case may omit `when`' },
  { code: 'invalid_variable_name', reason: 'for.each/for.at/catch.as become jq variables and must be identifiers' },
  { code: 'unsupported_dsl_version', reason: 'Weir runs DSL 1.0.x' },
  { code: 'incomplete_authentication', reason: 'an inline oauth2/oidc policy needs an authority for Weir to request a token; the DSL schema makes every property optional' },
  { code: 'invalid_schema_document', reason: 'schema.document is a JSON Schema, so an object or a boolean; the DSL schema leaves it untyped' },
];
