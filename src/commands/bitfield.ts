/**
 * BITFIELD and BITFIELD_RO, after Redis 7.0's bitops.c `bitfieldGeneric`:
 * signed (i1..i64) and unsigned (u1..u63) integers at any bit offset of a
 * string (`#n` offsets count in units of the type's width), read with GET,
 * written with SET and INCRBY under the overflow policy in force (OVERFLOW
 * WRAP, SAT or FAIL, WRAP by default; FAIL replies null and writes nothing).
 * Integers are big-endian in bit order: bit 0 is the first byte's most
 * significant bit, as SETBIT numbers them. Arithmetic is done in BigInt,
 * following the C code's int64/uint64 conversions where they show.
 *
 * Effects logged (docs/FORMAT.md, "Effects"): when the command created the
 * key, grew it or changed a value, `SETRANGE key <first written byte> <the
 * bytes from there to the last written byte>`, as they are after all its
 * writes; nothing otherwise.
 *
 * Reference: https://redis.io/docs/latest/commands/bitfield/
 */
import { NOTIFY_NEW, NOTIFY_STRING } from '../config/keyspace-events.js';
import type { CommandContext, CommandSpec, KeySpecFlag } from './context.js';
import { bitOffsetOrReply, stringForBitWrite } from './bitmaps.js';
import { countRead } from './keys.js';
import { lookupStringOrReply } from './strings.js';
import { command, keyAt } from './table.js';
import { ERR, INT64_MAX, isWord, parseInt64 } from './util.js';

const WRAP = 0;
const SAT = 1;
const FAIL = 2;

const GET = 0;
const SET = 1;
const INCRBY = 2;

const TYPE_ERROR = 'ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.';

interface Op {
  readonly opcode: number;
  readonly offset: number;
  readonly value: bigint;
  readonly overflow: number;
  readonly bits: number;
  readonly signed: boolean;
}

/** Reads `bits` bits at bit `offset` of `p` as an unsigned integer; bytes past the end read as zeros. */
function getUnsigned(p: Uint8Array, offset: number, bits: number): bigint {
  let v = 0n;
  for (let j = 0; j < bits; j++) {
    const o = offset + j;
    const byte = p[Math.floor(o / 8)] ?? 0;
    v = (v << 1n) | BigInt((byte >> (7 - (o & 7))) & 1);
  }
  return v;
}

/** Writes the low `bits` bits of `v` at bit `offset` of `p` (which is long enough). */
function setUnsigned(p: Uint8Array, offset: number, bits: number, v: bigint): void {
  for (let j = 0; j < bits; j++) {
    const o = offset + j;
    const i = Math.floor(o / 8);
    const mask = 1 << (7 - (o & 7));
    if ((v >> BigInt(bits - 1 - j)) & 1n) p[i] = p[i]! | mask;
    else p[i] = p[i]! & ~mask;
  }
}

function getSigned(p: Uint8Array, offset: number, bits: number): bigint {
  return BigInt.asIntN(bits, getUnsigned(p, offset, bits));
}

/**
 * Whether `value + incr` fits an unsigned integer of `bits` bits (bitops.c
 * `checkUnsignedBitfieldOverflow`): 0, 1 (overflow) or -1 (underflow), with
 * the value to store under WRAP or SAT.
 */
function checkUnsigned(value: bigint, incr: bigint, bits: number, ow: number): [number, bigint] {
  const max = (1n << BigInt(bits)) - 1n;
  const maxincr = BigInt.asIntN(64, max - value);
  const minincr = BigInt.asIntN(64, -value);
  const wrap = BigInt.asUintN(bits, value + incr);
  if (value > max || (incr > 0n && incr > maxincr)) return [1, ow === WRAP ? wrap : max];
  if (incr < 0n && incr < minincr) return [-1, ow === WRAP ? wrap : 0n];
  return [0, 0n];
}

