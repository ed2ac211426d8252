/**
 * Redis's HyperLogLog representation, ported from Redis 7.0's
 * src/hyperloglog.c so that the strings are byte for byte those redis-server
 * writes: a string copied from one server to the other with GET and SET
 * counts the same on both.
 *
 * A HyperLogLog is an ordinary string: a 16-byte header (`HYLL`, the
 * encoding byte, 3 unused bytes, the cached cardinality as 8 bytes little
 * endian whose most significant bit, bit 7 of byte 15, marks the cache
 * invalid), then the registers:
 *
 * - dense (encoding 0): 16384 registers of 6 bits, packed from the least
 *   significant bit of each byte up, 12288 bytes;
 * - sparse (encoding 1): run-length opcodes, ZERO `00xxxxxx` (1 to 64 zero
 *   registers), XZERO `01xxxxxx yyyyyyyy` (1 to 16384 zero registers) and
 *   VAL `1vvvvvxx` (1 to 4 registers of value 1 to 32). A new HLL is sparse
 *   (`XZERO:16384`); it becomes dense when a register needs a value above
 *   32 or when growing it would pass `hll-sparse-max-bytes`.
 *
 * Elements hash with MurmurHash64A, seed 0xadc83b19: the low 14 bits pick the
 * register, the run of zeros above them (plus one) is the candidate value.
 * The cardinality is Otmar Ertl's estimator from the register histogram
 * ("New cardinality estimation algorithms for HyperLogLog sketches",
 * arXiv:1702.01284), as `hllCount` computes it since Redis 5.
 *
 * Sparse opcodes are checked as Debian's redis-server 7.0.15 checks them,
 * with the fix of CVE-2025-32023 applied: a run of any opcode that would pass
 * register 16384 makes the HLL invalid (`hllSparseToDense`,
 * `hllSparseRegHisto`, `hllMerge`).
 *
 * A sparse HLL being changed is held in an {@link HllString}, a growable
 * buffer kept as sds keeps its string: the byte after the last is always 0,
 * which the C code reads at the end of an opcode run.
 */

/** Registers index bits, number of registers, bits per dense register. */
export const HLL_P = 14;
const HLL_Q = 64 - HLL_P;
export const HLL_REGISTERS = 1 << HLL_P;
const HLL_P_MASK = HLL_REGISTERS - 1;
const HLL_REGISTER_MAX = 63;
/** Header bytes, and the length of a dense HLL (header + 12288 bytes of registers). */
export const HLL_HDR_SIZE = 16;
export const HLL_DENSE_SIZE = HLL_HDR_SIZE + ((HLL_REGISTERS * 6 + 7) >> 3);
/** Encoding byte values (header byte 4). */
export const HLL_DENSE = 0;
export const HLL_SPARSE = 1;
const HLL_MAX_ENCODING = 1;
/** Offset of the cache-invalid flag byte (bit 7 of the cardinality's last byte). */
const CARD_LAST = 15;

const SPARSE_VAL_MAX_VALUE = 32;
const SPARSE_VAL_MAX_LEN = 4;
const SPARSE_ZERO_MAX_LEN = 64;
/** 0.5 / ln(2): the estimator's alpha for m → ∞. */
const HLL_ALPHA_INF = 0.7213475204444817; // 0.721347520444481703680 in C, the same double

/** `-WRONGTYPE` reply of `isHLLObjectOrReply`. */
export const HLL_WRONGTYPE = 'WRONGTYPE Key is not a valid HyperLogLog string value.';
/** Redis's `invalid_hll_err`. */
export const HLL_INVALID = 'INVALIDOBJ Corrupted HLL object detected';

// ---------------------------------------------------------------- hashing

/** High and low 32 bits of the last 64-bit result (`mul64`, `murmurHash64A`). */
let rh = 0;
let rl = 0;

/** (ah:al) × (bh:bl) mod 2^64 into rh:rl, in 16-bit pieces so that every step is exact in a double. */
function mul64(ah: number, al: number, bh: number, bl: number): void {
  const a0 = al & 0xffff;
  const a1 = al >>> 16;
  const b0 = bl & 0xffff;
  const b1 = bl >>> 16;
  const p00 = a0 * b0;
  const p01 = a0 * b1;
  const p10 = a1 * b0;
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  rl = (((mid & 0xffff) << 16) | (p00 & 0xffff)) >>> 0;
  const carry = a1 * b1 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16);
  rh = (carry + Math.imul(al, bh) + Math.imul(ah, bl)) >>> 0;
}

