/**
 * Stream writes and range reads, after Redis 7.0's t_stream.c: XADD, XLEN,
 * XRANGE, XREVRANGE, XDEL, XTRIM, XSETID. XREAD and XINFO are in
 * ./streamread.ts.
 *
 * Effects logged (docs/FORMAT.md, "Effects"): XADD as `XADD key
 * [MAXLEN|MINID = <threshold>] <the ID it used> field value ...` (an
 * approximate trim as the exact trim to its result, as Redis propagates it);
 * XTRIM that deleted as `XTRIM key MAXLEN|MINID = <threshold>`; XDEL that
 * deleted and XSETID as sent. Keyspace events `xadd`, `xtrim`, `xdel`,
 * `xsetid` (class `t`), and `new` for a stream XADD created.
 *
 * Reference: https://redis.io/docs/latest/commands/?group=stream
 */
import { NOTIFY_NEW, NOTIFY_STREAM } from '../config/keyspace-events.js';
import { MAX_ID, StreamValue, idText } from '../store/stream-value.js';
import type { CommandContext, CommandSpec } from './context.js';
import { logSelf, storeCollection, WRONG } from './collection.js';
import {
  addTrimArgsOrReply,
  intervalOrReply,
  parseIdOrReply,
  replyRange,
  streamForRead,
  streamForWrite,
  trimEffect,
} from './streamcommon.js';
import { command, keyAt } from './table.js';
import { ERR, isWord, parseInt64 } from './util.js';

/**
 * XADD key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]] *|id
 * field value [field value ...] (t_stream.c `xaddCommand`): the new entry's
 * ID, or a null bulk with NOMKSTREAM on a missing key.
 */
function xaddCommand(c: CommandContext, argv: Buffer[]): void {
  const a = addTrimArgsOrReply(c, argv, true);
  if (a === null) return;
  const fieldAt = a.idAt + 1;
  const n = argv.length - fieldAt;
  if (n < 2 || n % 2 === 1) return c.reply.error("ERR wrong number of arguments for 'xadd' command");
  if (a.id?.seqGiven && a.id.id === 0n) {
    return c.reply.error('ERR The ID specified in XADD must be greater than 0-0');
  }
  const key = argv[1]!;
  const found = streamForWrite(c, key);
  if (found === WRONG) return;
  if (found === null && a.noMkStream) return c.reply.nullBulk();
  const s = found ?? new StreamValue();
  if (found === null) storeCollection(c.db, key, s);
  if (s.lastId === MAX_ID) {
    return c.reply.error('ERR The stream has exhausted the last possible ID, unable to add more items');
  }
  const id = s.nextId(a.id === null ? null : a.id.id, a.id === null || a.id.seqGiven, Date.now());
  if (id === null) {
    if (found === null) c.db.delete(key);
    return c.reply.error('ERR The ID specified in XADD is equal or smaller than the target stream top item');
  }
  const fv: string[] = [];
  for (let j = fieldAt; j < argv.length; j++) fv.push(argv[j]!.toString('latin1'));
  const cfg = c.server.config;
  s.append(id, fv, cfg.get('stream-node-max-entries'), cfg.get('stream-node-max-bytes'));
  const idArg = Buffer.from(idText(id));
  c.reply.bulk(idArg);
  if (found === null) c.server.notify(NOTIFY_NEW, 'new', key, c.dbIndex);
  c.server.notify(NOTIFY_STREAM, 'xadd', key, c.dbIndex);
  const effect: (string | Buffer)[] = ['XADD', key];
  if (a.trim !== null) {
    if (s.trim(a.trim) > 0) c.server.notify(NOTIFY_STREAM, 'xtrim', key, c.dbIndex);
    effect.push(...trimEffect(s, a.trim));
  }
  effect.push(idArg, ...argv.slice(fieldAt));
  c.server.propagate(c.dbIndex, effect);
}

/** XLEN key: the number of entries, 0 for a missing key. */
function xlenCommand(c: CommandContext, argv: Buffer[]): void {
  const s = streamForRead(c, argv[1]!);
  if (s === WRONG) return;
  c.reply.int(s === null ? 0 : s.length);
}

