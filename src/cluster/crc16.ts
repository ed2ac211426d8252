/**
 * Hash slots: CRC16-XMODEM (polynomial 0x1021, initial value 0, no
 * reflection; Redis's crc16.c, whose test vector is `crc16("123456789") ===
 * 0x31c3`) of a key, or of its hash tag, modulo 16384 (cluster.c
 * `keyHashSlot`).
 */

/** Number of hash slots in a cluster (Redis's `CLUSTER_SLOTS`). */
export const CLUSTER_SLOTS = 16384;

const TABLE = (() => {
  const t = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i << 8;
    for (let b = 0; b < 8; b++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    t[i] = crc;
  }
  return t;
})();

/** CRC16-XMODEM of `buf[start, end)`. */
export function crc16(buf: Uint8Array, start = 0, end = buf.length): number {
  let crc = 0;
  for (let i = start; i < end; i++) crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ buf[i]!) & 0xff]!;
  return crc;
}

/**
 * The hash slot of `key[start, end)`: of the bytes between the first `{` and
 * the next `}` when there are some, else of the whole key (cluster.c
 * `keyHashSlot`). The range lets a walk read keys where they lie in the arena.
 */
export function keyHashSlot(key: Uint8Array, start = 0, end = key.length): number {
  let s = start;
  for (; s < end; s++) if (key[s] === 0x7b) break;
  if (s === end) return crc16(key, start, end) & 0x3fff;
  let e = s + 1;
  for (; e < end; e++) if (key[e] === 0x7d) break;
  if (e === end || e === s + 1) return crc16(key, start, end) & 0x3fff;
  return crc16(key, s + 1, e) & 0x3fff;
}
