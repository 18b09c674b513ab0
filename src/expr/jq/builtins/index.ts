/** The table of native builtins, keyed `name/arity`. */
import type { Native } from '../code.ts';
import { CONTROL } from './control.ts';
import { SORTING } from './sorting.ts';
import { STREAMS } from './streams.ts';
import { CORE } from './core.ts';
import { MATH } from './math.ts';
import { MODULE_BUILTINS } from '../modules.ts';
import { REGEX } from '../regex.ts';
import { DATES } from '../dates.ts';
import { applyFormat, isFormat } from '../format.ts';
import { fail } from '../errors.ts';
import { compare, typeAndValue } from '../values.ts';
import { PRELUDE } from './prelude.ts';

const FORMAT: Record<string, Native> = {
  'format/1': {
    fn: (i, name) => {
      if (typeof name !== 'string') return fail(`${JSON.stringify(name)} is not a valid format`);
      if (!isFormat(name)) return fail(`${name} is not a valid format`);
      return applyFormat(name, i);
    },
  },
};

function bsearch(input: unknown, target: unknown): number {
  if (!Array.isArray(input)) return fail(`${typeAndValue(input)} cannot be searched from`);
  let lo = 0;
  let hi = input.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const c = compare(input[mid], target);
    if (c === 0) return mid;
    if (c < 0) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1 - lo;
}

const table: Record<string, Native> = { ...CORE, ...MATH, ...REGEX, ...DATES, ...FORMAT, ...CONTROL, ...SORTING, ...STREAMS, ...MODULE_BUILTINS };
table['bsearch/1'] = { fn: bsearch };

/** `builtins`: every native and prelude function as "name/arity". */
const names = new Set(Object.keys(table));
for (const m of PRELUDE.matchAll(/^def ([A-Za-z_]\w*)(?:\(([^)]*)\))?:/gm)) {
  names.add(`${m[1]}/${m[2] === undefined ? 0 : m[2].split(';').length}`);
}
const BUILTINS = [...names].filter((n) => !n.startsWith('_'));
table['builtins/0'] = { fn: () => BUILTINS.slice() };

export const NATIVES: ReadonlyMap<string, Native> = new Map(Object.entries(table));
