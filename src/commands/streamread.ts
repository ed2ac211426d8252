/**
 * XREAD (blocking included) and XINFO, after Redis 7.0's t_stream.c
 * (`xreadCommand`, `xinfoCommand`) and blocking.c
 * (`serveClientsBlockedOnStreamKey`). A blocked XREAD waits in the registry
 * of ./blocking.ts; an XADD to one of its keys signals it, and it is served
 * when the stream's last ID passed the ID it waits after. Reads log nothing.
 *
 * Reference: https://redis.io/docs/latest/commands/xread/,
 * https://redis.io/docs/latest/commands/xinfo-stream/
 */
import { EntryType } from '../store/arena.js';
import { MAX_ID, idText, type StreamValue } from '../store/stream-value.js';
import type { BlockedCommand, CommandContext, CommandSpec } from './context.js';
import { WRONG } from './collection.js';
import { countRead } from './keys.js';
import { parseIdOrReply, replyEntry, replyRange, streamForRead } from './streamcommon.js';
import { replyGroupsFull, xinfoConsumersCommand, xinfoGroupsCommand } from './streamgroups.js';
import { command, container, keyAt } from './table.js';
import { ERR, isWord, parseInt64, replyHelp } from './util.js';

/** What a blocked XREAD without COUNT is served at most (t_stream.c `XREAD_BLOCKED_DEFAULT_COUNT`). */
const BLOCKED_DEFAULT_COUNT = 1000;

/**
 * A timeout in milliseconds (timeout.c `getTimeoutFromObjectOrReply` with
 * `UNIT_MILLISECONDS`): an integer, not negative.
 *
 * @returns the absolute deadline in Unix ms (0: none), or null after replying
 */
export function msDeadlineOrReply(c: CommandContext, arg: Buffer): number | null {
  const v = parseInt64(arg);
  if (v === null) {
    c.reply.error('ERR timeout is not an integer or out of range');
    return null;
  }
  if (v < 0n) {
    c.reply.error('ERR timeout is negative');
    return null;
  }
  if (v === 0n) return 0;
  const now = BigInt(Date.now());
  if (v > 9223372036854775807n - now) {
    c.reply.error('ERR timeout is out of range');
    return null;
  }
  return Number(v + now);
}

/** The stream at `key` without counting a read, or null (absent or another type). */
function streamOrNull(c: CommandContext, key: Buffer): StreamValue | null {
  const slot = c.db.lookup(key);
  if (slot < 0 || c.db.type(slot) !== EntryType.Stream) return null;
  return c.db.collection(slot) as StreamValue;
}

/** Opens one stream's part of an XREAD reply: `[key, ...` in RESP2, a map key in RESP3. */
function replyStreamKey(c: CommandContext, key: Buffer): void {
  if (c.reply.resp === 2) c.reply.arrayLen(2);
  c.reply.bulk(key);
}

/**
 * XREAD [COUNT count] [BLOCK milliseconds] STREAMS key [key ...] id [id
 * ...]: for each stream with entries after its ID, `[key, entries]` (RESP3:
 * a map of key to entries); a null array when none has any and there is no
 * BLOCK, or when a BLOCK times out. `$` is the stream's last ID.
 */
/** The options of an XREAD or XREADGROUP call (t_stream.c `xreadCommand`'s parsing). */
export interface ReadArgs {
  /** Absolute ms of BLOCK's end (0: forever), or -1 without BLOCK. */
  deadline: number;
  /** COUNT, 0 without it. */
  count: number;
  /** Index of the first key after STREAMS. */
  streamsAt: number;
  /** Number of keys (as many IDs follow). */
  n: number;
  group: Buffer | null;
  consumer: Buffer | null;
  noack: boolean;
}

/**
 * Parses XREAD's options, or XREADGROUP's (`grouped`), replying Redis's
 * error: a syntax error, `Unbalanced XREAD list of streams`, GROUP or NOACK
 * given to XREAD.
 *
 * @returns the options, or null after replying
 */
