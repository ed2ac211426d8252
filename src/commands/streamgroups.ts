/**
 * Stream consumer groups, after Redis 7.0's t_stream.c: XGROUP (CREATE,
 * SETID, DESTROY, CREATECONSUMER, DELCONSUMER, HELP), XREADGROUP (blocking
 * included), XACK, XPENDING, XCLAIM, XAUTOCLAIM, and XINFO GROUPS and
 * CONSUMERS. The structures are in src/store/stream-groups.ts.
 *
 * Effects logged (docs/FORMAT.md, "Effects"), as Redis propagates them and
 * so that replay rebuilds the same PELs: a delivery or claim as `XCLAIM key
 * group consumer 0 <id> TIME <ms> RETRYCOUNT <n> FORCE JUSTID LASTID
 * <group's last ID>` per entry (a claim of a deleted entry likewise, which
 * drops it from the PEL); a read that moved the group as `XGROUP SETID key
 * group <last ID> ENTRIESREAD <n>`; a consumer created by XREADGROUP,
 * XCLAIM or XAUTOCLAIM as `XGROUP CREATECONSUMER`; the effects of one
 * command as one record. XGROUP and XACK that changed something as sent.
 *
 * Reference: https://redis.io/docs/latest/develop/data-types/streams/#consumer-groups
 */
import { NOTIFY_NEW, NOTIFY_STREAM } from '../config/keyspace-events.js';
import {
  advanceGroup,
  groupLag,
  INVALID_ENTRIES_READ,
  newConsumer,
  newGroup,
  sortedKeys,
  type StreamConsumer,
  type StreamGroup,
  type StreamNack,
} from '../store/stream-groups.js';
import {
  CONSUMER_OVERHEAD,
  GROUP_OVERHEAD,
  idText,
  MAX_ID,
  NACK_OVERHEAD,
  StreamValue,
} from '../store/stream-value.js';
import type { EffectArg } from '../persistence/wal/codec.js';
import type { CommandContext } from './context.js';
import { storeCollection, WRONG } from './collection.js';
import { intervalOrReply, parseIdOrReply, replyEntry, streamForRead, streamForWrite } from './streamcommon.js';
import { ERR, isWord, parseInt64, replyHelp } from './util.js';

/**
 * Logs `effects` as one WAL record: a transaction unit, unless a
 * transaction is collecting effects already (then they join it).
 */
export function logUnit(c: CommandContext, effects: readonly EffectArg[][]): void {
  const s = c.server;
  if (effects.length === 0) return;
  if (effects.length === 1 || s.inExec || s.replaying) {
    for (const e of effects) s.propagate(c.dbIndex, e);
    return;
  }
  s.beginExec();
  try {
    for (const e of effects) s.propagate(c.dbIndex, e);
  } finally {
    s.endExec(c.dbIndex);
  }
}

/** The consumer `name` of `g`, its seen time refreshed, created (with its event and effect) when absent. */
export function consumerFor(
  c: CommandContext,
  key: Buffer,
  s: StreamValue,
  group: Buffer,
  g: StreamGroup,
  name: Buffer,
  effects: EffectArg[][],
): StreamConsumer {
  const n = name.toString('latin1');
  const now = Date.now();
  let cons = g.consumers.get(n);
  if (cons !== undefined) {
    cons.seenTime = now;
    return cons;
  }
  cons = newConsumer(n, now);
  g.consumers.set(n, cons);
  s.grew(CONSUMER_OVERHEAD + n.length);
  effects.push(['XGROUP', 'CREATECONSUMER', key, group, name]);
  c.server.notify(NOTIFY_STREAM, 'xgroup-createconsumer', key, c.dbIndex);
  return cons;
}

/** The effect that sets a pending entry as it is now (t_stream.c `streamPropagateXCLAIM`). */
export function claimEffect(key: Buffer, group: Buffer, g: StreamGroup, id: bigint, nack: StreamNack): EffectArg[] {
  return [
    'XCLAIM',
    key,
    group,
    Buffer.from(nack.consumer?.name ?? '', 'latin1'),
    '0',
    idText(id),
    'TIME',
    String(nack.deliveryTime),
    'RETRYCOUNT',
    String(nack.deliveryCount),
    'FORCE',
    'JUSTID',
    'LASTID',
    idText(g.lastId),
  ];
}

