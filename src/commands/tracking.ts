/**
 * Client-side caching, after Redis 7.0's tracking.c: CLIENT TRACKING,
 * CLIENT CACHING, CLIENT GETREDIR, CLIENT TRACKINGINFO, the tracking table
 * and the invalidation messages.
 *
 * A connection with tracking on is remembered, per key, for every key a
 * read-only command of its read (the command's key specs,
 * src/commands/table.ts `keyPositions`). When a logged effect writes one of
 * those keys, the server calls {@link Tracking.invalidateKey}: each reader
 * is sent `invalidate [key]` once and forgotten for that key, until it reads
 * it again. Keys are names, not per database, as in Redis. A FLUSHDB or
 * FLUSHALL sends `invalidate null` to every tracking connection. In BCAST
 * mode nothing is remembered: every key written under one of the
 * connection's prefixes is sent, gathered per prefix once per event-loop
 * turn. OPTIN and OPTOUT make tracking of the next command's keys depend on
 * CLIENT CACHING; NOLOOP leaves out keys the connection changed itself.
 *
 * Where an invalidation goes: a RESP3 connection gets a push `>2 invalidate
 * [keys]`; with REDIRECT id it goes to that connection instead, as a push
 * in RESP3 or, in RESP2, as a message on `__redis__:invalidate` when that
 * connection is subscribed to something. When the redirect connection is
 * gone, a RESP3 tracker is sent `tracking-redir-broken <id>` instead.
 *
 * When: invalidations wait in the server's outbox (./notify.ts `Outbox`)
 * until the writing command has run and its effects are logged, so a
 * connection gets an invalidation caused by its own command after that
 * command's reply, never inside a transaction's reply, and nobody gets one
 * before the change is durable. Keys evicted before a command runs are
 * invalidated before its reply.
 *
 * `tracking-table-max-keys` bounds the table: past it, keys are dropped
 * oldest first (Redis: at random) and their readers sent invalidations,
 * with an effort that grows while the table stays over (tracking.c
 * `trackingLimitUsedSlots`).
 *
 * Reference: https://redis.io/docs/latest/develop/reference/client-side-caching/
 */
import type { ReplyBuffer } from '../protocol/encoder.js';
import type {
  ClientTracking,
  CommandContext,
  CommandSpec,
  Session,
  TrackingOptions,
  TrackingRegistry,
} from './context.js';
import type { Outbox } from './notify.js';
import { keyPositions, subcommandsOf } from './table.js';
import { ERR, isWord, longOrReply } from './util.js';

/** Keys written under one BCAST prefix this turn, and the connections registered for it (tracking.c `bcastState`). */
interface BcastState {
  /** Key → the connection that last wrote it (null: expiry, eviction), for NOLOOP. */
  keys: Map<string, Session | null>;
  readonly clients: Set<Session>;
}

/** A key or prefix as a table key: its bytes as a latin1 string. */
function latin1(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length).latin1Slice(0, b.length);
}

/** Whether `s` is subscribed to any channel, pattern or shard channel (Redis's `CLIENT_PUBSUB`). */
function subscribed(s: Session): boolean {
  const subs = s.subscriptions;
  return subs.channels.size + subs.patterns.size + subs.shardChannels.size > 0;
}

/** The keys of an invalidation: an array of names, or null for "every key" (a flush). */
function writeKeys(r: ReplyBuffer, keys: readonly string[] | null): void {
  if (keys === null) return r.nullBulk();
  r.arrayLen(keys.length);
  for (const k of keys) r.bulkLatin1(k);
}

/** The client-side caching state of one server. */
export class Tracking implements TrackingRegistry {
  clientCount = 0;
  itemCount = 0;
  /** `tracking-table-max-keys`; 0 for no limit. */
  maxKeys = 1_000_000;
  /**
   * The connection whose command is running, set by the server (Redis's
   * `server.current_client`): NOLOOP leaves out its own writes. Null
   * between commands (expiry, eviction in the background).
   */
  current: Session | null = null;
  /** Key → the IDs of the connections that may cache it. */
  private readonly table = new Map<string, Set<number>>();
  private readonly prefixTable = new Map<string, BcastState>();
  /** Rounds in a row that ended with the table still over its limit. */
  private limitRounds = 0;
  private broadcastScheduled = false;

