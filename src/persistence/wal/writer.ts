/**
 * The WAL writer: appends effect records and writes them with group commit.
 * How a batch moves through an event-loop turn, why up to four batches are
 * written at once and why segments are preallocated is told once, in
 * docs/ARCHITECTURE.md ("One turn"); the bytes are in docs/FORMAT.md.
 *
 * Here: {@link Wal.append} packs a record into the pending chunk; {@link
 * Wal.flush}, once per turn, seals the pending records as a batch and starts
 * writing it at an offset reserved for it (through the O_DSYNC descriptor
 * under `always`, so the write returns synced; from the main thread into the
 * page cache under `everysec` and `no`, with a timer that syncs); completed
 * batches are settled in LSN order and {@link Wal.onReleasable} reports how
 * far replies may go. A batch that would pass `wal-segment-size` rolls the
 * segment (segment.ts creates the next one); under `always`, prealloc.ts keeps
 * synced zeros ahead of the records.
 *
 * A failed write or fdatasync is never acknowledged: the batch is kept and
 * rewritten at the same offset every second until it succeeds; meanwhile
 * {@link Wal.failure} is set and the server refuses writes with `-MISCONF`
 * (docs/ARCHITECTURE.md, "When the disk fails").
 */
import { constants, writeSync } from 'node:fs';
import { open, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { maybeFail } from '../faults.js';
import { ensureDir, fsyncDir } from '../fsutil.js';
import { REC, RECORD_HEADER_SIZE, readU64, SEGMENT_HEADER_SIZE } from '../format.js';
import { forEachRecord, sealBatch, type EffectArg, type TransactionEffect } from './codec.js';
import { PendingRecords } from './pending.js';
import { EVERYSEC_MS, INLINE_MAX_BYTES, MAX_IN_FLIGHT, RETRY_MS } from './tuning.js';
import { Preallocator } from './prealloc.js';
import { createSegment, listSegments, segmentFileName, type SegmentInfo } from './segment.js';

/** When replies wait for the disk (redis.conf `appendfsync`). */
export type FsyncPolicy = 'always' | 'everysec' | 'no';

/** Settings of a {@link Wal}. */
export interface WalOptions {
  /** Directory of the segment files (`<data dir>/wal`). */
  dir: string;
  /** Size at which a segment is rolled, bytes. */
  segmentSize: number;
  /** Fsync policy. */
  appendfsync: FsyncPolicy;
  /** LSN of the next record (1 on an empty log). */
  nextLsn: number;
}

interface Batch {
  buf: Buffer;
  firstLsn: number;
  lastLsn: number;
  /** Bytes of `buf` written so far (a batch may span segments). */
  done: number;
}

/** A batch being written by {@link Wal.flush} alongside others. */
interface InflightBatch extends Batch {
  /** Segment offset of its first byte. */
  pos: number;
  /** Written through the O_DSYNC descriptor, so synced once written. */
  sync: boolean;
  state: 'writing' | 'done' | 'failed';
  err: NodeJS.ErrnoException | null;
}

/** The write-ahead log of one server. See the module comment. */
export class Wal {
  /** LSN of the last record appended. */
  lastLsn: number;
  /** LSN of the last record handed to the OS. */
  writtenLsn: number;
  /** LSN of the last record known to be on stable storage. */
  syncedLsn: number;
  /** The error that stopped writing, or null while healthy. */
  failure: NodeJS.ErrnoException | null = null;
  /**
   * Called with {@link releasableLsn} when it advances: replies tagged at or
   * below `lsn` may be released. Under `always` every record up to `lsn` is
   * synced; under `everysec` and `no` it is only written to the OS.
   */
  onReleasable: (lsn: number) => void = () => {};
  /** Called when writing fails, and again with null once it works again. */
  onFailure: (err: NodeJS.ErrnoException | null) => void = () => {};
  /**
   * How long each sync took, ms, for the latency monitor: `aof-fsync-always`
   * for a batch written synced under `always` (from its write to its
   * completion, the wait its replies see), `wal-fsync` for an fdatasync;
   * and how many records it made durable (the group commit's size; 0 for
   * an fdatasync that found nothing new).
   */
  onSyncTime: (event: 'aof-fsync-always' | 'wal-fsync', ms: number, records: number) => void = () => {};
  /** Segments on disk, oldest first; the last is being appended to. */
  readonly segments: SegmentInfo[];
  /** Bytes appended since the server started (INFO `aof_...`-style counters). */
  bytesWritten = 0;
  /** Group commits completed (batches written). */
  batches = 0;
  /** Syncs completed: fdatasync calls, plus batches written through the O_DSYNC descriptor (each its own sync). */
  syncs = 0;
  /**
   * Maps the LSN through which {@link deleteThrough} may delete to the one it
   * does: the primary keeps segments its replicas still need (src/replication/primary.ts).
   */
  deleteBound: (lsn: number) => number = (lsn) => lsn;

  private fh: FileHandle | null = null;
  /** The same segment opened with O_DSYNC, for batches under `always`. */
  private fhSync: FileHandle | null = null;
  private filePos = 0;
  /** Zeros written ahead of the records under `always`. */
  private readonly prealloc = new Preallocator();
  /** Records not yet handed to a write (./pending.ts). */
  private readonly pending = new PendingRecords(MAX_IN_FLIGHT + 2);
  private retry: Batch | null = null;
  /** Batches being written, oldest first ({@link MAX_IN_FLIGHT}). */
  private inflight: InflightBatch[] = [];
  private inflightFailed = false;
  /** A write that needs the log to itself runs: a roll, a retry, the final sync of a drain. */
  private exclusive = false;
  /** An fdatasync of {@link syncNow} runs (alongside batches, not alongside a roll). */
  private syncing = false;
  private syncDue = false;
  private idleWaiters: (() => void)[] = [];
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  private constructor(private readonly opts: WalOptions) {
    this.lastLsn = opts.nextLsn - 1;
    this.writtenLsn = this.lastLsn;
    this.syncedLsn = this.lastLsn;
    this.segments = listSegments(opts.dir);
  }

  /**
   * Opens the log for appending: starts a new segment whose first LSN is
   * `opts.nextLsn`. Recovery must have run first.
   *
   * @throws NodeJS.ErrnoException when the directory cannot be written
   */
  static async open(opts: WalOptions): Promise<Wal> {
    await ensureDir(opts.dir);
    const wal = new Wal(opts);
    await wal.startSegment(opts.nextLsn);
    const period = opts.appendfsync === 'everysec' ? EVERYSEC_MS : RETRY_MS;
    wal.timer = setInterval(() => wal.tick(), period);
    wal.timer.unref();
    return wal;
  }

  /** The fsync policy in force. */
  get appendfsync(): FsyncPolicy {
    return this.opts.appendfsync;
  }

  /** Changes the fsync policy (CONFIG SET appendfsync). */
  setAppendfsync(policy: FsyncPolicy): void {
    if (policy === this.opts.appendfsync) return;
    this.opts.appendfsync = policy;
    if (this.timer) clearInterval(this.timer);
    this.timer = setInterval(() => this.tick(), policy === 'everysec' ? EVERYSEC_MS : RETRY_MS);
    this.timer.unref();
    this.flush();
  }

  /** The segment size at which the log rolls, bytes. */
  set segmentSize(bytes: number) {
    this.opts.segmentSize = bytes;
  }

  /**
   * LSN up to which replies may be released under the current appendfsync:
   * {@link syncedLsn} under `always`, {@link writtenLsn} under `everysec` and
   * `no` (Redis's meaning of those policies: a reply does not wait for the
   * disk). Durable only under `always`.
   */
  get releasableLsn(): number {
    return this.opts.appendfsync === 'always' ? this.syncedLsn : this.writtenLsn;
  }

  /** Bytes of all segments on disk. */
  get totalBytes(): number {
    let n = 0;
    for (const s of this.segments) n += s.bytes;
    return n;
  }

  /** Bytes appended and not yet written. */
  get pendingBytes(): number {
    let n = this.retry ? this.retry.buf.length : 0;
    for (const f of this.inflight) if (f.state !== 'done') n += f.buf.length;
    return n + this.pending.bytes;
  }

  /**
   * Appends one effect record to the current batch. Never blocks and never
   * fails: a reply that depends on it may leave once {@link onReleasable}
   * reports its LSN (by then it is synced, under `always`).
   *
   * @param db database index the effect applies to
   * @param args command name, then its arguments (docs/FORMAT.md, "Payload")
   * @returns the record's LSN
   */
  append(db: number, args: readonly EffectArg[]): number {
    const lsn = this.lastLsn + 1;
    this.pending.appendEffect(lsn, db, args);
    this.lastLsn = lsn;
    return lsn;
  }

  /**
   * Appends every effect of one transaction as one record, so that recovery
   * applies all of them or none (docs/FORMAT.md, "Transaction payload").
   *
   * @param db the database its EXEC ran in (the header's field)
   * @param effects the effects in the order they happened, each encoded with its database
   * @returns the record's LSN
   */
  appendTransaction(db: number, effects: readonly TransactionEffect[]): number {
    const lsn = this.lastLsn + 1;
    this.pending.appendTransaction(lsn, db, effects);
    this.lastLsn = lsn;
    return lsn;
  }

  /**
   * Appends a record received from a primary, already encoded (header and
   * payload, docs/FORMAT.md "WAL record"), under its own LSN, which must be
   * {@link lastLsn} + 1. Its commit lag and CRC are stamped again when its
   * batch is written, as for any record.
   *
   * @returns the record's LSN
   */
  appendEncoded(record: Buffer): number {
    const lsn = this.lastLsn + 1;
    this.pending.appendEncoded(lsn, record);
    this.lastLsn = lsn;
    return lsn;
  }

  /**
   * Empties the log and begins it again at `nextLsn` (a replica's full sync:
   * its old segments belong to another history). Drains first.
   *
   * @throws the write error when pending records could not be written
   */
  async reset(nextLsn: number): Promise<void> {
    await this.drain();
    await this.prealloc.trim(this.filePos);
    await this.closeSegment();
    for (const seg of this.segments.splice(0)) await unlink(join(this.opts.dir, seg.name));
    await fsyncDir(this.opts.dir);
    this.lastLsn = nextLsn - 1;
    this.writtenLsn = this.lastLsn;
    this.syncedLsn = this.lastLsn;
    await this.startSegment(nextLsn);
  }

  /** Whether a write or sync is under way. */
  private get busy(): boolean {
    return this.exclusive || this.syncing || this.inflight.length > 0;
  }

  /**
   * Starts writing the pending records as one batch, unless
   * {@link MAX_IN_FLIGHT} batches are being written (then they wait and form
   * the next batch with whatever else arrives: group commit) or the log has
   * failed (then the retry timer drives it). Called once at the end of every
   * event-loop turn, and again as each batch completes.
   */
  flush(): void {
    while (!this.pending.empty && this.inflight.length < MAX_IN_FLIGHT && !this.exclusive && !this.inflightFailed) {
      if (this.retry !== null || this.closed) return;
      const fits = this.filePos + this.pending.peek()!.len <= this.opts.segmentSize;
      // A batch that rolls the segment goes alone, once the others have completed.
      if (!fits && (this.inflight.length > 0 || this.syncing)) return;
      const batch: Batch = { ...this.pending.shift(this.lastLsn)!, done: 0 };
      sealBatch(batch.buf, this.syncedLsn);
      if (!fits) {
        void this.writeExclusive(batch);
        return;
      }
      const f: InflightBatch = {
        ...batch,
        pos: this.filePos,
        sync: this.opts.appendfsync === 'always',
        state: 'writing',
        err: null,
      };
      this.filePos += batch.buf.length;
      this.inflight.push(f);
      const inline = !f.sync && f.buf.length <= INLINE_MAX_BYTES && !this.syncing && this.prealloc.step === null;
      if (inline) this.writeInline(f);
      else void this.writeInflight(f);
    }
  }

  /**
   * Writes a batch under `everysec` or `no` on the main thread, as Redis
   * writes its AOF buffer before each event-loop sleep: a write to the page
   * cache takes microseconds, less than the main thread's share of a
   * thread-pool round trip (bench/RESULTS.md, "Measurements behind
   * persistence constants"). Not while an fdatasync of
   * {@link syncNow} runs, which the write could have to wait for, nor while
   * a preallocation step (begun under `always`) writes zeros.
   */
  private writeInline(f: InflightBatch): void {
    try {
      maybeFail('wal-write');
      const fd = this.fh!.fd;
      let off = 0;
      while (off < f.buf.length) off += writeSync(fd, f.buf, off, f.buf.length - off, f.pos + off);
      f.state = 'done';
    } catch (err) {
      f.state = 'failed';
      f.err = err as NodeJS.ErrnoException;
      this.inflightFailed = true;
    }
    this.settleBatches();
  }

  /** Writes one batch of {@link flush} at its reserved offset, then lets {@link settleBatches} account for it. */
  private async writeInflight(f: InflightBatch): Promise<void> {
    try {
      const end = f.pos + f.buf.length;
      // Never write where a preallocation step is writing zeros.
      const step = this.prealloc.step;
      if (step !== null && end > step.from) await step.done;
      maybeFail('wal-write');
      if (f.sync) maybeFail('wal-fsync');
      const fh = f.sync ? this.fhSync! : this.fh!;
      const t0 = performance.now();
      let off = 0;
      while (off < f.buf.length) off += (await fh.write(f.buf, off, f.buf.length - off, f.pos + off)).bytesWritten;
      if (f.sync) this.onSyncTime('aof-fsync-always', performance.now() - t0, f.lastLsn - f.firstLsn + 1);
      this.prealloc.wrote(end);
      f.state = 'done';
    } catch (err) {
      f.state = 'failed';
      f.err = err as NodeJS.ErrnoException;
      this.inflightFailed = true;
    }
    this.settleBatches();
  }

  /**
   * Settles the in-flight batches that completed, in LSN order: advances the
   * written and synced LSNs over a prefix of completed batches only, and
   * reports {@link onReleasable}. After a failure,
   * once every batch has stopped, turns the failed one and all after it into
   * the batch the retry timer rewrites from the failed one's offset.
   */
  private settleBatches(): void {
    const q = this.inflight;
    let advanced = false;
    while (q.length > 0 && q[0]!.state === 'done') {
      const f = q.shift()!;
      this.writtenLsn = f.lastLsn;
      if (f.sync) {
        this.syncs++;
        if (this.syncedLsn >= f.firstLsn - 1) {
          this.syncedLsn = f.lastLsn;
          if (this.retry === null && !this.inflightFailed) this.recovered();
        } else {
          // Records before it were written under another policy, or after a
          // failed sync, and an O_DSYNC write syncs only its own bytes: an
          // fdatasync must cover them before any of this is durable.
          this.syncDue = true;
        }
      }
      const seg = this.segments[this.segments.length - 1]!;
      seg.bytes = Math.max(seg.bytes, f.pos + f.buf.length);
      this.bytesWritten += f.buf.length;
      this.batches++;
      this.pending.recycle(f.buf);
      advanced = true;
    }
    if (this.inflightFailed && q.every((f) => f.state !== 'writing')) {
      const failed = q.splice(0);
      this.inflightFailed = false;
      this.filePos = failed[0]!.pos;
      this.retry = {
        buf: failed.length === 1 ? failed[0]!.buf : Buffer.concat(failed.map((f) => f.buf)),
        firstLsn: failed[0]!.firstLsn,
        lastLsn: failed[failed.length - 1]!.lastLsn,
        done: 0,
      };
      this.fail(failed.find((f) => f.err !== null)!.err!);
    }
    if (advanced) this.onReleasable(this.releasableLsn);
    if (this.opts.appendfsync === 'always') this.preallocate();
    if (this.syncDue && !this.syncing && !this.exclusive) void this.syncNow();
    // Start what is pending before waking idle waiters, so that a drain never
    // sees the log idle while a batch (a roll, for one) is still to be written.
    this.flush();
    this.wakeIdle();
  }

  /**
   * Writes a batch with the log to itself (a segment roll, a retry after a
   * failure), splitting it at record boundaries where it would pass
   * `wal-segment-size` (a segment holds at least one record, so it stays
   * under 2 GiB: one record at most plus the segment's share of the limit),
   * then fdatasyncs under `always`. A rolled segment is synced before the
   * next is begun. After a failure the batch resumes at the first byte not
   * known synced, in the same segment and at the same offset.
   */
  private async writeExclusive(batch: Batch): Promise<void> {
    this.exclusive = true;
    const sync = this.opts.appendfsync === 'always';
    const buf = batch.buf;
    // Where the current segment's unsynced part of this batch begins.
    let segDone = batch.done;
    let segPos = this.filePos;
    try {
      if (sync && this.writtenLsn > this.syncedLsn) {
        // Written under another policy and not synced: an O_DSYNC write syncs only its own bytes.
        await this.fh!.datasync();
        this.syncs++;
        this.syncedLsn = this.writtenLsn;
      }
      while (batch.done < buf.length) {
        const room = this.opts.segmentSize - this.filePos;
        let end = batch.done;
        let lastLsnOff = -1;
        while (end < buf.length) {
          const size = RECORD_HEADER_SIZE + buf.readUInt32LE(end + REC.length);
          if (end - batch.done + size > room && (end > batch.done || this.filePos > SEGMENT_HEADER_SIZE)) break;
          lastLsnOff = end;
          end += size;
        }
        if (end === batch.done) {
          await this.roll(readU64(buf, end + REC.lsn));
          segDone = batch.done;
          segPos = this.filePos;
          continue;
        }
        maybeFail('wal-write');
        const writeEnd = this.filePos + (end - batch.done);
        // Never write where a preallocation step is writing zeros.
        const step = this.prealloc.step;
        if (step !== null && writeEnd > step.from) await step.done;
        if (sync) maybeFail('wal-fsync');
        const fh = sync ? this.fhSync! : this.fh!;
        let off = batch.done;
        while (off < end) off += (await fh.write(buf, off, end - off, this.filePos + (off - batch.done))).bytesWritten;
        this.filePos = writeEnd;
        this.prealloc.wrote(writeEnd);
        const seg = this.segments[this.segments.length - 1]!;
        seg.bytes = Math.max(seg.bytes, this.filePos);
        this.bytesWritten += end - batch.done;
        batch.done = end;
        this.writtenLsn = readU64(buf, lastLsnOff + REC.lsn);
      }
      const synced = sync || this.syncDue;
      if (synced) {
        if (!sync) {
          maybeFail('wal-fsync');
          await this.fh!.datasync();
        }
        this.syncs++;
        this.syncedLsn = batch.lastLsn;
        this.syncDue = false;
      }
      if (sync) this.preallocate();
      this.batches++;
      this.exclusive = false;
      // A failed write is cured by this rewrite; a failed sync only by a sync.
      if (this.retry !== null || synced) this.recovered();
      this.retry = null;
      this.pending.recycle(buf);
      this.onReleasable(this.releasableLsn);
    } catch (err) {
      this.exclusive = false;
      // Rewrite from the first byte this segment has not synced (after a failed
      // fdatasync the kernel may have dropped the dirty pages).
      batch.done = segDone;
      this.filePos = segPos;
      this.retry = batch;
      this.fail(err as NodeJS.ErrnoException);
    }
    if (this.retry === null) this.flush();
    this.wakeIdle();
  }

  private fail(err: NodeJS.ErrnoException): void {
    const first = this.failure === null;
    this.failure = err;
    if (first) this.onFailure(err);
  }

  /** Clears a failure once a write or a sync has worked again. */
  private recovered(): void {
    if (this.failure === null) return;
    this.failure = null;
    this.onFailure(null);
  }

  /** Starts a preallocation step if little preallocated space is left ahead of the records. */
  private preallocate(): void {
    if (this.fh !== null) this.prealloc.extend(this.filePos, this.opts.segmentSize);
  }

  private async closeSegment(): Promise<void> {
    const fh = this.fh;
    const fhSync = this.fhSync;
    this.fh = null;
    this.fhSync = null;
    this.prealloc.end();
    await fhSync?.close();
    await fh?.close();
  }

  private async roll(firstLsn: number): Promise<void> {
    if (this.fh !== null) {
      await this.prealloc.trim(this.filePos);
      await this.fh.datasync();
      this.syncs++;
      this.syncedLsn = this.writtenLsn;
      await this.closeSegment();
    }
    await this.startSegment(firstLsn);
  }

  /** Creates `<firstLsn>.wal` by temp file, sync, rename, directory sync, and opens it for appending. */
  private async startSegment(firstLsn: number): Promise<void> {
    const name = segmentFileName(firstLsn);
    const path = await createSegment(this.opts.dir, firstLsn);
    const fh = await open(path, 'r+');
    let fhSync: FileHandle;
    try {
      fhSync = await open(path, constants.O_RDWR | constants.O_DSYNC);
    } catch (err) {
      await fh.close();
      throw err;
    }
    this.fh = fh;
    this.fhSync = fhSync;
    this.filePos = SEGMENT_HEADER_SIZE;
    this.prealloc.begin(fh, path, SEGMENT_HEADER_SIZE);
    const existing = this.segments.findIndex((s) => s.name === name);
    if (existing >= 0) this.segments.splice(existing, 1);
    this.segments.push({ name, firstLsn, bytes: SEGMENT_HEADER_SIZE });
  }

  private tick(): void {
    if (this.closed) return;
    if (this.retry !== null) {
      if (!this.busy) void this.writeExclusive(this.retry);
      return;
    }
    // everysec's sync, and a sync that failed or is owed under any policy.
    if ((this.opts.appendfsync === 'everysec' && this.writtenLsn > this.syncedLsn) || this.syncDue) void this.syncNow();
  }

  /** Syncs what has been written (the `everysec` timer, and BGREWRITE-style callers). */
  async syncNow(): Promise<void> {
    if (this.exclusive || this.syncing) {
      this.syncDue = true;
      return;
    }
    if (this.fh === null) return;
    this.syncing = true;
    this.syncDue = false;
    // Covers every batch that completed before it starts; batches in flight complete after.
    const upto = this.writtenLsn;
    try {
      maybeFail('wal-fsync');
      const t0 = performance.now();
      await this.fh.datasync();
      this.onSyncTime('wal-fsync', performance.now() - t0, Math.max(0, upto - this.syncedLsn));
      this.syncs++;
      this.syncedLsn = Math.max(this.syncedLsn, upto);
      if (this.retry === null) this.recovered();
      this.onReleasable(this.releasableLsn);
    } catch (err) {
      this.syncDue = true;
      this.fail(err as NodeJS.ErrnoException);
    }
    this.syncing = false;
    this.flush();
    this.wakeIdle();
  }

  private wakeIdle(): void {
    if (this.busy) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private idle(): Promise<void> {
    if (!this.busy) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Writes and syncs everything appended so far.
   *
   * @throws the write error when the log cannot be written
   */
  async drain(): Promise<void> {
    for (;;) {
      await this.idle();
      if (this.retry !== null) {
        await this.writeExclusive(this.retry);
        if (this.failure) throw this.failure;
        continue;
      }
      if (this.pending.empty) break;
      this.flush();
      if (!this.busy) break;
    }
    if (this.failure) throw this.failure;
    if (this.writtenLsn > this.syncedLsn && this.fh !== null) {
      this.exclusive = true;
      try {
        await this.fh.datasync();
        this.syncs++;
        this.syncedLsn = this.writtenLsn;
      } finally {
        this.exclusive = false;
        this.wakeIdle();
      }
    }
  }

  /**
   * Resolves once every record up to `lsn` is on stable storage, forcing the
   * writes and the fdatasync that takes (a snapshot must never cover records
   * the WAL could still lose).
   *
   * @throws the write error when the log cannot be written
   */
  async syncedThrough(lsn: number): Promise<void> {
    while (this.syncedLsn < lsn) {
      if (this.failure) throw this.failure;
      await this.idle();
      this.flush();
      await this.idle();
      if (this.failure) throw this.failure;
      if (this.syncedLsn < lsn && this.writtenLsn >= lsn) await this.syncNow();
    }
  }

  /**
   * Deletes segments holding only records at or below `lsn` (after a
   * snapshot covers them). The segment being appended to is kept.
   *
   * @returns names of the segments deleted
   */
  async deleteThrough(lsn: number): Promise<string[]> {
    lsn = this.deleteBound(lsn);
    const gone: string[] = [];
    while (this.segments.length > 1 && this.segments[1]!.firstLsn - 1 <= lsn) {
      const seg = this.segments.shift()!;
      await unlink(join(this.opts.dir, seg.name));
      gone.push(seg.name);
    }
    if (gone.length > 0) await fsyncDir(this.opts.dir);
    return gone;
  }

  /**
   * Drains and closes the log (SHUTDOWN, SIGTERM).
   *
   * @throws the write error when pending records could not be made durable
   */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    try {
      await this.drain();
      // Begin an empty segment, so that the next start can skip every segment
      // a snapshot covers without reading it (replay.ts skips a segment
      // whose successor starts at or below the covered LSN + 1).
      await this.prealloc.trim(this.filePos);
      if (this.filePos > SEGMENT_HEADER_SIZE) {
        await this.fh!.datasync();
        await this.closeSegment();
        await this.startSegment(this.lastLsn + 1);
      }
    } finally {
      this.closed = true;
      await this.closeSegment();
    }
  }

  /**
   * Every record appended but not yet durable, as its version, header
   * database and payload (codec.ts `recordEffects` decodes them), for callers
   * deciding what a read could see.
   */
  forEachUndurable(fn: (version: number, db: number, payload: Buffer) => void): void {
    if (this.retry !== null) forEachRecord(this.retry.buf, fn);
    for (const f of this.inflight) if (!f.sync || f.state !== 'done') forEachRecord(f.buf, fn);
    this.pending.forEach(fn);
  }
}
