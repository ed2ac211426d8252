/**
 * `snapshot/pages.dat`: an array of page frames (page-sized regions),
 * memory-mapped shared (`@riaskov/mmap-io`) in extents of
 * {@link FRAMES_PER_EXTENT} frames of address space.
 *
 * The file only grows, as frames are needed: to twice its frames, at most
 * {@link FRAMES_PER_EXTENT} more at a time (a near-empty data directory
 * holds a few MiB, not a whole extent). Each growth is filled with zeros by
 * ordinary writes on the thread pool and synced before its frames are used:
 * the blocks are then allocated, so a later store through the mapping never
 * has to allocate (a full disk would otherwise arrive as SIGBUS) and costs
 * only a minor page fault. An extent is mapped whole once its first frame
 * exists; {@link PageFile.frame} hands out only frames inside the file, so
 * no store reaches the mapped space past its end. Copies into frames happen
 * on the main thread; making them durable is one fdatasync of the file on
 * the thread pool (on Linux, fsync of a file writes back the pages dirtied
 * through its shared mappings).
 *
 * Format: docs/FORMAT.md, "Snapshot".
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { mmap } from '../mmap.js';
import { PAGE_SIZE } from '../../store/arena.js';

/** Page frames per mapped extent (64 MiB), and the most frames one growth of the file adds. */
export const FRAMES_PER_EXTENT = 64;
const EXTENT_BYTES = FRAMES_PER_EXTENT * PAGE_SIZE;
const ZEROS = Buffer.alloc(PAGE_SIZE);

/**
 * The frame count pages.dat grows to when `needed` frames must exist and it
 * holds `current`: doubling, at most {@link FRAMES_PER_EXTENT} more at a time.
 */
export function grownFrames(current: number, needed: number): number {
  return Math.max(needed, Math.min(Math.max(current * 2, 1), current + FRAMES_PER_EXTENT));
}

/** The page-frame file of a data directory, open for writing snapshots. */
export class PageFile {
  private readonly extents: Buffer[] = [];
  private growing: Promise<void> | null = null;
  /** Frames the file holds (its size in whole frames). */
  private frames = 0;

  private constructor(
    private readonly fh: FileHandle,
    /** Path of pages.dat. */
    readonly path: string,
  ) {}

  /**
   * Opens (creating if needed) the page-frame file and maps what it holds. A
   * partial last frame (a crash while growing) is completed with zeros.
   *
   * @throws NodeJS.ErrnoException when the file cannot be opened or mapped
   */
  static async open(path: string): Promise<PageFile> {
    const fh = await open(path, constants.O_RDWR | constants.O_CREAT, 0o644);
    const pf = new PageFile(fh, path);
    const size = (await fh.stat()).size;
    const frames = Math.ceil(size / PAGE_SIZE);
    if (frames * PAGE_SIZE > size) await pf.fillZeros(size, frames * PAGE_SIZE);
    pf.mapUpTo(frames);
    pf.frames = frames;
    return pf;
  }

  /** Page frames the file holds. */
  get frameCount(): number {
    return this.frames;
  }

  /** File size, bytes. */
  get bytes(): number {
    return this.frames * PAGE_SIZE;
  }

  /**
   * Makes sure at least `frames` page frames exist, growing the file
   * ({@link grownFrames}) with zeros written and synced on the thread pool.
   *
   * @throws NodeJS.ErrnoException (ENOSPC...) when the file cannot grow
   */
  async ensure(frames: number): Promise<void> {
    while (this.frames < frames) {
      if (this.growing === null) {
        const from = this.frames;
        const to = grownFrames(from, frames);
        this.growing = (async () => {
          try {
            await this.fillZeros(from * PAGE_SIZE, to * PAGE_SIZE);
            await this.fh.datasync();
            this.mapUpTo(to);
            this.frames = to;
          } finally {
            this.growing = null;
          }
        })();
      }
      await this.growing;
    }
  }

  /**
   * A writable view of page frame `i` (PAGE_SIZE bytes of the shared mapping).
   *
   * @throws RangeError when the frame is beyond the file ({@link ensure} first)
   */
  frame(i: number): Buffer {
    const ext = this.extents[Math.floor(i / FRAMES_PER_EXTENT)];
    if (i >= this.frames || ext === undefined) {
      throw new RangeError(`slot ${i} is beyond pages.dat (${this.frames} slots)`);
    }
    const off = (i % FRAMES_PER_EXTENT) * PAGE_SIZE;
    return ext.subarray(off, off + PAGE_SIZE);
  }

