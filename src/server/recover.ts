/**
 * Recovery: rebuilding a keyspace from a data directory, the newest usable
 * snapshot first, then the WAL records after it, each effect run through its
 * command's handler (docs/ARCHITECTURE.md, "Recovery"). Start-up uses it on
 * the server's keyspace; `cache-dump keys` and `export` use it read-only on a
 * keyspace of their own, with no server, no lock and no change on disk.
 */
import { join } from 'node:path';
import type { ServerServices, Stats } from '../commands/context.js';
import { LocalContext } from '../commands/local.js';
import { Monitors } from '../commands/monitor.js';
import { PubSub } from '../commands/pubsub.js';
import { LatencyMonitor, SlowLog } from '../commands/monitoring.js';
import type { CommandTable } from '../commands/table.js';
import type { Config } from '../config/config.js';
import { readIndexFile } from '../persistence/snapshot/indexfile.js';
import { loadSnapshot, type LoadResult } from '../persistence/snapshot/loader.js';
import { replayWal, WalCorruptionError, type ReplayResult, type WalRecoveryPolicy } from '../persistence/wal/replay.js';
import { recordEffects } from '../persistence/wal/codec.js';
import type { Snapshotter } from '../persistence/snapshot/snapshotter.js';
import type { Wal } from '../persistence/wal/writer.js';
import { Keyspace } from '../store/keyspace.js';
import type { Logger } from './logger.js';
import { freshStats } from './stats.js';

/** Start-up cannot rebuild the data; the message says why and what to do. */
export class RecoveryError extends Error {
  override readonly name = 'RecoveryError';
}

/** What to recover, and how. */
export interface RecoverOptions {
  /** The data directory (`<dir>/snapshot`, `<dir>/wal`). */
  dir: string;
  /** An empty keyspace to rebuild into. */
  keyspace: Keyspace;
  /** Every command under its real name: effects are logged under those. */
  effects: CommandTable;
  /** Settings the replayed commands read. */
  config: Config;
  log: Logger;
  /** Leave every file as it is: nothing renamed, truncated or synced (cache-dump). */
  readOnly: boolean;
  /** What WAL damage recovery may go past (`wal-recovery`). */
  policy: WalRecoveryPolicy;
}

/** The snapshot a recovery loaded. */
export interface LoadedSnapshot {
  seq: number;
  pages: number;
  coveredLsn: number;
  /** Whether the index saved beside it was used, or rebuilt from the pages. */
  index: 'saved' | 'rebuilt';
}

/** What a recovery did. */
export interface Recovered {
  loaded: LoadResult;
  /** The LSN the snapshot covers; replay started after it (0: no snapshot). */
  fromLsn: number;
  replayed: ReplayResult;
  snapshot: LoadedSnapshot | null;
}

/**
 * Rebuilds `opts.keyspace` from the data directory: the newest usable
 * snapshot, then the WAL after it.
 *
 * @throws WalCorruptionError when the WAL is damaged where `opts.policy` does not allow past;
 *   RecoveryError when the data cannot be rebuilt (no usable snapshot and a WAL that no longer
 *   reaches back to LSN 1, an effect that fails on replay)
 */
export function recover(opts: RecoverOptions): Recovered {
  const { dir, keyspace, log } = opts;
  const snapDir = join(dir, 'snapshot');
  const loaded = loadSnapshot(snapDir, log, opts.readOnly);
  const fromLsn = loaded.manifest?.coveredLsn ?? 0;
  let snapshot: LoadedSnapshot | null = null;
  if (loaded.manifest !== null) {
    const index = readIndexFile(snapDir, loaded.manifest.seq, keyspace.dbs.length);
    if (typeof index === 'string') {
      log.warn({ seq: loaded.manifest.seq, reason: index }, 'saved index unusable; rebuilding it from the snapshot');
    }
    const saved = index !== null && typeof index === 'object' ? index : undefined;
    const adopted = keyspace.install(loaded.pages, loaded.manifest.headPage, saved);
    snapshot = {
      seq: loaded.manifest.seq,
      pages: loaded.pages.length,
      coveredLsn: fromLsn,
      index: adopted ? 'saved' : 'rebuilt',
    };
  } else if (loaded.damaged.length > 0) {
    log.warn({ damaged: loaded.damaged }, 'no usable snapshot: falling back to the WAL alone');
  }
  let replayed: ReplayResult;
  try {
    replayed = replay(opts, fromLsn);
  } catch (err) {
    if (
      err instanceof WalCorruptionError &&
      err.problem === null &&
      loaded.manifest === null &&
      loaded.damaged.length > 0
    ) {
      const manifests = loaded.damaged.map((d) => `MANIFEST-${d.seq}: ${d.reason}`).join('; ');
      throw new RecoveryError(
        `no usable snapshot (${manifests}) and the WAL no longer reaches back to LSN 1, ` +
          'so the data cannot be rebuilt.' +
          (opts.readOnly
            ? ''
            : ` The damaged manifests were renamed *.damaged in ${snapDir}; ` +
              `inspect them with 'cache-dump snapshot verify ${dir}'.`),
      );
    }
    throw err;
  }
  return { loaded, fromLsn, replayed, snapshot };
}

