/**
 * Constants of FlashCache's on-disk formats, shared by writers, readers,
 * recovery and `cache-dump`: WAL segments and records, snapshot manifests and
 * index files. The bytes are specified in docs/FORMAT.md, one section per
 * table below; change both together and bump the version.
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
/** Record version of a record holding one effect (docs/FORMAT.md, "WAL record"). */
export const RECORD_VERSION = 1;
/**
 * Record version of a record holding every effect of one transaction (MULTI
 * ... EXEC), so that recovery applies all of them or none (docs/FORMAT.md,
 * "Transaction payload").
 */
export const RECORD_VERSION_TRANSACTION = 2;

/** Whether `v` is a record version this build reads. */
export function isRecordVersion(v: number | undefined): boolean {
  return v === RECORD_VERSION || v === RECORD_VERSION_TRANSACTION;
}
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

/** Snapshot files (manifests, index files) are named by a sequence number zero-padded to this many digits. */
export const SNAPSHOT_SEQ_DIGITS = 20;

/** First 8 bytes of a manifest (docs/FORMAT.md, "Snapshot manifest"). */
export const MANIFEST_MAGIC = Buffer.from('FLASHMAN', 'latin1');
/** Manifest format version. */
export const MANIFEST_VERSION = 1;
/** Bytes of the fixed manifest header. */
export const MANIFEST_HEADER_SIZE = 48;
/** File-name prefix of manifests. */
export const MANIFEST_PREFIX = 'MANIFEST-';
/** The head-page field's value when appends went to no page. */
export const MANIFEST_NO_PAGE = 0xffff_ffff;
/** Bytes of the CRC32C that ends a manifest. */
export const MANIFEST_CRC_SIZE = 4;

/** Manifest header field offsets. */
export const MAN = {
  magic: 0,
  version: 8,
  headerSize: 10,
  pageCount: 12,
  seq: 16,
  coveredLsn: 24,
  created: 32,
  frameSize: 40,
  headPage: 44,
} as const;

/** Bytes of a manifest page record before its frame numbers. */
export const PAGE_RECORD_SIZE = 20;
/** Bytes of each frame number in a page record. */
export const FRAME_NUMBER_SIZE = 4;

/** Manifest page record field offsets; the frame numbers start at `frames`. */
export const PAGE_REC = {
  id: 0,
  length: 4,
  used: 8,
  crc: 12,
  frameCount: 16,
  frames: 20,
} as const;

/** First 8 bytes of an index file (docs/FORMAT.md, "Index file"). */
export const INDEX_MAGIC = Buffer.from('FLASHIDX', 'latin1');
/** Index file format version. */
export const INDEX_VERSION = 1;
/** File-name prefix of index files. */
export const INDEX_PREFIX = 'INDEX-';
/** Bytes of the index file header. */
export const INDEX_HEADER_SIZE = 32;

/** Index file header field offsets. */
export const IDX = {
  magic: 0,
  version: 8,
  databases: 10,
  seed: 12,
  seq: 16,
  reserved: 24,
  crc: 28,
} as const;

/** Bytes of the header before each database's slots in an index file. */
export const INDEX_DB_HEADER_SIZE = 20;

/** Index file database header field offsets. */
export const IDX_DB = {
  capacity: 0,
  keys: 4,
  volatileKeys: 8,
  deleted: 12,
  slotsCrc: 16,
} as const;

/** Bytes of one hash-index slot in an index file: the 32-bit hash word and the 32-bit arena reference. */
export const INDEX_SLOT_SIZE = 8;

/** Reads an unsigned 64-bit integer below 2^53. */
export function readU64(buf: Buffer, off: number): number {
  return buf.readUInt32LE(off) + buf.readUInt32LE(off + 4) * 0x1_0000_0000;
}

/** Writes an unsigned integer below 2^53 as 64 bits. */
export function writeU64(buf: Buffer, value: number, off: number): void {
  buf.writeUInt32LE(value >>> 0, off);
  buf.writeUInt32LE(Math.floor(value / 0x1_0000_0000), off + 4);
}