/** The effect that sets a group's last ID and entries-read counter. */
export function setIdEffect(key: Buffer, group: Buffer, g: StreamGroup): EffectArg[] {
  return ['XGROUP', 'SETID', key, group, idText(g.lastId), 'ENTRIESREAD', String(g.entriesRead)];
}

/** Removes the pending entry `id` from its group and consumer. */
function dropNack(s: StreamValue, g: StreamGroup, id: bigint, nack: StreamNack): void {
  g.pel.delete(id);
  nack.consumer?.pel.delete(id);
  s.grew(-NACK_OVERHEAD);
}

/** Gives the pending entry `id` to `cons` (moving it from its previous owner). */
function giveNack(id: bigint, nack: StreamNack, cons: StreamConsumer): void {
  if (nack.consumer === cons) return;
  nack.consumer?.pel.delete(id);
  cons.pel.set(id, nack);
  nack.consumer = cons;
}

/**
 * Replies entries after `after` to a consumer of group `g` and records
 * them (t_stream.c `streamReplyWithRange` with a group): the group moves
 * past each, and unless `noack` each goes to the consumer's PEL (taken from
 * another consumer's if it was pending there) with delivery count 1.
 */
export function deliverNew(
  c: CommandContext,
  key: Buffer,
  s: StreamValue,
  group: Buffer,
  g: StreamGroup,
  cons: StreamConsumer,
  after: bigint,
  count: number,
  noack: boolean,
  effects: EffectArg[][],
): void {
  const out: [bigint, string[]][] = [];
  s.forRange(after + 1n, MAX_ID, false, (id, fv) => {
    out.push([id, fv]);
    return count === 0 || out.length < count;
  });
  c.reply.arrayLen(out.length);
  const before = g.lastId;
  const now = Date.now();
  for (const [id, fv] of out) {
    advanceGroup(s, g, id);
    replyEntry(c, id, fv);
    if (noack) continue;
    let nack = g.pel.get(id);
    if (nack === undefined) {
      nack = { consumer: null, deliveryTime: now, deliveryCount: 1 };
      g.pel.set(id, nack);
      s.grew(NACK_OVERHEAD);
    } else {
      nack.deliveryTime = now;
      nack.deliveryCount = 1;
    }
    giveNack(id, nack, cons);
    effects.push(claimEffect(key, group, g, id, nack));
  }
  if (g.lastId !== before) {
    effects.push(setIdEffect(key, group, g));
    s.grew(0);
  }
}

/**
 * Replies a consumer's own pending entries after `after` (t_stream.c
 * `streamReplyWithRangeFromConsumerPEL`): each as its entry, or `[id, nil]`
 * when the entry was deleted; the ones found count as delivered again.
 */
export function deliverHistory(
  c: CommandContext,
  key: Buffer,
  s: StreamValue,
  group: Buffer,
  g: StreamGroup,
  cons: StreamConsumer,
  after: bigint,
  count: number,
  effects: EffectArg[][],
): void {
  const ids = sortedKeys(cons.pel).filter((id) => id > after);
  if (count > 0 && ids.length > count) ids.length = count;
  c.reply.arrayLen(ids.length);
  const now = Date.now();
  for (const id of ids) {
    const fv = s.get(id);
    if (fv === null) {
      c.reply.arrayLen(2);
      c.reply.bulkAscii(idText(id));
      c.reply.nullArray();
      continue;
    }
    replyEntry(c, id, fv);
    const nack = cons.pel.get(id)!;
    nack.deliveryTime = now;
    nack.deliveryCount++;
    effects.push(claimEffect(key, group, g, id, nack));
  }
  if (ids.length > 0) s.grew(0);
}

