/**
 * Generic key commands, after Redis's db.c: existence, type, iteration
 * (KEYS, SCAN, RANDOMKEY), renaming, copying and moving, OBJECT. Expiry is
 * in ./expire.ts.
 *
 * Reference: https://redis.io/docs/latest/commands/?group=generic
 */
import { EntryType } from '../store/arena.js';
import { AccessMode, idleMs, lfuDecayed } from '../store/access.js';
import { globMatch, matchesAll } from '../store/glob.js';
import { NOTIFY_GENERIC, NOTIFY_NEW } from '../config/keyspace-events.js';
import type { CommandContext, CommandSpec, OtherDbKey } from './context.js';
import { keyMiss } from './notify.js';
import { command, container, keyAt } from './table.js';
import { ERR, isWord, longOrReply, parseInt64, parseLong, replyHelp } from './util.js';

/** The name TYPE reports for an entry type. */
export function typeName(t: number): string {
  switch (t) {
    case EntryType.String:
      return 'string';
    case EntryType.Hash:
      return 'hash';
    case EntryType.List:
      return 'list';
    case EntryType.Set:
      return 'set';
    case EntryType.ZSet:
      return 'zset';
    case EntryType.Stream:
      return 'stream';
    default:
      return 'none';
  }
}

/** DEL key [key ...] / UNLINK: the keys that existed are logged as one DEL. */
function delCommand(c: CommandContext, argv: Buffer[]): void {
  const db = c.db;
  const gone: Buffer[] = [];
  for (let j = 1; j < argv.length; j++) {
    if (db.delete(argv[j]!)) gone.push(argv[j]!);
  }
  if (gone.length > 0) c.server.propagate(c.dbIndex, ['DEL', ...gone]);
  for (const key of gone) c.server.notify(NOTIFY_GENERIC, 'del', key, c.dbIndex);
  c.reply.int(gone.length);
}

/**
 * A read of `key` that found it (`slot` >= 0) or not: a keyspace hit, or a
 * miss and the `keymiss` event (db.c `lookupKey`).
 *
 * @returns whether it was found
 */
export function countRead(c: CommandContext, key: Buffer, slot: number): boolean {
  if (slot < 0) keyMiss(c, key);
  else c.server.stats.keyspaceHits++;
  return slot >= 0;
}

/** EXISTS key [key ...]: a key named twice counts twice. Does not count as an access (Redis's LOOKUP_NOTOUCH). */
function existsCommand(c: CommandContext, argv: Buffer[]): void {
  let n = 0;
  for (let j = 1; j < argv.length; j++) if (countRead(c, argv[j]!, c.db.peek(argv[j]!))) n++;
  c.reply.int(n);
}

/** TOUCH key [key ...]: counts an access to each key (LRU clock, LFU counter) and replies how many exist. */
function touchCommand(c: CommandContext, argv: Buffer[]): void {
  let n = 0;
  for (let j = 1; j < argv.length; j++) if (countRead(c, argv[j]!, c.db.lookup(argv[j]!))) n++;
  c.reply.int(n);
}

/** TYPE key */
function typeCommand(c: CommandContext, argv: Buffer[]): void {
  const slot = c.db.peek(argv[1]!);
  countRead(c, argv[1]!, slot);
  c.reply.simple(slot < 0 ? 'none' : typeName(c.db.type(slot)));
}

/** KEYS pattern: every live key matching, in index order. */
function keysCommand(c: CommandContext, argv: Buffer[]): void {
  const db = c.db;
  const pattern = argv[1]!;
  const all = matchesAll(pattern);
  const keys: Buffer[] = [];
  db.forEachSlot((slot) => {
    if (db.isExpired(slot)) return;
    const key = db.key(slot);
    if (all || globMatch(pattern, key)) keys.push(key);
  });
  c.reply.bulkArray(keys);
}

/**
 * Parses a SCAN cursor (an unsigned decimal), or replies `ERR invalid cursor`.
 *
 * @returns the cursor, or null after replying
 */
