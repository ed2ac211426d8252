/**
 * Set commands, after Redis 7.0's t_set.c.
 *
 * Effects logged (docs/FORMAT.md, "Effects"): SADD and SREM as
 * `SADD|SREM key <the members actually added or removed>`; SPOP as
 * `SREM key <the members it popped>`, or `DEL key` when it took the whole
 * set; SMOVE as sent; SINTERSTORE, SUNIONSTORE and SDIFFSTORE as sent when
 * they store a result (deterministic given the prior state: replay computes
 * the same set), and as `DEL destination` when the result is empty and the
 * destination existed. Reads (SRANDMEMBER included) log nothing.
 *
 * Reference: https://redis.io/docs/latest/commands/?group=set
 */
import { NOTIFY_GENERIC, NOTIFY_NEW, NOTIFY_SET } from '../config/keyspace-events.js';
import { EntryType } from '../store/arena.js';
import { SetValue, scanStep } from '../store/collections.js';
import type { CommandContext, CommandSpec } from './context.js';
import { command, keyAt, keysCounted } from './table.js';
import { ERR, INT64_MAX, isWord, positiveLongOrReply, rangeLongOrReply } from './util.js';
import {
  deleteIfEmpty,
  el,
  elementMatches,
  logSelf,
  lookupCollection,
  randomCountOrReply,
  randomIndex,
  readCollection,
  removeElements,
  replyEmptyScan,
  sampleIndexes,
  scanOptionsOrReply,
  storeCollection,
  WRONG,
} from './collection.js';
import { cursorOrReply } from './keys.js';

/** Replies `members` as an array of bulk strings. */
function replyMembers(c: CommandContext, members: readonly string[]): void {
  c.reply.arrayLen(members.length);
  for (const m of members) c.reply.bulkLatin1(m);
}

/**
 * Replies `members` as a set of bulk strings (RESP2: an array), as Redis
 * replies SMEMBERS, SINTER, SUNION, SDIFF and SPOP with a count
 * (networking.c `addReplySetLen`).
 */
function replySet(c: CommandContext, members: readonly string[]): void {
  c.reply.setLen(members.length);
  for (const m of members) c.reply.bulkLatin1(m);
}

/** SADD key member [member ...]: the number of members added. */
function saddCommand(c: CommandContext, argv: Buffer[]): void {
  const key = argv[1]!;
  const db = c.db;
  const found = lookupCollection<SetValue>(c, db, key, EntryType.Set);
  if (found === WRONG) return;
  const s = found ?? new SetValue();
  const added: Buffer[] = [];
  for (let j = 2; j < argv.length; j++) if (s.add(el(argv[j]!))) added.push(argv[j]!);
  if (added.length > 0) {
    if (found === null) storeCollection(db, key, s);
    c.server.propagate(c.dbIndex, ['SADD', key, ...added]);
    if (found === null) c.server.notify(NOTIFY_NEW, 'new', key, c.dbIndex);
    c.server.notify(NOTIFY_SET, 'sadd', key, c.dbIndex);
  }
  c.reply.int(added.length);
}

/** SREM key member [member ...]: the number removed; the key goes when the set empties. */
function sremCommand(c: CommandContext, argv: Buffer[]): void {
  removeElements(c, argv, EntryType.Set, 'SREM');
}

/**
 * SMOVE source destination member (t_set.c `smoveCommand`): 0 when the
 * source is missing (whatever the destination holds) or lacks the member;
 * WRONGTYPE when either key holds another type; with source = destination,
 * whether the member is there.
 */