const MH = 0xc6a4a793;
const ML = 0x5bd1e995;

/**
 * MurmurHash64A of `data` with `seed` (hyperloglog.c `MurmurHash64A`, the
 * endian-neutral version: 8-byte blocks read little endian); the result is
 * left in `rh`:`rl`.
 */
function murmurHash64A(data: Uint8Array, seed: number): void {
  const len = data.length;
  mul64(0, len >>> 0, MH, ML);
  let hh = rh;
  let hl = (rl ^ seed) >>> 0;
  const blocks = len - (len & 7);
  for (let i = 0; i < blocks; i += 8) {
    const kl = (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24)) >>> 0;
    const kh = (data[i + 4]! | (data[i + 5]! << 8) | (data[i + 6]! << 16) | (data[i + 7]! << 24)) >>> 0;
    mul64(kh, kl, MH, ML);
    mul64(rh, (rl ^ (rh >>> 15)) >>> 0, MH, ML);
    hh = (hh ^ rh) >>> 0;
    hl = (hl ^ rl) >>> 0;
    mul64(hh, hl, MH, ML);
    hh = rh;
    hl = rl;
  }
  // The tail bytes, as the C switch's fall-through cases xor them in.
  const t = blocks;
  const rem = len & 7;
  if (rem >= 7) hh ^= data[t + 6]! << 16;
  if (rem >= 6) hh ^= data[t + 5]! << 8;
  if (rem >= 5) hh ^= data[t + 4]!;
  if (rem >= 4) hl ^= data[t + 3]! << 24;
  if (rem >= 3) hl ^= data[t + 2]! << 16;
  if (rem >= 2) hl ^= data[t + 1]! << 8;
  if (rem >= 1) {
    hl ^= data[t]!;
    mul64(hh >>> 0, hl >>> 0, MH, ML);
    hh = rh;
    hl = rl;
  }
  hl = (hl ^ (hh >>> 15)) >>> 0;
  mul64(hh >>> 0, hl, MH, ML);
  rl = (rl ^ (rh >>> 15)) >>> 0;
}

/** The register an element's hash picks, set by {@link patLen}. */
let patIndex = 0;

/**
 * The length of the `000...1` pattern of `ele`'s hash above its register
 * bits, 1 to 51 (hyperloglog.c `hllPatLen`); the register is left in `patIndex`.
 */
function patLen(ele: Uint8Array): number {
  murmurHash64A(ele, 0xadc83b19);
  patIndex = rl & HLL_P_MASK;
  const low = rl >>> HLL_P;
  if (low !== 0) return 32 - Math.clz32(low & -low);
  if (rh !== 0) return 32 - HLL_P + 32 - Math.clz32(rh & -rh);
  return HLL_Q + 1;
}

/** MurmurHash64A of `data` with seed 0xadc83b19 as an unsigned 64-bit integer (tests, PFSELFTEST). */
export function hllHash(data: Uint8Array): bigint {
  murmurHash64A(data, 0xadc83b19);
  return (BigInt(rh) << 32n) | BigInt(rl);
}

// ---------------------------------------------------------------- dense

/** Dense register `i` of the registers at `regs` (offset of register bytes) in `p` (`HLL_DENSE_GET_REGISTER`). */
export function denseGet(p: Uint8Array, regs: number, i: number): number {
  const byte = regs + ((i * 6) >> 3);
  const fb = (i * 6) & 7;
  const b0 = p[byte]!;
  const b1 = byte + 1 < p.length ? p[byte + 1]! : 0;
  return ((b0 >> fb) | (b1 << (8 - fb))) & HLL_REGISTER_MAX;
}

/** Sets dense register `i` to `v` (`HLL_DENSE_SET_REGISTER`). */
export function denseSetReg(p: Uint8Array, regs: number, i: number, v: number): void {
  const byte = regs + ((i * 6) >> 3);
  const fb = (i * 6) & 7;
  const fb8 = 8 - fb;
  p[byte] = (p[byte]! & ~(HLL_REGISTER_MAX << fb)) | (v << fb);
  if (byte + 1 < p.length) p[byte + 1] = (p[byte + 1]! & ~(HLL_REGISTER_MAX >> fb8)) | (v >> fb8);
}

/** Raises dense register `i` to `count` if lower (`hllDenseSet`): 1 when it changed, else 0. */
export function denseSet(p: Uint8Array, regs: number, i: number, count: number): number {
  if (count <= denseGet(p, regs, i)) return 0;
  denseSetReg(p, regs, i, count);
  return 1;
}

