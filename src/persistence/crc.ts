/**
 * CRC32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of WAL
 * records (docs/FORMAT.md, "WAL record"), for a range of a buffer.
 *
 * Ranges shorter than {@link NATIVE_FROM_BYTES} are computed here, slicing
 * by 8 bytes over lookup tables; longer ones by @node-rs/crc32. The call into
 * native code and the Buffer view it needs cost more than the whole table
 * loop for a typical record (figures in bench/RESULTS.md, "Measurements
 * behind persistence constants"). The writer seals every record through here;
 * the reader keeps to @node-rs/crc32, so each checks the other.
 */
import { crc32c } from '@node-rs/crc32';

/** Ranges at least this long go to the native implementation. */
const NATIVE_FROM_BYTES = 512;

/** Eight 256-entry tables: table t maps a byte to its CRC contribution t bytes further back. */
const T = (() => {
  const t = new Int32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    for (let s = 1; s < 8; s++) t[s * 256 + n] = (t[(s - 1) * 256 + n]! >>> 8) ^ t[t[(s - 1) * 256 + n]! & 0xff]!;
  }
  return t;
})();

/**
 * CRC32C of `buf[start..end)`, the value @node-rs/crc32's `crc32c` gives
 * for `buf.subarray(start, end)`.
 *
 * @returns the checksum as an unsigned 32-bit integer
 */
export function crc32cRange(buf: Uint8Array, start: number, end: number): number {
  if (end - start >= NATIVE_FROM_BYTES) return crc32c(Buffer.from(buf.buffer, buf.byteOffset + start, end - start));
  let c = -1;
  let i = start;
  for (; i + 8 <= end; i += 8) {
    const a = c ^ (buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24));
    c =
      T[1792 + (a & 0xff)]! ^
      T[1536 + ((a >>> 8) & 0xff)]! ^
      T[1280 + ((a >>> 16) & 0xff)]! ^
      T[1024 + (a >>> 24)]! ^
      T[768 + buf[i + 4]!]! ^
      T[512 + buf[i + 5]!]! ^
      T[256 + buf[i + 6]!]! ^
      T[buf[i + 7]!]!;
  }
  for (; i < end; i++) c = T[(c ^ buf[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}
