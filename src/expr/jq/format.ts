/** `@format` string formatters. Base64 and UTF-8 are hand-written: no runtime-specific globals. */
import * as errorsModule from './errors.ts';
const fail: typeof errorsModule.fail = errorsModule.fail;
import * as valuesModule from './values.ts';
const { numberToString, toJson, toText, typeAndValue, typeOf } = valuesModule;

const FORMATS = new Set(['text', 'json', 'html', 'uri', 'urid', 'csv', 'tsv', 'sh', 'base64', 'base64d', 'base32', 'base32d']);

export function isFormat(name: string): boolean {
  return FORMATS.has(name);
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: false });
const fatalDecoder = new TextDecoder('utf-8', { fatal: true });

function notValid(v: unknown, what: string): never {
  return fail(`${typeAndValue(v)} ${what}`, `${typeOf(v)} ${what}`);
}

/** Decoding errors quote the whole input, as jq does. */
function notDecodable(s: string, what: string): never {
  return fail(`string (${toJson(s)}) ${what}`, `string ${what}`);
}

function html(s: string): string {
  return s.replace(/[<>&'"]/g, (c) =>
    c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '&' ? '&amp;' : c === "'" ? '&apos;' : '&quot;',
  );
}

function uri(s: string): string {
  let out = '';
  for (const b of encoder.encode(s)) {
    const unreserved =
      (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || (b >= 48 && b <= 57) || b === 45 || b === 95 || b === 46 || b === 126;
    out += unreserved ? String.fromCharCode(b) : '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

function urid(s: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 37) {
      const hex = s.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) notDecodable(s, 'is not a valid uri encoding');
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else if (c < 128) bytes.push(c);
    else {
      const cp = s.codePointAt(i)!;
      if (cp > 0xffff) i++;
      bytes.push(...encoder.encode(String.fromCodePoint(cp)));
    }
  }
  try {
    return fatalDecoder.decode(new Uint8Array(bytes));
  } catch {
    return notDecodable(s, 'is not a valid uri encoding');
  }
}

function csvField(v: unknown): string {
  if (typeof v === 'number') return numberToString(v);
  if (typeof v === 'string') return '"' + v.replace(/"/g, '""') + '"';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (v === null) return '';
  return notValid(v, 'is not valid in a csv row');
}

function tsvField(v: unknown): string {
  if (typeof v === 'number') return numberToString(v);
  if (typeof v === 'string') {
    return v.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
  }
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (v === null) return '';
  return notValid(v, 'is not valid in a tsv row');
}

function shWord(v: unknown): string {
  if (typeof v === 'string') return "'" + v.replace(/'/g, "'\\''") + "'";
  if (v === null || typeof v === 'number' || typeof v === 'boolean') return toJson(v);
  return notValid(v, 'can not be escaped for shell');
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_INDEX = new Int16Array(128).fill(-1);
for (let i = 0; i < B64.length; i++) B64_INDEX[B64.charCodeAt(i)] = i;

export function base64Encode(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += B64[n >> 18] + B64[(n >> 12) & 63] + B64[(n >> 6) & 63] + B64[n & 63];
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i] << 16;
    out += B64[n >> 18] + B64[(n >> 12) & 63] + '==';
  } else if (rest === 2) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8);
    out += B64[n >> 18] + B64[(n >> 12) & 63] + B64[(n >> 6) & 63] + '=';
  }
  return out;
}

function base64Decode(s: string): string {
  const bytes: number[] = [];
  let acc = 0;
  let bits = 0;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 61) break; // '=': padding ends the data
    const d = c < 128 ? B64_INDEX[c] : -1;
    if (d < 0) notDecodable(s, 'is not valid base64 data');
    acc = (acc << 6) | d;
    bits += 6;
    n++;
    if (bits >= 8) {
      bits -= 8;
      bytes.push((acc >> bits) & 255);
    }
  }
  if (n % 4 === 1) notDecodable(s, 'trailing base64 byte found');
  return decoder.decode(new Uint8Array(bytes));
}

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function base32Encode(bytes: Uint8Array): string {
  let out = '';
  let acc = 0;
  let bits = 0;
  for (const b of bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += B32[(acc >> bits) & 31];
    }
    acc &= (1 << bits) - 1;
  }
  if (bits > 0) out += B32[(acc << (5 - bits)) & 31];
  while (out.length % 8 !== 0) out += '=';
  return out;
}

function base32Decode(s: string): string {
  const bytes: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const ch of s) {
    if (ch === '=') break;
    const d = B32.indexOf(ch);
    if (d < 0) notDecodable(s, 'is not valid base32 data');
    acc = ((acc << 5) | d) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      bytes.push((acc >> bits) & 255);
    }
  }
  return decoder.decode(new Uint8Array(bytes));
}

export function applyFormat(name: string, v: unknown): string {
  switch (name) {
    case 'text':
      return toText(v);
    case 'json':
      return toJson(v);
    case 'html':
      return html(toText(v));
    case 'uri':
      return uri(toText(v));
    case 'urid':
      return urid(toText(v));
    case 'csv':
      if (!Array.isArray(v)) notValid(v, 'cannot be csv-formatted, only array');
      return (v as unknown[]).map(csvField).join(',');
    case 'tsv':
      if (!Array.isArray(v)) notValid(v, 'cannot be tsv-formatted, only array');
      return (v as unknown[]).map(tsvField).join('\t');
    case 'sh':
      return Array.isArray(v) ? v.map(shWord).join(' ') : shWord(v);
    case 'base64':
      return base64Encode(encoder.encode(toText(v)));
    case 'base64d':
      return base64Decode(toText(v));
    case 'base32':
      return base32Encode(encoder.encode(toText(v)));
    case 'base32d':
      return base32Decode(toText(v));
  }
  return fail(`${name} is not a valid format`);
}