/** The register an element picks and the value it offers; one object, overwritten by each call. */
export interface ElementRegister {
  index: number;
  count: number;
}
const lastRegister: ElementRegister = { index: 0, count: 0 };

/**
 * The register `ele` picks and the value it offers (`hllPatLen`), in an
 * object that the next call overwrites.
 */
export function elementRegister(ele: Uint8Array): ElementRegister {
  lastRegister.count = patLen(ele);
  lastRegister.index = patIndex;
  return lastRegister;
}

// ---------------------------------------------------------------- sparse

/** A HyperLogLog string being changed, as an sds: `buf[len]` is always 0 (the C terminator). */
export interface HllString {
  buf: Buffer;
  len: number;
}

/** A copy of `value` to change, with room for a few more bytes. */
export function hllString(value: Uint8Array): HllString {
  const buf = Buffer.alloc(value.length + 8);
  buf.set(value);
  return { buf, len: value.length };
}

/** The bytes of `o` (a view). */
export function hllBytes(o: HllString): Buffer {
  return o.buf.subarray(0, o.len);
}

/** An empty HLL, sparse: the header and `XZERO:16384` (`createHLLObject`). */
export function createHll(): HllString {
  const o = hllString(Buffer.from('HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff', 'latin1'));
  return o;
}

/** Makes room for `extra` more bytes plus the terminator (`sdsMakeRoomFor`). */
function makeRoom(o: HllString, extra: number): void {
  if (o.buf.length >= o.len + extra + 1) return;
  const buf = Buffer.alloc((o.len + extra + 1) * 2);
  buf.set(o.buf.subarray(0, o.len));
  o.buf = buf;
}

/** Sets the length to `n`, keeping the terminator (`sdsIncrLen`). */
function setLen(o: HllString, n: number): void {
  o.len = n;
  o.buf[n] = 0;
}

const isZero = (op: number): boolean => (op & 0xc0) === 0;
const isXzero = (op: number): boolean => (op & 0xc0) === 0x40;
const isVal = (op: number): boolean => (op & 0x80) !== 0;
const zeroLen = (op: number): number => (op & 0x3f) + 1;
const xzeroLen = (op: number, next: number): number => (((op & 0x3f) << 8) | next) + 1;
const valValue = (op: number): number => ((op >> 2) & 0x1f) + 1;
const valLen = (op: number): number => (op & 0x3) + 1;
const valOp = (val: number, len: number): number => (((val - 1) << 2) | (len - 1) | 0x80) & 0xff;

/** Writes a ZERO or XZERO run of `len` into `seq` at `n`; returns the new end. */
function zeroRun(seq: number[], n: number, len: number): number {
  if (len > SPARSE_ZERO_MAX_LEN) {
    seq[n] = ((len - 1) >> 8) | 0x40;
    seq[n + 1] = (len - 1) & 0xff;
    return n + 2;
  }
  seq[n] = len - 1;
  return n + 1;
}

/**
 * Converts a sparse HLL to dense in place (`hllSparseToDense`): the header
 * (cached cardinality included) is kept, the encoding byte becomes 0.
 *
 * @returns false when the sparse opcodes do not cover exactly 16384 registers
 */
export function sparseToDense(o: HllString): boolean {
  const src = o.buf;
  if (src[4] === HLL_DENSE) return true;
  const dense = Buffer.alloc(HLL_DENSE_SIZE + 1);
  src.copy(dense, 0, 0, HLL_HDR_SIZE);
  dense[4] = HLL_DENSE;
  const regs = dense.subarray(0, HLL_DENSE_SIZE);
  let idx = 0;
  let p = HLL_HDR_SIZE;
  const end = o.len;
  while (p < end) {
    const op = src[p]!;
    if (isZero(op)) {
      const runlen = zeroLen(op);
      if (runlen + idx > HLL_REGISTERS) return false;
      idx += runlen;
      p++;
    } else if (isXzero(op)) {
      const runlen = xzeroLen(op, src[p + 1]!);
      if (runlen + idx > HLL_REGISTERS) return false;
      idx += runlen;
      p += 2;
    } else {
      let runlen = valLen(op);
      const regval = valValue(op);
      if (runlen + idx > HLL_REGISTERS) return false;
      while (runlen--) denseSetReg(regs, HLL_HDR_SIZE, idx++, regval);
      p++;
    }
  }
  if (idx !== HLL_REGISTERS) return false;
  o.buf = dense;
  o.len = HLL_DENSE_SIZE;
  return true;
}

