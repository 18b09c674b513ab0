/**
 * Cases of jq's test files that Weir's engine does not pass, each with the reason.
 * Keyed by file, then by the case's program text (or `program\ninput` when a program repeats).
 */
export const SKIPS: Record<string, Record<string, string>> = {
  'jq-1.7.1.test': {},
  'man.test': {},
  'onig.test': {},
  'base64.test': {},
  'uri.test': {},
  'optional.test': {},
};
