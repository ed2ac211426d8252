/**
 * Validating decoders for the packed encodings Redis nests inside RDB
 * strings: ziplist (src/ziplist.c), listpack (src/listpack.c), intset
 * (src/intset.c) and zipmap (src/zipmap.c), and a listpack encoder.
 *
 * Each decoder checks what Redis's `*ValidateIntegrity(..., deep=1)` checks
 * (header byte counts, every entry inside the blob, prevlen/backlen
 * consistency, the terminator, the declared count) and throws RdbError with
 * `offset + position` on anything wrong. They parse untrusted RESTORE
 * payloads: every length is checked against the bytes that remain before it
 * is used. Elements come back as latin1 strings, integers as decimal text.
 */
import { RdbError } from './types.js';

function bad(what: string, message: string, offset: number): never {
  throw new RdbError(`${what}: ${message}`, offset);
}

/** Decimal text of the signed 64-bit little-endian integer at `p`. */
function int64Text(buf: Buffer, p: number): string {
  const hi = buf.readInt32LE(p + 4);
  const lo = buf.readUInt32LE(p);
  if (hi >= -0x200000 && hi < 0x200000) return String(hi * 0x100000000 + lo);
  return buf.readBigInt64LE(p).toString();
}

/**
 * The entries of a ziplist (RDB types 10, 12, 13 and the nodes of type 14).
 * `offset` is the blob's position in its file or payload, for errors.
 */
export function ziplistEntries(buf: Buffer, offset: number): string[] {
  const W = 'ziplist';
  const size = buf.length;
  if (size < 11) bad(W, 'shorter than its header', offset);
  const zlbytes = buf.readUInt32LE(0);
  if (zlbytes !== size) bad(W, `header says ${zlbytes} bytes, blob has ${size}`, offset);
  const tail = buf.readUInt32LE(4);
  const zllen = buf.readUInt16LE(8);
  if (buf[size - 1] !== 0xff) bad(W, 'no terminator', offset + size - 1);
  if (tail > size - 1) bad(W, 'tail offset outside the blob', offset + 4);
  const out: string[] = [];
  let p = 10;
  let prevLen = 0;
  let lastStart = 10;
  const end = size - 1;
  while (p < end) {
    const start = p;
    let prev = buf[p]!;
    if (prev === 0xfe) {
      if (p + 5 > end) bad(W, 'entry header outside the blob', offset + p);
      prev = buf.readUInt32LE(p + 1);
      p += 5;
    } else if (prev === 0xff) {
      bad(W, 'terminator inside the entries', offset + p);
    } else {
      p += 1;
    }
    if (prev !== prevLen)
      bad(W, `prevlen ${prev} does not match the previous entry's ${prevLen} bytes`, offset + start);
    if (p >= end) bad(W, 'entry header outside the blob', offset + p);
    const e = buf[p]!;
    const kind = e >> 6;
    let value: string;
    if (kind < 3) {
      let len: number;
      if (kind === 0) {
        len = e & 0x3f;
        p += 1;
      } else if (kind === 1) {
        if (p + 2 > end) bad(W, 'entry header outside the blob', offset + p);
        len = ((e & 0x3f) << 8) | buf[p + 1]!;
        p += 2;
      } else {
        if (p + 5 > end) bad(W, 'entry header outside the blob', offset + p);
        len = buf.readUInt32BE(p + 1);
        p += 5;
      }
      if (len > end - p) bad(W, 'entry outside the blob', offset + p);
      value = buf.toString('latin1', p, p + len);
      p += len;
    } else {
      p += 1;
      let n: number;
      if (e === 0xc0) n = 2;
      else if (e === 0xd0) n = 4;
      else if (e === 0xe0) n = 8;
      else if (e === 0xf0) n = 3;
      else if (e === 0xfe) n = 1;
      else if (e >= 0xf1 && e <= 0xfd) n = 0;
      else bad(W, `invalid entry encoding 0x${e.toString(16)}`, offset + p - 1);
      if (n > end - p) bad(W, 'entry outside the blob', offset + p);
      if (n === 0) value = String((e & 0x0f) - 1);
      else if (n === 1) value = String(buf.readInt8(p));
      else if (n === 2) value = String(buf.readInt16LE(p));
      else if (n === 3) value = String(buf.readIntLE(p, 3));
      else if (n === 4) value = String(buf.readInt32LE(p));
      else value = int64Text(buf, p);
      p += n;
    }
    out.push(value);
    prevLen = p - start;
    lastStart = start;
  }
  if (tail !== lastStart) bad(W, `tail offset ${tail} is not the last entry's ${lastStart}`, offset + 4);
  if (zllen !== 0xffff && zllen !== out.length) bad(W, `header says ${zllen} entries, found ${out.length}`, offset + 8);
  return out;
}

