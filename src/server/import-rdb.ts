/**
 * `import-rdb FILE`: loads a dump.rdb written by redis-server (RDB 1-11,
 * docs/FORMAT.md "RDB") into an empty data directory at start-up, and takes
 * a snapshot before the server accepts clients, so the imported keys are
 * durable from the first reply. A data directory that already holds data is
 * left as it is (the import is logged as skipped): the setting can stay in
 * a config file or a container's environment, and only the first start
 * imports.
 */
import { statSync } from 'node:fs';
import { readRdbFile } from '../persistence/rdb/file.js';
import { RdbError } from '../persistence/rdb/types.js';
import { fromRdbObject, type StreamLimits } from '../persistence/rdb/values.js';
import type { Snapshotter } from '../persistence/snapshot/snapshotter.js';
import type { Config } from '../config/config.js';
import type { Keyspace } from '../store/keyspace.js';
import type { Logger } from './logger.js';
import { RecoveryError } from './recover.js';

/** What {@link importRdb} needs of the server being started. */
export interface ImportRdbOptions {
  /** The RDB file (`import-rdb`). */
  file: string;
  keyspace: Keyspace;
  snapshots: Snapshotter;
  log: Logger;
  /** Whether recovery found nothing (no snapshot, no WAL record). */
  empty: boolean;
  limits: StreamLimits;
}

/**
 * {@link importRdb} of the file the `import-rdb` setting names, if any, with
 * the stream node limits of the settings.
 */
export function importConfiguredRdb(
  config: Config,
  o: Omit<ImportRdbOptions, 'file' | 'limits'>,
): Promise<ImportSummary | null> {
  const file = config.get('import-rdb');
  if (file === '') return Promise.resolve(null);
  const limits = { maxEntries: config.get('stream-node-max-entries'), maxBytes: config.get('stream-node-max-bytes') };
  return importRdb({ ...o, file, limits });
}

/** What was imported. */
export interface ImportSummary {
  keys: number;
  /** Keys whose TTL had passed, left out. */
  expired: number;
  rdbVersion: number;
  seconds: number;
}

/**
 * Imports `file` when the data directory is empty, then snapshots.
 *
 * @returns the summary, or null when the directory held data and nothing was imported
 * @throws RecoveryError naming the file, the byte offset and the key when the file cannot be read or holds
 *   what FlashCache cannot store (module values, a database index over `databases`, a duplicate key)
 */
export async function importRdb(o: ImportRdbOptions): Promise<ImportSummary | null> {
  if (!o.empty) {
    o.log.warn({ file: o.file }, 'import-rdb skipped: the data directory already holds data');
    return null;
  }
  const t0 = performance.now();
  let total: number;
  try {
    total = statSync(o.file).size;
  } catch (e) {
    throw new RecoveryError(`import-rdb: cannot read ${o.file}: ${(e as Error).message}`);
  }
  // The progress bar's package loads only for an import on a terminal.
  const cliProgress = process.stderr.isTTY ? (await import('cli-progress')).default : null;
  const bar = cliProgress
    ? new cliProgress.SingleBar(
        { format: 'importing {bar} {percentage}% | {value}/{total} bytes | {keys} keys', stream: process.stderr },
        cliProgress.Presets.shades_classic,
      )
    : null;
  bar?.start(total, 0, { keys: 0 });
  const now = Date.now();
  const dbs = o.keyspace.dbs;
  let keys = 0;
  let expired = 0;
  let summary: { version: number };
  try {
    summary = readRdbFile(o.file, {
      aux: (key, value) => o.log.info({ [key]: value.toString('latin1') }, 'import-rdb: aux field'),
      functionLibrary: () => o.log.warn('import-rdb: a function library was left out (no scripting here)'),
      entry: (db, key, obj, expireAt) => {
        const target = dbs[db];
        if (target === undefined) {
          throw new RdbError(
            `key ${JSON.stringify(key.toString('latin1'))} is in db ${db}; databases is ${dbs.length}`,
            -1,
          );
        }
        if (expireAt >= 0 && expireAt <= now) {
          expired++;
          return;
        }
        const slot = target.findSlot(key);
        if (slot >= 0) throw new RdbError(`duplicate key ${JSON.stringify(key.toString('latin1'))} in db ${db}`, -1);
        const value = fromRdbObject(obj, o.limits);
        const at = expireAt >= 0 ? expireAt : 0;
        if (Buffer.isBuffer(value)) target.setString(key, value, at, -1);
        else target.setCollection(key, value, at, -1);
        keys++;
      },
      progress: (read) => bar?.update(read, { keys }),
    });
  } catch (e) {
    bar?.stop();
    if (e instanceof RdbError) throw new RecoveryError(`import-rdb: ${o.file}: ${e.message}`);
    throw e;
  }
  bar?.update(total, { keys });
  bar?.stop();
  await o.snapshots.take('import-rdb');
  const result = { keys, expired, rdbVersion: summary.version, seconds: (performance.now() - t0) / 1000 };
  o.log.info({ file: o.file, ...result }, `imported ${keys} keys from ${o.file}`);
  return result;
}
