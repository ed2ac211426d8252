/**
 * The RDB format's constants (src/rdb.h) and its primitive reader: lengths,
 * strings in every encoding (raw, int8/16/32, LZF), doubles, millisecond
 * times (src/rdb.c rdbLoadLen, rdbGenericLoadStringObject, rdbLoadDoubleValue,
 * rdbLoadBinaryDoubleValue, rdbLoadMillisecondTime).
 */
import { lzfDecompress } from './lzf.js';
import { RdbError } from './types.js';

/** The RDB version Redis 7.0 writes (rdb.h RDB_VERSION). */
export const RDB_VERSION = 10;

/** The highest RDB version read: Redis 7.2's 11, whose only new types are 20 and 21. */
export const RDB_MAX_READ_VERSION = 11;

/** Object types (rdb.h RDB_TYPE_*): the byte before a key, or a DUMP payload's first byte. */
export const RDB_TYPE_STRING = 0;
export const RDB_TYPE_LIST = 1;
export const RDB_TYPE_SET = 2;
export const RDB_TYPE_ZSET = 3;
export const RDB_TYPE_HASH = 4;
export const RDB_TYPE_ZSET_2 = 5;
export const RDB_TYPE_MODULE = 6;
export const RDB_TYPE_MODULE_2 = 7;
export const RDB_TYPE_HASH_ZIPMAP = 9;
export const RDB_TYPE_LIST_ZIPLIST = 10;
export const RDB_TYPE_SET_INTSET = 11;
export const RDB_TYPE_ZSET_ZIPLIST = 12;
export const RDB_TYPE_HASH_ZIPLIST = 13;
export const RDB_TYPE_LIST_QUICKLIST = 14;
export const RDB_TYPE_STREAM_LISTPACKS = 15;
export const RDB_TYPE_HASH_LISTPACK = 16;
export const RDB_TYPE_ZSET_LISTPACK = 17;
export const RDB_TYPE_LIST_QUICKLIST_2 = 18;
export const RDB_TYPE_STREAM_LISTPACKS_2 = 19;
/** Redis 7.2 (RDB 11). */
export const RDB_TYPE_SET_LISTPACK = 20;
/** Redis 7.2 (RDB 11). */
export const RDB_TYPE_STREAM_LISTPACKS_3 = 21;

/** File opcodes (rdb.h RDB_OPCODE_*), in the place of a type byte. */
export const RDB_OPCODE_FUNCTION2 = 245;
export const RDB_OPCODE_FUNCTION = 246;
export const RDB_OPCODE_MODULE_AUX = 247;
export const RDB_OPCODE_IDLE = 248;
export const RDB_OPCODE_FREQ = 249;
export const RDB_OPCODE_AUX = 250;
export const RDB_OPCODE_RESIZEDB = 251;
export const RDB_OPCODE_EXPIRETIME_MS = 252;
export const RDB_OPCODE_EXPIRETIME = 253;
export const RDB_OPCODE_SELECTDB = 254;
export const RDB_OPCODE_EOF = 255;

/** Quicklist node containers (quicklist.h). */
export const QUICKLIST_NODE_CONTAINER_PLAIN = 1;
export const QUICKLIST_NODE_CONTAINER_PACKED = 2;

/** The largest expansion LZF allows: a 3-byte back-reference copies 264 bytes. */
const LZF_MAX_RATIO = 88;

/**
 * Reads RDB primitives from a buffer. `base` is the absolute offset of
 * `buf[0]` (errors carry absolute offsets). Subclasses reading a file override
 * `fill` (make `n` bytes available at `pos`) and `remaining`.
 */
export class RdbByteReader {
  buf: Buffer;
  pos = 0;
  base: number;

  constructor(buf: Buffer, base = 0) {
    this.buf = buf;
    this.base = base;
  }

  /** Absolute offset of the next byte. */
  get offset(): number {
    return this.base + this.pos;
  }

  /** Bytes left in the whole source (not only the buffer). */
  remaining(): number {
    return this.buf.length - this.pos;
  }

  /** Makes `n` bytes available at `pos`, or throws: a buffer source has no more. */
  protected fill(n: number): void {
    throw new RdbError(`unexpected end of data (${n} bytes needed, ${this.buf.length - this.pos} left)`, this.offset);
  }

  /** Ensures `n` bytes are readable at `pos`. */
  need(n: number): void {
    if (this.pos + n > this.buf.length) this.fill(n);
  }

  /** One byte. */
  readByte(): number {
    if (this.pos >= this.buf.length) this.fill(1);
    return this.buf[this.pos++]!;
  }

  /** `n` raw bytes (a copy). */
  readBytes(n: number): Buffer {
    this.checkLength(n, 1);
    this.need(n);
    const out = Buffer.from(this.buf.subarray(this.pos, this.pos + n));
    this.pos += n;
    return out;
  }

  /** Throws unless `count` items of at least `min` bytes each can still be in the source. */
  checkLength(count: number, min: number, what = 'length'): void {
    if (count * min > this.remaining()) {
      throw new RdbError(`${what} ${count} exceeds the ${this.remaining()} bytes left`, this.offset);
    }
  }