/** Bytes the listpack back-length of an entry of `l` bytes takes (lpEncodeBacklen). */
function backlenSize(l: number): number {
  if (l <= 127) return 1;
  if (l < 16383) return 2;
  if (l < 2097151) return 3;
  if (l < 268435455) return 4;
  return 5;
}

/**
 * The entries of a listpack (RDB types 16, 17, 20, the nodes of 18 and the
 * stream listpacks). `offset` is the blob's position, for errors.
 * `checkCount: false` skips the header's element count, as
 * streamValidateListpackIntegrity does.
 */
export function listpackEntries(buf: Buffer, offset: number, opts: { checkCount?: boolean } = {}): string[] {
  const W = 'listpack';
  const size = buf.length;
  if (size < 7) bad(W, 'shorter than its header', offset);
  const total = buf.readUInt32LE(0);
  if (total !== size) bad(W, `header says ${total} bytes, blob has ${size}`, offset);
  const numele = buf.readUInt16LE(4);
  if (buf[size - 1] !== 0xff) bad(W, 'no terminator', offset + size - 1);
  const out: string[] = [];
  const end = size - 1;
  let p = 6;
  while (p < end) {
    const start = p;
    const b = buf[p]!;
    let value: string;
    if (b < 0x80) {
      value = String(b);
      p += 1;
    } else if (b < 0xc0) {
      const len = b & 0x3f;
      if (len > end - p - 1) bad(W, 'entry outside the blob', offset + p);
      value = buf.toString('latin1', p + 1, p + 1 + len);
      p += 1 + len;
    } else if (b < 0xe0) {
      if (p + 2 > end) bad(W, 'entry outside the blob', offset + p);
      const v = ((b & 0x1f) << 8) | buf[p + 1]!;
      value = String(v >= 4096 ? v - 8192 : v);
      p += 2;
    } else if (b < 0xf0) {
      if (p + 2 > end) bad(W, 'entry outside the blob', offset + p);
      const len = ((b & 0x0f) << 8) | buf[p + 1]!;
      if (len > end - p - 2) bad(W, 'entry outside the blob', offset + p);
      value = buf.toString('latin1', p + 2, p + 2 + len);
      p += 2 + len;
    } else if (b === 0xf0) {
      if (p + 5 > end) bad(W, 'entry outside the blob', offset + p);
      const len = buf.readUInt32LE(p + 1);
      if (len > end - p - 5) bad(W, 'entry outside the blob', offset + p);
      value = buf.toString('latin1', p + 5, p + 5 + len);
      p += 5 + len;
    } else if (b >= 0xf1 && b <= 0xf4) {
      const n = b === 0xf1 ? 2 : b === 0xf2 ? 3 : b === 0xf3 ? 4 : 8;
      if (p + 1 + n > end) bad(W, 'entry outside the blob', offset + p);
      if (n === 2) value = String(buf.readInt16LE(p + 1));
      else if (n === 3) value = String(buf.readIntLE(p + 1, 3));
      else if (n === 4) value = String(buf.readInt32LE(p + 1));
      else value = int64Text(buf, p + 1);
      p += 1 + n;
    } else if (b === 0xff) {
      bad(W, 'terminator inside the entries', offset + p);
    } else {
      bad(W, `invalid entry encoding 0x${b.toString(16)}`, offset + p);
    }
    const l = p - start;
    const bl = backlenSize(l);
    if (bl > end - p) bad(W, 'entry back-length outside the blob', offset + p);
    // lpDecodeBacklen reads right to left from the last byte: 7 bits a byte, high bit = more to the left,
    // at most 5 bytes; lpValidateNext compares only the value it decodes.
    let v = 0;
    let mul = 1;
    let q = p + bl - 1;
    for (let k = 0; ; k++) {
      const c = buf[q]!;
      v += (c & 127) * mul;
      if (!(c & 128)) break;
      mul *= 128;
      q--;
      if (k === 4 || q < 0) bad(W, 'entry back-length is malformed', offset + p);
    }
    if (v !== l) bad(W, `entry back-length ${v} does not match its ${l} bytes`, offset + p);
    p += bl;
    out.push(value);
  }
  if (opts.checkCount !== false && numele !== 0xffff && numele !== out.length) {
    bad(W, `header says ${numele} entries, found ${out.length}`, offset + 4);
  }
  return out;
}

