/**
 * Pub/sub, after Redis 7.0's pubsub.c: SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE
 * (Redis glob patterns), PUNSUBSCRIBE, PUBLISH, the shard channels
 * (SSUBSCRIBE, SUNSUBSCRIBE, SPUBLISH: a namespace of their own, without
 * patterns) and PUBSUB CHANNELS / NUMSUB / NUMPAT / SHARDCHANNELS /
 * SHARDNUMSUB.
 *
 * A message reaches a subscriber as an out-of-band reply appended to its
 * connection (`Session.deliver`): a push in RESP3, an array in RESP2, in
 * order with its other replies. Subscription confirmations are the same
 * shapes. In RESP2 a subscribed connection may only run the subscribe
 * commands, PING, QUIT and RESET (the dispatcher refuses the rest, as
 * Redis's processCommand does). A subscriber that does not read is dropped
 * at the `pubsub` class of `client-output-buffer-limit`; publishers never wait.
 *
 * Nothing here is logged to the WAL: messages are not data.
 *
 * Reference: https://redis.io/docs/latest/develop/interact/pubsub/
 */
import type { ReplyBuffer } from '../protocol/encoder.js';
import { globMatch } from '../store/glob.js';
import type { ChannelKind, CommandContext, CommandSpec, Hold, PubSubRegistry, Session } from './context.js';
import { command, container, keyAt, subcommandsOf } from './table.js';
import { replyHelp } from './util.js';

/** A channel name or pattern as a registry key: its bytes as a latin1 string. */
function name(arg: Uint8Array): string {
  return Buffer.from(arg.buffer, arg.byteOffset, arg.length).latin1Slice(0, arg.length);
}

/** The subscriptions a confirmation counts: channels and patterns together, shard channels apart (pubsub.c). */
function subscriptionCount(s: Session, kind: ChannelKind): number {
  const subs = s.subscriptions;
  return kind === 'shard' ? subs.shardChannels.size : subs.channels.size + subs.patterns.size;
}

/**
 * A subscription confirmation: `[kind, name, count]` as a push (RESP2: an
 * array); a null name when there was none. Sent even under CLIENT REPLY OFF,
 * as Redis pushes it (pubsub.c, `CLIENT_PUSHING`).
 */
function pushThree(r: ReplyBuffer, kind: string, channel: string | null, count: number): void {
  r.kept(() => {
    r.pushLen(3);
    r.bulkAscii(kind);
    if (channel === null) r.nullBulk();
    else r.bulkLatin1(channel);
    r.int(count);
  });
}

/** Decimal digits of a non-negative integer. */
function digits(n: number): number {
  let d = 1;
  while (n >= 10) {
    n = Math.floor(n / 10);
    d++;
  }
  return d;
}

/**
 * A message as its subscribers receive it: a push (RESP2: an array) of bulk
 * strings, encoded once per publish rather than once per subscriber, for
 * each protocol it is asked for (the two differ in the first byte only).
 */
class MessageFrame {
  private resp2: Buffer | null = null;
  private resp3: Buffer | null = null;
  /** Appends the message to a subscriber's replies (one closure for all subscribers of a publish). */
  readonly write = (r: ReplyBuffer): void => r.raw(this.bytes(r.resp));

  /** @param fields the kind word (`message`, `pmessage`, `smessage`), then pattern, channel, payload as they apply */
  constructor(private readonly fields: readonly Uint8Array[]) {}

  private bytes(resp: 2 | 3): Buffer {
    if (this.resp2 === null) this.resp2 = encodeArray(this.fields);
    if (resp === 2) return this.resp2;
    if (this.resp3 === null) {
      this.resp3 = Buffer.from(this.resp2);
      this.resp3[0] = 62; // >
    }
    return this.resp3;
  }
}

/** `*<n>` and `n` bulk strings, in one buffer. */
function encodeArray(fields: readonly Uint8Array[]): Buffer {
  let size = 1 + digits(fields.length) + 2;
  for (const f of fields) size += 1 + digits(f.length) + 2 + f.length + 2;
  const out = Buffer.allocUnsafe(size);
  let at = out.latin1Write(`*${fields.length}\r\n`, 0);
  for (const f of fields) {
    at += out.latin1Write(`$${f.length}\r\n`, at);
    out.set(f, at);
    at += f.length;
    out[at++] = 13;
    out[at++] = 10;
  }
  return out;
}

