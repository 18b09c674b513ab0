/**
 * `/docs`: the Scalar API reference for `/openapi.json`, with its script served by Weir itself
 * from an embedded bundle (no CDN: Weir runs offline and on runtimes without a filesystem).
 * Browsers that accept gzip get the stored bytes as they are; others get them inflated once.
 */
import { Scalar } from '@scalar/hono-api-reference';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from './context.ts';
import { base64ToBytes } from '../crypto.ts';

export const DOCS_SCRIPT_PATH = '/docs/scalar.js';

// Loaded on the first request for the script, not at start: the bundle is ~1.3 MB of source,
// which would otherwise lengthen every cold start (edge, serverless) for a page few open.
let bundle: Promise<{ version: string; gzipped: Uint8Array<ArrayBuffer> }> | undefined;
let inflated: Promise<Uint8Array<ArrayBuffer>> | undefined;

const load = () =>
  (bundle ??= import('./generated/scalar.ts').then((m) => ({ version: m.scalarVersion, gzipped: base64ToBytes(m.scalarBundleGzipBase64) })));
const plain = async () =>
  (inflated ??= load().then(async ({ gzipped }) =>
    new Uint8Array(await new Response(new Blob([gzipped]).stream().pipeThrough(new DecompressionStream('gzip'))).arrayBuffer()),
  ));

export function registerDocs(app: OpenAPIHono<AppEnv>): void {
  app.get(
    '/docs',
    Scalar({
      url: '/openapi.json',
      cdn: DOCS_SCRIPT_PATH,
      pageTitle: 'Weir API',
      // Nothing that calls out: no web fonts, no hosted AI agent, no "share/deploy" toolbar.
      withDefaultFonts: false,
      hideClientButton: true,
      showDeveloperTools: 'never',
      agent: { disabled: true },
    } as Parameters<typeof Scalar>[0]),
  );
  app.get(DOCS_SCRIPT_PATH, async (c) => {
    const { version, gzipped } = await load();
    const etag = `"scalar-${version}"`;
    const headers: Record<string, string> = {
      'content-type': 'text/javascript; charset=utf-8',
      'cache-control': 'public, max-age=86400',
      etag,
      vary: 'accept-encoding',
    };
    if (c.req.header('if-none-match') === etag) return new Response(null, { status: 304, headers });
    if (/\bgzip\b/.test(c.req.header('accept-encoding') ?? '')) {
      return new Response(gzipped, { headers: { ...headers, 'content-encoding': 'gzip' } });
    }
    return new Response(await plain(), { headers });
  });
}