  /**
   * A length (rdbLoadLen): 6, 14, 32 or 64 bits. Returns -1 - enc for an
   * encoded string marker (0xC0 | enc) when `allowEncoded`, else its low 6
   * bits, as rdbLoadLen does.
   */
  private lengthOrEncoding(allowEncoded: boolean): number {
    const at = this.offset;
    const b = this.readByte();
    const t = b >> 6;
    if (t === 0) return b & 0x3f;
    if (t === 1) return ((b & 0x3f) << 8) | this.readByte();
    if (t === 3) {
      // rdbLoadLen ignores the "encoded" flag where it wants a length: 0xC1 counts as 1.
      if (!allowEncoded) return b & 0x3f;
      return -1 - (b & 0x3f);
    }
    if (b === 0x80) {
      this.need(4);
      const v = this.buf.readUInt32BE(this.pos);
      this.pos += 4;
      return v;
    }
    if (b === 0x81) {
      this.need(8);
      const hi = this.buf.readUInt32BE(this.pos);
      const lo = this.buf.readUInt32BE(this.pos + 4);
      this.pos += 8;
      if (hi > 0x1fffff) throw new RdbError('64-bit length too large', at);
      return hi * 0x100000000 + lo;
    }
    throw new RdbError(`unknown length encoding 0x${b.toString(16)}`, at);
  }

  /** A length (rdbLoadLen), at most Number.MAX_SAFE_INTEGER. */
  readLength(): number {
    return this.lengthOrEncoding(false);
  }

  /** A length as an unsigned 64-bit integer (stream IDs, counters that may be 2^64 - 1). */
  readLength64(): bigint {
    if (this.pos >= this.buf.length) this.fill(1);
    if (this.buf[this.pos] !== 0x81) return BigInt(this.readLength());
    this.pos++;
    this.need(8);
    const v = this.buf.readBigUInt64BE(this.pos);
    this.pos += 8;
    return v;
  }

  /** Reads a string's header and returns its raw bytes' range in `buf`, or a decoded buffer. */
  private stringBytes(): { buf: Buffer; start: number; end: number } | number {
    const at = this.offset;
    const len = this.lengthOrEncoding(true);
    if (len >= 0) {
      this.checkLength(len, 1, 'string length');
      this.need(len);
      const start = this.pos;
      this.pos += len;
      return { buf: this.buf, start, end: this.pos };
    }
    const enc = -1 - len;
    if (enc === 0) return (this.readByte() << 24) >> 24;
    if (enc === 1) {
      this.need(2);
      const v = this.buf.readInt16LE(this.pos);
      this.pos += 2;
      return v;
    }
    if (enc === 2) {
      this.need(4);
      const v = this.buf.readInt32LE(this.pos);
      this.pos += 4;
      return v;
    }
    if (enc === 3) {
      const clen = this.readLength();
      const ulen = this.readLength();
      this.checkLength(clen, 1, 'LZF compressed length');
      if (ulen > clen * LZF_MAX_RATIO) throw new RdbError(`LZF length ${ulen} impossible from ${clen} bytes`, at);
      this.need(clen);
      if (ulen === 0) {
        // lzf_decompress into 0 bytes returns 0, which rdbLoadLzfStringObject takes as success.
        this.pos += clen;
        return { buf: this.buf, start: this.pos, end: this.pos };
      }
      const out = lzfDecompress(this.buf.subarray(this.pos, this.pos + clen), ulen, this.offset);
      this.pos += clen;
      return { buf: out, start: 0, end: ulen };
    }
    throw new RdbError(`unknown string encoding ${enc}`, at);
  }

  /** A string in any encoding (raw, int8/16/32 as decimal text, LZF), as its own buffer. */
  readString(): Buffer {
    const s = this.stringBytes();
    if (typeof s === 'number') return Buffer.from(String(s), 'latin1');
    if (s.buf !== this.buf) return s.buf;
    return Buffer.from(s.buf.subarray(s.start, s.end));
  }

  /** A string in any encoding, as a latin1 string (one character per byte). */
  readLatin1(): string {
    const s = this.stringBytes();
    if (typeof s === 'number') return String(s);
    return s.buf.toString('latin1', s.start, s.end);
  }

  /** An IEEE 754 double, 8 bytes little-endian (rdbLoadBinaryDoubleValue). */
  readBinaryDouble(): number {
    this.need(8);
    const v = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return v;
  }

  /** A text double as the old ZSET type writes it (rdbLoadDoubleValue): 253 nan, 254 +inf, 255 -inf. */
  readStringDouble(): number {
    const at = this.offset;
    const len = this.readByte();
    if (len === 253) return Number.NaN;
    if (len === 254) return Number.POSITIVE_INFINITY;
    if (len === 255) return Number.NEGATIVE_INFINITY;
    this.need(len);
    const text = this.buf.toString('latin1', this.pos, this.pos + len);
    this.pos += len;
    const v = parseDouble(text);
    if (v === null) throw new RdbError(`invalid double ${JSON.stringify(text)}`, at);
    return v;
  }

  /** Unix time in ms, 8 bytes little-endian (rdbLoadMillisecondTime). */
  readMillisecondTime(): number {
    this.need(8);
    const lo = this.buf.readUInt32LE(this.pos);
    const hi = this.buf.readInt32LE(this.pos + 4);
    this.pos += 8;
    return hi * 0x100000000 + lo;
  }
}

/**
 * The double at the start of `text` as C's strtod reads it (leading spaces,
 * decimal with exponent, "inf"/"infinity", "nan"; trailing bytes ignored), or
 * null when no number starts there.
 */
export function parseDouble(text: string): number | null {
  const m = /^[ \t\n\v\f\r]*([+-]?)(inf(?:inity)?|nan|(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)/i.exec(text);
  if (m === null) return null;
  const body = m[2]!.toLowerCase();
  const sign = m[1] === '-' ? -1 : 1;
  if (body.startsWith('inf')) return sign * Number.POSITIVE_INFINITY;
  if (body === 'nan') return Number.NaN;
  return sign * Number(body);
}

/**
 * A sorted set score stored as text in a ziplist or listpack, as zzlStrtod
 * reads it: strtod over at most the first 127 bytes, 0 when no number starts
 * there (Redis does not validate these).
 */
export function parseScoreText(text: string): number {
  return parseDouble(text.length > 127 ? text.slice(0, 127) : text) ?? 0;
}