const MESSAGE = Buffer.from('message');
const PMESSAGE = Buffer.from('pmessage');
const SMESSAGE = Buffer.from('smessage');

/** Delivers each frame to its subscribers, tagged `tag`. */
function send(deliveries: readonly [ReadonlySet<Session>, MessageFrame][], tag: number): void {
  for (const [subs, frame] of deliveries) {
    for (const s of subs) s.deliver(frame.write, tag);
  }
}

/** The subscribers of one pattern, and the pattern's bytes (matched against every channel published to). */
interface PatternSubs {
  readonly bytes: Buffer;
  readonly subs: Set<Session>;
}

/** The channels, patterns and subscribers of one server. */
export class PubSub implements PubSubRegistry {
  private readonly channelSubs = new Map<string, Set<Session>>();
  private readonly shardSubs = new Map<string, Set<Session>>();
  private readonly patternSubs = new Map<string, PatternSubs>();

  private table(kind: ChannelKind): Map<string, Set<Session>> {
    return kind === 'shard' ? this.shardSubs : this.channelSubs;
  }

  subscribe(s: Session, kind: ChannelKind, channel: string): boolean {
    const mine = kind === 'shard' ? s.subscriptions.shardChannels : s.subscriptions.channels;
    if (mine.has(channel)) return false;
    mine.add(channel);
    addTo(this.table(kind), channel, s);
    return true;
  }

  unsubscribe(s: Session, kind: ChannelKind, channel: string): boolean {
    const mine = kind === 'shard' ? s.subscriptions.shardChannels : s.subscriptions.channels;
    if (!mine.delete(channel)) return false;
    removeFrom(this.table(kind), channel, s);
    return true;
  }

  psubscribe(s: Session, pattern: string): boolean {
    if (s.subscriptions.patterns.has(pattern)) return false;
    s.subscriptions.patterns.add(pattern);
    let entry = this.patternSubs.get(pattern);
    if (entry === undefined) {
      entry = { bytes: Buffer.from(pattern, 'latin1'), subs: new Set() };
      this.patternSubs.set(pattern, entry);
    }
    entry.subs.add(s);
    return true;
  }

  punsubscribe(s: Session, pattern: string): boolean {
    if (!s.subscriptions.patterns.delete(pattern)) return false;
    this.dropPattern(pattern, s);
    return true;
  }

  private dropPattern(pattern: string, s: Session): void {
    const entry = this.patternSubs.get(pattern);
    if (entry === undefined) return;
    entry.subs.delete(s);
    if (entry.subs.size === 0) this.patternSubs.delete(pattern);
  }

  unsubscribeAll(s: Session): void {
    const subs = s.subscriptions;
    for (const ch of subs.channels) removeFrom(this.channelSubs, ch, s);
    for (const ch of subs.shardChannels) removeFrom(this.shardSubs, ch, s);
    for (const p of subs.patterns) this.dropPattern(p, s);
    subs.channels.clear();
    subs.shardChannels.clear();
    subs.patterns.clear();
  }

  removeShardChannels(test: (channel: string) => boolean, tag: number): void {
    if (this.shardSubs.size === 0) return;
    for (const [ch, subs] of [...this.shardSubs]) {
      if (!test(ch)) continue;
      for (const s of [...subs]) {
        this.unsubscribe(s, 'shard', ch);
        const count = subscriptionCount(s, 'shard');
        s.deliver((r) => pushThree(r, 'sunsubscribe', ch, count), tag);
      }
    }
  }

  /**
   * Channel subscribers first, then each matching pattern's (pubsub.c
   * `pubsubPublishMessage`); each message is encoded once for all of them.
   */
  publish(kind: ChannelKind, channel: Buffer, message: Buffer, tag: number | Hold): number {
    let receivers = 0;
    const deliveries: [ReadonlySet<Session>, MessageFrame][] = [];
    const subs = this.table(kind).get(name(channel));
    if (subs !== undefined) {
      // Counted first: a subscriber dropped at its output limit on the way still counts, as in Redis.
      receivers += subs.size;
      deliveries.push([subs, new MessageFrame([kind === 'shard' ? SMESSAGE : MESSAGE, channel, message])]);
    }
    if (kind !== 'shard') {
      for (const entry of this.patternSubs.values()) {
        // Always matched, even `*`: stringmatchlen does not match `*` with an empty channel name.
        if (!globMatch(entry.bytes, channel)) continue;
        receivers += entry.subs.size;
        deliveries.push([entry.subs, new MessageFrame([PMESSAGE, entry.bytes, channel, message])]);
      }
    }
    if (typeof tag === 'number') send(deliveries, tag);
    else if (deliveries.length > 0) {
      // Held: the subscribers of now, not of when it is sent.
      const held = deliveries.map(([subs, frame]): [ReadonlySet<Session>, MessageFrame] => [new Set(subs), frame]);
      tag((t) => send(held, t));
    }
    return receivers;
  }

