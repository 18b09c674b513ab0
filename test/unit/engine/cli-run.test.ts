import { describe, expect, it } from 'vitest';
import { runCommand } from '../../../src/cli/run.ts';

function io(files: Record<string, string>) {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: {
      readFile: async (p: string) => {
        if (!(p in files)) throw new Error(`ENOENT: ${p}`);
        return files[p];
      },
      stdout: (s: string) => void out.push(s),
      stderr: (s: string) => void err.push(s),
    },
  };
}

const ok = `document: { dsl: '1.0.3', namespace: test, name: cli, version: '1.0.0' }
do:
  - greet:
      set:
        message: '\${ "Hello " + .name }'
`;
const faulting = `document: { dsl: '1.0.3', namespace: test, name: cli, version: '1.0.0' }
do:
  - boom:
      raise:
        error: { type: 'https://example.com/boom', status: 418, title: Teapot }
`;

describe('weir run', () => {
  it('prints the output as JSON and exits 0 when the workflow completes', async () => {
    const t = io({ 'wf.yaml': ok });
    expect(await runCommand(['wf.yaml', '--input', '{"name":"Ada"}'], t.io)).toBe(0);
    expect(JSON.parse(t.out.join(''))).toEqual({ message: 'Hello Ada' });
  });

  it('prints the error as problem JSON on stderr and exits 1 when it faults', async () => {
    const t = io({ 'wf.yaml': faulting });
    expect(await runCommand(['wf.yaml'], t.io)).toBe(1);
    expect(JSON.parse(t.err.join(''))).toEqual({ type: 'https://example.com/boom', status: 418, title: 'Teapot', instance: '/do/0/boom' });
  });

  it('exits 2 for an invalid document, an invalid expression, bad JSON input or a missing file', async () => {
    const bad = io({ 'wf.yaml': 'document: { dsl: 1.0.3 }\ndo: 3\n' });
    expect(await runCommand(['wf.yaml'], bad.io)).toBe(2);
    expect(JSON.parse(bad.err.join('')).errors.length).toBeGreaterThan(0);
    const expr = io({ 'wf.yaml': ok.replace('"Hello " + .name', '"Hello " +') });
    expect(await runCommand(['wf.yaml'], expr.io)).toBe(2);
    expect(await runCommand(['wf.yaml', '--input', '{nope'], io({ 'wf.yaml': ok }).io)).toBe(2);
    expect(await runCommand(['missing.yaml'], io({}).io)).toBe(2);
    expect(await runCommand([], io({}).io)).toBe(2);
  });

  it('reads the input from a file', async () => {
    const t = io({ 'wf.yaml': ok, 'in.json': '{"name":"Grace"}' });
    expect(await runCommand(['wf.yaml', '--input-file', 'in.json'], t.io)).toBe(0);
    expect(JSON.parse(t.out.join(''))).toEqual({ message: 'Hello Grace' });
  });
});
