/**
 * The primary side of replication: the replicas attached by PSYNC, each fed
 * by a tailer of the WAL segment files (records sent as they are on disk,
 * only once releasable: under `always`, durable), after a snapshot for a
 * full sync; their acknowledgements (WAIT); and how much WAL is kept for
 * them (`repl-backlog-size`). Protocol: docs/REPLICATION.md.
 */
import type { Socket } from 'node:net';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Log } from '../persistence/log.js';
import { REC, RECORD_HEADER_SIZE, RECORD_MAGIC, readU64, SEGMENT_HEADER_SIZE } from '../persistence/format.js';
import type { Manifest } from '../persistence/snapshot/manifest.js';
import type { Snapshotter } from '../persistence/snapshot/snapshotter.js';
import type { SegmentInfo } from '../persistence/wal/segment.js';
import type { Wal } from '../persistence/wal/writer.js';
import { CONTROL, controlFrame, encodePageHeader, encodeSnapHeader, SNAP_END } from './protocol.js';

/** Bytes read from a segment at once. */
const READ_CHUNK = 1 << 20;
/** Bytes queued on a replica's socket above which sending waits for it to drain. */
const HIGH_WATER = 4 << 20;
/** How long a disconnected replica's position keeps WAL retained, ms (Redis's `repl-backlog-ttl` default). */
const FORGET_MS = 3600_000;

/** One attached replica. */
export interface ReplicaLink {
  /** The connection's client id. */
  readonly id: number;
  readonly socket: Socket;
  /** Address it announced (`REPLCONF ip-address`) or connects from. */
  readonly ip: string;
  /** Port it announced (`REPLCONF listening-port`). */
  readonly port: number;
  /** `sync` while the snapshot is being sent, then `online`. */
  state: 'sync' | 'online';
  /** LSN of the next record to send. */
  nextLsn: number;
  /** LSN it last acknowledged as applied (`REPLCONF ACK`); 0 before its first. */
  ackLsn: number;
  /** LSN it last acknowledged as durable on its disk (`REPLCONF ACK <lsn> FACK <lsn>`); 0 before its first. */
  fackLsn: number;
  /** Unix ms of its last acknowledgement. */
  lastAckMs: number;
  /** Unix ms of the last bytes sent to it. */
  lastSendMs: number;
  /** The segment being read, and the offset of the next record to read in it. */
  seg: { name: string; fh: FileHandle; pos: number } | null;
  /** Bytes the next read must take (a record larger than {@link READ_CHUNK}). */
  need: number;
  pumping: boolean;
  again: boolean;
  closed: boolean;
}

/** What a primary works with. */
export interface PrimaryDeps {
  /** The WAL directory. */
  walDir: string;
  wal: () => Wal;
  snapshots: () => Snapshotter;
  log: Log;
  /** `repl-backlog-size`, bytes. */
  backlogBytes: () => number;
}

/** A WAIT or WAITAOF in progress. */
interface Waiter {
  /** The client's last write. */
  lsn: number;
  /** Replicas wanted. */
  count: number;
  /** Whether replicas count once the record is on their disk (WAITAOF), not applied (WAIT). */
  onDisk: boolean;
  /** 1: the record must also be durable here (WAITAOF numlocal). */
  local: number;
  /** Called once, with whether it is durable here (0/1) and how many replicas acknowledged it. */
  done: (local: number, acked: number) => void;
  timer: NodeJS.Timeout | null;
}

/** The segment holding `lsn`: the last whose first LSN is at or below it. */
function segmentFor(segments: readonly SegmentInfo[], lsn: number): SegmentInfo | undefined {
  for (let i = segments.length - 1; i >= 0; i--) if (segments[i]!.firstLsn <= lsn) return segments[i];
  return undefined;
}

/** Resolves when `socket` drains or closes. */
function drained(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      socket.off('drain', done);
      socket.off('close', done);
      resolve();
    };
    socket.on('drain', done);
    socket.on('close', done);
  });
}

/** The replicas of this server and the WAL they are sent. */
export class Primary {
  readonly links = new Map<number, ReplicaLink>();
  /** Full syncs started (INFO `sync_full`). */
  syncFull = 0;
  /** Partial syncs accepted (INFO `sync_partial_ok`). */
  syncPartialOk = 0;
  /** Partial syncs refused, answered with a full sync (INFO `sync_partial_err`). */
  syncPartialErr = 0;
  /** Where replicas that went away had got to, kept for {@link FORGET_MS}: `ip:port` → LSN and time. */
  private readonly departed = new Map<string, { nextLsn: number; at: number }>();
  private waiters: Waiter[] = [];
  private readonly timer: NodeJS.Timeout;
  private getackDue = false;

