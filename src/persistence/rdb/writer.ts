/**
 * The RDB format's primitive writer (src/rdb.c rdbSaveLen, rdbSaveRawString
 * with its integer and LZF encodings, rdbSaveBinaryDoubleValue,
 * rdbSaveMillisecondTime) into a growable buffer.
 */
import { canonicalInt } from './encodings.js';
import { lzfCompress } from './lzf.js';

/** A growable byte buffer with RDB primitives. */
export class RdbByteWriter {
  buf: Buffer;
  len = 0;

  constructor(initial = 256) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  /** Makes room for `n` more bytes. */
  ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }

  /** One byte. */
  byte(b: number): void {
    this.ensure(1);
    this.buf[this.len++] = b;
  }

  /** Raw bytes. */
  bytes(data: Uint8Array): void {
    this.ensure(data.length);
    this.buf.set(data, this.len);
    this.len += data.length;
  }

  /** A length (rdbSaveLen): 6, 14, 32 or 64 bits. */
  length(n: number | bigint): void {
    this.ensure(9);
    if (typeof n === 'number' && n < 64) {
      this.buf[this.len++] = n;
    } else if (typeof n === 'number' && n < 16384) {
      this.buf[this.len++] = 0x40 | (n >> 8);
      this.buf[this.len++] = n & 0xff;
    } else if (typeof n === 'number' && n <= 0xffffffff) {
      this.buf[this.len++] = 0x80;
      this.len = this.buf.writeUInt32BE(n, this.len);
    } else if (typeof n === 'bigint' && n <= 0xffffffffn) {
      this.length(Number(n));
    } else {
      this.buf[this.len++] = 0x81;
      this.len = this.buf.writeBigUInt64BE(BigInt(n), this.len);
    }
  }

  /**
   * A string as rdbSaveRawString writes it: an int8/16/32 encoding when it
   * is a canonical integer of 11 characters or fewer that fits, LZF when
   * longer than 20 bytes and LZF saves more than 4 bytes, else raw.
   */
  string(s: Buffer | string): void {
    const n = s.length;
    if (n <= 11 && n > 0) {
      const text = typeof s === 'string' ? s : s.toString('latin1');
      const v = canonicalInt(text);
      if (typeof v === 'number' && v >= -2147483648 && v <= 2147483647) {
        this.ensure(5);
        if (v >= -128 && v <= 127) {
          this.buf[this.len++] = 0xc0;
          this.len = this.buf.writeInt8(v, this.len);
        } else if (v >= -32768 && v <= 32767) {
          this.buf[this.len++] = 0xc1;
          this.len = this.buf.writeInt16LE(v, this.len);
        } else {
          this.buf[this.len++] = 0xc2;
          this.len = this.buf.writeInt32LE(v, this.len);
        }
        return;
      }
    }
    const bytes = typeof s === 'string' ? Buffer.from(s, 'latin1') : s;
    if (n > 20) {
      const c = lzfCompress(bytes);
      if (c !== null) {
        this.byte(0xc3);
        this.length(c.length);
        this.length(n);
        this.bytes(c);
        return;
      }
    }
    this.length(n);
    this.bytes(bytes);
  }

  /** An IEEE 754 double, 8 bytes little-endian. */
  binaryDouble(d: number): void {
    this.ensure(8);
    this.len = this.buf.writeDoubleLE(d, this.len);
  }

  /** Unix time in ms, 8 bytes little-endian. */
  millisecondTime(ms: number): void {
    this.ensure(8);
    this.len = this.buf.writeBigInt64LE(BigInt(Math.trunc(ms)), this.len);
  }

  /** The bytes written so far (a view). */
  view(): Buffer {
    return this.buf.subarray(0, this.len);
  }

  /** Forgets what was written, keeping the storage. */
  reset(): void {
    this.len = 0;
  }
}
