/**
 * SSRF guard: refuses loopback, private, link-local, CGNAT and cloud-metadata targets unless
 * allowed. IP literals are checked directly; host names are checked by name (`localhost`,
 * `*.localhost`, `*.local`, `*.internal`) and, when an injectable resolver is given, by every
 * address it returns. Web standards only — no DNS of its own (edge runtimes have none).
 */

export type SsrfOptions = {
  /** Allow private / loopback targets (local development, tests against 127.0.0.1). */
  allowPrivate?: boolean;
  /** Hosts (`name` or `name:port`) always allowed. */
  allowHosts?: readonly string[];
  /** Resolves a host name to its IP addresses, so names pointing at private ranges are refused too. */
  resolve?: (host: string) => Promise<readonly string[]>;
};

/** Why `url` may not be called, or `undefined` when it may. */
export async function ssrfProblem(url: URL, options: SsrfOptions): Promise<string | undefined> {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `scheme ${url.protocol} is not allowed (http and https only)`;
  if (options.allowPrivate) return undefined;
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (options.allowHosts?.some((h) => h.toLowerCase() === host || h.toLowerCase() === url.host.toLowerCase())) return undefined;
  const refuse = (why: string) => `${url.host} is ${why}; refused (set allowPrivate or allow the host to call it)`;
  if (isIp(host)) return isPrivateIp(host) ? refuse('a private, loopback or link-local address') : undefined;
  if (host === 'localhost' || host.endsWith('.localhost') || host.endsWith('.local') || host.endsWith('.internal') || host === 'metadata') {
    return refuse('a local name');
  }
  if (options.resolve) {
    const addresses = await options.resolve(host);
    if (addresses.some(isPrivateIp)) return refuse('resolving to a private address');
  }
  return undefined;
}

function isIp(host: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.includes(':');
}

export function isPrivateIp(ip: string): boolean {
  const addr = ip.replace(/^\[|\]$/g, '').toLowerCase();
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(addr);
  if (v4) {
    const [a, b] = [Number(v4[1]), Number(v4[2])];
    return (
      a === 0 ||
      a === 10 ||
      a === 127 ||
      (a === 100 && b >= 64 && b <= 127) ||
      (a === 169 && b === 254) ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      (a === 192 && b === 0) ||
      (a === 198 && (b === 18 || b === 19)) ||
      a >= 224
    );
  }
  if (!addr.includes(':')) return false;
  if (addr === '::' || addr === '::1') return true;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(addr);
  if (mapped) return isPrivateIp(mapped[1]);
  const hexMapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(addr);
  if (hexMapped) {
    const hi = parseInt(hexMapped[1], 16);
    const lo = parseInt(hexMapped[2], 16);
    return isPrivateIp(`${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`);
  }
  const first = parseInt(addr.split(':')[0] || '0', 16);
  return (first & 0xfe00) === 0xfc00 || (first & 0xffc0) === 0xfe80 || (first & 0xff00) === 0xff00;
}
