import { describe, expect, it } from 'vitest';
import { parseDocument, validateWorkflow } from '../../../src/dsl/index.ts';
import { brief, HEADER, issuesOf, yaml } from './helpers.ts';

describe('validateWorkflow: schema', () => {
  it('returns the document itself, typed, when valid', () => {
    const doc = yaml(`${HEADER}do:\n  - a:\n      set: { x: 1 }\n`);
    const r = validateWorkflow(doc);
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.workflow).toBe(doc);
  });

  it('rejects a non-object document with one root issue', () => {
    const r = validateWorkflow('hello');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors).toEqual([{ pointer: '', code: 'invalid_type', message: 'expected an object, got a string' }]);
  });

  it('reports all errors at once, each at its own pointer', () => {
    const issues = issuesOf(`do:
  - a:
      set: []
  - b:
      wait: soon
  - c:
      call: http
      with:
        method: get
        endpoint: 42
`);
    expect(brief(issues)).toEqual(['/do/0/a/set [invalid_type]', '/do/1/b/wait [invalid_value]', '/do/2/c/with/endpoint [invalid_type]']);
    expect(issues[2]!.message).toBe('expected a URI template or endpoint object, got an integer');
  });

  it('reports a missing required document field at its pointer', () => {
    const r = validateWorkflow(yaml(`document: { dsl: '1.0.3', namespace: test, version: '1.0.0' }\ndo: []\n`));
    expect(r.ok ? [] : r.errors).toEqual([{ pointer: '/document/name', code: 'required', message: "missing required property 'name'" }]);
  });

  it('names an unknown task kind and lists the known ones, without dumping the union', () => {
    const issues = issuesOf(`do:\n  - a:\n      frobnicate: {}\n`);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ pointer: '/do/0/a', code: 'unknown_kind' });
    expect(issues[0]!.message).toBe('unknown task kind, expected one of: call, emit, for, fork, listen, raise, run, set, switch, try, wait, do (found: frobnicate)');
  });

  it('checks a task against its own kind only (one issue for one mistake)', () => {
    expect(brief(issuesOf(`do:\n  - a:\n      set: { x: 1 }\n      ouput: { as: . }\n`))).toEqual(['/do/0/a/ouput [unknown_property]']);
    expect(issuesOf(`do:\n  - a:\n      set: { x: 1 }\n      ouput: { as: . }\n`)[0]!.message).toBe(
      "unknown property 'ouput' (did you mean 'output'?; a set task takes set, if, input, output, export, timeout, then, metadata)",
    );
    expect(issuesOf(`do:\n  - a:\n      call: http\n      with: { method: get, endpoint: 'https://x.test' }\n      headers: {}\n`)[0]!.message).toBe(
      "unknown property 'headers' (a call task takes call, with, if, input, output, export, timeout, then, metadata)",
    );
    expect(issuesOf(`do: []\nouput: {}\n`)[0]!.message).toBe("unknown property 'ouput' (did you mean 'output'?)");
    expect(brief(issuesOf(`do:\n  - a:\n      for: { in: .items }\n`))).toEqual(['/do/0/a/do [required]']);
  });

  it('treats for + do as a for task and try + catch as a try task', () => {
    expect(issuesOf(`do:\n  - a:\n      for: { each: x, in: .items }\n      while: '$x < 3'\n      do:\n        - b: { set: { y: 1 } }\n`)).toEqual([]);
    expect(issuesOf(`do:\n  - a:\n      try:\n        - b: { set: { y: 1 } }\n      catch:\n        do:\n          - c: { set: { y: 2 } }\n`)).toEqual([]);
  });

  it('requires each task list item to be a single-key map', () => {
    expect(brief(issuesOf(`do:\n  - a: { set: { x: 1 } }\n    b: { set: { x: 2 } }\n`))).toEqual(['/do/0 [invalid_type]']);
    expect(brief(issuesOf(`do:\n  - just-a-string\n`))).toEqual(['/do/0 [invalid_type]']);
  });

  it('escapes task names in pointers (RFC 6901)', () => {
    expect(brief(issuesOf(`do:\n  - "a/b~c":\n      set: 1\n`))).toEqual(['/do/0/a~1b~0c/set [invalid_type]']);
  });

  it('validates nested task lists with full pointers', () => {
    const issues = issuesOf(`do:
  - outer:
      fork:
        branches:
          - left:
              do:
                - deep: { wait: { weeks: 1 } }
`);
    expect(brief(issues)).toEqual(['/do/0/outer/fork/branches/0/left/do/0/deep/wait/weeks [unknown_property]']);
  });

  it('checks endpoints, authentication policies and durations', () => {
    expect(issuesOf(`do:\n  - a:\n      call: http\n      with: { method: get, endpoint: 'https://x.test/pets/{id}' }\n`)).toEqual([]);
    expect(issuesOf(`do:\n  - a:\n      call: http\n      with: { method: get, endpoint: '\${ .url }' }\n`)).toEqual([]);
    expect(brief(issuesOf(`do:\n  - a:\n      call: http\n      with: { method: get, endpoint: { uri: 'https://x.test', authentication: { basic: { username: u } } } }\n`))).toEqual([
      '/do/0/a/with/endpoint/authentication/basic/password [required]',
    ]);
    expect(brief(issuesOf(`do:\n  - a:\n      call: http\n      with: { method: get, endpoint: { uri: 'https://x.test', authentication: { basic: { username: u, password: p }, bearer: { token: t } } } }\n`))).toEqual([
      '/do/0/a/with/endpoint/authentication [ambiguous_kind]',
    ]);
    expect(issuesOf(`do:\n  - a: { wait: PT1H30M }\n  - b: { wait: { minutes: 5, seconds: 3 } }\n  - c: { wait: '\${ .delay }' }\n`)).toEqual([]);
    expect(brief(issuesOf(`do:\n  - a: { wait: { seconds: 1.5 } }\n`))).toEqual(['/do/0/a/wait/seconds [invalid_type]']);
  });

  it('accepts a raise with a referenced or inline error and checks the inline one', () => {
    expect(brief(issuesOf(`do:\n  - a:\n      raise:\n        error: { type: not-a-uri, status: 400 }\n`))).toEqual(['/do/0/a/raise/error/type [invalid_value]']);
  });

  it('adds source positions when given a locate function', () => {
    const text = `${HEADER}do:\n  - a:\n      set: []\n`;
    const parsed = parseDocument(text);
    if (!parsed.ok) throw new Error('parse failed');
    const r = validateWorkflow(parsed.value, { locate: parsed.locate });
    expect(r.ok ? [] : r.errors).toEqual([expect.objectContaining({ pointer: '/do/0/a/set', line: 8, column: 7 })]);
  });

  it('refuses a document nested too deep without recursing into it', () => {
    let task: unknown = { set: { a: 1 } };
    for (let i = 0; i < 10_000; i++) task = { do: [{ t: task }] };
    const r = validateWorkflow({ document: { dsl: '1.0.3', namespace: 'a', name: 'b', version: '1.0.0' }, do: [{ t: task }] });
    expect(r.ok ? [] : brief(r.errors)).toEqual([expect.stringMatching(/^\/do\/0\/t\/do\/0\/t\/.* \[too_deep\]$/)]);
  });

  it('rejects unknown top-level properties (the JSON schema would ignore them) and accepts evaluate', () => {
    expect(brief(issuesOf(`do: []\nouput: { as: . }\n`))).toEqual(['/ouput [unknown_property]']);
    expect(issuesOf(`do: []\nevaluate: { language: jq, mode: strict }\n`)).toEqual([]);
  });
});