  /**
   * @param clients open connections by CLIENT ID (redirect targets, trackers)
   * @param outbox where invalidations wait for the writing command's effects
   */
  constructor(
    private readonly clients: ReadonlyMap<number, Session>,
    private readonly outbox: Outbox,
  ) {}

  /** Whether writes must be looked at: a connection tracks, or the table still names keys. */
  get active(): boolean {
    return this.clientCount > 0 || this.table.size > 0;
  }

  get keyCount(): number {
    return this.table.size;
  }

  get prefixCount(): number {
    return this.prefixTable.size;
  }

  enable(s: Session, o: TrackingOptions): void {
    let t = s.tracking;
    if (t === null) {
      this.clientCount++;
      t = s.tracking = {
        redirect: 0,
        bcast: false,
        optin: false,
        optout: false,
        noloop: false,
        caching: false,
        brokenRedirect: false,
        prefixes: new Set(),
      };
    }
    t.brokenRedirect = false;
    t.redirect = o.redirect;
    t.bcast = o.bcast;
    if (o.bcast) {
      if (o.prefixes.length === 0) this.addPrefix(s, t, '');
      for (const p of o.prefixes) this.addPrefix(s, t, p);
    }
    t.optin = o.optin;
    t.optout = o.optout;
    t.noloop = o.noloop;
  }

  private addPrefix(s: Session, t: ClientTracking, prefix: string): void {
    let bs = this.prefixTable.get(prefix);
    if (bs === undefined) this.prefixTable.set(prefix, (bs = { keys: new Map(), clients: new Set() }));
    bs.clients.add(s);
    t.prefixes.add(prefix);
  }

  disable(s: Session): void {
    const t = s.tracking;
    if (t === null) return;
    for (const p of t.prefixes) {
      const bs = this.prefixTable.get(p);
      if (bs === undefined) continue;
      bs.clients.delete(s);
      if (bs.clients.size === 0) this.prefixTable.delete(p);
    }
    s.tracking = null;
    this.clientCount--;
  }

  /**
   * After a read-only command of `s` (tracking on): remembers that `s` may
   * cache the keys it read, unless BCAST, or OPTIN without CACHING YES, or
   * OPTOUT with CACHING NO (tracking.c `trackingRememberKeys`).
   */
  rememberKeys(s: Session, spec: CommandSpec, argv: readonly Buffer[]): void {
    // Shard channels are declared as keys; they are not cached.
    if (spec.flags.includes('pubsub')) return;
    const positions = keyPositions(spec, argv);
    if (positions === null) return;
    this.rememberKeyList(
      s,
      positions.map((i) => argv[i]!),
    );
  }

  /**
   * Remembers that `s` read `keys` (tracking.c `trackingRememberKeys`), unless
   * its mode says not to (BCAST, OPTIN without CACHING yes, OPTOUT with CACHING no).
   * A script that ran a read command remembers its declared keys this way.
   */
  rememberKeyList(s: Session, keys: readonly Buffer[]): void {
    const t = s.tracking;
    if (t === null || t.bcast || (t.optin && !t.caching) || (t.optout && t.caching)) return;
    for (const k of keys) {
      const key = latin1(k);
      let ids = this.table.get(key);
      if (ids === undefined) this.table.set(key, (ids = new Set()));
      if (!ids.has(s.id)) {
        ids.add(s.id);
        this.itemCount++;
      }
    }
  }

  /**
   * After a command of `s` ran (not queued): CLIENT CACHING applies to the
   * next command or transaction only, so it is cleared unless `s` is in
   * MULTI or the command was a CLIENT subcommand (networking.c `resetClient`).
   */
  afterCommand(s: Session): void {
    const t = s.tracking;
    if (t?.caching && s.queued < 0 && !s.lastCommand.startsWith('client|')) t.caching = false;
  }