/** The signed counterpart (bitops.c `checkSignedBitfieldOverflow`), with its int64 wrap-arounds. */
function checkSigned(value: bigint, incr: bigint, bits: number, ow: number): [number, bigint] {
  const max = bits === 64 ? INT64_MAX : (1n << BigInt(bits - 1)) - 1n;
  const min = -max - 1n;
  const maxincr = BigInt.asIntN(64, max - value);
  const minincr = BigInt.asIntN(64, min - value);
  const wrap = BigInt.asIntN(bits, value + incr);
  if (value > max || (bits !== 64 && incr > maxincr) || (value >= 0n && incr > 0n && incr > maxincr)) {
    return [1, ow === WRAP ? wrap : max];
  }
  if (value < min || (bits !== 64 && incr < minincr) || (value < 0n && incr < 0n && incr < minincr)) {
    return [-1, ow === WRAP ? wrap : min];
  }
  return [0, 0n];
}

/** Parses a type `i<1..64>` or `u<1..63>`, or replies the type error. */
function typeOrReply(c: CommandContext, arg: Buffer): { signed: boolean; bits: number } | null {
  const signed = arg[0] === 0x69; // i
  if (!signed && arg[0] !== 0x75) {
    c.reply.error(TYPE_ERROR);
    return null;
  }
  const n = parseInt64(arg.subarray(1));
  if (n === null || n < 1n || n > (signed ? 64n : 63n)) {
    c.reply.error(TYPE_ERROR);
    return null;
  }
  return { signed, bits: Number(n) };
}

/** Parses the subcommands, or replies their first error. */
function opsOrReply(c: CommandContext, argv: Buffer[]): Op[] | null {
  const ops: Op[] = [];
  let overflow = WRAP;
  for (let j = 2; j < argv.length; j++) {
    const rem = argv.length - j - 1;
    const sub = argv[j]!;
    let opcode: number;
    if (isWord(sub, 'GET') && rem >= 2) opcode = GET;
    else if (isWord(sub, 'SET') && rem >= 3) opcode = SET;
    else if (isWord(sub, 'INCRBY') && rem >= 3) opcode = INCRBY;
    else if (isWord(sub, 'OVERFLOW') && rem >= 1) {
      const t = argv[++j]!;
      if (isWord(t, 'WRAP')) overflow = WRAP;
      else if (isWord(t, 'SAT')) overflow = SAT;
      else if (isWord(t, 'FAIL')) overflow = FAIL;
      else {
        c.reply.error('ERR Invalid OVERFLOW type specified');
        return null;
      }
      continue;
    } else {
      c.reply.error(ERR.syntax);
      return null;
    }
    const type = typeOrReply(c, argv[j + 1]!);
    if (type === null) return null;
    const offset = bitOffsetOrReply(c, argv[j + 2]!, true, type.bits);
    if (offset === null) return null;
    let value = 0n;
    if (opcode !== GET) {
      const v = parseInt64(argv[j + 3]!);
      if (v === null) {
        c.reply.error(ERR.notInteger);
        return null;
      }
      value = v;
    }
    ops.push({ opcode, offset, value, overflow, bits: type.bits, signed: type.signed });
    j += opcode === GET ? 2 : 3;
  }
  return ops;
}

/**
 * Runs one SET or INCRBY on the writable string `p`: replies the old value
 * (SET) or the new one (INCRBY), or null when it overflows under FAIL.
 *
 * @returns whether it wrote (false on a FAIL overflow) and whether the value changed
 */
function write(c: CommandContext, p: Buffer, op: Op): { wrote: boolean; changed: boolean } {
  const old = op.signed ? getSigned(p, op.offset, op.bits) : getUnsigned(p, op.offset, op.bits);
  let next: bigint;
  let overflow: number;
  let limit: bigint;
  if (op.opcode === INCRBY) {
    [overflow, limit] = (op.signed ? checkSigned : checkUnsigned)(old, op.value, op.bits, op.overflow);
    next = overflow !== 0 ? limit : old + op.value;
  } else {
    next = op.signed ? op.value : BigInt.asUintN(64, op.value);
    [overflow, limit] = (op.signed ? checkSigned : checkUnsigned)(next, 0n, op.bits, op.overflow);
    if (overflow !== 0) next = limit;
  }
  if (overflow !== 0 && op.overflow === FAIL) {
    c.reply.nullBulk();
    return { wrote: false, changed: false };
  }
  c.reply.int(op.opcode === INCRBY ? next : old);
  setUnsigned(p, op.offset, op.bits, BigInt.asUintN(64, next));
  return { wrote: true, changed: old !== next };
}