/** `NOGROUP No such key '<key>' or consumer group '<group>'<suffix>`. */
function noGroup(c: CommandContext, key: Buffer, group: Buffer, suffix = ''): void {
  c.reply.error(
    `NOGROUP No such key '${key.toString('latin1')}' or consumer group '${group.toString('latin1')}'${suffix}`,
  );
}

/** Redis's `addReplySubcommandSyntaxError` for XGROUP. */
function xgroupSyntax(c: CommandContext, argv: Buffer[]): void {
  const sub = argv[1]!.toString('latin1').slice(0, 128);
  c.reply.error(`ERR unknown subcommand or wrong number of arguments for '${sub}'. Try XGROUP HELP.`);
}

/**
 * XGROUP CREATE | SETID | DESTROY | CREATECONSUMER | DELCONSUMER (t_stream.c
 * `xgroupCommand`, whose checks run in its order for every subcommand).
 */
export function xgroupCommand(c: CommandContext, argv: Buffer[]): void {
  const sub = argv[1]!.toString('latin1').toUpperCase();
  let mkstream = false;
  let entriesRead = INVALID_ENTRIES_READ;
  let s: StreamValue | null = null;
  let g: StreamGroup | undefined;
  const key = argv[2]!;
  const group = argv[3]!;
  for (let i = 5; i < argv.length; ) {
    if (sub === 'CREATE' && isWord(argv[i]!, 'MKSTREAM')) {
      mkstream = true;
      i++;
    } else if ((sub === 'CREATE' || sub === 'SETID') && isWord(argv[i]!, 'ENTRIESREAD') && i + 1 < argv.length) {
      const n = parseInt64(argv[i + 1]!);
      if (n === null) return c.reply.error(ERR.notInteger);
      if (n < 0n && n !== -1n) return c.reply.error('ERR value for ENTRIESREAD must be positive or -1');
      entriesRead = Number(n);
      i += 2;
    } else return xgroupSyntax(c, argv);
  }
  const found = streamForWrite(c, key);
  if (found === WRONG) return;
  s = found;
  const gname = group.toString('latin1');
  if (!mkstream) {
    if (s === null) {
      return c.reply.error(
        'ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the ' +
          'MKSTREAM option to create an empty stream automatically.',
      );
    }
    g = s.groups.get(gname);
    if (g === undefined && (sub === 'SETID' || sub === 'CREATECONSUMER' || sub === 'DELCONSUMER')) {
      return c.reply.error(`NOGROUP No such consumer group '${gname}' for key name '${key.toString('latin1')}'`);
    }
  }
  const isDollar = (a: Buffer) => a.length === 1 && a[0] === 0x24;
  if (sub === 'CREATE' && argv.length >= 5 && argv.length <= 8) {
    let id = 0n;
    if (isDollar(argv[4]!)) id = s === null ? 0n : s.lastId;
    else {
      const p = parseIdOrReply(c, argv[4]!, 0n, true);
      if (p === null) return;
      id = p.id;
    }
    let created = false;
    if (s === null) {
      s = new StreamValue();
      storeCollection(c.db, key, s);
      created = true;
    }
    if (s.groups.has(gname)) return c.reply.error('BUSYGROUP Consumer Group name already exists');
    s.groups.set(gname, newGroup(id, entriesRead));
    s.grew(GROUP_OVERHEAD + gname.length);
    c.server.propagate(c.dbIndex, [
      'XGROUP',
      'CREATE',
      key,
      group,
      idText(id),
      ...(created ? ['MKSTREAM'] : []),
      'ENTRIESREAD',
      String(entriesRead),
    ]);
    c.reply.ok();
    if (created) c.server.notify(NOTIFY_NEW, 'new', key, c.dbIndex);
    c.server.notify(NOTIFY_STREAM, 'xgroup-create', key, c.dbIndex);
  } else if (sub === 'SETID' && (argv.length === 5 || argv.length === 7)) {
    let id: bigint;
    if (isDollar(argv[4]!)) id = s!.lastId;
    else {
      const p = parseIdOrReply(c, argv[4]!, 0n, false);
      if (p === null) return;
      id = p.id;
    }
    g!.lastId = id;
    g!.entriesRead = entriesRead;
    s!.grew(0);
    c.server.propagate(c.dbIndex, setIdEffect(key, group, g!));
    c.reply.ok();
    c.server.notify(NOTIFY_STREAM, 'xgroup-setid', key, c.dbIndex);
  } else if (sub === 'DESTROY' && argv.length === 4) {
    if (g === undefined) return c.reply.int(0);
    let bytes = GROUP_OVERHEAD + gname.length + g.pel.size * NACK_OVERHEAD;
    for (const cons of g.consumers.values()) bytes += CONSUMER_OVERHEAD + cons.name.length;
    s!.groups.delete(gname);
    s!.grew(-bytes);
    c.server.propagate(c.dbIndex, ['XGROUP', 'DESTROY', key, group]);
    c.reply.int(1);
    c.server.notify(NOTIFY_STREAM, 'xgroup-destroy', key, c.dbIndex);
  } else if (sub === 'CREATECONSUMER' && argv.length === 5) {
    const name = argv[4]!.toString('latin1');
    if (g!.consumers.has(name)) return c.reply.int(0);
    g!.consumers.set(name, newConsumer(name, Date.now()));
    s!.grew(CONSUMER_OVERHEAD + name.length);
    c.server.propagate(c.dbIndex, ['XGROUP', 'CREATECONSUMER', key, group, argv[4]!]);
    c.reply.int(1);
    c.server.notify(NOTIFY_STREAM, 'xgroup-createconsumer', key, c.dbIndex);
  } else if (sub === 'DELCONSUMER' && argv.length === 5) {
    const cons = g!.consumers.get(argv[4]!.toString('latin1'));
    if (cons === undefined) return c.reply.int(0);
    const pending = cons.pel.size;
    for (const [id, nack] of [...cons.pel]) dropNack(s!, g!, id, nack);
    g!.consumers.delete(cons.name);
    s!.grew(-(CONSUMER_OVERHEAD + cons.name.length));
    c.server.propagate(c.dbIndex, ['XGROUP', 'DELCONSUMER', key, group, argv[4]!]);
    c.reply.int(pending);
    c.server.notify(NOTIFY_STREAM, 'xgroup-delconsumer', key, c.dbIndex);
  } else xgroupSyntax(c, argv);
}