  constructor(private readonly d: PrimaryDeps) {
    this.timer = setInterval(() => this.tick(), 1000);
    this.timer.unref();
  }

  /**
   * Attaches a replica that asked to continue at `nextLsn` (CONTINUE) or
   * needs a full sync (`nextLsn` null), and starts sending.
   *
   * @param history the history id to announce
   */
  attach(id: number, socket: Socket, ip: string, port: number, history: string, nextLsn: number | null): void {
    const link: ReplicaLink = {
      id,
      socket,
      ip,
      port,
      state: nextLsn === null ? 'sync' : 'online',
      nextLsn: nextLsn ?? this.d.wal().lastLsn + 1,
      ackLsn: 0,
      fackLsn: 0,
      lastAckMs: Date.now(),
      lastSendMs: Date.now(),
      seg: null,
      need: 0,
      pumping: false,
      again: false,
      closed: false,
    };
    this.links.set(id, link);
    this.departed.delete(`${ip}:${port}`);
    socket.once('close', () => this.detach(link));
    if (nextLsn !== null) {
      this.syncPartialOk++;
      this.d.log.info({ replica: `${ip}:${port}`, nextLsn }, `replica ${ip}:${port} continues at LSN ${nextLsn}`);
      socket.write(`+CONTINUE ${history} ${this.d.wal().lastLsn}\r\n`);
      void this.pump(link);
      return;
    }
    this.syncFull++;
    void this.fullSync(link, history);
  }

  /** Whether `nextLsn` and every record after it are still in the WAL segments on disk. */
  hasFrom(nextLsn: number): boolean {
    const wal = this.d.wal();
    const first = wal.segments[0]?.firstLsn ?? wal.lastLsn + 1;
    return nextLsn >= first && nextLsn <= wal.lastLsn + 1;
  }

  /** Sends the newest snapshot (taken now if there is none), then the WAL after it. */
  private async fullSync(link: ReplicaLink, history: string): Promise<void> {
    const snaps = this.d.snapshots();
    let m: Manifest | undefined = snaps.newest;
    const t0 = Date.now();
    let bytes = 0;
    try {
      if (m === undefined || !this.hasFrom(m.coveredLsn + 1)) m = await snaps.take('replica full sync');
      snaps.pinned.add(m);
      link.nextLsn = m.coveredLsn + 1;
      const pages = [...m.pages.values()].sort((a, b) => a.id - b.id);
      this.d.log.info(
        { replica: `${link.ip}:${link.port}`, coveredLsn: m.coveredLsn, pages: pages.length },
        `full sync of replica ${link.ip}:${link.port}: snapshot ${m.seq} covering LSN ${m.coveredLsn}`,
      );
      link.socket.write(`+FULLSYNC ${history} ${m.coveredLsn}\r\n`);
      link.socket.write(
        encodeSnapHeader({
          pageCount: pages.length,
          headPage: m.headPage,
          coveredLsn: m.coveredLsn,
          frameSize: m.frameSize,
        }),
      );
      for (const p of pages) {
        if (link.closed) return;
        const data = snaps.pageBytes(p);
        link.socket.write(encodePageHeader(p.id, p.length, data));
        link.socket.write(data);
        bytes += data.length;
        if (link.socket.writableLength >= HIGH_WATER) await drained(link.socket);
      }
      link.socket.write(SNAP_END);
      link.lastSendMs = Date.now();
      this.d.log.info(
        { replica: `${link.ip}:${link.port}`, bytes, ms: Date.now() - t0 },
        `snapshot sent to replica ${link.ip}:${link.port}: ${bytes} bytes in ${Date.now() - t0} ms`,
      );
    } catch (err) {
      this.d.log.error({ err: (err as Error).message }, 'full sync of a replica failed; dropping it');
      link.socket.destroy();
      return;
    } finally {
      if (m !== undefined) snaps.pinned.delete(m);
    }
    link.state = 'online';
    void this.pump(link);
  }

  /** Sends every releasable record the replica has not had; runs again when called while running. */
  private async pump(l: ReplicaLink): Promise<void> {
    if (l.pumping) {
      l.again = true;
      return;
    }
    l.pumping = true;
    try {
      do {
        l.again = false;
        while (!l.closed && l.state === 'online' && l.nextLsn <= this.d.wal().releasableLsn) {
          if (l.socket.writableLength >= HIGH_WATER) {
            await drained(l.socket);
            continue;
          }
          if (!(await this.sendSome(l))) break;
        }
      } while (l.again && !l.closed);
    } catch (err) {
      this.drop(l, `reading the WAL failed: ${(err as Error).message}`);
    } finally {
      l.pumping = false;
    }
  }

