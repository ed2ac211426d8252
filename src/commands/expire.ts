/**
 * Expiry commands, after Redis's expire.c: EXPIRE, PEXPIRE, EXPIREAT,
 * PEXPIREAT with NX, XX, GT and LT; TTL, PTTL, EXPIRETIME, PEXPIRETIME;
 * PERSIST.
 *
 * Effects logged: EXPIRE and its relatives become `PEXPIREAT key <absolute ms>`
 * (or `DEL key` when the time is already past), so replay needs no clock.
 *
 * Reference: https://redis.io/docs/latest/commands/expire/
 */
import { NOTIFY_GENERIC } from '../config/keyspace-events.js';
import type { CommandContext, CommandSpec } from './context.js';
import { countRead } from './keys.js';
import { command, keyAt } from './table.js';
import { ERR, INT64_MAX, INT64_MIN, parseInt64, word } from './util.js';

const EXPIRE_NX = 1;
const EXPIRE_XX = 2;
const EXPIRE_GT = 4;
const EXPIRE_LT = 8;

/**
 * EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT (expire.c `expireGenericCommand`).
 *
 * @param name command name, for the error text
 * @param relative whether the time is relative to now
 * @param seconds whether the time is in seconds
 */
function expireGeneric(name: string, relative: boolean, seconds: boolean) {
  return (c: CommandContext, argv: Buffer[]): void => {
    let flags = 0;
    for (let j = 3; j < argv.length; j++) {
      const w = word(argv[j]!);
      if (w === 'NX') flags |= EXPIRE_NX;
      else if (w === 'XX') flags |= EXPIRE_XX;
      else if (w === 'GT') flags |= EXPIRE_GT;
      else if (w === 'LT') flags |= EXPIRE_LT;
      else return c.reply.error(`ERR Unsupported option ${argv[j]!.toString('latin1')}`);
    }
    if (flags & EXPIRE_NX && flags & (EXPIRE_XX | EXPIRE_GT | EXPIRE_LT)) {
      return c.reply.error('ERR NX and XX, GT or LT options at the same time are not compatible');
    }
    if (flags & EXPIRE_GT && flags & EXPIRE_LT) {
      return c.reply.error('ERR GT and LT options at the same time are not compatible');
    }
    // Range checks on 64-bit integers, as Redis does them.
    let big = parseInt64(argv[2]!);
    if (big === null) return c.reply.error(ERR.notInteger);
    if (seconds) {
      if (big > INT64_MAX / 1000n || big < INT64_MIN / 1000n)
        return c.reply.error(`ERR invalid expire time in '${name}' command`);
      big *= 1000n;
    }
    const base = relative ? BigInt(Date.now()) : 0n;
    if (big > INT64_MAX - base) return c.reply.error(`ERR invalid expire time in '${name}' command`);
    const when = Number(big + base);
    const db = c.db;
    const key = argv[1]!;
    const slot = db.lookup(key);
    if (slot < 0) return c.reply.int(0);
    if (flags) {
      const cur = db.expireAt(slot);
      const has = cur > 0;
      if (flags & EXPIRE_NX && has) return c.reply.int(0);
      if (flags & EXPIRE_XX && !has) return c.reply.int(0);
      if (flags & EXPIRE_GT && (!has || when <= cur)) return c.reply.int(0);
      if (flags & EXPIRE_LT && has && when >= cur) return c.reply.int(0);
    }
    if (when <= Date.now() && !c.server.replaying) {
      db.deleteSlot(slot);
      c.server.propagate(c.dbIndex, ['DEL', key]);
      c.server.notify(NOTIFY_GENERIC, 'del', key, c.dbIndex);
    } else {
      // 0 means "no expiry" in the index; a timestamp of 0 ms or less is long past.
      db.setExpireAt(slot, Math.max(when, 1));
      c.server.propagate(c.dbIndex, ['PEXPIREAT', key, String(Math.max(when, 1))]);
      c.server.notify(NOTIFY_GENERIC, 'expire', key, c.dbIndex);
    }
    c.reply.int(1);
  };
}

