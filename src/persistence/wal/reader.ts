/**
 * WAL segment reader: the one parser of the format, used by recovery and by
 * `cache-dump`. It reads on past damage and reports each problem with its file,
 * byte offset and kind; callers decide what a problem means for them.
 *
 * Failure policy (docs/FORMAT.md, "Torn writes and corruption"): a record that
 * is short, or fails its magic, length or checksum, is *damage*. Damage is a
 * *torn tail* when no valid record after it was written once it had been
 * synced, which is what {@link isTornTail} decides from the commit-lag field.
 * Only a torn tail in the last segment is a normal end of log, besides zeros
 * from a record boundary to the end of a segment: space the writer
 * preallocated and had not filled yet.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { crc32c } from '@node-rs/crc32';
import {
  LAG_UNKNOWN,
  MAX_RECORD_PAYLOAD,
  REC,
  RECORD_HEADER_SIZE,
  RECORD_MAGIC,
  isRecordVersion,
  readU64,
  SEGMENT_HEADER_SIZE,
} from '../format.js';
import { parseSegmentHeader, type SegmentHeader } from './segment.js';

/** One valid record, as located in its segment. */
export interface WalRecord {
  /** Log sequence number. */
  lsn: number;
  /** Database index the effect applies to (a transaction's: the database its EXEC ran in). */
  db: number;
  /** Record version: one effect (`RECORD_VERSION`) or a transaction (`RECORD_VERSION_TRANSACTION`). */
  version: number;
  /** Unix seconds when the record was appended (informational). */
  time: number;
  /** The LSN known synced when the record's batch was written; 0 when unknown. */
  commitLsn: number;
  /** Byte offset of the record header within its segment. */
  offset: number;
  /** Bytes the record occupies, header included. */
  size: number;
  /** The msgpack payload (a view into the segment buffer). */
  payload: Buffer;
}

/** Kinds of damage the reader reports. */
export type WalProblemKind =
  | 'bad-segment-header'
  | 'short-header'
  | 'short-record'
  | 'bad-magic'
  | 'bad-version'
  | 'bad-length'
  | 'bad-checksum'
  | 'lsn-gap';

/** A damaged place in a segment. */
export interface WalProblem {
  /** Segment file name (no directory). */
  file: string;
  /** Byte offset of the damage. */
  offset: number;
  kind: WalProblemKind;
  /** What was expected and found, in words. */
  detail: string;
  /**
   * Offset of the next valid record after the damage, or the file size when none follows or the damage is a torn tail.
   */
  resumeAt: number;
  /**
   * Whether the damage is the torn tail of the last segment ({@link isTornTail}): everything from `offset` on is an
   * unsynced batch.
   */
  torn: boolean;
}

/** What scanning one segment found. */
export interface SegmentScan {
  file: string;
  /** File size, bytes. */
  size: number;
  /** Parsed header, or null when it is damaged. */
  header: SegmentHeader | null;
  /** Valid records in file order. */
  records: WalRecord[];
  /** Damage, in file order; empty for a clean segment. */
  problems: WalProblem[];
  /** Offset just past the last valid record before the first damage (the length a repair keeps). */
  goodEnd: number;
}

/**
 * Checks the record at `off` (framing and checksum) without decoding it.
 *
 * @returns the offset where the record ends, or the kind of damage found there
 */
export function recordEnd(buf: Buffer, off: number): number | WalProblemKind {
  if (buf.length - off < RECORD_HEADER_SIZE) return 'short-header';
  if (buf[off + REC.magic] !== RECORD_MAGIC) return 'bad-magic';
  if (!isRecordVersion(buf[off + REC.version])) return 'bad-version';
  const len = buf.readUInt32LE(off + REC.length);
  if (len > MAX_RECORD_PAYLOAD) return 'bad-length';
  const end = off + RECORD_HEADER_SIZE + len;
  if (end > buf.length) return 'short-record';
  if (crc32c(buf.subarray(off + 4, end)) !== buf.readUInt32LE(off + REC.crc)) return 'bad-checksum';
  return end;
}