function smoveCommand(c: CommandContext, argv: Buffer[]): void {
  const srcKey = argv[1]!;
  const dstKey = argv[2]!;
  const db = c.db;
  const srcPresent = db.lookup(srcKey) >= 0;
  db.lookup(dstKey); // as Redis looks both keys up first: an expired destination goes now
  if (!srcPresent) return c.reply.int(0);
  const src = lookupCollection<SetValue>(c, db, srcKey, EntryType.Set);
  if (src === WRONG || src === null) return;
  const dst = lookupCollection<SetValue>(c, db, dstKey, EntryType.Set);
  if (dst === WRONG) return;
  const m = el(argv[3]!);
  if (src === dst) return c.reply.int(src.has(m) ? 1 : 0);
  if (!src.delete(m)) return c.reply.int(0);
  const deleted = deleteIfEmpty(db, srcKey, src);
  let added = true;
  if (dst === null) {
    const s = new SetValue();
    s.add(m);
    storeCollection(db, dstKey, s);
  } else {
    added = dst.add(m);
  }
  c.server.propagate(c.dbIndex, ['SMOVE', srcKey, dstKey, argv[3]!]);
  c.server.notify(NOTIFY_SET, 'srem', srcKey, c.dbIndex);
  if (deleted) c.server.notify(NOTIFY_GENERIC, 'del', srcKey, c.dbIndex);
  if (dst === null) c.server.notify(NOTIFY_NEW, 'new', dstKey, c.dbIndex);
  if (added) c.server.notify(NOTIFY_SET, 'sadd', dstKey, c.dbIndex);
  c.reply.int(1);
}

/** SISMEMBER key member: 1 or 0. */
function sismemberCommand(c: CommandContext, argv: Buffer[]): void {
  const s = readCollection<SetValue>(c, argv[1]!, EntryType.Set);
  if (s === WRONG) return;
  c.reply.int(s?.has(el(argv[2]!)) ? 1 : 0);
}

/** SMISMEMBER key member [member ...]: 1 or 0 per member. */
function smismemberCommand(c: CommandContext, argv: Buffer[]): void {
  const s = readCollection<SetValue>(c, argv[1]!, EntryType.Set);
  if (s === WRONG) return;
  c.reply.arrayLen(argv.length - 2);
  for (let j = 2; j < argv.length; j++) c.reply.int(s?.has(el(argv[j]!)) ? 1 : 0);
}

/** SCARD key: the number of members, 0 for a missing key. */
function scardCommand(c: CommandContext, argv: Buffer[]): void {
  const s = readCollection<SetValue>(c, argv[1]!, EntryType.Set);
  if (s === WRONG) return;
  c.reply.int(s === null ? 0 : s.size);
}

/**
 * SPOP key [count] (t_set.c `spopCommand`, `spopWithCountCommand`). The
 * count must be a non-negative integer (`ERR value is out of range, must be
 * positive`); a count at least the set's size returns the whole set and
 * deletes the key (logged as DEL).
 */
function spopCommand(c: CommandContext, argv: Buffer[]): void {
  if (argv.length > 3) return c.reply.error(ERR.syntax);
  const key = argv[1]!;
  const db = c.db;
  if (argv.length === 2) {
    const s = lookupCollection<SetValue>(c, db, key, EntryType.Set);
    if (s === WRONG) return;
    if (s === null) return c.reply.nullBulk();
    const m = s.members[randomIndex(s.size)]!;
    s.delete(m);
    const deleted = deleteIfEmpty(db, key, s);
    c.server.propagate(c.dbIndex, ['SREM', key, m]);
    c.server.notify(NOTIFY_SET, 'spop', key, c.dbIndex);
    if (deleted) c.server.notify(NOTIFY_GENERIC, 'del', key, c.dbIndex);
    return c.reply.bulkLatin1(m);
  }
  const count = positiveLongOrReply(c, argv[2]!);
  if (count === null) return;
  const s = lookupCollection<SetValue>(c, db, key, EntryType.Set);
  if (s === WRONG) return;
  if (s === null || count === 0) return c.reply.setLen(0);
  c.server.notify(NOTIFY_SET, 'spop', key, c.dbIndex);
  if (count >= s.size) {
    replySet(c, s.members);
    db.delete(key);
    c.server.propagate(c.dbIndex, ['DEL', key]);
    c.server.notify(NOTIFY_GENERIC, 'del', key, c.dbIndex);
    return;
  }
  const popped: string[] = new Array<string>(count);
  for (let k = 0; k < count; k++) {
    const m = s.members[randomIndex(s.size)]!;
    s.delete(m);
    popped[k] = m;
  }
  c.server.propagate(c.dbIndex, ['SREM', key, ...popped]);
  replySet(c, popped);
}

