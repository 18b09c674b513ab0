import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { validateCommand } from '../../../src/cli/validate.ts';

const FIXTURES = new URL('./fixtures/', import.meta.url);

async function run(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await validateCommand(args, {
    // Paths are given relative to the fixtures folder, as a user would from that directory.
    readFile: (path) => readFile(new URL(path, FIXTURES), 'utf8'),
    stdout: (s) => out.push(s),
    stderr: (s) => err.push(s),
  });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

describe('weir validate', () => {
  it('exits 0 and says so when every file is valid (YAML and JSON)', async () => {
    const r = await run('valid.yaml', 'valid.json');
    expect(r).toEqual({ code: 0, stdout: 'valid.yaml: valid\nvalid.json: valid\n', stderr: '' });
  });

  it('prints every schema problem with its pointer and source line, exit 1', async () => {
    const r = await run('invalid-schema.yaml');
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')).toEqual([
      'invalid-schema.yaml: /do/0/first: unknown task kind, expected one of: call, emit, for, fork, listen, raise, run, set, switch, try, wait, do (found: frobnicate) (line 7, column 5)',
      'invalid-schema.yaml: /do/1/second/with/endpoint: expected a URI template or endpoint object, got an integer (line 13, column 9)',
      "invalid-schema.yaml: /do/2/third/wait: 'soon' is not an ISO 8601 duration (e.g. PT30S, PT1H30M, P7D) or a runtime expression (line 15, column 7)",
      '3 problems in 1 of 1 file',
      '',
    ]);
  });

  it('reports unresolved references and duplicate names', async () => {
    const r = await run('invalid-references.yaml');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("invalid-references.yaml: /do/0/start/then: then: 'finish' names no task in this list (/do)");
    expect(r.stderr).toContain("invalid-references.yaml: /do/1/fail/raise/error: error 'notDefined' is not defined in use.errors");
    expect(r.stderr).toContain("invalid-references.yaml: /do/2/start: task name 'start' is already used at /do/0/start");
  });

  it('says what Weir does not support, at the pointer', async () => {
    const r = await run('unsupported.yaml');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('unsupported.yaml: /do/0/list/run/shell: run: shell is not supported by Weir');
  });

  it('reports a YAML syntax error with its line', async () => {
    const r = await run('syntax-error.yaml');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^syntax-error\.yaml: \(document\): invalid YAML: [^\n]*[a-z] \(line 3, column 14\)\n/);
  });

  it('compiles runtime expressions: jq syntax errors and unknown variables', async () => {
    const r = await run('bad-expression.yaml');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('bad-expression.yaml: /do/0/compute/set/total: invalid runtime expression:');
    expect(r.stderr).toContain('bad-expression.yaml: /do/1/check/if: invalid runtime expression:');
  });

  it('exits 1 when any one file is invalid, and still reports the valid ones', async () => {
    const r = await run('valid.yaml', 'unsupported.yaml');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('valid.yaml: valid\n');
    expect(r.stderr).toContain('1 problem in 1 of 2 files');
  });

  it('reports an unreadable file', async () => {
    const r = await run('does-not-exist.yaml');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^does-not-exist\.yaml: \(document\): cannot read file: /);
  });

  it('--json prints machine-readable reports', async () => {
    const r = await run('--json', 'valid.json', 'unsupported.yaml');
    expect(r.code).toBe(1);
    const reports = JSON.parse(r.stdout) as Array<{ file: string; ok: boolean; errors: Array<{ pointer: string; code: string; line?: number }> }>;
    expect(reports.map((x) => [x.file, x.ok])).toEqual([['valid.json', true], ['unsupported.yaml', false]]);
    expect(reports[1]!.errors[0]).toMatchObject({ pointer: '/do/0/list/run/shell', code: 'not_supported', line: 9 });
  });

  it('usage errors exit 2', async () => {
    expect((await run()).code).toBe(2);
    expect((await run('--frobnicate', 'valid.yaml')).code).toBe(2);
  });
});
