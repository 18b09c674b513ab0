/**
 * Webhook signature verification. Standard Webhooks (standardwebhooks.com): `webhook-id`,
 * `webhook-timestamp` (seconds), `webhook-signature` = space-separated `v1,<base64 HMAC-SHA256 of
 * "id.timestamp.body">` keyed by the base64 part of a `whsec_…` secret. GitHub style:
 * `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>` keyed by the secret's text.
 * Every comparison is constant-time.
 */
import type { Verifier } from '../store/queries/hooks.ts';
import { timingSafeEqual } from '../crypto.ts';

/**
 * Longest delivery id accepted (`webhook-id`, `X-GitHub-Delivery`): it is stored under a btree index
 * (replay protection) and used as an event id, and Postgres refuses index entries past ~2.7 kB.
 * Real ids are a few dozen characters.
 */
export const MAX_DELIVERY_ID = 256;

export type Verdict = { ok: true; deliveryId?: string } | { ok: false; reason: string };

export { githubSignature, newWebhookSecret, standardSignature } from '../signatures.ts';
import { githubSignature, standardSignature } from '../signatures.ts';

export async function verifyWebhook(
  verifier: Verifier,
  secrets: readonly string[],
  headers: Headers,
  body: Uint8Array,
  nowSeconds: number,
  toleranceSeconds: number,
): Promise<Verdict> {
  if (verifier === 'github') {
    const given = headers.get('x-hub-signature-256');
    if (!given) return { ok: false, reason: 'missing X-Hub-Signature-256 header' };
    const delivery = headers.get('x-github-delivery');
    if (delivery !== null && delivery.length > MAX_DELIVERY_ID) return { ok: false, reason: `X-GitHub-Delivery is longer than ${MAX_DELIVERY_ID} characters` };
    for (const s of secrets) if (timingSafeEqual(given.trim(), await githubSignature(s, body))) return { ok: true, deliveryId: delivery ?? undefined };
    return { ok: false, reason: 'the X-Hub-Signature-256 signature does not match' };
  }
  const id = headers.get('webhook-id');
  const timestamp = headers.get('webhook-timestamp');
  const signatures = headers.get('webhook-signature');
  if (!id || !timestamp || !signatures) return { ok: false, reason: 'missing webhook-id, webhook-timestamp or webhook-signature header' };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'webhook-timestamp must be whole seconds since the epoch' };
  if (id.length > MAX_DELIVERY_ID) return { ok: false, reason: `webhook-id is longer than ${MAX_DELIVERY_ID} characters` };
  if (Math.abs(nowSeconds - Number(timestamp)) > toleranceSeconds) {
    return { ok: false, reason: `webhook-timestamp is more than ${toleranceSeconds}s away from the server's clock` };
  }
  const given = signatures.split(' ').filter((s) => s.startsWith('v1,'));
  for (const secret of secrets) {
    const expected = await standardSignature(secret, id, timestamp, body);
    let match = false;
    for (const g of given) match = timingSafeEqual(g, expected) || match;
    if (match) return { ok: true, deliveryId: id };
  }
  return { ok: false, reason: 'no webhook-signature matches' };
}