/** XGROUP HELP */
export function xgroupHelpCommand(c: CommandContext): void {
  replyHelp(c, 'XGROUP', [
    'CREATE <key> <groupname> <id|$> [option]',
    '    Create a new consumer group. Options are:',
    '    * MKSTREAM',
    '      Create the empty stream if it does not exist.',
    '    * ENTRIESREAD entries_read',
    "      Set the group's entries_read counter (internal use).",
    'CREATECONSUMER <key> <groupname> <consumer>',
    '    Create a new consumer in the specified group.',
    'DELCONSUMER <key> <groupname> <consumer>',
    '    Remove the specified consumer.',
    'DESTROY <key> <groupname>',
    '    Remove the specified group.',
    'SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]',
    '    Set the current group ID and entries_read counter.',
  ]);
}

/** XACK key group id [id ...]: the number of pending entries acknowledged. */
export function xackCommand(c: CommandContext, argv: Buffer[]): void {
  const key = argv[1]!;
  const s = streamForWrite(c, key);
  if (s === WRONG) return;
  const g = s?.groups.get(argv[2]!.toString('latin1'));
  if (s === null || g === undefined) return c.reply.int(0);
  const ids: bigint[] = [];
  for (let j = 3; j < argv.length; j++) {
    const p = parseIdOrReply(c, argv[j]!, 0n, true);
    if (p === null) return;
    ids.push(p.id);
  }
  let acked = 0;
  for (const id of ids) {
    const nack = g.pel.get(id);
    if (nack === undefined) continue;
    dropNack(s, g, id, nack);
    acked++;
  }
  if (acked > 0) c.server.propagate(c.dbIndex, ['XACK', ...argv.slice(1)]);
  c.reply.int(acked);
}

