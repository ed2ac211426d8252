/**
 * WAL writer with group commit.
 *
 * Command handlers {@link Wal.append} effect records during an event-loop
 * turn; at the end of the turn the server calls {@link Wal.flush}, which hands
 * the whole batch to one positional write and (with `appendfsync always`) one
 * fdatasync, both on libuv's thread pool. Records appended while that runs
 * form the next batch. When a batch is durable, {@link Wal.onDurable} fires
 * and the server releases the replies that waited for it.
 *
 * Why flush at the end of the turn rather than per command: every client whose
 * command arrived during the previous fdatasync shares the next one, so the
 * fsync rate stays at one per disk round-trip however many clients write.
 *
 * Segments: `<dir>/<first LSN, 20 digits>.wal`, rolled when the next batch
 * would pass `wal-segment-size`. A new segment is written as a temporary
 * file, synced, renamed and its directory synced, so a crash never leaves a
 * half-made header under a segment's name. Format: docs/FORMAT.md.
 *
 * A failed write or fdatasync is never acknowledged: the batch is kept and
 * rewritten at the same offset every second until it succeeds; meanwhile
 * {@link Wal.failure} is set and the server refuses writes with `-MISCONF`.
 */
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32c } from '@node-rs/crc32';
import { Packr } from 'msgpackr';
import { maybeFail } from '../server/faults.js';
import {
  LAG_UNKNOWN,
  parseSegmentFileName,
  REC,
  RECORD_HEADER_SIZE,
  RECORD_MAGIC,
  RECORD_VERSION,
  readU64,
  SEG,
  SEGMENT_HEADER_SIZE,
  SEGMENT_MAGIC,
  SEGMENT_VERSION,
  segmentFileName,
  writeU64,
} from './format.js';

/** When replies wait for the disk (redis.conf `appendfsync`). */
export type FsyncPolicy = 'always' | 'everysec' | 'no';

/** One argument of an effect record: key and value bytes, or ASCII words and numbers. */
export type EffectArg = Buffer | string;

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

/** A segment present on disk. */
export interface SegmentInfo {
  name: string;
  firstLsn: number;
  /** Bytes, header included. */
  bytes: number;
}

interface Batch {
  buf: Buffer;
  firstLsn: number;
  lastLsn: number;
  /** Bytes of `buf` written so far (a batch may span segments). */
  done: number;
}

/** Size of a pending-record chunk, and so the most one flush seals and writes (unless one record is larger). */
const CHUNK_BYTES = 1 << 20;

/** A chunk of pending records. */
interface Chunk {
  buf: Buffer;
  /** Bytes of records in `buf`. */
  len: number;
  /** LSN of its first record. */
  firstLsn: number;
}
const RETRY_MS = 1000;
const EVERYSEC_MS = 1000;

/** Encodes effect payloads (docs/FORMAT.md, "Payload"). */
const packr = new Packr({ useRecords: false, variableMapSize: true });

/** Encodes one effect as its record payload. */
export function encodePayload(args: readonly EffectArg[]): Buffer {
  return packr.pack(args);
}

/** Decodes a record payload into the effect's command name and arguments. */
export function decodePayload(payload: Buffer): EffectArg[] {
  const value: unknown = packr.unpack(payload);
  if (!Array.isArray(value) || value.length === 0 || typeof value[0] !== 'string') {
    throw new Error('payload is not an effect array');
  }
  return value as EffectArg[];
}

/**
 * Writes one record (header and payload) at `off`, leaving the CRC and
 * commit-lag fields for {@link sealBatch}.
 *
 * @param time Unix seconds
 * @returns bytes written
 */
export function encodeRecord(buf: Buffer, off: number, db: number, lsn: number, time: number, payload: Buffer): number {
  buf.writeUInt32LE(payload.length, off + REC.length);
  buf[off + REC.magic] = RECORD_MAGIC;
  buf[off + REC.version] = RECORD_VERSION;
  buf.writeUInt16LE(db, off + REC.db);
  writeU64(buf, lsn, off + REC.lsn);
  buf.writeUInt32LE(time, off + REC.time);
  payload.copy(buf, off + RECORD_HEADER_SIZE);
  return RECORD_HEADER_SIZE + payload.length;
}

