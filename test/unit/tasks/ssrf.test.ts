import { describe, expect, it } from 'vitest';
import { isPrivateIp, ssrfProblem } from '../../../src/effects/ssrf.ts';

describe('SSRF guard', () => {
  it.each(['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', 'fd00::1', 'fe80::1', '::ffff:127.0.0.1', '::ffff:7f00:1'])(
    'private: %s',
    (ip) => expect(isPrivateIp(ip)).toBe(true),
  );

  it.each(['8.8.8.8', '1.1.1.1', '172.32.0.1', '2606:4700::1111'])('public: %s', (ip) => expect(isPrivateIp(ip)).toBe(false));

  it('refuses literal private IPs, local names and non-http schemes; allows by flag or allow-list', async () => {
    expect(await ssrfProblem(new URL('http://127.0.0.1:8080/x'), {})).toMatch(/refused/);
    expect(await ssrfProblem(new URL('http://[::1]/x'), {})).toMatch(/refused/);
    expect(await ssrfProblem(new URL('http://localhost/x'), {})).toMatch(/local name/);
    expect(await ssrfProblem(new URL('http://printer.local/x'), {})).toMatch(/local name/);
    expect(await ssrfProblem(new URL('file:///etc/passwd'), {})).toMatch(/scheme/);
    expect(await ssrfProblem(new URL('https://example.com/x'), {})).toBeUndefined();
    expect(await ssrfProblem(new URL('http://127.0.0.1/x'), { allowPrivate: true })).toBeUndefined();
    expect(await ssrfProblem(new URL('http://127.0.0.1:9/x'), { allowHosts: ['127.0.0.1:9'] })).toBeUndefined();
  });

  it('checks every address an injected resolver returns', async () => {
    const resolve = async (host: string) => (host === 'evil.example' ? ['93.184.216.34', '10.0.0.5'] : ['93.184.216.34']);
    expect(await ssrfProblem(new URL('https://evil.example/'), { resolve })).toMatch(/private address/);
    expect(await ssrfProblem(new URL('https://fine.example/'), { resolve })).toBeUndefined();
  });
});
