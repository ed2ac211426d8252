/**
 * One client connection: a read buffer and incremental decoder, the selected
 * database, and an output queue whose pieces are each tagged with the WAL LSN
 * they wait for.
 *
 * Per event-loop turn the connection runs every complete command in what it
 * received, then seals the replies into one piece tagged with the WAL's tail
 * LSN at that moment. The server sends, in order and with one socket write,
 * every piece whose tag is durable (docs/ARCHITECTURE.md, "Reply release").
 */
import type { Socket } from 'node:net';
import type {
  ClientBuffers,
  CommandContext,
  CommandSpec,
  ServerServices,
  ClientTracking,
  Session,
  Subscriptions,
  Transaction,
} from '../commands/context.js';
import type { OutputBufferLimit } from '../config/values.js';
import { RespDecoder, type DecoderLimits } from '../protocol/decoder.js';
import { ProtocolError } from '../protocol/errors.js';
import { ReplyBuffer } from '../protocol/encoder.js';
import type { Db } from '../store/db.js';
import type { Logger } from './logger.js';

/** `ip:port`, with an IPv6 address in brackets, as Redis's `anetFormatAddr` writes it. */
function formatAddr(ip: string | undefined, port: number | undefined): string {
  const host = ip ?? '?';
  return host.includes(':') ? `[${host}]:${port ?? 0}` : `${host}:${port ?? 0}`;
}

/** How long CLIENT LIST's `rbp` remembers a reply piece (Redis's `reply-buffer-peak-reset-time`, 5 s). */
const REPLY_PEAK_RESET_MS = 5000;

/** What a connection needs from the server that accepted it. */
export interface ClientHost {
  /** What its commands see as `c.server`. */
  readonly services: ServerServices;
  readonly log: Logger;
  /** `client-output-buffer-limit` for normal clients. */
  readonly outputLimit: OutputBufferLimit;
  /** `client-output-buffer-limit` for clients subscribed to pub/sub channels or patterns. */
  readonly pubsubOutputLimit: OutputBufferLimit;
  /** A new CLIENT ID. */
  nextClientId(): number;
  /** Runs one command for `c` (./dispatch.ts); replies go to `c.reply`. */
  execute(c: Client, argv: Buffer[]): void;
  /** Answers `c` with an error found before any command ran (./dispatch.ts `replyError`). */
  replyError(c: Client, message: string): void;
  /** The LSN a reply sealed now must wait for (./release.ts). */
  replyTag(): number;
  /** `c` sealed replies this turn: release them at the end of the turn (./release.ts). */
  needsRelease(c: Client): void;
  /** Whether `c` waits in a blocking command. */
  isBlockedOnKeys(c: Client): boolean;
  /** Forgets a closed connection. */
  forget(c: Client): void;
}

/** A client connection: the {@link CommandContext} and the {@link Session} of its commands. */
export class Client implements CommandContext, Session {
  /** CLIENT ID. */
  readonly id: number;
  /** Selected database index. */
  dbIndex = 0;
  /** Selected database. */
  db: Db;
  /** CLIENT SETNAME. */
  name = '';
  /** CLIENT SETINFO lib-name / lib-ver. */
  libName = '';
  libVer = '';
  /** Replies not yet taken into the output queue. */
  readonly reply = new ReplyBuffer();
  /** Unix ms when the connection was accepted. */
  readonly createdAt = Date.now();
  /** Unix ms of the last command. */
  lastInteraction = Date.now();
  /** Name of the last command run. */
  lastCommand = 'NULL';
  /** LSN of the last record its commands logged (Redis's `c->woff`; ./dispatch.ts sets it). */
  lastWriteLsn = 0;
  /** Pieces holding one write's reply (see {@link sealWrite}); null until the first. */
  private writePieces: WeakSet<Buffer | Buffer[]> | null = null;
  /**
   * Whether the connection may run commands other than AUTH, HELLO and QUIT:
   * true from the start when no `requirepass` is set (as Redis's `nopass`
   * default user), else after AUTH. Setting a password later leaves
   * connections that were in, in.
   */
  authenticated: boolean;
  /** Whether the connection must still authenticate: it has not, and a password is set now (Redis's `authRequired`). */
  get authRequired(): boolean {
    return !this.authenticated && this.server.config.get('requirepass') !== '';
  }