  channels(kind: ChannelKind, pattern: Buffer | null): string[] {
    const out: string[] = [];
    for (const ch of this.table(kind).keys()) {
      if (pattern === null || globMatch(pattern, Buffer.from(ch, 'latin1'))) out.push(ch);
    }
    return out;
  }

  /** How many channels (or shard channels) have subscribers (INFO stats `pubsub_channels`, `pubsubshard_channels`). */
  channelCount(kind: ChannelKind): number {
    return this.table(kind).size;
  }

  subscribers(kind: ChannelKind, channel: string): number {
    return this.table(kind).get(channel)?.size ?? 0;
  }

  get patternCount(): number {
    return this.patternSubs.size;
  }
}

function addTo(table: Map<string, Set<Session>>, key: string, s: Session): void {
  let set = table.get(key);
  if (set === undefined) table.set(key, (set = new Set()));
  set.add(s);
}

function removeFrom(table: Map<string, Set<Session>>, key: string, s: Session): void {
  const set = table.get(key);
  if (set === undefined) return;
  set.delete(s);
  if (set.size === 0) table.delete(key);
}

/**
 * Whether `c` may start a subscription: only where a command may have more
 * than one reply, as Redis refuses a `CLIENT_DENY_BLOCKING` client
 * (pubsub.c), except that (P)SUBSCRIBE inside an EXEC is let through.
 */
function subscribeAllowed(c: CommandContext, what: string, shard: boolean): boolean {
  if (c.canBlock || (c.multi !== null && !shard)) return true;
  c.reply.error(`ERR ${what} isn't allowed for a DENY BLOCKING client`);
  return false;
}

/** SUBSCRIBE / SSUBSCRIBE channel [channel ...] */
function subscribeGeneric(kind: ChannelKind) {
  const word = kind === 'shard' ? 'ssubscribe' : 'subscribe';
  return (c: CommandContext, argv: Buffer[]): void => {
    if (!subscribeAllowed(c, word.toUpperCase(), kind === 'shard')) return;
    const ps = c.server.pubsub;
    for (let j = 1; j < argv.length; j++) {
      const ch = name(argv[j]!);
      ps.subscribe(c.session, kind, ch);
      pushThree(c.reply, word, ch, subscriptionCount(c.session, kind));
    }
  };
}

/** UNSUBSCRIBE / SUNSUBSCRIBE [channel ...]: with none, every one; a confirmation even when there was none. */
function unsubscribeGeneric(kind: ChannelKind) {
  const word = kind === 'shard' ? 'sunsubscribe' : 'unsubscribe';
  return (c: CommandContext, argv: Buffer[]): void => {
    const ps = c.server.pubsub;
    const s = c.session;
    if (argv.length > 1) {
      for (let j = 1; j < argv.length; j++) {
        const ch = name(argv[j]!);
        ps.unsubscribe(s, kind, ch);
        pushThree(c.reply, word, ch, subscriptionCount(s, kind));
      }
      return;
    }
    const mine = [...(kind === 'shard' ? s.subscriptions.shardChannels : s.subscriptions.channels)];
    for (const ch of mine) {
      ps.unsubscribe(s, kind, ch);
      pushThree(c.reply, word, ch, subscriptionCount(s, kind));
    }
    if (mine.length === 0) pushThree(c.reply, word, null, subscriptionCount(s, kind));
  };
}

/** PSUBSCRIBE pattern [pattern ...] */
function psubscribeCommand(c: CommandContext, argv: Buffer[]): void {
  if (!subscribeAllowed(c, 'PSUBSCRIBE', false)) return;
  for (let j = 1; j < argv.length; j++) {
    const p = name(argv[j]!);
    c.server.pubsub.psubscribe(c.session, p);
    pushThree(c.reply, 'psubscribe', p, subscriptionCount(c.session, 'channel'));
  }
}

