/**
 * XREADGROUP, XCLAIM and XAUTOCLAIM, after Redis 7.0's t_stream.c
 * (`xreadCommand` with GROUP, `xclaimCommand`, `xautoclaimCommand`) and
 * blocking.c (`serveClientsBlockedOnStreamKey`). Effects: see
 * ./streamgroups.ts.
 *
 * Reference: https://redis.io/docs/latest/commands/xreadgroup/,
 * https://redis.io/docs/latest/commands/xclaim/, https://redis.io/docs/latest/commands/xautoclaim/
 */
import { EntryType } from '../store/arena.js';
import { sortedKeys, type StreamGroup } from '../store/stream-groups.js';
import { idText, NACK_OVERHEAD, type StreamValue } from '../store/stream-value.js';
import type { EffectArg } from '../persistence/wal/codec.js';
import type { BlockedCommand, CommandContext, CommandSpec } from './context.js';
import { WRONG } from './collection.js';
import { intervalOrReply, parseIdOrReply, replyEntry, streamForWrite } from './streamcommon.js';
import {
  claimEffect,
  consumerFor,
  deliverHistory,
  deliverNew,
  dropNack,
  giveNack,
  logUnit,
  noGroup,
  setIdEffect,
  xackCommand,
  xgroupCommand,
  xgroupHelpCommand,
  xpendingCommand,
} from './streamgroups.js';
import { command, container, keyAt } from './table.js';
import { readArgsOrReply } from './streamread.js';
import { ERR, INT64_MAX, isWord, parseInt64 } from './util.js';

/** What a blocked XREADGROUP without COUNT is served at most. */
const BLOCKED_DEFAULT_COUNT = 1000;

/** The stream at `key`, or null (absent or another type). */
function streamOrNull(c: CommandContext, key: Buffer): StreamValue | null {
  const slot = c.db.lookup(key);
  if (slot < 0 || c.db.type(slot) !== EntryType.Stream) return null;
  return c.db.collection(slot) as StreamValue;
}

/**
 * XREADGROUP GROUP group consumer [COUNT count] [BLOCK milliseconds]
 * [NOACK] STREAMS key [key ...] id [id ...]: with `>` the entries no
 * consumer of the group got yet, else the consumer's pending entries after
 * the ID. Replies as XREAD; blocks only on `>`.
 */