  /**
   * A logged effect wrote `key`: every connection that may cache it is sent
   * an invalidation and forgotten for it; with `bcast`, the key is also
   * gathered for the BCAST prefixes it falls under (tracking.c
   * `trackingInvalidateKey`).
   */
  invalidateKey(key: Uint8Array, bcast = true): void {
    if (this.table.size === 0 && this.prefixTable.size === 0) return;
    const name = latin1(key);
    if (bcast && this.prefixTable.size > 0) this.rememberForBroadcast(name);
    const ids = this.table.get(name);
    if (ids === undefined) return;
    for (const id of ids) {
      const target = this.clients.get(id);
      const t = target?.tracking ?? null;
      if (target === undefined || t === null || t.bcast) continue;
      if (t.noloop && target === this.current) continue;
      this.outbox.add((tag) => this.send(target, [name], tag));
    }
    this.itemCount -= ids.size;
    this.table.delete(name);
  }

  /**
   * A database was emptied (FLUSHDB, FLUSHALL, SWAPDB): every tracking
   * connection is sent `invalidate null`, and the table is emptied
   * (tracking.c `trackingInvalidateKeysOnFlush`).
   */
  invalidateAll(): void {
    if (this.clientCount > 0) {
      for (const s of this.clients.values()) {
        if (s.tracking !== null) this.outbox.add((tag) => this.send(s, null, tag));
      }
    }
    this.table.clear();
    this.itemCount = 0;
  }

  private rememberForBroadcast(key: string): void {
    for (const [prefix, bs] of this.prefixTable) {
      if (key.startsWith(prefix)) bs.keys.set(key, this.current);
    }
    if (!this.broadcastScheduled) {
      this.broadcastScheduled = true;
      setImmediate(() => this.broadcast());
    }
  }

  /**
   * Once per event-loop turn after keys under BCAST prefixes changed: each
   * prefix's keys, in byte order, to each of its connections, less the keys
   * a NOLOOP connection wrote itself (tracking.c
   * `trackingBroadcastInvalidationMessages`).
   */
  private broadcast(): void {
    this.broadcastScheduled = false;
    const prefixes = [...this.prefixTable.keys()].sort();
    for (const prefix of prefixes) {
      const bs = this.prefixTable.get(prefix)!;
      if (bs.keys.size === 0) continue;
      const written = [...bs.keys].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      bs.keys = new Map();
      const all = written.map(([k]) => k);
      for (const s of bs.clients) {
        const keys = s.tracking?.noloop === true ? written.filter(([, by]) => by !== s).map(([k]) => k) : all;
        if (keys.length > 0) this.outbox.add((tag) => this.send(s, keys, tag));
      }
    }
    this.outbox.flush();
  }

  /**
   * Keeps the table within `tracking-table-max-keys`: drops keys, oldest
   * first, invalidating them for their readers, up to 100 keys per round
   * in a row the table was still over (tracking.c `trackingLimitUsedSlots`).
   * The server calls it before each command and from its cron.
   */
  limitUsedSlots(): void {
    const max = this.maxKeys;
    if (max === 0 || this.table.size <= max) {
      this.limitRounds = 0;
      return;
    }
    let effort = 100 * (this.limitRounds + 1);
    for (const key of this.table.keys()) {
      if (effort-- <= 0) break;
      this.invalidateKey(Buffer.from(key, 'latin1'), false);
      if (this.table.size <= max) {
        this.limitRounds = 0;
        return;
      }
    }
    this.limitRounds++;
  }

