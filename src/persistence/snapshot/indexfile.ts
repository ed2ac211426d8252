/**
 * `snapshot/INDEX-<seq>`: the key index as it was when snapshot `seq` was
 * taken at a clean shutdown, so that the next start adopts it instead of
 * hashing every key again.
 * It is written only when nothing changed after the snapshot froze, and is
 * valid exactly with manifest `seq`; any newer snapshot deletes it. Without it
 * (after a crash, or when it is damaged) the index is rebuilt from the pages.
 * Format: docs/FORMAT.md, "Index file".
 */
import { closeSync, fstatSync, openSync, readdirSync, readSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { crc32c } from '@node-rs/crc32';
import {
  IDX,
  IDX_DB,
  INDEX_DB_HEADER_SIZE,
  INDEX_HEADER_SIZE,
  INDEX_MAGIC,
  INDEX_PREFIX,
  INDEX_SLOT_SIZE,
  INDEX_VERSION,
  readU64,
  SNAPSHOT_SEQ_DIGITS,
  writeU64,
} from '../format.js';
import { writeFileDurably } from '../fsutil.js';
import type { SavedIndex } from '../../store/index-table.js';

/** File name of the index file that goes with manifest `seq`. */
export function indexFileName(seq: number): string {
  return INDEX_PREFIX + String(seq).padStart(SNAPSHOT_SEQ_DIGITS, '0');
}

/** What an index file holds. */
export interface IndexFile {
  /** The hash seed the index was built with. */
  seed: number;
  /** One saved index table per database. */
  dbs: SavedIndex[];
}

/**
 * Writes `dir/INDEX-<seq>` durably (temporary file, fdatasync, rename,
 * directory fsync; docs/FORMAT.md, "Index file").
 *
 * @throws NodeJS.ErrnoException from any step (ENOSPC, EIO...)
 */
export async function writeIndexFile(dir: string, seq: number, file: IndexFile): Promise<void> {
  const header = Buffer.alloc(INDEX_HEADER_SIZE);
  INDEX_MAGIC.copy(header, IDX.magic);
  header.writeUInt16LE(INDEX_VERSION, IDX.version);
  header.writeUInt16LE(file.dbs.length, IDX.databases);
  header.writeUInt32LE(file.seed >>> 0, IDX.seed);
  writeU64(header, seq, IDX.seq);
  header.writeUInt32LE(crc32c(header.subarray(0, IDX.crc)), IDX.crc);
  await writeFileDurably(join(dir, indexFileName(seq)), async (fh) => {
    let pos = 0;
    const put = async (b: Uint8Array): Promise<void> => {
      let done = 0;
      while (done < b.length) done += (await fh.write(b, done, b.length - done, pos + done)).bytesWritten;
      pos += b.length;
    };
    await put(header);
    for (const db of file.dbs) {
      const bytes = new Uint8Array(db.slots.buffer, db.slots.byteOffset, db.slots.byteLength);
      const h = Buffer.alloc(INDEX_DB_HEADER_SIZE);
      h.writeUInt32LE(db.capacity, IDX_DB.capacity);
      h.writeUInt32LE(db.size, IDX_DB.keys);
      h.writeUInt32LE(db.volatileCount, IDX_DB.volatileKeys);
      h.writeUInt32LE(db.tombstones, IDX_DB.deleted);
      h.writeUInt32LE(crc32c(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)), IDX_DB.slotsCrc);
      await put(h);
      await put(bytes);
    }
  });
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
    const header = Buffer.alloc(INDEX_HEADER_SIZE);
    if (!read(header, 0) || !header.subarray(IDX.magic, IDX.magic + INDEX_MAGIC.length).equals(INDEX_MAGIC)) {
      return 'not an index file';
    }
    if (crc32c(header.subarray(0, IDX.crc)) !== header.readUInt32LE(IDX.crc)) return 'header checksum mismatch';
    const version = header.readUInt16LE(IDX.version);
    if (version !== INDEX_VERSION) return `version ${version} is not supported`;
    if (readU64(header, IDX.seq) !== seq) return 'written for another snapshot';
    const count = header.readUInt16LE(IDX.databases);
    if (count !== databases) return `written for ${count} databases, not ${databases}`;
    const dbs: SavedIndex[] = [];
    let off = INDEX_HEADER_SIZE;
    const h = Buffer.alloc(INDEX_DB_HEADER_SIZE);
    for (let i = 0; i < databases; i++) {
      if (!read(h, off)) return `cut short at database ${i}`;
      const capacity = h.readUInt32LE(IDX_DB.capacity);
      const slotBytes = capacity * INDEX_SLOT_SIZE;
      if (capacity === 0 || (capacity & (capacity - 1)) !== 0 || off + INDEX_DB_HEADER_SIZE + slotBytes > size) {
        return `database ${i} is damaged`;
      }
      const slots = new Uint32Array(slotBytes / Uint32Array.BYTES_PER_ELEMENT);
      const bytes = Buffer.from(slots.buffer);
      if (!read(bytes, off + INDEX_DB_HEADER_SIZE)) return `database ${i} is cut short`;
      if (crc32c(bytes) !== h.readUInt32LE(IDX_DB.slotsCrc)) return `database ${i} checksum mismatch`;
      dbs.push({
        capacity,
        size: h.readUInt32LE(IDX_DB.keys),
        volatileCount: h.readUInt32LE(IDX_DB.volatileKeys),
        tombstones: h.readUInt32LE(IDX_DB.deleted),
        slots,
      });
      off += INDEX_DB_HEADER_SIZE + slotBytes;
    }
    return { seed: header.readUInt32LE(IDX.seed), dbs };
  } finally {
    closeSync(fd);
  }
}

/**
 * Deletes every index file in `dir` except the one for `keepSeq` (they go
 * stale when a snapshot supersedes them).
 *
 * @throws NodeJS.ErrnoException when `dir` cannot be read
 */
export function removeIndexFiles(dir: string, keepSeq = -1): void {
  for (const name of readdirSync(dir)) {
    if (name.startsWith(INDEX_PREFIX) && name !== indexFileName(keepSeq)) rmSync(join(dir, name), { force: true });
  }
}