export function xreadgroupCommand(c: CommandContext, argv: Buffer[]): void {
  const o = readArgsOrReply(c, argv, true);
  if (o === null) return;
  const { deadline, count, streamsAt, n, group, consumer, noack } = o;
  if (group === null || consumer === null) return c.reply.error('ERR Missing GROUP option for XREADGROUP');
  const gname = group.toString('latin1');
  const keys = argv.slice(streamsAt, streamsAt + n);
  const after: (bigint | null)[] = [];
  for (let i = 0; i < n; i++) {
    const key = keys[i]!;
    const slot = c.db.lookup(key);
    if (slot >= 0 && c.db.type(slot) !== EntryType.Stream) return c.reply.error(ERR.wrongType);
    const s = slot >= 0 ? (c.db.collection(slot) as StreamValue) : null;
    if (s === null || !s.groups.has(gname)) return noGroup(c, key, group, ' in XREADGROUP with GROUP option');
    const arg = argv[streamsAt + n + i]!;
    if (arg.length === 1 && arg[0] === 0x24) {
      return c.reply.error(
        'ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this ' +
          'consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just ' +
          'return an empty result set.',
      );
    }
    if (arg.length === 1 && arg[0] === 0x3e) {
      after.push(null);
      continue;
    }
    const p = parseIdOrReply(c, arg, 0n, true);
    if (p === null) return;
    after.push(p.id);
  }
  const effects: EffectArg[][] = [];
  const ready: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = streamOrNull(c, keys[i]!)!;
    const g = s.groups.get(gname)!;
    if (after[i] !== null) ready.push(i);
    else if (s.length > 0 && s.edgeId(true)! > g.lastId) ready.push(i);
  }
  if (ready.length > 0) {
    if (c.reply.resp === 2) c.reply.arrayLen(ready.length);
    else c.reply.mapLen(ready.length);
    for (const i of ready) {
      const key = keys[i]!;
      const s = streamOrNull(c, key)!;
      const g = s.groups.get(gname)!;
      if (c.reply.resp === 2) c.reply.arrayLen(2);
      c.reply.bulk(key);
      const cons = consumerFor(c, key, s, group, g, consumer, effects);
      const id = after[i];
      if (id === null || id === undefined) deliverNew(c, key, s, group, g, cons, g.lastId, count, noack, effects);
      else deliverHistory(c, key, s, group, g, cons, id, count, effects);
    }
    logUnit(c, effects);
    return;
  }
  if (deadline === -1 || !c.canBlock) return c.reply.nullArray();
  const copies = keys.map((k) => Buffer.from(k));
  const groupCopy = Buffer.from(group);
  const consumerCopy = Buffer.from(consumer);
  const blocked: BlockedCommand = {
    keys: copies,
    deadline,
    serve: (key) => {
      const s = streamOrNull(c, key);
      const g = s?.groups.get(gname);
      if (s === null || g === undefined) {
        c.reply.error('NOGROUP the consumer group this client was blocked on no longer exists');
        return true;
      }
      // Only new live entries serve it: never an empty reply.
      if (s.length === 0 || s.edgeId(true)! <= g.lastId) return false;
      const served: EffectArg[][] = [];
      if (c.reply.resp === 2) c.reply.arrayLen(1);
      else c.reply.mapLen(1);
      if (c.reply.resp === 2) c.reply.arrayLen(2);
      c.reply.bulk(key);
      const cons = consumerFor(c, key, s, groupCopy, g, consumerCopy, served);
      const max = count === 0 ? BLOCKED_DEFAULT_COUNT : count;
      deliverNew(c, key, s, groupCopy, g, cons, g.lastId, max, noack, served);
      logUnit(c, served);
      return true;
    },
    timedOut: () => c.reply.nullArray(),
  };
  c.server.blocking.block(c, blocked);
}

/** The stream and group of an XCLAIM / XAUTOCLAIM, or null after replying NOGROUP or WRONGTYPE. */
function claimTarget(c: CommandContext, argv: Buffer[]): { s: StreamValue; g: StreamGroup } | null {
  const s = streamForWrite(c, argv[1]!);
  if (s === WRONG) return null;
  const g = s?.groups.get(argv[2]!.toString('latin1'));
  if (s === null || g === undefined) {
    noGroup(c, argv[1]!, argv[2]!);
    return null;
  }
  return { s, g };
}

/** An XCLAIM integer option, or null after replying `ERR Invalid <what> argument for XCLAIM`. */
function claimInt(c: CommandContext, arg: Buffer, what: string): bigint | null {
  const v = parseInt64(arg);
  if (v === null) c.reply.error(`ERR Invalid ${what} argument for XCLAIM`);
  return v;
}

/**
 * XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms] [TIME
 * unix-ms] [RETRYCOUNT count] [FORCE] [JUSTID] [LASTID id] (t_stream.c
 * `xclaimCommand`): the claimed entries (or IDs with JUSTID).
 */
