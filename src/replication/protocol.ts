/**
 * The bytes of FlashCache's replication stream after the PSYNC reply
 * (docs/REPLICATION.md, "Stream"): the snapshot transfer of a full sync
 * (a header, the pages, a trailer) and the frames that follow it, WAL
 * records exactly as docs/FORMAT.md "WAL record" specifies them, and
 * control frames shaped like a record header with their own marker byte.
 */
import { crc32c } from '@node-rs/crc32';
import { REC, RECORD_HEADER_SIZE, readU64, writeU64 } from '../persistence/format.js';

/** First 8 bytes of a snapshot transfer. */
export const SNAP_MAGIC = Buffer.from('FCSNAP01', 'latin1');
/** Last 8 bytes of a snapshot transfer. */
export const SNAP_END = Buffer.from('FCSNAPEN', 'latin1');
/** Bytes of the snapshot header: magic, page count, head page, covered LSN, frame size, CRC32C of the rest. */
export const SNAP_HEADER_SIZE = 32;
/** Bytes before each page's bytes: id, length, used, CRC32C of the used bytes. */
export const SNAP_PAGE_HEADER_SIZE = 16;

/** Marker byte (at a record's magic offset) of a control frame. */
export const CONTROL_MAGIC = 0xfd;
/** Control frame kinds (the byte at a record's version offset). */
export const CONTROL = {
  /** The primary is alive (sent every second while nothing else is). */
  ping: 1,
  /** Asks the replica for a `REPLCONF ACK` now (Redis's `REPLCONF GETACK *`). */
  getack: 2,
} as const;

/** A snapshot transfer's header fields. */
export interface SnapHeader {
  pageCount: number;
  /** The arena page appends went to, or -1. */
  headPage: number;
  coveredLsn: number;
  frameSize: number;
}

/** Encodes a snapshot header. */
export function encodeSnapHeader(h: SnapHeader): Buffer {
  const b = Buffer.alloc(SNAP_HEADER_SIZE);
  SNAP_MAGIC.copy(b, 0);
  b.writeUInt32LE(h.pageCount, 8);
  b.writeInt32LE(h.headPage, 12);
  writeU64(b, h.coveredLsn, 16);
  b.writeUInt32LE(h.frameSize, 24);
  b.writeUInt32LE(crc32c(b.subarray(0, 28)), 28);
  return b;
}

/**
 * Decodes a snapshot header.
 *
 * @returns the fields, or why the bytes are not a snapshot header
 */
export function decodeSnapHeader(b: Buffer): SnapHeader | string {
  if (!b.subarray(0, 8).equals(SNAP_MAGIC)) return 'snapshot transfer does not start with FCSNAP01';
  if (crc32c(b.subarray(0, 28)) !== b.readUInt32LE(28)) return 'snapshot header checksum mismatch';
  return {
    pageCount: b.readUInt32LE(8),
    headPage: b.readInt32LE(12),
    coveredLsn: readU64(b, 16),
    frameSize: b.readUInt32LE(24),
  };
}

/** The header sent before page `id`'s `bytes` (its used bytes); `length` is the page buffer's size. */
export function encodePageHeader(id: number, length: number, bytes: Buffer): Buffer {
  const b = Buffer.alloc(SNAP_PAGE_HEADER_SIZE);
  b.writeUInt32LE(id, 0);
  b.writeUInt32LE(length, 4);
  b.writeUInt32LE(bytes.length, 8);
  b.writeUInt32LE(crc32c(bytes), 12);
  return b;
}

/** A control frame of `kind` ({@link CONTROL}): a record header with marker {@link CONTROL_MAGIC} and no payload. */
export function controlFrame(kind: number): Buffer {
  const b = Buffer.alloc(RECORD_HEADER_SIZE);
  b[REC.magic] = CONTROL_MAGIC;
  b[REC.version] = kind;
  b.writeUInt32LE(crc32c(b.subarray(4)), REC.crc);
  return b;
}