/** TTL, PTTL, EXPIRETIME, PEXPIRETIME (expire.c `ttlGenericCommand`). */
function ttlGeneric(ms: boolean, absolute: boolean) {
  return (c: CommandContext, argv: Buffer[]): void => {
    const db = c.db;
    const slot = db.peek(argv[1]!);
    if (!countRead(c, argv[1]!, slot)) return c.reply.int(-2);
    const at = db.expireAt(slot);
    if (at === 0) return c.reply.int(-1);
    let t = absolute ? at : at - Date.now();
    if (t < 0) t = 0;
    c.reply.int(ms ? t : Math.floor((t + 500) / 1000));
  };
}

/** PERSIST key */
function persistCommand(c: CommandContext, argv: Buffer[]): void {
  const db = c.db;
  const key = argv[1]!;
  const slot = db.lookup(key);
  if (slot < 0 || db.expireAt(slot) === 0) return c.reply.int(0);
  db.setExpireAt(slot, 0);
  c.server.propagate(c.dbIndex, ['PERSIST', key]);
  c.server.notify(NOTIFY_GENERIC, 'persist', key, c.dbIndex);
  c.reply.int(1);
}

/** The expiry commands' table entries. */
export const expireCommands: CommandSpec[] = [
  command({
    name: 'expire',
    arity: -3,
    flags: ['write', 'fast'],
    keys: [keyAt(1, ['RW', 'update'])],
    group: 'generic',
    since: '1.0.0',
    complexity: 'O(1)',
    summary: 'Sets the expiration time of a key in seconds.',
    handler: expireGeneric('expire', true, true),
  }),
  command({
    name: 'pexpire',
    arity: -3,
    flags: ['write', 'fast'],
    keys: [keyAt(1, ['RW', 'update'])],
    group: 'generic',
    since: '2.6.0',
    complexity: 'O(1)',
    summary: 'Sets the expiration time of a key in milliseconds.',
    handler: expireGeneric('pexpire', true, false),
  }),
  command({
    name: 'expireat',
    arity: -3,
    flags: ['write', 'fast'],
    keys: [keyAt(1, ['RW', 'update'])],
    group: 'generic',
    since: '1.2.0',
    complexity: 'O(1)',
    summary: 'Sets the expiration time of a key to a Unix timestamp.',
    handler: expireGeneric('expireat', false, true),
  }),
  command({
    name: 'pexpireat',
    arity: -3,
    flags: ['write', 'fast'],
    keys: [keyAt(1, ['RW', 'update'])],
    group: 'generic',
    since: '2.6.0',
    complexity: 'O(1)',
    summary: 'Sets the expiration time of a key to a Unix milliseconds timestamp.',
    handler: expireGeneric('pexpireat', false, false),
  }),
  command({
    name: 'ttl',
    arity: 2,
    flags: ['readonly', 'fast'],
    keys: [keyAt(1, ['RO', 'access'])],
    group: 'generic',
    since: '1.0.0',
    complexity: 'O(1)',
    summary: 'Returns the expiration time in seconds of a key.',
    handler: ttlGeneric(false, false),
  }),
  command({
    name: 'pttl',
    arity: 2,
    flags: ['readonly', 'fast'],
    keys: [keyAt(1, ['RO', 'access'])],
    group: 'generic',
    since: '2.6.0',
    complexity: 'O(1)',
    summary: 'Returns the expiration time in milliseconds of a key.',
    handler: ttlGeneric(true, false),
  }),
  command({
    name: 'expiretime',
    arity: 2,
    flags: ['readonly', 'fast'],
    keys: [keyAt(1, ['RO', 'access'])],
    group: 'generic',
    since: '7.0.0',
    complexity: 'O(1)',
    summary: 'Returns the expiration time of a key as a Unix timestamp.',
    handler: ttlGeneric(false, true),
  }),
  command({
    name: 'pexpiretime',
    arity: 2,
    flags: ['readonly', 'fast'],
    keys: [keyAt(1, ['RO', 'access'])],
    group: 'generic',
    since: '7.0.0',
    complexity: 'O(1)',
    summary: 'Returns the expiration time of a key as a Unix milliseconds timestamp.',
    handler: ttlGeneric(true, true),
  }),
  command({
    name: 'persist',
    arity: 2,
    flags: ['write', 'fast'],
    keys: [keyAt(1, ['RW', 'update'])],
    group: 'generic',
    since: '2.2.0',
    complexity: 'O(1)',
    summary: 'Removes the expiration time of a key.',
    handler: persistCommand,
  }),
];
