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
 * page's frozen contents first (copy-on-write, docs/ARCHITECTURE.md "Snapshots").
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
/**
 * Bytes of the fixed part of an entry header; the optional value-capacity and
 * expiry fields follow it when the entry's flags say so (docs/FORMAT.md,
 * "Arena entry").
 */
export const ENTRY_BASE = 12;
/** A page whose live bytes fall below this fraction of its used bytes is compacted. */
export const COMPACT_LIVE_RATIO = 0.5;

/** Entry value types, as stored in the header's first byte. */
export const enum EntryType {
  String = 1,
  /** A hash; the value is a collection image (docs/FORMAT.md, "Collection image"). */
  Hash = 2,
  /** A list; the value is a collection image. */
  List = 3,
  /** A set; the value is a collection image. */
  Set = 4,
  /** A sorted set; the value is a collection image. */
  ZSet = 5,
  /** A stream; the value is a collection image. */
  Stream = 6,
  /**
   * One chunk of a large collection's chunked image (docs/FORMAT.md,
   * "Chunked collection image"): not a key; the key is the collection's
   * handle and the chunk's number, and the database is always 0.
   */
  Chunk = 7,
}

/** Header flag: the entry was overwritten or deleted. */
export const FLAG_DEAD = 1;
/** Header flag: an 8-byte expiry field (absolute Unix ms, float64; 0 for none) follows the fixed header. */
export const FLAG_EXPIRE = 2;
/** Header flag: a 4-byte value-capacity field follows the fixed header (the value has room to grow). */
export const FLAG_CAP = 4;

/**
 * Values at least this long always carry an expiry field, so that setting a
 * TTL never has to copy them; smaller entries get the field only when they
 * have an expiry (8 bytes saved per key without TTL) and are rewritten on the
 * first EXPIRE.
 */
export const ALWAYS_EXPIRE_FIELD_BYTES = 1024;

// Header field offsets (docs/FORMAT.md, "Arena entry").
const H_TYPE = 0;
const H_FLAGS = 1;
const H_DB = 2;
const H_KEYLEN = 4;
const H_VALLEN = 8;
/** The first optional field: the capacity if FLAG_CAP, else the expiry. */
const H_OPT = 12;

/** Header bytes for the given flags. */
export function headerSize(flags: number): number {
  return ENTRY_BASE + (flags & FLAG_CAP ? 4 : 0) + (flags & FLAG_EXPIRE ? 8 : 0);
}

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

