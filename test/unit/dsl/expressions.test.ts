import { describe, expect, it } from 'vitest';
import { expressionsOf, validateWorkflow } from '../../../src/dsl/index.ts';
import { HEADER, issuesOf, yaml } from './helpers.ts';

const doc = yaml(`${HEADER}input:
  from: '\${ .order }'
use:
  retries:
    r: { when: '.retryable' }
do:
  - check:
      if: '\${ .enabled }'
      input: { from: .payload }
      switch:
        - big: { when: '.n > 10', then: loop }
        - other: { then: end }
  - loop:
      for: { each: color, in: .colors }
      while: '$index < 3'
      do:
        - paint:
            set:
              literal: 'no \${ expression } here'
              nested: { list: [ '\${ $color }', plain ] }
  - fetch:
      call: http
      with:
        method: get
        endpoint: '\${ "https://x.test/" + .id }'
        headers: { Authorization: '\${ $secrets.token }' }
      output: { as: .body }
      export: { as: '\${ $context + { last: . } }' }
  - guarded:
      try:
        - boom: { raise: { error: { type: 'https://x.test/e', status: 500, detail: '\${ .why }' } } }
      catch:
        as: err
        when: '$err.status == 500'
        retry: r
        do:
          - record: { set: '\${ { error: $err } }' }
  - await:
      listen:
        to:
          any:
            - with: { type: com.example.done, data: '\${ .id == $context.id }' }
          until: '. | length > 1'
  - pause: { wait: '\${ .delay }' }
output:
  as: .result
`);

describe('expressionsOf', () => {
  const sites = expressionsOf(doc);
  const byPointer = Object.fromEntries(sites.map((s) => [s.pointer, s]));

  it('finds expression fields (bare or wrapped) and ${} values, with the wrapper removed', () => {
    expect(sites.map((s) => [s.pointer, s.source])).toEqual(
      expect.arrayContaining([
        ['/input/from', '.order'],
        ['/use/retries/r/when', '.retryable'],
        ['/do/0/check/if', '.enabled'],
        ['/do/0/check/input/from', '.payload'],
        ['/do/0/check/switch/0/big/when', '.n > 10'],
        ['/do/1/loop/for/in', '.colors'],
        ['/do/1/loop/while', '$index < 3'],
        ['/do/1/loop/do/0/paint/set/nested/list/0', '$color'],
        ['/do/2/fetch/with/endpoint', '"https://x.test/" + .id'],
        ['/do/2/fetch/with/headers/Authorization', '$secrets.token'],
        ['/do/2/fetch/output/as', '.body'],
        ['/do/2/fetch/export/as', '$context + { last: . }'],
        ['/do/3/guarded/try/0/boom/raise/error/detail', '.why'],
        ['/do/3/guarded/catch/when', '$err.status == 500'],
        ['/do/3/guarded/catch/do/0/record/set', '{ error: $err }'],
        ['/do/4/await/listen/to/any/0/with/data', '.id == $context.id'],
        ['/do/4/await/listen/to/until', '. | length > 1'],
        ['/do/5/pause/wait', '.delay'],
        ['/output/as', '.result'],
      ]),
    );
  });

  it('leaves literals alone: strings that only contain ${ } somewhere, switch cases without when', () => {
    expect(byPointer['/do/1/loop/do/0/paint/set/literal']).toBeUndefined();
    expect(byPointer['/do/1/loop/do/0/paint/set/nested/list/1']).toBeUndefined();
    expect(byPointer['/do/0/check/switch/1/other/when']).toBeUndefined();
    expect(byPointer['/do/2/fetch/with/method']).toBeUndefined();
  });

  it('knows the loop and catch variables in scope', () => {
    expect(byPointer['/do/1/loop/for/in']!.variables).toEqual([]);
    expect(byPointer['/do/1/loop/while']!.variables).toEqual(['color', 'index']);
    expect(byPointer['/do/1/loop/do/0/paint/set/nested/list/0']!.variables).toEqual(['color', 'index']);
    expect(byPointer['/do/3/guarded/catch/when']!.variables).toEqual(['err']);
    expect(byPointer['/do/3/guarded/catch/do/0/record/set']!.variables).toEqual(['err']);
    expect(byPointer['/do/3/guarded/try/0/boom/raise/error/detail']!.variables).toEqual([]);
  });

  it('tolerates an invalid document', () => {
    expect(expressionsOf(42)).toEqual([]);
    expect(expressionsOf({ do: [{ a: 'x' }, 7, { b: { if: 3 } }] })).toEqual([]);
  });
});

describe('validateWorkflow with checkExpression', () => {
  it('passes each expression source and pointer, and reports returned messages at that pointer', () => {
    const seen: string[] = [];
    const r = validateWorkflow(doc, {
      checkExpression: (source, pointer) => {
        seen.push(pointer);
        return source.includes('$secrets') ? 'secrets are not allowed here' : undefined;
      },
    });
    expect(seen.length).toBe(expressionsOf(doc).length);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.errors).toEqual([
        { pointer: '/do/2/fetch/with/headers/Authorization', code: 'invalid_expression', message: 'invalid runtime expression: secrets are not allowed here' },
      ]);
    }
  });

  it('checks expressions alongside schema errors (everything reported at once)', () => {
    const issues = issuesOf(`do:\n  - a: { set: { x: '\${ .a | }' }, bogus: 1 }\n`, { checkExpression: (s) => (s.endsWith('|') ? 'unexpected end of program' : undefined) });
    expect(issues.map((i) => i.pointer)).toEqual(['/do/0/a/set/x', '/do/0/a/bogus']);
  });
});