/** Fills `rec` from the valid record at `off` ending at `end` (see {@link recordEnd}). */
function fillRecord(rec: WalRecord, buf: Buffer, off: number, end: number): WalRecord {
  const lsn = readU64(buf, off + REC.lsn);
  const lag = buf.readUInt32LE(off + REC.commitLag);
  rec.lsn = lsn;
  rec.db = buf.readUInt16LE(off + REC.db);
  rec.version = buf[off + REC.version]!;
  rec.time = buf.readUInt32LE(off + REC.time);
  rec.commitLsn = lag === LAG_UNKNOWN ? 0 : lsn - lag;
  rec.offset = off;
  rec.size = end - off;
  rec.payload = buf.subarray(off + RECORD_HEADER_SIZE, end);
  return rec;
}

/**
 * Checks the record at `off`.
 *
 * @returns the record, or the kind of damage found there
 */
export function recordAt(buf: Buffer, off: number): WalRecord | WalProblemKind {
  const end = recordEnd(buf, off);
  if (typeof end === 'string') return end;
  return fillRecord(
    { lsn: 0, db: 0, version: 0, time: 0, commitLsn: 0, offset: 0, size: 0, payload: buf },
    buf,
    off,
    end,
  );
}

/**
 * The next offset after `from` where a valid record starts, or -1.
 *
 * Payload bytes are client data and may contain something shaped like a
 * record; a candidate is trusted only if its LSN fits the gap: at least
 * `damagedLsn`, and at most one more per record header's worth of bytes
 * since `damageOffset`. (A client that builds a checksummed fake record with
 * a plausible LSN into a value can still mislead the search after a crash;
 * docs/FORMAT.md states this limit.)
 *
 * @param damagedLsn the LSN the damaged record should have had (omit to accept any LSN)
 * @param damageOffset where the damage starts
 */
export function nextValidRecord(buf: Buffer, from: number, damagedLsn?: number, damageOffset = from): number {
  for (let off = buf.indexOf(RECORD_MAGIC, from + REC.magic); off >= 0; off = buf.indexOf(RECORD_MAGIC, off + 1)) {
    const start = off - REC.magic;
    if (start < from) continue;
    if (!isRecordVersion(buf[off + 1])) continue;
    const rec = recordAt(buf, start);
    if (typeof rec === 'string') continue;
    if (
      damagedLsn !== undefined &&
      (rec.lsn < damagedLsn || rec.lsn > damagedLsn + Math.floor((start - damageOffset) / RECORD_HEADER_SIZE))
    )
      continue;
    return start;
  }
  return -1;
}

/**
 * Decides whether damage at `offset` is a torn write rather than corruption:
 * true when no valid record after it was written by a batch that started after
 * the damaged record's LSN had been synced. Such a later record would prove the
 * damaged one was durable, and so acknowledged, before the crash.
 *
 * @param buf the segment
 * @param offset where the damage starts
 * @param damagedLsn the LSN the damaged record should have had
 */
export function isTornTail(buf: Buffer, offset: number, damagedLsn: number): boolean {
  for (
    let off = nextValidRecord(buf, offset + 1, damagedLsn, offset);
    off >= 0;
    off = nextValidRecord(buf, off + 1, damagedLsn, offset)
  ) {
    const rec = recordAt(buf, off) as WalRecord;
    if (rec.commitLsn >= damagedLsn) return false;
  }
  return true;
}

const ZEROS = Buffer.alloc(64 * 1024);

/**
 * Whether every byte from `off` to the end of `buf` is zero: the space the
 * writer preallocated ahead of its records (docs/FORMAT.md, "WAL segment"),
 * where a segment's records end cleanly.
 */