/**
 * XPENDING key group [[IDLE min-idle-time] start end count [consumer]]
 * (t_stream.c `xpendingCommand`): the summary (count, smallest and largest
 * ID, pending per consumer), or the pending entries in a range with their
 * owner, idle time and delivery count.
 */
export function xpendingCommand(c: CommandContext, argv: Buffer[]): void {
  const argc = argv.length;
  if (argc !== 3 && (argc < 6 || argc > 9)) return c.reply.error(ERR.syntax);
  let start = 0n;
  let end = MAX_ID;
  let count = 0;
  let minIdle = 0;
  let consumerName: Buffer | null = null;
  if (argc >= 6) {
    let at = 3;
    if (isWord(argv[3]!, 'IDLE')) {
      const v = parseInt64(argv[4]!);
      if (v === null) return c.reply.error(ERR.notInteger);
      minIdle = Number(v);
      if (argc < 8) return c.reply.error(ERR.syntax);
      at += 2;
    }
    const n = parseInt64(argv[at + 2]!);
    if (n === null) return c.reply.error(ERR.notInteger);
    count = n < 0n ? 0 : n > 2n ** 53n ? 2 ** 53 : Number(n);
    const st = intervalOrReply(c, argv[at]!, false);
    if (st === null) return;
    const en = intervalOrReply(c, argv[at + 1]!, true);
    if (en === null) return;
    start = st;
    end = en;
    if (at + 3 < argc) consumerName = argv[at + 3]!;
  }
  const s = streamForRead(c, argv[1]!);
  if (s === WRONG) return;
  const g = s?.groups.get(argv[2]!.toString('latin1'));
  if (s === null || g === undefined) return noGroup(c, argv[1]!, argv[2]!);
  const r = c.reply;
  if (argc === 3) {
    r.arrayLen(4);
    r.int(g.pel.size);
    if (g.pel.size === 0) {
      r.nullBulk();
      r.nullBulk();
      r.nullArray();
      return;
    }
    const ids = sortedKeys(g.pel);
    r.bulkAscii(idText(ids[0]!));
    r.bulkAscii(idText(ids[ids.length - 1]!));
    const owners = sortedKeys(g.consumers)
      .map((n) => g.consumers.get(n)!)
      .filter((x) => x.pel.size > 0);
    r.arrayLen(owners.length);
    for (const o of owners) {
      r.arrayLen(2);
      r.bulkLatin1(o.name);
      r.bulkAscii(String(o.pel.size));
    }
    return;
  }
  let pel = g.pel;
  if (consumerName !== null) {
    const cons = g.consumers.get(consumerName.toString('latin1'));
    if (cons === undefined) return r.arrayLen(0);
    pel = cons.pel;
  }
  const now = Date.now();
  const out: [bigint, StreamNack][] = [];
  for (const id of sortedKeys(pel)) {
    if (out.length >= count || id > end) break;
    if (id < start) continue;
    const nack = pel.get(id)!;
    if (minIdle !== 0 && now - nack.deliveryTime < minIdle) continue;
    out.push([id, nack]);
  }
  r.arrayLen(out.length);
  for (const [id, nack] of out) {
    r.arrayLen(4);
    r.bulkAscii(idText(id));
    r.bulkLatin1(nack.consumer?.name ?? '');
    r.int(Math.max(0, now - nack.deliveryTime));
    r.int(nack.deliveryCount);
  }
}

/** Replies the XINFO GROUPS entries of `s`: a map of 6 per group, by name. */
export function replyGroups(c: CommandContext, s: StreamValue): void {
  const r = c.reply;
  r.arrayLen(s.groups.size);
  for (const name of sortedKeys(s.groups)) {
    const g = s.groups.get(name)!;
    r.mapLen(6);
    r.bulkAscii('name');
    r.bulkLatin1(name);
    r.bulkAscii('consumers');
    r.int(g.consumers.size);
    r.bulkAscii('pending');
    r.int(g.pel.size);
    r.bulkAscii('last-delivered-id');
    r.bulkAscii(idText(g.lastId));
    r.bulkAscii('entries-read');
    if (g.entriesRead !== INVALID_ENTRIES_READ) r.int(g.entriesRead);
    else r.nullBulk();
    r.bulkAscii('lag');
    const lag = groupLag(s, g);
    if (lag === null) r.nullBulk();
    else r.int(lag);
  }
}

