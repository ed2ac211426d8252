/**
 * The index table of one database: an open-addressing hash table with linear
 * probing in one Uint32Array, from key bytes to arena references, after
 * Redis's dict.c where it applies: tombstones for deletions, incremental
 * rehashing when it resizes, SCAN's reverse-binary cursor, sampling for
 * eviction and random slots. Keys are compared in the arena; the table
 * stores only their hashes. docs/ARCHITECTURE.md ("Index") has the layout
 * and its figures.
 *
 * Slot numbers are valid until the next insertion into the same table (which
 * may resize it); deletions leave tombstones and never move a slot.
 */
import { Arena, Entry } from './arena.js';
import { globMatch, matchesAll } from './glob.js';
import { murmur3 } from './hash.js';

/**
 * Index slot layout: two 32-bit words per slot in one Uint32Array, so that a
 * probe touches one cache line. Word 0 is {@link SlotWord.Empty},
 * {@link SlotWord.Tombstone} (deleted), or `hash31 << 1 | volatile`, where
 * hash31 is a nonzero 31-bit hash and the low bit ({@link VOLATILE_BIT})
 * says the entry has an expiry (so the expiry sweep need not read the arena).
 * Word 1 is the arena reference.
 */
export const enum SlotWord {
  /** Never used since the table was made: a probe stops here. */
  Empty = 0,
  /** Deleted: a probe passes through, an insert may reuse it. */
  Tombstone = 1,
}

/** In a live slot's word (above {@link SlotWord.Tombstone}): the entry has an expiry. */
export const VOLATILE_BIT = 1;

/** Slots of a new or emptied table. */
const MIN_CAPACITY = 16;
/** Rehash when live plus deleted slots pass this share of the table. */
const MAX_FILL = 0.7;
/** Old slots moved per insert while a resize drains (Redis moves a bucket per operation). */
const REHASH_PER_INSERT = 128;

/**
 * What an index table needs from the keyspace that owns it (Keyspace
 * implements it; declared here so that the table does not import the
 * keyspace).
 */
export interface IndexHost {
  /** The arena the slots' references point into. */
  readonly arena: Arena;
  /** Hash seed for murmur3. */
  readonly seed: number;
  /** Tables up to this many slots resize at once; larger ones drain incrementally. */
  readonly syncResizeSlots: number;
  /** The access word of a key inserted now (src/store/access.ts). */
  newAccessWord(): number;
}

/**
 * Told of the keys a database gains (cluster mode's index of the keys of
 * each hash slot, src/cluster/slotkeys.ts, sets one on database 0; null
 * elsewhere, which costs a null check per insertion).
 */
export interface KeyWatcher {
  /**
   * `key` was just indexed as a new key (SET of a missing key, RESTORE, a
   * RENAME/MOVE/COPY target, replication, WAL replay...). `key` is the
   * caller's buffer: copy what is kept. Must not change the database.
   */
  inserted(key: Uint8Array): void;
  /** The keys were replaced wholesale (FLUSHALL/FLUSHDB, SWAPDB, a snapshot loaded or adopted). */
  replaced(): void;
}

/**
 * A database's index table as saved beside a snapshot at a clean shutdown
 * (src/persistence/indexfile.ts; docs/FORMAT.md, "Index file").
 */
export interface SavedIndex {
  /** Slots, a power of two. */
  capacity: number;
  /** Live keys. */
  size: number;
  /** Live keys with an expiry. */
  volatileCount: number;
  /** Deleted slots. */
  tombstones: number;
  /** `capacity` slots of two words (see {@link SlotWord}). */
  slots: Uint32Array<ArrayBuffer>;
}

/** What one SCAN step returns. */
export interface ScanResult {
  /** Cursor to pass next; 0 when the iteration is complete. */
  cursor: number;
  /** Keys visited that passed the filter (views into the arena, valid until the next mutation). */
  keys: Buffer[];
}

/**
 * The index table, with an access word per slot beside it
 * (src/store/access.ts). Abstract: the only instances are databases (`Db`,
 * src/store/db.ts), so that V8 sees one class on these paths.
 *
 * @typeParam H what the subclass needs from the keyspace, at least {@link IndexHost}
 */
