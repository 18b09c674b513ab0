import { describe, expect, it } from 'vitest';
import { validateWorkflow } from '../../../src/dsl/index.ts';
import { brief, issuesOf, yaml } from './helpers.ts';

describe('validateWorkflow: semantic checks', () => {
  it('task names are unique within a list, not across lists', () => {
    const issues = issuesOf(`do:
  - a: { set: { x: 1 } }
  - a: { set: { x: 2 } }
  - b:
      do:
        - a: { set: { x: 3 } }
`);
    expect(brief(issues)).toEqual(['/do/1/a [duplicate_task_name]']);
    expect(issues[0]!.message).toContain('already used at /do/0/a');
  });

  it('then must name a task of the same list, or continue/exit/end', () => {
    const ok = issuesOf(`do:
  - a: { set: { x: 1 }, then: c }
  - b: { set: { x: 1 }, then: end }
  - c: { set: { x: 1 }, then: exit }
  - d: { set: { x: 1 }, then: continue }
`);
    expect(ok).toEqual([]);
    const issues = issuesOf(`do:
  - a: { set: { x: 1 }, then: inner }
  - b:
      do:
        - inner: { set: { x: 1 }, then: a }
`);
    expect(brief(issues)).toEqual(['/do/0/a/then [unknown_flow_target]', '/do/1/b/do/0/inner/then [unknown_flow_target]']);
    expect(issues[0]!.message).toBe("then: 'inner' names no task in this list (/do); expected continue, exit, end or one of: a, b");
  });

  it('switch case targets resolve in the switch task\'s list; only one default case', () => {
    const issues = issuesOf(`do:
  - s:
      switch:
        - red: { when: '.c == "red"', then: setRed }
        - other: { then: nowhere }
        - another: { then: end }
  - setRed: { set: { x: 1 } }
`);
    expect(brief(issues)).toEqual(['/do/0/s/switch/1/other/then [unknown_flow_target]', '/do/0/s/switch/2/another [duplicate_default_case]']);
  });

  it('references into use.* resolve', () => {
    const body = `use:
  errors:
    notFound: { type: 'https://example.com/errors/not-found', status: 404 }
  authentications:
    petAuth: { bearer: { token: abc } }
    fromSecret: { basic: { use: petCredentials } }
  retries:
    often: { delay: PT1S, limit: { attempt: { count: 3 } } }
  timeouts:
    short: { after: PT5S }
  functions:
    greet:
      call: http
      with: { method: get, endpoint: 'https://example.com/greet' }
  secrets: [ petCredentials ]
do:
  - a: { raise: { error: notFound } }
  - b:
      call: http
      timeout: short
      with:
        method: get
        endpoint: { uri: 'https://example.com', authentication: { use: petAuth } }
  - c:
      try:
        - d: { call: greet }
      catch: { retry: often }
`;
    expect(issuesOf(body)).toEqual([]);
    const broken = body
      .replace('error: notFound', 'error: gone')
      .replace('use: petAuth', 'use: nobody')
      .replace('retry: often', 'retry: never')
      .replace('timeout: short', 'timeout: long')
      .replace('call: greet', 'call: wave')
      .replace('secrets: [ petCredentials ]', 'secrets: []');
    expect(brief(issuesOf(broken))).toEqual([
      '/use/authentications/fromSecret/basic/use [unknown_reference]',
      '/do/0/a/raise/error [unknown_reference]',
      '/do/1/b/timeout [unknown_reference]',
      '/do/1/b/with/endpoint/authentication/use [unknown_reference]',
      '/do/2/c/try/0/d/call [unknown_reference]',
      '/do/2/c/catch/retry [unknown_reference]',
    ]);
    expect(issuesOf(broken).find((i) => i.pointer === '/do/0/a/raise/error')!.message).toBe("error 'gone' is not defined in use.errors (errors: notFound)");
  });

  it('document.dsl must be 1.0.x', () => {
    const r = validateWorkflow(yaml(`document: { dsl: '2.0.0', namespace: t, name: n, version: '1.0.0' }\ndo: []\n`));
    expect(r.ok ? [] : brief(r.errors)).toEqual(['/document/dsl [unsupported_dsl_version]']);
  });

  it('rejects DSL features Weir does not run, at their pointer, with "not supported by Weir", in document order', () => {
    const issues = issuesOf(`do:
  - a: { run: { shell: { command: ls } } }
  - b: { run: { container: { image: alpine } } }
  - c: { run: { script: { language: js, code: '1' } } }
  - d: { call: grpc, with: { proto: { endpoint: 'file://x.proto' }, service: { name: s, host: h }, method: m } }
  - e: { call: asyncapi, with: {} }
  - f: { call: 'log:0.5.2@global' }
  - g: { wait: P1M }
  - h: { run: { workflow: { namespace: ns, name: child, version: '1.0.0' } } }
`);
    expect(brief(issues)).toEqual([
      '/do/0/a/run/shell [not_supported]',
      '/do/1/b/run/container [not_supported]',
      '/do/2/c/run/script [not_supported]',
      '/do/3/d/call [not_supported]',
      '/do/4/e/call [not_supported]',
      '/do/5/f/call [not_supported]',
      '/do/6/g/wait [not_supported]',
    ]);
    for (const i of issues) expect(i.message).toContain('not supported by Weir');
  });

  it('oauth2/oidc: an authority and a grant Weir can request', () => {
    expect(brief(issuesOf(`use:
  authentications:
    ok: { oauth2: { authority: 'https://id.test', grant: client_credentials, client: { id: c, secret: s } } }
    noAuthority: { oidc: { grant: password, username: u, password: p } }
    implicit: { oauth2: { authority: 'https://id.test', grant: authorization_code } }
do: []
`))).toEqual(['/use/authentications/noAuthority/oidc [incomplete_authentication]', '/use/authentications/implicit/oauth2/grant [not_supported]']);
  });

  it('schemas: inline JSON Schema only (no external resources, no other formats)', () => {
    expect(issuesOf(`input:\n  schema: { format: 'json:2020-12', document: { type: object } }\ndo: []\n`)).toEqual([]);
    expect(brief(issuesOf(`do:
  - a:
      set: { x: 1 }
      input: { schema: { format: avro, document: {} } }
      output: { schema: { resource: { endpoint: 'https://s.test/schema.json' } } }
      export: { schema: { document: 'object' } }
`))).toEqual(['/do/0/a/input/schema/format [not_supported]', '/do/0/a/output/schema/resource [not_supported]', '/do/0/a/export/schema/document [invalid_schema_document]']);
  });

  it('loop and catch variables must be identifiers (they become jq $variables)', () => {
    expect(brief(issuesOf(`do:
  - a:
      for: { each: my-item, in: .xs }
      do: [ { b: { set: { x: 1 } } } ]
  - c:
      try: [ { d: { set: { x: 1 } } } ]
      catch: { as: 'err!' }
`))).toEqual(['/do/0/a/for/each [invalid_variable_name]', '/do/1/c/catch/as [invalid_variable_name]']);
  });

  it('evaluate: only jq, in strict or loose mode', () => {
    expect(brief(issuesOf(`do: []\nevaluate: { language: js, mode: loose }\n`))).toEqual(['/evaluate/language [not_supported]']);
    expect(issuesOf(`do: []\nevaluate: { language: jq, mode: loose }\n`)).toEqual([]);
    expect(brief(issuesOf(`do: []\nevaluate: { mode: lax }\n`))).toEqual(['/evaluate/mode [invalid_value]']);
  });
});