export function cursorOrReply(c: CommandContext, arg: Buffer): number | null {
  // strtoul semantics, as Redis parses cursors: a leading '-' wraps around.
  const m = /^(-?)([0-9]+)$/.exec(arg.toString('latin1'));
  if (m === null || BigInt(m[2]!) > 0xffff_ffff_ffff_ffffn) {
    c.reply.error(ERR.invalidCursor);
    return null;
  }
  const v = m[1] === '-' ? (1n << 64n) - BigInt(m[2]!) : BigInt(m[2]!);
  return Number(v & 0xffff_ffffn);
}

/** SCAN cursor [MATCH pattern] [COUNT count] [TYPE type] */
function scanCommand(c: CommandContext, argv: Buffer[]): void {
  const cursor = cursorOrReply(c, argv[1]!);
  if (cursor === null) return;
  let count = 10;
  let match: Buffer | null = null;
  let type: string | null = null;
  for (let j = 2; j < argv.length; j++) {
    const more = j + 1 < argv.length;
    if (isWord(argv[j]!, 'COUNT') && more) {
      const n = longOrReply(c, argv[++j]!);
      if (n === null) return;
      if (n < 1) return c.reply.error(ERR.syntax);
      count = n;
    } else if (isWord(argv[j]!, 'MATCH') && more) {
      match = argv[++j]!;
    } else if (isWord(argv[j]!, 'TYPE') && more) {
      type = argv[++j]!.toString('latin1').toLowerCase();
    } else {
      return c.reply.error(ERR.syntax);
    }
  }
  const db = c.db;
  const step = db.scan(cursor, count, match);
  // Filter after the walk: removing an expired key during it would disturb the index being walked.
  const keys: Buffer[] = [];
  for (const key of step.keys) {
    const slot = db.lookup(key);
    if (slot < 0) continue;
    if (type !== null && typeName(db.type(slot)) !== type) continue;
    keys.push(key);
  }
  c.reply.arrayLen(2);
  c.reply.bulkAscii(String(step.cursor));
  c.reply.bulkArray(keys);
}

/** RANDOMKEY: a random live key, expired picks removed and retried (db.c `dbRandomKey`). */
function randomkeyCommand(c: CommandContext): void {
  const db = c.db;
  for (let tries = 0; tries < 1000; tries++) {
    const slot = db.randomSlot();
    if (slot < 0) break;
    if (db.isExpired(slot)) {
      db.lookup(db.key(slot));
      continue;
    }
    return c.reply.bulk(db.key(slot));
  }
  c.reply.nullBulk();
}

/** RENAME key newkey / RENAMENX (db.c `renameGenericCommand`). */
function renameGeneric(nx: boolean) {
  return (c: CommandContext, argv: Buffer[]): void => {
    const db = c.db;
    const src = argv[1]!;
    const dst = argv[2]!;
    const slot = db.lookup(src);
    if (slot < 0) return c.reply.error(ERR.noSuchKey);
    if (src.equals(dst)) return nx ? c.reply.int(0) : c.reply.ok();
    const expireAt = db.expireAt(slot);
    if (db.lookup(dst) >= 0 && nx) return c.reply.int(0);
    db.moveTo(db.findSlot(src), db, dst, expireAt);
    c.server.propagate(c.dbIndex, ['RENAME', src, dst]);
    c.server.notify(NOTIFY_NEW, 'new', dst, c.dbIndex);
    c.server.notify(NOTIFY_GENERIC, 'rename_from', src, c.dbIndex);
    c.server.notify(NOTIFY_GENERIC, 'rename_to', dst, c.dbIndex);
    if (nx) c.reply.int(1);
    else c.reply.ok();
  };
}

/**
 * Parses a database index argument, or replies the integer or range error.
 *
 * @returns the index, or null after replying
 */
export function dbIndexOrReply(c: CommandContext, arg: Buffer): number | null {
  const id = longOrReply(c, arg);
  if (id === null) return null;
  if (id < 0 || id >= c.server.keyspace.dbs.length || id > 2 ** 31 - 1) {
    c.reply.error(ERR.dbRange);
    return null;
  }
  return id;
}

