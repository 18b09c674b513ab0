/** `weir keys`: create prints the key alone on stdout, and the key works against the API. */
import { expect, test } from 'vitest';
import { keysCommand } from '../../../src/cli/keys.ts';
import { useTestDatabase } from '../../support/db.ts';
import { bearer, buildApp } from './_app.ts';

const db = useTestDatabase();

function io() {
  const out = { stdout: '', stderr: '' };
  return { out, deps: { sql: db.current.sql, stdout: (s: string) => void (out.stdout += s), stderr: (s: string) => void (out.stderr += s) } };
}

test('create prints only the key; it authenticates with its role and namespaces; list and revoke', async () => {
  const { out, deps } = io();
  expect(await keysCommand(['create', '--namespace', 'examples', '--role', 'read', '--name', 'ci'], deps)).toBe(0);
  expect(out.stdout).toMatch(/^weir_[A-Za-z0-9_-]{32}\n$/);
  const key = out.stdout.trim();
  const app = buildApp(db.current.sql);
  expect((await app.request('/v1/workflows', { headers: bearer(key) })).status).toBe(200);
  expect((await app.request('/metrics', { headers: bearer(key) })).status).toBe(403);

  await new Promise((r) => setTimeout(r, 50)); // last_used_at is written off the request path
  const listed = io();
  expect(await keysCommand(['list'], listed.deps)).toBe(0);
  expect(listed.out.stdout).toContain(`${key.slice(0, 12)}\tread\texamples\tci`);
  expect(listed.out.stdout).not.toContain(key);
  const [used] = await db.current.sql<{ last_used_at: Date | null }>`SELECT last_used_at FROM weir.api_keys`;
  expect(used.last_used_at).not.toBeNull();
  const [{ hash }] = await db.current.sql<{ hash: string }>`SELECT hash FROM weir.api_keys`;
  expect(hash).toMatch(/^[0-9a-f]{64}$/);

  const revoked = io();
  expect(await keysCommand(['revoke', key.slice(0, 12)], revoked.deps)).toBe(0);
  expect((await app.request('/v1/workflows', { headers: bearer(key) })).status).toBe(401);
  expect(await keysCommand(['revoke', key.slice(0, 12)], io().deps)).toBe(1);
});

test('create with * and admin; bad input is exit 2 with usage on stderr and nothing on stdout', async () => {
  const ok = io();
  expect(await keysCommand(['create', '--namespace=*', '--role=admin'], ok.deps)).toBe(0);
  for (const args of [['create', '--role', 'admin'], ['create', '--namespace', 'x', '--role', 'root'], ['create', '--namespace', 'Bad NS', '--role', 'read'], ['nope'], []]) {
    const bad = io();
    expect(await keysCommand(args, bad.deps)).toBe(2);
    expect(bad.out.stdout).toBe('');
    expect(bad.out.stderr).toContain('Usage:');
  }
});
