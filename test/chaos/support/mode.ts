/**
 * One switch for the whole battery: `WEIR_CHAOS=long` (npm run test:chaos) runs each scenario at
 * the size the issue names; anything else runs the short form that `npm test` keeps honest in CI.
 * Short forms assert the same invariants (0 lost, bounded duplicates, 202/429 only…) on a small
 * workload; only the figures printed differ.
 */
export const long = process.env.WEIR_CHAOS === 'long';

/** `short` in CI, `full` under WEIR_CHAOS=long. */
export function size<T>(short: T, full: T): T {
  return long ? full : short;
}

/** One line a human (and the issue note) can read: `chaos <item>: k=v …`. */
export function report(item: string, figures: Record<string, unknown>): void {
  const text = Object.entries(figures)
    .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(' ');
  console.log(`chaos ${item} (${long ? 'long' : 'short'}): ${text}`);
}

export { sleep, until } from '../../support/until.ts';