  /**
   * Sends one invalidation for tracker `s`, to it or to its redirect
   * connection (tracking.c `sendTrackingMessage`).
   *
   * @param keys the keys, or null for all
   * @param tag the LSN the message waits for
   */
  private send(s: Session, keys: readonly string[] | null, tag: number): void {
    const t = s.tracking;
    if (t === null) return;
    let to = s;
    const redirected = t.redirect !== 0;
    if (redirected) {
      const redir = this.clients.get(t.redirect);
      if (redir === undefined) {
        t.brokenRedirect = true;
        const id = t.redirect;
        if (s.resp === 3) {
          s.deliver((r) => {
            r.pushLen(2);
            r.bulkAscii('tracking-redir-broken');
            r.int(id);
          }, tag);
        }
        return;
      }
      to = redir;
    }
    if (to.resp === 3) {
      to.deliver((r) => {
        r.pushLen(2);
        r.bulkAscii('invalidate');
        writeKeys(r, keys);
      }, tag);
    } else if (redirected && subscribed(to)) {
      // RESP2 has no pushes: a message on __redis__:invalidate, to a subscribed redirect connection only.
      to.deliver((r) => {
        r.arrayLen(3);
        r.bulkAscii('message');
        r.bulkAscii('__redis__:invalidate');
        writeKeys(r, keys);
      }, tag);
    }
  }
}

/** Whether two prefixes would invalidate a common key: one starts with the other (tracking.c `stringCheckPrefix`). */
function overlap(a: string, b: string): boolean {
  return a.startsWith(b) || b.startsWith(a);
}

/**
 * Replies Redis's error when a new prefix overlaps one the connection has,
 * or another new one (tracking.c `checkPrefixCollisionsOrReply`).
 *
 * @returns whether the prefixes are acceptable
 */
function prefixesOkOrReply(c: CommandContext, prefixes: readonly string[]): boolean {
  const mine = c.session.tracking?.prefixes ?? new Set<string>();
  for (let i = 0; i < prefixes.length; i++) {
    const p = prefixes[i]!;
    for (const have of mine) {
      if (overlap(have, p)) {
        c.reply.error(
          `ERR Prefix '${p}' overlaps with an existing prefix '${have}'. ` +
            'Prefixes for a single client must not overlap.',
        );
        return false;
      }
    }
    for (let j = i + 1; j < prefixes.length; j++) {
      if (overlap(p, prefixes[j]!)) {
        c.reply.error(
          `ERR Prefix '${p}' overlaps with another provided prefix '${prefixes[j]}'. ` +
            'Prefixes for a single client must not overlap.',
        );
        return false;
      }
    }
  }
  return true;
}

/**
 * CLIENT TRACKING ON|OFF [REDIRECT id] [PREFIX prefix ...] [BCAST] [OPTIN]
 * [OPTOUT] [NOLOOP] (networking.c `clientCommand`): options are parsed
 * first, then checked against each other and the connection's current mode.
 */
function clientTrackingCommand(c: CommandContext, argv: Buffer[]): void {
  const o: TrackingOptions = { redirect: 0, bcast: false, optin: false, optout: false, noloop: false, prefixes: [] };
  for (let j = 3; j < argv.length; j++) {
    const a = argv[j]!;
    const more = j < argv.length - 1;
    if (isWord(a, 'REDIRECT') && more) {
      j++;
      if (o.redirect !== 0) return c.reply.error('ERR A client can only redirect to a single other client');
      const id = longOrReply(c, argv[j]!);
      if (id === null) return;
      if (!c.server.clients.has(id)) return c.reply.error('ERR The client ID you want redirect to does not exist');
      o.redirect = id;
    } else if (isWord(a, 'BCAST')) o.bcast = true;
    else if (isWord(a, 'OPTIN')) o.optin = true;
    else if (isWord(a, 'OPTOUT')) o.optout = true;
    else if (isWord(a, 'NOLOOP')) o.noloop = true;
    else if (isWord(a, 'PREFIX') && more) o.prefixes.push(latin1(argv[++j]!));
    else return c.reply.error(ERR.syntax);
  }
  const tracking = c.server.tracking;
  const now = c.session.tracking;
  if (isWord(argv[2]!, 'ON')) {
    if (!o.bcast && o.prefixes.length > 0) return c.reply.error('ERR PREFIX option requires BCAST mode to be enabled');
    if (now !== null && now.bcast !== o.bcast) {
      return c.reply.error(
        "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it " +
          'with a different mode.',
      );
    }
    if (o.bcast && (o.optin || o.optout)) return c.reply.error('ERR OPTIN and OPTOUT are not compatible with BCAST');
    if (o.optin && o.optout) return c.reply.error("ERR You can't specify both OPTIN mode and OPTOUT mode");
    if (now !== null && ((o.optin && now.optout) || (o.optout && now.optin))) {
      return c.reply.error(
        "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it " +
          'with a different mode.',
      );
    }
    if (o.bcast && !prefixesOkOrReply(c, o.prefixes)) return;
    tracking.enable(c.session, o);
  } else if (isWord(argv[2]!, 'OFF')) {
    tracking.disable(c.session);
  } else {
    return c.reply.error(ERR.syntax);
  }
  c.reply.ok();
}