export abstract class IndexTable<H extends IndexHost = IndexHost> {
  /** Live keys. */
  size = 0;
  /** Live keys with an expiry time. */
  volatileCount = 0;
  protected cap = MIN_CAPACITY;
  protected mask = MIN_CAPACITY - 1;
  private tombstones = 0;
  /** `cap` slots of two words each (see {@link SlotWord}). */
  protected slots: Uint32Array<ArrayBuffer> = new Uint32Array(MIN_CAPACITY * 2);
  /**
   * Per slot, the key's access word (LRU clock, LFU counter or insertion
   * time; src/store/access.ts). Kept apart from the slots, whose layout is
   * saved with snapshots, and from the arena, so that a read changes no page.
   */
  protected meta: Uint32Array<ArrayBuffer> = new Uint32Array(MIN_CAPACITY);
  /**
   * The table being drained by an incremental resize, or null. Entries move
   * from it to {@link slots} a few at a time on every insert, on the server
   * cron, and whenever a lookup finds one there (see {@link resize}).
   */
  private old: Uint32Array<ArrayBuffer> | null = null;
  /** The access words of {@link old}. */
  private oldMeta: Uint32Array<ArrayBuffer> | null = null;
  private oldCap = 0;
  private oldMask = 0;
  /** Entries still in the old table. */
  private oldLive = 0;
  /** Next old slot to move (dict.c `rehashidx`). */
  private rehashIdx = 0;
  /** Where the active expiry sweep (`Db.sweepExpired`) resumes; back to 0 whenever the table is replaced. */
  protected sweepCursor = 0;
  /**
   * Average remaining TTL of the keys with an expiry, ms, as Redis estimates
   * it from the keys its active expiry cycle looks at (INFO keyspace
   * `avg_ttl`); 0 when unknown or when no key has an expiry.
   */
  avgTtl = 0;
  /** Told of every new key and of wholesale replacement; null unless cluster mode watches database 0. */
  keyWatcher: KeyWatcher | null = null;

  constructor(protected readonly ks: H) {}

  /**
   * Bytes of this database's index arrays (slots and access words), as
   * maxmemory counts them: the larger table only while a resize drains. The
   * other is garbage within seconds, and counting it made eviction remove
   * a table's worth of keys for memory that was about to be freed.
   */
  get indexBytes(): number {
    return Math.max(this.cap, this.oldCap) * 12;
  }

  /** Slots in the index (a power of two). */
  get capacity(): number {
    return this.cap;
  }

  /** The 31-bit, nonzero hash of `key`; its slot word is `hash << 1 | volatile`. */
  private hashOf(key: Uint8Array): number {
    return murmur3(key, 0, key.length, this.ks.seed) >>> 1 || 1;
  }

  /** The arena reference at `slot`. */
  protected ref(slot: number): number {
    return this.slots[slot * 2 + 1]!;
  }

  /** The key bytes of the entry at arena reference `ref` (a view). */
  protected keyAt(ref: number): Buffer {
    const page = this.ks.arena.pages[Arena.pageOf(ref)]!;
    const off = Arena.offsetOf(ref);
    const start = Entry.keyStart(page, off);
    return page.subarray(start, start + Entry.keyLen(page, off));
  }

  /**
   * Whether the key at `slot` has an expiry (read from the index, not the
   * arena; the volatile-* policies consider only these).
   */
  isVolatile(slot: number): boolean {
    return (this.slots[slot * 2]! & VOLATILE_BIT) !== 0;
  }

  private keyEquals(ref: number, key: Uint8Array): boolean {
    const page = this.ks.arena.pages[Arena.pageOf(ref)]!;
    const off = Arena.offsetOf(ref);
    const n = key.length;
    if (Entry.keyLen(page, off) !== n) return false;
    const base = Entry.keyStart(page, off);
    if (n > 32) return page.compare(key, 0, n, base, base + n) === 0;
    for (let i = 0; i < n; i++) if (page[base + i] !== key[i]) return false;
    return true;
  }