export function xclaimCommand(c: CommandContext, argv: Buffer[]): void {
  const t = claimTarget(c, argv);
  if (t === null) return;
  const { s, g } = t;
  const mi = parseInt64(argv[4]!);
  if (mi === null) return c.reply.error('ERR Invalid min-idle-time argument for XCLAIM');
  const minIdle = mi < 0n ? 0 : Number(mi);
  const ids: bigint[] = [];
  let j = 5;
  for (; j < argv.length; j++) {
    const a = argv[j]!.toString('latin1');
    if (a === '-' || a === '+' || a.length > 127) break;
    const p = parseIdQuiet(a);
    if (p === null) break;
    ids.push(p);
  }
  const now = Date.now();
  let retry = -1n;
  let delivery = -1;
  let force = false;
  let justid = false;
  let lastId = 0n;
  for (; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    const a = argv[j]!;
    if (isWord(a, 'FORCE')) force = true;
    else if (isWord(a, 'JUSTID')) justid = true;
    else if (isWord(a, 'IDLE') && more > 0) {
      const v = claimInt(c, argv[++j]!, 'IDLE option');
      if (v === null) return;
      delivery = now - Number(v);
    } else if (isWord(a, 'TIME') && more > 0) {
      const v = claimInt(c, argv[++j]!, 'TIME option');
      if (v === null) return;
      delivery = Number(v);
    } else if (isWord(a, 'RETRYCOUNT') && more > 0) {
      const v = claimInt(c, argv[++j]!, 'RETRYCOUNT option');
      if (v === null) return;
      retry = v;
    } else if (isWord(a, 'LASTID') && more > 0) {
      const p = parseIdOrReply(c, argv[++j]!, 0n, true);
      if (p === null) return;
      lastId = p.id;
    } else return c.reply.error(`ERR Unrecognized XCLAIM option '${a.toString('latin1')}'`);
  }
  const key = argv[1]!;
  const group = argv[2]!;
  const effects: EffectArg[][] = [];
  let moveLast = false;
  if (lastId > g.lastId) {
    g.lastId = lastId;
    moveLast = true;
  }
  if (delivery !== -1) {
    if (delivery < 0 || delivery > now) delivery = now;
  } else delivery = now;
  const out: bigint[] = [];
  for (const id of ids) {
    let nack = g.pel.get(id);
    if (s.get(id) === null) {
      if (nack !== undefined) {
        effects.push(claimEffect(key, group, g, id, nack));
        moveLast = false;
        dropNack(s, g, id, nack);
      }
      continue;
    }
    if (force && nack === undefined) {
      nack = { consumer: null, deliveryTime: now, deliveryCount: 1 };
      g.pel.set(id, nack);
      s.grew(NACK_OVERHEAD);
    }
    if (nack === undefined) continue;
    if (nack.consumer !== null && minIdle > 0 && now - nack.deliveryTime < minIdle) continue;
    const cons = consumerFor(c, key, s, group, g, argv[3]!, effects);
    nack.deliveryTime = delivery;
    if (retry >= 0n) nack.deliveryCount = retry > INT64_MAX ? Number.MAX_SAFE_INTEGER : Number(retry);
    else if (!justid) nack.deliveryCount++;
    giveNack(id, nack, cons);
    out.push(id);
    effects.push(claimEffect(key, group, g, id, nack));
    moveLast = false;
  }
  if (moveLast) effects.push(setIdEffect(key, group, g));
  if (effects.length > 0) s.grew(0);
  c.reply.arrayLen(out.length);
  for (const id of out) {
    if (justid) c.reply.bulkAscii(idText(id));
    else replyEntry(c, id, s.get(id)!);
  }
  logUnit(c, effects);
}

/** An ID as XCLAIM's silent parse takes it (`streamParseStrictIDOrReply(NULL, ...)`), or null. */
function parseIdQuiet(a: string): bigint | null {
  const dash = a.indexOf('-');
  const u = (t: string): bigint | null => (/^[0-9]+$/.test(t) && BigInt(t) < 1n << 64n ? BigInt(t) : null);
  if (dash < 0) {
    const ms = u(a);
    return ms === null ? null : ms << 64n;
  }
  const ms = u(a.slice(0, dash));
  const seq = u(a.slice(dash + 1));
  return ms === null || seq === null ? null : (ms << 64n) | seq;
}

/**
 * XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID]
 * (t_stream.c `xautoclaimCommand`): `[next start, claimed entries, deleted
 * IDs]`, scanning at most 10 × COUNT pending entries.
 */
