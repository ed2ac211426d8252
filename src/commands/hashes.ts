/**
 * Hash commands, after Redis 7.0's t_hash.c.
 *
 * Effects logged (docs/FORMAT.md, "Effects"): HSET, HMSET and HSETNX that
 * set something are logged as `HSET key field value ...`; HINCRBYFLOAT as
 * `HSET key field <result>` (the float arithmetic is not replayed); HINCRBY
 * as sent; HDEL as `HDEL key <the fields it removed>`. Reads (HRANDFIELD
 * included) log nothing.
 *
 * Reference: https://redis.io/docs/latest/commands/?group=hash
 */
import { NOTIFY_HASH, NOTIFY_NEW } from '../config/keyspace-events.js';
import { EntryType } from '../store/arena.js';
import { HashPut, HashValue, scanStep } from '../store/collections.js';
import type { CommandContext, CommandSpec } from './context.js';
import { command, keyAt } from './table.js';
import { ERR, INT64_MAX, INT64_MIN, parseInt64 } from './util.js';
import { addLongDouble, formatLongDouble, parseLongDouble } from './longdouble.js';
import {
  el,
  elementMatches,
  logSelf,
  lookupCollection,
  randomCountOrReply,
  randomIndex,
  readCollection,
  removeElements,
  replyEmptyScan,
  replyPairStart,
  replyPairsLen,
  sampleIndexes,
  scanOptionsOrReply,
  storeCollection,
  WRONG,
} from './collection.js';
import { cursorOrReply } from './keys.js';

/** Parses a field value as Redis's `string2ll` (for HINCRBY). */
function int64Of(s: string): bigint | null {
  return parseInt64(Buffer.from(s, 'latin1'));
}

/**
 * HSET key field value [field value ...] / HMSET: replies the number of new
 * fields (HSET) or `+OK` (HMSET). An odd number of arguments is the arity
 * error. Nothing is logged when no field is new and no value changes (the
 * key still counts as modified for WATCH and client-side caching).
 */
function hsetGeneric(name: string, okReply: boolean) {
  return (c: CommandContext, argv: Buffer[]): void => {
    if (argv.length % 2 === 1) return c.reply.error(`ERR wrong number of arguments for '${name}' command`);
    const key = argv[1]!;
    const db = c.db;
    const found = lookupCollection<HashValue>(c, db, key, EntryType.Hash);
    if (found === WRONG) return;
    const h = found ?? new HashValue();
    let created = 0;
    let changed = found === null;
    for (let j = 2; j < argv.length; j += 2) {
      const put = h.put(el(argv[j]!), el(argv[j + 1]!));
      if (put === HashPut.Created) created++;
      if (put !== HashPut.Unchanged) changed = true;
    }
    if (found === null) storeCollection(db, key, h);
    if (changed) logSelf(c, 'HSET', argv);
    else c.server.signalModifiedKey(c.dbIndex, key);
    if (found === null) c.server.notify(NOTIFY_NEW, 'new', key, c.dbIndex);
    c.server.notify(NOTIFY_HASH, 'hset', key, c.dbIndex);
    if (okReply) c.reply.ok();
    else c.reply.int(created);
  };
}

/** HSETNX key field value: 1 when it set the field, 0 when the field existed. */
function hsetnxCommand(c: CommandContext, argv: Buffer[]): void {
  const key = argv[1]!;
  const db = c.db;
  const found = lookupCollection<HashValue>(c, db, key, EntryType.Hash);
  if (found === WRONG) return;
  const f = el(argv[2]!);
  if (found?.has(f)) return c.reply.int(0);
  const h = found ?? new HashValue();
  h.set(f, el(argv[3]!));
  if (found === null) storeCollection(db, key, h);
  c.server.propagate(c.dbIndex, ['HSET', key, argv[2]!, argv[3]!]);
  if (found === null) c.server.notify(NOTIFY_NEW, 'new', key, c.dbIndex);
  c.server.notify(NOTIFY_HASH, 'hset', key, c.dbIndex);
  c.reply.int(1);
}