/**
 * XRANGE key start end [COUNT count] / XREVRANGE key end start [COUNT
 * count] (t_stream.c `xrangeGenericCommand`): the entries in the interval,
 * a null array for COUNT 0 (a negative count is 0), an empty array for a
 * missing key.
 */
function xrangeGeneric(rev: boolean) {
  return (c: CommandContext, argv: Buffer[]): void => {
    const start = intervalOrReply(c, rev ? argv[3]! : argv[2]!, false);
    if (start === null) return;
    const end = intervalOrReply(c, rev ? argv[2]! : argv[3]!, true);
    if (end === null) return;
    let count = -1;
    for (let j = 4; j < argv.length; j++) {
      if (isWord(argv[j]!, 'COUNT') && j + 1 < argv.length) {
        const n = parseInt64(argv[++j]!);
        if (n === null) return c.reply.error(ERR.notInteger);
        count = n < 0n ? 0 : n > 2n ** 53n ? 2 ** 53 : Number(n);
      } else return c.reply.error(ERR.syntax);
    }
    const s = streamForRead(c, argv[1]!);
    if (s === WRONG) return;
    if (s === null) return c.reply.arrayLen(0);
    if (count === 0) return c.reply.nullArray();
    replyRange(c, s, start, end, count === -1 ? 0 : count, rev);
  };
}

/** XDEL key id [id ...]: the number of entries deleted (IDs all checked first). */
function xdelCommand(c: CommandContext, argv: Buffer[]): void {
  const key = argv[1]!;
  const s = streamForWrite(c, key);
  if (s === WRONG) return;
  if (s === null) return c.reply.int(0);
  const ids: bigint[] = [];
  for (let j = 2; j < argv.length; j++) {
    const p = parseIdOrReply(c, argv[j]!, 0n, true);
    if (p === null) return;
    ids.push(p.id);
  }
  let deleted = 0;
  for (const id of ids) {
    if (s.delete(id)) {
      if (id > s.maxDeletedId) s.maxDeletedId = id;
      deleted++;
    }
  }
  if (deleted > 0) {
    logSelf(c, 'XDEL', argv);
    c.server.notify(NOTIFY_STREAM, 'xdel', key, c.dbIndex);
  }
  c.reply.int(deleted);
}

/** XTRIM key MAXLEN|MINID [=|~] threshold [LIMIT count]: the number of entries deleted. */
function xtrimCommand(c: CommandContext, argv: Buffer[]): void {
  const key = argv[1]!;
  const a = addTrimArgsOrReply(c, argv, false);
  if (a === null) return;
  const s = streamForWrite(c, key);
  if (s === WRONG) return;
  if (s === null) return c.reply.int(0);
  const deleted = s.trim(a.trim!);
  if (deleted > 0) {
    c.server.propagate(c.dbIndex, ['XTRIM', key, ...trimEffect(s, a.trim!)]);
    c.server.notify(NOTIFY_STREAM, 'xtrim', key, c.dbIndex);
  }
  c.reply.int(deleted);
}

/**
 * XSETID key last-id [ENTRIESADDED entries-added] [MAXDELETEDID
 * max-deleted-id] (t_stream.c `xsetidCommand`): sets the stream's last ID
 * and counters. Errors: `ERR no such key` for a missing key, and
 * t_stream.c's texts for an ID below the top entry or counters that contradict it.
 */
function xsetidCommand(c: CommandContext, argv: Buffer[]): void {
  const p = parseIdOrReply(c, argv[2]!, 0n, true);
  if (p === null) return;
  let added = -1n;
  let maxDel = 0n;
  for (let i = 3; i < argv.length; i += 2) {
    const more = i + 1 < argv.length;
    if (more && isWord(argv[i]!, 'ENTRIESADDED')) {
      const n = parseInt64(argv[i + 1]!);
      if (n === null) return c.reply.error(ERR.notInteger);
      if (n < 0n) return c.reply.error('ERR entries_added must be positive');
      added = n;
    } else if (more && isWord(argv[i]!, 'MAXDELETEDID')) {
      const m = parseIdOrReply(c, argv[i + 1]!, 0n, true);
      if (m === null) return;
      if (p.id < m.id) {
        return c.reply.error('ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id');
      }
      maxDel = m.id;
    } else return c.reply.error(ERR.syntax);
  }
  const key = argv[1]!;
  const s = streamForWrite(c, key);
  if (s === WRONG) return;
  if (s === null) return c.reply.error(ERR.noSuchKey);
  if (s.length > 0) {
    if (p.id < s.edgeId(true)!) {
      return c.reply.error('ERR The ID specified in XSETID is smaller than the target stream top item');
    }
    if (added !== -1n && BigInt(s.length) > added) {
      return c.reply.error('ERR The entries_added specified in XSETID is smaller than the target stream length');
    }
  }
  s.lastId = p.id;
  if (added !== -1n) s.entriesAdded = Number(added);
  if (maxDel !== 0n) s.maxDeletedId = maxDel;
  s.touch();
  logSelf(c, 'XSETID', argv);
  c.reply.ok();
  c.server.notify(NOTIFY_STREAM, 'xsetid', key, c.dbIndex);
}