  /** The slot holding `key`, ignoring expiry; -1 when absent. */
  findSlot(key: Uint8Array): number {
    const h = this.hashOf(key);
    const slots = this.slots;
    const mask = this.mask;
    let i = h & mask;
    for (;;) {
      const w = slots[i * 2]!;
      if (w === SlotWord.Empty) break;
      if (w >>> 1 === h && this.keyEquals(slots[i * 2 + 1]!, key)) return i;
      i = (i + 1) & mask;
    }
    return this.old === null ? -1 : this.findOld(key, h);
  }

  /** Looks `key` up in the table being drained; a hit moves to the new table. */
  private findOld(key: Uint8Array, h: number): number {
    const old = this.old!;
    const mask = this.oldMask;
    let j = h & mask;
    for (;;) {
      const w = old[j * 2]!;
      if (w === SlotWord.Empty) return -1;
      if (w >>> 1 === h && this.keyEquals(old[j * 2 + 1]!, key)) return this.promote(j);
      j = (j + 1) & mask;
    }
  }

  /** Moves old slot `j` into the new table; returns its new slot. */
  private promote(j: number): number {
    const old = this.old!;
    const i = this.placeRaw(old[j * 2]!, old[j * 2 + 1]!, this.oldMeta![j]!);
    // A tombstone, not empty: other entries' probe runs pass through here.
    old[j * 2] = SlotWord.Tombstone;
    if (--this.oldLive === 0) this.dropOld();
    return i;
  }

  /** Puts a slot word, reference and access word into the first free slot of its run; counters unchanged. */
  private placeRaw(w: number, ref: number, m: number): number {
    const slots = this.slots;
    const mask = this.mask;
    let i = (w >>> 1) & mask;
    while (slots[i * 2]! > SlotWord.Tombstone) i = (i + 1) & mask;
    if (slots[i * 2] === SlotWord.Tombstone) this.tombstones--;
    slots[i * 2] = w;
    slots[i * 2 + 1] = ref;
    this.meta[i] = m;
    return i;
  }

  /**
   * One step of an incremental resize: moves up to `n` old slots into the
   * new table (dict.c `dictRehash`).
   *
   * @returns whether a resize is still draining
   */
  rehash(n: number): boolean {
    const old = this.old;
    if (old === null) return false;
    const end = Math.min(this.oldCap, this.rehashIdx + n);
    for (let j = this.rehashIdx; j < end; j++) {
      const w = old[j * 2]!;
      if (w > SlotWord.Tombstone) {
        this.placeRaw(w, old[j * 2 + 1]!, this.oldMeta![j]!);
        old[j * 2] = SlotWord.Tombstone;
        this.oldLive--;
      }
    }
    this.rehashIdx = end;
    if (end >= this.oldCap || this.oldLive === 0) this.dropOld();
    return this.old !== null;
  }

  /** Finishes a resize at once (before whole-table walks: KEYS, FLUSHDB, saving the index). */
  protected completeResize(): void {
    while (this.rehash(1 << 16));
  }

  private dropOld(): void {
    this.old = null;
    this.oldMeta = null;
    this.oldCap = 0;
    this.oldMask = 0;
    this.oldLive = 0;
    this.rehashIdx = 0;
  }

  /** The access word of the key at `slot` (src/store/access.ts). */
  accessWord(slot: number): number {
    return this.meta[slot]!;
  }

  /** Sets the access word of the key at `slot` (RESTORE's IDLETIME or FREQ; src/store/access.ts says what it means). */
  setAccessWord(slot: number, word: number): void {
    this.meta[slot] = word;
  }

  /** Sets every key's access word to `word` (the eviction policy changed what the words mean). */
  resetAccessWords(word: number): void {
    this.meta.fill(word);
    this.oldMeta?.fill(word);
  }