/** HGET key field: the value, or nil. */
function hgetCommand(c: CommandContext, argv: Buffer[]): void {
  const h = readCollection<HashValue>(c, argv[1]!, EntryType.Hash);
  if (h === WRONG) return;
  const v = h?.get(el(argv[2]!));
  if (v === undefined) c.reply.nullBulk();
  else c.reply.bulkLatin1(v);
}

/** HMGET key field [field ...]: one value or nil per field (all nil for a missing key). */
function hmgetCommand(c: CommandContext, argv: Buffer[]): void {
  const h = readCollection<HashValue>(c, argv[1]!, EntryType.Hash);
  if (h === WRONG) return;
  c.reply.arrayLen(argv.length - 2);
  for (let j = 2; j < argv.length; j++) {
    const v = h?.get(el(argv[j]!));
    if (v === undefined) c.reply.nullBulk();
    else c.reply.bulkLatin1(v);
  }
}

/** HDEL key field [field ...]: the number of fields removed; the key goes when the hash empties. */
function hdelCommand(c: CommandContext, argv: Buffer[]): void {
  removeElements(c, argv, EntryType.Hash, 'HDEL');
}

/** HLEN key: number of fields, 0 for a missing key. */
function hlenCommand(c: CommandContext, argv: Buffer[]): void {
  const h = readCollection<HashValue>(c, argv[1]!, EntryType.Hash);
  if (h === WRONG) return;
  c.reply.int(h === null ? 0 : h.size);
}

/** HSTRLEN key field: byte length of the value, 0 when absent. */
function hstrlenCommand(c: CommandContext, argv: Buffer[]): void {
  const h = readCollection<HashValue>(c, argv[1]!, EntryType.Hash);
  if (h === WRONG) return;
  c.reply.int(h?.get(el(argv[2]!))?.length ?? 0);
}

/** HEXISTS key field: 1 or 0. */
function hexistsCommand(c: CommandContext, argv: Buffer[]): void {
  const h = readCollection<HashValue>(c, argv[1]!, EntryType.Hash);
  if (h === WRONG) return;
  c.reply.int(h?.has(el(argv[2]!)) ? 1 : 0);
}

const WANT_FIELDS = 1;
const WANT_VALUES = 2;

/**
 * HKEYS, HVALS, HGETALL (t_hash.c `genericHgetallCommand`): HKEYS and HVALS
 * an array, HGETALL a map (RESP2: a flat array of field, value...); empty
 * for a missing key.
 */
function hgetallGeneric(what: number) {
  return (c: CommandContext, argv: Buffer[]): void => {
    const h = readCollection<HashValue>(c, argv[1]!, EntryType.Hash);
    if (h === WRONG) return;
    const n = h === null ? 0 : h.size;
    const r = c.reply;
    if (what === (WANT_FIELDS | WANT_VALUES)) r.mapLen(n);
    else r.arrayLen(n);
    if (h === null) return;
    for (let i = 0; i < n; i++) {
      if (what & WANT_FIELDS) r.bulkLatin1(h.fields[i]!);
      if (what & WANT_VALUES) r.bulkLatin1(h.values[i]!);
    }
  };
}

/**
 * HINCRBY key field increment: 64-bit arithmetic; `ERR hash value is not an
 * integer` when the field holds something else, `ERR increment or decrement
 * would overflow` past the int64 range. Logged as sent.
 */
