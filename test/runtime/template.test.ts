/**
 * The binary's data-directory template (src/runtime/template.ts): a ustar archive lands file for
 * file; entries that would escape the folder are refused; an existing database or a non-empty
 * folder is never overwritten.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { extractTar, installTemplate } from '../../src/runtime/template.ts';

const root = mkdtempSync(join(tmpdir(), 'weir-template-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A minimal ustar archive: directories (type 5) and files (type 0). */
function tar(entries: { name: string; body?: string }[]): Uint8Array {
  const blocks: Uint8Array[] = [];
  for (const e of entries) {
    const header = new Uint8Array(512);
    const body = e.body === undefined ? undefined : new TextEncoder().encode(e.body);
    header.set(new TextEncoder().encode(e.name), 0);
    header.set(new TextEncoder().encode((body?.length ?? 0).toString(8).padStart(11, '0')), 124);
    header[156] = (body ? '0' : '5').charCodeAt(0);
    header.set(new TextEncoder().encode('ustar'), 257);
    blocks.push(header);
    if (body) {
      const padded = new Uint8Array(Math.ceil(body.length / 512) * 512);
      padded.set(body);
      blocks.push(padded);
    }
  }
  blocks.push(new Uint8Array(1024));
  const out = new Uint8Array(blocks.reduce((n, b) => n + b.length, 0));
  let o = 0;
  for (const b of blocks) {
    out.set(b, o);
    o += b.length;
  }
  return out;
}

const archive = tar([{ name: '/base' }, { name: '/base/1', body: 'x'.repeat(700) }, { name: '/PG_VERSION', body: '17\n' }]);

test('extracts directories and files, contents intact', () => {
  const dir = join(root, 'a');
  expect(extractTar(archive, dir)).toBe(2);
  expect(readFileSync(join(dir, 'base/1'), 'utf8')).toBe('x'.repeat(700));
  expect(readFileSync(join(dir, 'PG_VERSION'), 'utf8')).toBe('17\n');
});

test('refuses an entry that escapes the folder', () => {
  expect(() => extractTar(tar([{ name: '../../evil', body: 'no' }]), join(root, 'b'))).toThrow(/escapes/);
  expect(existsSync(join(root, 'evil'))).toBe(false);
});

test('installs into a missing or empty folder only; never over a database or other files', () => {
  expect(installTemplate(join(root, 'fresh'), () => archive)).toBe(true);
  expect(existsSync(join(root, 'fresh/PG_VERSION'))).toBe(true);
  expect(installTemplate(join(root, 'fresh'), () => archive)).toBe(false);
  mkdirSync(join(root, 'empty'));
  expect(installTemplate(join(root, 'empty'), () => archive)).toBe(true);
  mkdirSync(join(root, 'used'));
  writeFileSync(join(root, 'used/notes.txt'), 'mine');
  expect(installTemplate(join(root, 'used'), () => archive)).toBe(false);
  expect(existsSync(join(root, 'used/PG_VERSION'))).toBe(false);
});
