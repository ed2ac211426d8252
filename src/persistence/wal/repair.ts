/**
 * Offline WAL repair (`cache-dump wal repair`), cautious as etcd's
 * `wal/repair.go`: only a torn tail of the last segment is cut, and only after
 * the segment is copied aside; a last segment whose header is damaged and
 * which holds no valid record is moved aside whole. Anything else is refused
 * with the reason, unless the operator forces it. What is a torn tail is the
 * reader's decision (`isTornTail` in reader.ts, docs/FORMAT.md "Torn writes
 * and corruption"); this module decides what to do about it and does it. The tool
 * asks, prints and parses arguments.
 */
import { copyFileSync, existsSync, renameSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { fsyncDir, fsyncFile, truncateFile } from '../fsutil.js';
import { lockDataDir, type DirLock } from '../lock.js';
import { nextValidRecord, recordAt, type WalProblem } from './reader.js';

/** A change a repair makes to the last segment. */
export type RepairAction =
  /** Cut the file at `offset` (`bytes` dropped), after copying it aside. */
  | { kind: 'truncate'; offset: number; bytes: number; lost: number[] }
  /** Rename the whole file (`bytes` long) aside: its header is damaged, so no prefix of it is a segment. */
  | { kind: 'set-aside'; bytes: number; lost: number[] };

/** Why a repair was refused without `force`. */
export type RefusalReason =
  /** The damage is in a segment before the last: the records after it were synced and may be acknowledged. */
  | 'not-last-segment'
  /** The last segment's header is damaged, but valid records follow it. */
  | 'header-holds-records'
  /** Records are missing before the damage, and the records after the gap were synced. */
  | 'missing-records'
  /** A record after the damage was written once the damaged one had been synced. */
  | 'corruption';

/**
 * What repairing one problem means: an action, or a refusal with what
 * `force` would do instead (nothing for damage before the last segment:
 * repair never touches a segment that is followed by another).
 */
export type RepairPlan =
  | RepairAction
  | { kind: 'refuse'; reason: 'not-last-segment' }
  | { kind: 'refuse'; reason: Exclude<RefusalReason, 'not-last-segment'>; forced: RepairAction };

/**
 * LSNs of the valid-looking records from offset `from` on: the records a
 * repair at `from` takes out of the log.
 *
 * @param buf the segment's bytes
 */
export function lostRecords(buf: Buffer, from: number): number[] {
  const lsns: number[] = [];
  for (let off = nextValidRecord(buf, from); off >= 0; off = nextValidRecord(buf, off + 1)) {
    const r = recordAt(buf, off);
    if (typeof r !== 'string') lsns.push(r.lsn);
  }
  return lsns;
}

/**
 * Decides what repairing the first problem of a segment means: a torn tail
 * (`problem.torn`) is truncated; a damaged header over no valid record is set
 * aside; anything else only with `force`; and never a segment that is not the
 * last of its log.
 *
 * @param buf the segment's bytes
 * @param problem the segment's first problem, as the reader reported it
 * @param isLast whether the segment is the last of its log
 * @param force act on damage that is not a torn tail too, losing the records from the damage on
 */
export function planRepair(buf: Buffer, problem: WalProblem, isLast: boolean, force: boolean): RepairPlan {
  if (!isLast) return { kind: 'refuse', reason: 'not-last-segment' };
  if (problem.kind === 'bad-segment-header') {
    const lost = lostRecords(buf, 0);
    const setAside: RepairAction = { kind: 'set-aside', bytes: buf.length, lost };
    if (lost.length === 0 || force) return setAside;
    return { kind: 'refuse', reason: 'header-holds-records', forced: setAside };
  }
  const lost = lostRecords(buf, problem.offset);
  const truncate: RepairAction = { kind: 'truncate', offset: problem.offset, bytes: buf.length - problem.offset, lost };
  if (problem.torn || force) return truncate;
  return { kind: 'refuse', reason: problem.kind === 'lsn-gap' ? 'missing-records' : 'corruption', forced: truncate };
}

/** A free name beside `path` for its saved copy: `<segment>.broken`, else `.broken.1`, `.broken.2`... */
export function asidePath(path: string): string {
  let aside = path + '.broken';
  for (let n = 1; existsSync(aside); n++) aside = `${path}.broken.${n}`;
  return aside;
}

/**
 * Carries out a repair of segment `path`, saving what it removes as `aside`
 * (see {@link asidePath}):
 * - `set-aside`: the segment is fsynced where it is, then renamed to `aside`
 *   and the directory fsynced: at every instant the file is either the
 *   segment or the saved copy;
 * - `truncate`: the segment is copied to `aside`, the copy and the directory
 *   fsynced, and only then the segment truncated at `action.offset` and fsynced.
 *
 * @throws NodeJS.ErrnoException from any step; a truncation never starts before the copy is durable
 */
export async function applyRepair(path: string, action: RepairAction, aside: string): Promise<void> {
  const dir = dirname(path);
  if (action.kind === 'set-aside') {
    fsyncFile(path);
    renameSync(path, aside);
    await fsyncDir(dir);
    return;
  }
  copyFileSync(path, aside);
  fsyncFile(aside);
  await fsyncDir(dir);
  truncateFile(path, action.offset);
}

/**
 * Takes the lock of the data directory whose WAL directory is `walDir` (a
 * server's WAL is always `<data dir>/wal`), whether or not a server has run
 * there yet: while it is held no server can start on the directory, so
 * nothing changes between the scan, the question and the repair.
 *
 * @returns the held lock, or null when `walDir` is not named `wal` (no server uses it)
 * @throws DirectoryLockedError when a server (or another repair) holds the directory;
 *   NodeJS.ErrnoException when it cannot be locked
 */
export function lockForRepair(walDir: string): DirLock | null {
  const abs = resolve(walDir);
  if (basename(abs) !== 'wal') return null;
  return lockDataDir(dirname(abs));
}