function hincrbyCommand(c: CommandContext, argv: Buffer[]): void {
  const incr = parseInt64(argv[3]!);
  if (incr === null) return c.reply.error(ERR.notInteger);
  const key = argv[1]!;
  const db = c.db;
  const found = lookupCollection<HashValue>(c, db, key, EntryType.Hash);
  if (found === WRONG) return;
  const f = el(argv[2]!);
  let current = 0n;
  const old = found?.get(f);
  if (old !== undefined) {
    const v = int64Of(old);
    if (v === null) return c.reply.error('ERR hash value is not an integer');
    current = v;
  }
  const next = current + incr;
  if (next > INT64_MAX || next < INT64_MIN) return c.reply.error(ERR.overflow);
  const h = found ?? new HashValue();
  h.set(f, String(next));
  if (found === null) storeCollection(db, key, h);
  c.server.propagate(c.dbIndex, ['HINCRBY', key, argv[2]!, argv[3]!]);
  if (found === null) c.server.notify(NOTIFY_NEW, 'new', key, c.dbIndex);
  c.server.notify(NOTIFY_HASH, 'hincrby', key, c.dbIndex);
  c.reply.int(next);
}

/**
 * HINCRBYFLOAT key field increment: long double arithmetic as Redis on
 * x86-64. Replies `ERR value is not a valid float` for a bad increment,
 * `ERR value is NaN or Infinity` for an infinite one, `ERR hash value is not
 * a float` for a bad field value, `ERR increment would produce NaN or
 * Infinity` for an infinite result. Logged as `HSET key field <result>`.
 */
function hincrbyfloatCommand(c: CommandContext, argv: Buffer[]): void {
  const incr = parseLongDouble(argv[3]!.toString('latin1'));
  if (incr === null) return c.reply.error(ERR.notFloat);
  if (incr.inf) return c.reply.error('ERR value is NaN or Infinity');
  const key = argv[1]!;
  const db = c.db;
  const found = lookupCollection<HashValue>(c, db, key, EntryType.Hash);
  if (found === WRONG) return;
  const f = el(argv[2]!);
  let current = parseLongDouble('0')!;
  const old = found?.get(f);
  if (old !== undefined) {
    const v = parseLongDouble(old);
    if (v === null) return c.reply.error('ERR hash value is not a float');
    current = v;
  }
  const sum = addLongDouble(current, incr);
  if (sum.inf) return c.reply.error('ERR increment would produce NaN or Infinity');
  const text = formatLongDouble(sum);
  const h = found ?? new HashValue();
  h.set(f, text);
  if (found === null) storeCollection(db, key, h);
  c.server.propagate(c.dbIndex, ['HSET', key, argv[2]!, text]);
  if (found === null) c.server.notify(NOTIFY_NEW, 'new', key, c.dbIndex);
  c.server.notify(NOTIFY_HASH, 'hincrbyfloat', key, c.dbIndex);
  c.reply.bulkAscii(text);
}

/**
 * HRANDFIELD key [count [WITHVALUES]] (t_hash.c `hrandfieldCommand`).
 * Without a count: one random field, or nil. A positive count: that many
 * distinct fields (the whole hash when it has no more). A negative count:
 * |count| fields drawn with repetition. WITHVALUES adds the values (RESP2:
 * interleaved; RESP3: [field, value] pairs) and limits |count| to
 * LONG_MAX/2 (`ERR value is out of range`).
 */
function hrandfieldCommand(c: CommandContext, argv: Buffer[]): void {
  if (argv.length === 2) {
    const h = readCollection<HashValue>(c, argv[1]!, EntryType.Hash);
    if (h === WRONG) return;
    if (h === null) return c.reply.nullBulk();
    return c.reply.bulkLatin1(h.fields[randomIndex(h.size)]!);
  }
  const l = randomCountOrReply(c, argv, 'WITHVALUES');
  if (l === null) return;
  const withValues = argv.length === 4;
  const h = readCollection<HashValue>(c, argv[1]!, EntryType.Hash);
  if (h === WRONG) return;
  if (h === null || l === 0n) return c.reply.arrayLen(0);
  const r = c.reply;
  const size = h.size;
  const one = (i: number): void => {
    replyPairStart(c, withValues);
    r.bulkLatin1(h.fields[i]!);
    if (withValues) r.bulkLatin1(h.values[i]!);
  };
  if (l < 0n) {
    const count = Number(-l);
    replyPairsLen(c, count, withValues);
    for (let k = 0; k < count; k++) one(randomIndex(size));
    return;
  }
  const count = l >= BigInt(size) ? size : Number(l);
  replyPairsLen(c, count, withValues);
  if (count === size) {
    for (let i = 0; i < size; i++) one(i);
  } else {
    for (const i of sampleIndexes(size, count)) one(i);
  }
}

