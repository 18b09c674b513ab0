/** Turns zod issues into `ValidationIssue`s: a JSON pointer, a sentence for a person, a stable code. */
import type { z } from 'zod';
import type { TaskKind, ValidationIssue } from './model.ts';
import { taskKindOf } from './normalize.ts';
import { joinPointer, parsePointer, resolvePointer, toPointer } from './pointer.ts';
import { describeValue, isPlainObject } from './schema/helpers.ts';

const typeNames: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'a boolean (true or false)',
  object: 'an object',
  array: 'a list',
  record: 'an object',
};

export function fromZodIssues(doc: unknown, issues: ReadonlyArray<z.core.$ZodIssue>): ValidationIssue[] {
  const out: ValidationIssue[] = [];
  for (const issue of issues) out.push(...fromZodIssue(doc, issue));
  return out;
}

function fromZodIssue(doc: unknown, issue: z.core.$ZodIssue): ValidationIssue[] {
  const pointer = toPointer(issue.path);
  const missing = missingProperty(doc, issue.path);
  if (missing !== undefined && (issue.code === 'invalid_type' || issue.code === 'custom')) {
    const expected = issue.code === 'custom' ? /^expected (.+?), got /s.exec(issue.message)?.[1] : undefined;
    return [{ pointer, code: 'required', message: `missing required property '${missing}'${expected ? ` (${expected})` : ''}` }];
  }
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => ({ pointer: joinPointer(pointer, key), code: 'unknown_property', message: `unknown property '${key}'${hint(doc, pointer, key)}` }));
    case 'invalid_type': {
      const expected = typeNames[issue.expected] ?? issue.expected;
      return [{ pointer, code: 'invalid_type', message: `expected ${expected}, got ${describeValue(resolvePointer(doc, pointer))}` }];
    }
    case 'invalid_value': {
      const values = issue.values.map((v) => (typeof v === 'string' ? `'${v}'` : String(v)));
      const got = resolvePointer(doc, pointer);
      const message = issue.message && !issue.message.startsWith('Invalid') ? issue.message : `expected ${values.length === 1 ? values[0] : `one of ${values.join(', ')}`}`;
      return [{ pointer, code: 'invalid_value', message: `${message}, got ${typeof got === 'string' ? `'${got}'` : describeValue(got)}` }];
    }
    case 'custom': {
      const code = (issue.params as { weir?: string } | undefined)?.weir ?? 'invalid_value';
      return [{ pointer, code, message: issue.message }];
    }
    case 'invalid_format':
      return [{ pointer, code: 'invalid_format', message: issue.message }];
    case 'too_small':
    case 'too_big':
      return [{ pointer, code: 'invalid_value', message: issue.message }];
    default:
      return [{ pointer, code: issue.code, message: issue.message }];
  }
}

/** The property name when `path` points at a property its parent object lacks. */
function missingProperty(doc: unknown, path: ReadonlyArray<PropertyKey>): string | undefined {
  const last = path[path.length - 1];
  if (last === undefined || typeof last === 'number') return undefined;
  const parent = resolvePointer(doc, toPointer(path.slice(0, -1)));
  return isPlainObject(parent) && !Object.hasOwn(parent, String(last)) ? String(last) : undefined;
}

// Common slips, named: a person who wrote `ouput` wants to hear "did you mean 'output'?", and for a
// task, which properties that kind of task takes.
const known = ['if', 'input', 'output', 'export', 'timeout', 'then', 'metadata', 'with', 'document', 'use', 'do', 'schedule', 'evaluate'];
const taskBaseKeys = ['if', 'input', 'output', 'export', 'timeout', 'then', 'metadata'];
const kindKeys: Record<TaskKind, string[]> = {
  call: ['call', 'with'],
  do: ['do'],
  emit: ['emit'],
  for: ['for', 'while', 'do'],
  fork: ['fork'],
  listen: ['listen', 'foreach'],
  raise: ['raise'],
  run: ['run'],
  set: ['set'],
  switch: ['switch'],
  try: ['try', 'catch'],
  wait: ['wait'],
};

function hint(doc: unknown, parentPointer: string, key: string): string {
  const parent = resolvePointer(doc, parentPointer);
  const tokens = parsePointer(parentPointer);
  const isTask = tokens.length >= 2 && (/^\d+$/.test(tokens[tokens.length - 2]!) || tokens[tokens.length - 2] === 'functions');
  const kind = isTask ? taskKindOf(parent) : undefined;
  const allowed = kind ? [...kindKeys[kind], ...taskBaseKeys] : undefined;
  const near = (allowed ?? known).find((k) => k !== key && distance(k, key) <= Math.max(1, Math.floor(k.length / 4)));
  const parts = [near ? `did you mean '${near}'?` : '', kind ? `a ${kind} task takes ${allowed!.join(', ')}` : ''].filter(Boolean);
  return parts.length ? ` (${parts.join('; ')})` : '';
}

function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return d[a.length]![b.length]!;
}