export function readArgsOrReply(c: CommandContext, argv: Buffer[], grouped: boolean): ReadArgs | null {
  const o: ReadArgs = { deadline: -1, count: 0, streamsAt: 0, n: 0, group: null, consumer: null, noack: false };
  for (let i = 1; i < argv.length; i++) {
    const more = argv.length - i - 1;
    const a = argv[i]!;
    if (isWord(a, 'BLOCK') && more > 0) {
      const d = msDeadlineOrReply(c, argv[++i]!);
      if (d === null) return null;
      o.deadline = d;
    } else if (isWord(a, 'COUNT') && more > 0) {
      const v = parseInt64(argv[++i]!);
      if (v === null) {
        c.reply.error(ERR.notInteger);
        return null;
      }
      o.count = v < 0n ? 0 : v > 2n ** 53n ? 2 ** 53 : Number(v);
    } else if (isWord(a, 'STREAMS') && more > 0) {
      o.streamsAt = i + 1;
      const n = argv.length - o.streamsAt;
      if (n % 2 !== 0) {
        c.reply.error("ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.");
        return null;
      }
      o.n = n / 2;
      break;
    } else if (isWord(a, 'GROUP') && more >= 2) {
      if (!grouped) {
        c.reply.error('ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.');
        return null;
      }
      o.group = argv[i + 1]!;
      o.consumer = argv[i + 2]!;
      i += 2;
    } else if (isWord(a, 'NOACK')) {
      if (!grouped) {
        c.reply.error('ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.');
        return null;
      }
      o.noack = true;
    } else {
      c.reply.error(ERR.syntax);
      return null;
    }
  }
  if (o.streamsAt === 0) {
    c.reply.error(ERR.syntax);
    return null;
  }
  return o;
}

function xreadCommand(c: CommandContext, argv: Buffer[]): void {
  const o = readArgsOrReply(c, argv, false);
  if (o === null) return;
  const { deadline, count, streamsAt, n } = o;
  const keys = argv.slice(streamsAt, streamsAt + n);
  const after: bigint[] = [];
  for (let i = 0; i < n; i++) {
    const key = keys[i]!;
    const slot = c.db.lookup(key);
    if (slot >= 0 && c.db.type(slot) !== EntryType.Stream) return c.reply.error(ERR.wrongType);
    const s = slot >= 0 ? (c.db.collection(slot) as StreamValue) : null;
    const arg = argv[streamsAt + n + i]!;
    if (arg.length === 1 && arg[0] === 0x24) {
      after.push(s === null ? 0n : s.lastId);
      continue;
    }
    if (arg.length === 1 && arg[0] === 0x3e) {
      return c.reply.error(
        'ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.',
      );
    }
    const p = parseIdOrReply(c, arg, 0n, true);
    if (p === null) return;
    after.push(p.id);
  }
  const ready: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = streamOrNull(c, keys[i]!);
    countRead(c, keys[i]!, s === null ? -1 : 0);
    if (s === null || s.length === 0) continue;
    const last = s.edgeId(true)!;
    if (last > after[i]!) ready.push(i);
  }
  if (ready.length > 0) {
    if (c.reply.resp === 2) c.reply.arrayLen(ready.length);
    else c.reply.mapLen(ready.length);
    for (const i of ready) {
      replyStreamKey(c, keys[i]!);
      replyRange(c, streamOrNull(c, keys[i]!)!, after[i]! + 1n, MAX_ID, count, false);
    }
    return;
  }
  if (deadline === -1 || !c.canBlock) return c.reply.nullArray();
  const copies = keys.map((k) => Buffer.from(k));
  const blocked: BlockedCommand = {
    keys: copies,
    deadline,
    serve: (key) => {
      const i = copies.findIndex((k) => k.equals(key));
      const s = streamOrNull(c, key);
      if (i < 0 || s === null || s.length === 0 || s.edgeId(true)! <= after[i]!) return false;
      if (c.reply.resp === 2) c.reply.arrayLen(1);
      else c.reply.mapLen(1);
      replyStreamKey(c, key);
      replyRange(c, s, after[i]! + 1n, MAX_ID, count === 0 ? BLOCKED_DEFAULT_COUNT : count, false);
      return true;
    },
    timedOut: () => c.reply.nullArray(),
  };
  c.server.blocking.block(c, blocked);
}

/**
 * The radix tree's node count XINFO reports for `keys` listpack nodes. Redis
 * counts the nodes of its rax of 16-byte big-endian IDs, which depends on
 * how the IDs share prefixes; this is an estimate (exact for 0 and 1 keys):
 * docs/ARCHITECTURE.md, "Streams".
 */
function raxNodes(keys: number): number {
  return keys === 0 ? 1 : 2 * keys;
}

/**
 * XINFO STREAM key [FULL [COUNT count]] (t_stream.c
 * `xinfoReplyWithStreamInfo`): a map of the stream's counters, then its
 * group count and first and last entries, or with FULL its first `count`
 * entries (default 10, 0 all) and its groups.
 */
