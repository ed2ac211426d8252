/**
 * The WAL's record codec: an effect (command name and arguments) as a
 * msgpack payload, a transaction's effects as one payload, the record header
 * around them, and the sealing of a batch (commit lag and CRC32C) just before
 * it is written. Bytes as docs/FORMAT.md, "WAL record", "Payload" and
 * "Transaction payload", specify them; the writer encodes through here and
 * the reader (reader.ts) decodes what it frames.
 */
import { Packr } from 'msgpackr';
import { crc32cRange } from '../crc.js';
import {
  LAG_UNKNOWN,
  REC,
  RECORD_HEADER_SIZE,
  RECORD_MAGIC,
  RECORD_VERSION,
  RECORD_VERSION_TRANSACTION,
  readU64,
  writeU64,
} from '../format.js';

/** One argument of an effect record: key and value bytes, or ASCII words and numbers. */
export type EffectArg = Buffer | string;

/** Decodes effect payloads (docs/FORMAT.md, "Payload"). */
const packr = new Packr({ useRecords: false, variableMapSize: true });

/**
 * Writes a MessagePack length prefix at `off`: the fix form (`fix | len`)
 * when `len < fixLimit`, else the 8-bit form (when the type has one, `t8 >=
 * 0`), the 16-bit or the 32-bit form. Arrays: fix 0x90 below 16, then
 * 0xdc/0xdd; str: fix 0xa0 below 32, then 0xd9/0xda/0xdb; bin: no fix form,
 * 0xc4/0xc5/0xc6.
 *
 * @returns the offset after the prefix
 */
function writePrefix(
  buf: Buffer,
  off: number,
  len: number,
  fix: number,
  fixLimit: number,
  t8: number,
  t16: number,
  t32: number,
): number {
  if (len < fixLimit) {
    buf[off] = fix | len;
    return off + 1;
  }
  if (t8 >= 0 && len < 0x100) {
    buf[off] = t8;
    buf[off + 1] = len;
    return off + 2;
  }
  if (len < 0x10000) {
    buf[off] = t16;
    buf.writeUInt16BE(len, off + 1);
    return off + 3;
  }
  buf[off] = t32;
  buf.writeUInt32BE(len, off + 1);
  return off + 5;
}

/** Bytes of the prefix {@link writePrefix} writes. */
function prefixSize(len: number, fixLimit: number, has8: boolean): number {
  return len < fixLimit ? 1 : has8 && len < 0x100 ? 2 : len < 0x10000 ? 3 : 5;
}

/** Length of `s` when it is short and all ASCII (its UTF-8 bytes are its char codes), else -1. */
function shortAscii(s: string): number {
  const n = s.length;
  if (n > 64) return -1;
  for (let i = 0; i < n; i++) if (s.charCodeAt(i) > 0x7f) return -1;
  return n;
}

/**
 * Bytes of an effect's payload: a MessagePack array of bin (Buffer) and str
 * (string, UTF-8) elements, each in its shortest form, exactly as msgpackr
 * packs it (docs/FORMAT.md, "Payload").
 */
export function payloadSize(args: readonly EffectArg[]): number {
  let size = prefixSize(args.length, 16, false);
  for (const a of args) {
    if (typeof a === 'string') {
      const ascii = shortAscii(a);
      const len = ascii >= 0 ? ascii : Buffer.byteLength(a, 'utf8');
      size += prefixSize(len, 32, true) + len;
    } else {
      size += prefixSize(a.length, 0, true) + a.length;
    }
  }
  return size;
}

/**
 * Writes an effect's payload at `off`, the same bytes msgpackr's `pack`
 * gives. The WAL appends every write through here, packing straight into the
 * batch buffer with no intermediate buffer per record: msgpackr's own packing
 * was a noticeable share of the server's CPU time under pipelined SETs
 * (bench/RESULTS.md, "Measurements behind persistence constants").
 *
 * @returns the offset after the payload
 */
export function writePayload(buf: Buffer, off: number, args: readonly EffectArg[]): number {
  off = writePrefix(buf, off, args.length, 0x90, 16, -1, 0xdc, 0xdd);
  for (const a of args) {
    if (typeof a === 'string') {
      // Command names and numbers: a byte loop beats a call into utf8Write.
      const ascii = shortAscii(a);
      const len = ascii >= 0 ? ascii : Buffer.byteLength(a, 'utf8');
      off = writePrefix(buf, off, len, 0xa0, 32, 0xd9, 0xda, 0xdb);
      if (ascii >= 0) for (let j = 0; j < ascii; j++) buf[off++] = a.charCodeAt(j);
      else off += buf.utf8Write(a, off, len);
    } else {
      off = writePrefix(buf, off, a.length, 0, 0, 0xc4, 0xc5, 0xc6);
      off += a.copy(buf, off);
    }
  }
  return off;
}

/** Encodes one effect as its record payload (tests and tools; the writer packs in place with {@link writePayload}). */
export function encodePayload(args: readonly EffectArg[]): Buffer {
  const buf = Buffer.allocUnsafe(payloadSize(args));
  writePayload(buf, 0, args);
  return buf;
}

/**
 * Decodes a record payload into the effect's command name and arguments:
 * bin elements come back as Buffers, str elements as strings.
 *
 * @throws Error when the payload is not a msgpack array starting with a str
 */
export function decodePayload(payload: Buffer): EffectArg[] {
  const value: unknown = packr.unpack(payload);
  if (!Array.isArray(value) || value.length === 0 || typeof value[0] !== 'string') {
    throw new Error('payload is not an effect array');
  }
  return value as EffectArg[];
}

