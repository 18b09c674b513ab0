/**
 * postgres.js 3.4.x kills the process when a backend dies under a connection that still writes
 * (porsager/postgres#1208: `nextWrite` on a null socket, thrown from setImmediate). The postinstall
 * patch (scripts/patch-deps.mjs) turns that into a CONNECTION_CLOSED rejection. Run in a child
 * process: unpatched, the child dies with the TypeError.
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
