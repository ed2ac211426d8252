/**
 * The replica side: the link to the primary. It connects and greets as
 * Redis's replica does (replication.c `syncWithMaster`: PING, AUTH, REPLCONF
 * listening-port, REPLCONF capa), asks with PSYNC for the records after its
 * last LSN, installs a snapshot when told to sync fully, then checks every
 * record it receives (CRC, LSN), applies it as WAL replay does and appends it
 * to its own WAL under the same LSN. It acknowledges its applied and durable
 * LSNs every second, when asked, and as its WAL syncs. It reconnects every second while
 * the link is down. Protocol: docs/REPLICATION.md.
 */
import { connect, type Socket } from 'node:net';
import { crc32c } from '@node-rs/crc32';
import type { CommandLookup, ServerServices } from '../commands/context.js';
import { LocalContext } from '../commands/local.js';
import { RUN_ID, type PrimaryClient } from '../commands/repl-service.js';
import type { Config } from '../config/config.js';
import { REC, RECORD_HEADER_SIZE } from '../persistence/format.js';
import type { Log } from '../persistence/log.js';
import type { Snapshotter } from '../persistence/snapshot/snapshotter.js';
import { recordEffects } from '../persistence/wal/codec.js';
import { recordAt } from '../persistence/wal/reader.js';
import type { Wal } from '../persistence/wal/writer.js';
import type { SnapshotPage } from '../store/load.js';
import type { Keyspace } from '../store/keyspace.js';
import { NO_HISTORY, type ReplHistory } from './history.js';
import { encodeRequest } from '../protocol/encoder.js';
import { CONTROL, CONTROL_MAGIC, decodeSnapHeader, SNAP_END, SNAP_HEADER_SIZE } from './protocol.js';
import { LinkClosedError, StreamReader } from '../protocol/stream-reader.js';

/** What a replica link works with. */
export interface ReplicaDeps {
  config: Config;
  log: Log;
  keyspace: Keyspace;
  /** Every command under its real name (effects are logged under those). */
  effects: CommandLookup;
  /** What applied effects run against. */
  services: ServerServices;
  wal: () => Wal;
  snapshots: () => Snapshotter;
  /** This server's port (announced unless `replica-announce-port` is set). */
  port: () => number;
  history: () => ReplHistory;
  setHistory: (h: ReplHistory) => Promise<void>;
  /** While on, effects handlers log are not appended to the WAL (the record itself is). */
  setApplying: (on: boolean) => void;
  /** Sends every reply waiting for the WAL (after a full sync reset it). */
  releaseAll: () => void;
  /** A new client id (the connection to the primary is one, as Redis's master client). */
  nextClientId: () => number;
}

/** ROLE's replica states (replication.c `roleCommand`). */
export type LinkState = 'connect' | 'connecting' | 'handshake' | 'sync' | 'connected';

/** A link that failed for a reason worth a log line. */
class LinkError extends Error {
  override readonly name = 'LinkError';
}

/** The link from this replica to its primary. */
export class ReplicaLink {
  state: LinkState = 'connect';
  /** Unix ms since when the link is down (the start, before it was ever up). */
  downSince = Date.now();
  /** Whether the link was ever up. */
  wasUp = false;
  /** LSN of the last record received and checked (INFO `slave_read_repl_offset`). */
  readLsn = 0;
  /** Bytes of the snapshot transfer expected and received (INFO `master_sync_*`). */
  syncTotalBytes = 0;
  syncReadBytes = 0;
  /** The last failure, for INFO and logs ('' when none). */
  lastError = '';
  private socket: Socket | null = null;
  private reader: StreamReader | null = null;
  private stopped = false;
  private retry: NodeJS.Timeout | null = null;
  private ackTimer: NodeJS.Timeout | null = null;
  private lastAck = -1;
  /** Unix ms the current connection attempt began. */
  private attemptAt = 0;
  private lastFack = -1;
  private ackQueued = false;
  private readonly ctx: LocalContext;
  /** The connection as CLIENT LIST shows it, while the link is up. */
  private client: { id: number; createdAt: number; db: number; cmd: string } | null = null;