/** Promotes `o` to dense and raises register `index` to `count` there (`hllSparseSet`'s `promote:`). */
function promote(o: HllString, index: number, count: number): number {
  if (!sparseToDense(o)) return -1;
  return denseSet(o.buf.subarray(0, HLL_DENSE_SIZE), HLL_HDR_SIZE, index, count);
}

/**
 * Raises sparse register `index` to `count` if lower (`hllSparseSet`),
 * splitting the opcode that covers it and merging equal neighbours, or
 * promoting the HLL to dense when `count` > 32 or when growing would pass
 * `maxBytes`.
 *
 * @returns 1 when it changed, 0 when not, -1 when the opcodes are invalid
 */
export function sparseSet(o: HllString, index: number, count: number, maxBytes: number): number {
  if (count > SPARSE_VAL_MAX_VALUE) return promote(o, index, count);
  makeRoom(o, 3);
  const b = o.buf;
  const sparse = HLL_HDR_SIZE;
  let p = sparse;
  let end = o.len;
  let first = 0;
  let prev = -1;
  let span = 0;
  while (p < end) {
    const op = b[p]!;
    let oplen = 1;
    if (isZero(op)) span = zeroLen(op);
    else if (isVal(op)) span = valLen(op);
    else {
      span = xzeroLen(op, b[p + 1]!);
      oplen = 2;
    }
    if (index <= first + span - 1) break;
    prev = p;
    p += oplen;
    first += span;
  }
  if (span === 0 || p >= end) return -1;
  const op = b[p]!;
  let next = isXzero(op) ? p + 2 : p + 1;
  if (next >= end) next = -1;
  const zero = isZero(op);
  const xzero = isXzero(op);
  const runlen = zero ? zeroLen(op) : xzero ? xzeroLen(op, b[p + 1]!) : valLen(op);
  let simple = false;
  if (!zero && !xzero) {
    if (valValue(op) >= count) return 0;
    if (runlen === 1) simple = true;
  }
  if (zero && runlen === 1) simple = true;
  if (simple) {
    b[p] = valOp(count, 1);
  } else {
    const seq: number[] = [];
    let n = 0;
    const last = first + span - 1;
    if (zero || xzero) {
      if (index !== first) n = zeroRun(seq, n, index - first);
      seq[n++] = valOp(count, 1);
      if (index !== last) n = zeroRun(seq, n, last - index);
    } else {
      const curval = valValue(op);
      if (index !== first) seq[n++] = valOp(curval, index - first);
      seq[n++] = valOp(count, 1);
      if (index !== last) seq[n++] = valOp(curval, last - index);
    }
    const deltalen = n - (xzero ? 2 : 1);
    if (deltalen > 0 && o.len + deltalen > maxBytes) return promote(o, index, count);
    if (deltalen !== 0 && next !== -1) b.copyWithin(next + deltalen, next, end);
    setLen(o, o.len + deltalen);
    for (let i = 0; i < n; i++) b[p + i] = seq[i]!;
    end += deltalen;
  }
  // Merge adjacent VAL opcodes of the same value, scanning up to 5 opcodes from prev.
  p = prev >= 0 ? prev : sparse;
  let scanlen = 5;
  while (p < end && scanlen-- !== 0) {
    const op1 = b[p]!;
    if (isXzero(op1)) {
      p += 2;
      continue;
    }
    if (isZero(op1)) {
      p++;
      continue;
    }
    if (p + 1 < end && isVal(b[p + 1]!)) {
      const v1 = valValue(op1);
      if (v1 === valValue(b[p + 1]!)) {
        const len = valLen(op1) + valLen(b[p + 1]!);
        if (len <= SPARSE_VAL_MAX_LEN) {
          b[p + 1] = valOp(v1, len);
          b.copyWithin(p, p + 1, end + 1);
          setLen(o, o.len - 1);
          end--;
          continue;
        }
      }
    }
    p++;
  }
  invalidateCache(b);
  return 1;
}

/**
 * Adds `ele` to the HLL in `o`, dense or sparse (`hllAdd`).
 *
 * @returns 1 when a register changed, 0 when not, -1 for an invalid HLL
 */