/**
 * Stamps the commit-lag field and checksum of every record in a batch.
 *
 * @param buf whole records, back to back
 * @param committedLsn the highest LSN already synced when this batch is written
 */
export function sealBatch(buf: Buffer, committedLsn: number): void {
  let off = 0;
  while (off < buf.length) {
    const len = buf.readUInt32LE(off + REC.length);
    const lag = readU64(buf, off + REC.lsn) - committedLsn;
    buf.writeUInt32LE(lag >= LAG_UNKNOWN ? LAG_UNKNOWN : lag, off + REC.commitLag);
    const end = off + RECORD_HEADER_SIZE + len;
    buf.writeUInt32LE(crc32c(buf.subarray(off + 4, end)), off + REC.crc);
    off = end;
  }
}

/** Builds a segment header (docs/FORMAT.md, "WAL segment"). */
export function segmentHeader(firstLsn: number, createdSeconds: number): Buffer {
  const h = Buffer.alloc(SEGMENT_HEADER_SIZE);
  SEGMENT_MAGIC.copy(h, SEG.magic);
  h.writeUInt16LE(SEGMENT_VERSION, SEG.version);
  h.writeUInt16LE(SEGMENT_HEADER_SIZE, SEG.headerSize);
  writeU64(h, firstLsn, SEG.firstLsn);
  h.writeUInt32LE(createdSeconds >>> 0, SEG.created);
  h.writeUInt32LE(crc32c(h.subarray(0, SEG.crc)), SEG.crc);
  return h;
}

/** Lists the segment files of a WAL directory, oldest first. */
export function listSegments(dir: string): SegmentInfo[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: SegmentInfo[] = [];
  for (const name of names) {
    const firstLsn = parseSegmentFileName(name);
    if (Number.isNaN(firstLsn)) continue;
    out.push({ name, firstLsn, bytes: statSync(join(dir, name)).size });
  }
  return out.sort((a, b) => a.firstLsn - b.firstLsn);
}