  constructor(
    readonly host: string,
    readonly port: number,
    private readonly d: ReplicaDeps,
  ) {
    this.ctx = new LocalContext(d.services);
  }

  /** Starts connecting (and reconnecting while the link is down). */
  start(): void {
    this.ackTimer = setInterval(() => {
      this.checkTimeout();
      this.sendAck(true);
    }, 1000);
    this.ackTimer.unref();
    void this.run();
  }

  /** Closes the link for good (REPLICAOF elsewhere or NO ONE, shutdown). */
  stop(): void {
    this.stopped = true;
    if (this.retry !== null) clearTimeout(this.retry);
    if (this.ackTimer !== null) clearInterval(this.ackTimer);
    this.socket?.destroy();
  }

  /** The connection to the primary while the link is up (CLIENT LIST), else null. */
  primaryClient(): PrimaryClient | null {
    const c = this.client;
    const socket = this.socket;
    if (c === null || socket === null || this.state !== 'connected') return null;
    const fmt = (ip: string | undefined, port: number | undefined): string =>
      `${(ip ?? '').replace(/^::ffff:/, '')}:${port ?? 0}`;
    return {
      id: c.id,
      addr: fmt(socket.remoteAddress, socket.remotePort),
      laddr: fmt(socket.localAddress, socket.localPort),
      fd: (socket as unknown as { _handle?: { fd?: number } })._handle?.fd ?? -1,
      createdAt: c.createdAt,
      lastInteraction: this.lastIoMs,
      dbIndex: c.db,
      lastCommand: c.cmd,
      kill: () => socket.destroy(),
    };
  }

  /** Unix ms of the last bytes from the primary, or 0. */
  get lastIoMs(): number {
    return this.reader?.lastIoMs ?? 0;
  }

  /**
   * Drops a link that received nothing for `repl-timeout` seconds while
   * connecting, greeting, syncing or streaming (the primary pings every
   * second): replication.c `replicationCron`'s timeouts.
   */
  private checkTimeout(): void {
    const reader = this.reader;
    if (reader === null || this.socket === null || this.state === 'connect') return;
    const limitMs = this.d.config.get('repl-timeout') * 1000;
    const idleMs = Date.now() - Math.max(reader.lastIoMs, this.attemptAt);
    if (idleMs <= limitMs) return;
    const why =
      this.state === 'connected'
        ? 'MASTER timeout: no data nor PING received'
        : this.state === 'sync'
          ? 'Timeout receiving bulk data from MASTER'
          : 'Timeout connecting to the MASTER';
    reader.close(`${why} (repl-timeout ${limitMs / 1000} s)`);
    this.socket.destroy();
  }

