/**
 * The data directory lock: an exclusive flock(2) on `<dir>/LOCK`, held for the
 * server's lifetime, so that two servers never write one WAL. The kernel drops
 * the lock when the process dies, even by SIGKILL, so a crash never leaves a
 * stale lock behind. The file holds the owner's PID for operators.
 */
import { closeSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import fsExt from 'fs-ext';
import { ensureDirSync } from './fsutil.js';

/** Another process holds the data directory. */
export class DirectoryLockedError extends Error {
  override readonly name = 'DirectoryLockedError';
}

/** A held lock; {@link release} it on shutdown. */
export interface DirLock {
  /** Path of the LOCK file. */
  path: string;
  release(): void;
}

/**
 * Takes the data directory's lock, creating the directory if needed.
 *
 * @param dir the data directory
 * @throws DirectoryLockedError when another process holds it (the message names its PID)
 */
export function lockDataDir(dir: string): DirLock {
  ensureDirSync(dir);
  const path = join(dir, 'LOCK');
  const fd = openSync(path, 'a+');
  try {
    fsExt.flockSync(fd, 'exnb');
  } catch (err) {
    closeSync(fd);
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EAGAIN' || code === 'EWOULDBLOCK') {
      let owner = '';
      try {
        owner = readFileSync(path, 'utf8').trim();
      } catch {
        // The PID is a courtesy; the lock itself is what matters.
      }
      throw new DirectoryLockedError(
        `data directory ${dir} is in use by another FlashCache server` +
          `${owner ? ` (PID ${owner})` : ''}: ${path} is locked`,
      );
    }
    throw err;
  }
  ftruncateSync(fd, 0);
  writeSync(fd, `${process.pid}\n`, 0);
  return {
    path,
    release(): void {
      try {
        fsExt.flockSync(fd, 'un');
      } finally {
        closeSync(fd);
      }
    },
  };
}
