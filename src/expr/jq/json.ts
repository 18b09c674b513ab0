/** `fromjson`: JSON text to a value, with jq's extension of `nan` and jq-like error wording. */
import { fail } from './errors.ts';

export function parseJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    const t = s.trim();
    if (t === 'nan' || t === 'NaN') return NaN;
    if (t === '') return fail(`Expected JSON value (while parsing '${s}')`);
    return fail(`${s} (while parsing '${s}')`, 'Invalid JSON text');
  }
}