function xinfoStreamCommand(c: CommandContext, argv: Buffer[]): void {
  let full = false;
  let count = 10;
  const optc = argv.length - 3;
  if (optc > 0) {
    if ((optc !== 1 && optc !== 3) || !isWord(argv[3]!, 'FULL') || (optc === 3 && !isWord(argv[4]!, 'COUNT'))) {
      const sub = argv[1]!.toString('latin1').slice(0, 128);
      return c.reply.error(`ERR unknown subcommand or wrong number of arguments for '${sub}'. Try XINFO HELP.`);
    }
    full = true;
    if (optc === 3) {
      const v = parseInt64(argv[5]!);
      if (v === null) return c.reply.error(ERR.notInteger);
      count = v < 0n ? 10 : v > 2n ** 53n ? 2 ** 53 : Number(v);
    }
  }
  const s = streamForRead(c, argv[2]!);
  if (s === WRONG) return;
  if (s === null) return c.reply.error(ERR.noSuchKey);
  const r = c.reply;
  r.mapLen(full ? 9 : 10);
  r.bulkAscii('length');
  r.int(s.length);
  r.bulkAscii('radix-tree-keys');
  r.int(s.nodeCount);
  r.bulkAscii('radix-tree-nodes');
  r.int(raxNodes(s.nodeCount));
  r.bulkAscii('last-generated-id');
  r.bulkAscii(idText(s.lastId));
  r.bulkAscii('max-deleted-entry-id');
  r.bulkAscii(idText(s.maxDeletedId));
  r.bulkAscii('entries-added');
  r.int(s.entriesAdded);
  r.bulkAscii('recorded-first-entry-id');
  r.bulkAscii(idText(s.firstId));
  if (full) {
    r.bulkAscii('entries');
    replyRange(c, s, 0n, MAX_ID, count, false);
    r.bulkAscii('groups');
    replyGroupsFull(c, s, count);
    return;
  }
  r.bulkAscii('groups');
  r.int(s.groups.size);
  for (const name of ['first-entry', 'last-entry']) {
    r.bulkAscii(name);
    let found = false;
    s.forRange(0n, MAX_ID, name === 'last-entry', (id, fv) => {
      replyEntry(c, id, fv);
      found = true;
      return false;
    });
    if (!found) r.nullBulk();
  }
}

/** XINFO HELP */
function xinfoHelpCommand(c: CommandContext): void {
  replyHelp(c, 'XINFO', [
    'CONSUMERS <key> <groupname>',
    '    Show consumers of <groupname>.',
    'GROUPS <key>',
    '    Show the stream consumer groups.',
    'STREAM <key> [FULL [COUNT <count>]',
    '    Show information about the stream.',
  ]);
}

/** XREAD's and XINFO's table entries. */
export const streamReadCommands: CommandSpec[] = [
  command({
    name: 'xread',
    arity: -4,
    flags: ['readonly', 'blocking'],
    keys: [
      {
        flags: ['RO', 'access'],
        begin: { type: 'keyword', keyword: 'STREAMS', startFrom: 1 },
        find: { type: 'range', lastKey: -1, step: 1, limit: 2 },
      },
    ],
    group: 'stream',
    since: '5.0.0',
    complexity:
      'For each stream mentioned: O(N) with N being the number of elements being returned, it means that ' +
      'XREAD-ing with a fixed COUNT is O(1). Note that when the BLOCK option is used, XADD will pay O(M) time ' +
      'in order to serve the M clients blocked on the stream getting new data.',
    summary:
      'Return never seen elements in multiple streams, with IDs greater than the ones reported by the caller ' +
      'for each stream. Can block.',
    handler: xreadCommand,
  }),
  container('xinfo', 'stream', '5.0.0', 'A container for stream introspection commands', [
    command({
      name: 'xinfo|stream',
      arity: -3,
      flags: ['readonly'],
      keys: [keyAt(2, ['RO', 'access'])],
      group: 'stream',
      since: '5.0.0',
      complexity: 'O(1)',
      summary: 'Get information about a stream',
      handler: xinfoStreamCommand,
    }),
    command({
      name: 'xinfo|groups',
      arity: 3,
      flags: ['readonly'],
      keys: [keyAt(2, ['RO', 'access'])],
      group: 'stream',
      since: '5.0.0',
      complexity: 'O(1)',
      summary: 'List the consumer groups of a stream',
      handler: xinfoGroupsCommand,
    }),
    command({
      name: 'xinfo|consumers',
      arity: 4,
      flags: ['readonly'],
      keys: [keyAt(2, ['RO', 'access'])],
      group: 'stream',
      since: '5.0.0',
      complexity: 'O(1)',
      summary: 'List the consumers in a consumer group',
      handler: xinfoConsumersCommand,
    }),
    command({
      name: 'xinfo|help',
      arity: 2,
      flags: ['loading', 'stale'],
      group: 'stream',
      since: '5.0.0',
      complexity: 'O(1)',
      summary: 'Show helpful text about the different subcommands',
      handler: xinfoHelpCommand,
    }),
  ]),
];
