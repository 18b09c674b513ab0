/** The table of native builtins, keyed `name/arity`. */
import type { Native } from '../code.ts';
import { CONTROL } from './control.ts';
import { CORE } from './core.ts';
import { MATH } from './math.ts';
import { REGEX } from '../regex.ts';
import { DATES } from '../dates.ts';
import { applyFormat, isFormat } from '../format.ts';
import { fail } from '../errors.ts';

const FORMAT: Record<string, Native> = {
  'format/1': {
    fn: (i, name) => {
      if (typeof name !== 'string') return fail(`${JSON.stringify(name)} is not a valid format`);
      if (!isFormat(name)) return fail(`${name} is not a valid format`);
      return applyFormat(name, i);
    },
  },
};

export const NATIVES: ReadonlyMap<string, Native> = new Map(
  Object.entries({ ...CORE, ...MATH, ...REGEX, ...DATES, ...FORMAT, ...CONTROL }),
);
