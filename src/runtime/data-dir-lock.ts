/**
 * One process per PGlite data directory. PGlite is single-process: a second process opening the
 * same directory corrupts it, so the directory is guarded by a lock file beside it
 * (`<dir>.lock`, holding the owner's pid). A lock whose pid is dead is stale and taken over.
 */
import { mkdirSync, openSync, readFileSync, unlinkSync, writeSync, closeSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import { WeirError } from '../errors.ts';

export interface DataDirLock {
  readonly path: string;
  release(): void;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function acquireDataDirLock(dataDir: string): DataDirLock {
  const dir = resolve(dataDir);
  const path = `${dir}.lock`;
  mkdirSync(dirname(dir), { recursive: true });
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, JSON.stringify({ pid: process.pid, host: hostname(), startedAt: new Date().toISOString() }));
      closeSync(fd);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        try {
          if (JSON.parse(readFileSync(path, 'utf8')).pid === process.pid) unlinkSync(path);
        } catch {
          // already gone
        }
      };
      process.once('exit', release);
      return { path, release };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    let owner: { pid?: number; host?: string; startedAt?: string } = {};
    try {
      owner = JSON.parse(readFileSync(path, 'utf8'));
    } catch {
      // unreadable: a crash while writing it; treat as stale
    }
    const sameHost = !owner.host || owner.host === hostname();
    if (owner.pid && owner.pid !== process.pid && sameHost && alive(owner.pid)) {
      throw new WeirError(
        'data_dir_locked',
        `the embedded database in ${dir} is in use by process ${owner.pid} (since ${owner.startedAt ?? 'unknown'}); ` +
          'stop that process, or set WEIR_DATA_DIR to another folder, or set DATABASE_URL to use a Postgres server',
      );
    }
    if (!sameHost) {
      throw new WeirError(
        'data_dir_locked',
        `the embedded database in ${dir} is locked by host ${owner.host} (pid ${owner.pid}); remove ${path} only if that host no longer uses it`,
      );
    }
    // Stale: its owner is dead. Remove and retry; `wx` makes exactly one taker win.
    try {
      unlinkSync(path);
    } catch {
      // another process removed it first
    }
  }
  throw new WeirError('data_dir_locked', `could not take the lock ${path}; remove it if no Weir process uses ${dir}`);
}
