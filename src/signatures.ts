/**
 * Webhook signatures Weir produces and checks. Standard Webhooks (standardwebhooks.com): the
 * `webhook-signature` is `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` keyed by the base64 part of
 * a `whsec_…` secret. GitHub style: `sha256=<hex HMAC-SHA256 of the body>` keyed by the secret text.
 */
import { base64ToBytes, bytesToBase64, hex, hmacSha256, randomBytes } from './crypto.ts';

export function newWebhookSecret(): string {
  return `whsec_${bytesToBase64(randomBytes(32))}`;
}

function concat(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The `webhook-signature` value for a delivery (what senders compute; used by tests and callbacks). */
export async function standardSignature(secret: string, id: string, timestamp: number | string, body: Uint8Array): Promise<string> {
  const key = base64ToBytes(secret.startsWith('whsec_') ? secret.slice(6) : secret);
  const enc = new TextEncoder();
  return `v1,${bytesToBase64(await hmacSha256(key, concat(enc.encode(`${id}.${timestamp}.`), body)))}`;
}

export async function githubSignature(secret: string, body: Uint8Array): Promise<string> {
  return `sha256=${hex(await hmacSha256(secret, concat(body)))}`;
}

