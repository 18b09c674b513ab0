/**
 * Embeds Scalar's API reference bundle (@scalar/api-reference's standalone.js) into
 * `src/api/generated/scalar.ts` as gzip+base64, so `/docs` works offline and on runtimes
 * without a filesystem (edge, single binary). `--check` fails when the committed file is stale.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';

const root = new URL('..', import.meta.url).pathname;
const pkgPath = join(root, 'node_modules/@scalar/api-reference/package.json');
const { version } = JSON.parse(readFileSync(pkgPath, 'utf8')) as { version: string };
const js = readFileSync(join(dirname(pkgPath), 'dist/browser/standalone.js'));
// zlib's gzip header carries no timestamp or name: the output depends on the input only.
const gz = gzipSync(js, { level: 9 });
const text =
  '// generated — do not edit. Source: scripts/generate-docs-asset.ts (npm run generate).\n' +
  `/** @scalar/api-reference ${version} browser bundle, gzip then base64 (${js.length} bytes unpacked). */\n` +
  `export const scalarVersion: string = ${JSON.stringify(version)};\n` +
  `// Typed as string so the emitted .d.ts does not repeat the literal.\nexport const scalarBundleGzipBase64: string =\n  ${JSON.stringify(gz.toString('base64'))};\n`;
const out = join(root, 'src/api/generated/scalar.ts');
const current = existsSync(out) ? readFileSync(out, 'utf8') : '';
if (current !== text) {
  if (process.argv.includes('--check')) {
    console.error('src/api/generated/scalar.ts is stale: run `npm run generate` and commit the result');
    process.exit(1);
  }
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, text);
  console.log('wrote src/api/generated/scalar.ts');
}
