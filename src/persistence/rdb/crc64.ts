/**
 * Redis's CRC-64/Jones (src/crc64.c): reflected, polynomial
 * 0xad93d23594c935a9, initial value 0, no final xor. RDB files and DUMP
 * payloads end with it, 8 bytes little-endian. Computed table-driven on two
 * 32-bit halves (no BigInt per byte); `crc64(0, "123456789")` is
 * 0xe9c6d914c4b8d9ca.
 */

/** The 256-entry table, low and high 32-bit halves. */
const TABLE_LO = new Uint32Array(256);
const TABLE_HI = new Uint32Array(256);

{
  // The reflected polynomial: bit-reverse of 0xad93d23594c935a9.
  const polyHi = 0x95ac9329;
  const polyLo = 0xac4bc9b5;
  for (let n = 0; n < 256; n++) {
    let lo = n;
    let hi = 0;
    for (let k = 0; k < 8; k++) {
      const bit = lo & 1;
      lo = ((lo >>> 1) | ((hi & 1) << 31)) >>> 0;
      hi = hi >>> 1;
      if (bit) {
        lo = (lo ^ polyLo) >>> 0;
        hi = (hi ^ polyHi) >>> 0;
      }
    }
    TABLE_LO[n] = lo;
    TABLE_HI[n] = hi;
  }
}

/** An incremental CRC-64/Jones. */
export class Crc64 {
  private lo = 0;
  private hi = 0;

  /** Feeds `data` into the checksum. */
  update(data: Uint8Array): this {
    let lo = this.lo;
    let hi = this.hi;
    const n = data.length;
    for (let i = 0; i < n; i++) {
      const idx = (lo ^ data[i]!) & 0xff;
      lo = ((lo >>> 8) | (hi << 24)) ^ TABLE_LO[idx]!;
      hi = (hi >>> 8) ^ TABLE_HI[idx]!;
    }
    this.lo = lo >>> 0;
    this.hi = hi >>> 0;
    return this;
  }

  /** The checksum so far as an unsigned 64-bit integer. */
  get value(): bigint {
    return (BigInt(this.hi) << 32n) | BigInt(this.lo);
  }

  /** The checksum so far as Redis writes it: 8 bytes, little-endian. */
  digest(): Buffer {
    const b = Buffer.allocUnsafe(8);
    b.writeUInt32LE(this.lo, 0);
    b.writeUInt32LE(this.hi, 4);
    return b;
  }
}

/** CRC-64/Jones of `data` (initial value 0). */
export function crc64(data: Uint8Array): bigint {
  return new Crc64().update(data).value;
}
