/**
 * Memory mapping through `@riaskov/mmap-io`: the loader shared by the page
 * file (snapshots) and by read-only scans of WAL segments (cache-dump).
 */
import { closeSync, existsSync, fstatSync, openSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import type mmapTypes from '@riaskov/mmap-io';

/**
 * Loads @riaskov/mmap-io's compiled addon. The package's own loader
 * (node-pre-gyp) slows start-up noticeably (bench/RESULTS.md, "Measurements
 * behind persistence constants") and parses `process.argv`,
 * where it would take the server's `--dir` flag for its own directory
 * option; so the addon is required directly from where node-pre-gyp builds
 * it, and the package loader (with a clean argv) is only the fallback.
 */
function loadMmap(): typeof mmapTypes.default {
  const require = createRequire(import.meta.url);
  const root = dirname(require.resolve('@riaskov/mmap-io/package.json'));
  const abi = `node-v${process.versions.modules}-${process.platform}-${process.arch}`;
  for (const rel of [`build/binding/Release/${abi}/mmap_io.node`, 'build/Release/mmap_io.node']) {
    const path = join(root, rel);
    if (existsSync(path)) return require(path) as typeof mmapTypes.default;
  }
  const argv = process.argv;
  process.argv = argv.slice(0, 2);
  try {
    const mod = require('@riaskov/mmap-io') as { default?: typeof mmapTypes.default } & typeof mmapTypes.default;
    return mod.default ?? mod;
  } finally {
    process.argv = argv;
  }
}

/** The mmap-io addon. */
export const mmap = loadMmap();

/**
 * Maps a whole file read-only and shared, advised for sequential reading:
 * its bytes are read from the page cache where they lie, with no copy. The
 * mapping lives until the buffer is collected; {@link dropMapped} releases
 * the pages already read so a long scan keeps its resident memory small.
 * The file must not shrink while mapped (reading past its new end raises
 * SIGBUS): only for tools reading files no server is truncating.
 *
 * @returns the mapped bytes (an empty buffer for an empty file)
 * @throws the `open` errors (ENOENT, EACCES...)
 */
export function mapFileReadOnly(path: string): Buffer {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size === 0) return Buffer.alloc(0);
    return mmap.map(size, mmap.PROT_READ, mmap.MAP_SHARED, fd, 0, mmap.MADV_SEQUENTIAL);
  } finally {
    closeSync(fd);
  }
}

/**
 * Drops the resident pages of `buf[from, to)` (a mapping from
 * {@link mapFileReadOnly}) from this process; the data stays in the page
 * cache and reading it again faults it back in. Whole pages only.
 *
 * @param from byte offset, rounded up to a page
 * @param to byte offset, rounded down to a page
 */
export function dropMapped(buf: Buffer, from: number, to: number): void {
  const page = mmap.PAGESIZE;
  const start = Math.ceil(from / page) * page;
  const end = Math.floor(Math.min(to, buf.length) / page) * page;
  if (end > start) mmap.advise(buf, start, end - start, mmap.MADV_DONTNEED);
}
