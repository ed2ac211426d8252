/**
 * Bitmap commands on ordinary strings, after Redis 7.0's bitops.c: SETBIT,
 * GETBIT, BITCOUNT, BITPOS and BITOP (BITFIELD is in ./bitfield.ts). A
 * string written by SET is a bitmap and a bitmap is a string: bit 0 is the
 * most significant bit of the first byte. A write that reaches past the end
 * zero-pads the string through `Db.resizeString`, which reserves room as
 * APPEND's growth does, so setting increasing bits does not copy the value
 * on every call.
 *
 * Effects logged (docs/FORMAT.md, "Effects"): SETBIT as `SETBIT key offset
 * bit`, only when it created the key, grew it or changed the bit; BITOP as
 * `SET dest <result>`, or `DEL dest` when every source is empty and dest existed.
 *
 * Reference: https://redis.io/docs/latest/commands/?group=bitmap
 */
import { NOTIFY_GENERIC, NOTIFY_NEW, NOTIFY_STRING } from '../config/keyspace-events.js';
import type { CommandContext, CommandSpec } from './context.js';
import { countRead } from './keys.js';
import { getForRead, lookupStringOrReply } from './strings.js';
import { command, keyAt } from './table.js';
import { ERR, isWord, longOrReply, parseInt64 } from './util.js';

const EMPTY = Buffer.alloc(0);
const BIT_OFFSET = 'ERR bit offset is not an integer or out of range';

/** Set bits of every byte value. */
const POPCOUNT = new Uint8Array(256);
for (let i = 1; i < 256; i++) POPCOUNT[i] = (i & 1) + POPCOUNT[i >> 1]!;

/**
 * Parses a bit offset (bitops.c `getBitOffsetFromArgument`): a 64-bit
 * integer, with `hash` and `bits` > 0 also `#n` meaning n × bits (BITFIELD),
 * not negative and, except in WAL replay, below 8 × `proto-max-bulk-len`.
 * Error: `ERR bit offset is not an integer or out of range`.
 *
 * @returns the offset in bits, or null after replying
 */
export function bitOffsetOrReply(c: CommandContext, arg: Buffer, hash: boolean, bits: number): number | null {
  const useHash = hash && bits > 0 && arg.length > 0 && arg[0] === 0x23;
  let v = parseInt64(useHash ? arg.subarray(1) : arg);
  if (v !== null && useHash) v = BigInt.asIntN(64, v * BigInt(bits));
  if (v === null || v < 0n || (!c.server.replaying && v >> 3n >= BigInt(c.server.config.get('proto-max-bulk-len')))) {
    c.reply.error(BIT_OFFSET);
    return null;
  }
  return Number(v);
}

/**
 * The slot of the string at `key`, created empty when absent, with at least
 * `bytes` bytes (zero-padded) for a bit write (bitops.c
 * `lookupStringForBitCommand`).
 *
 * @returns the slot and whether the key was created or grew, or null after replying WRONGTYPE
 */
export function stringForBitWrite(
  c: CommandContext,
  key: Buffer,
  bytes: number,
): { slot: number; created: boolean; grown: boolean } | null {
  const db = c.db;
  let slot = lookupStringOrReply(c, db, key);
  if (slot === -2) return null;
  const created = slot === -1;
  if (created) {
    db.setString(key, EMPTY, 0, -1);
    slot = db.findSlot(key);
  }
  const grown = db.valueLength(slot) < bytes;
  if (grown) db.resizeString(slot, bytes);
  return { slot, created, grown };
}

/** SETBIT key offset value: replies the bit's old value. */
function setbitCommand(c: CommandContext, argv: Buffer[]): void {
  const offset = bitOffsetOrReply(c, argv[2]!, false, 0);
  if (offset === null) return;
  const on = longOrReply(c, argv[3]!, 'ERR bit is not an integer or out of range');
  if (on === null) return;
  if (on !== 0 && on !== 1) return c.reply.error('ERR bit is not an integer or out of range');
  const key = argv[1]!;
  const byte = Math.floor(offset / 8);
  const s = stringForBitWrite(c, key, byte + 1);
  if (s === null) return;
  const mask = 1 << (7 - (offset & 7));
  const old = (c.db.value(s.slot)[byte]! & mask) !== 0 ? 1 : 0;
  if (s.created || s.grown || old !== on) {
    const view = c.db.resizeString(s.slot, c.db.valueLength(s.slot));
    view[byte] = on === 1 ? view[byte]! | mask : view[byte]! & ~mask;
    c.server.propagate(c.dbIndex, ['SETBIT', key, String(offset), String(on)]);
    if (s.created) c.server.notify(NOTIFY_NEW, 'new', key, c.dbIndex);
    c.server.notify(NOTIFY_STRING, 'setbit', key, c.dbIndex);
  }
  c.reply.int(old);
}

