import type { Duration, DurationInline } from './model.ts';

/**
 * ISO 8601 duration, as the DSL's JSON schema accepts it (`P1Y2M3W4DT5H6M7.5S`, at least one part,
 * `T` only before a time part).
 */
export const isoDurationPattern =
  /^P(?!$)(\d+(?:\.\d+)?Y)?(\d+(?:\.\d+)?M)?(\d+(?:\.\d+)?W)?(\d+(?:\.\d+)?D)?(T(?=\d)(\d+(?:\.\d+)?H)?(\d+(?:\.\d+)?M)?(\d+(?:\.\d+)?S)?)?$/;

const MS = { week: 604_800_000, day: 86_400_000, hour: 3_600_000, minute: 60_000, second: 1_000 } as const;

export const inlineDurationUnits = ['days', 'hours', 'minutes', 'seconds', 'milliseconds'] as const;

/** Why an ISO duration cannot be turned into milliseconds, or `undefined` when it can. */
export function isoDurationProblem(text: string): string | undefined {
  const m = isoDurationPattern.exec(text);
  if (!m) return `'${text}' is not an ISO 8601 duration (e.g. PT30S, PT1H30M, P7D)`;
  // Years and months have no fixed length; a durable timer needs an exact instant.
  if (m[1] !== undefined || m[2] !== undefined) {
    return `'${text}' uses years or months, which have no fixed length; use weeks, days, hours, minutes or seconds`;
  }
  return undefined;
}

/**
 * Milliseconds in a literal duration. Throws `RangeError` for a runtime expression (evaluate it
 * first, then pass the resulting ISO string), for years/months, and for malformed input.
 *
 * @example
 * durationToMs('PT1H30M') // 5_400_000
 * durationToMs({ days: 1, milliseconds: 5 }) // 86_400_005
 */
export function durationToMs(duration: Duration): number {
  if (typeof duration === 'string') return isoToMs(duration.trim());
  return inlineToMs(duration);
}

function isoToMs(text: string): number {
  const problem = isoDurationProblem(text);
  if (problem) throw new RangeError(problem);
  const m = isoDurationPattern.exec(text)!;
  const n = (s: string | undefined) => (s === undefined ? 0 : Number.parseFloat(s));
  const total = n(m[3]) * MS.week + n(m[4]) * MS.day + n(m[6]) * MS.hour + n(m[7]) * MS.minute + n(m[8]) * MS.second;
  return Math.round(total);
}

function inlineToMs(d: DurationInline): number {
  let total = 0;
  for (const unit of inlineDurationUnits) {
    const v = d[unit];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new RangeError(`duration ${unit} must be a number`);
    total += v * (unit === 'days' ? MS.day : unit === 'hours' ? MS.hour : unit === 'minutes' ? MS.minute : unit === 'seconds' ? MS.second : 1);
  }
  return total;
}
