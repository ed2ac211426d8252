/**
 * MurmurHash3 (x86, 32-bit) over a byte range, seeded per process so that a
 * client cannot choose keys that all land in one bucket (Redis seeds SipHash
 * for the same reason). Reference: Austin Appleby's `MurmurHash3_x86_32`.
 *
 * @param buf bytes to hash
 * @param start first byte (inclusive)
 * @param end last byte (exclusive)
 * @param seed 32-bit seed
 * @returns an unsigned 32-bit hash
 */
export function murmur3(buf: Uint8Array, start: number, end: number, seed: number): number {
  let h = seed | 0;
  const len = end - start;
  const blocksEnd = start + (len & ~3);
  let i = start;
  for (; i < blocksEnd; i += 4) {
    let k = buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const rest = len & 3;
  if (rest !== 0) {
    let k = buf[i]!;
    if (rest >= 2) k ^= buf[i + 1]! << 8;
    if (rest === 3) k ^= buf[i + 2]! << 16;
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
  }
  h ^= len;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
