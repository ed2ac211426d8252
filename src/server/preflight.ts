/**
 * Checks made before the data directory is touched, so that a mistake in the
 * configuration or the directory stops start-up with one sentence naming the
 * path and the fix, never after a long recovery: the `bind` addresses
 * (Redis's `-` prefix marks an address that may be missing) and the data
 * directory itself (a directory, writable, not on a full disk).
 */
import { closeSync, mkdirSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { ConfigError } from '../config/settings.js';

/** The data directory cannot be used; the message is one sentence naming the path and the fix. */
export class DataDirError extends Error {
  override readonly name = 'DataDirError';
}

/** One `bind` address: `-` before it makes it optional (networking.c `listenToPort`). */
export interface BindAddress {
  host: string;
  optional: boolean;
}

/**
 * Parses `bind`: space-separated addresses, each optionally prefixed with
 * `-`; Redis's `*` and `::*` are every IPv4 and every IPv6 address (`bind *
 * -::*`, anet.c).
 */
export function parseBind(text: string): BindAddress[] {
  const wild = (h: string): string => (h === '*' ? '0.0.0.0' : h === '::*' ? '::' : h);
  return text
    .split(/\s+/)
    .filter(Boolean)
    .map((w) => (w.startsWith('-') ? { host: wild(w.slice(1)), optional: true } : { host: wild(w), optional: false }));
}

/** Errors that mean an address is not on this host (Redis skips such an optional address). */
const MISSING_ADDRESS = new Set(['EADDRNOTAVAIL', 'EAFNOSUPPORT', 'ENOTFOUND', 'EAI_AGAIN', 'EINVAL']);

/**
 * Tries each `bind` address on `port` (a free port when 0) and closes it
 * again: an optional address that is not on this host is dropped, any other
 * failure stops start-up here.
 *
 * @returns the addresses to listen on
 * @throws ConfigError naming the address and the reason
 */
export async function checkBinds(text: string, port: number): Promise<string[]> {
  const out: string[] = [];
  for (const { host, optional } of parseBind(text)) {
    const err = await tryListen(host, port);
    if (err === null) out.push(host);
    else if (!(optional && MISSING_ADDRESS.has(err.code ?? ''))) {
      const why = err.code === 'EADDRINUSE' ? `port ${port} is in use` : err.message;
      throw new ConfigError(`cannot listen on ${host} port ${port}: ${why}`);
    }
  }
  if (out.length === 0) throw new ConfigError(`none of the bind addresses '${text}' is on this host`);
  return out;
}

function tryListen(host: string, port: number): Promise<NodeJS.ErrnoException | null> {
  return new Promise((resolve) => {
    // A client that connects in this instant is dropped (it retries), not left hanging on a closed listener.
    const srv = createServer((socket) => socket.destroy());
    srv.once('error', (err: NodeJS.ErrnoException) => resolve(err));
    srv.listen({ host, port, exclusive: true, ipv6Only: host === '::' }, () => srv.close(() => resolve(null)));
  });
}

/**
 * Makes sure `dir` is a directory this process can write, creating it (and
 * its parents) when missing.
 *
 * @throws DataDirError with one sentence naming the path and the fix
 */
export function checkDataDir(dir: string): void {
  let isDir: boolean | null = null;
  try {
    isDir = statSync(dir).isDirectory();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR') throw new DataDirError(underFile(dir));
    if (code !== 'ENOENT') throw new DataDirError(describeDataDirError(dir, err) ?? String(err));
  }
  if (isDir === false) {
    throw new DataDirError(
      `data directory ${dir} is a file, not a directory: set dir to a directory, or move that file away`,
    );
  }
  try {
    if (isDir === null) mkdirSync(dir, { recursive: true });
    // A real write, since access(2) says yes to root on a directory that still refuses it (chattr +i).
    const probe = join(dir, `.write-test-${process.pid}`);
    const fd = openSync(probe, 'w');
    try {
      writeSync(fd, 'ok\n');
    } finally {
      closeSync(fd);
      rmSync(probe, { force: true });
    }
  } catch (err) {
    throw new DataDirError(describeDataDirError(dir, err) ?? `data directory ${dir}: ${(err as Error).message}`);
  }
}

function underFile(dir: string): string {
  return (
    `data directory ${dir} cannot be created: a part of that path is a file, not a directory; ` +
    'set dir to a path made of directories'
  );
}

/**
 * One sentence for a file-system error met in the data directory (at start
 * or later), naming the path and the fix; null when the error is no such
 * problem (a bug, corruption...) or, when it names a path, one outside `dir`.
 */
export function describeDataDirError(dir: string, err: unknown): string | null {
  const e = err as NodeJS.ErrnoException | undefined;
  if (typeof e?.path === 'string' && !e.path.startsWith(dir)) return null;
  const code = e?.code;
  const uid = typeof process.getuid === 'function' ? ` (uid ${process.getuid()})` : '';
  switch (code) {
    case 'ENOTDIR':
      return underFile(dir);
    case 'EACCES':
    case 'EPERM':
      return (
        `data directory ${dir} is not writable by this user${uid}: give it write access ` +
        `(chown or chmod ${dir}; chattr -i if it is immutable), or set dir to a directory it can write`
      );
    case 'EROFS':
      return `data directory ${dir} is on a read-only file system: set dir to a directory on a writable one`;
    case 'ENOSPC':
    case 'EDQUOT':
      return (
        `the disk holding data directory ${dir} is full${code === 'EDQUOT' ? ' (disk quota)' : ''}: ` +
        `free space on it, or set dir to a directory on another disk`
      );
    default:
      return null;
  }
}
