/** `weir migrate` for the Deno and Bun entry points and the binary: apply migrations and exit. */
import type { Config } from '../config.ts';
import { openStore } from '../store/open.ts';
import type { PgliteExtraOptions } from '../store/pglite.ts';
import { acquireDataDirLock } from './data-dir-lock.ts';

export async function migrateOnce(
  config: Config,
  prepareDataDir?: (dataDir: string) => Promise<void>,
  pglite?: () => Promise<PgliteExtraOptions>,
): Promise<string> {
  const lock = config.database.kind === 'pglite' ? acquireDataDirLock(config.database.dataDir) : undefined;
  try {
    if (config.database.kind === 'pglite') await prepareDataDir?.(config.database.dataDir);
    const store = await openStore(config.database, { poolMax: 1, applicationName: 'weir-migrate', ...(pglite ? { pglite } : {}) });
    try {
      const report = await store.migrate();
      return report.applied.length ? `applied: ${report.applied.join(', ')}\n` : 'migrations are current\n';
    } finally {
      await store.close();
    }
  } finally {
    lock?.release();
  }
}