/** The members of an intset (RDB type 11), ascending. `offset` is the blob's position, for errors. */
export function intsetMembers(buf: Buffer, offset: number): string[] {
  const W = 'intset';
  if (buf.length < 8) bad(W, 'shorter than its header', offset);
  const enc = buf.readUInt32LE(0);
  if (enc !== 2 && enc !== 4 && enc !== 8) bad(W, `invalid encoding ${enc}`, offset);
  const count = buf.readUInt32LE(4);
  if (8 + count * enc !== buf.length) bad(W, `header says ${count} members, blob has ${buf.length} bytes`, offset + 4);
  if (count === 0) bad(W, 'empty', offset + 4);
  const out: string[] = new Array(count);
  let prev: bigint | number | null = null;
  for (let i = 0; i < count; i++) {
    const p = 8 + i * enc;
    const v: number | bigint = enc === 2 ? buf.readInt16LE(p) : enc === 4 ? buf.readInt32LE(p) : buf.readBigInt64LE(p);
    if (prev !== null && v <= prev) bad(W, 'members not in strictly ascending order', offset + p);
    prev = v;
    out[i] = String(v);
  }
  return out;
}

/**
 * The field/value pairs of a zipmap (RDB type 9), flattened: field, value,
 * field, value... `offset` is the blob's position, for errors.
 */
export function zipmapPairs(buf: Buffer, offset: number): string[] {
  const W = 'zipmap';
  const size = buf.length;
  if (size < 2) bad(W, 'shorter than its header', offset);
  if (buf[size - 1] !== 0xff) bad(W, 'no terminator', offset + size - 1);
  const last = size - 1;
  const out: string[] = [];
  let p = 1;
  const readLen = (): number => {
    if (p > last) bad(W, 'entry outside the blob', offset + p);
    const b = buf[p]!;
    if (b < 254) {
      p += 1;
      return b;
    }
    if (b === 255) bad(W, 'terminator inside an entry', offset + p);
    if (p + 5 > last) bad(W, 'entry outside the blob', offset + p);
    const l = buf.readUInt32LE(p + 1);
    p += 5;
    return l;
  };
  while (p <= last && buf[p] !== 0xff) {
    const kl = readLen();
    if (kl > last - p) bad(W, 'entry outside the blob', offset + p);
    const key = buf.toString('latin1', p, p + kl);
    p += kl;
    const vl = readLen();
    if (p >= last) bad(W, 'entry outside the blob', offset + p);
    const free = buf[p]!;
    p += 1;
    if (vl + free > last - p) bad(W, 'entry outside the blob', offset + p);
    out.push(key, buf.toString('latin1', p, p + vl));
    p += vl + free;
  }
  if (p !== last) bad(W, 'terminator before the end of the blob', offset + p);
  const count = out.length / 2;
  if (count === 0) bad(W, 'empty', offset);
  if (buf[0] !== 254 && buf[0] !== count) bad(W, `header says ${buf[0]} pairs, found ${count}`, offset);
  return out;
}