/**
 * SRANDMEMBER key [count] (t_set.c `srandmemberWithCountCommand`). Without
 * a count: one random member, or nil. A positive count: that many distinct
 * members (the whole set when it has no more); a negative one: |count|
 * members drawn with repetition.
 */
function srandmemberCommand(c: CommandContext, argv: Buffer[]): void {
  if (argv.length > 3) return c.reply.error(ERR.syntax);
  if (argv.length === 2) {
    const s = readCollection<SetValue>(c, argv[1]!, EntryType.Set);
    if (s === WRONG) return;
    if (s === null) return c.reply.nullBulk();
    return c.reply.bulkLatin1(s.members[randomIndex(s.size)]!);
  }
  const l = randomCountOrReply(c, argv, null);
  if (l === null) return;
  const s = readCollection<SetValue>(c, argv[1]!, EntryType.Set);
  if (s === WRONG) return;
  if (s === null || l === 0n) return c.reply.arrayLen(0);
  const size = s.size;
  const r = c.reply;
  if (l < 0n) {
    const count = Number(-l);
    r.arrayLen(count);
    for (let k = 0; k < count; k++) r.bulkLatin1(s.members[randomIndex(size)]!);
    return;
  }
  if (l >= BigInt(size)) return replyMembers(c, s.members);
  const count = Number(l);
  r.arrayLen(count);
  for (const i of sampleIndexes(size, count)) r.bulkLatin1(s.members[i]!);
}

/**
 * Looks up the source sets of SINTER/SUNION/SDIFF and their STORE forms:
 * a missing key is null (an empty set); the first key of another type
 * replies WRONGTYPE, even after a missing one, as Redis checks every key.
 * Every form counts keyspace hits and misses, and fires `keymiss` (Redis's
 * lookupKeyRead, store forms included).
 *
 * @returns the sets in argument order, or null after replying WRONGTYPE
 */
function sourceSets(c: CommandContext, keys: readonly Buffer[]): (SetValue | null)[] | null {
  const sets: (SetValue | null)[] = [];
  for (const key of keys) {
    const s = readCollection<SetValue>(c, key, EntryType.Set);
    if (s === WRONG) return null;
    sets.push(s);
  }
  return sets;
}

/**
 * Stores the result of a *STORE command under `dst` and replies its size:
 * a non-empty result replaces whatever `dst` held (dropping its TTL) and the
 * command is logged as sent (under `name`, its canonical name); an empty one deletes `dst`, logged as DEL when
 * there was something to delete.
 */
function storeResult(c: CommandContext, name: string, dst: Buffer, members: readonly string[], argv: Buffer[]): void {
  const db = c.db;
  if (members.length === 0) {
    if (db.delete(dst)) {
      c.server.propagate(c.dbIndex, ['DEL', dst]);
      c.server.notify(NOTIFY_GENERIC, 'del', dst, c.dbIndex);
    }
    return c.reply.int(0);
  }
  const s = new SetValue();
  for (const m of members) s.add(m);
  const existed = db.findSlot(dst) >= 0;
  storeCollection(db, dst, s);
  logSelf(c, name, argv);
  if (!existed) c.server.notify(NOTIFY_NEW, 'new', dst, c.dbIndex);
  c.server.notify(NOTIFY_SET, name.toLowerCase(), dst, c.dbIndex);
  c.reply.int(s.size);
}

/**
 * The intersection of `sets` (none null): walks the smallest set and probes
 * the others, O(N*M) for N the smallest size and M the number of sets.
 *
 * @param limit stop after this many members; 0 for no limit
 */
