/**
 * Strings as counters, after Redis's t_string.c: one generic INCRBY
 * (`incrDecrCommand`) serves INCR, DECR, INCRBY and DECRBY on 64-bit
 * integers; INCRBYFLOAT adds in x87 long double arithmetic (./longdouble.ts).
 *
 * Effects logged (docs/FORMAT.md, "Effects"): the value they produced, as
 * `SET key <result> KEEPTTL`, as Redis propagates INCRBYFLOAT, so replay
 * repeats no arithmetic.
 *
 * Reference: https://redis.io/docs/latest/commands/incr/
 */
import { NOTIFY_NEW, NOTIFY_STRING } from '../config/keyspace-events.js';
import type { CommandContext, CommandSpec } from './context.js';
import { addLongDouble, formatLongDouble, parseLongDouble } from './longdouble.js';
import { parseIntStrict } from '../protocol/decoder.js';
import { lookupStringOrReply } from './strings.js';
import { command, keyAt } from './table.js';
import { ERR, INT64_MAX, INT64_MIN, intBytes, parseInt64 } from './util.js';

/** Keeps the key's expiry: the logged SET must not drop its TTL. */
const KEEPTTL = 'KEEPTTL';

/**
 * Magnitudes below this add exactly as JS numbers and stay inside int64: a
 * stored value of up to 15 bytes and such a delta take the number path,
 * which spares INCR two BigInt conversions and a BigInt addition.
 */
const SMALL = 1e15;

/**
 * The generic INCRBY (t_string.c `incrDecrCommand`).
 *
 * @param delta the increment; a number only when its magnitude is below {@link SMALL}
 */
function incrDecr(c: CommandContext, key: Buffer, delta: number | bigint): void {
  const db = c.db;
  const slot = lookupStringOrReply(c, db, key);
  if (slot === -2) return;
  let current: number | bigint = 0;
  if (slot >= 0) {
    const raw = db.value(slot);
    // parseInt64 reads up to 15 bytes with the same parseIntStrict: the same values, the same refusals.
    const small = raw.length <= 15 ? parseIntStrict(raw, 0, raw.length) : Number.NaN;
    if (!Number.isNaN(small)) current = small;
    else {
      const v = parseInt64(raw);
      if (v === null) return c.reply.error(ERR.notInteger);
      current = v;
    }
  }
  let next: number | bigint;
  if (typeof current === 'number' && typeof delta === 'number') next = current + delta;
  else {
    next = BigInt(current) + BigInt(delta);
    if (next > INT64_MAX || next < INT64_MIN) return c.reply.error(ERR.overflow);
  }
  const bytes = intBytes(next);
  db.setString(key, bytes, slot >= 0 ? db.expireAt(slot) : 0, slot);
  c.server.propagate(c.dbIndex, ['SET', key, bytes, KEEPTTL]);
  if (slot < 0) c.server.notify(NOTIFY_NEW, 'new', key, c.dbIndex);
  c.server.notify(NOTIFY_STRING, 'incrby', key, c.dbIndex);
  c.reply.int(next);
}

/** `d` as a number when that is exact for {@link incrDecr}'s number path. */
function deltaOf(d: bigint): number | bigint {
  return d > -SMALL && d < SMALL ? Number(d) : d;
}

function incrCommand(c: CommandContext, argv: Buffer[]): void {
  incrDecr(c, argv[1]!, 1);
}

function decrCommand(c: CommandContext, argv: Buffer[]): void {
  incrDecr(c, argv[1]!, -1);
}

function incrbyCommand(c: CommandContext, argv: Buffer[]): void {
  const d = parseInt64(argv[2]!);
  if (d === null) return c.reply.error(ERR.notInteger);
  incrDecr(c, argv[1]!, deltaOf(d));
}

function decrbyCommand(c: CommandContext, argv: Buffer[]): void {
  const d = parseInt64(argv[2]!);
  if (d === null) return c.reply.error(ERR.notInteger);
  if (d === INT64_MIN) return c.reply.error('ERR decrement would overflow');
  incrDecr(c, argv[1]!, deltaOf(-d));
}

/** INCRBYFLOAT key increment: long double arithmetic, logged as `SET key result KEEPTTL` as Redis propagates it. */
function incrbyfloatCommand(c: CommandContext, argv: Buffer[]): void {
  const key = argv[1]!;
  const db = c.db;
  const incr = parseLongDouble(argv[2]!.toString('latin1'));
  const slot = lookupStringOrReply(c, db, key);
  if (slot === -2) return;
  let current = parseLongDouble('0')!;
  if (slot >= 0) {
    const v = parseLongDouble(db.value(slot).toString('latin1'));
    if (v === null) return c.reply.error(ERR.notFloat);
    current = v;
  }
  if (incr === null) return c.reply.error(ERR.notFloat);
  const sum = addLongDouble(current, incr);
  if (sum.inf) return c.reply.error('ERR increment would produce NaN or Infinity');
  const bytes = Buffer.from(formatLongDouble(sum), 'latin1');
  db.setString(key, bytes, slot >= 0 ? db.expireAt(slot) : 0, slot);
  c.server.propagate(c.dbIndex, ['SET', key, bytes, KEEPTTL]);
  if (slot < 0) c.server.notify(NOTIFY_NEW, 'new', key, c.dbIndex);
  c.server.notify(NOTIFY_STRING, 'incrbyfloat', key, c.dbIndex);
  c.reply.bulk(bytes);
}

/** The counters' table entries. */
export const counterCommands: CommandSpec[] = [
  command({
    name: 'incr',
    arity: 2,
    flags: ['write', 'denyoom', 'fast'],
    keys: [keyAt(1, ['RW', 'access', 'update'])],
    group: 'string',
    since: '1.0.0',
    complexity: 'O(1)',
    summary: "Increments the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.",
    handler: incrCommand,
  }),
  command({
    name: 'decr',
    arity: 2,
    flags: ['write', 'denyoom', 'fast'],
    keys: [keyAt(1, ['RW', 'access', 'update'])],
    group: 'string',
    since: '1.0.0',
    complexity: 'O(1)',
    summary: "Decrements the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.",
    handler: decrCommand,
  }),
  command({
    name: 'incrby',
    arity: 3,
    flags: ['write', 'denyoom', 'fast'],
    keys: [keyAt(1, ['RW', 'access', 'update'])],
    group: 'string',
    since: '1.0.0',
    complexity: 'O(1)',
    summary: "Increments the integer value of a key by a number. Uses 0 as initial value if the key doesn't exist.",
    handler: incrbyCommand,
  }),
  command({
    name: 'decrby',
    arity: 3,
    flags: ['write', 'denyoom', 'fast'],
    keys: [keyAt(1, ['RW', 'access', 'update'])],
    group: 'string',
    since: '1.0.0',
    complexity: 'O(1)',
    summary: "Decrements a number from the integer value of a key. Uses 0 as initial value if the key doesn't exist.",
    handler: decrbyCommand,
  }),
  command({
    name: 'incrbyfloat',
    arity: 3,
    flags: ['write', 'denyoom', 'fast'],
    keys: [keyAt(1, ['RW', 'access', 'update'])],
    group: 'string',
    since: '2.6.0',
    complexity: 'O(1)',
    summary:
      "Increment the floating point value of a key by a number. Uses 0 as initial value if the key doesn't exist.",
    handler: incrbyfloatCommand,
  }),
];