  /**
   * The slot holding arena reference `ref` under index hash `h` (as
   * {@link sampleInto} reported them), or -1 when that entry is no longer
   * in the index (deleted, or rewritten elsewhere). A probe without reading
   * the key: the eviction pool keeps no key bytes.
   */
  slotOfHashRef(h: number, ref: number): number {
    const slots = this.slots;
    const mask = this.mask;
    let i = h & mask;
    for (;;) {
      const w = slots[i * 2]!;
      if (w === SlotWord.Empty) break;
      if (w >>> 1 === h && slots[i * 2 + 1] === ref) return i;
      i = (i + 1) & mask;
    }
    const old = this.old;
    if (old === null) return -1;
    let j = h & this.oldMask;
    for (;;) {
      const w = old[j * 2]!;
      if (w === SlotWord.Empty) return -1;
      if (w >>> 1 === h && old[j * 2 + 1] === ref) return this.promote(j);
      j = (j + 1) & this.oldMask;
    }
  }

  /**
   * Copies up to `count` live entries (with an expiry, if `volatileOnly`)
   * into `refs`, their access words into `words` and their index hashes into
   * `hashes`: a run of consecutive slots from a random one, as Redis's
   * `dictGetSomeKeys` samples for eviction. The walk is bounded to about
   * twice the slots that hold `count` such keys on average, and to one pass
   * of the table.
   *
   * @param refs out: arena references (reused between calls: entries past the count returned are stale)
   * @param words out: access words
   * @param hashes out: 31-bit index hashes
   * @returns how many were found
   */
  sampleInto(count: number, volatileOnly: boolean, refs: number[], words: number[], hashes: number[]): number {
    const want = volatileOnly ? this.volatileCount : this.size;
    if (want === 0) return 0;
    if (this.old !== null) this.rehash(REHASH_PER_INSERT * 8);
    let n = 0;
    if (this.old !== null) {
      const oldWant = Math.max(1, Math.round((this.oldLive / this.size) * want));
      n = this.sampleRun(this.old, this.oldMeta!, this.oldCap, oldWant, count, n, volatileOnly, refs, words, hashes);
    }
    n = this.sampleRun(this.slots, this.meta, this.cap, want, count, n, volatileOnly, refs, words, hashes);
    // An unlucky run found none although some exist: a whole pass finds one.
    if (n === 0) {
      if (this.old !== null) {
        const pass = 1 / this.oldCap;
        n = this.sampleRun(this.old, this.oldMeta!, this.oldCap, pass, count, n, volatileOnly, refs, words, hashes);
      }
      n = this.sampleRun(this.slots, this.meta, this.cap, 1 / this.cap, count, n, volatileOnly, refs, words, hashes);
    }
    return n;
  }

  /**
   * One run of {@link sampleInto} over `table` (of `cap` slots, about
   * `live` of them candidates), filling the outputs from index `n` up to
   * `count`.
   *
   * @returns the new number of entries in the outputs
   */
  private sampleRun(
    table: Uint32Array,
    meta: Uint32Array,
    cap: number,
    live: number,
    count: number,
    n: number,
    volatileOnly: boolean,
    refs: number[],
    words: number[],
    hashes: number[],
  ): number {
    const mask = cap - 1;
    const steps = Math.min(cap, Math.ceil((2 * (count - n) * cap) / live) + count);
    let i = (Math.random() * cap) & mask;
    for (let s = 0; s < steps && n < count; s++) {
      const w = table[i * 2]!;
      if (w > SlotWord.Tombstone && (!volatileOnly || (w & VOLATILE_BIT) !== 0)) {
        refs[n] = table[i * 2 + 1]!;
        words[n] = meta[i]!;
        hashes[n] = w >>> 1;
        n++;
      }
      i = (i + 1) & mask;
    }
    return n;
  }

  /**
   * Indexes `key`, known to be absent, at arena reference `ref`: grows the
   * table first when it would pass {@link MAX_FILL}, else moves one step of a
   * resize in progress.
   *
   * @param expireAt the entry's expiry, absolute Unix ms, or 0 for none
   * @returns the new key's slot
   */
  protected insert(key: Uint8Array, ref: number, expireAt: number): number {
    if (this.size + this.tombstones + 1 > this.cap * MAX_FILL) this.resize(this.size + 1);
    else if (this.old !== null) this.rehash(REHASH_PER_INSERT);
    const slot = this.place(this.hashOf(key), ref, expireAt > 0);
    if (this.keyWatcher !== null) this.keyWatcher.inserted(key);
    return slot;
  }

