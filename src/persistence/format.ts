/**
 * Constants of the WAL's on-disk format, shared by the writer, the reader,
 * recovery and `cache-dump`. The bytes are specified in docs/FORMAT.md
 * ("WAL segment" and "WAL record"); change both together and bump the version.
 *
 * All integers are little-endian.
 */

/** First 8 bytes of every segment file. */
export const SEGMENT_MAGIC = Buffer.from('FLASHWAL', 'latin1');
/** Segment format version (docs/FORMAT.md, "WAL segment"). */
export const SEGMENT_VERSION = 1;
/** Bytes of a segment header. */
export const SEGMENT_HEADER_SIZE = 32;

/** Segment header field offsets. */
export const SEG = {
  magic: 0,
  version: 8,
  headerSize: 10,
  flags: 12,
  firstLsn: 16,
  created: 24,
  crc: 28,
} as const;

/** Marker byte at offset 8 of every record. */
export const RECORD_MAGIC = 0xfc;
/** Record format version (docs/FORMAT.md, "WAL record"). */
export const RECORD_VERSION = 1;
/** Bytes of a record header; the payload follows. */
export const RECORD_HEADER_SIZE = 28;
/**
 * Largest payload a record may claim, bytes: 2 GiB less 1 MiB, so that a
 * segment holding one such record still reads back in one piece (Node reads
 * files of at most 2 GiB - 1). Commands whose arguments could not fit are
 * refused before they change anything.
 */
export const MAX_RECORD_PAYLOAD = 0x7fff_ffff - (1 << 20);
/** The commit-lag field's value when the lag did not fit in 32 bits. */
export const LAG_UNKNOWN = 0xffff_ffff;

/** Record header field offsets. */
export const REC = {
  crc: 0,
  length: 4,
  magic: 8,
  version: 9,
  db: 10,
  lsn: 12,
  commitLag: 20,
  time: 24,
} as const;

/** Segment files are named by their first LSN, zero-padded to this many digits. */
export const SEGMENT_NAME_DIGITS = 20;
/** Extension of WAL segment files. */
export const SEGMENT_EXT = '.wal';

/** Reads an unsigned 64-bit integer below 2^53. */
export function readU64(buf: Buffer, off: number): number {
  return buf.readUInt32LE(off) + buf.readUInt32LE(off + 4) * 0x1_0000_0000;
}

/** Writes an unsigned integer below 2^53 as 64 bits. */
export function writeU64(buf: Buffer, value: number, off: number): void {
  buf.writeUInt32LE(value >>> 0, off);
  buf.writeUInt32LE(Math.floor(value / 0x1_0000_0000), off + 4);
}