  /**
   * Reads the next piece of the segment holding the replica's next LSN and
   * sends the whole releasable records in it.
   *
   * @returns whether it made progress
   */
  private async sendSome(l: ReplicaLink): Promise<boolean> {
    const wal = this.d.wal();
    const limit = wal.releasableLsn;
    const seg = segmentFor(wal.segments, l.nextLsn);
    if (seg === undefined) {
      this.drop(l, `WAL record LSN ${l.nextLsn} is no longer on disk`);
      return false;
    }
    if (l.seg?.name !== seg.name) {
      await l.seg?.fh.close();
      l.seg = null;
      const fh = await open(join(this.d.walDir, seg.name), 'r');
      if (l.closed) {
        await fh.close();
        return false;
      }
      l.seg = { name: seg.name, fh, pos: SEGMENT_HEADER_SIZE };
    }
    const s = l.seg;
    const want = Math.max(READ_CHUNK, l.need);
    const buf = Buffer.allocUnsafe(want);
    const { bytesRead } = await s.fh.read(buf, 0, want, s.pos);
    if (l.closed) return false;
    let off = 0;
    let start = -1;
    while (off + RECORD_HEADER_SIZE <= bytesRead) {
      // Zeros: the end of the records written so far (preallocated space).
      if (buf[off + REC.magic] !== RECORD_MAGIC) break;
      const size = RECORD_HEADER_SIZE + buf.readUInt32LE(off + REC.length);
      const lsn = readU64(buf, off + REC.lsn);
      if (lsn > limit) break;
      if (off + size > bytesRead) {
        if (off === 0) l.need = size;
        break;
      }
      if (lsn >= l.nextLsn) {
        if (lsn !== l.nextLsn) {
          this.drop(l, `segment ${seg.name} holds LSN ${lsn} where ${l.nextLsn} was expected`);
          return false;
        }
        if (start < 0) start = off;
        l.nextLsn++;
      }
      off += size;
    }
    if (off > 0) l.need = 0;
    s.pos += off;
    if (start >= 0) {
      l.socket.write(buf.subarray(start, off));
      l.lastSendMs = Date.now();
    }
    if (off > 0 || l.need > 0) return true;
    // Nothing more here: the records continue in the next segment, if it exists yet.
    return segmentFor(wal.segments, l.nextLsn) !== seg;
  }

  /** The WAL advanced (`releasable`): sends the new records to every replica. */
  walAdvanced(): void {
    for (const l of this.links.values()) if (l.state === 'online' && !l.pumping) void this.pump(l);
    if (this.waiters.length > 0) this.checkWaiters();
    if (this.getackDue) {
      this.getackDue = false;
      const frame = controlFrame(CONTROL.getack);
      for (const l of this.links.values()) if (l.state === 'online') l.socket.write(frame);
    }
  }

  /**
   * `REPLCONF ACK <lsn> [FACK <lsn>]` from replica `id`: applied through
   * `lsn`, durable on its disk through `fack` (null: not said).
   */
  ack(id: number, lsn: number, fack: number | null): void {
    const l = this.links.get(id);
    if (l === undefined) return;
    l.ackLsn = Math.max(l.ackLsn, lsn);
    if (fack !== null) l.fackLsn = Math.max(l.fackLsn, fack);
    l.lastAckMs = Date.now();
    if (this.waiters.length > 0) this.checkWaiters();
    this.onAck?.();
  }

  /** Called after every acknowledgement (synchronous replication's reply release listens). */
  onAck: (() => void) | null = null;

  /**
   * Online replicas whose acknowledged LSN reached `lsn`: applied (WAIT,
   * replication.c `replicationCountAcksByOffset`) or on disk (WAITAOF,
   * `replicationCountAOFAcksByOffset`).
   */
  countAcks(lsn: number, onDisk = false): number {
    let n = 0;
    for (const l of this.links.values()) if (l.state === 'online' && (onDisk ? l.fackLsn : l.ackLsn) >= lsn) n++;
    return n;
  }

  /**
   * The highest LSN that at least `n` online replicas have on disk (the
   * `n`-th highest FACK), or -1 when fewer than `n` are online.
   */
  durableOn(n: number): number {
    const acks: number[] = [];
    for (const l of this.links.values()) if (l.state === 'online') acks.push(l.fackLsn);
    if (acks.length < n) return -1;
    acks.sort((a, b) => b - a);
    return acks[n - 1]!;
  }