/** GETBIT key offset: 0 past the end or for a missing key. */
function getbitCommand(c: CommandContext, argv: Buffer[]): void {
  const offset = bitOffsetOrReply(c, argv[2]!, false, 0);
  if (offset === null) return;
  const slot = getForRead(c, argv[1]!);
  if (slot === -2) return;
  if (slot === -1) return c.reply.int(0);
  const v = c.db.value(slot);
  const byte = Math.floor(offset / 8);
  c.reply.int(byte < v.length && (v[byte]! & (1 << (7 - (offset & 7)))) !== 0 ? 1 : 0);
}

/** Number of set bits in `p[start..end]`. */
function popcount(p: Uint8Array, start: number, end: number): number {
  let n = 0;
  for (let i = start; i <= end; i++) n += POPCOUNT[p[i]!]!;
  return n;
}

/** A 64-bit integer argument, or null after replying `ERR value is not an integer or out of range`. */
function int64OrReply(c: CommandContext, arg: Buffer): bigint | null {
  const v = parseInt64(arg);
  if (v === null) c.reply.error(ERR.notInteger);
  return v;
}

/** An index as a number, clamped to ±2^60: far beyond any string's bit length, where only the sign matters. */
function clampIndex(v: bigint): number {
  return Number(v > 1n << 60n ? 1n << 60n : v < -(1n << 60n) ? -(1n << 60n) : v);
}

/** BYTE or BIT (BITCOUNT, BITPOS): true for BIT, null after replying `ERR syntax error`. */
function unitOrReply(c: CommandContext, arg: Buffer): boolean | null {
  if (isWord(arg, 'BIT')) return true;
  if (isWord(arg, 'BYTE')) return false;
  c.reply.error(ERR.syntax);
  return null;
}

/**
 * A range over a string of `len` bytes in bytes or bits, clamped as bitops.c
 * does: `start`, `end` in bytes and the masks of the bits outside the range
 * in its first and last byte.
 */
interface BitRange {
  start: number;
  end: number;
  firstMask: number;
  lastMask: number;
}

function clampRange(len: number, start0: number, end0: number, isBit: boolean): BitRange {
  const total = isBit ? len * 8 : len;
  let start = start0 < 0 ? total + start0 : start0;
  let end = end0 < 0 ? total + end0 : end0;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= total) end = total - 1;
  let firstMask = 0;
  let lastMask = 0;
  if (isBit && start <= end) {
    firstMask = ~((1 << (8 - (start & 7))) - 1) & 0xff;
    lastMask = (1 << (7 - (end & 7))) - 1;
    start = Math.floor(start / 8);
    end = Math.floor(end / 8);
  }
  return { start, end, firstMask, lastMask };
}

/** BITCOUNT key [start end [BYTE | BIT]] (bitops.c `bitcountCommand`). */
function bitcountCommand(c: CommandContext, argv: Buffer[]): void {
  const slot = getForRead(c, argv[1]!);
  if (slot === -2) return;
  if (slot === -1) return c.reply.int(0);
  const p = c.db.value(slot);
  let r: BitRange;
  if (argv.length === 4 || argv.length === 5) {
    const start = int64OrReply(c, argv[2]!);
    if (start === null) return;
    const end = int64OrReply(c, argv[3]!);
    if (end === null) return;
    if (start < 0n && end < 0n && start > end) return c.reply.int(0);
    const isBit = argv.length === 5 ? unitOrReply(c, argv[4]!) : false;
    if (isBit === null) return;
    r = clampRange(p.length, clampIndex(start), clampIndex(end), isBit);
  } else if (argv.length === 2) {
    r = { start: 0, end: p.length - 1, firstMask: 0, lastMask: 0 };
  } else {
    return c.reply.error(ERR.syntax);
  }
  if (r.start > r.end) return c.reply.int(0);
  let n = popcount(p, r.start, r.end);
  if (r.firstMask !== 0) n -= POPCOUNT[p[r.start]! & r.firstMask]!;
  if (r.lastMask !== 0) n -= POPCOUNT[p[r.end]! & r.lastMask]!;
  c.reply.int(n);
}