function intersect(sets: SetValue[], limit: number): string[] {
  const order = [...sets].sort((a, b) => a.size - b.size);
  const first = order[0]!;
  const rest = order.slice(1).filter((s) => s !== first);
  const out: string[] = [];
  for (const m of first.members) {
    let all = true;
    for (const s of rest) {
      if (!s.has(m)) {
        all = false;
        break;
      }
    }
    if (all) {
      out.push(m);
      if (out.length === limit) break;
    }
  }
  return out;
}

/** SINTER key [key ...] and SMEMBERS key (Redis serves SMEMBERS with sinterCommand). */
function sinterCommand(c: CommandContext, argv: Buffer[]): void {
  const sets = sourceSets(c, argv.slice(1));
  if (sets === null) return;
  if (sets.includes(null)) return c.reply.setLen(0);
  if (sets.length === 1) return replySet(c, sets[0]!.members);
  replySet(c, intersect(sets as SetValue[], 0));
}

/** SINTERSTORE destination key [key ...] */
function sinterstoreCommand(c: CommandContext, argv: Buffer[]): void {
  const sets = sourceSets(c, argv.slice(2));
  if (sets === null) return;
  const members = sets.includes(null) ? [] : intersect(sets as SetValue[], 0);
  storeResult(c, 'SINTERSTORE', argv[1]!, members, argv);
}

/**
 * SINTERCARD numkeys key [key ...] [LIMIT limit]: `ERR numkeys should be
 * greater than 0` for a numkeys below 1 or not an integer, `ERR Number of
 * keys can't be greater than number of args`, `ERR LIMIT can't be negative`.
 */
function sintercardCommand(c: CommandContext, argv: Buffer[]): void {
  const n = rangeLongOrReply(c, argv[1]!, 1n, INT64_MAX, 'numkeys should be greater than 0');
  if (n === null) return;
  if (n > argv.length - 2) return c.reply.error("ERR Number of keys can't be greater than number of args");
  let limit = 0;
  for (let j = 2 + n; j < argv.length; j++) {
    if (isWord(argv[j]!, 'LIMIT') && j + 1 < argv.length) {
      const l = positiveLongOrReply(c, argv[++j]!, "LIMIT can't be negative");
      if (l === null) return;
      limit = l;
    } else {
      return c.reply.error(ERR.syntax);
    }
  }
  const sets = sourceSets(c, argv.slice(2, 2 + n));
  if (sets === null) return;
  if (sets.includes(null)) return c.reply.int(0);
  c.reply.int(intersect(sets as SetValue[], limit).length);
}

/** The union of `sets` (nulls are empty sets): O(total size). */
function union(sets: readonly (SetValue | null)[]): string[] {
  const seen = new Set<string>();
  for (const s of sets) if (s !== null) for (const m of s.members) seen.add(m);
  return [...seen];
}

/**
 * The members of the first set in none of the others. Picks Redis's cheaper
 * algorithm: probing each member of the first set in every other set
 * (|first| × sets) or copying the first and removing the others (total size).
 */
function difference(sets: readonly (SetValue | null)[]): string[] {
  const first = sets[0];
  if (first === null || first === undefined) return [];
  const rest: SetValue[] = [];
  for (let j = 1; j < sets.length; j++) {
    const s = sets[j]!;
    if (s === first) return [];
    if (s !== null && s.size > 0) rest.push(s);
  }
  let total = first.size;
  for (const s of rest) total += s.size;
  if (first.size * rest.length <= total) {
    rest.sort((a, b) => b.size - a.size);
    return first.members.filter((m) => !rest.some((s) => s.has(m)));
  }
  const out = new Set(first.members);
  for (const s of rest) {
    for (const m of s.members) out.delete(m);
    if (out.size === 0) break;
  }
  return [...out];
}

/** SUNION key [key ...] */
function sunionCommand(c: CommandContext, argv: Buffer[]): void {
  const sets = sourceSets(c, argv.slice(1));
  if (sets === null) return;
  replySet(c, union(sets));
}

/** SUNIONSTORE destination key [key ...] */
function sunionstoreCommand(c: CommandContext, argv: Buffer[]): void {
  const sets = sourceSets(c, argv.slice(2));
  if (sets === null) return;
  storeResult(c, 'SUNIONSTORE', argv[1]!, union(sets), argv);
}