/** PUNSUBSCRIBE [pattern ...]: with none, every one. */
function punsubscribeCommand(c: CommandContext, argv: Buffer[]): void {
  const s = c.session;
  const patterns = argv.length > 1 ? argv.slice(1).map(name) : [...s.subscriptions.patterns];
  for (const p of patterns) {
    c.server.pubsub.punsubscribe(s, p);
    pushThree(c.reply, 'punsubscribe', p, subscriptionCount(s, 'channel'));
  }
  if (patterns.length === 0) pushThree(c.reply, 'punsubscribe', null, subscriptionCount(s, 'channel'));
}

/**
 * PUBLISH / SPUBLISH channel message: how many subscriptions received it.
 * The message leaves once the writes logged before it are durable, as the
 * publisher's reply does, so a subscriber told of a write never sees it
 * lost; inside EXEC it is held until the transaction is logged.
 */
function publishGeneric(kind: ChannelKind) {
  return (c: CommandContext, argv: Buffer[]): void => {
    const tag = c.server.inExec ? c.server.hold : c.server.replyTag();
    c.reply.int(c.server.pubsub.publish(kind, argv[1]!, argv[2]!, tag));
    // In a cluster, PUBLISH reaches the subscribers of every node; the count is this node's (as Redis's).
    if (kind === 'channel' && c.server.cluster !== undefined) c.server.cluster.publish(argv[1]!, argv[2]!);
  };
}

/** PUBSUB CHANNELS / SHARDCHANNELS [pattern] */
function channelsGeneric(kind: ChannelKind) {
  return (c: CommandContext, argv: Buffer[]): void => {
    if (argv.length > 3) {
      const sub = argv[1]!.toString('latin1').slice(0, 128);
      return c.reply.error(`ERR unknown subcommand or wrong number of arguments for '${sub}'. Try PUBSUB HELP.`);
    }
    const list = c.server.pubsub.channels(kind, argv[2] ?? null);
    c.reply.arrayLen(list.length);
    for (const ch of list) c.reply.bulkLatin1(ch);
  };
}

/** PUBSUB NUMSUB / SHARDNUMSUB [channel ...]: channel, count pairs. */
function numsubGeneric(kind: ChannelKind) {
  return (c: CommandContext, argv: Buffer[]): void => {
    c.reply.arrayLen((argv.length - 2) * 2);
    for (let j = 2; j < argv.length; j++) {
      c.reply.bulk(argv[j]!);
      c.reply.int(c.server.pubsub.subscribers(kind, name(argv[j]!)));
    }
  };
}

/** PUBSUB NUMPAT */
function numpatCommand(c: CommandContext): void {
  c.reply.int(c.server.pubsub.patternCount);
}

/** PUBSUB HELP: Redis 7.0's text. */
function pubsubHelpCommand(c: CommandContext): void {
  replyHelp(c, 'PUBSUB', [
    'CHANNELS [<pattern>]',
    "    Return the currently active channels matching a <pattern> (default: '*').",
    'NUMPAT',
    '    Return number of subscriptions to patterns.',
    'NUMSUB [<channel> ...]',
    '    Return the number of subscribers for the specified channels, excluding',
    '    pattern subscriptions(default: no channels).',
    'SHARDCHANNELS [<pattern>]',
    "    Return the currently active shard level channels matching a <pattern> (default: '*').",
    'SHARDNUMSUB [<shardchannel> ...]',
    '    Return the number of subscribers for the specified shard level channel(s)',
  ]);
}

const SUBSCRIBE_FLAGS = ['pubsub', 'noscript', 'loading', 'stale'] as const;
/** `may_replicate` (hidden from COMMAND INFO, as in Redis): CLIENT PAUSE WRITE holds PUBLISH. */
const PUBLISH_FLAGS = ['pubsub', 'loading', 'stale', 'fast', 'may_replicate'] as const;
const PUBSUB_SUB_FLAGS = ['pubsub', 'loading', 'stale'] as const;

/** One PUBSUB subcommand. */
const pubsubSub = subcommandsOf('pubsub', 'pubsub', PUBSUB_SUB_FLAGS);

