#!/usr/bin/env node
/**
 * postinstall: fixes, in node_modules, a known bug of a dependency that no release fixes yet.
 * Idempotent; a version whose code no longer matches is left alone (with a note), so upgrading the
 * dependency retires the patch by itself.
 *
 * postgres (porsager/postgres) 3.4.x — `nextWrite()` writes to a socket that `closed()` has set to
 * null when a backend dies mid-write (a database restart, pg_terminate_backend, a proxy cut): an
 * uncaught TypeError from a setImmediate callback that kills the whole process
 * (porsager/postgres#1066, #1154, #1208; fix proposed in #1176 / #1209, unreleased as of 3.4.9).
 * The guard settles instead: the queries waiting on that connection are rejected with the
 * driver's own CONNECTION_CLOSED error, which callers already handle (Weir retries or backs off).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const MARK = '/* weir: guard nextWrite against a closed socket (porsager/postgres#1208) */';
const BUGGY = `  function nextWrite(fn) {
    const x = socket.write(chunk, fn)`;
const FIXED = `  function nextWrite(fn) {
    ${MARK}
    if (!socket) {
      nextWriteTimer !== null && clearImmediate(nextWriteTimer)
      chunk = nextWriteTimer = null
      error(Errors.connection('CONNECTION_CLOSED', options))
      return false
    }
    const x = socket.write(chunk, fn)`;

let patched = 0;
for (const dir of ['src', 'cjs/src', 'cf/src']) {
  const file = join(root, 'node_modules', 'postgres', dir, 'connection.js');
  if (!existsSync(file)) continue;
  const text = readFileSync(file, 'utf8');
  if (text.includes(MARK)) continue;
  if (!text.includes(BUGGY) || !/\bErrors\b/.test(text)) {
    console.log(`patch-deps: ${file} does not match the known postgres 3.4.x code; left as is (check porsager/postgres#1208)`);
    continue;
  }
  writeFileSync(file, text.replace(BUGGY, FIXED));
  patched++;
}
if (patched) console.log(`patch-deps: guarded postgres nextWrite in ${patched} file(s) (porsager/postgres#1208)`);