/** SDIFF key [key ...] */
function sdiffCommand(c: CommandContext, argv: Buffer[]): void {
  const sets = sourceSets(c, argv.slice(1));
  if (sets === null) return;
  replySet(c, difference(sets));
}

/** SDIFFSTORE destination key [key ...] */
function sdiffstoreCommand(c: CommandContext, argv: Buffer[]): void {
  const sets = sourceSets(c, argv.slice(2));
  if (sets === null) return;
  storeResult(c, 'SDIFFSTORE', argv[1]!, difference(sets), argv);
}

/**
 * SSCAN key cursor [MATCH pattern] [COUNT count]: as HSCAN (see hashes.ts);
 * a set still in its intset encoding is returned whole with cursor 0.
 */
function sscanCommand(c: CommandContext, argv: Buffer[]): void {
  const cursor = cursorOrReply(c, argv[2]!);
  if (cursor === null) return;
  const s = readCollection<SetValue>(c, argv[1]!, EntryType.Set);
  if (s === WRONG) return;
  if (s === null) return replyEmptyScan(c);
  const opts = scanOptionsOrReply(c, argv, 3);
  if (opts === null) return;
  let from = 0;
  let to = s.size;
  let next = 0;
  if (s.encoding !== 'intset') ({ next, from, to } = scanStep(cursor, s.size, opts.count));
  const picked: string[] = [];
  for (let i = to - 1; i >= from; i--) {
    const m = s.members[i]!;
    if (elementMatches(opts.match, m)) picked.push(m);
  }
  c.reply.arrayLen(2);
  c.reply.bulkAscii(String(next));
  replyMembers(c, picked);
}