  /** A connection can wait in BLPOP and the like (not while its EXEC runs). */
  canBlock = true;
  /** The transaction being queued after MULTI, or null. */
  multi: Transaction | null = null;
  /** Its pub/sub channels and patterns. */
  readonly subscriptions: Subscriptions = { channels: new Set(), patterns: new Set(), shardChannels: new Set() };
  /** Its client-side caching state after CLIENT TRACKING ON, else null. */
  tracking: ClientTracking | null = null;
  /** What its commands use of the server. */
  readonly server: ServerServices;

  /** Set by QUIT or a protocol error: no more input is read; the socket closes once replies are out. */
  closeAfterReply = false;
  /** CLIENT REPLY OFF, SKIP (next command; this one) and CLIENT NO-EVICT (src/commands/client.ts). */
  replyOff = false;
  replySkipNext = false;
  replySkip = false;
  noEvict = false;
  /** A replica's link, taken over by PSYNC (see Session). */
  replicaLink = false;
  /** Remote address, `ip:port`. */
  readonly addr: string;
  /** Local address, `ip:port`. */
  readonly laddr: string;

  private readonly decoder: RespDecoder;
  /** The name bytes of the last command looked up, and its spec (see {@link sameCommand}). */
  private lastName: Buffer | null = null;
  private lastSpec: CommandSpec | undefined = undefined;
  /** Sealed reply pieces waiting to be sent, and the LSN each waits for. */
  private readonly outPieces: (Buffer | Buffer[])[] = [];
  private readonly outTags: number[] = [];
  private closed = false;
  private blocked = false;
  /** Running its own commands: a message delivered to it now joins its replies, sealed with them. */
  private processing = false;
  /** Unix ms since when unsent replies have been above the soft output limit; 0 when below. */
  private softSince = 0;
  /** The command a CLIENT PAUSE holds (copies of its arguments), or null (./pause.ts). */
  private postponedArgv: Buffer[] | null = null;
  /**
   * While a command whose reply is not sent runs (CLIENT REPLY OFF or SKIP):
   * {@link reply}'s pending bytes before it; -1 otherwise.
   */
  private quietMark = -1;
  /** Out-of-band messages delivered while such a command runs: they are sent (Redis's `CLIENT_PUSHING`). */
  private held: ReplyBuffer | null = null;
  /** A blocked command's reply is not to be sent: bytes pending before it, or -1 (see {@link unblock}). */
  private quietBlockMark = -1;
  /** Largest reply piece sealed since {@link peakSince} (CLIENT LIST `rbp`), and when that window began. */
  private replyPeak = 0;
  private peakSince = 0;
  /** Bytes of sealed pieces not yet handed to the socket (waiting for their LSN). */
  private queuedBytes = 0;

  /**
   * @param host the server that accepted it
   * @param socket the connection
   * @param limits request limits for the decoder
   */
  constructor(
    private readonly host: ClientHost,
    readonly socket: Socket,
    limits: DecoderLimits,
  ) {
    this.server = host.services;
    this.id = host.nextClientId();
    this.db = this.server.keyspace.dbs[0]!;
    this.authenticated = this.server.config.get('requirepass') === '';
    this.decoder = new RespDecoder(limits);
    this.addr = formatAddr(socket.remoteAddress, socket.remotePort);
    this.laddr = formatAddr(socket.localAddress, socket.localPort);
  }

  /** The protocol of its replies: 2, or 3 after `HELLO 3`. */
  get resp(): 2 | 3 {
    return this.reply.resp;
  }

  /** The connection's session state is the client itself. */
  get session(): Session {
    return this;
  }

  /** Selects database `index`; the caller has range-checked it. */
  select(index: number): void {
    this.dbIndex = index;
    this.db = this.server.keyspace.dbs[index]!;
  }

  /** The socket's file descriptor (CLIENT LIST `fd`), -1 when Node does not expose it. */
  get fd(): number {
    return (this.socket as unknown as { _handle?: { fd?: number } })._handle?.fd ?? -1;
  }

  /** Whether it waits in BLPOP or another blocking command (CLIENT LIST flag `b`). */
  get blockedOnKeys(): boolean {
    return this.host.isBlockedOnKeys(this);
  }

