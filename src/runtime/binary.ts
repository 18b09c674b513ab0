/**
 * The single binary's start-up (scripts/build-binary.ts compiles it with `bun build --compile`).
 * PGlite normally fetches `pglite.wasm`, `initdb.wasm` and `pglite.data` beside its own module
 * (`new URL('./pglite.wasm', import.meta.url)`); inside a compiled binary there is no such file, so
 * the build embeds them (`with { type: 'file' }`) and they reach PGlite as `pgliteWasmModule`,
 * `initdbWasmModule` and `fsBundle`. A pre-migrated data directory (a `dumpDataDir` tarball) is
 * embedded too and written into an empty WEIR_DATA_DIR on a first start (src/runtime/template.ts),
 * so a first start costs neither initdb nor migrations.
 */
import { readFileSync } from 'node:fs';
import type { PgliteExtraOptions } from '../store/pglite.ts';
import { runMain } from './bun.ts';
import { installTemplate } from './template.ts';

export interface BinaryAssets {
  /** Paths of the embedded files (Bun's `$bunfs` paths inside the binary), each gzipped. */
  pgliteWasm: string;
  initdbWasm: string;
  fsBundle: string;
  /** A tarball of a migrated data directory (PGlite `dumpDataDir`). */
  template: string;
}

/**
 * The embedded WASM modules and file bundle as PGlite options (compiled once, in the background
 * from the moment the binary starts); passed through openStore to every PGlite the binary opens.
 */
export function embeddedPglite(assets: BinaryAssets): () => Promise<PgliteExtraOptions> {
  const embedded = (async (): Promise<PgliteExtraOptions> => {
    const [pgliteWasmModule, initdbWasmModule] = await Promise.all([WebAssembly.compile(unpack(assets.pgliteWasm)), WebAssembly.compile(unpack(assets.initdbWasm))]);
    return { pgliteWasmModule, initdbWasmModule, fsBundle: new Blob([unpack(assets.fsBundle)]) };
  })();
  embedded.catch(() => {}); // surfaced by the first open
  return () => embedded;
}

/** Bun's gunzip (libdeflate): 50 ms for pglite.wasm where node:zlib's brotli took 130 ms. */
const Bun = (globalThis as unknown as { Bun: { gunzipSync(data: Uint8Array): Uint8Array<ArrayBuffer> } }).Bun;
const unpack = (path: string) => Bun.gunzipSync(readFileSync(path));

/** `weir <command>`: `dev` (embedded database in ./.weir/data), `serve` (DATABASE_URL, or embedded), `api`, `worker`, `migrate`. */
export function runBinary(assets: BinaryAssets, argv: string[]): void {
  runMain(argv, {
    name: 'weir',
    pglite: embeddedPglite(assets),
    // A first start on an empty data directory lays down the pre-migrated template.
    prepareDataDir: async (dataDir) => void installTemplate(dataDir, () => unpack(assets.template)),
  });
}