/** The stream commands' table entries (XREAD and XINFO: ./streamread.ts). */
export const streamCommands: CommandSpec[] = [
  command({
    name: 'xadd',
    arity: -5,
    flags: ['write', 'denyoom', 'fast'],
    keys: [
      {
        notes: 'UPDATE instead of INSERT because of the optional trimming feature',
        ...keyAt(1, ['RW', 'update']),
      },
    ],
    group: 'stream',
    since: '5.0.0',
    complexity: 'O(1) when adding a new entry, O(N) when trimming where N being the number of entries evicted.',
    summary: 'Appends a new entry to a stream',
    handler: xaddCommand,
  }),
  command({
    name: 'xlen',
    arity: 2,
    flags: ['readonly', 'fast'],
    keys: [keyAt(1, ['RO'])],
    group: 'stream',
    since: '5.0.0',
    complexity: 'O(1)',
    summary: 'Return the number of entries in a stream',
    handler: xlenCommand,
  }),
  command({
    name: 'xrange',
    arity: -4,
    flags: ['readonly'],
    keys: [keyAt(1, ['RO', 'access'])],
    group: 'stream',
    since: '5.0.0',
    complexity:
      'O(N) with N being the number of elements being returned. If N is constant (e.g. always asking for the ' +
      'first 10 elements with COUNT), you can consider it O(1).',
    summary: 'Return a range of elements in a stream, with IDs matching the specified IDs interval',
    handler: xrangeGeneric(false),
  }),
  command({
    name: 'xrevrange',
    arity: -4,
    flags: ['readonly'],
    keys: [keyAt(1, ['RO', 'access'])],
    group: 'stream',
    since: '5.0.0',
    complexity:
      'O(N) with N being the number of elements returned. If N is constant (e.g. always asking for the first ' +
      '10 elements with COUNT), you can consider it O(1).',
    summary:
      'Return a range of elements in a stream, with IDs matching the specified IDs interval, in reverse order ' +
      '(from greater to smaller IDs) compared to XRANGE',
    handler: xrangeGeneric(true),
  }),
  command({
    name: 'xdel',
    arity: -3,
    flags: ['write', 'fast'],
    keys: [keyAt(1, ['RW', 'delete'])],
    group: 'stream',
    since: '5.0.0',
    complexity: 'O(1) for each single item to delete in the stream, regardless of the stream size.',
    summary:
      'Removes the specified entries from the stream. Returns the number of items actually deleted, that may be ' +
      'different from the number of IDs passed in case certain IDs do not exist.',
    handler: xdelCommand,
  }),
  command({
    name: 'xtrim',
    arity: -4,
    flags: ['write'],
    keys: [keyAt(1, ['RW', 'delete'])],
    group: 'stream',
    since: '5.0.0',
    complexity:
      'O(N), with N being the number of evicted entries. Constant times are very small however, since entries ' +
      'are organized in macro nodes containing multiple entries that can be released with a single deallocation.',
    summary: "Trims the stream to (approximately if '~' is passed) a certain size",
    handler: xtrimCommand,
  }),
  command({
    name: 'xsetid',
    arity: -3,
    flags: ['write', 'denyoom', 'fast'],
    keys: [keyAt(1, ['RW', 'update'])],
    group: 'stream',
    since: '5.0.0',
    complexity: 'O(1)',
    summary: 'An internal command for replicating stream values',
    handler: xsetidCommand,
  }),
];