/**
 * The position of the first bit equal to `bit` in `count` bytes of `p` from
 * `start`, bytes past them read as zeros (bitops.c `redisBitpos`): -1 when
 * looking for a 1 and there is none, `count` × 8 when looking for a 0 and
 * there is none.
 */
function bitpos(p: Uint8Array, start: number, count: number, bit: number): number {
  const skip = bit === 1 ? 0 : 0xff;
  for (let i = 0; i < count; i++) {
    const b = p[start + i]!;
    if (b === skip) continue;
    for (let k = 0; k < 8; k++) if (((b >> (7 - k)) & 1) === bit) return i * 8 + k;
  }
  return bit === 1 ? -1 : count * 8;
}

/**
 * Searches `r` for the first `bit` as bitops.c `bitposCommand` does: the
 * masked first byte, the whole bytes, then the masked last byte.
 *
 * @returns `bitpos`'s result for the part searched last, where that part
 *   starts (`start`, bytes) and how many bytes it has
 */
function searchRange(p: Uint8Array, r: BitRange, bit: number): { pos: number; start: number; bytes: number } {
  let start = r.start;
  let bytes = r.end - r.start + 1;
  if (r.firstMask !== 0) {
    let t = bit === 1 ? p[start]! & ~r.firstMask : p[start]! | r.firstMask;
    if (r.lastMask !== 0 && bytes === 1) t = bit === 1 ? t & ~r.lastMask : t | r.lastMask;
    const pos = bitpos(Uint8Array.of(t & 0xff), 0, 1, bit);
    if (bytes === 1 || (pos !== -1 && pos !== 8)) return { pos, start, bytes };
    start++;
    bytes--;
  }
  const cur = bytes - (r.lastMask !== 0 ? 1 : 0);
  if (cur > 0) {
    const pos = bitpos(p, start, cur, bit);
    if (bytes === cur || (pos !== -1 && pos !== cur * 8)) return { pos, start, bytes };
    start += cur;
    bytes -= cur;
  }
  const t = bit === 1 ? p[r.end]! & ~r.lastMask : p[r.end]! | r.lastMask;
  return { pos: bitpos(Uint8Array.of(t & 0xff), 0, 1, bit), start, bytes };
}

/** BITPOS key bit [start [end [BYTE | BIT]]] (bitops.c `bitposCommand`). */
function bitposCommand(c: CommandContext, argv: Buffer[]): void {
  const bit = longOrReply(c, argv[2]!);
  if (bit === null) return;
  if (bit !== 0 && bit !== 1) return c.reply.error('ERR The bit argument must be 1 or 0.');
  const slot = lookupStringOrReply(c, c.db, argv[1]!);
  if (slot === -2) return;
  countRead(c, argv[1]!, slot);
  if (slot === -1) return c.reply.int(bit === 1 ? -1 : 0);
  const p = c.db.value(slot);
  let r: BitRange;
  let endGiven = false;
  if (argv.length >= 4 && argv.length <= 6) {
    const start = int64OrReply(c, argv[3]!);
    if (start === null) return;
    const isBit = argv.length === 6 ? unitOrReply(c, argv[5]!) : false;
    if (isBit === null) return;
    let end: number;
    if (argv.length >= 5) {
      const e = int64OrReply(c, argv[4]!);
      if (e === null) return;
      end = clampIndex(e);
      endGiven = true;
    } else {
      end = isBit ? p.length * 8 + 7 : p.length - 1;
    }
    r = clampRange(p.length, clampIndex(start), end, isBit);
  } else if (argv.length === 3) {
    r = { start: 0, end: p.length - 1, firstMask: 0, lastMask: 0 };
  } else {
    return c.reply.error(ERR.syntax);
  }
  if (r.start > r.end) return c.reply.int(-1);
  const { pos, start, bytes } = searchRange(p, r, bit);
  if (endGiven && bit === 0 && pos === bytes * 8) return c.reply.int(-1);
  c.reply.int(pos === -1 ? -1 : pos + start * 8);
}

const AND = 0;
const OR = 1;
const XOR = 2;
const NOT = 3;