  /** Puts an entry known to be absent into the first free slot of its probe run. */
  private place(h: number, ref: number, volatile: boolean): number {
    const slots = this.slots;
    const mask = this.mask;
    let i = h & mask;
    while (slots[i * 2]! > SlotWord.Tombstone) i = (i + 1) & mask;
    if (slots[i * 2] === SlotWord.Tombstone) this.tombstones--;
    slots[i * 2] = ((h << 1) | (volatile ? VOLATILE_BIT : 0)) >>> 0;
    slots[i * 2 + 1] = ref;
    this.meta[i] = this.ks.newAccessWord();
    if (volatile) this.volatileCount++;
    this.size++;
    return i;
  }

  /** Grows the index to hold `n` keys without a resize. */
  reserve(n: number): void {
    if (n > this.cap * MAX_FILL) this.resize(n);
    this.completeResize();
  }

  /**
   * Indexes an entry while a snapshot is being installed: keys are known to
   * be unique, so no lookup.
   *
   * @param h the key's 31-bit index hash
   * @param ref its arena reference
   * @param volatile whether it has an expiry
   */
  insertLoaded(h: number, ref: number, volatile: boolean): void {
    if (this.keyWatcher !== null) this.keyWatcher.replaced();
    this.place(h, ref, volatile);
  }

  /** The index as it stands, for saving beside a snapshot (no copy: save it before the next change). */
  indexForSave(): SavedIndex {
    this.completeResize();
    const { cap: capacity, size, volatileCount, tombstones, slots } = this;
    return { capacity, size, volatileCount, tombstones, slots };
  }

  /**
   * Takes over an index saved beside the snapshot being installed (its
   * `slots` array, not a copy); every key starts with a new access word.
   */
  adopt(saved: SavedIndex): void {
    if (this.keyWatcher !== null) this.keyWatcher.replaced();
    this.dropOld();
    this.cap = saved.capacity;
    this.mask = saved.capacity - 1;
    this.slots = saved.slots;
    this.meta = new Uint32Array(saved.capacity).fill(this.ks.newAccessWord());
    this.size = saved.size;
    this.volatileCount = saved.volatileCount;
    this.tombstones = saved.tombstones;
    this.sweepCursor = 0;
  }

  /** Empties `slot`, leaving a tombstone (other entries' probe runs pass through it), and updates the counts. */
  protected vacate(slot: number): void {
    if (this.isVolatile(slot)) this.volatileCount--;
    this.slots[slot * 2] = SlotWord.Tombstone;
    this.tombstones++;
    this.size--;
  }

  /**
   * Exchanges this table's entries with `other`'s (SWAPDB): slots, access
   * words, counts, a resize in progress and the expiry sweep's cursor. No
   * entry moves.
   */
  swapTable(other: IndexTable<H>): void {
    const b = other;
    this.keyWatcher?.replaced();
    b.keyWatcher?.replaced();
    [this.size, b.size] = [b.size, this.size];
    [this.volatileCount, b.volatileCount] = [b.volatileCount, this.volatileCount];
    [this.cap, b.cap] = [b.cap, this.cap];
    [this.mask, b.mask] = [b.mask, this.mask];
    [this.tombstones, b.tombstones] = [b.tombstones, this.tombstones];
    [this.slots, b.slots] = [b.slots, this.slots];
    [this.meta, b.meta] = [b.meta, this.meta];
    [this.old, b.old] = [b.old, this.old];
    [this.oldMeta, b.oldMeta] = [b.oldMeta, this.oldMeta];
    [this.oldCap, b.oldCap] = [b.oldCap, this.oldCap];
    [this.oldMask, b.oldMask] = [b.oldMask, this.oldMask];
    [this.oldLive, b.oldLive] = [b.oldLive, this.oldLive];
    [this.rehashIdx, b.rehashIdx] = [b.rehashIdx, this.rehashIdx];
    [this.sweepCursor, b.sweepCursor] = [b.sweepCursor, this.sweepCursor];
  }