/** Bytes an entry with the given flags, key length and value capacity occupies. */
export function entrySize(flags: number, keyLen: number, valCap: number): number {
  return align8(headerSize(flags) + keyLen + valCap);
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
  /** Nonzero for pages that are still views of the snapshot file's private mapping (see {@link install}). */
  private mapped = new Uint8Array(64);
  /** The page appends go to; -1 when a new one is needed. */
  head = -1;
  /** The head as of the last alloc, to free it if it was left empty. */
  private prevHeadCheck = -1;
  private freeIds: number[] = [];

  /** Sum of page buffer sizes, bytes. */
  allocatedBytes = 0;
  /**
   * Bytes of live entries over all pages (the sum of {@link live}), kept as
   * a running total: the maxmemory check reads it before every write.
   */
  liveBytes = 0;
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
      this.liveBytes += size;
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
    this.liveBytes += size;
    this.dirty[id] = 1;
    return Arena.refOf(id, offset);
  }

  /**
   * The page holding the entry at `ref`, ready for that entry to be changed
   * in place: the page is marked dirty, and a snapshot in progress keeps its
   * frozen contents first. Fetch the page through this before every in-place
   * write, never before.
   */
  writable(ref: number): Buffer {
    const id = ref >>> OFFSET_BITS;
    if (this.mapped[id] !== 0) this.detach(id);
    if (this.frozenUsed[id]! > Arena.offsetOf(ref)) this.observer!.preserve(id, this.pages[id]!);
    this.dirty[id] = 1;
    return this.pages[id]!;
  }

  /**
   * Gives a page loaded as a view of the snapshot file a private copy, before
   * its first write: the view must never diverge from the part of the file
   * it maps, which every manifest keeps referencing while the page is clean.
   */
  private detach(id: number): void {
    const view = this.pages[id]!;
    const copy = Buffer.allocUnsafeSlow(view.length);
    view.copy(copy, 0, 0, this.used[id]);
    this.pages[id] = copy;
    this.mapped[id] = 0;
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
    this.liveBytes -= size;
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
      const size = Entry.size(page, off);
      if ((page[off + H_FLAGS]! & FLAG_DEAD) === 0) fn(Arena.refOf(id, off), size);
      off += size;
    }
  }

  /**
   * Installs a page read back from a snapshot, clean. Live bytes start at 0:
   * the caller counts them with {@link countLive} while it indexes entries,
   * then calls {@link finishInstall}.
   */
  install(id: number, buf: Buffer, used: number, mapped = false): void {
    this.ensureIds(id);
    this.pages[id] = buf;
    this.mapped[id] = mapped ? 1 : 0;
    this.used[id] = used;
    this.live[id] = 0;
    this.dirty[id] = 0;
    this.allocatedBytes += buf.length;
    this.pageCount++;
  }

  /** Adds `size` live bytes to page `id` (while installing). */
  countLive(id: number, size: number): void {
    this.live[id]! += size;
    this.liveBytes += size;
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
    // Appends write into the head without writable(): it must be a private copy.
    if (this.head >= 0 && this.mapped[this.head] !== 0) this.detach(this.head);
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
      const m = new Uint8Array(n);
      m.set(this.mapped);
      this.mapped = m;
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
    this.mapped[id] = 0;
    this.allocatedBytes -= buf.length;
    this.pageCount--;
    this.liveBytes -= this.live[id]!;
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
  flags: (p: Buffer, o: number): number => p[o + H_FLAGS]!,
  db: (p: Buffer, o: number): number => p[o + H_DB]! | (p[o + H_DB + 1]! << 8),
  keyLen: (p: Buffer, o: number): number => p.readUInt32LE(o + H_KEYLEN),
  valLen: (p: Buffer, o: number): number => p.readUInt32LE(o + H_VALLEN),
  /** Room for the value: the capacity field, or the value's length when there is none. */
  valCap: (p: Buffer, o: number): number =>
    p[o + H_FLAGS]! & FLAG_CAP ? p.readUInt32LE(o + H_OPT) : p.readUInt32LE(o + H_VALLEN),
  /** Absolute expiry, Unix ms; 0 for none. */
  expireAt: (p: Buffer, o: number): number => {
    const f = p[o + H_FLAGS]!;
    return f & FLAG_EXPIRE ? p.readDoubleLE(o + (f & FLAG_CAP ? H_OPT + 4 : H_OPT)) : 0;
  },
  hasExpireField: (p: Buffer, o: number): boolean => (p[o + H_FLAGS]! & FLAG_EXPIRE) !== 0,
  /** Offset of the key bytes. */
  keyStart: (p: Buffer, o: number): number => o + headerSize(p[o + H_FLAGS]!),
  /** Offset of the value bytes. */
  valueStart: (p: Buffer, o: number): number => o + headerSize(p[o + H_FLAGS]!) + p.readUInt32LE(o + H_KEYLEN),
  size: (p: Buffer, o: number): number => entrySize(p[o + H_FLAGS]!, p.readUInt32LE(o + H_KEYLEN), Entry.valCap(p, o)),
  /** Sets the expiry; the entry must have the field ({@link hasExpireField}). */
  setExpireAt: (p: Buffer, o: number, at: number): void => {
    p.writeDoubleLE(at, o + (p[o + H_FLAGS]! & FLAG_CAP ? H_OPT + 4 : H_OPT));
  },
  setValLen: (p: Buffer, o: number, n: number): void => {
    p.writeUInt32LE(n, o + H_VALLEN);
  },
  /** Sets the database the entry belongs to (SWAPDB's entries, renumbered before a snapshot). */
  setDb: (p: Buffer, o: number, db: number): void => {
    p[o + H_DB] = db & 0xff;
    p[o + H_DB + 1] = db >>> 8;
  },
  /**
   * Writes a complete header.
   *
   * @param flags FLAG_EXPIRE and FLAG_CAP as wanted (FLAG_CAP only when valCap > valLen)
   * @returns the header's size, bytes
   */
  write(
    p: Buffer,
    o: number,
    type: number,
    flags: number,
    db: number,
    keyLen: number,
    valLen: number,
    valCap: number,
    expireAt: number,
  ): number {
    p[o + H_TYPE] = type;
    p[o + H_FLAGS] = flags;
    p[o + H_DB] = db & 0xff;
    p[o + H_DB + 1] = db >>> 8;
    p.writeUInt32LE(keyLen, o + H_KEYLEN);
    p.writeUInt32LE(valLen, o + H_VALLEN);
    let at = o + H_OPT;
    if (flags & FLAG_CAP) {
      p.writeUInt32LE(valCap, at);
      at += 4;
    }
    if (flags & FLAG_EXPIRE) {
      p.writeDoubleLE(expireAt, at);
      at += 8;
    }
    return at - o;
  },
};

/** Entry types a page may hold (see {@link EntryType}). */
const KNOWN_TYPES = new Set<number>([
  EntryType.String,
  EntryType.Hash,
  EntryType.List,
  EntryType.Set,
  EntryType.ZSet,
  EntryType.Stream,
  EntryType.Chunk,
]);

/**
 * Checks the entries of a page read back from a snapshot: walking by entry
 * sizes must end exactly at `used`, every type must be known and every
 * database below `databases` (cache-dump snapshot verify).
 *
 * @returns the problems found, each with its byte offset; empty when sound
 */
export function checkPageEntries(page: Buffer, used: number, databases: number): string[] {
  const problems: string[] = [];
  let off = 0;
  while (off < used) {
    if (used - off < ENTRY_BASE) {
      problems.push(`offset ${off}: ${used - off} bytes left, an entry header needs ${ENTRY_BASE}`);
      break;
    }
    const type = Entry.type(page, off);
    const flags = Entry.flags(page, off);
    const size = Entry.size(page, off);
    if (!KNOWN_TYPES.has(type)) problems.push(`offset ${off}: unknown entry type ${type}`);
    if (flags & ~(FLAG_DEAD | FLAG_EXPIRE | FLAG_CAP)) problems.push(`offset ${off}: unknown flags ${flags}`);
    if (Entry.db(page, off) >= databases)
      problems.push(`offset ${off}: database ${Entry.db(page, off)} is not below ${databases}`);
    if (Entry.valCap(page, off) < Entry.valLen(page, off))
      problems.push(`offset ${off}: value length exceeds its capacity`);
    if (off + size > used) {
      problems.push(`offset ${off}: entry of ${size} bytes runs past the used ${used} bytes`);
      break;
    }
    if (problems.length > 0) break;
    off += size;
  }
  return problems;
}
