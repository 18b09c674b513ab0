/**
 * Accepted differences between Weir's engine and jq-web (jq 1.7, not 1.7.1), each with the
 * reason. A predicate returns the reason when a difference is one of these, else null.
 */
import type { Outcome } from './differential-gen.ts';

const KNOWN: Array<{ reason: string; matches: (program: string, input: unknown, ours: Outcome, theirs: Outcome) => boolean }> = [];

export function knownDifference(program: string, input: unknown, ours: Outcome, theirs: Outcome): string | null {
  for (const k of KNOWN) if (k.matches(program, input, ours, theirs)) return k.reason;
  return null;
}
