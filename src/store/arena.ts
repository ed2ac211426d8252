/**
 * The arena: every key and value lives in fixed-size pages outside the V8 heap
 * (`Buffer.allocUnsafeSlow`), so millions of entries cost the garbage
 * collector nothing to trace. Layout and the reasons for it: docs/ARCHITECTURE.md
 * ("Arena"); the entry header is also the snapshot's on-disk entry format,
 * docs/FORMAT.md ("Arena entry").
 *
 * Entries are appended to the head page. Overwriting or deleting one marks it
 * dead and counts its bytes as garbage in its page; a page whose live bytes
 * fall under {@link COMPACT_LIVE_RATIO} is compacted by the keyspace, a bounded
 * amount per turn. Every change marks its page dirty, which is what an
 * incremental snapshot copies.
 *
 * Every write to existing bytes of a page goes through {@link Arena.writable}
 * (or a page free), which is where a snapshot in progress gets to keep the
 * page's frozen image first (copy-on-write, docs/ARCHITECTURE.md "Snapshots").
 * Appends past a page's frozen length need no copy.
 */

/** Page size in bytes (1 MiB). Entries bigger than {@link LARGE_ENTRY_BYTES} get a large page of their own. */
export const PAGE_SIZE = 1 << 20;
/**
 * Entries above this many bytes get a large page of their own, sized
 * exactly; smaller ones share pages. Half a page bounds the unused tail of a
 * shared page, and keeps the page ids (2^15 of them) for real pages.
 */
export const LARGE_ENTRY_BYTES = PAGE_SIZE >>> 1;
/** Size of an entry header in bytes. */
export const ENTRY_HEADER = 24;
/** A page whose live bytes fall below this fraction of its used bytes is compacted. */
export const COMPACT_LIVE_RATIO = 0.5;

/** Entry value types, as stored in the header's first byte. */
export const enum EntryType {
  String = 1,
}

/** Header flag: the entry was overwritten or deleted. */
export const FLAG_DEAD = 1;

// Header field offsets (docs/FORMAT.md, "Arena entry").
const H_TYPE = 0;
const H_FLAGS = 1;
const H_DB = 2;
const H_KEYLEN = 4;
const H_VALLEN = 8;
const H_VALCAP = 12;
const H_EXPIRE = 16;

/** Bits of a reference that hold the page offset divided by 8 (1 MiB / 8 = 2^17). */
const OFFSET_BITS = 17;
const OFFSET_MASK = (1 << OFFSET_BITS) - 1;
/** Highest page id a 32-bit reference can name (2^15 pages of 1 MiB = 32 GiB). */
export const MAX_PAGES = 1 << (32 - OFFSET_BITS);

/** Told before frozen bytes of a page change (see {@link Arena.frozenUsed}). */
export interface PageWriteObserver {
  /**
   * Keeps what the snapshot needs of page `id` (its first `frozenUsed[id]`
   * bytes) before they change or the page is freed. Must clear
   * `frozenUsed[id]`.
   */
  preserve(id: number, page: Buffer): void;
}

/** Rounds `n` up to a multiple of 8. */
export function align8(n: number): number {
  return (n + 7) & ~7;
}

/** Bytes an entry with the given key length and value capacity occupies. */
export function entrySize(keyLen: number, valCap: number): number {
  return align8(ENTRY_HEADER + keyLen + valCap);
}

/**
 * Page store with per-page accounting. A reference (`ref`) is an unsigned
 * 32-bit number: `pageId << 17 | offset >> 3`.
 */
export class Arena {
  /** Page buffers by id; `undefined` marks a free id. */
  readonly pages: (Buffer | undefined)[] = [];
  /** Bytes appended to each page, live or dead. */
  readonly used: number[] = [];
  /** Bytes of live entries in each page. */
  readonly live: number[] = [];
  /** Nonzero for pages changed since the last snapshot took them. */
  dirty = new Uint8Array(64);
  /**
   * Per page, how many leading bytes a snapshot in progress still needs
   * unchanged (0: none). Set by the snapshot when it freezes a page, cleared
   * once it has copied or preserved it.
   */
  frozenUsed = new Int32Array(64);
  /** The snapshot in progress, if any. */
  observer: PageWriteObserver | null = null;
  /** The page appends go to; -1 when a new one is needed. */
  head = -1;
  /** The head as of the last alloc, to free it if it was left empty. */
  private prevHeadCheck = -1;
  private freeIds: number[] = [];

  /** Sum of page buffer sizes, bytes. */
  allocatedBytes = 0;
  /** Number of pages in use. */
  pageCount = 0;

  /** Page id of a reference. */
  static pageOf(ref: number): number {
    return ref >>> OFFSET_BITS;
  }