/**
 * HSCAN key cursor [MATCH pattern] [COUNT count]. The cursor is checked
 * first, then the key (a missing key answers cursor 0 and no elements before
 * any option is looked at, as Redis does), then the options. A hash still in
 * its listpack encoding is returned whole with cursor 0, as Redis returns a
 * listpack; a larger one is walked with {@link scanStep}. MATCH applies to
 * fields.
 */
function hscanCommand(c: CommandContext, argv: Buffer[]): void {
  const cursor = cursorOrReply(c, argv[2]!);
  if (cursor === null) return;
  const h = readCollection<HashValue>(c, argv[1]!, EntryType.Hash);
  if (h === WRONG) return;
  if (h === null) return replyEmptyScan(c);
  const opts = scanOptionsOrReply(c, argv, 3);
  if (opts === null) return;
  let from = 0;
  let to = h.size;
  let next = 0;
  if (h.encoding !== 'listpack') ({ next, from, to } = scanStep(cursor, h.size, opts.count));
  const picked: number[] = [];
  for (let i = to - 1; i >= from; i--) if (elementMatches(opts.match, h.fields[i]!)) picked.push(i);
  const r = c.reply;
  r.arrayLen(2);
  r.bulkAscii(String(next));
  r.arrayLen(picked.length * 2);
  for (const i of picked) {
    r.bulkLatin1(h.fields[i]!);
    r.bulkLatin1(h.values[i]!);
  }
}