/** COPY source destination [DB destination-db] [REPLACE] */
function copyCommand(c: CommandContext, argv: Buffer[]): void {
  let replace = false;
  let dstIndex = c.dbIndex;
  for (let j = 3; j < argv.length; j++) {
    if (isWord(argv[j]!, 'REPLACE')) replace = true;
    else if (isWord(argv[j]!, 'DB') && j + 1 < argv.length) {
      const id = dbIndexOrReply(c, argv[++j]!);
      if (id === null) return;
      dstIndex = id;
    } else return c.reply.error(ERR.syntax);
  }
  const src = c.db;
  const dst = c.server.keyspace.dbs[dstIndex]!;
  const key = argv[1]!;
  const newKey = argv[2]!;
  if (src === dst && key.equals(newKey)) return c.reply.error(ERR.sameObject);
  const slot = src.lookup(key);
  if (slot < 0) return c.reply.int(0);
  const expireAt = src.expireAt(slot);
  if (dst.lookup(newKey) >= 0 && !replace) return c.reply.int(0);
  src.copyTo(src.findSlot(key), dst, newKey, expireAt);
  const effect: (Buffer | string)[] = ['COPY', key, newKey, 'DB', String(dstIndex)];
  if (replace) effect.push('REPLACE');
  c.server.propagate(c.dbIndex, effect);
  c.server.notify(NOTIFY_NEW, 'new', newKey, dstIndex);
  c.server.notify(NOTIFY_GENERIC, 'copy_to', newKey, dstIndex);
  c.reply.int(1);
}

/** COPY ... DB n writes its destination key in database n (the key specs name it as a key of the selected one). */
function copyOtherDbKeys(argv: readonly Buffer[]): OtherDbKey[] {
  const out: OtherDbKey[] = [];
  for (let j = 3; j + 1 < argv.length; j++) {
    if (!isWord(argv[j]!, 'DB')) continue;
    const db = parseLong(argv[j + 1]!);
    if (db !== null) out.push({ db, key: argv[2]! });
  }
  return out;
}

/** MOVE key db writes `key` in database `db`. */
function moveOtherDbKeys(argv: readonly Buffer[]): OtherDbKey[] {
  const db = parseLong(argv[2]!);
  return db === null ? [] : [{ db, key: argv[1]! }];
}

/** MOVE key db */
function moveCommand(c: CommandContext, argv: Buffer[]): void {
  const dstIndex = dbIndexOrReply(c, argv[2]!);
  if (dstIndex === null) return;
  const src = c.db;
  const dst = c.server.keyspace.dbs[dstIndex]!;
  if (src === dst) return c.reply.error(ERR.sameObject);
  const key = argv[1]!;
  const slot = src.lookup(key);
  if (slot < 0) return c.reply.int(0);
  const expireAt = src.expireAt(slot);
  if (dst.lookup(key) >= 0) return c.reply.int(0);
  src.moveTo(src.findSlot(key), dst, key, expireAt);
  c.server.propagate(c.dbIndex, ['MOVE', key, String(dstIndex)]);
  c.server.notify(NOTIFY_NEW, 'new', key, dstIndex);
  c.server.notify(NOTIFY_GENERIC, 'move_from', key, c.dbIndex);
  c.server.notify(NOTIFY_GENERIC, 'move_to', key, dstIndex);
  c.reply.int(1);
}

/**
 * OBJECT ENCODING key: the encoding Redis 7.0 would report for the value
 * (strings: int, embstr or raw; collections: the compact encoding until they
 * outgrow Redis's default limits, then the large one). See
 * https://redis.io/docs/latest/commands/object-encoding/
 */
function objectEncodingCommand(c: CommandContext, argv: Buffer[]): void {
  const db = c.db;
  const slot = db.peek(argv[2]!);
  if (slot < 0) return c.reply.nullBulk();
  const t = db.type(slot);
  if (t !== EntryType.String) return c.reply.bulkString(db.collection(slot).encoding);
  const v = db.value(slot);
  if (v.length <= 20 && parseInt64(v) !== null && String(parseInt64(v)) === v.toString('latin1'))
    return c.reply.bulkString('int');
  c.reply.bulkString(v.length <= 44 ? 'embstr' : 'raw');
}

/** Redis's note on switching between LRU and LFU at run time, which ends both OBJECT errors below. */
const SWITCH_NOTE =
  'Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.';

/**
 * OBJECT IDLETIME key: seconds since the key was last read or written
 * (https://redis.io/docs/latest/commands/object-idletime/). Not tracked
 * under an LFU policy (Redis's error) nor under FIFO, whose access word
 * holds the insertion time (the same error, naming FIFO).
 */