  /** Byte offset of a reference within its page. */
  static offsetOf(ref: number): number {
    return (ref & OFFSET_MASK) << 3;
  }

  /** The reference of an entry at `offset` in page `page`. */
  static refOf(page: number, offset: number): number {
    return ((page << OFFSET_BITS) | (offset >>> 3)) >>> 0;
  }

  /**
   * Reserves `size` bytes (a multiple of 8) for a new entry and returns its
   * reference. The caller writes the entry at once.
   *
   * @throws RangeError when the arena already holds {@link MAX_PAGES} pages
   */
  alloc(size: number): number {
    if (size > LARGE_ENTRY_BYTES) {
      const id = this.newPage(size);
      this.used[id] = size;
      this.live[id] = size;
      return Arena.refOf(id, 0);
    }
    let id = this.head;
    if (id < 0 || this.used[id]! + size > PAGE_SIZE) {
      id = this.newPage(PAGE_SIZE);
      this.head = id;
      // The page appends leave may already hold nothing live: free it now,
      // since release() spares the head.
      const old = this.prevHeadCheck;
      if (old >= 0 && old !== id && this.pages[old] !== undefined && this.live[old] === 0) this.freePage(old);
    }
    this.prevHeadCheck = id;
    const offset = this.used[id]!;
    this.used[id] = offset + size;
    this.live[id]! += size;
    this.dirty[id] = 1;
    return Arena.refOf(id, offset);
  }

  /**
   * The page holding the entry at `ref`, ready for that entry to be changed
   * in place: the page is marked dirty, and a snapshot in progress keeps its
   * frozen image first. Fetch the page through this before every in-place
   * write, never before.
   */
  writable(ref: number): Buffer {
    const id = ref >>> OFFSET_BITS;
    if (this.frozenUsed[id]! > Arena.offsetOf(ref)) this.observer!.preserve(id, this.pages[id]!);
    this.dirty[id] = 1;
    return this.pages[id]!;
  }

  /** Frees page `id` when nothing in it is live (compaction of an emptied page). */
  freeIfEmpty(id: number): void {
    if (this.pages[id] !== undefined && this.live[id] === 0 && id !== this.head) this.freePage(id);
  }

  /** Marks the entry at `ref` (of `size` bytes) dead and releases its page when nothing live is left. */
  release(ref: number, size: number): void {
    const id = ref >>> OFFSET_BITS;
    const page = this.writable(ref);
    page[Arena.offsetOf(ref) + H_FLAGS]! |= FLAG_DEAD;
    const live = (this.live[id]! -= size);
    if (live === 0 && id !== this.head) this.freePage(id);
  }

  /** Drops every page (FLUSHALL). */
  clear(): void {
    for (let id = 0; id < this.pages.length; id++) if (this.pages[id] !== undefined) this.freePage(id);
    this.head = -1;
  }

  /** Bytes held by dead entries and unused page tails in shared pages. */
  get garbageBytes(): number {
    let g = 0;
    for (let id = 0; id < this.pages.length; id++) {
      const p = this.pages[id];
      if (p !== undefined) g += p.length - this.live[id]!;
    }
    return g;
  }

  /** Bytes of live entries. */
  get liveBytes(): number {
    let l = 0;
    for (let id = 0; id < this.pages.length; id++) if (this.pages[id] !== undefined) l += this.live[id]!;
    return l;
  }

  /**
   * The id of a page worth compacting (nothing live, or live bytes under
   * {@link COMPACT_LIVE_RATIO} of a full page; not the head, not a large
   * page), starting the search at `from`; -1 when there is none.
   */
  compactionCandidate(from: number): number {
    const n = this.pages.length;
    for (let k = 0; k < n; k++) {
      const id = (from + k) % n;
      const p = this.pages[id];
      if (p === undefined || id === this.head || p.length !== PAGE_SIZE) continue;
      if (this.live[id] === 0) return id;
      if (this.live[id]! < PAGE_SIZE * COMPACT_LIVE_RATIO && this.used[id]! >= PAGE_SIZE >>> 1) return id;
    }
    return -1;
  }

  /**
   * Calls `fn(ref, size)` for each live entry of page `id`, in page order.
   * The callback may release the entry it is given.
   */
  forEachLive(id: number, fn: (ref: number, size: number) => void): void {
    const page = this.pages[id];
    if (page === undefined) return;
    const used = this.used[id]!;
    let off = 0;
    while (off < used) {
      const size = entrySize(page.readUInt32LE(off + H_KEYLEN), page.readUInt32LE(off + H_VALCAP));
      if ((page[off + H_FLAGS]! & FLAG_DEAD) === 0) fn(Arena.refOf(id, off), size);
      off += size;
    }
  }