/** The hash family's table entries. */
export const hashCommands: CommandSpec[] = [
  command({
    name: 'hset',
    arity: -4,
    flags: ['write', 'denyoom', 'fast'],
    keys: [keyAt(1, ['RW', 'update'])],
    group: 'hash',
    since: '2.0.0',
    complexity:
      'O(1) for each field/value pair added, so O(N) to add N field/value pairs when the command is called with ' +
      'multiple field/value pairs.',
    summary: 'Set the string value of a hash field',
    handler: hsetGeneric('hset', false),
  }),
  command({
    name: 'hsetnx',
    arity: 4,
    flags: ['write', 'denyoom', 'fast'],
    keys: [keyAt(1, ['RW', 'insert'])],
    group: 'hash',
    since: '2.0.0',
    complexity: 'O(1)',
    summary: 'Set the value of a hash field, only if the field does not exist',
    handler: hsetnxCommand,
  }),
  command({
    name: 'hget',
    arity: 3,
    flags: ['readonly', 'fast'],
    keys: [keyAt(1, ['RO', 'access'])],
    group: 'hash',
    since: '2.0.0',
    complexity: 'O(1)',
    summary: 'Get the value of a hash field',
    handler: hgetCommand,
  }),
  command({
    name: 'hmget',
    arity: -3,
    flags: ['readonly', 'fast'],
    keys: [keyAt(1, ['RO', 'access'])],
    group: 'hash',
    since: '2.0.0',
    complexity: 'O(N) where N is the number of fields being requested.',
    summary: 'Get the values of all the given hash fields',
    handler: hmgetCommand,
  }),
  command({
    name: 'hmset',
    arity: -4,
    flags: ['write', 'denyoom', 'fast'],
    keys: [keyAt(1, ['RW', 'update'])],
    group: 'hash',
    since: '2.0.0',
    complexity: 'O(N) where N is the number of fields being set.',
    summary: 'Set multiple hash fields to multiple values',
    handler: hsetGeneric('hmset', true),
  }),
  command({
    name: 'hgetall',
    arity: 2,
    flags: ['readonly'],
    keys: [keyAt(1, ['RO', 'access'])],
    group: 'hash',
    since: '2.0.0',
    complexity: 'O(N) where N is the size of the hash.',
    summary: 'Get all the fields and values in a hash',
    handler: hgetallGeneric(WANT_FIELDS | WANT_VALUES),
  }),
  command({
    name: 'hdel',
    arity: -3,
    flags: ['write', 'fast'],
    keys: [keyAt(1, ['RW', 'delete'])],
    group: 'hash',
    since: '2.0.0',
    complexity: 'O(N) where N is the number of fields to be removed.',
    summary: 'Delete one or more hash fields',
    handler: hdelCommand,
  }),
  command({
    name: 'hexists',
    arity: 3,
    flags: ['readonly', 'fast'],
    keys: [keyAt(1, ['RO'])],
    group: 'hash',
    since: '2.0.0',
    complexity: 'O(1)',
    summary: 'Determine if a hash field exists',
    handler: hexistsCommand,
  }),
  command({
    name: 'hlen',
    arity: 2,
    flags: ['readonly', 'fast'],
    keys: [keyAt(1, ['RO'])],
    group: 'hash',
    since: '2.0.0',
    complexity: 'O(1)',
    summary: 'Get the number of fields in a hash',
    handler: hlenCommand,
  }),
  command({
    name: 'hkeys',
    arity: 2,
    flags: ['readonly'],
    keys: [keyAt(1, ['RO', 'access'])],
    group: 'hash',
    since: '2.0.0',
    complexity: 'O(N) where N is the size of the hash.',
    summary: 'Get all the fields in a hash',
    handler: hgetallGeneric(WANT_FIELDS),
  }),
  command({
    name: 'hvals',
    arity: 2,
    flags: ['readonly'],
    keys: [keyAt(1, ['RO', 'access'])],
    group: 'hash',
    since: '2.0.0',
    complexity: 'O(N) where N is the size of the hash.',
    summary: 'Get all the values in a hash',
    handler: hgetallGeneric(WANT_VALUES),
  }),
  command({
    name: 'hstrlen',
    arity: 3,
    flags: ['readonly', 'fast'],
    keys: [keyAt(1, ['RO'])],
    group: 'hash',
    since: '3.2.0',
    complexity: 'O(1)',
    summary: 'Get the length of the value of a hash field',
    handler: hstrlenCommand,
  }),
  command({
    name: 'hincrby',
    arity: 4,
    flags: ['write', 'denyoom', 'fast'],
    keys: [keyAt(1, ['RW', 'access', 'update'])],
    group: 'hash',
    since: '2.0.0',
    complexity: 'O(1)',
    summary: 'Increment the integer value of a hash field by the given number',
    handler: hincrbyCommand,
  }),
  command({
    name: 'hincrbyfloat',
    arity: 4,
    flags: ['write', 'denyoom', 'fast'],
    keys: [keyAt(1, ['RW', 'access', 'update'])],
    group: 'hash',
    since: '2.6.0',
    complexity: 'O(1)',
    summary: 'Increment the float value of a hash field by the given amount',
    handler: hincrbyfloatCommand,
  }),
  command({
    name: 'hrandfield',
    arity: -2,
    flags: ['readonly'],
    keys: [keyAt(1, ['RO', 'access'])],
    group: 'hash',
    since: '6.2.0',
    complexity: 'O(N) where N is the number of fields returned',
    summary: 'Get one or multiple random fields from a hash',
    handler: hrandfieldCommand,
  }),
  command({
    name: 'hscan',
    arity: -3,
    flags: ['readonly'],
    keys: [keyAt(1, ['RO', 'access'])],
    group: 'hash',
    since: '2.8.0',
    complexity:
      'O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return ' +
      'back to 0. N is the number of elements inside the collection..',
    summary: 'Incrementally iterate hash fields and associated values',
    handler: hscanCommand,
  }),
];