export function hllAdd(o: HllString, ele: Uint8Array, maxBytes: number): number {
  const count = patLen(ele);
  const enc = o.buf[4];
  // The byte after a dense HLL's last is the 0 terminator: reading or keeping it is as C does.
  if (enc === HLL_DENSE) return denseSet(o.buf, HLL_HDR_SIZE, patIndex, count);
  if (enc === HLL_SPARSE) return sparseSet(o, patIndex, count, maxBytes);
  return -1;
}

// ---------------------------------------------------------------- header and validity

/** Marks the cached cardinality invalid (`HLL_INVALIDATE_CACHE`). */
export function invalidateCache(p: Uint8Array): void {
  p[CARD_LAST] = p[CARD_LAST]! | 0x80;
}

/** Whether the cached cardinality is valid (`HLL_VALID_CACHE`). */
export function validCache(p: Uint8Array): boolean {
  return (p[CARD_LAST]! & 0x80) === 0;
}

/**
 * Whether the string `v` is a HyperLogLog (`isHLLObjectOrReply` without the
 * type check): at least a header, `HYLL`, a known encoding, and a dense one
 * exactly 12304 bytes long.
 */
export function isHll(v: Uint8Array): boolean {
  if (v.length < HLL_HDR_SIZE) return false;
  if (v[0] !== 0x48 || v[1] !== 0x59 || v[2] !== 0x4c || v[3] !== 0x4c) return false;
  if (v[4]! > HLL_MAX_ENCODING) return false;
  return v[4] !== HLL_DENSE || v.length === HLL_DENSE_SIZE;
}

// ---------------------------------------------------------------- count and merge

/** Register histogram of the dense registers of `p` (`hllDenseRegHisto`), 16 registers per 12 bytes. */
function denseHisto(p: Uint8Array, histo: Int32Array): void {
  let r = HLL_HDR_SIZE;
  for (let j = 0; j < 1024; j++, r += 12) {
    const b0 = p[r]!;
    const b1 = p[r + 1]!;
    const b2 = p[r + 2]!;
    const b3 = p[r + 3]!;
    const b4 = p[r + 4]!;
    const b5 = p[r + 5]!;
    const b6 = p[r + 6]!;
    const b7 = p[r + 7]!;
    const b8 = p[r + 8]!;
    const b9 = p[r + 9]!;
    const b10 = p[r + 10]!;
    const b11 = p[r + 11]!;
    histo[b0 & 63]!++;
    histo[((b0 >> 6) | (b1 << 2)) & 63]!++;
    histo[((b1 >> 4) | (b2 << 4)) & 63]!++;
    histo[(b2 >> 2) & 63]!++;
    histo[b3 & 63]!++;
    histo[((b3 >> 6) | (b4 << 2)) & 63]!++;
    histo[((b4 >> 4) | (b5 << 4)) & 63]!++;
    histo[(b5 >> 2) & 63]!++;
    histo[b6 & 63]!++;
    histo[((b6 >> 6) | (b7 << 2)) & 63]!++;
    histo[((b7 >> 4) | (b8 << 4)) & 63]!++;
    histo[(b8 >> 2) & 63]!++;
    histo[b9 & 63]!++;
    histo[((b9 >> 6) | (b10 << 2)) & 63]!++;
    histo[((b10 >> 4) | (b11 << 4)) & 63]!++;
    histo[(b11 >> 2) & 63]!++;
  }
}

/** Register histogram of sparse opcodes (`hllSparseRegHisto`); false when they do not cover 16384 registers. */
function sparseHisto(p: Uint8Array, histo: Int32Array): boolean {
  let idx = 0;
  let i = HLL_HDR_SIZE;
  const end = p.length;
  while (i < end) {
    const op = p[i]!;
    if (isZero(op)) {
      const n = zeroLen(op);
      if (n + idx > HLL_REGISTERS) return false;
      idx += n;
      histo[0]! += n;
      i++;
    } else if (isXzero(op)) {
      const n = xzeroLen(op, i + 1 < end ? p[i + 1]! : 0);
      if (n + idx > HLL_REGISTERS) return false;
      idx += n;
      histo[0]! += n;
      i += 2;
    } else {
      const n = valLen(op);
      if (n + idx > HLL_REGISTERS) return false;
      idx += n;
      histo[valValue(op)]! += n;
      i++;
    }
  }
  return idx === HLL_REGISTERS;
}

/** Ertl's sigma (`hllSigma`). */
function sigma(x: number): number {
  if (x === 1) return Number.POSITIVE_INFINITY;
  let zPrime: number;
  let y = 1;
  let z = x;
  do {
    x *= x;
    zPrime = z;
    z += x * y;
    y += y;
  } while (zPrime !== z);
  return z;
}