/**
 * Replays the WAL after `fromLsn` into the keyspace, with expiry off (the
 * state after replay must not depend on the clock). An effect that fails
 * means the rebuilt state would differ from the acknowledged one: recovery
 * stops, as Redis stops loading a bad AOF.
 */
function replay(opts: RecoverOptions, fromLsn: number): ReplayResult {
  const { keyspace, effects, dir } = opts;
  const c = new LocalContext(new ReplayServices(keyspace, opts.config, effects));
  keyspace.expiryEnabled = false;
  try {
    return replayWal({
      dir: join(dir, 'wal'),
      policy: opts.policy,
      readOnly: opts.readOnly,
      fromLsn,
      warn: (msg, fields) => opts.log.warn(fields, msg),
      apply: (rec) => {
        // A transaction record holds every effect of its EXEC: all of them are applied, in order.
        for (const { db, args } of recordEffects(rec.version, rec.db, rec.payload)) {
          const argv = args.map((a) => (typeof a === 'string' ? Buffer.from(a, 'latin1') : a));
          if (db >= keyspace.dbs.length) {
            throw new Error(
              `WAL record LSN ${rec.lsn} is for database ${db}, but 'databases' is ${keyspace.dbs.length}`,
            );
          }
          c.select(db);
          const spec = effects.get(String(args[0]));
          if (spec === undefined) {
            throw new RecoveryError(`WAL record LSN ${rec.lsn} holds unknown effect ${String(args[0])}`);
          }
          const errors = c.reply.errors;
          spec.handler(c, argv);
          c.reply.discard();
          if (c.reply.errors !== errors) {
            throw new RecoveryError(
              `WAL record LSN ${rec.lsn} (db ${db}, ${String(args[0])}) failed on replay: ${c.reply.lastError}. ` +
                `Inspect the log with 'cache-dump wal cat ${join(dir, 'wal')} ` +
                `--from-lsn ${rec.lsn} --to-lsn ${rec.lsn}'.`,
            );
          }
        }
      },
    });
  } finally {
    keyspace.expiryEnabled = true;
  }
}

/** A service replay never calls: logged effects are data commands. */
function notDuringReplay(what: string): never {
  throw new Error(`${what} is not available while the WAL is replayed`);
}

/**
 * What replayed effects run against: the keyspace being rebuilt, the
 * settings, and nothing that logs, blocks or reaches a connection.
 */
class ReplayServices implements ServerServices {
  readonly replaying = true;
  readonly stats: Stats = freshStats();
  readonly clients = new Map();
  readonly startedAt = Date.now();
  readonly blocking = {
    block: (): void => notDuringReplay('blocking'),
    signal: (): void => {},
    unblock: (): boolean => false,
    signalDb: (): void => {},
    size: 0,
    signalWrite: (): void => {},
    handleReady: (): void => {},
  };
  readonly snapshots = {
    inProgress: false,
    take: (): Promise<never> => notDuringReplay('a snapshot'),
    stats: { lastTime: 0 },
  };
  /** Nobody subscribes while the WAL is read. */
  readonly pubsub = new PubSub();
  /** Nobody monitors while the WAL is read. */
  readonly monitors = new Monitors();
  readonly pause = {
    pause: (): void => notDuringReplay('CLIENT PAUSE'),
    unpause: (): void => notDuringReplay('CLIENT UNPAUSE'),
  };
  /** Replay is not timed. */
  readonly slowlog = new SlowLog(0);
  readonly latency = new LatencyMonitor(0);
  readonly usedMemoryPeak = 0;
  readonly configFile = '';
  readonly debug = {
    activeExpire: false,
    cronPaused: true,
    reload: (): Promise<never> => notDuringReplay('DEBUG RELOAD'),
  };
  /** Nobody tracks keys while the WAL is read. */
  readonly tracking = {
    enable: (): void => notDuringReplay('CLIENT TRACKING'),
    disable: (): void => {},
    invalidateAll: (): void => {},
    rememberKeyList: (): void => {},
    clientCount: 0,
    keyCount: 0,
    itemCount: 0,
    prefixCount: 0,
  };
  /** Replay runs no replication command. */
  readonly replication = {
    readOnly: false,
    isReplica: false,
    lastLsn: 0,
    syncedLsn: 0,
    replicaOf: (): never => notDuringReplay('REPLICAOF'),
    role: (): never => notDuringReplay('ROLE'),
    replconf: (): never => notDuringReplay('REPLCONF'),
    psync: (): never => notDuringReplay('PSYNC'),
    waitAcks: (): never => notDuringReplay('WAIT'),
    waitAof: (): never => notDuringReplay('WAITAOF'),
    countAcks: (): number => 0,
    primaryClient: (): null => null,
  };
  /** Nobody watches keys while the WAL is read. */
  readonly watches = {
    watch: (): void => notDuringReplay('WATCH'),
    unwatch: (): void => {},
    touched: (): boolean => false,
    isDirty: (): boolean => false,
    touchDb: (): void => {},
    touchSwap: (): void => {},
  };