/** The pub/sub commands' table entries (flags and key specs as redis-server 7.0's COMMAND INFO). */
export const pubsubCommands: CommandSpec[] = [
  command({
    name: 'subscribe',
    arity: -2,
    flags: SUBSCRIBE_FLAGS,
    group: 'pubsub',
    since: '2.0.0',
    complexity: 'O(N) where N is the number of channels to subscribe to.',
    summary: 'Listen for messages published to the given channels',
    handler: subscribeGeneric('channel'),
  }),
  command({
    name: 'unsubscribe',
    arity: -1,
    flags: SUBSCRIBE_FLAGS,
    group: 'pubsub',
    since: '2.0.0',
    complexity: 'O(N) where N is the number of clients already subscribed to a channel.',
    summary: 'Stop listening for messages posted to the given channels',
    handler: unsubscribeGeneric('channel'),
  }),
  command({
    name: 'psubscribe',
    arity: -2,
    flags: SUBSCRIBE_FLAGS,
    group: 'pubsub',
    since: '2.0.0',
    complexity: 'O(N) where N is the number of patterns the client is already subscribed to.',
    summary: 'Listen for messages published to channels matching the given patterns',
    handler: psubscribeCommand,
  }),
  command({
    name: 'punsubscribe',
    arity: -1,
    flags: SUBSCRIBE_FLAGS,
    group: 'pubsub',
    since: '2.0.0',
    complexity:
      'O(N+M) where N is the number of patterns the client is already subscribed and M is the number of total ' +
      'patterns subscribed in the system (by any client).',
    summary: 'Stop listening for messages posted to channels matching the given patterns',
    handler: punsubscribeCommand,
  }),
  command({
    name: 'publish',
    arity: 3,
    flags: PUBLISH_FLAGS,
    group: 'pubsub',
    since: '2.0.0',
    complexity:
      'O(N+M) where N is the number of clients subscribed to the receiving channel and M is the total number of ' +
      'subscribed patterns (by any client).',
    summary: 'Post a message to a channel',
    handler: publishGeneric('channel'),
  }),
  command({
    name: 'ssubscribe',
    arity: -2,
    flags: SUBSCRIBE_FLAGS,
    keys: [keyAt(1, ['not_key'], -1)],
    group: 'pubsub',
    since: '7.0.0',
    complexity: 'O(N) where N is the number of shard channels to subscribe to.',
    summary: 'Listen for messages published to the given shard channels',
    handler: subscribeGeneric('shard'),
  }),
  command({
    name: 'sunsubscribe',
    arity: -1,
    flags: SUBSCRIBE_FLAGS,
    keys: [keyAt(1, ['not_key'], -1)],
    group: 'pubsub',
    since: '7.0.0',
    complexity: 'O(N) where N is the number of clients already subscribed to a shard channel.',
    summary: 'Stop listening for messages posted to the given shard channels',
    handler: unsubscribeGeneric('shard'),
  }),
  command({
    name: 'spublish',
    arity: 3,
    flags: PUBLISH_FLAGS,
    keys: [keyAt(1, ['not_key'])],
    group: 'pubsub',
    since: '7.0.0',
    complexity: 'O(N) where N is the number of clients subscribed to the receiving shard channel.',
    summary: 'Post a message to a shard channel',
    handler: publishGeneric('shard'),
  }),
  container('pubsub', 'pubsub', '2.8.0', 'A container for Pub/Sub commands', [
    pubsubSub(
      'channels',
      -2,
      '2.8.0',
      'O(N) where N is the number of active channels, and assuming constant time pattern matching (relatively ' +
        'short channels and patterns)',
      'List active channels',
      channelsGeneric('channel'),
    ),
    pubsubSub(
      'numsub',
      -2,
      '2.8.0',
      'O(N) for the NUMSUB subcommand, where N is the number of requested channels',
      'Get the count of subscribers for channels',
      numsubGeneric('channel'),
    ),
    pubsubSub('numpat', 2, '2.8.0', 'O(1)', 'Get the count of unique patterns pattern subscriptions', numpatCommand),
    pubsubSub(
      'shardchannels',
      -2,
      '7.0.0',
      'O(N) where N is the number of active shard channels, and assuming constant time pattern matching ' +
        '(relatively short shard channels).',
      'List active shard channels',
      channelsGeneric('shard'),
    ),
    pubsubSub(
      'shardnumsub',
      -2,
      '7.0.0',
      'O(N) for the SHARDNUMSUB subcommand, where N is the number of requested shard channels',
      'Get the count of subscribers for shard channels',
      numsubGeneric('shard'),
    ),
    pubsubSub('help', 2, '6.2.0', 'O(1)', 'Show helpful text about the different subcommands', pubsubHelpCommand, [
      'loading',
      'stale',
    ]),
  ]),
];
