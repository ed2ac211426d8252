/**
 * Records appended and not yet handed to a write, in chunks of about
 * {@link CHUNK_BYTES} (a larger record gets a chunk of its own). Each flush
 * of the writer takes the oldest chunk as its batch, so the main-thread work
 * of sealing a batch stays bounded however far the disk falls behind, and
 * nothing is ever copied to grow a buffer. Written chunks come back for reuse.
 */
import { REC, RECORD_HEADER_SIZE, RECORD_VERSION_TRANSACTION, writeU64 } from '../format.js';
import {
  forEachRecord,
  payloadSize,
  transactionPayloadSize,
  writePayload,
  writeRecordHeader,
  writeTransactionPayload,
  type EffectArg,
  type TransactionEffect,
} from './codec.js';

/** Size of a pending-record chunk, and so the most one flush seals and writes (unless one record is larger). */
const CHUNK_BYTES = 1 << 20;

/** A chunk of pending records. */
export interface Chunk {
  buf: Buffer;
  /** Bytes of records in `buf`. */
  len: number;
  /** LSN of its first record. */
  firstLsn: number;
}

/** The writer's pending records. */
export class PendingRecords {
  private readonly chunks: Chunk[] = [];
  /** Written chunks kept for reuse. */
  private readonly free: Buffer[] = [];

  /** @param keep how many written chunk buffers to keep for reuse */
  constructor(private readonly keep: number) {}

  /**
   * Appends one effect record (header and payload; its CRC and commit lag
   * are stamped when its batch is sealed).
   *
   * @param lsn the record's LSN
   */
  appendEffect(lsn: number, db: number, args: readonly EffectArg[]): void {
    const payloadLength = payloadSize(args);
    const chunk = this.chunkFor(RECORD_HEADER_SIZE + payloadLength, lsn);
    writeRecordHeader(chunk.buf, chunk.len, db, lsn, (Date.now() / 1000) >>> 0, payloadLength);
    chunk.len = writePayload(chunk.buf, chunk.len + RECORD_HEADER_SIZE, args);
  }

  /**
   * Appends a transaction record holding `effects` (docs/FORMAT.md,
   * "Transaction payload").
   *
   * @param lsn the record's LSN
   * @param db the database its EXEC ran in
   */
  appendTransaction(lsn: number, db: number, effects: readonly TransactionEffect[]): void {
    const payloadLength = transactionPayloadSize(effects);
    const chunk = this.chunkFor(RECORD_HEADER_SIZE + payloadLength, lsn);
    const time = (Date.now() / 1000) >>> 0;
    writeRecordHeader(chunk.buf, chunk.len, db, lsn, time, payloadLength, RECORD_VERSION_TRANSACTION);
    chunk.len = writeTransactionPayload(chunk.buf, chunk.len + RECORD_HEADER_SIZE, effects);
  }

  /**
   * Appends a record encoded elsewhere (a primary's), with its LSN field set to `lsn`.
   *
   * @param record header and payload
   */
  appendEncoded(lsn: number, record: Buffer): void {
    const chunk = this.chunkFor(record.length, lsn);
    record.copy(chunk.buf, chunk.len);
    writeU64(chunk.buf, lsn, chunk.len + REC.lsn);
    chunk.len += record.length;
  }

  /** The chunk a record of `need` bytes with LSN `lsn` goes into: the last one, or a new one when it has no room. */
  private chunkFor(need: number, lsn: number): Chunk {
    const last = this.chunks[this.chunks.length - 1];
    if (last !== undefined && last.len + need <= last.buf.length) return last;
    const buf =
      need <= CHUNK_BYTES ? (this.free.pop() ?? Buffer.allocUnsafeSlow(CHUNK_BYTES)) : Buffer.allocUnsafeSlow(need);
    const chunk = { buf, len: 0, firstLsn: lsn };
    this.chunks.push(chunk);
    return chunk;
  }

  /** Whether nothing is pending. */
  get empty(): boolean {
    return this.chunks.length === 0;
  }

  /** Bytes of records pending. */
  get bytes(): number {
    let n = 0;
    for (const c of this.chunks) n += c.len;
    return n;
  }

  /** The oldest chunk, or undefined when nothing is pending. */
  peek(): Chunk | undefined {
    return this.chunks[0];
  }

  /**
   * Takes the oldest chunk.
   *
   * @param lastLsn the LSN of the last record appended
   * @returns its records and the LSN of the last of them; undefined when nothing is pending
   */
  shift(lastLsn: number): { buf: Buffer; firstLsn: number; lastLsn: number } | undefined {
    const chunk = this.chunks.shift();
    if (chunk === undefined) return undefined;
    const next = this.chunks[0];
    return {
      buf: chunk.buf.subarray(0, chunk.len),
      firstLsn: chunk.firstLsn,
      lastLsn: next !== undefined ? next.firstLsn - 1 : lastLsn,
    };
  }

  /** Takes back the buffer of a written batch for reuse, when it is a whole chunk and few are kept. */
  recycle(batch: Buffer): void {
    if (batch.buffer.byteLength === CHUNK_BYTES && this.free.length < this.keep) {
      this.free.push(Buffer.from(batch.buffer, 0, CHUNK_BYTES));
    }
  }

  /** Walks every pending record (see codec.ts `forEachRecord`). */
  forEach(fn: (version: number, db: number, payload: Buffer) => void): void {
    for (const c of this.chunks) forEachRecord(c.buf.subarray(0, c.len), fn);
  }
}