  private async run(): Promise<void> {
    if (this.stopped) return;
    this.attemptAt = Date.now();
    this.state = 'connecting';
    const reader = new StreamReader();
    this.reader = reader;
    const socket = connect({ host: this.host, port: this.port });
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => reader.push(chunk));
    socket.on('close', () => reader.close('connection closed by the primary'));
    socket.on('error', (err) => reader.close(err.message));
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('error', reject);
      });
      this.state = 'handshake';
      await this.handshake(reader);
      await this.stream(reader);
    } catch (err) {
      const msg = err instanceof LinkClosedError ? `link lost: ${err.message}` : (err as Error).message;
      this.linkDown(msg, err instanceof LinkError);
    }
    socket.destroy();
    if (this.stopped) return;
    this.state = 'connect';
    this.retry = setTimeout(() => void this.run(), 1000);
  }

  private linkDown(msg: string, notable: boolean): void {
    if (this.state === 'connected') this.downSince = Date.now();
    if (this.stopped) return;
    const repeated = msg === this.lastError;
    this.lastError = msg;
    if (!repeated || notable) {
      this.d.log.warn({ primary: `${this.host}:${this.port}`, reason: msg }, `replication link down: ${msg}`);
    }
  }

  /** Sends one command and reads its one-line reply. */
  private async call(reader: StreamReader, args: (string | number)[]): Promise<string> {
    this.socket!.write(encodeRequest(args));
    // A Redis primary sends newlines to keep the link alive while it prepares a sync (replication.c).
    for (;;) {
      const line = (await reader.line()).replace(/^\n+/, '');
      if (line !== '') return line;
    }
  }

  /** PING, AUTH, REPLCONF, then PSYNC (replication.c `syncWithMaster`). */
  private async handshake(reader: StreamReader): Promise<void> {
    const cfg = this.d.config;
    const pong = await this.call(reader, ['PING']);
    if (pong.startsWith('-') && !pong.startsWith('-NOAUTH') && !pong.startsWith('-ERR operation not permitted')) {
      throw new LinkError(`error reply to PING from the primary: ${pong.slice(1)}`);
    }
    const pass = cfg.get('masterauth');
    if (pass !== '') {
      const user = cfg.get('masteruser');
      const r = await this.call(reader, user !== '' ? ['AUTH', user, pass] : ['AUTH', pass]);
      if (r !== '+OK') throw new LinkError(`unable to AUTH to the primary: ${r.slice(1)}`);
    }
    const port = cfg.get('replica-announce-port') || this.d.port();
    await this.call(reader, ['REPLCONF', 'listening-port', port]);
    const ip = cfg.get('replica-announce-ip');
    if (ip !== '') await this.call(reader, ['REPLCONF', 'ip-address', ip]);
    await this.call(reader, ['REPLCONF', 'capa', 'eof', 'capa', 'psync2', 'capa', 'flashcache']);
    const h = this.d.history();
    const next = this.d.wal().lastLsn + 1;
    const r = await this.call(reader, ['PSYNC', h.id, next, RUN_ID]);
    const w = r.split(' ');
    if (w[0] === '+CONTINUE' && w.length === 3) {
      if (w[1] !== h.id) {
        // The primary's history forked from ours at or after our last LSN (replication.c, PSYNC +CONTINUE <new id>).
        await this.d.setHistory({ id: w[1]!, prevId: h.id, forkLsn: next - 1, state: 'ok' });
      }
      this.d.log.info({ primary: `${this.host}:${this.port}`, nextLsn: next }, `partial sync from LSN ${next}`);
      this.readLsn = next - 1;
      return;
    }
    if (w[0] === '+FULLSYNC' && w.length === 3) {
      await this.fullSync(reader, w[1]!);
      return;
    }
    if (w[0] === '+FULLRESYNC') {
      throw new LinkError(
        'the primary answered PSYNC with +FULLRESYNC: it is a Redis server, and FlashCache replicates only ' +
          'from FlashCache (Redis RDB replication is not supported)',
      );
    }
    throw new LinkError(`the primary refused PSYNC: ${r.replace(/^[-+]/, '')}`);
  }

  /**
   * Receives the snapshot into memory, checking every page, and only then
   * replaces the data: the history file says `syncing` until the new
   * snapshot is durable, so a crash in between restarts empty and consistent.
   */
  private async fullSync(reader: StreamReader, history: string): Promise<void> {
    this.state = 'sync';
    const t0 = Date.now();
    const head = decodeSnapHeader(await reader.bytes(SNAP_HEADER_SIZE));
    if (typeof head === 'string') throw new LinkError(head);
    const pages: SnapshotPage[] = [];
    this.syncReadBytes = 0;
    this.syncTotalBytes = 0;
    for (let i = 0; i < head.pageCount; i++) {
      const ph = await reader.bytes(16);
      const id = ph.readUInt32LE(0);
      const length = ph.readUInt32LE(4);
      const used = ph.readUInt32LE(8);
      const crc = ph.readUInt32LE(12);
      if (used > length) throw new LinkError(`snapshot page ${id} claims ${used} of ${length} bytes`);
      const data = await reader.bytes(used);
      if (crc32c(data) !== crc) throw new LinkError(`snapshot page ${id} failed its checksum`);
      const buf = Buffer.alloc(length);
      data.copy(buf);
      pages.push({ id, buf, used });
      this.syncReadBytes += used;
    }
    if (!(await reader.bytes(SNAP_END.length)).equals(SNAP_END))
      throw new LinkError('snapshot transfer has no end mark');
    await this.install(pages, head.headPage, head.coveredLsn, history);
    this.readLsn = head.coveredLsn;
    this.d.log.info(
      { primary: `${this.host}:${this.port}`, coveredLsn: head.coveredLsn, pages: pages.length, ms: Date.now() - t0 },
      `full sync: loaded ${pages.length} pages covering LSN ${head.coveredLsn} in ${Date.now() - t0} ms`,
    );
  }

  /** Replaces the keyspace, the WAL and the snapshots with the primary's snapshot. */
  private async install(pages: SnapshotPage[], headPage: number, coveredLsn: number, history: string): Promise<void> {
    const { keyspace, log } = this.d;
    const snaps = this.d.snapshots();
    const wal = this.d.wal();
    await this.d.setHistory({ id: history, prevId: NO_HISTORY, forkLsn: -1, state: 'syncing' });
    while (snaps.inProgress) await new Promise((r) => setTimeout(r, 5));
    await wal.drain();
    keyspace.clear();
    keyspace.install(pages, headPage);
    for (const p of pages) keyspace.arena.dirty[p.id] = 1;
    this.d.services.tracking.invalidateAll();
    await wal.reset(coveredLsn + 1);
    this.d.releaseAll();
    snaps.forgetRetained();
    try {
      await snaps.take('full sync from the primary');
    } catch (err) {
      log.error({ err: (err as Error).message }, 'snapshot after a full sync failed');
      throw err;
    }
    await this.d.setHistory({ id: history, prevId: NO_HISTORY, forkLsn: -1, state: 'ok' });
  }

  /** Applies the record stream until the link breaks. */
  private async stream(reader: StreamReader): Promise<void> {
    this.state = 'connected';
    this.client = { id: this.d.nextClientId(), createdAt: Date.now(), db: 0, cmd: 'NULL' };
    this.wasUp = true;
    this.lastError = '';
    this.d.log.info({ primary: `${this.host}:${this.port}` }, 'replication link up');
    this.sendAck(true);
    const wal = this.d.wal();
    try {
      await this.applyStream(reader, wal);
    } catch (err) {
      if (!(err instanceof LinkClosedError) || reader.length === 0) throw err;
      // A record cut short: what arrived of it is dropped, and the next connection asks for it again.
      const h = reader.length >= RECORD_HEADER_SIZE ? reader.peek(RECORD_HEADER_SIZE) : null;
      const size = h === null ? '?' : RECORD_HEADER_SIZE + h.readUInt32LE(REC.length);
      throw new LinkError(
        `link lost in the middle of the record after LSN ${wal.lastLsn} (${reader.length} of ${size} bytes ` +
          `received; not applied): ${err.message}`,
      );
    }
  }

  /** Applies complete records as they arrive; throws when the link closes. */
  private async applyStream(reader: StreamReader, wal: Wal): Promise<void> {
    for (;;) {
      await reader.want(RECORD_HEADER_SIZE);
      let applied = 0;
      while (reader.length >= RECORD_HEADER_SIZE) {
        const h = reader.peek(RECORD_HEADER_SIZE);
        if (h[REC.magic] === CONTROL_MAGIC) {
          if (crc32c(h.subarray(4)) !== h.readUInt32LE(REC.crc)) throw new LinkError('damaged control frame');
          reader.take(RECORD_HEADER_SIZE);
          if (h[REC.version] === CONTROL.getack) this.sendAck(true);
          continue;
        }
        const size = RECORD_HEADER_SIZE + h.readUInt32LE(REC.length);
        if (reader.length < size) break;
        this.apply(reader.take(size));
        applied++;
      }
      if (applied > 0) wal.flush();
      if (reader.length >= RECORD_HEADER_SIZE) {
        const h = reader.peek(RECORD_HEADER_SIZE);
        if (h[REC.magic] !== CONTROL_MAGIC) await reader.want(RECORD_HEADER_SIZE + h.readUInt32LE(REC.length));
      }
    }
  }

  /**
   * Checks one record (framing, CRC, LSN next after the WAL's last), applies
   * its effects as WAL replay does (expiry off, a transaction whole) and
   * appends it to the WAL under its LSN.
   *
   * @throws LinkError for a damaged or out-of-order record, or an effect that fails
   */
  private apply(bytes: Buffer): void {
    const wal = this.d.wal();
    const rec = recordAt(bytes, 0);
    if (typeof rec === 'string') {
      throw new LinkError(`record after LSN ${wal.lastLsn} from the primary is damaged (${rec}); not applied`);
    }
    if (rec.lsn !== wal.lastLsn + 1) {
      throw new LinkError(`record LSN ${rec.lsn} from the primary where LSN ${wal.lastLsn + 1} was expected`);
    }
    const { keyspace, effects } = this.d;
    const blocking = this.d.services.blocking;
    const c = this.ctx;
    this.d.setApplying(true);
    keyspace.expiryEnabled = false;
    try {
      for (const { db, args } of recordEffects(rec.version, rec.db, rec.payload)) {
        if (db >= keyspace.dbs.length) throw new LinkError(`record LSN ${rec.lsn} is for database ${db}`);
        const spec = effects.get(String(args[0]));
        if (spec === undefined) throw new LinkError(`record LSN ${rec.lsn} holds unknown effect ${String(args[0])}`);
        c.select(db);
        this.client!.db = db;
        this.client!.cmd = String(args[0]).toLowerCase();
        const errors = c.reply.errors;
        const argv = args.map((a) => (typeof a === 'string' ? Buffer.from(a, 'latin1') : a));
        spec.handler(c, argv);
        c.reply.discard();
        if (c.reply.errors !== errors) {
          throw new LinkError(`record LSN ${rec.lsn} (${String(args[0])}) failed: ${c.reply.lastError}`);
        }
        // Clients blocked here (XREAD BLOCK; blocking writes get -READONLY) see the primary's writes.
        if (blocking.size > 0) blocking.signalWrite(c, spec, argv);
      }
    } finally {
      keyspace.expiryEnabled = true;
      this.d.setApplying(false);
    }
    wal.appendEncoded(bytes);
    this.readLsn = rec.lsn;
    if (blocking.size > 0) blocking.handleReady();
  }

  /** The WAL synced more: acknowledge it soon. */
  walAdvanced(): void {
    if (this.state !== 'connected' || this.ackQueued) return;
    this.ackQueued = true;
    setImmediate(() => {
      this.ackQueued = false;
      this.sendAck(false);
    });
  }

  /**
   * `REPLCONF ACK <applied LSN> FACK <durable LSN>` (Redis 7.2's form: WAIT
   * counts the first, WAITAOF and synchronous replication the second);
   * unless `always`, only when one advanced.
   */
  private sendAck(always: boolean): void {
    if (this.state !== 'connected' || this.socket === null) return;
    const wal = this.d.wal();
    const applied = wal.lastLsn;
    const synced = wal.syncedLsn;
    if (!always && applied === this.lastAck && synced === this.lastFack) return;
    this.lastAck = applied;
    this.lastFack = synced;
    this.socket.write(encodeRequest(['REPLCONF', 'ACK', applied, 'FACK', synced]));
  }
}
