/**
 * `weir validate <file>… [--json]`: parses and validates workflow documents without running them,
 * the same checks as registration (schema, references, unsupported features, jq syntax).
 * Prints `file.yaml: /do/0/x/call: <message> (line 12, column 9)` per problem; exit 1 when any file
 * is invalid or unreadable, 0 when all are valid, 2 on a usage error.
 */
import { parseDocument, validateWorkflow } from '../dsl/index.ts';
import type { ValidationIssue } from '../dsl/index.ts';
import { checkExpression } from '../expr/check.ts';

export type ValidateIo = { readFile(path: string): Promise<string>; stdout(s: string): void; stderr(s: string): void };

const USAGE = 'usage: weir validate <file>... [--json]';

type FileReport = { file: string; ok: boolean; errors: ValidationIssue[] };

export async function validateCommand(args: string[], io: ValidateIo): Promise<number> {
  const files: string[] = [];
  let json = false;
  for (const a of args) {
    if (a === '--json') json = true;
    else if (a === '-h' || a === '--help') {
      io.stdout(USAGE + '\n');
      return 0;
    } else if (a.startsWith('-') && a !== '-') {
      io.stderr(`unknown option ${a}\n${USAGE}\n`);
      return 2;
    } else files.push(a);
  }
  if (files.length === 0) {
    io.stderr(`no files given\n${USAGE}\n`);
    return 2;
  }

  const reports: FileReport[] = [];
  for (const file of files) reports.push(await validateFile(file, io));

  if (json) io.stdout(JSON.stringify(reports, null, 2) + '\n');
  else {
    for (const r of reports) {
      if (r.ok) io.stdout(`${r.file}: valid\n`);
      else for (const e of r.errors) io.stderr(formatIssue(r.file, e) + '\n');
    }
    const bad = reports.filter((r) => !r.ok);
    if (bad.length) {
      const count = bad.reduce((n, r) => n + r.errors.length, 0);
      io.stderr(`${count} problem${count === 1 ? '' : 's'} in ${bad.length} of ${reports.length} file${reports.length === 1 ? '' : 's'}\n`);
    }
  }
  return reports.every((r) => r.ok) ? 0 : 1;
}

async function validateFile(file: string, io: ValidateIo): Promise<FileReport> {
  let text: string;
  try {
    text = await io.readFile(file);
  } catch (e) {
    return { file, ok: false, errors: [{ pointer: '', code: 'unreadable', message: `cannot read file: ${(e as Error).message}` }] };
  }
  const format = /\.json$/i.test(file) ? 'json' : /\.ya?ml$/i.test(file) ? 'yaml' : undefined;
  const parsed = parseDocument(text, format);
  if (!parsed.ok) return { file, ok: false, errors: parsed.errors };
  const result = validateWorkflow(parsed.value, { checkExpression, locate: parsed.locate });
  return result.ok ? { file, ok: true, errors: [] } : { file, ok: false, errors: result.errors };
}

function formatIssue(file: string, e: ValidationIssue): string {
  const where = e.line !== undefined ? ` (line ${e.line}${e.column !== undefined ? `, column ${e.column}` : ''})` : '';
  return `${file}: ${e.pointer === '' ? '(document)' : e.pointer}: ${e.message}${where}`;
}