/**
 * The integer `s` stands for when Redis's lpStringToInt64 accepts it (a
 * canonical decimal in the signed 64-bit range: no sign but `-`, no leading
 * zeros, not "-0"), else null.
 */
export function canonicalInt(s: string): bigint | number | null {
  const n = s.length;
  if (n === 0 || n > 20) return null;
  let i = 0;
  if (s.charCodeAt(0) === 45) {
    i = 1;
    if (n === 1) return null;
  }
  const first = s.charCodeAt(i);
  if (first === 48) return n === 1 ? 0 : null;
  for (let k = i; k < n; k++) {
    const c = s.charCodeAt(k);
    if (c < 48 || c > 57) return null;
  }
  if (n <= 15) return Number(s);
  const v = BigInt(s);
  if (v > 9223372036854775807n || v < -9223372036854775808n) return null;
  return v;
}

function backlen(l: number): number[] {
  const bl = backlenSize(l);
  const out: number[] = new Array(bl);
  let v = l;
  for (let i = bl - 1; i >= 0; i--) {
    out[i] = v & 127;
    v = Math.floor(v / 128);
  }
  // Every byte but the first (leftmost) carries the "more to the left" bit.
  for (let i = 1; i < bl; i++) out[i]! |= 128;
  return out;
}

/**
 * A listpack holding `entries` (latin1 strings), with integers encoded as
 * lpAppend encodes them (lpStringToInt64 then the smallest integer form).
 */
export function listpack(entries: string[]): Buffer {
  let body = Buffer.allocUnsafe(256);
  let n = 0;
  const ensure = (k: number): void => {
    if (n + k <= body.length) return;
    const next = Buffer.allocUnsafe(Math.max(body.length * 2, n + k + 64));
    body.copy(next, 0, 0, n);
    body = next;
  };
  for (const e of entries) {
    const start = n;
    const iv = canonicalInt(e);
    ensure(e.length + 16);
    if (iv !== null) {
      const v = Number(iv);
      if (typeof iv === 'number' && v >= 0 && v <= 127) {
        body[n++] = v;
      } else if (typeof iv === 'number' && v >= -4096 && v <= 4095) {
        const u = v < 0 ? v + 8192 : v;
        body[n++] = 0xc0 | (u >> 8);
        body[n++] = u & 0xff;
      } else if (typeof iv === 'number' && v >= -32768 && v <= 32767) {
        body[n++] = 0xf1;
        n = body.writeInt16LE(v, n);
      } else if (typeof iv === 'number' && v >= -8388608 && v <= 8388607) {
        body[n++] = 0xf2;
        n = body.writeIntLE(v, n, 3);
      } else if (typeof iv === 'number' && v >= -2147483648 && v <= 2147483647) {
        body[n++] = 0xf3;
        n = body.writeInt32LE(v, n);
      } else {
        body[n++] = 0xf4;
        n = body.writeBigInt64LE(BigInt(iv), n);
      }
    } else if (e.length < 64) {
      body[n++] = 0x80 | e.length;
      n += body.write(e, n, 'latin1');
    } else if (e.length < 4096) {
      body[n++] = 0xe0 | (e.length >> 8);
      body[n++] = e.length & 0xff;
      n += body.write(e, n, 'latin1');
    } else {
      body[n++] = 0xf0;
      n = body.writeUInt32LE(e.length, n);
      n += body.write(e, n, 'latin1');
    }
    for (const b of backlen(n - start)) body[n++] = b;
  }
  const out = Buffer.allocUnsafe(6 + n + 1);
  out.writeUInt32LE(out.length, 0);
  out.writeUInt16LE(Math.min(entries.length, 0xffff), 4);
  body.copy(out, 6, 0, n);
  out[out.length - 1] = 0xff;
  return out;
}