  /**
   * Installs a page read back from a snapshot, clean. Live bytes start at 0:
   * the caller counts them with {@link countLive} while it indexes entries,
   * then calls {@link finishInstall}.
   */
  install(id: number, buf: Buffer, used: number): void {
    this.ensureIds(id);
    this.pages[id] = buf;
    this.used[id] = used;
    this.live[id] = 0;
    this.dirty[id] = 0;
    this.allocatedBytes += buf.length;
    this.pageCount++;
  }

  /** Adds `size` live bytes to page `id` (while installing). */
  countLive(id: number, size: number): void {
    this.live[id]! += size;
  }

  /**
   * Ends an install: ids in between become free, pages with nothing live are
   * freed (and so dropped from the next snapshot), appends resume on `head`.
   */
  finishInstall(head: number): void {
    this.freeIds = [];
    for (let id = this.pages.length - 1; id >= 0; id--) {
      if (this.pages[id] === undefined) {
        this.used[id] = 0;
        this.live[id] = 0;
        this.freeIds.push(id);
      }
    }
    for (let id = 0; id < this.pages.length; id++) {
      if (this.pages[id] !== undefined && this.live[id] === 0) this.freePage(id);
    }
    const h = this.pages[head];
    this.head = h !== undefined && h.length === PAGE_SIZE ? head : -1;
  }

  private ensureIds(id: number): void {
    if (id >= MAX_PAGES) throw new RangeError(`arena is full: ${MAX_PAGES} pages`);
    while (this.pages.length <= id) {
      this.pages.push(undefined);
      this.used.push(0);
      this.live.push(0);
    }
    if (id >= this.dirty.length) {
      const n = Math.max(this.dirty.length * 2, id + 1);
      const d = new Uint8Array(n);
      d.set(this.dirty);
      this.dirty = d;
      const f = new Int32Array(n);
      f.set(this.frozenUsed);
      this.frozenUsed = f;
    }
  }

  private newPage(bytes: number): number {
    const id = this.freeIds.length > 0 ? this.freeIds.pop()! : this.pages.length;
    this.ensureIds(id);
    // A freed page's buffer is never reused: a value view taken before the
    // free stays readable until the garbage collector drops it.
    const buf = Buffer.allocUnsafeSlow(bytes);
    this.pages[id] = buf;
    this.used[id] = 0;
    this.live[id] = 0;
    this.dirty[id] = 1;
    this.allocatedBytes += buf.length;
    this.pageCount++;
    return id;
  }

  private freePage(id: number): void {
    const buf = this.pages[id]!;
    if (this.frozenUsed[id]! > 0) this.observer!.preserve(id, buf);
    this.pages[id] = undefined;
    this.allocatedBytes -= buf.length;
    this.pageCount--;
    this.used[id] = 0;
    this.live[id] = 0;
    this.dirty[id] = 1;
    this.freeIds.push(id);
    if (id === this.head) this.head = -1;
  }
}

/** Reads and writes entry headers; every accessor takes the page and the entry's byte offset. */
export const Entry = {
  type: (p: Buffer, o: number): number => p[o + H_TYPE]!,
  db: (p: Buffer, o: number): number => p.readUInt16LE(o + H_DB),
  keyLen: (p: Buffer, o: number): number => p.readUInt32LE(o + H_KEYLEN),
  valLen: (p: Buffer, o: number): number => p.readUInt32LE(o + H_VALLEN),
  valCap: (p: Buffer, o: number): number => p.readUInt32LE(o + H_VALCAP),
  expireAt: (p: Buffer, o: number): number => p.readDoubleLE(o + H_EXPIRE),
  size: (p: Buffer, o: number): number => entrySize(p.readUInt32LE(o + H_KEYLEN), p.readUInt32LE(o + H_VALCAP)),
  setExpireAt: (p: Buffer, o: number, at: number): void => {
    p.writeDoubleLE(at, o + H_EXPIRE);
  },
  setValLen: (p: Buffer, o: number, n: number): void => {
    p.writeUInt32LE(n, o + H_VALLEN);
  },
  /** Writes a complete header. */
  write(p: Buffer, o: number, type: number, db: number, keyLen: number, valLen: number, valCap: number, expireAt: number): void {
    p[o + H_TYPE] = type;
    p[o + H_FLAGS] = 0;
    p.writeUInt16LE(db, o + H_DB);
    p.writeUInt32LE(keyLen, o + H_KEYLEN);
    p.writeUInt32LE(valLen, o + H_VALLEN);
    p.writeUInt32LE(valCap, o + H_VALCAP);
    p.writeDoubleLE(expireAt, o + H_EXPIRE);
  },
};
