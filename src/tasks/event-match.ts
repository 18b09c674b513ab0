/**
 * Matching CloudEvents against event filters (`listen.to`): `with` attributes by equality, regular
 * expression or runtime expression (evaluated with the attribute as `.`); `correlate` keys by the
 * value `from` extracts, compared with `expect` (or with the first extracted value).
 */
import type { EventFilter } from '../dsl/model.ts';
import { evaluateCondition, evaluateField, isExpression, type ExpressionVariables } from '../expr/expression.ts';
import type { CloudEvent } from '../engine/types.ts';

export function attributesMatch(filter: EventFilter, event: CloudEvent, vars: ExpressionVariables, now: number): boolean {
  const w = filter.with ?? {};
  for (const key of Object.keys(w)) {
    if (!valueMatches(w[key], event[key], vars, now)) return false;
  }
  return true;
}

function valueMatches(expected: unknown, actual: unknown, vars: ExpressionVariables, now: number): boolean {
  if (typeof expected === 'string') {
    if (isExpression(expected)) return evaluateCondition(expected, actual ?? null, vars, { now });
    if (actual === expected) return true;
    if (typeof actual !== 'string') return false;
    try {
      return new RegExp(`^(?:${expected})$`).test(actual);
    } catch {
      return false;
    }
  }
  if (expected !== null && typeof expected === 'object') {
    if (Array.isArray(expected)) return JSON.stringify(expected) === JSON.stringify(actual);
    if (actual === null || typeof actual !== 'object') return false;
    const a = actual as Record<string, unknown>;
    return Object.keys(expected).every((k) => valueMatches((expected as Record<string, unknown>)[k], a[k], vars, now));
  }
  return expected === actual;
}

/**
 * Checks the filter's correlations; `expects` holds the expectations resolved so far (keyed by
 * correlation name) and is extended with first-seen values when the event matches.
 */
export function correlationMatches(
  filter: EventFilter,
  event: CloudEvent,
  expects: Record<string, unknown>,
  vars: ExpressionVariables,
  now: number,
): boolean {
  if (!filter.correlate) return true;
  const learned: Record<string, unknown> = {};
  for (const key of Object.keys(filter.correlate)) {
    const c = filter.correlate[key];
    const value = evaluateField(c.from, event, vars, { now });
    if (key in expects) {
      if (JSON.stringify(expects[key]) !== JSON.stringify(value)) return false;
    } else learned[key] = value;
  }
  Object.assign(expects, learned);
  return true;
}
