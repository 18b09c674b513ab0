/**
 * postgres.js 3.4.x kills the process in two ways the postinstall patch (scripts/patch-deps.mjs)
 * guards: a backend that dies under a connection that still writes (porsager/postgres#1208:
 * `nextWrite` on a null socket, thrown from setImmediate) becomes a CONNECTION_CLOSED rejection;
 * and a failed array-types fetch on a new connection (#1192: its promise dropped, an unhandled
 * rejection) is handled. Each runs in a child process: unpatched, the child dies.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect, test } from 'vitest';
import { useTestDatabase } from '../../support/db.ts';

const db = useTestDatabase();
const run = promisify(execFile);

const child = `
import postgres from 'postgres';
const url = process.argv[1];
const admin = postgres(url, { max: 1, onnotice: () => {} });
const sql = postgres(url, { max: 1, onnotice: () => {} });
const reserved = await sql.reserve();
const [{ pid }] = await reserved\`select pg_backend_pid() as pid\`;
await admin\`select pg_terminate_backend(\${pid})\`;
await new Promise((r) => setTimeout(r, 200));
try { await reserved\`select 1\`; console.log('answered'); } catch (e) { console.log('rejected', e.code); }
reserved.release();
await sql.end({ timeout: 1 });
await admin.end({ timeout: 1 });
`;

test('a backend killed under a reserved connection rejects its next query instead of crashing the process', async () => {
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', child, db.current.url], { cwd: new URL('../../../', import.meta.url).pathname, timeout: 30_000 });
  expect(stdout.trim()).toBe('rejected CONNECTION_CLOSED');
});

// porsager/postgres#1192: the pg_type query a new connection runs first (fetchArrayTypes) has its
// promise dropped; when it fails the rejection is unhandled and Node ends the process. A 1 ms
// statement_timeout set at connect cancels it the way a backend terminated right after connecting
// fails it (the chaos connection-loss run lost replicas to the 57P01 variant).
const typesChild = `
import postgres from 'postgres';
const sql = postgres(process.argv[1], { max: 1, onnotice: () => {}, connection: { statement_timeout: 1 } });
let outcome;
try { await sql\`select 1 as one\`; outcome = 'answered'; } catch (e) { outcome = 'rejected ' + e.code; }
await new Promise((r) => setTimeout(r, 200));
console.log('alive', outcome);
await sql.end({ timeout: 1 });
`;

test('a failed array-types fetch on a new connection does not end the process', async () => {
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', typesChild, db.current.url], { cwd: new URL('../../../', import.meta.url).pathname, timeout: 30_000 });
  expect(stdout.trim()).toMatch(/^alive (answered|rejected 57014)$/);
});