  /**
   * Bytes of replies not yet taken by the peer: being built, sealed and
   * waiting for their LSN, and held by Node because the peer does not read.
   * What client-output-buffer-limit bounds.
   */
  get unsentBytes(): number {
    return this.reply.pendingBytes + this.queuedBytes + this.socket.writableLength;
  }

  /** Bytes received and not yet parsed into commands. */
  get queryBufferBytes(): number {
    return this.decoder.bufferedBytes;
  }

  /** Bytes of replies waiting to be sent. */
  get outputBytes(): number {
    let n = this.reply.pendingBytes;
    for (const p of this.outPieces) n += Array.isArray(p) ? p.reduce((a, b) => a + b.length, 0) : p.length;
    return n + this.socket.writableLength;
  }

  /** Feeds received bytes and runs every complete command. */
  onData(chunk: Buffer): void {
    if (this.closeAfterReply || this.closed) return;
    const now = Date.now();
    this.lastInteraction = now;
    this.server.keyspace.tick(now);
    this.processInput(chunk);
    // client-query-buffer-limit: a command still arriving may not buffer past it (networking.c readQueryFromClient).
    if (!this.closed && this.decoder.bufferedBytes > this.server.config.get('client-query-buffer-limit')) {
      this.host.log.warn(
        { client: this.addr, id: this.id, bytes: this.decoder.bufferedBytes },
        'closing client that reached max query buffer length',
      );
      this.server.stats.bufferLimitDisconnections++;
      this.destroy();
    }
  }

  /**
   * The spec of the command named by `name` when it is the same command as
   * this connection's previous one, else undefined. Pipelines and
   * benchmarks repeat one command; comparing a few bytes spares building the
   * name string and the table lookup (a few percent of CPU at -P 16).
   */
  sameCommand(name: Buffer): CommandSpec | undefined {
    const last = this.lastName;
    if (last === null || last.length !== name.length) return undefined;
    for (let i = 0; i < name.length; i++) if (last[i] !== name[i]) return undefined;
    return this.lastSpec;
  }

  /** Remembers a looked-up command for {@link sameCommand} (a copy: `name` is a view into the input). */
  rememberCommand(name: Buffer, spec: CommandSpec): void {
    if (name.length > 32) return;
    this.lastName = Buffer.from(name);
    this.lastSpec = spec;
  }

  /**
   * Adds `chunk` if given, runs `first` (a command a pause held) and every
   * complete command buffered unless blocked, then seals the replies.
   */
  private processInput(chunk?: Buffer, first?: Buffer[]): void {
    const decoder = this.decoder;
    this.processing = true;
    try {
      if (chunk !== undefined) decoder.push(chunk);
      let argv = first ?? null;
      while (!this.blocked && !this.closeAfterReply && !this.closed) {
        if (argv === null) {
          // Per command: an AUTH earlier in the same chunk lifts the limits for what follows.
          decoder.preAuth = this.authRequired;
          argv = decoder.next();
          if (argv === null) break;
        }
        if (this.replyOff || this.replySkip) this.executeQuietly(argv);
        else {
          this.host.execute(this, argv);
          if (this.replySkipNext) this.replyModeStep();
        }
        argv = null;
        if (!this.blocked) decoder.commandDone();
        // A pipeline of large replies must not all be built before the limit is looked at.
        const hard = this.outputLimit.hard;
        if (hard > 0 && this.unsentBytes >= hard) {
          this.processing = false;
          this.outputLimitReached(this.unsentBytes);
          return;
        }
      }
    } catch (err) {
      if (err instanceof ProtocolError) {
        // Like every reply, not sent under CLIENT REPLY OFF (networking.c prepareClientToWrite).
        if (!(this.replyOff || this.replySkip)) this.host.replyError(this, `ERR Protocol error: ${err.message}`);
        this.host.log.debug({ client: this.addr, error: err.message }, 'protocol error, closing connection');
      } else {
        // Out of memory for this client's input, or a bug: drop this client, keep the server.
        this.host.replyError(this, `ERR ${(err as Error).message}`);
        this.host.log.error(
          { client: this.addr, err: (err as Error).message },
          'closing a connection after an internal error',
        );
      }
      this.closeAfterReply = true;
    }
    this.processing = false;
    decoder.trim();
    this.seal(this.host.replyTag());
    this.host.needsRelease(this);
  }