/** The set family's table entries. */
export const setCommands: CommandSpec[] = [
  command({
    name: 'sadd',
    arity: -3,
    flags: ['write', 'denyoom', 'fast'],
    keys: [keyAt(1, ['RW', 'insert'])],
    group: 'set',
    since: '1.0.0',
    complexity:
      'O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.',
    summary: 'Add one or more members to a set',
    handler: saddCommand,
  }),
  command({
    name: 'srem',
    arity: -3,
    flags: ['write', 'fast'],
    keys: [keyAt(1, ['RW', 'delete'])],
    group: 'set',
    since: '1.0.0',
    complexity: 'O(N) where N is the number of members to be removed.',
    summary: 'Remove one or more members from a set',
    handler: sremCommand,
  }),
  command({
    name: 'smembers',
    arity: 2,
    flags: ['readonly'],
    keys: [keyAt(1, ['RO', 'access'])],
    group: 'set',
    since: '1.0.0',
    complexity: 'O(N) where N is the set cardinality.',
    summary: 'Get all the members in a set',
    handler: sinterCommand,
  }),
  command({
    name: 'sismember',
    arity: 3,
    flags: ['readonly', 'fast'],
    keys: [keyAt(1, ['RO'])],
    group: 'set',
    since: '1.0.0',
    complexity: 'O(1)',
    summary: 'Determine if a given value is a member of a set',
    handler: sismemberCommand,
  }),
  command({
    name: 'smismember',
    arity: -3,
    flags: ['readonly', 'fast'],
    keys: [keyAt(1, ['RO', 'access'])],
    group: 'set',
    since: '6.2.0',
    complexity: 'O(N) where N is the number of elements being checked for membership',
    summary: 'Returns the membership associated with the given elements for a set',
    handler: smismemberCommand,
  }),
  command({
    name: 'scard',
    arity: 2,
    flags: ['readonly', 'fast'],
    keys: [keyAt(1, ['RO'])],
    group: 'set',
    since: '1.0.0',
    complexity: 'O(1)',
    summary: 'Get the number of members in a set',
    handler: scardCommand,
  }),
  command({
    name: 'spop',
    arity: -2,
    flags: ['write', 'fast'],
    keys: [keyAt(1, ['RW', 'access', 'delete'])],
    group: 'set',
    since: '1.0.0',
    complexity: 'Without the count argument O(1), otherwise O(N) where N is the value of the passed count.',
    summary: 'Remove and return one or multiple random members from a set',
    handler: spopCommand,
  }),
  command({
    name: 'srandmember',
    arity: -2,
    flags: ['readonly'],
    keys: [keyAt(1, ['RO', 'access'])],
    group: 'set',
    since: '1.0.0',
    complexity: 'Without the count argument O(1), otherwise O(N) where N is the absolute value of the passed count.',
    summary: 'Get one or multiple random members from a set',
    handler: srandmemberCommand,
  }),
  command({
    name: 'smove',
    arity: 4,
    flags: ['write', 'fast'],
    keys: [keyAt(1, ['RW', 'access', 'delete']), keyAt(2, ['RW', 'insert'])],
    group: 'set',
    since: '1.0.0',
    complexity: 'O(1)',
    summary: 'Move a member from one set to another',
    handler: smoveCommand,
  }),
  command({
    name: 'sinter',
    arity: -2,
    flags: ['readonly'],
    keys: [keyAt(1, ['RO', 'access'], -1)],
    group: 'set',
    since: '1.0.0',
    complexity: 'O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.',
    summary: 'Intersect multiple sets',
    handler: sinterCommand,
  }),
  command({
    name: 'sintercard',
    arity: -3,
    flags: ['readonly'],
    keys: [keysCounted(1, ['RO', 'access'])],
    group: 'set',
    since: '7.0.0',
    complexity: 'O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.',
    summary: 'Intersect multiple sets and return the cardinality of the result',
    handler: sintercardCommand,
  }),
  command({
    name: 'sunion',
    arity: -2,
    flags: ['readonly'],
    keys: [keyAt(1, ['RO', 'access'], -1)],
    group: 'set',
    since: '1.0.0',
    complexity: 'O(N) where N is the total number of elements in all given sets.',
    summary: 'Add multiple sets',
    handler: sunionCommand,
  }),
  command({
    name: 'sdiff',
    arity: -2,
    flags: ['readonly'],
    keys: [keyAt(1, ['RO', 'access'], -1)],
    group: 'set',
    since: '1.0.0',
    complexity: 'O(N) where N is the total number of elements in all given sets.',
    summary: 'Subtract multiple sets',
    handler: sdiffCommand,
  }),
  command({
    name: 'sinterstore',
    arity: -3,
    flags: ['write', 'denyoom'],
    keys: [keyAt(1, ['RW', 'update']), keyAt(2, ['RO', 'access'], -1)],
    group: 'set',
    since: '1.0.0',
    complexity: 'O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.',
    summary: 'Intersect multiple sets and store the resulting set in a key',
    handler: sinterstoreCommand,
  }),
  command({
    name: 'sunionstore',
    arity: -3,
    flags: ['write', 'denyoom'],
    keys: [keyAt(1, ['OW', 'update']), keyAt(2, ['RO', 'access'], -1)],
    group: 'set',
    since: '1.0.0',
    complexity: 'O(N) where N is the total number of elements in all given sets.',
    summary: 'Add multiple sets and store the resulting set in a key',
    handler: sunionstoreCommand,
  }),
  command({
    name: 'sdiffstore',
    arity: -3,
    flags: ['write', 'denyoom'],
    keys: [keyAt(1, ['OW', 'update']), keyAt(2, ['RO', 'access'], -1)],
    group: 'set',
    since: '1.0.0',
    complexity: 'O(N) where N is the total number of elements in all given sets.',
    summary: 'Subtract multiple sets and store the resulting set in a key',
    handler: sdiffstoreCommand,
  }),
  command({
    name: 'sscan',
    arity: -3,
    flags: ['readonly'],
    keys: [keyAt(1, ['RO', 'access'])],
    group: 'set',
    since: '2.8.0',
    complexity:
      'O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return ' +
      'back to 0. N is the number of elements inside the collection..',
    summary: 'Incrementally iterate Set elements',
    handler: sscanCommand,
  }),
];