export function isZeroTail(buf: Buffer, off: number): boolean {
  for (let at = off; at < buf.length; at += ZEROS.length) {
    const end = Math.min(buf.length, at + ZEROS.length);
    if (buf.compare(ZEROS, 0, end - at, at, end) !== 0) return false;
  }
  return true;
}

/** Options of {@link walkSegment}. */
export interface WalkOptions {
  /** The LSN the first record should carry; defaults to the header's. */
  expectLsn?: number;
  /**
   * Records with an LSN below this are framed and sequence-checked but their
   * checksums are not computed: recovery passes the first LSN it will apply,
   * since records a snapshot already covers are not needed. Damage found on
   * the way is still reported. Default 0: check everything.
   */
  verifyFrom?: number;
  /** Called for each valid record, in file order. The record object is reused between calls. */
  onRecord?: (rec: WalRecord) => void;
  /**
   * Called as reading passes each `advanceEvery` bytes, with the offset below
   * which nothing will be read again (unless damage sends the reader looking
   * ahead, which only reads further on). A tool drops mapped pages with it.
   */
  onAdvance?: (offset: number) => void;
  /** Bytes between {@link onAdvance} calls (default 8 MiB). */
  advanceEvery?: number;
  /**
   * Whether this is the last segment of its log (default true). In the last
   * segment, damage that {@link isTornTail} calls torn ends the walk: what
   * follows belongs to the unsynced batch and is not handed out. Elsewhere a
   * segment was synced whole before the next was begun, so all damage is
   * corruption and the walk reads on.
   */
  lastSegment?: boolean;
}

/** What walking one segment found (the records went to `onRecord`). */
export type SegmentWalk = Omit<SegmentScan, 'records'> & {
  /** Valid records seen. */
  count: number;
  /** LSN of the last valid record, or 0. */
  lastLsn: number;
};

/**
 * Reads every record of one segment, reading on past damage, and hands each
 * valid one to `onRecord` without collecting them.
 *
 * @param buf the segment file's bytes
 * @param file its name, for problem reports
 */
