/** Builtins that order or group by a key filter: `sort_by`, `group_by`, `unique_by`, `min_by`, `max_by`. */
import type { Code, Env, Native } from '../code.ts';
import * as errorsModule from '../errors.ts';
import * as valuesModule from '../values.ts';

const fail: typeof errorsModule.fail = errorsModule.fail;
const { compare, isObject, typeAndValue } = valuesModule;

function collect(code: Code, input: unknown, env: Env): unknown[] {
  const out: unknown[] = [];
  code.run(input, env, (v) => {
    out.push(v);
  });
  return out;
}

/** Sorts (stably) by the array of outputs of `f` on each element, as `sort_by` & co. do. */
function keyed(input: unknown, f: Code, env: Env, what: string): Array<{ k: unknown[]; v: unknown }> {
  if (!Array.isArray(input)) {
    // jq maps `f` over the input first (which iterates objects), then sorts
    if (isObject(input)) fail(`${typeAndValue(input)} cannot be ${what}, as it is not an array`);
    fail(`Cannot iterate over ${typeAndValue(input)}`);
  }
  const items = (input as unknown[]).map((v) => ({ k: collect(f, v, env), v }));
  items.sort((a, b) => compare(a.k, b.k));
  return items;
}

function groups(input: unknown, f: Code, env: Env): unknown[][] {
  const items = keyed(input, f, env, 'grouped');
  const out: unknown[][] = [];
  let prev: unknown[] | null = null;
  for (const it of items) {
    if (prev !== null && compare(prev, it.k) === 0) out[out.length - 1].push(it.v);
    else out.push([it.v]);
    prev = it.k;
  }
  return out;
}

export const SORTING: Record<string, Native> = {
  'sort_by/1': {
    gen: (i, [f], e, emit) => emit(keyed(i, f, e, 'sorted').map((it) => it.v)),
  },
  'group_by/1': {
    gen: (i, [f], e, emit) => emit(groups(i, f, e)),
  },
  'unique_by/1': {
    gen: (i, [f], e, emit) => emit(groups(i, f, e).map((g) => g[0])),
  },
  'min_by/1': {
    gen: (i, [f], e, emit) => {
      if (!Array.isArray(i)) fail(isObject(i) ? `Cannot index object with number` : `Cannot iterate over ${typeAndValue(i)}`);
      const a = i as unknown[];
      if (a.length === 0) return emit(null);
      let best = 0;
      let bestKey = collect(f, a[0], e);
      for (let j = 1; j < a.length; j++) {
        const k = collect(f, a[j], e);
        if (compare(k, bestKey) < 0) {
          best = j;
          bestKey = k;
        }
      }
      emit(a[best]);
    },
  },
  'max_by/1': {
    gen: (i, [f], e, emit) => {
      if (!Array.isArray(i)) fail(isObject(i) ? `Cannot index object with number` : `Cannot iterate over ${typeAndValue(i)}`);
      const a = i as unknown[];
      if (a.length === 0) return emit(null);
      let best = 0;
      let bestKey = collect(f, a[0], e);
      for (let j = 1; j < a.length; j++) {
        const k = collect(f, a[j], e);
        if (compare(k, bestKey) >= 0) {
          best = j;
          bestKey = k;
        }
      }
      emit(a[best]);
    },
  },
};