/** The groups section of XINFO STREAM ... FULL (at most `count` pending entries per list, 0 all). */
export function replyGroupsFull(c: CommandContext, s: StreamValue, count: number): void {
  const r = c.reply;
  r.arrayLen(s.groups.size);
  for (const name of sortedKeys(s.groups)) {
    const g = s.groups.get(name)!;
    r.mapLen(7);
    r.bulkAscii('name');
    r.bulkLatin1(name);
    r.bulkAscii('last-delivered-id');
    r.bulkAscii(idText(g.lastId));
    r.bulkAscii('entries-read');
    if (g.entriesRead !== INVALID_ENTRIES_READ) r.int(g.entriesRead);
    else r.nullBulk();
    r.bulkAscii('lag');
    const lag = groupLag(s, g);
    if (lag === null) r.nullBulk();
    else r.int(lag);
    r.bulkAscii('pel-count');
    r.int(g.pel.size);
    r.bulkAscii('pending');
    const ids = sortedKeys(g.pel);
    if (count > 0 && ids.length > count) ids.length = count;
    r.arrayLen(ids.length);
    for (const id of ids) {
      const nack = g.pel.get(id)!;
      r.arrayLen(4);
      r.bulkAscii(idText(id));
      r.bulkLatin1(nack.consumer?.name ?? '');
      r.int(nack.deliveryTime);
      r.int(nack.deliveryCount);
    }
    r.bulkAscii('consumers');
    r.arrayLen(g.consumers.size);
    for (const cname of sortedKeys(g.consumers)) {
      const cons = g.consumers.get(cname)!;
      r.mapLen(4);
      r.bulkAscii('name');
      r.bulkLatin1(cname);
      r.bulkAscii('seen-time');
      r.int(cons.seenTime);
      r.bulkAscii('pel-count');
      r.int(cons.pel.size);
      r.bulkAscii('pending');
      const cids = sortedKeys(cons.pel);
      if (count > 0 && cids.length > count) cids.length = count;
      r.arrayLen(cids.length);
      for (const id of cids) {
        const nack = cons.pel.get(id)!;
        r.arrayLen(3);
        r.bulkAscii(idText(id));
        r.int(nack.deliveryTime);
        r.int(nack.deliveryCount);
      }
    }
  }
}

/** XINFO CONSUMERS key group: a map of name, pending and idle per consumer, by name. */
export function xinfoConsumersCommand(c: CommandContext, argv: Buffer[]): void {
  const s = streamForRead(c, argv[2]!);
  if (s === WRONG) return;
  if (s === null) return c.reply.error(ERR.noSuchKey);
  const g = s.groups.get(argv[3]!.toString('latin1'));
  if (g === undefined) {
    return c.reply.error(
      `NOGROUP No such consumer group '${argv[3]!.toString('latin1')}' for key name '${argv[2]!.toString('latin1')}'`,
    );
  }
  const now = Date.now();
  c.reply.arrayLen(g.consumers.size);
  for (const name of sortedKeys(g.consumers)) {
    const cons = g.consumers.get(name)!;
    c.reply.mapLen(3);
    c.reply.bulkAscii('name');
    c.reply.bulkLatin1(name);
    c.reply.bulkAscii('pending');
    c.reply.int(cons.pel.size);
    c.reply.bulkAscii('idle');
    c.reply.int(Math.max(0, now - cons.seenTime));
  }
}

/** XINFO GROUPS key */
export function xinfoGroupsCommand(c: CommandContext, argv: Buffer[]): void {
  const s = streamForRead(c, argv[2]!);
  if (s === WRONG) return;
  if (s === null) return c.reply.error(ERR.noSuchKey);
  replyGroups(c, s);
}

export { dropNack, giveNack, noGroup };
