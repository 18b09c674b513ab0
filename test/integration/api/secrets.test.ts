/**
 * Workflow secrets: set through the API (write-only, encrypted at rest), used by a workflow's call,
 * and never shown in history, outputs or API responses.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { SecretBox } from '../../../src/crypto.ts';
import { loadConfig } from '../../../src/config.ts';
import { createLogger } from '../../../src/log.ts';
import { Runner } from '../../../src/runner/index.ts';
import { SecretsProvider, secretsFromEnv } from '../../../src/runner/secrets.ts';
import { useTestDatabase } from '../../support/db.ts';
import { startStub, type Stub } from '../../support/stub-server.ts';
import { bearer, buildApp, ENCRYPTION_KEY, mintKey } from './_app.ts';

const db = useTestDatabase();
let stub: Stub;
const auth: (string | undefined)[] = [];
beforeAll(async () => {
  stub = await startStub((r) => {
    auth.push(r.body);
    return { body: { ok: true } };
  });
});
afterAll(() => stub.close());

test('a secret set through the API authenticates a call and is redacted everywhere people read', async () => {
  const app = buildApp(db.current.sql);
  const admin = await mintKey(db.current.sql, 'admin');
  const writer = await mintKey(db.current.sql, 'write');
  const value = 'tok-9f8e7d6c5b4a';
  const put = (key: string) =>
    app.request('/v1/secrets/vault/token', { method: 'PUT', headers: bearer(key, { 'content-type': 'application/json' }), body: JSON.stringify({ value }) });
  expect((await put(writer)).status).toBe(403); // admins only
  expect((await put(admin)).status).toBe(200);
  const listed = await (await app.request('/v1/secrets/vault', { headers: bearer(writer) })).json();
  expect(listed.items.map((i: { name: string }) => i.name)).toEqual(['token']);
  expect(JSON.stringify(listed)).not.toContain(value);
  const [{ ciphertext }] = await db.current.sql<{ ciphertext: string }>`SELECT ciphertext FROM weir.secrets`;
  expect(ciphertext).not.toContain(value);

  const doc = `document: { dsl: 1.0.0, namespace: vault, name: uses-secret, version: 1.0.0 }
use:
  secrets: [token, fromEnv]
do:
  - call:
      call: http
      with:
        method: post
        endpoint: '${stub.url}/echo'
        body: { presented: '\${ $secrets.token }', env: '\${ $secrets.fromEnv }' }
  - leak: { set: { echoed: '\${ "Bearer " + $secrets.token }' } }
`;
  expect((await app.request('/v1/workflows', { method: 'POST', headers: bearer(admin, { 'content-type': 'application/yaml' }), body: doc })).status).toBe(201);
  const started = await (await app.request('/v1/workflows/vault/uses-secret/instances', { method: 'POST', headers: bearer(admin), body: '{}' })).json();
  const runner = new Runner({
    sql: db.current.sql,
    log: createLogger('silent'),
    runner: loadConfig({}).runner,
    http: { allowPrivate: true },
    secrets: new SecretsProvider(db.current.sql, { env: secretsFromEnv({ WEIR_SECRET_fromEnv: 'env-secret-42' }), box: new SecretBox(ENCRYPTION_KEY) }),
  });
  await runner.drain();
  expect(JSON.parse(auth.at(-1) ?? '{}')).toEqual({ presented: value, env: 'env-secret-42' }); // the call got the real values
  const inst = await (await app.request(`/v1/instances/${started.id}`, { headers: bearer(admin) })).json();
  expect(inst.status).toBe('completed');
  expect(inst.output).toEqual({ echoed: 'Bearer ***' });
  const history = await (await app.request(`/v1/instances/${started.id}/history`, { headers: bearer(admin) })).json();
  const everything = JSON.stringify([inst, history]);
  expect(everything).not.toContain(value);
  expect(everything).not.toContain('env-secret-42');
  expect((await app.request('/v1/secrets/vault/token', { method: 'DELETE', headers: bearer(admin) })).status).toBe(204);
  expect((await app.request('/v1/secrets/vault/token', { method: 'DELETE', headers: bearer(admin) })).status).toBe(404);
});