/**
 * BITFIELD / BITFIELD_RO key [GET type offset] [SET type offset value]
 * [INCRBY type offset increment] [OVERFLOW WRAP | SAT | FAIL] ...
 */
function bitfieldGeneric(readOnlyCommand: boolean) {
  return (c: CommandContext, argv: Buffer[]): void => {
    const ops = opsOrReply(c, argv);
    if (ops === null) return;
    const key = argv[1]!;
    let lo = Number.POSITIVE_INFINITY;
    let hi = -1;
    for (const op of ops) {
      if (op.opcode === GET) continue;
      lo = Math.min(lo, Math.floor(op.offset / 8));
      hi = Math.max(hi, Math.floor((op.offset + op.bits - 1) / 8));
    }
    const db = c.db;
    if (hi < 0) {
      const slot = lookupStringOrReply(c, db, key);
      if (slot === -2) return;
      countRead(c, key, slot);
      const p = slot < 0 ? Buffer.alloc(0) : db.value(slot);
      c.reply.arrayLen(ops.length);
      for (const op of ops)
        c.reply.int(op.signed ? getSigned(p, op.offset, op.bits) : getUnsigned(p, op.offset, op.bits));
      return;
    }
    if (readOnlyCommand) return c.reply.error('ERR BITFIELD_RO only supports the GET subcommand');
    const s = stringForBitWrite(c, key, hi + 1);
    if (s === null) return;
    const p = db.resizeString(s.slot, db.valueLength(s.slot));
    c.reply.arrayLen(ops.length);
    let changes = 0;
    for (const op of ops) {
      if (op.opcode === GET) {
        c.reply.int(op.signed ? getSigned(p, op.offset, op.bits) : getUnsigned(p, op.offset, op.bits));
      } else {
        const w = write(c, p, op);
        if (w.wrote && (w.changed || s.created || s.grown)) changes++;
      }
    }
    if (changes > 0 || s.created || s.grown) {
      c.server.propagate(c.dbIndex, ['SETRANGE', key, String(lo), Buffer.from(p.subarray(lo, hi + 1))]);
    }
    if (s.created) c.server.notify(NOTIFY_NEW, 'new', key, c.dbIndex);
    if (changes > 0) c.server.notify(NOTIFY_STRING, 'setbit', key, c.dbIndex);
  };
}

/** BITFIELD's key flags for one call: RO unless it writes or is malformed (db.c `bitfieldGetKeys`). */
function bitfieldKeyFlags(argv: readonly Buffer[]): readonly KeySpecFlag[] {
  for (let j = 2; j < argv.length; j++) {
    const rem = argv.length - j - 1;
    if (isWord(argv[j]!, 'GET') && rem >= 2) j += 2;
    else if (isWord(argv[j]!, 'OVERFLOW') && rem >= 1) j += 1;
    else return ['RW', 'access', 'update'];
  }
  return ['RO', 'access'];
}

/** BITFIELD and BITFIELD_RO's table entries. */
export const bitfieldCommands: CommandSpec[] = [
  command({
    name: 'bitfield',
    arity: -2,
    flags: ['write', 'denyoom'],
    keys: [
      {
        notes: 'This command allows both access and modification of the key',
        flags: ['RW', 'access', 'update', 'variable_flags'],
        begin: { type: 'index', index: 1 },
        find: { type: 'range', lastKey: 0, step: 1, limit: 0 },
      },
    ],
    keyFlags: bitfieldKeyFlags,
    group: 'bitmap',
    since: '3.2.0',
    complexity: 'O(1) for each subcommand specified',
    summary: 'Perform arbitrary bitfield integer operations on strings',
    handler: bitfieldGeneric(false),
  }),
  command({
    name: 'bitfield_ro',
    arity: -2,
    flags: ['readonly', 'fast'],
    keys: [keyAt(1, ['RO', 'access'])],
    group: 'bitmap',
    since: '6.0.0',
    complexity: 'O(1) for each subcommand specified',
    summary: 'Perform arbitrary bitfield integer operations on strings. Read-only variant of BITFIELD',
    handler: bitfieldGeneric(true),
  }),
];