/** BITOP AND | OR | XOR | NOT destkey key [key ...]: replies the result's length in bytes. */
function bitopCommand(c: CommandContext, argv: Buffer[]): void {
  const name = argv[1]!;
  let op: number;
  if (isWord(name, 'AND')) op = AND;
  else if (isWord(name, 'OR')) op = OR;
  else if (isWord(name, 'XOR')) op = XOR;
  else if (isWord(name, 'NOT')) op = NOT;
  else return c.reply.error(ERR.syntax);
  if (op === NOT && argv.length !== 4) return c.reply.error('ERR BITOP NOT must be called with a single source key.');
  const db = c.db;
  const srcs: Buffer[] = [];
  let maxlen = 0;
  for (let j = 3; j < argv.length; j++) {
    const slot = getForRead(c, argv[j]!);
    if (slot === -2) return;
    const v = slot === -1 ? EMPTY : db.value(slot);
    srcs.push(v);
    if (v.length > maxlen) maxlen = v.length;
  }
  const dest = argv[2]!;
  if (maxlen === 0) {
    if (db.delete(dest)) {
      c.server.propagate(c.dbIndex, ['DEL', dest]);
      c.server.notify(NOTIFY_GENERIC, 'del', dest, c.dbIndex);
    }
    return c.reply.int(0);
  }
  const res = Buffer.alloc(maxlen);
  const first = srcs[0]!;
  res.set(first);
  if (op === NOT) {
    for (let i = 0; i < maxlen; i++) res[i] = ~res[i]! & 0xff;
  } else {
    for (let k = 1; k < srcs.length; k++) {
      const s = srcs[k]!;
      const n = s.length;
      if (op === AND) {
        for (let i = 0; i < maxlen; i++) res[i] = i < n ? res[i]! & s[i]! : 0;
      } else if (op === OR) {
        for (let i = 0; i < n; i++) res[i] = res[i]! | s[i]!;
      } else {
        for (let i = 0; i < n; i++) res[i] = res[i]! ^ s[i]!;
      }
    }
  }
  const existed = db.lookup(dest) >= 0;
  db.setString(dest, res, 0);
  c.server.propagate(c.dbIndex, ['SET', dest, res]);
  if (!existed) c.server.notify(NOTIFY_NEW, 'new', dest, c.dbIndex);
  c.server.notify(NOTIFY_STRING, 'set', dest, c.dbIndex);
  c.reply.int(maxlen);
}

/** The bitmap family's table entries (BITFIELD's are in ./bitfield.ts). */
export const bitmapCommands: CommandSpec[] = [
  command({
    name: 'setbit',
    arity: 4,
    flags: ['write', 'denyoom'],
    keys: [keyAt(1, ['RW', 'access', 'update'])],
    group: 'bitmap',
    since: '2.2.0',
    complexity: 'O(1)',
    summary: 'Sets or clears the bit at offset in the string value stored at key',
    handler: setbitCommand,
  }),
  command({
    name: 'getbit',
    arity: 3,
    flags: ['readonly', 'fast'],
    keys: [keyAt(1, ['RO', 'access'])],
    group: 'bitmap',
    since: '2.2.0',
    complexity: 'O(1)',
    summary: 'Returns the bit value at offset in the string value stored at key',
    handler: getbitCommand,
  }),
  command({
    name: 'bitcount',
    arity: -2,
    flags: ['readonly'],
    keys: [keyAt(1, ['RO', 'access'])],
    group: 'bitmap',
    since: '2.6.0',
    complexity: 'O(N)',
    summary: 'Count set bits in a string',
    handler: bitcountCommand,
  }),
  command({
    name: 'bitpos',
    arity: -3,
    flags: ['readonly'],
    keys: [keyAt(1, ['RO', 'access'])],
    group: 'bitmap',
    since: '2.8.7',
    complexity: 'O(N)',
    summary: 'Find first bit set or clear in a string',
    handler: bitposCommand,
  }),
  command({
    name: 'bitop',
    arity: -4,
    flags: ['write', 'denyoom'],
    keys: [keyAt(2, ['OW', 'update']), keyAt(3, ['RO', 'access'], -1)],
    group: 'bitmap',
    since: '2.6.0',
    complexity: 'O(N)',
    summary: 'Perform bitwise operations between strings',
    handler: bitopCommand,
  }),
];
