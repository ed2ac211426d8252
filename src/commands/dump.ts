/**
 * DUMP and RESTORE (and RESTORE-ASKING) with Redis 7.0's payload: the RDB
 * object, the RDB version as 2 bytes little-endian, and a CRC64 of both
 * (docs/FORMAT.md, "RDB"), so a payload DUMPed by redis-server RESTOREs here
 * and the other way round (cluster.c `dumpCommand`, `restoreCommand`).
 *
 * A RESTORE is logged as `RESTORE key <absolute ms or 0> <payload> REPLACE
 * ABSTTL`: replaying it rebuilds the same value whenever it runs, and a value
 * whose TTL passed meanwhile is not created, as it would have expired.
 *
 * Reference: https://redis.io/docs/latest/commands/dump/ and
 * https://redis.io/docs/latest/commands/restore/
 */
import { NOTIFY_GENERIC, NOTIFY_NEW } from '../config/keyspace-events.js';
import { createDumpPayload, parseDumpPayload, verifyDumpPayload } from '../persistence/rdb/object.js';
import { RdbError } from '../persistence/rdb/types.js';
import { fromRdbObject, type StoredValue, toRdbObject } from '../persistence/rdb/values.js';
import { AccessMode, lfuMinutes, lruClock } from '../store/access.js';
import { EntryType } from '../store/arena.js';
import type { Db } from '../store/db.js';
import type { CommandContext, CommandSpec } from './context.js';
import { command, keyAt } from './table.js';
import { ERR, isWord, longOrReply } from './util.js';

/** The value stored at `slot` of `db`: a string's bytes (copied) or its collection. */
export function storedValue(db: Db, slot: number): StoredValue {
  return db.type(slot) === EntryType.String ? Buffer.from(db.value(slot)) : db.collection(slot);
}

/** DUMP key: the key's value as a RESTORE payload, or null. */
function dumpCommand(c: CommandContext, argv: Buffer[]): void {
  const slot = c.db.lookup(argv[1]!);
  if (slot < 0) return c.reply.nullBulk();
  c.reply.bulk(createDumpPayload(toRdbObject(storedValue(c.db, slot))));
}

/** RESTORE's options after the payload. */
interface RestoreOptions {
  replace: boolean;
  absttl: boolean;
  /** IDLETIME seconds, or -1. */
  idle: number;
  /** FREQ counter, or -1. */
  freq: number;
}

/** Parses RESTORE's options, or replies Redis's error and returns null. */
function restoreOptions(c: CommandContext, argv: Buffer[]): RestoreOptions | null {
  const o: RestoreOptions = { replace: false, absttl: false, idle: -1, freq: -1 };
  for (let j = 4; j < argv.length; j++) {
    const more = argv.length - j - 1;
    if (isWord(argv[j]!, 'REPLACE')) o.replace = true;
    else if (isWord(argv[j]!, 'ABSTTL')) o.absttl = true;
    else if (isWord(argv[j]!, 'IDLETIME') && more >= 1 && o.freq === -1) {
      const idle = longOrReply(c, argv[++j]!);
      if (idle === null) return null;
      if (idle < 0) {
        c.reply.error('ERR Invalid IDLETIME value, must be >= 0');
        return null;
      }
      o.idle = idle;
    } else if (isWord(argv[j]!, 'FREQ') && more >= 1 && o.idle === -1) {
      const freq = longOrReply(c, argv[++j]!);
      if (freq === null) return null;
      if (freq < 0 || freq > 255) {
        c.reply.error('ERR Invalid FREQ value, must be >= 0 and <= 255');
        return null;
      }
      o.freq = freq;
    } else {
      c.reply.error(ERR.syntax);
      return null;
    }
  }
  return o;
}

/** RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency] */
function restoreCommand(c: CommandContext, argv: Buffer[]): void {
  const o = restoreOptions(c, argv);
  if (o === null) return;
  const key = argv[1]!;
  const db = c.db;
  if (!o.replace && db.lookup(key) >= 0) return c.reply.error('BUSYKEY Target key name already exists.');
  let ttl = longOrReply(c, argv[2]!);
  if (ttl === null) return;
  if (ttl < 0) return c.reply.error('ERR Invalid TTL value, must be >= 0');
  const payload = argv[3]!;
  if (!verifyDumpPayload(payload)) return c.reply.error('ERR DUMP payload version or checksum are wrong');
  let value: StoredValue;
  try {
    const cfg = c.server.config;
    value = fromRdbObject(parseDumpPayload(payload), {
      maxEntries: cfg.get('stream-node-max-entries'),
      maxBytes: cfg.get('stream-node-max-bytes'),
    });
  } catch (err) {
    if (err instanceof RdbError) return c.reply.error('ERR Bad data format');
    throw err;
  }
  const deleted = o.replace && db.delete(key);
  if (ttl > 0 && !o.absttl) ttl += Date.now();
  if (ttl > 0 && ttl <= Date.now()) {
    // Already expired: nothing is created (and a replaced key is gone), as Redis's checkAlreadyExpired.
    if (deleted) {
      c.server.propagate(c.dbIndex, ['DEL', key]);
      c.server.notify(NOTIFY_GENERIC, 'del', key, c.dbIndex);
    }
    return c.reply.ok();
  }
  if (Buffer.isBuffer(value)) db.setString(key, value, ttl, -1);
  else db.setCollection(key, value, ttl, db.findSlot(key));
  setAccess(c, db, key, o);
  c.server.propagate(c.dbIndex, ['RESTORE', key, String(ttl), payload, 'REPLACE', 'ABSTTL']);
  c.server.notify(NOTIFY_NEW, 'new', key, c.dbIndex);
  c.server.notify(NOTIFY_GENERIC, 'restore', key, c.dbIndex);
  c.reply.ok();
}

/**
 * IDLETIME under an LRU policy, FREQ under LFU (object.c `objectSetLRUOrLFU`);
 * ignored otherwise, as Redis ignores the one that does not match its policy.
 */
function setAccess(c: CommandContext, db: Db, key: Buffer, o: RestoreOptions): void {
  const ks = c.server.keyspace;
  const slot = db.peek(key);
  if (slot < 0) return;
  if (ks.accessMode === AccessMode.Lfu && o.freq >= 0) {
    db.setAccessWord(slot, (lfuMinutes(ks.clockMs) << 8) | o.freq);
  } else if (ks.accessMode === AccessMode.Lru && o.idle >= 0) {
    db.setAccessWord(slot, (ks.lruNow - lruClock(o.idle * 1000)) >>> 0);
  }
}

const RESTORE_COMPLEXITY =
  'O(1) to create the new key and additional O(N*M) to reconstruct the serialized value, where N is the number of ' +
  'Redis objects composing the value and M their average size. For small string values the time complexity is ' +
  'thus O(1)+O(1*M) where M is small, so simply O(1). However for sorted set values the complexity is ' +
  'O(N*M*log(N)) because inserting values into sorted sets is O(log(N)).';

/** The DUMP, RESTORE and RESTORE-ASKING table entries. */
export const dumpCommands: CommandSpec[] = [
  command({
    name: 'dump',
    arity: 2,
    flags: ['readonly'],
    keys: [keyAt(1, ['RO', 'access'])],
    group: 'generic',
    since: '2.6.0',
    complexity:
      'O(1) to access the key and additional O(N*M) to serialize it, where N is the number of Redis objects ' +
      'composing the value and M their average size. For small string values the time complexity is thus ' +
      'O(1)+O(1*M) where M is small, so simply O(1).',
    summary: 'Return a serialized version of the value stored at the specified key.',
    handler: dumpCommand,
  }),
  command({
    name: 'restore',
    arity: -4,
    flags: ['write', 'denyoom'],
    keys: [keyAt(1, ['OW', 'update'])],
    group: 'generic',
    since: '2.6.0',
    complexity: RESTORE_COMPLEXITY,
    summary: 'Create a key using the provided serialized value, previously obtained using DUMP.',
    handler: restoreCommand,
  }),
  command({
    name: 'restore-asking',
    arity: -4,
    flags: ['write', 'denyoom', 'asking'],
    keys: [keyAt(1, ['OW', 'update'])],
    group: 'server',
    since: '3.0.0',
    complexity: RESTORE_COMPLEXITY,
    summary: 'An internal command for migrating keys in a cluster',
    handler: restoreCommand,
  }),
];
