import { describe, expect, it } from 'vitest';
import { clearCompileCache, compile, compileCached, compileCacheSize, JqError } from '../../../src/expr/jq/index.ts';

function thrown(f: () => unknown): JqError {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(JqError);
    return err as JqError;
  }
  throw new Error('expected a JqError');
}

describe('jq API: run and first', () => {
  it('returns every output, or the first one', () => {
    const p = compile('.[] | . * 2');
    expect(p.run([1, 2, 3])).toEqual([2, 4, 6]);
    expect(p.first([1, 2, 3])).toBe(2);
    expect(p.first([])).toBeUndefined();
    expect(p.source).toBe('.[] | . * 2');
  });

  it('first() stops evaluating after the first output', () => {
    expect(compile('range(1e15)').first(null)).toBe(0);
  });

  it('never mutates the input or variables', () => {
    const input = deepFreeze({ a: [1, { b: 2 }], c: { d: 3 } });
    const vars = deepFreeze({ $v: { x: [1] } });
    const p = compile('.a[1].b = 5 | .c |= del(.d) | .a += [9] | setpath(["z"]; $v) | .z.x[0] = 7', { variables: ['$v'] });
    expect(p.run(input, vars)).toEqual([{ a: [1, { b: 5 }, 9], c: {}, z: { x: [7] } }]);
    expect(input).toEqual({ a: [1, { b: 2 }], c: { d: 3 } });
    expect(vars).toEqual({ $v: { x: [1] } });
  });
});

describe('jq API: variables', () => {
  it('binds declared variables by their $ names', () => {
    const p = compile('$input.a + $context.b', { variables: ['$input', '$context'] });
    expect(p.run(null, { $input: { a: 1 }, $context: { b: 2 } })).toEqual([3]);
  });

  it('reads a declared but missing variable as null', () => {
    expect(compile('$x', { variables: ['$x'] }).run(null, {})).toEqual([null]);
  });

  it('rejects an undeclared variable at compile time, with its position', () => {
    const err = thrown(() => compile('.a |\n  $nope', { variables: ['$input'] }));
    expect(err.code).toBe('compile');
    expect(err.line).toBe(2);
    expect(err.column).toBe(3);
    expect(err.message).toContain('$nope is not defined');
  });
});

describe('jq API: errors', () => {
  it('reports syntax errors with line and column', () => {
    const err = thrown(() => compile('.a |\n .b | ]'));
    expect(err.code).toBe('parse');
    expect(err.line).toBe(2);
    expect(err.column).toBe(7);
  });

  it('reports unknown functions as compile errors', () => {
    const err = thrown(() => compile('nosuchfn(1)'));
    expect(err.code).toBe('compile');
    expect(err.message).toContain('nosuchfn/1 is not defined');
  });

  it('carries the error(value) payload', () => {
    const err = thrown(() => compile('error({code: 42})').run(null));
    expect(err.code).toBe('runtime');
    expect(err.value).toEqual({ code: 42 });
  });

  it('keeps jq wording for try/catch, but not variable values in the message', () => {
    expect(compile('try ("hunter2" + 1) catch .').run(null)).toEqual(['string ("hunter2") and number (1) cannot be added']);
    const err = thrown(() => compile('$secret + 1', { variables: ['$secret'] }).run(null, { $secret: 'hunter2' }));
    expect(err.message).not.toContain('hunter2');
    expect(err.message).toBe('string and number cannot be added');
    const err2 = thrown(() => compile('.[$secret]', { variables: ['$secret'] }).run(5, { $secret: 'hunter2' }));
    expect(err2.message).not.toContain('hunter2');
  });
});

describe('jq API: limits', () => {
  const cases: Array<[string, string]> = [
    ['repeat(.)', 'infinite generator'],
    ['def f: f; f', 'unbounded recursion'],
    ['def f: 1 + f; f', 'non-tail recursion'],
    ['[range(1e12)]', 'huge array'],
    ['last(range(1e12))', 'long loop'],
    ['until(false; .)', 'endless until'],
    ['[while(true; .)]', 'endless while'],
    ['reduce range(1e12) as $x (0; . + $x)', 'long reduce'],
  ];
  for (const [src, what] of cases) {
    it(`cuts off ${what} (${src}) with code 'limit'`, () => {
      const started = Date.now();
      const err = thrown(() => compile(src).run(0));
      expect(err.code).toBe('limit');
      expect(Date.now() - started).toBeLessThan(5000);
    });
  }

  it('applies the wall-clock deadline', () => {
    const err = thrown(() => compile('last(range(1e12))', { limits: { deadlineMs: 20, maxSteps: 1e15 } }).run(null));
    expect(err.code).toBe('limit');
    expect(err.message).toContain('deadline');
  });

  it('caps outputs, string and array sizes', () => {
    expect(thrown(() => compile('range(100)', { limits: { maxOutputs: 10 } }).run(null)).code).toBe('limit');
    expect(thrown(() => compile('"x" * 1e9').run(null)).code).toBe('limit');
    expect(thrown(() => compile('[range(100)]', { limits: { maxArrayLength: 50 } }).run(null)).code).toBe('limit');
  });

  it('lets run options override compile-time limits', () => {
    const p = compile('[range(100)] | length');
    expect(p.run(null)).toEqual([100]);
    expect(thrown(() => p.run(null, {}, { limits: { maxSteps: 10 } })).code).toBe('limit');
  });

  it('allows legitimate deep recursion', () => {
    expect(compile('def f: if . < 1000 then . + 1 | f else . end; f').run(0)).toEqual([1000]);
  });

  it('recovers after a limit error: the next run starts fresh', () => {
    const p = compile('def f: f; f');
    thrown(() => p.run(null));
    expect(compile('1 + 1').run(null)).toEqual([2]);
  });
});

describe('jq API: now and env', () => {
  it('uses the injected clock', () => {
    const p = compile('now | todate', { now: () => 1_700_000_000 });
    expect(p.run(null)).toEqual(['2023-11-14T22:13:20Z']);
    expect(p.run(null, {}, { now: () => 0 })).toEqual(['1970-01-01T00:00:00Z']);
  });

  it('disables $ENV and env unless enabled', () => {
    expect(compile('$ENV, env').run(null)).toEqual([{}, {}]);
    expect(compile('$ENV.HOME, env.HOME', { env: { HOME: '/home/w' } }).run(null)).toEqual(['/home/w', '/home/w']);
  });
});

describe('jq API: compileCached', () => {
  it('reuses compiled programs and stays bounded', () => {
    clearCompileCache();
    const a = compileCached('.a + 1');
    const b = compileCached('.a + 1');
    expect(a.run({ a: 1 })).toEqual([2]);
    expect(b.run({ a: 2 })).toEqual([3]);
    expect(compileCacheSize()).toBe(1);
    for (let i = 0; i < 1500; i++) compileCached(`. + ${i}`);
    expect(compileCacheSize()).toBeLessThanOrEqual(1000);
  });

  it('keys the cache by variable names', () => {
    clearCompileCache();
    compileCached('$x', { variables: ['$x'] });
    expect(() => compileCached('$x')).toThrow(JqError);
  });
});

function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object') {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}