export function xautoclaimCommand(c: CommandContext, argv: Buffer[]): void {
  const mi = parseInt64(argv[4]!);
  if (mi === null) return c.reply.error('ERR Invalid min-idle-time argument for XAUTOCLAIM');
  const minIdle = mi < 0n ? 0 : Number(mi);
  const start = intervalOrReply(c, argv[5]!, false);
  if (start === null) return;
  let count = 100;
  let justid = false;
  const maxCount = INT64_MAX / 16n;
  for (let j = 6; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    if (isWord(argv[j]!, 'COUNT') && more > 0) {
      const v = parseInt64(argv[j + 1]!);
      if (v === null || v < 1n || v > maxCount) return c.reply.error('ERR COUNT must be > 0');
      count = Number(v);
      j++;
    } else if (isWord(argv[j]!, 'JUSTID')) justid = true;
    else return c.reply.error(ERR.syntax);
  }
  const t = claimTarget(c, argv);
  if (t === null) return;
  const { s, g } = t;
  const key = argv[1]!;
  const group = argv[2]!;
  const effects: EffectArg[][] = [];
  const now = Date.now();
  let attempts = count * 10;
  const ids = sortedKeys(g.pel).filter((id) => id >= start);
  const claimed: bigint[] = [];
  const deleted: bigint[] = [];
  let k = 0;
  for (; attempts-- > 0 && count > 0 && k < ids.length; k++) {
    const id = ids[k]!;
    const nack = g.pel.get(id)!;
    if (s.get(id) === null) {
      effects.push(claimEffect(key, group, g, id, nack));
      dropNack(s, g, id, nack);
      deleted.push(id);
      count--;
      continue;
    }
    if (minIdle > 0 && now - nack.deliveryTime < minIdle) continue;
    const cons = consumerFor(c, key, s, group, g, argv[3]!, effects);
    nack.deliveryTime = now;
    if (!justid) nack.deliveryCount++;
    giveNack(id, nack, cons);
    claimed.push(id);
    count--;
    effects.push(claimEffect(key, group, g, id, nack));
  }
  if (effects.length > 0) s.grew(0);
  const r = c.reply;
  r.arrayLen(3);
  r.bulkAscii(k < ids.length ? idText(ids[k]!) : '0-0');
  r.arrayLen(claimed.length);
  for (const id of claimed) {
    if (justid) r.bulkAscii(idText(id));
    else replyEntry(c, id, s.get(id)!);
  }
  r.arrayLen(deleted.length);
  for (const id of deleted) r.bulkAscii(idText(id));
  logUnit(c, effects);
}

