/** The API's Web Crypto helpers and webhook signatures, against published reference values. */
import { expect, test } from 'vitest';
import { SecretBox, bytesToBase64, sha256Hex, timingSafeEqual } from '../../../src/crypto.ts';
import { githubSignature, standardSignature, verifyWebhook } from '../../../src/api/webhooks.ts';

const enc = new TextEncoder();

test('sha256Hex matches the FIPS 180-2 "abc" vector', async () => {
  expect(await sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
});

test('timingSafeEqual', () => {
  expect(timingSafeEqual('abc', 'abc')).toBe(true);
  expect(timingSafeEqual('abc', 'abd')).toBe(false);
  expect(timingSafeEqual('abc', 'abcd')).toBe(false);
  expect(timingSafeEqual('', '')).toBe(true);
  expect(timingSafeEqual('', 'a')).toBe(false);
});

test('SecretBox round-trips, uses a fresh IV each time, and refuses a tampered ciphertext or a wrong key', async () => {
  const box = new SecretBox(bytesToBase64(new Uint8Array(32).fill(1)));
  const a = await box.seal('whsec_secret');
  const b = await box.seal('whsec_secret');
  expect(a).not.toBe(b);
  expect(await box.open(a)).toBe('whsec_secret');
  const [v, iv, data] = a.split('.');
  const flipped = `${v}.${iv}.${data.slice(0, -4)}${data.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA'}`;
  await expect(box.open(flipped)).rejects.toThrow();
  await expect(new SecretBox(bytesToBase64(new Uint8Array(32).fill(2))).open(a)).rejects.toThrow();
  expect(() => new SecretBox(bytesToBase64(new Uint8Array(16)))).toThrow(/32 bytes/);
});

test('Standard Webhooks signature matches the specification example', async () => {
  // From the Standard Webhooks specification's reference implementations.
  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
  const id = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
  const timestamp = 1614265330;
  const body = enc.encode('{"test": 2432232314}');
  expect(await standardSignature(secret, id, timestamp, body)).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  const headers = new Headers({ 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=' });
  expect(await verifyWebhook('standard', [secret], headers, body, timestamp + 10, 300)).toEqual({ ok: true, deliveryId: id });
  expect((await verifyWebhook('standard', [secret], headers, body, timestamp + 301, 300)).ok).toBe(false);
});

test('GitHub X-Hub-Signature-256 matches GitHub documentation example', async () => {
  // docs.github.com "Validating webhook deliveries": secret "It's a Secret to Everybody", payload "Hello, World!".
  expect(await githubSignature("It's a Secret to Everybody", enc.encode('Hello, World!'))).toBe(
    'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17',
  );
});