  /** Forgets every key without releasing arena entries (the arena is being cleared too). */
  resetIndex(capacity = MIN_CAPACITY): void {
    this.keyWatcher?.replaced();
    this.cap = capacity;
    this.mask = capacity - 1;
    this.slots = new Uint32Array(capacity * 2);
    this.meta = new Uint32Array(capacity);
    this.dropOld();
    this.size = 0;
    this.tombstones = 0;
    this.volatileCount = 0;
    this.sweepCursor = 0;
  }

  /**
   * Resizes the index to the smallest power of two that holds `need` keys
   * under {@link MAX_FILL}, incrementally as Redis does: the current table
   * becomes the old one and drains into the new one a few slots at a time,
   * so no single command pays for moving millions of entries. A small table,
   * or one resized again before it finished draining, moves at once.
   */
  private resize(need: number): void {
    let cap = MIN_CAPACITY;
    while (cap * MAX_FILL < need && cap < 2 ** 30) cap *= 2;
    this.completeResize();
    const current = this.slots;
    const currentMeta = this.meta;
    const currentCap = this.cap;
    this.cap = cap;
    this.mask = cap - 1;
    this.slots = new Uint32Array(cap * 2);
    this.meta = new Uint32Array(cap);
    this.tombstones = 0;
    this.sweepCursor = 0;
    if (this.size === 0) return;
    this.old = current;
    this.oldMeta = currentMeta;
    this.oldCap = currentCap;
    this.oldMask = currentCap - 1;
    this.oldLive = this.size;
    this.rehashIdx = 0;
    if (currentCap <= this.ks.syncResizeSlots) this.completeResize();
    else this.rehash(REHASH_PER_INSERT);
  }

  /** Shrinks a mostly empty index (Redis: `tryResizeHashTables`); called from the server's cron, never mid-command. */
  maybeShrink(): void {
    if (this.old !== null) return;
    if (this.cap > MIN_CAPACITY && (this.size < this.cap / 8 || this.tombstones > this.cap / 4)) this.resize(this.size);
  }

  /**
   * One SCAN step: visits home buckets in reverse-binary cursor order (as
   * Redis's `dictScan` does) until at least `count` keys were seen or the
   * iteration ends. A key present for the whole iteration is returned at least
   * once, across any resize; a key may be returned twice.
   *
   * Reference: https://redis.io/docs/latest/commands/scan/
   *
   * @param cursor 0 to start, then the cursor returned by the previous call
   * @param count approximate number of keys to visit
   * @param match glob to filter keys, or null
   */
  scan(cursor: number, count: number, match: Uint8Array | null): ScanResult {
    const keys: Buffer[] = [];
    const filter = match !== null && !matchesAll(match) ? match : null;
    let c = cursor >>> 0;
    if (this.size === 0) return { cursor: 0, keys };
    let visited = 0;
    const visit = (table: Uint32Array, mask: number, b: number): void => {
      let i = b;
      for (;;) {
        const w = table[i * 2]!;
        if (w === SlotWord.Empty) break;
        if (w > SlotWord.Tombstone && ((w >>> 1) & mask) === b) {
          visited++;
          const key = this.keyAt(table[i * 2 + 1]!);
          if (filter === null || globMatch(filter, key)) keys.push(key);
        }
        i = (i + 1) & mask;
      }
    };
    // Bound the buckets examined per call so a sparse table cannot stall a turn.
    let buckets = Math.max(count * 10, 100);
    do {
      if (this.old === null) {
        visit(this.slots, this.mask, c & this.mask);
        c = nextCursor(c, this.mask);
      } else {
        // Resizing: the small table's bucket, then every bucket of the large
        // table that expands it (Redis's dictScan does the same).
        const oldSmall = this.oldCap < this.cap;
        const [t0, m0, t1, m1] = oldSmall
          ? [this.old, this.oldMask, this.slots, this.mask]
          : [this.slots, this.mask, this.old, this.oldMask];
        visit(t0, m0, c & m0);
        do {
          visit(t1, m1, c & m1);
          c = nextCursor(c, m1);
        } while ((c & (m0 ^ m1)) !== 0);
      }
    } while (c !== 0 && visited < count && --buckets > 0);
    return { cursor: c, keys };
  }