/** CLIENT CACHING YES|NO: whether the next command's keys are tracked, in OPTIN or OPTOUT mode. */
function clientCachingCommand(c: CommandContext, argv: Buffer[]): void {
  const t = c.session.tracking;
  if (t === null) {
    return c.reply.error(
      'ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled',
    );
  }
  if (isWord(argv[2]!, 'YES')) {
    if (!t.optin) return c.reply.error('ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.');
  } else if (isWord(argv[2]!, 'NO')) {
    if (!t.optout) return c.reply.error('ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.');
  } else {
    return c.reply.error(ERR.syntax);
  }
  t.caching = true;
  c.reply.ok();
}

/** CLIENT GETREDIR: the redirect client's ID, 0 for none, -1 when tracking is off. */
function clientGetredirCommand(c: CommandContext): void {
  c.reply.int(c.session.tracking?.redirect ?? -1);
}

/** CLIENT TRACKINGINFO: a map of `flags` (a set), `redirect` and `prefixes`. */
function clientTrackinginfoCommand(c: CommandContext): void {
  const t = c.session.tracking;
  const flags = [t === null ? 'off' : 'on'];
  if (t !== null) {
    if (t.bcast) flags.push('bcast');
    if (t.optin) flags.push('optin');
    if (t.optin && t.caching) flags.push('caching-yes');
    if (t.optout) flags.push('optout');
    if (t.optout && t.caching) flags.push('caching-no');
    if (t.noloop) flags.push('noloop');
    if (t.brokenRedirect) flags.push('broken_redirect');
  }
  const r = c.reply;
  r.mapLen(3);
  r.bulkAscii('flags');
  r.setLen(flags.length);
  for (const f of flags) r.bulkAscii(f);
  r.bulkAscii('redirect');
  r.int(t?.redirect ?? -1);
  r.bulkAscii('prefixes');
  const prefixes = [...(t?.prefixes ?? [])].sort();
  r.arrayLen(prefixes.length);
  for (const p of prefixes) r.bulkLatin1(p);
}

/** One CLIENT subcommand of client-side caching (flags as redis-server 7.0's COMMAND INFO). */
const sub = subcommandsOf('client', 'connection', ['noscript', 'loading', 'stale']);

/** CLIENT TRACKING, CACHING, GETREDIR and TRACKINGINFO: entries of the CLIENT container. */
export const trackingSubcommands: CommandSpec[] = [
  sub(
    'tracking',
    -3,
    '6.0.0',
    'O(1). Some options may introduce additional complexity.',
    'Enable or disable server assisted client side caching support',
    clientTrackingCommand,
  ),
  sub(
    'caching',
    3,
    '6.0.0',
    'O(1)',
    'Instruct the server about tracking or not keys in the next request',
    clientCachingCommand,
  ),
  sub('getredir', 2, '6.0.0', 'O(1)', 'Get tracking notifications redirection client ID if any', clientGetredirCommand),
  sub(
    'trackinginfo',
    2,
    '6.2.0',
    'O(1)',
    'Return information about server assisted client side caching for the current connection',
    clientTrackinginfoCommand,
  ),
];
