/**
 * Module fixtures for the `import`/`include`/`modulemeta` cases of jq's test files. jq's suite
 * reads them from tests/modules/; these are written for Weir from the expected outputs.
 */
export const TEST_MODULES: Record<string, string> = {
  a: 'module {version: 1.7}; def a: "a";',
  b: 'def a: "b"; def b: "c";',
  c: [
    'module {whatever: null};',
    'import "a" as foo;',
    'import "d" as d {search: "./"};',
    'import "d" as d2 {search: "./"};',
    'import "e" as e {search: "./../lib/jq"};',
    'import "f" as f {search: "./../lib/jq"};',
    'import "data" as $d;',
    'def a: 0;',
    'def c: foo::a + "c" + d::meh + e::bah;',
  ].join('\n'),
  d: 'def meh: "meh";',
  e: 'def bah: "bah";',
  f: 'def f: "f";',
  'data.json': '{"this":"is a test","that":"is too"}',
  shadow1: 'def e: 2;',
  shadow2: 'def e: 3;',
  test_bind_order: [
    'import "test_bind_order0" as t;',
    'import "test_bind_order1" as t;',
    'import "test_bind_order2" as t;',
    'def check: [t::sym0, t::sym1, t::sym2] == [0, 1, 2];',
  ].join('\n'),
  test_bind_order0: 'def sym0: 0; def sym1: 0; def sym2: 0;',
  test_bind_order1: 'def sym1: 1; def sym2: 1;',
  test_bind_order2: 'def sym2: 2;',
  syntaxerror: 'wat;',
};
