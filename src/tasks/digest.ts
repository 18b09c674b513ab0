/**
 * HTTP Digest (RFC 7616, MD5 / MD5-sess, qop=auth): the Authorization header answering a
 * `WWW-Authenticate: Digest …` challenge. The client nonce comes from a pure hash, so a replayed
 * activation produces the same request.
 */
import { md5 } from '@noble/hashes/legacy.js';
import { bytesToHex } from '@noble/hashes/utils.js';

const hex = (s: string) => bytesToHex(md5(new TextEncoder().encode(s)));

export function parseChallenge(header: string): Record<string, string> | undefined {
  const m = /^\s*Digest\s+(.*)$/i.exec(header);
  if (!m) return undefined;
  const out: Record<string, string> = {};
  for (const part of m[1].matchAll(/([a-zA-Z]+)\s*=\s*(?:"([^"]*)"|([^,\s]*))/g)) {
    out[part[1].toLowerCase()] = part[2] ?? part[3] ?? '';
  }
  return out;
}

export function digestAuthorization(
  challenge: Record<string, string>,
  req: { method: string; url: string; username: string; password: string; cnonce: string },
): string {
  const uri = (() => {
    const u = new URL(req.url);
    return u.pathname + u.search;
  })();
  const realm = challenge.realm ?? '';
  const nonce = challenge.nonce ?? '';
  const algorithm = challenge.algorithm ?? 'MD5';
  const qop = challenge.qop?.split(',').map((q) => q.trim()).includes('auth') ? 'auth' : undefined;
  const nc = '00000001';
  let ha1 = hex(`${req.username}:${realm}:${req.password}`);
  if (/^md5-sess$/i.test(algorithm)) ha1 = hex(`${ha1}:${nonce}:${req.cnonce}`);
  const ha2 = hex(`${req.method.toUpperCase()}:${uri}`);
  const response = qop ? hex(`${ha1}:${nonce}:${nc}:${req.cnonce}:${qop}:${ha2}`) : hex(`${ha1}:${nonce}:${ha2}`);
  const parts = [
    `username="${req.username}"`,
    `realm="${realm}"`,
    `nonce="${nonce}"`,
    `uri="${uri}"`,
    `algorithm=${algorithm}`,
    `response="${response}"`,
  ];
  if (qop) parts.push(`qop=${qop}`, `nc=${nc}`, `cnonce="${req.cnonce}"`);
  if (challenge.opaque !== undefined) parts.push(`opaque="${challenge.opaque}"`);
  return `Digest ${parts.join(', ')}`;
}
