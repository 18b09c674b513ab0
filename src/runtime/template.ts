/**
 * Lays down the single binary's pre-migrated data directory on a first start: a tarball from
 * PGlite's `dumpDataDir` (ustar: directories and regular files, paths relative to PGDATA), written
 * with the host's file system. Loading it through PGlite (`loadDataDir`) instead copies 40 MB
 * through the WASM file system and took ~2.4 s on a loaded 2-core machine; this takes ~0.1 s.
 * Extracts into a sibling folder and renames it into place, so a crash half-way never leaves a
 * directory that looks like a database.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';

const text = (b: Uint8Array, from: number, length: number) => {
  const s = new TextDecoder().decode(b.subarray(from, from + length));
  const nul = s.indexOf('\0');
  return nul < 0 ? s : s.slice(0, nul);
};

/** Extracts a ustar archive into `dir`; returns the number of files written. */
export function extractTar(tar: Uint8Array, dir: string): number {
  const root = resolve(dir);
  let offset = 0;
  let files = 0;
  while (offset + 512 <= tar.length) {
    const name = text(tar, offset, 100);
    if (!name) break; // two zero blocks end the archive
    const prefix = text(tar, offset + 345, 155);
    const size = Number.parseInt(text(tar, offset + 124, 12).trim() || '0', 8);
    const type = String.fromCharCode(tar[offset + 156]);
    const target = resolve(root, `.${sep}${prefix ? `${prefix}/${name}` : name}`);
    if (target !== root && !target.startsWith(root + sep)) throw new Error(`template entry ${name} escapes ${root}`);
    const body = offset + 512;
    if (type === '5') mkdirSync(target, { recursive: true });
    else if (type === '0' || type === '\0') {
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, tar.subarray(body, body + size), { mode: 0o600 });
      files++;
    }
    offset = body + Math.ceil(size / 512) * 512;
  }
  return files;
}

/**
 * Puts the template in `dataDir` when there is no database there yet (no PG_VERSION) and the folder
 * is missing or empty; leaves anything else alone. Returns whether it did.
 */
export function installTemplate(dataDir: string, tar: () => Uint8Array): boolean {
  const dir = resolve(dataDir);
  if (existsSync(join(dir, 'PG_VERSION'))) return false;
  if (existsSync(dir) && readdirSync(dir).length > 0) return false;
  const staging = `${dir}.template-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  extractTar(tar(), staging);
  if (existsSync(dir)) rmdirSync(dir);
  renameSync(staging, dir);
  return true;
}
