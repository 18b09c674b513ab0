/**
 * The few cryptographic helpers the API needs, on Web Crypto only (Node, Deno, Bun, edge):
 * SHA-256 digests, HMAC-SHA256, constant-time comparison, random tokens and AES-GCM for
 * secrets at rest.
 */
const encoder = new TextEncoder();

export function bytesToBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

export function base64ToBytes(text: string): Uint8Array<ArrayBuffer> {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

export const toBase64Url = (bytes: Uint8Array) => bytesToBase64(bytes).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');

export function hex(bytes: ArrayBuffer | Uint8Array): string {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let s = '';
  for (const b of view) s += b.toString(16).padStart(2, '0');
  return s;
}

export async function sha256Hex(data: string | Uint8Array<ArrayBuffer>): Promise<string> {
  return hex(await crypto.subtle.digest('SHA-256', typeof data === 'string' ? encoder.encode(data) : data));
}

export function randomBytes(n: number): Uint8Array<ArrayBuffer> {
  return crypto.getRandomValues(new Uint8Array(n));
}

export async function hmacSha256(key: Uint8Array<ArrayBuffer> | string, message: Uint8Array<ArrayBuffer> | string): Promise<Uint8Array> {
  const raw = typeof key === 'string' ? encoder.encode(key) : key;
  const k = await crypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return new Uint8Array(await crypto.subtle.sign('HMAC', k, typeof message === 'string' ? encoder.encode(message) : message));
}

/** Compares two strings in time that depends only on their lengths (signatures, key hashes). */
export function timingSafeEqual(a: string, b: string): boolean {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  const n = Math.max(x.length, y.length);
  let diff = x.length ^ y.length;
  for (let i = 0; i < n; i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

/**
 * AES-256-GCM with a key given as base64 (32 bytes). Ciphertexts are `v1.<iv>.<data>` in base64,
 * so a later key rotation can add `v2` without guessing.
 */
export class SecretBox {
  readonly #key: Promise<CryptoKey>;

  constructor(keyBase64: string) {
    const raw = base64ToBytes(keyBase64);
    if (raw.length !== 32) throw new Error(`the encryption key must be 32 bytes of base64 (got ${raw.length} bytes)`);
    this.#key = crypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt']);
  }

  async seal(plain: string): Promise<string> {
    const iv = randomBytes(12);
    const data = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, await this.#key, encoder.encode(plain));
    return `v1.${bytesToBase64(iv)}.${bytesToBase64(new Uint8Array(data))}`;
  }

  async open(sealed: string): Promise<string> {
    const [version, iv, data] = sealed.split('.');
    if (version !== 'v1' || !iv || !data) throw new Error('unknown ciphertext format');
    const plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: base64ToBytes(iv) }, await this.#key, base64ToBytes(data));
    return new TextDecoder().decode(plain);
  }
}