  /**
   * Runs a command whose reply is not sent (CLIENT REPLY OFF, or the command
   * after CLIENT REPLY SKIP): what it appends is dropped, but messages
   * delivered meanwhile are kept. A command that blocks has its reply
   * dropped when it comes ({@link unblock}); one a pause holds runs this way
   * again later.
   */
  private executeQuietly(argv: Buffer[]): void {
    this.quietMark = this.reply.pendingBytes;
    try {
      this.host.execute(this, argv);
    } finally {
      const mark = this.quietMark;
      this.quietMark = -1;
      // CLIENT REPLY ON ran: its own +OK is sent.
      if (this.replyOff || this.replySkip) this.reply.dropSince(mark);
      const held = this.held?.take() ?? null;
      if (held !== null) for (const b of Array.isArray(held) ? held : [held]) this.reply.raw(b);
    }
    if (this.postponedArgv !== null) return;
    if (this.blocked) {
      this.quietBlockMark = this.reply.pendingBytes;
      return;
    }
    this.replyModeStep();
  }

  /** After a command (networking.c `resetClient`): a CLIENT REPLY SKIP that ran applies to the next command. */
  private replyModeStep(): void {
    this.replySkip = this.replySkipNext;
    this.replySkipNext = false;
  }

  /**
   * Holds command `argv` until a CLIENT PAUSE ends (./pause.ts): nothing more
   * of this client runs meanwhile; its input is still read.
   */
  postpone(argv: Buffer[]): void {
    this.postponedArgv = argv.map((a) => Buffer.from(a));
    this.blocked = true;
  }

  /** The pause ended: runs the held command again from its lookup, then the input that followed it. */
  resumePostponed(): void {
    const argv = this.postponedArgv;
    if (argv === null) return;
    this.postponedArgv = null;
    this.blocked = false;
    if (this.closed) return;
    this.processInput(undefined, argv);
  }

  /** Whether its command waits for a CLIENT PAUSE to end (CLIENT LIST flag `b`). */
  get postponed(): boolean {
    return this.postponedArgv !== null;
  }

  /** Whether a key it watches was touched (CLIENT LIST flag `d`). */
  get dirtyCas(): boolean {
    return this.server.watches.isDirty(this);
  }

  /** Its buffers as CLIENT LIST shows them (networking.c `catClientInfoString`). */
  buffers(): ClientBuffers {
    let multiMem = 0;
    for (const q of this.multi?.queue ?? []) for (const a of q.argv) multiMem += a.length + 8;
    const waiting = this.socket.writableLength;
    if (Date.now() - this.peakSince >= REPLY_PEAK_RESET_MS) this.replyPeak = 0;
    return {
      qbuf: this.decoder.queryBufferLength,
      argvMem: this.decoder.argumentBytes,
      multiMem,
      rbs: this.reply.chunkBytes,
      rbp: Math.max(this.replyPeak, this.reply.pendingBytes),
      obl: this.reply.pendingBytes,
      oll: this.outPieces.length + (waiting > 0 ? 1 : 0),
      omem: this.queuedBytes + waiting,
      events: (this.socket.isPaused() ? '' : 'r') + (waiting > 0 ? 'w' : ''),
    };
  }

  /** Commands queued after MULTI, or -1 outside a transaction. */
  get queued(): number {
    return this.multi === null ? -1 : this.multi.queue.length;
  }

  /** Whether it is subscribed to any channel, pattern or shard channel (CLIENT LIST flag `P`). */
  get subscribed(): boolean {
    const s = this.subscriptions;
    return s.channels.size + s.patterns.size + s.shardChannels.size > 0;
  }

  /** The output buffer limit of its class: `pubsub` while subscribed, else `normal` (networking.c). */
  private get outputLimit(): OutputBufferLimit {
    return this.subscribed ? this.host.pubsubOutputLimit : this.host.outputLimit;
  }

