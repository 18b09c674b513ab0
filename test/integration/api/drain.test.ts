/** `POST /v1/admin/drain` on a process without a runner (`weir api`): 503 that says why. */
import { expect, test } from 'vitest';
import { useTestDatabase } from '../../support/db.ts';
import { bearer, buildApp, mintKey } from './_app.ts';

const db = useTestDatabase();

test('without a runner the drain answers 503 naming the processes that have one', async () => {
  const app = buildApp(db.current.sql);
  const admin = await mintKey(db.current.sql, 'admin');
  const res = await app.request('/v1/admin/drain', { method: 'POST', headers: bearer(admin, { 'content-type': 'application/json' }), body: '{}' });
  expect(res.status).toBe(503);
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  const body = await res.json();
  expect(body.detail).toMatch(/runs no runner.*weir serve, weir worker or the edge entry/);
});
