/**
 * File-system durability helpers, the one home of them: syncing files and
 * directories, truncating, creating directories, and replacing a file by a
 * temporary one. A new name in a directory (a created file, a rename, a
 * deletion, a new subdirectory) is durable only once the directory itself is
 * synced; every helper here that changes names syncs the directory that
 * holds them, as etcd's `fileutil` and LevelDB's `env_posix.cc` do.
 */
import { closeSync, fdatasyncSync, fsyncSync, ftruncateSync, mkdirSync, openSync, statSync } from 'node:fs';
import { mkdir, open, rename, stat, type FileHandle } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

/**
 * Syncs a directory so that the names created, renamed or removed in it are
 * durable (fsync(2) of the directory).
 *
 * @throws NodeJS.ErrnoException from open or fsync
 */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * {@link fsyncDir} on the calling thread.
 *
 * @throws NodeJS.ErrnoException from open or fsync
 */
export function fsyncDirSync(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * fsync(2) of one file: its data and all of its metadata.
 *
 * @throws NodeJS.ErrnoException from open or fsync
 */
export function fsyncFile(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * fdatasync(2) of one file: its data and the metadata needed to read it back
 * (its size), not its timestamps.
 *
 * @throws NodeJS.ErrnoException from open or fdatasync
 */
export function fdatasyncFile(path: string): void {
  const fd = openSync(path, 'r+');
  try {
    fdatasyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Truncates a file to `length` bytes and fsyncs it, so that the new size is
 * durable when this returns.
 *
 * @param length bytes to keep
 * @throws NodeJS.ErrnoException from open, ftruncate or fsync
 */
export function truncateFile(path: string, length: number): void {
  const fd = openSync(path, 'r+');
  try {
    ftruncateSync(fd, length);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** What a stat found at a path: nothing, a directory, or something else. */
type Found = 'none' | 'dir' | 'other';

function foundSync(p: string): Found {
  try {
    return statSync(p).isDirectory() ? 'dir' : 'other';
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'none';
    throw err;
  }
}

async function found(p: string): Promise<Found> {
  try {
    return (await stat(p)).isDirectory() ? 'dir' : 'other';
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'none';
    throw err;
  }
}

/** Whether a mkdir error means the directory appeared meanwhile (another process made it). */
function raced(err: unknown, dir: string): boolean {
  return (err as NodeJS.ErrnoException).code === 'EEXIST' && foundSync(dir) === 'dir';
}

/**
 * Creates `path` and any missing parents, then fsyncs the parent of every
 * directory it created, so that a power loss cannot drop the new entries
 * (etcd's `fileutil` syncs the parent after creating the WAL directory;
 * LevelDB syncs the directory of each new file). An existing directory costs
 * one stat and syncs nothing.
 *
 * @returns the directories created, outermost first (empty when `path` existed)
 * @throws NodeJS.ErrnoException: EEXIST when `path` is a file, ENOTDIR when a parent is one, EACCES, EROFS...
 */
export function ensureDirSync(path: string): string[] {
  const missing: string[] = [];
  let p = resolve(path);
  for (let f = foundSync(p); f !== 'dir'; f = foundSync(p)) {
    // Not a directory: mkdir reports it as the caller would expect (EEXIST, ENOTDIR).
    if (f === 'other' || dirname(p) === p) {
      mkdirSync(p);
      break;
    }
    missing.unshift(p);
    p = dirname(p);
  }
  for (const dir of missing) {
    try {
      mkdirSync(dir);
    } catch (err) {
      if (!raced(err, dir)) throw err;
    }
  }
  for (const dir of missing) fsyncDirSync(dirname(dir));
  return missing;
}

/**
 * {@link ensureDirSync} with its file-system calls on the thread pool.
 *
 * @returns the directories created, outermost first (empty when `path` existed)
 * @throws NodeJS.ErrnoException: EEXIST when `path` is a file, ENOTDIR when a parent is one, EACCES, EROFS...
 */
export async function ensureDir(path: string): Promise<string[]> {
  const missing: string[] = [];
  let p = resolve(path);
  for (let f = await found(p); f !== 'dir'; f = await found(p)) {
    if (f === 'other' || dirname(p) === p) {
      await mkdir(p);
      break;
    }
    missing.unshift(p);
    p = dirname(p);
  }
  for (const dir of missing) {
    try {
      await mkdir(dir);
    } catch (err) {
      if (!raced(err, dir)) throw err;
    }
  }
  for (const dir of missing) await fsyncDir(dirname(dir));
  return missing;
}

/**
 * Writes a file durably in place of any file of that name: `fill` writes
 * `<path>.tmp`, which is fdatasynced and closed, then renamed to `path`, and
 * the directory fsynced. At every instant `path` is either the old file or
 * the complete new one. WAL segments, manifests and index files are written
 * this way (docs/FORMAT.md, "WAL segment" and "Snapshot manifest").
 *
 * @param fill writes the contents through the temporary file's handle
 * @param beforeRename called once the temporary file is synced, before the rename (crash tests)
 * @throws NodeJS.ErrnoException from any step; the temporary file may be left behind
 */
export async function writeFileDurably(
  path: string,
  fill: (fh: FileHandle) => Promise<void>,
  beforeRename?: () => void,
): Promise<void> {
  const tmp = path + '.tmp';
  const fh = await open(tmp, 'w');
  try {
    await fill(fh);
    await fh.datasync();
  } finally {
    await fh.close();
  }
  beforeRename?.();
  await rename(tmp, path);
  await fsyncDir(dirname(path));
}