/** The consumer-group commands' table entries (XINFO GROUPS and CONSUMERS: ./streamread.ts). */
export const streamGroupCommands: CommandSpec[] = [
  container(
    'xgroup',
    'stream',
    '5.0.0',
    'A container for consumer groups commands',
    [
      command({
        name: 'xgroup|create',
        arity: -5,
        flags: ['write', 'denyoom'],
        keys: [keyAt(2, ['RW', 'insert'])],
        group: 'stream',
        since: '5.0.0',
        complexity: 'O(1)',
        summary: 'Create a consumer group.',
        handler: xgroupCommand,
      }),
      command({
        name: 'xgroup|setid',
        arity: -5,
        flags: ['write'],
        keys: [keyAt(2, ['RW', 'update'])],
        group: 'stream',
        since: '5.0.0',
        complexity: 'O(1)',
        summary: 'Set a consumer group to an arbitrary last delivered ID value.',
        handler: xgroupCommand,
      }),
      command({
        name: 'xgroup|destroy',
        arity: 4,
        flags: ['write'],
        keys: [keyAt(2, ['RW', 'delete'])],
        group: 'stream',
        since: '5.0.0',
        complexity: "O(N) where N is the number of entries in the group's pending entries list (PEL).",
        summary: 'Destroy a consumer group.',
        handler: xgroupCommand,
      }),
      command({
        name: 'xgroup|createconsumer',
        arity: 5,
        flags: ['write', 'denyoom'],
        keys: [keyAt(2, ['RW', 'insert'])],
        group: 'stream',
        since: '6.2.0',
        complexity: 'O(1)',
        summary: 'Create a consumer in a consumer group.',
        handler: xgroupCommand,
      }),
      command({
        name: 'xgroup|delconsumer',
        arity: 5,
        flags: ['write'],
        keys: [keyAt(2, ['RW', 'delete'])],
        group: 'stream',
        since: '5.0.0',
        complexity: 'O(1)',
        summary: 'Delete a consumer from a consumer group.',
        handler: xgroupCommand,
      }),
      command({
        name: 'xgroup|help',
        arity: 2,
        flags: ['loading', 'stale'],
        group: 'stream',
        since: '5.0.0',
        complexity: 'O(1)',
        summary: 'Show helpful text about the different subcommands',
        handler: xgroupHelpCommand,
      }),
    ],
    // Clients reach the subcommands through the dispatcher; WAL replay and
    // replicas call a logged XGROUP effect's container handler directly.
    { arity: -2, flags: [], complexity: 'Depends on subcommand.', handler: xgroupCommand },
  ),
  command({
    name: 'xreadgroup',
    arity: -7,
    flags: ['write', 'blocking'],
    keys: [
      {
        flags: ['RO', 'access'],
        begin: { type: 'keyword', keyword: 'STREAMS', startFrom: 4 },
        find: { type: 'range', lastKey: -1, step: 1, limit: 2 },
      },
    ],
    group: 'stream',
    since: '5.0.0',
    complexity:
      'For each stream mentioned: O(M) with M being the number of elements returned. If M is constant (e.g. ' +
      'always asking for the first 10 elements with COUNT), you can consider it O(1). On the other side when ' +
      'XREADGROUP blocks, XADD will pay the O(N) time in order to serve the N clients blocked on the stream ' +
      'getting new data.',
    summary:
      'Return new entries from a stream using a consumer group, or access the history of the pending entries ' +
      'for a given consumer. Can block.',
    handler: xreadgroupCommand,
  }),
  command({
    name: 'xack',
    arity: -4,
    flags: ['write', 'fast'],
    keys: [keyAt(1, ['RW', 'update'])],
    group: 'stream',
    since: '5.0.0',
    complexity: 'O(1) for each message ID processed.',
    summary:
      'Marks a pending message as correctly processed, effectively removing it from the pending entries list ' +
      'of the consumer group.',
    handler: xackCommand,
  }),
  command({
    name: 'xpending',
    arity: -3,
    flags: ['readonly'],
    keys: [keyAt(1, ['RO', 'access'])],
    group: 'stream',
    since: '5.0.0',
    complexity:
      'O(N) with N being the number of elements returned, so asking for a small fixed number of entries per ' +
      'call is O(1).',
    summary:
      'Return information and entries from a stream consumer group pending entries list, that are messages ' +
      'fetched but never acknowledged.',
    handler: xpendingCommand,
  }),
  command({
    name: 'xclaim',
    arity: -6,
    flags: ['write', 'fast'],
    keys: [keyAt(1, ['RW', 'update'])],
    group: 'stream',
    since: '5.0.0',
    complexity: 'O(log N) with N being the number of messages in the PEL of the consumer group.',
    summary:
      'Changes (or acquires) ownership of a message in a consumer group, as if the message was delivered to ' +
      'the specified consumer.',
    handler: xclaimCommand,
  }),
  command({
    name: 'xautoclaim',
    arity: -6,
    flags: ['write', 'fast'],
    keys: [keyAt(1, ['RW', 'delete'])],
    group: 'stream',
    since: '6.2.0',
    complexity: 'O(1) if COUNT is small.',
    summary:
      'Changes (or acquires) ownership of messages in a consumer group, as if the messages were delivered to ' +
      'the specified consumer.',
    handler: xautoclaimCommand,
  }),
];