function objectIdletimeCommand(c: CommandContext, argv: Buffer[]): void {
  const db = c.db;
  const slot = db.peek(argv[2]!);
  if (slot < 0) return c.reply.nullBulk();
  const ks = c.server.keyspace;
  if (ks.accessMode === AccessMode.Lfu)
    return c.reply.error(`ERR An LFU maxmemory policy is selected, idle time not tracked. ${SWITCH_NOTE}`);
  if (ks.accessMode === AccessMode.Fifo)
    return c.reply.error(
      'ERR A FIFO maxmemory policy is selected, idle time not tracked: keys are ranked by insertion time.',
    );
  c.reply.int(Math.floor(idleMs(ks.lruNow, db.accessWord(slot)) / 1000));
}

/**
 * OBJECT FREQ key: the key's logarithmic access counter after decay, under an
 * LFU policy (https://redis.io/docs/latest/commands/object-freq/).
 */
function objectFreqCommand(c: CommandContext, argv: Buffer[]): void {
  const db = c.db;
  const slot = db.peek(argv[2]!);
  if (slot < 0) return c.reply.nullBulk();
  const ks = c.server.keyspace;
  if (ks.accessMode !== AccessMode.Lfu)
    return c.reply.error(`ERR An LFU maxmemory policy is not selected, access frequency not tracked. ${SWITCH_NOTE}`);
  c.reply.int(lfuDecayed(db.accessWord(slot), ks.clockMs, ks.lfuDecayTime));
}

/** OBJECT REFCOUNT key: 1 for every key (values are never shared here). */
function objectRefcountCommand(c: CommandContext, argv: Buffer[]): void {
  if (c.db.peek(argv[2]!) < 0) return c.reply.nullBulk();
  c.reply.int(1);
}

/** OBJECT HELP */
function objectHelpCommand(c: CommandContext): void {
  replyHelp(c, 'OBJECT', [
    'ENCODING <key>',
    '    Return the kind of internal representation used in order to store the value',
    '    associated with a <key>.',
    'FREQ <key>',
    '    Return the access frequency index of the <key>. The returned integer is',
    '    proportional to the logarithm of the recent access frequency of the key.',
    'IDLETIME <key>',
    '    Return the idle time of the <key>, that is the approximated number of',
    '    seconds elapsed since the last access to the key.',
    'REFCOUNT <key>',
    '    Return the number of references of the value associated with the specified',
    '    <key>.',
  ]);
}