export function walkSegment(buf: Buffer, file: string, opts: WalkOptions = {}): SegmentWalk {
  const walk: SegmentWalk = { file, size: buf.length, header: null, problems: [], goodEnd: 0, count: 0, lastLsn: 0 };
  const header = parseSegmentHeader(buf);
  if (typeof header === 'string') {
    walk.problems.push({
      file,
      offset: 0,
      kind: 'bad-segment-header',
      detail: header,
      resumeAt: buf.length,
      torn: false,
    });
    return walk;
  }
  walk.header = header;
  const verifyFrom = opts.verifyFrom ?? 0;
  const onRecord = opts.onRecord;
  const fast: WalRecord = {
    lsn: 0,
    db: 0,
    version: 0,
    time: 0,
    commitLsn: 0,
    offset: 0,
    size: 0,
    payload: buf.subarray(0, 0),
  };
  let expect = opts.expectLsn ?? header.firstLsn;
  let off = SEGMENT_HEADER_SIZE;
  walk.goodEnd = off;
  let damaged = false;
  const onAdvance = opts.onAdvance;
  const every = opts.advanceEvery ?? 8 << 20;
  let mark = onAdvance ? off + every : Infinity;
  while (off < buf.length) {
    if (off >= mark) {
      onAdvance!(off);
      mark = off + every;
    }
    // Fast path for records a snapshot covers: frame and sequence only.
    if (
      expect < verifyFrom &&
      buf.length - off >= RECORD_HEADER_SIZE &&
      buf[off + REC.magic] === RECORD_MAGIC &&
      isRecordVersion(buf[off + REC.version])
    ) {
      const len = buf.readUInt32LE(off + REC.length);
      const end = off + RECORD_HEADER_SIZE + len;
      if (len <= MAX_RECORD_PAYLOAD && end <= buf.length && readU64(buf, off + REC.lsn) === expect) {
        if (onRecord) {
          fast.lsn = expect;
          fast.db = buf.readUInt16LE(off + REC.db);
          fast.version = buf[off + REC.version]!;
          fast.time = buf.readUInt32LE(off + REC.time);
          fast.commitLsn = 0;
          fast.offset = off;
          fast.size = end - off;
          fast.payload = buf.subarray(off + RECORD_HEADER_SIZE, end);
          onRecord(fast);
        }
        walk.count++;
        walk.lastLsn = expect;
        expect++;
        off = end;
        if (!damaged) walk.goodEnd = off;
        continue;
      }
    }
    const end = recordEnd(buf, off);
    if (typeof end === 'string') {
      // Preallocated space: the records end here.
      if (isZeroTail(buf, off)) break;
      const torn = opts.lastSegment !== false && isTornTail(buf, off, expect);
      const next = torn ? -1 : nextValidRecord(buf, off + 1, expect, off);
      const resumeAt = next < 0 ? buf.length : next;
      walk.problems.push({ file, offset: off, kind: end, detail: describe(end, buf, off, expect), resumeAt, torn });
      damaged = true;
      off = resumeAt;
      continue;
    }
    const lsn = readU64(buf, off + REC.lsn);
    const prev = walk.problems[walk.problems.length - 1];
    if (lsn > expect && prev !== undefined && prev.resumeAt === off && prev.kind !== 'lsn-gap') {
      // Reading resumed past damaged bytes: the records they held are part
      // of that one problem, not a second one.
      const lost = lsn - 1 === expect ? `record LSN ${expect}` : `records LSN ${expect}..${lsn - 1}`;
      prev.detail += `; resumed at offset ${off} with LSN ${lsn}, ${lost} unreadable`;
    } else if (lsn !== expect) {
      walk.problems.push({
        file,
        offset: off,
        kind: 'lsn-gap',
        detail: `expected LSN ${expect}, found ${lsn}`,
        resumeAt: off,
        torn: false,
      });
      damaged = true;
    }
    if (onRecord) onRecord(fillRecord(fast, buf, off, end));
    walk.count++;
    walk.lastLsn = lsn;
    if (!damaged) walk.goodEnd = end;
    expect = lsn + 1;
    off = end;
  }
  return walk;
}

/**
 * Reads every record of one segment, reading on past damage, checking every
 * checksum, and returns them all (tools and tests; recovery walks instead).
 *
 * @param buf the segment file's bytes
 * @param file its name, for problem reports
 * @param expectLsn the LSN the first record should carry; defaults to the header's
 */
export function scanSegment(buf: Buffer, file: string, expectLsn?: number): SegmentScan {
  const records: WalRecord[] = [];
  const opts: WalkOptions = { onRecord: (r) => records.push({ ...r }) };
  if (expectLsn !== undefined) opts.expectLsn = expectLsn;
  const walk = walkSegment(buf, file, opts);
  return { file, size: walk.size, header: walk.header, records, problems: walk.problems, goodEnd: walk.goodEnd };
}

function describe(kind: WalProblemKind, buf: Buffer, off: number, expect: number): string {
  const left = buf.length - off;
  switch (kind) {
    case 'short-header':
      return `${left} bytes left, a record header needs ${RECORD_HEADER_SIZE} (record LSN ${expect})`;
    case 'short-record':
      return (
        `record LSN ${expect} claims ${buf.readUInt32LE(off + REC.length)} payload bytes, ` +
        `${left - RECORD_HEADER_SIZE} left`
      );
    case 'bad-magic':
      return `no record marker where record LSN ${expect} should start`;
    case 'bad-version':
      return `record version ${buf[off + REC.version]} is not supported`;
    case 'bad-length':
      return `record length ${buf.readUInt32LE(off + REC.length)} is impossible`;
    case 'bad-checksum':
      return `checksum mismatch in record LSN ${expect}`;
    default:
      return kind;
  }
}

/** Reads and scans a segment file. */
export function scanSegmentFile(path: string, expectLsn?: number): SegmentScan {
  return scanSegment(readFileSync(path), basename(path), expectLsn);
}