/** One effect of a transaction: the database it applies to, and its payload ({@link encodePayload}). */
export interface TransactionEffect {
  db: number;
  payload: Buffer;
}

/** Bytes of a msgpack non-negative integer below 65536 (a database index). */
function uintSize(n: number): number {
  return n < 0x80 ? 1 : n < 0x100 ? 2 : 3;
}

/**
 * Bytes of a transaction record's payload: a msgpack array alternating each
 * effect's database (an integer) and its effect array (docs/FORMAT.md,
 * "Transaction payload").
 */
export function transactionPayloadSize(effects: readonly TransactionEffect[]): number {
  let size = prefixSize(effects.length * 2, 16, false);
  for (const e of effects) size += uintSize(e.db) + e.payload.length;
  return size;
}

/**
 * Writes a transaction record's payload at `off` (see
 * {@link transactionPayloadSize}), the same bytes msgpackr packs.
 *
 * @returns the offset after the payload
 */
export function writeTransactionPayload(buf: Buffer, off: number, effects: readonly TransactionEffect[]): number {
  off = writePrefix(buf, off, effects.length * 2, 0x90, 16, -1, 0xdc, 0xdd);
  for (const e of effects) {
    if (e.db < 0x80) {
      buf[off++] = e.db;
    } else if (e.db < 0x100) {
      buf[off++] = 0xcc;
      buf[off++] = e.db;
    } else {
      buf[off] = 0xcd;
      buf.writeUInt16BE(e.db, off + 1);
      off += 3;
    }
    off += e.payload.copy(buf, off);
  }
  return off;
}

/** An effect with the database it applies to. */
export interface DbEffect {
  db: number;
  args: EffectArg[];
}

/**
 * Every effect a record holds, in order, with its database: the one effect
 * of a version-1 record (its database in the header), or each effect of a
 * transaction record.
 *
 * @param version the record's version byte
 * @param db the header's database field
 * @throws Error when the payload is not what the version says
 */
export function recordEffects(version: number, db: number, payload: Buffer): DbEffect[] {
  if (version !== RECORD_VERSION_TRANSACTION) return [{ db, args: decodePayload(payload) }];
  const value: unknown = packr.unpack(payload);
  if (!Array.isArray(value) || value.length % 2 !== 0) throw new Error('payload is not a transaction array');
  const out: DbEffect[] = [];
  for (let i = 0; i < value.length; i += 2) {
    const effectDb: unknown = value[i];
    const args: unknown = value[i + 1];
    if (typeof effectDb !== 'number' || !Array.isArray(args) || args.length === 0 || typeof args[0] !== 'string') {
      throw new Error(`transaction effect ${i / 2} is not a database and an effect array`);
    }
    out.push({ db: effectDb, args: args as EffectArg[] });
  }
  return out;
}

/**
 * Walks the whole records of `buf` (as a batch holds them), calling `fn`
 * with each one's version, header database and payload (views).
 */
export function forEachRecord(buf: Buffer, fn: (version: number, db: number, payload: Buffer) => void): void {
  let off = 0;
  while (off < buf.length) {
    const len = buf.readUInt32LE(off + REC.length);
    const payload = buf.subarray(off + RECORD_HEADER_SIZE, off + RECORD_HEADER_SIZE + len);
    fn(buf[off + REC.version]!, buf.readUInt16LE(off + REC.db), payload);
    off += RECORD_HEADER_SIZE + len;
  }
}

/**
 * Writes one record (header and payload) at `off`, leaving the CRC and
 * commit-lag fields for {@link sealBatch} (tests and tools build segments with it).
 *
 * @param time Unix seconds
 * @returns bytes written
 */
export function encodeRecord(buf: Buffer, off: number, db: number, lsn: number, time: number, payload: Buffer): number {
  writeRecordHeader(buf, off, db, lsn, time, payload.length);
  payload.copy(buf, off + RECORD_HEADER_SIZE);
  return RECORD_HEADER_SIZE + payload.length;
}

/**
 * Writes a record header at `off`, all but its CRC and commit lag, which
 * {@link sealBatch} stamps when the batch is written (docs/FORMAT.md, "WAL record").
 *
 * @param time Unix seconds
 * @param payloadLength bytes of the payload that follows the header
 * @param version `RECORD_VERSION` for one effect, `RECORD_VERSION_TRANSACTION` for a transaction
 */
export function writeRecordHeader(
  buf: Buffer,
  off: number,
  db: number,
  lsn: number,
  time: number,
  payloadLength: number,
  version = RECORD_VERSION,
): void {
  buf.writeUInt32LE(payloadLength, off + REC.length);
  buf[off + REC.magic] = RECORD_MAGIC;
  buf[off + REC.version] = version;
  buf.writeUInt16LE(db, off + REC.db);
  writeU64(buf, lsn, off + REC.lsn);
  buf.writeUInt32LE(time, off + REC.time);
}

/**
 * Stamps the commit-lag field and checksum of every record in a batch.
 *
 * @param buf whole records, back to back
 * @param committedLsn the highest LSN already synced when this batch is written
 */
export function sealBatch(buf: Buffer, committedLsn: number): void {
  let off = 0;
  while (off < buf.length) {
    const len = buf.readUInt32LE(off + REC.length);
    const lag = readU64(buf, off + REC.lsn) - committedLsn;
    buf.writeUInt32LE(Math.min(lag, LAG_UNKNOWN), off + REC.commitLag);
    const end = off + RECORD_HEADER_SIZE + len;
    buf.writeUInt32LE(crc32cRange(buf, off + 4, end), off + REC.crc);
    off = end;
  }
}