/** The generic key family's table entries. */
export const keyCommands: CommandSpec[] = [
  command({
    name: 'del',
    arity: -2,
    flags: ['write'],
    keys: [keyAt(1, ['RM', 'delete'], -1)],
    group: 'generic',
    since: '1.0.0',
    complexity: 'O(N) where N is the number of keys that will be removed.',
    summary: 'Deletes one or more keys.',
    handler: delCommand,
  }),
  command({
    name: 'unlink',
    arity: -2,
    flags: ['write', 'fast'],
    keys: [keyAt(1, ['RM', 'delete'], -1)],
    group: 'generic',
    since: '4.0.0',
    complexity: 'O(1) for each key removed regardless of its size.',
    summary: 'Asynchronously deletes one or more keys.',
    handler: delCommand,
  }),
  command({
    name: 'exists',
    arity: -2,
    flags: ['readonly', 'fast'],
    keys: [keyAt(1, ['RO'], -1)],
    group: 'generic',
    since: '1.0.0',
    complexity: 'O(N) where N is the number of keys to check.',
    summary: 'Determines whether one or more keys exist.',
    handler: existsCommand,
  }),
  command({
    name: 'touch',
    arity: -2,
    flags: ['readonly', 'fast'],
    keys: [keyAt(1, ['RO'], -1)],
    group: 'generic',
    since: '3.2.1',
    complexity: 'O(N) where N is the number of keys that will be touched.',
    summary:
      'Returns the number of existing keys out of those specified after updating the time they were last accessed.',
    handler: touchCommand,
  }),
  command({
    name: 'type',
    arity: 2,
    flags: ['readonly', 'fast'],
    keys: [keyAt(1, ['RO'])],
    group: 'generic',
    since: '1.0.0',
    complexity: 'O(1)',
    summary: 'Determines the type of value stored at a key.',
    handler: typeCommand,
  }),
  command({
    name: 'keys',
    arity: 2,
    flags: ['readonly'],
    group: 'generic',
    since: '1.0.0',
    complexity: 'O(N) with N being the number of keys in the database.',
    summary: 'Returns all key names that match a pattern.',
    handler: keysCommand,
  }),
  command({
    name: 'scan',
    arity: -2,
    flags: ['readonly'],
    group: 'generic',
    since: '2.8.0',
    complexity: 'O(1) for every call. O(N) for a complete iteration.',
    summary: 'Iterates over the key names in the database.',
    handler: scanCommand,
  }),
  command({
    name: 'randomkey',
    arity: 1,
    flags: ['readonly'],
    group: 'generic',
    since: '1.0.0',
    complexity: 'O(1)',
    summary: 'Returns a random key name from the database.',
    handler: randomkeyCommand,
  }),
  command({
    name: 'rename',
    arity: 3,
    flags: ['write'],
    keys: [keyAt(1, ['RW', 'access', 'delete']), keyAt(2, ['OW', 'update'])],
    group: 'generic',
    since: '1.0.0',
    complexity: 'O(1)',
    summary: 'Renames a key and overwrites the destination.',
    handler: renameGeneric(false),
  }),
  command({
    name: 'renamenx',
    arity: 3,
    flags: ['write', 'fast'],
    keys: [keyAt(1, ['RW', 'access', 'delete']), keyAt(2, ['OW', 'insert'])],
    group: 'generic',
    since: '1.0.0',
    complexity: 'O(1)',
    summary: "Renames a key only when the target key name doesn't exist.",
    handler: renameGeneric(true),
  }),
  command({
    name: 'copy',
    arity: -3,
    flags: ['write', 'denyoom'],
    keys: [keyAt(1, ['RO', 'access']), keyAt(2, ['OW', 'update'])],
    otherDbKeys: copyOtherDbKeys,
    group: 'generic',
    since: '6.2.0',
    complexity: 'O(N) worst case for collections, where N is the number of nested items. O(1) for string values.',
    summary: 'Copies the value of a key to a new key.',
    handler: copyCommand,
  }),
  command({
    name: 'move',
    arity: 3,
    flags: ['write', 'fast'],
    keys: [keyAt(1, ['RW', 'access', 'update'])],
    otherDbKeys: moveOtherDbKeys,
    group: 'generic',
    since: '1.0.0',
    complexity: 'O(1)',
    summary: 'Moves a key to another database.',
    handler: moveCommand,
  }),
  container('object', 'generic', '2.2.3', 'A container for object introspection commands.', [
    command({
      name: 'object|encoding',
      arity: 3,
      flags: ['readonly'],
      keys: [keyAt(2, ['RO'])],
      group: 'generic',
      since: '2.2.3',
      complexity: 'O(1)',
      summary: 'Returns the internal encoding of a Redis object.',
      handler: objectEncodingCommand,
    }),
    command({
      name: 'object|freq',
      arity: 3,
      flags: ['readonly'],
      keys: [keyAt(2, ['RO'])],
      group: 'generic',
      since: '4.0.0',
      complexity: 'O(1)',
      summary: 'Returns the logarithmic access frequency counter of a Redis object.',
      handler: objectFreqCommand,
    }),
    command({
      name: 'object|idletime',
      arity: 3,
      flags: ['readonly'],
      keys: [keyAt(2, ['RO'])],
      group: 'generic',
      since: '2.2.3',
      complexity: 'O(1)',
      summary: 'Returns the time since the last access to a Redis object.',
      handler: objectIdletimeCommand,
    }),
    command({
      name: 'object|refcount',
      arity: 3,
      flags: ['readonly'],
      keys: [keyAt(2, ['RO'])],
      group: 'generic',
      since: '2.2.3',
      complexity: 'O(1)',
      summary: 'Returns the reference count of a value of a key.',
      handler: objectRefcountCommand,
    }),
    command({
      name: 'object|help',
      arity: 2,
      flags: ['loading', 'stale'],
      group: 'generic',
      since: '6.2.0',
      complexity: 'O(1)',
      summary: 'Returns helpful text about the different subcommands.',
      handler: objectHelpCommand,
    }),
  ]),
];