  deliver(write: (reply: ReplyBuffer) => void, tag: number): void {
    if (this.closed) return;
    if (this.quietMark >= 0) {
      // Its own command's reply will be dropped, not this message: kept aside until then.
      const held = (this.held ??= new ReplyBuffer());
      held.resp = this.reply.resp;
      write(held);
      return;
    }
    write(this.reply);
    if (this.processing) return;
    this.seal(tag);
    this.host.needsRelease(this);
    // A subscriber that does not read is dropped now, not after the burst: publishers never wait.
    const hard = this.outputLimit.hard;
    if (hard > 0 && this.unsentBytes >= hard) this.outputLimitReached(this.unsentBytes);
  }

  /**
   * Stops running this client's commands until {@link unblock} (SAVE waiting
   * for its snapshot, BLPOP waiting for an element).
   *
   * @param pauseInput stop reading too, so a client cannot queue unbounded
   *   work behind a short wait (SAVE). Commands that may wait for ever (BLPOP,
   *   src/commands/blocking.ts) keep reading, so that a disconnect is noticed
   *   (a paused socket reports no EOF) and the client is forgotten; what it
   *   sends meanwhile is buffered and runs after {@link unblock}.
   */
  block(pauseInput = true): void {
    this.blocked = true;
    if (pauseInput) this.socket.pause();
  }

  /** Resumes after {@link block}: the caller has appended the blocked command's reply. */
  unblock(): void {
    if (!this.blocked) return;
    this.blocked = false;
    if (this.quietBlockMark >= 0) {
      // It ran under CLIENT REPLY OFF or SKIP: its reply goes too, and SKIP is spent now.
      this.reply.dropSince(this.quietBlockMark);
      this.quietBlockMark = -1;
      this.replyModeStep();
    }
    this.decoder.commandDone();
    if (this.closed) return;
    // Served: the wait was not idleness (`timeout` must not close it now).
    this.lastInteraction = Date.now();
    this.socket.resume();
    this.processInput();
  }

  /** Whether a command of this client is waiting (SAVE, BLPOP...). */
  get isBlocked(): boolean {
    return this.blocked;
  }

  /**
   * Moves replies appended so far into the output queue, tagged with the LSN
   * they must wait for (0: none).
   */
  seal(tag: number): void {
    const piece = this.reply.take();
    if (piece === null) return;
    const bytes = Array.isArray(piece) ? piece.reduce((a, b) => a + b.length, 0) : piece.length;
    this.queuedBytes += bytes;
    // A blocked command's dropped reply starts after what is sealed now.
    if (this.quietBlockMark >= 0) this.quietBlockMark = 0;
    if (bytes > this.replyPeak) {
      this.replyPeak = bytes;
      this.peakSince = this.server.keyspace.clockMs;
    }
    const n = this.outTags.length;
    if (
      n > 0 &&
      this.outTags[n - 1] === tag &&
      (this.writePieces === null || !this.writePieces.has(this.outPieces[n - 1]!))
    ) {
      // Same tag as the previous piece: they will be released together anyway.
      this.outPieces[n - 1] = joinPieces(this.outPieces[n - 1]!, piece);
      return;
    }
    this.outPieces.push(piece);
    this.outTags.push(tag);
  }

  /**
   * Seals the reply of one write as a piece of its own, tagged with the
   * write's LSN, which {@link refuseWrites} may replace (`min-replicas-sync`
   * with policy `refuse`, ./sync-replication.ts).
   */
  sealWrite(tag: number): void {
    const n = this.outPieces.length;
    this.seal(tag);
    if (this.outPieces.length === n) return;
    this.writePieces ??= new WeakSet();
    this.writePieces.add(this.outPieces[n]!);
  }

  /**
   * Replaces the reply of every write sealed by {@link sealWrite} with a tag
   * at or below `lsn` by `error` (its records reached too few replicas in time).
   */
  refuseWrites(lsn: number, error: Buffer): void {
    const marked = this.writePieces;
    if (marked === null) return;
    for (let k = 0; k < this.outTags.length && this.outTags[k]! <= lsn; k++) {
      const p = this.outPieces[k]!;
      if (!marked.has(p)) continue;
      this.queuedBytes += error.length - (Array.isArray(p) ? p.reduce((a, b) => a + b.length, 0) : p.length);
      this.outPieces[k] = error;
    }
  }

