/**
 * WAL segments as files: their names (`<first LSN, 20 digits>.wal`), the
 * listing of a WAL directory, the 32-byte segment header (built and parsed),
 * and the durable creation of a new segment. Format: docs/FORMAT.md, "WAL
 * segment".
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { crc32c } from '@node-rs/crc32';
import { writeFileDurably } from '../fsutil.js';
import {
  readU64,
  SEG,
  SEGMENT_EXT,
  SEGMENT_HEADER_SIZE,
  SEGMENT_MAGIC,
  SEGMENT_NAME_DIGITS,
  SEGMENT_VERSION,
  writeU64,
} from '../format.js';

/** A segment present on disk. */
export interface SegmentInfo {
  /** File name, no directory. */
  name: string;
  firstLsn: number;
  /** Bytes, header included. */
  bytes: number;
}

/** A segment's header fields. */
export interface SegmentHeader {
  version: number;
  firstLsn: number;
  /** Unix seconds when the segment was created. */
  created: number;
}

/** File name of the segment whose first record has LSN `firstLsn`. */
export function segmentFileName(firstLsn: number): string {
  return String(firstLsn).padStart(SEGMENT_NAME_DIGITS, '0') + SEGMENT_EXT;
}

/** The first LSN encoded in a segment file name, or NaN when the name is not a segment's. */
export function parseSegmentFileName(name: string): number {
  if (!name.endsWith(SEGMENT_EXT)) return NaN;
  const stem = name.slice(0, -SEGMENT_EXT.length);
  if (stem.length !== SEGMENT_NAME_DIGITS || !/^[0-9]+$/.test(stem)) return NaN;
  return Number(stem);
}

/**
 * Lists the segment files of a WAL directory, oldest first (by the first
 * LSN in their names); other files are ignored.
 *
 * @returns the segments, or none when the directory does not exist
 * @throws NodeJS.ErrnoException when the directory cannot be read (EACCES, ENOTDIR...)
 */
export function listSegments(dir: string): SegmentInfo[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: SegmentInfo[] = [];
  for (const name of names) {
    const firstLsn = parseSegmentFileName(name);
    if (Number.isNaN(firstLsn)) continue;
    out.push({ name, firstLsn, bytes: statSync(join(dir, name)).size });
  }
  return out.sort((a, b) => a.firstLsn - b.firstLsn);
}

/**
 * Builds a segment header (docs/FORMAT.md, "WAL segment").
 *
 * @param createdSeconds Unix seconds, stored as an unsigned 32-bit integer
 */
export function segmentHeader(firstLsn: number, createdSeconds: number): Buffer {
  const h = Buffer.alloc(SEGMENT_HEADER_SIZE);
  SEGMENT_MAGIC.copy(h, SEG.magic);
  h.writeUInt16LE(SEGMENT_VERSION, SEG.version);
  h.writeUInt16LE(SEGMENT_HEADER_SIZE, SEG.headerSize);
  writeU64(h, firstLsn, SEG.firstLsn);
  h.writeUInt32LE(createdSeconds >>> 0, SEG.created);
  h.writeUInt32LE(crc32c(h.subarray(0, SEG.crc)), SEG.crc);
  return h;
}

/**
 * Parses a segment header.
 *
 * @returns the header, or a reason why it is not one
 */
export function parseSegmentHeader(buf: Buffer): SegmentHeader | string {
  if (buf.length < SEGMENT_HEADER_SIZE) return `file is ${buf.length} bytes, shorter than a segment header`;
  if (!buf.subarray(0, 8).equals(SEGMENT_MAGIC)) return 'segment magic is not FLASHWAL';
  const crc = crc32c(buf.subarray(0, SEG.crc));
  if (crc !== buf.readUInt32LE(SEG.crc)) return 'segment header checksum mismatch';
  const version = buf.readUInt16LE(SEG.version);
  if (version !== SEGMENT_VERSION) return `segment version ${version} is not supported (expected ${SEGMENT_VERSION})`;
  return { version, firstLsn: readU64(buf, SEG.firstLsn), created: buf.readUInt32LE(SEG.created) };
}

/**
 * Creates segment `<dir>/<firstLsn>.wal` holding only its header: written as
 * `<name>.tmp`, fdatasynced, renamed and the directory fsynced, so a crash
 * never leaves a half-written header under a segment's name (docs/FORMAT.md,
 * "WAL segment"). An existing segment of that name is replaced.
 *
 * @returns the segment's path
 * @throws NodeJS.ErrnoException from any step (ENOSPC, EIO...)
 */
export async function createSegment(dir: string, firstLsn: number): Promise<string> {
  const path = join(dir, segmentFileName(firstLsn));
  const header = segmentHeader(firstLsn, Date.now() / 1000);
  await writeFileDurably(path, async (t) => {
    await t.write(header, 0, header.length, 0);
  });
  return path;
}
