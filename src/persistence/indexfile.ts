/**
 * `snapshot/INDEX-<seq>`: the key index as it was when snapshot `seq` was
 * taken at a clean shutdown, so that the next start adopts it instead of
 * hashing every key again (at a million keys that is most of the load time).
 * It is written only when nothing changed after the snapshot froze, and is
 * valid exactly with manifest `seq`; any newer snapshot deletes it. Without it
 * (after a crash, or when it is damaged) the index is rebuilt from the pages.
 * Format: docs/FORMAT.md, "Index file".
 */
import { closeSync, fstatSync, openSync, readdirSync, readSync, rmSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32c } from '@node-rs/crc32';
import { readU64, writeU64 } from './format.js';
import { fsyncDir } from './wal.js';
import type { SavedIndex } from '../store/index-table.js';

/** First 8 bytes of an index file. */
export const INDEX_MAGIC = Buffer.from('FLASHIDX', 'latin1');
/** Index file format version. */
export const INDEX_VERSION = 1;
const HEADER = 32;
const DB_HEADER = 20;
const PREFIX = 'INDEX-';

/** File name of the index file that goes with manifest `seq`. */
export function indexFileName(seq: number): string {
  return PREFIX + String(seq).padStart(20, '0');
}

/** What an index file holds. */
export interface IndexFile {
  /** The hash seed the index was built with. */
  seed: number;
  /** One saved index table per database. */
  dbs: SavedIndex[];
}

/** Writes `dir/INDEX-<seq>` durably (temporary file, fdatasync, rename, directory fsync). */
export async function writeIndexFile(dir: string, seq: number, file: IndexFile): Promise<void> {
  const header = Buffer.alloc(HEADER);
  INDEX_MAGIC.copy(header, 0);
  header.writeUInt16LE(INDEX_VERSION, 8);
  header.writeUInt16LE(file.dbs.length, 10);
  header.writeUInt32LE(file.seed >>> 0, 12);
  writeU64(header, seq, 16);
  header.writeUInt32LE(crc32c(header.subarray(0, 28)), 28);
  const path = join(dir, indexFileName(seq));
  const tmp = path + '.tmp';
  const fh = await open(tmp, 'w');
  try {
    let pos = 0;
    const put = async (b: Uint8Array): Promise<void> => {
      let done = 0;
      while (done < b.length) done += (await fh.write(b, done, b.length - done, pos + done)).bytesWritten;
      pos += b.length;
    };
    await put(header);
    for (const db of file.dbs) {
      const bytes = new Uint8Array(db.slots.buffer, db.slots.byteOffset, db.slots.byteLength);
      const h = Buffer.alloc(DB_HEADER);
      h.writeUInt32LE(db.capacity, 0);
      h.writeUInt32LE(db.size, 4);
      h.writeUInt32LE(db.volatileCount, 8);
      h.writeUInt32LE(db.tombstones, 12);
      h.writeUInt32LE(crc32c(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)), 16);
      await put(h);
      await put(bytes);
    }
    await fh.datasync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
  await fsyncDir(dir);
}

/**
 * Reads `dir/INDEX-<seq>` if it exists and checks out.
 *
 * @param databases the `databases` setting; a file for another count is not used
 * @returns the index, or a reason it cannot be used, or null when there is no file
 */
export function readIndexFile(dir: string, seq: number, databases: number): IndexFile | string | null {
  let fd: number;
  try {
    fd = openSync(join(dir, indexFileName(seq)), 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    return (err as Error).message;
  }
  try {
    const size = fstatSync(fd).size;
    // Read straight into each database's slot array: no second copy of a large index.
    const read = (target: Uint8Array, pos: number): boolean => {
      let done = 0;
      while (done < target.length) {
        const n = readSync(fd, target, done, target.length - done, pos + done);
        if (n === 0) return false;
        done += n;
      }
      return true;
    };
    const header = Buffer.alloc(HEADER);
    if (!read(header, 0) || !header.subarray(0, 8).equals(INDEX_MAGIC)) return 'not an index file';
    if (crc32c(header.subarray(0, 28)) !== header.readUInt32LE(28)) return 'header checksum mismatch';
    if (header.readUInt16LE(8) !== INDEX_VERSION) return `version ${header.readUInt16LE(8)} is not supported`;
    if (readU64(header, 16) !== seq) return 'written for another snapshot';
    if (header.readUInt16LE(10) !== databases) return `written for ${header.readUInt16LE(10)} databases, not ${databases}`;
    const dbs: SavedIndex[] = [];
    let off = HEADER;
    const h = Buffer.alloc(DB_HEADER);
    for (let i = 0; i < databases; i++) {
      if (!read(h, off)) return `cut short at database ${i}`;
      const capacity = h.readUInt32LE(0);
      if (capacity === 0 || (capacity & (capacity - 1)) !== 0 || off + DB_HEADER + capacity * 8 > size) return `database ${i} is damaged`;
      const slots = new Uint32Array(capacity * 2);
      const bytes = Buffer.from(slots.buffer);
      if (!read(bytes, off + DB_HEADER)) return `database ${i} is cut short`;
      if (crc32c(bytes) !== h.readUInt32LE(16)) return `database ${i} checksum mismatch`;
      dbs.push({ capacity, size: h.readUInt32LE(4), volatileCount: h.readUInt32LE(8), tombstones: h.readUInt32LE(12), slots });
      off += DB_HEADER + capacity * 8;
    }
    return { seed: header.readUInt32LE(12), dbs };
  } finally {
    closeSync(fd);
  }
}

/** Deletes every index file in `dir` except the one for `keepSeq` (they go stale when a snapshot supersedes them). */
export function removeIndexFiles(dir: string, keepSeq = -1): void {
  for (const name of readdirSync(dir)) {
    if (name.startsWith(PREFIX) && name !== indexFileName(keepSeq)) rmSync(join(dir, name), { force: true });
  }
}