  /**
   * Sends, with one socket write, every queued piece whose tag is at or below
   * `releasableLsn` (the WAL's `releasableLsn`: synced under `always`).
   *
   * @returns whether pieces are still waiting
   */
  release(releasableLsn: number): boolean {
    if (this.closed) return false;
    const tags = this.outTags;
    let k = 0;
    while (k < tags.length && tags[k]! <= releasableLsn) k++;
    if (k > 0 && !this.closed) {
      const socket = this.socket;
      const pieces = this.outPieces.splice(0, k);
      tags.splice(0, k);
      let bytes = 0;
      const only = pieces.length === 1 ? pieces[0]! : null;
      if (only !== null && !Array.isArray(only)) {
        bytes = only.length;
        socket.write(only);
      } else {
        socket.cork();
        for (const p of pieces) {
          if (Array.isArray(p)) for (const b of coalesce(p)) (bytes += b.length), socket.write(b);
          else (bytes += p.length), socket.write(p);
        }
        socket.uncork();
      }
      this.server.stats.netOutputBytes += bytes;
      this.server.stats.writesProcessed++;
      this.queuedBytes -= bytes;
      // Redis counts a write as interaction too: a client reading a long reply is not idle.
      this.lastInteraction = Date.now();
      this.checkOutputLimit(this.unsentBytes);
    }
    if (this.closed) return false;
    const waiting = tags.length > 0;
    if (!waiting && this.closeAfterReply) this.close();
    return waiting;
  }

  /**
   * client-output-buffer-limit for normal clients (networking.c
   * `checkClientOutputBufferLimits`): `unsent` bytes that the peer has not
   * taken reach the hard limit, or stay above the soft one for its
   * seconds, and the client is dropped, so a client that asks and never
   * reads cannot grow the server's memory without bound.
   */
  private checkOutputLimit(unsent: number): void {
    const { hard, soft, softSeconds } = this.outputLimit;
    let over = hard > 0 && unsent >= hard;
    if (!over && soft > 0 && unsent >= soft) {
      const now = Date.now();
      if (this.softSince === 0) this.softSince = now;
      else over = now - this.softSince >= softSeconds * 1000;
    } else if (!over) {
      this.softSince = 0;
    }
    if (over) this.outputLimitReached(unsent);
  }

  private outputLimitReached(unsent: number): void {
    this.host.log.warn(
      { client: this.addr, id: this.id, unsent },
      'client closed for overcoming of output buffer limits',
    );
    this.server.stats.bufferLimitDisconnections++;
    this.reply.discard();
    this.destroy();
  }

  /**
   * Closes the connection after what was already written: once Node has
   * handed the bytes to the kernel, the socket is destroyed, as Redis closes
   * the descriptor after the last reply (input still arriving then makes
   * the kernel reset the connection, so a peer that keeps writing sees it).
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const socket = this.socket;
    socket.end(() => socket.destroy());
    this.host.forget(this);
  }

  /** Drops the connection at once (the peer went away). */
  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
    this.host.forget(this);
  }

  /** Whether the connection is gone. */
  get isClosed(): boolean {
    return this.closed;
  }
}

/** `prev` followed by `piece`, as one list (extended in place: both are this connection's own). */
function joinPieces(prev: Buffer | Buffer[], piece: Buffer | Buffer[]): Buffer[] {
  const list = Array.isArray(prev) ? prev : [prev];
  if (Array.isArray(piece)) for (const b of piece) list.push(b);
  else list.push(piece);
  return list;
}

/**
 * `list` with views that are adjacent in memory made one view: the replies
 * and messages appended to one chunk of the reply buffer and sealed one by
 * one (a burst of pub/sub messages) leave in a few large writes.
 */
function coalesce(list: Buffer[]): Buffer[] {
  const out: Buffer[] = [];
  let run = list[0]!;
  let runBytes = run.length;
  for (let i = 1; i < list.length; i++) {
    const b = list[i]!;
    if (b.buffer === run.buffer && run.byteOffset + runBytes === b.byteOffset) {
      runBytes += b.length;
      continue;
    }
    out.push(runBytes === run.length ? run : Buffer.from(run.buffer, run.byteOffset, runBytes));
    run = b;
    runBytes = b.length;
  }
  out.push(runBytes === run.length ? run : Buffer.from(run.buffer, run.byteOffset, runBytes));
  return out;
}
