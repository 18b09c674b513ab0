/**
 * UUID v7 (RFC 9562): 48-bit Unix milliseconds, then random bits. Generated here because neither
 * Postgres 15 nor PGlite has `uuidv7()`. Ids sort by creation time, which keeps the instances
 * primary key index append-mostly. Monotonic within one process: the 12-bit `rand_a` field counts
 * up when several ids share a millisecond.
 */
let lastMs = 0;
let seq = 0;

export function uuidv7(nowMs: number = Date.now()): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  if (nowMs <= lastMs) {
    seq = (seq + 1) & 0xfff;
    if (seq === 0) lastMs++; // 4,096 ids in one millisecond: borrow the next one
    nowMs = lastMs;
  } else {
    lastMs = nowMs;
    seq = ((bytes[6] & 0x0f) << 8) | bytes[7];
    seq &= 0x7ff; // leave headroom to count up
  }
  const ms = BigInt(nowMs);
  for (let i = 0; i < 6; i++) bytes[i] = Number((ms >> BigInt(8 * (5 - i))) & 0xffn);
  bytes[6] = 0x70 | ((seq >> 8) & 0x0f);
  bytes[7] = seq & 0xff;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  let hex = '';
  for (const b of bytes) hex += b.toString(16).padStart(2, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
