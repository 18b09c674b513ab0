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
 *
 * postgres 3.4.x — `ReadyForQuery` starts `fetchArrayTypes()` (the pg_type query every new
 * connection runs first) and drops its promise: when that query fails (the backend terminated
 * right after connecting — pg_terminate_backend, a restart, a failover) the rejection is
 * unhandled and Node ends the process (porsager/postgres#1192, #279; unreleased as of 3.4.9).
 * The chaos battery's connection-loss run lost replicas to it (57P01 from TCP.onStreamRead).
 * The guard handles the rejection: the connection's own close handling then reconnects or
 * rejects the queries waiting on it, and a connection whose fetch failed without closing goes on
 * to run its first query, as the driver does after a successful fetch.
 *
 * postgres 3.4.x — a prepared statement that a schema change invalidated ("cached plan must not
 * change result type" after `ADD COLUMN` under a `SELECT *`) is re-run by the driver itself
 * (`retry()`), but the re-run's Parse/Describe is written behind whatever is already pipelined on
 * the connection: when a second query of the same statement was pipelined behind the first, the
 * connection stops answering for good (reproduced: four pipelined queries, two of one stale
 * statement, after ALTER TABLE — never settles). Weir's rolling-upgrade test lost instances to it.
 * The guard drops the stale statement and rejects the query instead; the adapter
 * (src/store/postgres-js.ts) runs it again, or its whole transaction, on a fresh prepare.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const patches = [
  {
    issue: 'porsager/postgres#1208',
    what: 'nextWrite against a closed socket',
    mark: '/* weir: guard nextWrite against a closed socket (porsager/postgres#1208) */',
    buggy: `  function nextWrite(fn) {
    const x = socket.write(chunk, fn)`,
    fixed: (mark) => `  function nextWrite(fn) {
    ${mark}
    if (!socket) {
      nextWriteTimer !== null && clearImmediate(nextWriteTimer)
      chunk = nextWriteTimer = null
      error(Errors.connection('CONNECTION_CLOSED', options))
      return false
    }
    const x = socket.write(chunk, fn)`,
  },
  {
    issue: 'porsager/postgres#1192',
    what: "fetchArrayTypes' dropped promise",
    mark: '/* weir: handle a failed fetchArrayTypes (porsager/postgres#1192) */',
    buggy: `        initial.reserve && (initial = null)
        return fetchArrayTypes()`,
    fixed: (mark) => `        initial.reserve && (initial = null)
        ${mark}
        return fetchArrayTypes().catch(() => { /* the connection's close or next query reports it */ })`,
  },
  {
    issue: 'weir: stale prepared statement re-run while pipelined',
    what: 'the re-run of a stale prepared statement',
    mark: '/* weir: a stale prepared statement is dropped and rejected; the caller runs it again */',
    buggy: `            ? retry(query, errorResponse)`,
    fixed: (mark) => `            ? (${mark} delete statements[query.signature], errored(errorResponse))`,
  },
];

let patched = 0;
for (const dir of ['src', 'cjs/src', 'cf/src']) {
  const file = join(root, 'node_modules', 'postgres', dir, 'connection.js');
  if (!existsSync(file)) continue;
  let text = readFileSync(file, 'utf8');
  const before = text;
  for (const p of patches) {
    if (text.includes(p.mark)) continue;
    if (!text.includes(p.buggy) || !/\bErrors\b/.test(text)) {
      console.log(`patch-deps: ${file} does not match the known postgres 3.4.x code for ${p.what}; left as is (check ${p.issue})`);
      continue;
    }
    text = text.replace(p.buggy, p.fixed(p.mark));
    patched++;
  }
  if (text !== before) writeFileSync(file, text);
}
if (patched) console.log(`patch-deps: applied ${patched} postgres guard(s) (porsager/postgres#1208, #1192, stale prepared statements)`);