  /**
   * Calls `fn` with the slot of every live key. `fn` must not insert into
   * this database; it may delete the slot it is given.
   */
  forEachSlot(fn: (slot: number) => void): void {
    this.completeResize();
    for (let i = 0; i < this.cap; i++) if (this.slots[i * 2]! > SlotWord.Tombstone) fn(i);
  }

  /**
   * Calls `fn` with the bytes of every live key where they lie in the arena:
   * `page[start, end)`, a view that is valid during the call only. A walk
   * over millions of keys (the keys of a hash slot) allocates nothing per key.
   */
  forEachKeyRange(fn: (page: Buffer, start: number, end: number) => void): void {
    this.completeResize();
    const pages = this.ks.arena.pages;
    for (let i = 0; i < this.cap; i++) {
      if (this.slots[i * 2]! <= SlotWord.Tombstone) continue;
      const ref = this.slots[i * 2 + 1]!;
      const page = pages[Arena.pageOf(ref)]!;
      const off = Arena.offsetOf(ref);
      const start = Entry.keyStart(page, off);
      fn(page, start, start + Entry.keyLen(page, off));
    }
  }

  /**
   * Every live slot, lazily (cache-dump walks millions of keys with it while
   * writing them out). Nothing may change the database during the walk.
   */
  *liveSlots(): Generator<number> {
    this.completeResize();
    const slots = this.slots;
    for (let i = 0; i < this.cap; i++) if (slots[i * 2]! > SlotWord.Tombstone) yield i;
  }

  /** A uniformly random live slot, or -1 when the database is empty. */
  randomSlot(): number {
    if (this.size === 0) return -1;
    // Random eviction calls this once per key: drain a resize as sampling does, not one slot at a time.
    if (this.old !== null) this.rehash(REHASH_PER_INSERT * 8);
    // Math.random, not crypto's randomInt: eviction calls this once per key (docs/ARCHITECTURE.md, "Eviction").
    if (this.old !== null && Math.floor(Math.random() * this.size) < this.oldLive) {
      for (let tries = 0; tries < 64; tries++) {
        const j = Math.floor(Math.random() * this.oldCap);
        if (this.old[j * 2]! > SlotWord.Tombstone) return this.promote(j);
      }
      this.completeResize();
    }
    for (let tries = 0; tries < 64; tries++) {
      const i = Math.floor(Math.random() * this.cap);
      if (this.slots[i * 2]! > SlotWord.Tombstone) return i;
    }
    const start = Math.floor(Math.random() * this.cap);
    for (let k = 0; k < this.cap; k++) {
      const i = (start + k) & this.mask;
      if (this.slots[i * 2]! > SlotWord.Tombstone) return i;
    }
    return -1;
  }
}

/** Advances a reverse-binary cursor over a table of `mask + 1` buckets (dict.c `dictScan`). */
function nextCursor(c: number, mask: number): number {
  c = (c | ~mask) >>> 0;
  c = reverse32(c);
  c = (c + 1) >>> 0;
  return reverse32(c);
}

function reverse32(v: number): number {
  v = ((v >>> 1) & 0x55555555) | ((v & 0x55555555) << 1);
  v = ((v >>> 2) & 0x33333333) | ((v & 0x33333333) << 2);
  v = ((v >>> 4) & 0x0f0f0f0f) | ((v & 0x0f0f0f0f) << 4);
  v = ((v >>> 8) & 0x00ff00ff) | ((v & 0x00ff00ff) << 8);
  return ((v >>> 16) | (v << 16)) >>> 0;
}
