/**
 * LZF, as Redis compresses long strings in RDB files and DUMP payloads
 * (src/lzf_c.c, src/lzf_d.c; rdbSaveLzfStringObject, rdbLoadLzfStringObject).
 *
 * Compressed format: `000LLLLL` + L+1 literal bytes; `LLLooooo oooooooo` a
 * back-reference of L+2 bytes at distance o+1; `111ooooo LLLLLLLL oooooooo`
 * a back-reference of L+9 bytes.
 */
import { RdbError } from './types.js';

/**
 * Decompresses `src` into exactly `outLength` bytes. Throws RdbError (at
 * `offset`, the position of `src` in its file or payload) when the data would
 * write past `outLength`, refers before the start of the output, runs out, or
 * decodes to another length.
 */
export function lzfDecompress(src: Uint8Array, outLength: number, offset: number): Buffer {
  const out = Buffer.allocUnsafe(outLength);
  const inEnd = src.length;
  let ip = 0;
  let op = 0;
  while (ip < inEnd) {
    let ctrl = src[ip++]!;
    if (ctrl < 32) {
      ctrl++;
      if (op + ctrl > outLength) throw new RdbError('LZF data decompresses past its declared length', offset + ip);
      if (ip + ctrl > inEnd) throw new RdbError('LZF data truncated', offset + ip);
      for (let k = 0; k < ctrl; k++) out[op++] = src[ip++]!;
    } else {
      let len = ctrl >> 5;
      let ref = op - ((ctrl & 0x1f) << 8) - 1;
      if (ip >= inEnd) throw new RdbError('LZF data truncated', offset + ip);
      if (len === 7) {
        len += src[ip++]!;
        if (ip >= inEnd) throw new RdbError('LZF data truncated', offset + ip);
      }
      ref -= src[ip++]!;
      len += 2;
      if (op + len > outLength) throw new RdbError('LZF data decompresses past its declared length', offset + ip);
      if (ref < 0) throw new RdbError('LZF back-reference before the start of the data', offset + ip);
      for (let k = 0; k < len; k++) out[op++] = out[ref++]!;
    }
  }
  if (op !== outLength) {
    throw new RdbError(`LZF data decompresses to ${op} bytes, ${outLength} declared`, offset + ip);
  }
  return out;
}

const HLOG = 16;
const HSIZE = 1 << HLOG;
const MAX_LIT = 1 << 5;
const MAX_OFF = 1 << 13;
const MAX_REF = (1 << 8) + (1 << 3);

/**
 * The hash table of positions, shared by all calls and not cleared between
 * them (as lzf_c.c without INIT_HTAB): a stale slot is only a candidate that
 * the byte comparison then confirms or rejects.
 */
const HTAB = new Int32Array(HSIZE);

/** Hash slot of the 3-byte window ending at the low 24 bits of `h` (lzf_c.c VERY_FAST IDX). */
function idx(h: number): number {
  return ((h >>> (3 * 8 - HLOG)) - Math.imul(h, 5)) & (HSIZE - 1);
}

/**
 * Compresses `src` as Redis's RDB writer does (lzf_compress into a buffer of
 * `src.length - 4` bytes): returns the compressed bytes, or null when `src`
 * is 4 bytes or shorter or would not compress into fewer than
 * `src.length - 4` bytes (then Redis stores the string raw).
 */
export function lzfCompress(src: Uint8Array): Buffer | null {
  const inLen = src.length;
  if (inLen <= 4) return null;
  const outLen = inLen - 4;
  const out = Buffer.allocUnsafe(outLen);
  const htab = HTAB;
  const inEnd = inLen;
  let ip = 0;
  let op = 0;
  let lit = 0;
  op++; // start run
  let hval = ((src[0]! << 8) | src[1]!) >>> 0;
  while (ip < inEnd - 2) {
    hval = ((hval << 8) | src[ip + 2]!) >>> 0;
    const slot = idx(hval);
    const ref = htab[slot]!;
    htab[slot] = ip;
    const off = ip - ref - 1;
    if (
      ref > 0 &&
      ref < ip &&
      off < MAX_OFF &&
      src[ref + 2] === src[ip + 2] &&
      src[ref] === src[ip] &&
      src[ref + 1] === src[ip + 1]
    ) {
      let len = 2;
      let maxlen = inEnd - ip - len;
      if (maxlen > MAX_REF) maxlen = MAX_REF;
      if (op + 3 + 1 >= outLen && op - (lit === 0 ? 1 : 0) + 3 + 1 >= outLen) return null;
      out[op - lit - 1] = lit - 1; // stop run
      if (lit === 0) op--; // undo run if length is zero
      do len++;
      while (len < maxlen && src[ref + len] === src[ip + len]);
      len -= 2; // octets - 1
      ip++;
      if (len < 7) {
        out[op++] = (off >> 8) + (len << 5);
      } else {
        out[op++] = (off >> 8) + (7 << 5);
        out[op++] = len - 7;
      }
      out[op++] = off & 0xff;
      lit = 0;
      op++; // start run
      ip += len + 1;
      if (ip >= inEnd - 2) break;
      ip -= 2;
      hval = ((src[ip]! << 8) | src[ip + 1]!) >>> 0;
      hval = ((hval << 8) | src[ip + 2]!) >>> 0;
      htab[idx(hval)] = ip;
      ip++;
      hval = ((hval << 8) | src[ip + 2]!) >>> 0;
      htab[idx(hval)] = ip;
      ip++;
    } else {
      if (op >= outLen) return null;
      lit++;
      out[op++] = src[ip++]!;
      if (lit === MAX_LIT) {
        out[op - lit - 1] = lit - 1;
        lit = 0;
        op++;
      }
    }
  }
  if (op + 3 > outLen) return null;
  while (ip < inEnd) {
    lit++;
    out[op++] = src[ip++]!;
    if (lit === MAX_LIT) {
      out[op - lit - 1] = lit - 1;
      lit = 0;
      op++;
    }
  }
  out[op - lit - 1] = lit - 1; // end run
  if (lit === 0) op--;
  if (op === 0 || op > outLen) return null;
  return out.subarray(0, op);
}
