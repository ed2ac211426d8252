/**
 * Preallocation of the segment being appended to, under `appendfsync
 * always`: zeros written and synced ahead of the records, a step at a time,
 * on the thread pool, so that a synced batch overwrites blocks the file
 * already owns and commits no new file size (docs/ARCHITECTURE.md, "One
 * turn"). Readers stop at zeros that run to the end of a segment
 * (docs/FORMAT.md, "WAL segment"); a roll and a clean shutdown trim them.
 */
import { open, type FileHandle } from 'node:fs/promises';

/** Bytes of zeros each step writes ahead of the records. */
const STEP_BYTES = 2 << 20;
/** A step starts when fewer preallocated bytes than this remain ahead of the records. */
const LOW_BYTES = 1 << 20;
/** After a failed step, none starts for this long, ms. */
const PAUSE_MS = 1000;
const ZEROS = Buffer.alloc(STEP_BYTES);

/** A preallocation step in flight. */
export interface PreallocStep {
  /** Segment offset from which it writes zeros, bytes: nothing may be written at or past it until `done`. */
  from: number;
  /** Settles once the step ended, well or not (a failed step is not an error: batches extend the file). */
  done: Promise<void>;
}

/** The preallocated space of the segment a {@link Wal} appends to. */
export class Preallocator {
  /** End of the segment's bytes that are records or synced zeros, so that a synced overwrite changes no file size. */
  allocated = 0;
  /** The step in flight, or null. */
  step: PreallocStep | null = null;
  /** No step starts before this Unix ms (after one failed). */
  private pausedUntil = 0;
  /** The records' descriptor of the segment, or null between segments. */
  private fh: FileHandle | null = null;
  /** Path of the segment. */
  private path = '';

  /**
   * A new segment is appended to; nothing past its header is preallocated.
   *
   * @param headerEnd bytes of the segment header
   */
  begin(fh: FileHandle, path: string, headerEnd: number): void {
    this.fh = fh;
    this.path = path;
    this.allocated = headerEnd;
  }

  /** The segment was closed: a step still running no longer counts. */
  end(): void {
    this.fh = null;
  }

  /** Records were written up to segment offset `end`, bytes. */
  wrote(end: number): void {
    if (end > this.allocated) this.allocated = end;
  }

  /**
   * Starts a step when less than {@link LOW_BYTES} of preallocated space is
   * left ahead of `filePos`: zeros written and synced (so that the filesystem
   * allocates their blocks) on the thread pool while batches go on below them.
   *
   * @param filePos where the next batch will be written, bytes
   * @param limit the segment size (`wal-segment-size`), bytes: never preallocate past it
   */
  extend(filePos: number, limit: number): void {
    const fh = this.fh;
    if (this.step !== null || fh === null || this.allocated - filePos >= LOW_BYTES) return;
    if (Date.now() < this.pausedUntil) return;
    const path = this.path;
    // Batches in flight write below filePos, and those started later wait for the step.
    const from = Math.max(this.allocated, filePos);
    const to = Math.min(from + STEP_BYTES, limit);
    if (to <= from) return;
    const step: PreallocStep = { from, done: Promise.resolve() };
    step.done = (async () => {
      // A descriptor of its own: a writeback error is reported once per open
      // file description, and this sync must not take one that belongs to
      // the records' descriptor.
      let h: FileHandle | null = null;
      try {
        h = await open(path, 'r+');
        let off = from;
        while (off < to) off += (await h.write(ZEROS, 0, to - off, off)).bytesWritten;
        await h.datasync();
        // Batches never write past `from` while the step runs, so the zeros stand.
        if (this.fh === fh) this.allocated = Math.max(this.allocated, to);
      } catch {
        // Not needed for correctness: batches then extend the file themselves.
        this.pausedUntil = Date.now() + PAUSE_MS;
      } finally {
        await h?.close().catch(() => {});
        if (this.step === step) this.step = null;
      }
    })();
    this.step = step;
  }

  /**
   * Waits for the step in flight, then cuts the unused zeros off the
   * segment, so that it ends at its last record.
   *
   * @param filePos the end of the records, bytes
   * @throws NodeJS.ErrnoException when the segment cannot be truncated
   */
  async trim(filePos: number): Promise<void> {
    if (this.step !== null) await this.step.done;
    if (this.fh !== null && this.allocated > filePos) {
      await this.fh.truncate(filePos);
      this.allocated = filePos;
    }
  }
}