  /**
   * fdatasync on the thread pool: every copy made into the mapping so far is durable when it resolves.
   *
   * @throws NodeJS.ErrnoException (EIO...) when the kernel could not write the pages back
   */
  async sync(): Promise<void> {
    await this.fh.datasync();
  }

  /** Closes the file; mappings go when the garbage collector drops their buffers. */
  async close(): Promise<void> {
    await this.fh.close();
  }

  private async fillZeros(from: number, to: number): Promise<void> {
    for (let off = from; off < to; off += PAGE_SIZE) {
      const n = Math.min(PAGE_SIZE, to - off);
      let done = 0;
      while (done < n) done += (await this.fh.write(ZEROS, done, n - done, off + done)).bytesWritten;
    }
  }

  /** Maps every extent that frames below `frames` lie in (whole extents of address space). */
  private mapUpTo(frames: number): void {
    for (let i = this.extents.length; i * FRAMES_PER_EXTENT < frames; i++) {
      this.extents[i] = mmap.map(
        EXTENT_BYTES,
        3 /* PROT_READ | PROT_WRITE */,
        mmap.MAP_SHARED,
        this.fh.fd,
        i * EXTENT_BYTES,
      );
    }
  }
}

/**
 * Reads page frames of a pages.dat for loading or checking (no mapping, no
 * writes): the caller gets private copies it may keep as arena pages.
 */
export class PageFileReader {
  /** Private mappings of whole extents, made on first use. */
  private readonly extents = new Map<number, Buffer>();

  private constructor(
    private readonly fd: number,
    /** File size, bytes. */
    readonly bytes: number,
  ) {}

  /**
   * Opens pages.dat read-only.
   *
   * @throws NodeJS.ErrnoException (ENOENT when the file is gone)
   */
  static open(path: string): PageFileReader {
    const fd = openSync(path, 'r');
    return new PageFileReader(fd, fstatSync(fd).size);
  }

  /**
   * Reads a page spread over `frames` into a new buffer of `length` bytes,
   * of which the first `used` are read (PAGE_SIZE bytes from each frame, in order).
   *
   * @throws RangeError when a frame lies beyond the end of the file
   */
  read(frames: readonly number[], length: number, used: number): Buffer {
    const buf = Buffer.allocUnsafeSlow(length);
    let pos = 0;
    for (const s of frames) {
      if (pos >= used) break;
      const n = Math.min(PAGE_SIZE, used - pos);
      if ((s + 1) * PAGE_SIZE > this.bytes && s * PAGE_SIZE + n > this.bytes) {
        throw new RangeError(`slot ${s} lies beyond the end of pages.dat (${this.bytes} bytes)`);
      }
      let done = 0;
      while (done < n) {
        const r = readSync(this.fd, buf, pos + done, n - done, s * PAGE_SIZE + done);
        if (r === 0) throw new RangeError(`slot ${s} is cut short at the end of pages.dat`);
        done += r;
      }
      pos += n;
    }
    return buf;
  }

  /**
   * Page frame `s` as a page buffer without copying: a view of a private
   * (copy-on-write) mapping of pages.dat, so bytes are read from the page
   * cache only when touched and a write never reaches the file. The caller
   * must copy the page before it is first written (the arena does, see
   * {@link Arena.writable}), because until then the view shows the file, and
   * the frame must stay unwritten while the view is in use (a clean page keeps
   * its frame in every manifest).
   *
   * @returns the view, or null when the frame is not wholly inside the file
   */
  map(s: number): Buffer | null {
    if ((s + 1) * PAGE_SIZE > this.bytes) return null;
    const e = Math.floor(s / FRAMES_PER_EXTENT);
    let ext = this.extents.get(e);
    if (ext === undefined) {
      const len = Math.min(EXTENT_BYTES, this.bytes - e * EXTENT_BYTES);
      ext = mmap.map(len, 3 /* PROT_READ | PROT_WRITE */, mmap.MAP_PRIVATE, this.fd, e * EXTENT_BYTES);
      this.extents.set(e, ext);
    }
    const off = (s % FRAMES_PER_EXTENT) * PAGE_SIZE;
    return ext.subarray(off, off + PAGE_SIZE);
  }

  /** Closes the file; private mappings stay valid until their buffers are collected. */
  close(): void {
    closeSync(this.fd);
  }
}