/** Ertl's tau (`hllTau`). */
function tau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let zPrime: number;
  let y = 1.0;
  let z = 1 - x;
  do {
    x = Math.sqrt(x);
    zPrime = z;
    y *= 0.5;
    const d = 1 - x;
    z -= d * d * y;
  } while (zPrime !== z);
  return z / 3;
}

/**
 * The estimate from a register histogram (`hllCount`'s second half):
 * `llroundl(alpha·m²/z)`, as an unsigned 64-bit integer (2^63 when z is 0,
 * as x86's `llroundl` of infinity gives).
 */
function estimate(histo: Int32Array): bigint {
  const m = HLL_REGISTERS;
  let z = m * tau((m - histo[HLL_Q + 1]!) / m);
  for (let j = HLL_Q; j >= 1; --j) {
    z += histo[j]!;
    z *= 0.5;
  }
  z += m * sigma(histo[0]! / m);
  const e = (HLL_ALPHA_INF * m * m) / z;
  if (!Number.isFinite(e) || e >= 2 ** 63) return 1n << 63n;
  return BigInt(Math.round(e));
}

/**
 * The cardinality estimate of the HLL string `p` (dense or sparse), or null
 * for sparse opcodes that do not cover 16384 registers (`hllCount`).
 */
export function hllCount(p: Uint8Array): bigint | null {
  const histo = new Int32Array(64);
  if (p[4] === HLL_DENSE) denseHisto(p, histo);
  else if (!sparseHisto(p, histo)) return null;
  return estimate(histo);
}

/** The estimate of raw registers, one byte each (`hllCount` with `HLL_RAW`): multi-key PFCOUNT. */
export function rawCount(max: Uint8Array): bigint {
  const histo = new Int32Array(64);
  for (let i = 0; i < HLL_REGISTERS; i++) histo[max[i]!]!++;
  return estimate(histo);
}

/**
 * Raises `max[i]` to register i of the HLL string `p` (`hllMerge`).
 *
 * @returns false for sparse opcodes that do not cover 16384 registers
 */
export function hllMerge(max: Uint8Array, p: Uint8Array): boolean {
  if (p[4] === HLL_DENSE) {
    for (let i = 0; i < HLL_REGISTERS; i++) {
      const v = denseGet(p, HLL_HDR_SIZE, i);
      if (v > max[i]!) max[i] = v;
    }
    return true;
  }
  let i = 0;
  let q = HLL_HDR_SIZE;
  const end = p.length;
  while (q < end) {
    const op = p[q]!;
    if (isZero(op)) {
      const runlen = zeroLen(op);
      if (runlen + i > HLL_REGISTERS) return false;
      i += runlen;
      q++;
    } else if (isXzero(op)) {
      const runlen = xzeroLen(op, q + 1 < end ? p[q + 1]! : 0);
      if (runlen + i > HLL_REGISTERS) return false;
      i += runlen;
      q += 2;
    } else {
      let runlen = valLen(op);
      const regval = valValue(op);
      if (runlen + i > HLL_REGISTERS) return false;
      while (runlen--) {
        if (regval > max[i]!) max[i] = regval;
        i++;
      }
      q++;
    }
  }
  return i === HLL_REGISTERS;
}

/** The cached cardinality of `p` (header bytes 8..15, little endian). */
export function cachedCard(p: Uint8Array): bigint {
  return Buffer.from(p.buffer, p.byteOffset + 8, 8).readBigUInt64LE(0);
}

/** The 8 header bytes that cache cardinality `card`. */
export function cardBytes(card: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt.asUintN(64, card));
  return b;
}

/** PFDEBUG DECODE's text of sparse opcodes: `z:<n>`, `Z:<n>`, `v:<value>,<n>`, space-separated. */
export function decodeSparse(p: Uint8Array): string {
  const out: string[] = [];
  let q = HLL_HDR_SIZE;
  const end = p.length;
  while (q < end) {
    const op = p[q]!;
    if (isZero(op)) {
      out.push(`z:${zeroLen(op)}`);
      q++;
    } else if (isXzero(op)) {
      out.push(`Z:${xzeroLen(op, q + 1 < end ? p[q + 1]! : 0)}`);
      q += 2;
    } else {
      out.push(`v:${valValue(op)},${valLen(op)}`);
      q++;
    }
  }
  return out.join(' ');
}