/** Syncs a directory so that a rename or a new file in it is durable. */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
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
  /** Called when records up to `lsn` are durable (synced under `always`, written otherwise). */
  onDurable: (lsn: number) => void = () => {};
  /** Called when writing fails, and again with null once it works again. */
  onFailure: (err: NodeJS.ErrnoException | null) => void = () => {};
  /** Segments on disk, oldest first; the last is being appended to. */
  readonly segments: SegmentInfo[];
  /** Bytes appended since the server started (INFO `aof_...`-style counters). */
  bytesWritten = 0;
  /** Group commits completed (batches written). */
  batches = 0;
  /** fdatasync calls completed. */
  fsyncs = 0;

  private fh: FileHandle | null = null;
  private filePos = 0;
  /**
   * Records not yet handed to a write, in chunks of about {@link CHUNK_BYTES}
   * (a larger record gets a chunk of its own). Each flush takes one chunk, so
   * the main-thread work of sealing a batch stays bounded however far the
   * disk falls behind, and nothing is ever copied to grow a buffer.
   */
  private chunks: Chunk[] = [];
  /** Written chunks kept for reuse. */
  private freeChunks: Buffer[] = [];
  private retry: Batch | null = null;
  private busy = false;
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
    mkdirSync(opts.dir, { recursive: true });
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

  /** LSN up to which replies may be released under the current policy. */
  get durableLsn(): number {
    return this.opts.appendfsync === 'always' ? this.syncedLsn : this.writtenLsn;
  }

  /** Bytes of all segments on disk. */
  get totalBytes(): number {
    let n = 0;
    for (const s of this.segments) n += s.bytes;
    return n;
  }

  /** Bytes appended and not yet handed to the OS. */
  get pendingBytes(): number {
    let n = this.retry ? this.retry.buf.length : 0;
    for (const c of this.chunks) n += c.len;
    return n;
  }

  /**
   * Appends one effect record to the current batch. Never blocks and never
   * fails: the record is durable once {@link onDurable} reports its LSN.
   *
   * @param db database index the effect applies to
   * @param args command name, then its arguments (docs/FORMAT.md, "Payload")
   * @returns the record's LSN
   */
  append(db: number, args: readonly EffectArg[]): number {
    const payload = packr.pack(args);
    const need = RECORD_HEADER_SIZE + payload.length;
    let chunk = this.chunks[this.chunks.length - 1];
    if (chunk === undefined || chunk.len + need > chunk.buf.length) {
      const buf = need <= CHUNK_BYTES ? (this.freeChunks.pop() ?? Buffer.allocUnsafeSlow(CHUNK_BYTES)) : Buffer.allocUnsafeSlow(need);
      chunk = { buf, len: 0, firstLsn: this.lastLsn + 1 };
      this.chunks.push(chunk);
    }
    const lsn = this.lastLsn + 1;
    chunk.len += encodeRecord(chunk.buf, chunk.len, db, lsn, (Date.now() / 1000) >>> 0, payload);
    this.lastLsn = lsn;
    return lsn;
  }

  /**
   * Starts writing the pending batch unless a write is in flight (then the
   * batch waits for it: group commit) or the log has failed (then the retry
   * timer drives it). Called once at the end of every event-loop turn.
   */
  flush(): void {
    if (this.busy || this.retry !== null || this.chunks.length === 0 || this.closed) return;
    const chunk = this.chunks.shift()!;
    const batch: Batch = {
      buf: chunk.buf.subarray(0, chunk.len),
      firstLsn: chunk.firstLsn,
      lastLsn: this.chunks.length > 0 ? this.chunks[0]!.firstLsn - 1 : this.lastLsn,
      done: 0,
    };
    sealBatch(batch.buf, this.syncedLsn);
    void this.write(batch);
  }

  /**
   * Writes a batch, splitting it at record boundaries where it would pass
   * `wal-segment-size` (a segment holds at least one record, so it stays
   * under 2 GiB: one record at most plus the segment's share of the limit),
   * then fdatasyncs under `always`. A rolled segment is synced before the
   * next is begun. After a failure the batch resumes at the first byte not
   * known synced, in the same segment and at the same offset.
   */
  private async write(batch: Batch): Promise<void> {
    this.busy = true;
    const sync = this.opts.appendfsync === 'always';
    const buf = batch.buf;
    // Where the current segment's unsynced part of this batch begins.
    let segDone = batch.done;
    let segPos = this.filePos;
    try {
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
        let off = batch.done;
        while (off < end) off += (await this.fh!.write(buf, off, end - off, this.filePos + (off - batch.done))).bytesWritten;
        this.filePos += end - batch.done;
        const seg = this.segments[this.segments.length - 1]!;
        seg.bytes = Math.max(seg.bytes, this.filePos);
        this.bytesWritten += end - batch.done;
        batch.done = end;
        this.writtenLsn = readU64(buf, lastLsnOff + REC.lsn);
      }
      const synced = sync || this.syncDue;
      if (synced) {
        maybeFail('wal-fsync');
        await this.fh!.datasync();
        this.fsyncs++;
        this.syncedLsn = batch.lastLsn;
        this.syncDue = false;
      }
      this.batches++;
      this.busy = false;
      // A failed write is cured by this rewrite; a failed sync only by a sync.
      if (this.retry !== null || synced) this.recovered();
      this.retry = null;
      if (buf.buffer.byteLength === CHUNK_BYTES && this.freeChunks.length < 4) {
        this.freeChunks.push(Buffer.from(buf.buffer, 0, CHUNK_BYTES));
      }
      this.onDurable(this.durableLsn);
    } catch (err) {
      this.busy = false;
      // Rewrite from the first byte this segment has not synced (after a failed
      // fdatasync the kernel may have dropped the dirty pages).
      batch.done = segDone;
      this.filePos = segPos;
      this.retry = batch;
      this.fail(err as NodeJS.ErrnoException);
    }
    this.wakeIdle();
    if (this.retry === null) this.flush();
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

  private async roll(firstLsn: number): Promise<void> {
    if (this.fh !== null) {
      await this.fh.datasync();
      this.fsyncs++;
      this.syncedLsn = this.writtenLsn;
      await this.fh.close();
      this.fh = null;
    }
    await this.startSegment(firstLsn);
  }

  /** Creates `<firstLsn>.wal` by temp file, sync, rename, directory sync, and opens it for appending. */
  private async startSegment(firstLsn: number): Promise<void> {
    const name = segmentFileName(firstLsn);
    const path = join(this.opts.dir, name);
    const tmp = path + '.tmp';
    const header = segmentHeader(firstLsn, Date.now() / 1000);
    const t = await open(tmp, 'w');
    try {
      await t.write(header, 0, header.length, 0);
      await t.datasync();
    } finally {
      await t.close();
    }
    await rename(tmp, path);
    await fsyncDir(this.opts.dir);
    this.fh = await open(path, 'r+');
    this.filePos = SEGMENT_HEADER_SIZE;
    const existing = this.segments.findIndex((s) => s.name === name);
    if (existing >= 0) this.segments.splice(existing, 1);
    this.segments.push({ name, firstLsn, bytes: SEGMENT_HEADER_SIZE });
  }

  private tick(): void {
    if (this.closed) return;
    if (this.retry !== null) {
      if (!this.busy) void this.write(this.retry);
      return;
    }
    if (this.opts.appendfsync === 'everysec' && this.writtenLsn > this.syncedLsn) void this.syncNow();
  }

  /** Syncs what has been written (the `everysec` timer, and BGREWRITE-style callers). */
  async syncNow(): Promise<void> {
    if (this.busy) {
      this.syncDue = true;
      return;
    }
    if (this.fh === null) return;
    this.busy = true;
    const upto = this.writtenLsn;
    try {
      maybeFail('wal-fsync');
      await this.fh.datasync();
      this.fsyncs++;
      this.syncedLsn = upto;
      if (this.retry === null) this.recovered();
    } catch (err) {
      this.syncDue = true;
      this.fail(err as NodeJS.ErrnoException);
    }
    this.busy = false;
    this.wakeIdle();
    this.flush();
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
    await this.idle();
    if (this.retry !== null) {
      await this.write(this.retry);
      if (this.failure) throw this.failure;
    }
    this.flush();
    await this.idle();
    if (this.failure) throw this.failure;
    if (this.writtenLsn > this.syncedLsn && this.fh !== null) {
      this.busy = true;
      try {
        await this.fh.datasync();
        this.fsyncs++;
        this.syncedLsn = this.writtenLsn;
      } finally {
        this.busy = false;
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
      // a snapshot covers without reading it (recovery.ts skips a segment
      // whose successor starts at or below the covered LSN + 1).
      if (this.filePos > SEGMENT_HEADER_SIZE) {
        await this.fh!.close();
        this.fh = null;
        await this.startSegment(this.lastLsn + 1);
      }
    } finally {
      this.closed = true;
      if (this.fh !== null) await this.fh.close();
      this.fh = null;
    }
  }

  /** Every record appended but not yet durable, as (db, payload) pairs, for callers deciding what a read could see. */
  forEachUndurable(fn: (db: number, payload: Buffer) => void): void {
    const visit = (buf: Buffer): void => {
      let off = 0;
      while (off < buf.length) {
        const len = buf.readUInt32LE(off + REC.length);
        fn(buf.readUInt16LE(off + REC.db), buf.subarray(off + RECORD_HEADER_SIZE, off + RECORD_HEADER_SIZE + len));
        off += RECORD_HEADER_SIZE + len;
      }
    };
    if (this.retry !== null) visit(this.retry.buf);
    for (const c of this.chunks) visit(c.buf.subarray(0, c.len));
  }
}