  constructor(
    readonly keyspace: Keyspace,
    readonly config: Config,
    readonly commands: CommandTable,
  ) {}

  /** Nothing is logged again while the log is read. */
  propagate(): number {
    return 0;
  }

  /** Nobody is subscribed while the log is read. */
  notify(): void {}

  replyTag(): number {
    return 0;
  }

  /** Nobody is subscribed while the log is read: held messages are dropped. */
  readonly hold = (): void => {};

  signalModifiedKey(): void {}

  info(): string {
    return notDuringReplay('INFO');
  }

  call(): void {
    notDuringReplay('EXEC');
  }

  beginExec(): void {
    notDuringReplay('EXEC');
  }

  readonly inExec = false;

  endExec(): number {
    return notDuringReplay('EXEC');
  }

  resetStats(): void {
    notDuringReplay('CONFIG RESETSTAT');
  }

  requestShutdown(): void {
    notDuringReplay('SHUTDOWN');
  }
}

/**
 * DEBUG RELOAD: a snapshot covering every write so far (taken again while
 * writes arrive during it, a few times at most), then the data directory
 * loaded into a scratch keyspace as a restart would load it, read-only, and
 * compared with the live keyspace database by database.
 *
 * @param opts the live data directory and keyspace, and what replay needs
 * @returns null when every database holds as many keys in both, else the first difference
 * @throws what {@link Snapshotter.take} or {@link recover} throws
 */
export async function reloadCheck(
  snapshots: Snapshotter,
  wal: Wal,
  opts: Omit<RecoverOptions, 'readOnly' | 'policy'>,
): Promise<string | null> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const m = await snapshots.take('DEBUG RELOAD');
    if (m.coveredLsn === wal.lastLsn) break;
  }
  const scratch = new Keyspace(opts.keyspace.dbs.length, { onExpired: () => {} });
  recover({ ...opts, keyspace: scratch, readOnly: true, policy: opts.config.get('wal-recovery') });
  for (let db = 0; db < scratch.dbs.length; db++) {
    const live = opts.keyspace.dbs[db]!.size;
    const loaded = scratch.dbs[db]!.size;
    if (live !== loaded) return `db${db} holds ${live} keys, ${loaded} after loading`;
  }
  return null;
}

/**
 * Logs the start-up summary line: keys, pages, the snapshot loaded and its
 * index, WAL records replayed, the last LSN and how long start-up took.
 *
 * @param seconds start-up duration so far
 */
export function logRecovered(log: Logger, ks: Keyspace, r: Recovered, lastLsn: number, seconds: number): void {
  const seq = r.loaded.manifest?.seq ?? null;
  log.info(
    {
      keys: ks.keyCount,
      pages: ks.arena.pageCount,
      snapshot: seq,
      index: r.snapshot?.index ?? 'rebuilt',
      coveredLsn: r.fromLsn,
      records: r.replayed.records,
      segments: r.replayed.segments,
      lastLsn,
      seconds: Number(seconds.toFixed(3)),
    },
    `recovered ${ks.keyCount} keys in ${ks.arena.pageCount} pages` +
      (seq !== null ? ` from snapshot ${seq}` : '') +
      ` and ${r.replayed.records} WAL records in ${seconds.toFixed(3)} s`,
  );
}