  /**
   * Calls `done` once `count` replicas acknowledged `lsn` (on disk when
   * `onDisk`) and, when `local` is 1, this server's WAL synced it, or after
   * `timeoutMs` (0: no limit) with what was reached then; asks every
   * replica for an acknowledgement now (replication.c
   * `replicationRequestAckFromSlaves`).
   */
  waitAcks(
    lsn: number,
    count: number,
    timeoutMs: number,
    done: (local: number, acked: number) => void,
    onDisk = false,
    local = 0,
  ): void {
    const w: Waiter = { lsn, count, onDisk, local, done, timer: null };
    if (timeoutMs > 0) {
      w.timer = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        done(this.localDurable(lsn), this.countAcks(lsn, onDisk));
      }, timeoutMs);
    }
    this.waiters.push(w);
    this.getackDue = true;
    setImmediate(() => this.walAdvanced());
  }

  /** 1 when this server's WAL has `lsn` on disk, else 0. */
  private localDurable(lsn: number): number {
    return this.d.wal().syncedLsn >= lsn ? 1 : 0;
  }

  /** Answers the waiters whose condition holds (after the list is updated: an answer may start a new wait). */
  private checkWaiters(): void {
    const still: Waiter[] = [];
    const ready: [Waiter, number][] = [];
    for (const w of this.waiters) {
      const n = this.countAcks(w.lsn, w.onDisk);
      if (n >= w.count && this.localDurable(w.lsn) >= w.local) ready.push([w, n]);
      else still.push(w);
    }
    if (ready.length === 0) return;
    this.waiters = still;
    for (const [w, n] of ready) {
      if (w.timer !== null) clearTimeout(w.timer);
      w.done(this.localDurable(w.lsn), n);
    }
  }

  /**
   * The LSN through which WAL segments may be deleted, given that snapshots
   * allow `lsn`: records replicas (attached, or gone within the last hour)
   * still need are kept, at most `repl-backlog-size` bytes of segments more
   * than snapshots keep; beyond that a returning replica gets a full sync.
   */
  deleteBound(lsn: number): number {
    const now = Date.now();
    let need = Number.POSITIVE_INFINITY;
    for (const l of this.links.values()) need = Math.min(need, l.nextLsn);
    for (const [k, v] of this.departed) {
      if (now - v.at > FORGET_MS) this.departed.delete(k);
      else need = Math.min(need, v.nextLsn);
    }
    if (need - 1 >= lsn) return lsn;
    const segs = this.d.wal().segments;
    // Segments kept only for replicas, newest first, until the backlog is full.
    let bound = lsn;
    let kept = 0;
    for (let i = segs.length - 2; i >= 0; i--) {
      const lastOfSeg = segs[i + 1]!.firstLsn - 1;
      if (lastOfSeg > lsn) continue;
      if (lastOfSeg < need) break;
      kept += segs[i]!.bytes;
      if (kept > this.d.backlogBytes()) break;
      bound = segs[i]!.firstLsn - 1;
    }
    return bound;
  }

  /**
   * Drops every attached replica with one log line (they reconnect and ask
   * again, learning the new history): replication.c `disconnectSlaves`, as
   * Redis does when its replication id changes.
   */
  dropAll(why: string): void {
    if (this.links.size === 0) return;
    this.d.log.warn({ replicas: this.links.size, reason: why }, `dropping the replicas of this server: ${why}`);
    for (const l of this.links.values()) l.socket.destroy();
  }

  /** Drops a replica's link with a log line (it reconnects and resyncs). */
  private drop(l: ReplicaLink, why: string): void {
    this.d.log.warn({ replica: `${l.ip}:${l.port}`, reason: why }, `dropping replica ${l.ip}:${l.port}: ${why}`);
    l.socket.destroy();
  }

  private detach(l: ReplicaLink): void {
    if (l.closed) return;
    l.closed = true;
    this.links.delete(l.id);
    this.departed.set(`${l.ip}:${l.port}`, { nextLsn: l.nextLsn, at: Date.now() });
    void l.seg?.fh.close().catch(() => {});
    l.seg = null;
    this.d.log.info({ replica: `${l.ip}:${l.port}` }, `replica ${l.ip}:${l.port} disconnected`);
    if (this.waiters.length > 0) this.checkWaiters();
  }

  /** Every second: a ping to replicas that were sent nothing for a second. */
  private tick(): void {
    const now = Date.now();
    let frame: Buffer | null = null;
    for (const l of this.links.values()) {
      if (l.state !== 'online' || l.pumping || now - l.lastSendMs < 1000) continue;
      frame ??= controlFrame(CONTROL.ping);
      l.socket.write(frame);
      l.lastSendMs = now;
    }
  }

  /** Drops every replica and stops the timer (shutdown). */
  close(): void {
    clearInterval(this.timer);
    for (const w of this.waiters) {
      if (w.timer !== null) clearTimeout(w.timer);
      w.done(this.localDurable(w.lsn), this.countAcks(w.lsn, w.onDisk));
    }
    this.waiters = [];
    for (const l of this.links.values()) l.socket.destroy();
  }
}
