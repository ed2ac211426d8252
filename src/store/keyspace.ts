/**
 * The keyspace: numbered databases, each an open-addressing hash index from
 * key bytes to an arena entry, plus expiry (lazy on access and an active,
 * time-bounded sweep, as Redis does).
 *
 * Why not a JavaScript `Map`: V8's Map stops near 16.7 million entries and
 * every key would be a heap string the collector traces. The index here is
 * one typed array per database (a hash word and an arena reference per
 * slot); keys and values stay in the arena. docs/ARCHITECTURE.md ("Index")
 * has the numbers.
 *
 * Slot numbers returned by lookups are valid until the next insertion into the
 * same database (which may resize the index); arena views are valid until the
 * entry is next changed. Command handlers use both at once and never keep them.
 */
import { randomInt } from 'node:crypto';
import { ALWAYS_EXPIRE_FIELD_BYTES, Arena, Entry, ENTRY_BASE, EntryType, entrySize, FLAG_CAP, FLAG_DEAD, FLAG_EXPIRE, PAGE_SIZE } from './arena.js';
import { murmur3 } from './hash.js';
import { globMatch, matchesAll } from './glob.js';
import { type Collection, CollectionRegistry, decodeCollection } from './collections.js';
import { AccessMode, lfuNew, lfuTouch, lruClock } from './access.js';

/**
 * Bytes before a collection's image in its entry's value: the handle (u32)
 * and a reserved word (docs/FORMAT.md, "Collection image").
 */
const COLLECTION_HEADER = 8;

/**
 * Index slot layout: two 32-bit words per slot in one Uint32Array, so that a
 * probe touches one cache line. Word 0 is 0 (empty), 1 (deleted), or
 * `hash31 << 1 | volatile`, where hash31 is a nonzero 31-bit hash and the low
 * bit says the entry has an expiry (so the expiry sweep need not read the
 * arena). Word 1 is the arena reference.
 */
const EMPTY = 0;
const TOMBSTONE = 1;
const VOLATILE_BIT = 1;
const MIN_CAPACITY = 16;
/** Rehash when live plus deleted slots pass this share of the table. */
const MAX_FILL = 0.7;
/** Old slots moved per insert while a resize drains (Redis moves a bucket per operation). */
const REHASH_PER_INSERT = 128;
/** Tables up to this many slots are resized at once: that takes well under a millisecond. */
const SYNC_RESIZE_SLOTS = 1 << 16;

/** Callbacks from the keyspace to the server. */
export interface KeyspaceHooks {
  /**
   * A key was found expired and removed, lazily or by the active cycle. The
   * server logs it to the WAL as a delete and counts it.
   *
   * @param db database index
   * @param key the key bytes (a view, valid during the call)
   */
  onExpired(db: number, key: Buffer): void;
}

/**
 * A database's index table as saved beside a snapshot at a clean shutdown
 * (src/persistence/indexfile.ts; docs/FORMAT.md, "Index file").
 */
export interface SavedIndex {
  capacity: number;
  size: number;
  volatileCount: number;
  tombstones: number;
  /** `capacity` slots of two words (see {@link EMPTY}). */
  slots: Uint32Array<ArrayBuffer>;
}

/** What one SCAN step returns. */
export interface ScanResult {
  /** Cursor to pass next; 0 when the iteration is complete. */
  cursor: number;
  /** Keys visited that passed the filter (views into the arena, valid until the next mutation). */
  keys: Buffer[];
}

/** One numbered database (SELECT index). */
export class Db {
  /** Live keys. */
  size = 0;
  /** Live keys with an expiry time. */
  volatileCount = 0;
  private cap = MIN_CAPACITY;
  private mask = MIN_CAPACITY - 1;
  private tombstones = 0;
  /** `cap` slots of two words each (see {@link EMPTY}). */
  private slots: Uint32Array<ArrayBuffer> = new Uint32Array(MIN_CAPACITY * 2);
  /**
   * Per slot, the key's access word (LRU clock, LFU counter or insertion
   * time; src/store/access.ts). Kept apart from the slots, whose layout is
   * saved with snapshots, and from the arena, so that a read changes no page.
   */
  private meta: Uint32Array<ArrayBuffer> = new Uint32Array(MIN_CAPACITY);
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
  /** Where the active expiry sweep resumes. */
  private sweepCursor = 0;

  constructor(
    private readonly ks: Keyspace,
    /** Database index. */
    readonly id: number,
  ) {}

  /**
   * Bytes of this database's index arrays (slots and access words), as
   * maxmemory counts them: the larger table only while a resize drains. The
   * other is garbage within seconds, and counting it made eviction remove
   * a table's worth of keys for memory that was about to be freed.
   */
  get indexBytes(): number {
    return Math.max(this.cap, this.oldCap) * 12;
  }

  /** The 31-bit, nonzero hash of `key`; its slot word is `hash << 1 | volatile`. */
  private hashOf(key: Uint8Array): number {
    return murmur3(key, 0, key.length, this.ks.seed) >>> 1 || 1;
  }

  /** The arena reference at `slot`. */
  private ref(slot: number): number {
    return this.slots[slot * 2 + 1]!;
  }

  /** Whether the key at `slot` has an expiry (read from the index, not the arena; the volatile-* policies consider only these). */
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
      if (w === EMPTY) break;
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
      if (w === EMPTY) return -1;
      if (w >>> 1 === h && this.keyEquals(old[j * 2 + 1]!, key)) return this.promote(j);
      j = (j + 1) & mask;
    }
  }

  /** Moves old slot `j` into the new table; returns its new slot. */
  private promote(j: number): number {
    const old = this.old!;
    const i = this.placeRaw(old[j * 2]!, old[j * 2 + 1]!, this.oldMeta![j]!);
    // A tombstone, not empty: other entries' probe runs pass through here.
    old[j * 2] = TOMBSTONE;
    if (--this.oldLive === 0) this.dropOld();
    return i;
  }

  /** Puts a slot word, reference and access word into the first free slot of its run; counters unchanged. */
  private placeRaw(w: number, ref: number, m: number): number {
    const slots = this.slots;
    const mask = this.mask;
    let i = (w >>> 1) & mask;
    while (slots[i * 2]! > TOMBSTONE) i = (i + 1) & mask;
    if (slots[i * 2] === TOMBSTONE) this.tombstones--;
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
      if (w > TOMBSTONE) {
        this.placeRaw(w, old[j * 2 + 1]!, this.oldMeta![j]!);
        old[j * 2] = TOMBSTONE;
        this.oldLive--;
      }
    }
    this.rehashIdx = end;
    if (end >= this.oldCap || this.oldLive === 0) this.dropOld();
    return this.old !== null;
  }

  /** Finishes a resize at once (before whole-table walks: KEYS, FLUSHDB, saving the index). */
  private completeResize(): void {
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

  /**
   * The slot holding `key`, or -1, and counts an access to it for eviction
   * (Redis's `lookupKey`: the LRU clock or the LFU counter). An expired key
   * is removed first (and reported through {@link KeyspaceHooks.onExpired})
   * unless the keyspace is replaying, where the clock plays no part.
   */
  lookup(key: Uint8Array): number {
    const slot = this.peek(key);
    if (slot >= 0) this.touch(slot);
    return slot;
  }

  /**
   * {@link lookup} without counting an access (Redis's `LOOKUP_NOTOUCH`):
   * for EXISTS, TYPE, TTL and OBJECT, which must not change what they report.
   */
  peek(key: Uint8Array): number {
    const slot = this.findSlot(key);
    if (slot < 0 || !this.isVolatile(slot) || !this.ks.expiryEnabled) return slot;
    if (this.expireAt(slot) > this.ks.now()) return slot;
    this.expireSlot(slot);
    return -1;
  }

  /** Counts an access to the key at `slot` in its access word (nothing under FIFO, which ranks by insertion). */
  touch(slot: number): void {
    const ks = this.ks;
    const mode = ks.accessMode;
    if (mode === AccessMode.Lru) this.meta[slot] = ks.lruNow;
    else if (mode === AccessMode.Lfu) this.meta[slot] = lfuTouch(this.meta[slot]!, ks.clockMs, ks.lfuLogFactor, ks.lfuDecayTime);
  }

  /** Sets every key's access word to `word` (the eviction policy changed what the words mean). */
  resetAccessWords(word: number): void {
    this.meta.fill(word);
    this.oldMeta?.fill(word);
  }

  /** The access word of the key at `slot` (src/store/access.ts). */
  accessWord(slot: number): number {
    return this.meta[slot]!;
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
      if (w === EMPTY) break;
      if (w >>> 1 === h && slots[i * 2 + 1] === ref) return i;
      i = (i + 1) & mask;
    }
    const old = this.old;
    if (old === null) return -1;
    let j = h & this.oldMask;
    for (;;) {
      const w = old[j * 2]!;
      if (w === EMPTY) return -1;
      if (w >>> 1 === h && old[j * 2 + 1] === ref) return this.promote(j);
      j = (j + 1) & this.oldMask;
    }
  }

  /**
   * Copies up to `count` live entries (with an expiry, if `volatileOnly`)
   * into `refs`, their access words into `words` and their index hashes into
   * `hashes`: a run of consecutive
   * slots from a random one, as Redis's `dictGetSomeKeys` samples for
   * eviction. The walk is bounded to about twice the slots that hold
   * `count` such keys on average, and to one pass of the table.
   *
   * @returns how many were found
   */
  sampleInto(count: number, volatileOnly: boolean, refs: number[], words: number[], hashes: number[]): number {
    const want = volatileOnly ? this.volatileCount : this.size;
    if (want === 0) return 0;
    if (this.old !== null) this.rehash(REHASH_PER_INSERT * 8);
    let n = 0;
    if (this.old !== null) n = this.sampleRun(this.old, this.oldMeta!, this.oldCap, Math.max(1, Math.round((this.oldLive / this.size) * want)), count, n, volatileOnly, refs, words, hashes);
    n = this.sampleRun(this.slots, this.meta, this.cap, want, count, n, volatileOnly, refs, words, hashes);
    // An unlucky run found none although some exist: a whole pass finds one.
    if (n === 0) {
      if (this.old !== null) n = this.sampleRun(this.old, this.oldMeta!, this.oldCap, 1 / this.oldCap, count, n, volatileOnly, refs, words, hashes);
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
  private sampleRun(table: Uint32Array, meta: Uint32Array, cap: number, live: number, count: number, n: number, volatileOnly: boolean, refs: number[], words: number[], hashes: number[]): number {
    const mask = cap - 1;
    const steps = Math.min(cap, Math.ceil((2 * (count - n) * cap) / live) + count);
    let i = (Math.random() * cap) & mask;
    for (let s = 0; s < steps && n < count; s++) {
      const w = table[i * 2]!;
      if (w > TOMBSTONE && (!volatileOnly || (w & VOLATILE_BIT) !== 0)) {
        refs[n] = table[i * 2 + 1]!;
        words[n] = meta[i]!;
        hashes[n] = w >>> 1;
        n++;
      }
      i = (i + 1) & mask;
    }
    return n;
  }

  /** Whether the entry at `slot` has expired by the keyspace clock. */
  isExpired(slot: number): boolean {
    return this.isVolatile(slot) && this.ks.expiryEnabled && this.expireAt(slot) <= this.ks.now();
  }

  private expireSlot(slot: number): void {
    const key = this.key(slot);
    this.deleteSlot(slot);
    this.ks.expiredKeys++;
    this.ks.hooks.onExpired(this.id, key);
  }

  /** Value type (an {@link EntryType}) of the entry at `slot`. */
  type(slot: number): number {
    const ref = this.ref(slot);
    return Entry.type(this.ks.arena.pages[Arena.pageOf(ref)]!, Arena.offsetOf(ref));
  }

  /** The key bytes at `slot` (a view into the arena). */
  key(slot: number): Buffer {
    return this.keyAt(this.ref(slot));
  }

  /** The key bytes of the entry at arena reference `ref` (a view). */
  private keyAt(ref: number): Buffer {
    const page = this.ks.arena.pages[Arena.pageOf(ref)]!;
    const off = Arena.offsetOf(ref);
    const start = Entry.keyStart(page, off);
    return page.subarray(start, start + Entry.keyLen(page, off));
  }

  /** The value bytes at `slot` (a view into the arena). */
  value(slot: number): Buffer {
    const ref = this.ref(slot);
    const page = this.ks.arena.pages[Arena.pageOf(ref)]!;
    const off = Arena.offsetOf(ref);
    const start = Entry.valueStart(page, off);
    return page.subarray(start, start + Entry.valLen(page, off));
  }

  /** Length of the value at `slot`, bytes. */
  valueLength(slot: number): number {
    const ref = this.ref(slot);
    return Entry.valLen(this.ks.arena.pages[Arena.pageOf(ref)]!, Arena.offsetOf(ref));
  }

  /** Absolute expiry of the entry at `slot`, Unix ms; 0 when it has none. */
  expireAt(slot: number): number {
    if (!this.isVolatile(slot)) return 0;
    const ref = this.ref(slot);
    return Entry.expireAt(this.ks.arena.pages[Arena.pageOf(ref)]!, Arena.offsetOf(ref));
  }

  /**
   * Sets the expiry of the entry at `slot`.
   *
   * @param at absolute Unix ms, or 0 to make the key persistent
   */
  setExpireAt(slot: number, at: number): void {
    let ref = this.ref(slot);
    if (Entry.hasExpireField(this.ks.arena.pages[Arena.pageOf(ref)]!, Arena.offsetOf(ref))) {
      Entry.setExpireAt(this.ks.arena.writable(ref), Arena.offsetOf(ref), at);
    } else if (at !== 0) {
      // A small entry written without an expiry field: move it to one that has it.
      ref = this.rewrite(slot, FLAG_EXPIRE);
      Entry.setExpireAt(this.ks.arena.writable(ref), Arena.offsetOf(ref), at);
    }
    const was = this.isVolatile(slot);
    if (at > 0 && !was) {
      this.slots[slot * 2]! |= VOLATILE_BIT;
      this.volatileCount++;
    } else if (at === 0 && was) {
      this.slots[slot * 2]! &= ~VOLATILE_BIT;
      this.volatileCount--;
    }
  }

  /**
   * Stores a string value under `key`, replacing whatever was there.
   *
   * @param key key bytes (copied)
   * @param value value bytes (copied; may be a view into the arena)
   * @param expireAt absolute Unix ms, or 0 for none
   * @param slot the key's current slot if the caller looked it up, -1 if absent, undefined to look it up here
   */
  setString(key: Uint8Array, value: Uint8Array, expireAt: number, slot?: number): void {
    if (slot === undefined) {
      slot = this.findSlot(key);
      if (slot >= 0) this.touch(slot);
    }
    if (slot >= 0) {
      const ref = this.ref(slot);
      const page = this.ks.arena.pages[Arena.pageOf(ref)]!;
      const off = Arena.offsetOf(ref);
      if (Entry.type(page, off) === EntryType.String && this.fitsInPlace(page, off, value.length) && (expireAt === 0 || Entry.hasExpireField(page, off))) {
        // Same key, room enough: overwrite in place (no garbage, one dirty page).
        const w = this.ks.arena.writable(ref);
        w.set(value, Entry.valueStart(w, off));
        Entry.setValLen(w, off, value.length);
        this.setExpireAt(slot, expireAt);
        return;
      }
      const size = Entry.size(page, off);
      this.slots[slot * 2 + 1] = this.writeEntry(EntryType.String, key, value, value.length, value.length, expireAt, 0);
      this.dropCollectionAt(ref);
      this.ks.arena.release(ref, size);
      this.setExpireAt(slot, expireAt);
      return;
    }
    const ref = this.writeEntry(EntryType.String, key, value, value.length, value.length, expireAt, 0);
    this.insert(key, ref, expireAt);
  }

  /**
   * Whether a value of `length` bytes can replace the entry's value in place:
   * the entry's size (which page walks depend on) must not change. With a
   * capacity field, anything up to the capacity fits; without one, the size
   * follows the value's length, so only lengths in the same 8-byte step do.
   */
  private fitsInPlace(page: Buffer, off: number, length: number): boolean {
    const flags = Entry.flags(page, off);
    if (flags & FLAG_CAP) return Entry.valCap(page, off) >= length;
    const keyLen = Entry.keyLen(page, off);
    return entrySize(flags, keyLen, length) === entrySize(flags, keyLen, Entry.valLen(page, off));
  }

  /**
   * Resizes the string at `slot` to `newLength` bytes, keeping its first
   * bytes and zero-filling any growth, and returns a writable view of the whole
   * value. Growth reserves spare room as Redis's `sdsMakeRoomFor` does, so
   * repeated APPENDs are amortized O(1).
   */
  resizeString(slot: number, newLength: number): Buffer {
    const ref = this.ref(slot);
    const arena = this.ks.arena;
    const page = arena.pages[Arena.pageOf(ref)]!;
    const off = Arena.offsetOf(ref);
    const oldLen = Entry.valLen(page, off);
    if (this.fitsInPlace(page, off, newLength)) {
      const w = arena.writable(ref);
      const start = Entry.valueStart(w, off);
      if (newLength > oldLen) w.fill(0, start + oldLen, start + newLength);
      Entry.setValLen(w, off, newLength);
      return w.subarray(start, start + newLength);
    }
    const cap = newLength < PAGE_SIZE ? newLength * 2 : newLength + PAGE_SIZE;
    const newRef = this.rewrite(slot, FLAG_CAP, cap, newLength);
    const np = arena.pages[Arena.pageOf(newRef)]!;
    const no = Arena.offsetOf(newRef);
    const ns = Entry.valueStart(np, no);
    if (newLength > oldLen) np.fill(0, ns + oldLen, ns + newLength);
    return np.subarray(ns, ns + newLength);
  }

  /**
   * Moves the entry at `slot` to a new allocation with more header fields
   * (`FLAG_EXPIRE`, `FLAG_CAP`) and optionally a new capacity and length,
   * keeping type, key, value bytes and expiry; releases the old entry.
   *
   * @returns the new arena reference
   */
  private rewrite(slot: number, addFlags: number, valCap?: number, valLen?: number): number {
    const ref = this.ref(slot);
    const arena = this.ks.arena;
    const page = arena.pages[Arena.pageOf(ref)]!;
    const off = Arena.offsetOf(ref);
    const keyLen = Entry.keyLen(page, off);
    const oldLen = Entry.valLen(page, off);
    const len = valLen ?? oldLen;
    const cap = Math.max(valCap ?? Entry.valCap(page, off), len);
    let flags = (Entry.flags(page, off) | addFlags) & (FLAG_EXPIRE | FLAG_CAP);
    if (cap >= ALWAYS_EXPIRE_FIELD_BYTES) flags |= FLAG_EXPIRE;
    if (cap === len) flags &= ~FLAG_CAP;
    const newRef = arena.alloc(entrySize(flags, keyLen, cap));
    const np = arena.pages[Arena.pageOf(newRef)]!;
    const no = Arena.offsetOf(newRef);
    const h = Entry.write(np, no, Entry.type(page, off), flags, this.id, keyLen, len, cap, Entry.expireAt(page, off));
    const ks = Entry.keyStart(page, off);
    page.copy(np, no + h, ks, ks + keyLen + Math.min(oldLen, len));
    arena.release(ref, Entry.size(page, off));
    this.slots[slot * 2 + 1] = newRef;
    return newRef;
  }

  /**
   * Allocates and writes a new entry.
   *
   * @param extraFlags header fields wanted beyond what the values call for
   */
  private writeEntry(type: number, key: Uint8Array, value: Uint8Array, valLen: number, valCap: number, expireAt: number, extraFlags: number): number {
    const arena = this.ks.arena;
    let flags = extraFlags;
    if (expireAt > 0 || valCap >= ALWAYS_EXPIRE_FIELD_BYTES) flags |= FLAG_EXPIRE;
    if (valCap > valLen) flags |= FLAG_CAP;
    const ref = arena.alloc(entrySize(flags, key.length, valCap));
    const page = arena.pages[Arena.pageOf(ref)]!;
    const off = Arena.offsetOf(ref);
    const h = Entry.write(page, off, type, flags, this.id, key.length, valLen, valCap, expireAt);
    page.set(key, off + h);
    page.set(value.subarray(0, valLen), off + h + key.length);
    return ref;
  }

  /** @returns the new key's slot */
  private insert(key: Uint8Array, ref: number, expireAt: number): number {
    if (this.size + this.tombstones + 1 > this.cap * MAX_FILL) this.resize(this.size + 1);
    else if (this.old !== null) this.rehash(REHASH_PER_INSERT);
    return this.place(this.hashOf(key), ref, expireAt > 0);
  }

  /** Puts an entry known to be absent into the first free slot of its probe run. */
  private place(h: number, ref: number, volatile: boolean): number {
    const slots = this.slots;
    const mask = this.mask;
    let i = h & mask;
    while (slots[i * 2]! > TOMBSTONE) i = (i + 1) & mask;
    if (slots[i * 2] === TOMBSTONE) this.tombstones--;
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
    this.place(h, ref, volatile);
  }

  /** Slots in the index (a power of two). */
  get capacity(): number {
    return this.cap;
  }

  /** The index as it stands, for saving beside a snapshot (no copy: save it before the next change). */
  indexForSave(): SavedIndex {
    this.completeResize();
    return { capacity: this.cap, size: this.size, volatileCount: this.volatileCount, tombstones: this.tombstones, slots: this.slots };
  }

  /** Takes over an index saved beside the snapshot being installed. */
  adopt(saved: SavedIndex): void {
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



  /**
   * The collection the entry at `slot` names; the caller has checked that
   * {@link type} is a collection type.
   */
  collection(slot: number): Collection {
    const ref = this.ref(slot);
    const page = this.ks.arena.pages[Arena.pageOf(ref)]!;
    const handle = page.readUInt32LE(Entry.valueStart(page, Arena.offsetOf(ref)));
    const c = this.ks.collections.byHandle.get(handle);
    if (c === undefined) throw new Error(`db ${this.id}: key entry names collection ${handle}, which does not exist`);
    return c;
  }

  /**
   * Stores a new collection under `key`, replacing whatever was there. The
   * entry holds only the collection's handle until the next snapshot writes
   * its image (see {@link writeImage}).
   *
   * @param c a collection not yet registered, with at least one element
   * @param expireAt absolute Unix ms, or 0 for none
   * @param slot the key's current slot, or -1 when absent
   */
  setCollection(key: Uint8Array, c: Collection, expireAt: number, slot: number): void {
    const reg = this.ks.collections;
    const handle = reg.nextHandle;
    const header = Buffer.alloc(COLLECTION_HEADER);
    header.writeUInt32LE(handle, 0);
    const ref = this.writeEntry(c.type, key, header, COLLECTION_HEADER, COLLECTION_HEADER, expireAt, 0);
    if (slot >= 0) this.deleteSlot(slot);
    this.insert(key, ref, expireAt);
    c.db = this.id;
    c.key = Buffer.from(key);
    reg.add(c, handle);
  }

  /**
   * Rewrites the entry at `slot` with the current image of its collection
   * `c` (a snapshot freezing: docs/FORMAT.md, "Collection image").
   */
  writeImage(slot: number, c: Collection): void {
    const ref = this.ref(slot);
    const page = this.ks.arena.pages[Arena.pageOf(ref)]!;
    const off = Arena.offsetOf(ref);
    const image = c.encode();
    const value = Buffer.allocUnsafe(COLLECTION_HEADER + image.length);
    value.writeUInt32LE(c.handle, 0);
    value.writeUInt32LE(0, 4);
    image.copy(value, COLLECTION_HEADER);
    const size = Entry.size(page, off);
    const key = this.keyAt(ref);
    this.slots[slot * 2 + 1] = this.writeEntry(c.type, key, value, value.length, value.length, Entry.expireAt(page, off), 0);
    this.ks.arena.release(ref, size);
  }

  /** If the entry at `ref` names a collection, forgets the collection (its key is being removed or overwritten). */
  private dropCollectionAt(ref: number): void {
    const page = this.ks.arena.pages[Arena.pageOf(ref)]!;
    const off = Arena.offsetOf(ref);
    if (Entry.type(page, off) === EntryType.String) return;
    const c = this.ks.collections.byHandle.get(page.readUInt32LE(Entry.valueStart(page, off)));
    if (c !== undefined) this.ks.collections.drop(c);
  }

  /** Removes the entry at `slot`. */
  deleteSlot(slot: number): void {
    this.dropCollectionAt(this.ref(slot));
    this.unlinkSlot(slot);
  }

  /** Removes the entry at `slot` from the index and the arena, leaving any collection it named registered. */
  private unlinkSlot(slot: number): void {
    const ref = this.ref(slot);
    const page = this.ks.arena.pages[Arena.pageOf(ref)]!;
    this.ks.arena.release(ref, Entry.size(page, Arena.offsetOf(ref)));
    if (this.isVolatile(slot)) this.volatileCount--;
    this.slots[slot * 2] = TOMBSTONE;
    this.tombstones++;
    this.size--;
  }

  /** Removes `key` if present (expired or not); returns whether it was live. */
  delete(key: Uint8Array): boolean {
    const slot = this.lookup(key);
    if (slot < 0) return false;
    this.deleteSlot(slot);
    return true;
  }

  /**
   * Copies the entry at `slot` (key, value, type and expiry) to `dst` under
   * `dstKey`, replacing what `dst` holds there. Used by RENAME, COPY and MOVE.
   *
   * @param expireAt the copy's expiry (absolute Unix ms, 0 for none)
   */
  copyTo(slot: number, dst: Db, dstKey: Uint8Array, expireAt: number): void {
    const type = this.type(slot);
    if (type !== EntryType.String) {
      dst.setCollection(dstKey, this.collection(slot).clone(), expireAt, dst.findSlot(dstKey));
      return;
    }
    const value = this.value(slot);
    // Allocate first: if that fails, nothing has changed. `value` stays
    // valid: writing the copy never rewrites a live entry.
    const newRef = dst.writeEntry(type, dstKey, value, value.length, value.length, expireAt, 0);
    const existing = dst.findSlot(dstKey);
    if (existing >= 0) dst.deleteSlot(existing);
    dst.insert(dstKey, newRef, expireAt);
  }

  /**
   * Moves the entry at `slot` to `dst` under `dstKey`, replacing what `dst`
   * holds there (RENAME, MOVE). A collection moves with it, not copied.
   *
   * @param expireAt the moved key's expiry (absolute Unix ms, 0 for none)
   */
  moveTo(slot: number, dst: Db, dstKey: Uint8Array, expireAt: number): void {
    const type = this.type(slot);
    const value = this.value(slot);
    const newRef = dst.writeEntry(type, dstKey, value, value.length, value.length, expireAt, 0);
    const existing = dst.findSlot(dstKey);
    if (existing >= 0) dst.deleteSlot(existing);
    // Deleting leaves tombstones, never moves slots: `slot` is still the source's.
    const word = this.meta[slot]!;
    this.unlinkSlot(slot);
    // The key keeps its access word (LRU clock, LFU counter, insertion time), as Redis's RENAME and MOVE keep the object.
    dst.meta[dst.insert(dstKey, newRef, expireAt)] = word;
    if (type !== EntryType.String) {
      const c = dst.collection(dst.findSlot(dstKey));
      c.db = dst.id;
      c.key = Buffer.from(dstKey);
    }
  }

  /** Removes every key (FLUSHDB), O(n). */
  clear(): void {
    this.completeResize();
    for (let i = 0; i < this.cap; i++) if (this.slots[i * 2]! > TOMBSTONE) this.deleteSlot(i);
    this.resetIndex(MIN_CAPACITY);
  }

  /** Forgets every key without releasing arena entries (the arena is being cleared too). */
  resetIndex(capacity = MIN_CAPACITY): void {
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
        if (w === EMPTY) break;
        if (w > TOMBSTONE && ((w >>> 1) & mask) === b) {
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
        const [t0, m0, t1, m1] = oldSmall ? [this.old, this.oldMask, this.slots, this.mask] : [this.slots, this.mask, this.old, this.oldMask];
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
    for (let i = 0; i < this.cap; i++) if (this.slots[i * 2]! > TOMBSTONE) fn(i);
  }

  /**
   * Every live slot, lazily (cache-dump walks millions of keys with it while
   * writing them out). Nothing may change the database during the walk.
   */
  *liveSlots(): Generator<number> {
    this.completeResize();
    const slots = this.slots;
    for (let i = 0; i < this.cap; i++) if (slots[i * 2]! > TOMBSTONE) yield i;
  }

  /** A uniformly random live slot, or -1 when the database is empty. */
  randomSlot(): number {
    if (this.size === 0) return -1;
    // Random eviction calls this once per key: drain a resize as sampling does, not one slot at a time.
    if (this.old !== null) this.rehash(REHASH_PER_INSERT * 8);
    // Math.random, not crypto's randomInt: eviction calls this once per key, and crypto costs about a microsecond.
    if (this.old !== null && Math.floor(Math.random() * this.size) < this.oldLive) {
      for (let tries = 0; tries < 64; tries++) {
        const j = Math.floor(Math.random() * this.oldCap);
        if (this.old[j * 2]! > TOMBSTONE) return this.promote(j);
      }
      this.completeResize();
    }
    for (let tries = 0; tries < 64; tries++) {
      const i = Math.floor(Math.random() * this.cap);
      if (this.slots[i * 2]! > TOMBSTONE) return i;
    }
    const start = Math.floor(Math.random() * this.cap);
    for (let k = 0; k < this.cap; k++) {
      const i = (start + k) & this.mask;
      if (this.slots[i * 2]! > TOMBSTONE) return i;
    }
    return -1;
  }

  /**
   * Active expiry: examines slots from where the last call stopped and removes
   * expired keys, until `deadline` (performance.now() ms) or a full pass.
   *
   * @returns keys removed
   */
  sweepExpired(now: number, deadline: number): number {
    if (this.volatileCount === 0) return 0;
    let removed = 0;
    let examined = 0;
    const cap = this.cap;
    while (examined < cap) {
      const i = this.sweepCursor;
      this.sweepCursor = (i + 1) & this.mask;
      examined++;
      const w = this.slots[i * 2]!;
      if ((w & VOLATILE_BIT) !== 0 && w > TOMBSTONE && this.expireAt(i) <= now) {
        this.expireSlot(i);
        removed++;
      }
      if ((examined & 1023) === 0 && performance.now() >= deadline) break;
    }
    return removed;
  }

  /**
   * Moves the entry at arena reference `oldRef` (belonging to `key`) to a
   * fresh allocation: one step of page compaction.
   */
  relocate(key: Uint8Array, oldRef: number, size: number): void {
    const slot = this.findSlot(key);
    if (slot < 0 || this.ref(slot) !== oldRef) throw new Error(`arena entry ${oldRef} of db ${this.id} is not in the index`);
    const arena = this.ks.arena;
    const src = arena.pages[Arena.pageOf(oldRef)]!;
    const so = Arena.offsetOf(oldRef);
    const newRef = arena.alloc(size);
    src.copy(arena.pages[Arena.pageOf(newRef)]!, Arena.offsetOf(newRef), so, so + size);
    this.slots[slot * 2 + 1] = newRef;
    arena.release(oldRef, size);
  }

}

/** Advances a reverse-binary cursor over a table of `mask + 1` buckets. */
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

/** All databases plus the arena they share. */
export class Keyspace {
  readonly arena = new Arena();
  readonly dbs: Db[];
  /** Every hash, list, set and sorted set, by the handle its key's entry holds. */
  readonly collections = new CollectionRegistry();
  /** Hash seed: random per process, or adopted with a saved index. */
  seed = randomInt(2 ** 31);
  /** False while replaying the WAL: expiry then plays no part. */
  expiryEnabled = true;
  /** Keys removed because they expired (INFO `expired_keys`). */
  expiredKeys = 0;
  /** Index tables up to this many slots resize at once; larger ones drain incrementally. Tests lower it. */
  syncResizeSlots = SYNC_RESIZE_SLOTS;
  /** What access words mean, set from `maxmemory-policy` (src/store/access.ts). */
  accessMode: AccessMode = AccessMode.Lru;
  /** `lfu-log-factor`. */
  lfuLogFactor = 10;
  /** `lfu-decay-time`, minutes. */
  lfuDecayTime = 1;
  /**
   * The clock access words are stamped with, Unix ms: read once per batch of
   * commands ({@link tick}), not per key.
   */
  clockMs = Date.now();
  /** {@link clockMs} as an LRU clock. */
  lruNow = lruClock(this.clockMs);
  private compactFrom = 0;

  /**
   * @param databases number of databases (`databases`, 16 by default)
   * @param hooks where expiry reports to
   * @param now the clock, Unix ms
   */
  constructor(
    databases: number,
    readonly hooks: KeyspaceHooks,
    readonly now: () => number = Date.now,
  ) {
    this.dbs = Array.from({ length: databases }, (_, i) => new Db(this, i));
  }

  /** Total live keys. */
  get keyCount(): number {
    let n = 0;
    for (const db of this.dbs) n += db.size;
    return n;
  }

  /**
   * Bytes the data takes: live arena entries (keys, strings, collection
   * images), collections in the heap, and the index arrays. This is INFO's
   * `used_memory` and what `maxmemory` limits. Garbage in arena pages is not
   * in it, as freed memory is not in Redis's: compaction returns it
   * (`arena_garbage_bytes`).
   */
  get dataBytes(): number {
    let n = this.arena.liveBytes + this.collections.bytes;
    for (const db of this.dbs) n += db.indexBytes;
    return n;
  }

  /**
   * Changes what access words mean. Words are kept between LRU and FIFO
   * (a last access reads as an insertion time and the other way round);
   * moving to or from LFU restarts every key as if created now, where Redis
   * leaves the old values to adjust over time.
   */
  setAccessMode(mode: AccessMode): void {
    if (mode === this.accessMode) return;
    const lfuChanges = mode === AccessMode.Lfu || this.accessMode === AccessMode.Lfu;
    this.accessMode = mode;
    if (lfuChanges) {
      const word = this.newAccessWord();
      for (const db of this.dbs) db.resetAccessWords(word);
    }
  }

  /** Advances the access clock to Unix time `ms` (once per batch of commands). */
  tick(ms: number): void {
    if (ms !== this.clockMs) {
      this.clockMs = ms;
      this.lruNow = lruClock(ms);
    }
  }

  /** The access word of a key created now. */
  newAccessWord(): number {
    return this.accessMode === AccessMode.Lfu ? lfuNew(this.clockMs) : this.lruNow;
  }

  /**
   * Installs the pages of a snapshot into an empty keyspace and rebuilds the
   * index from their live entries.
   *
   * @param head the page appends went to when the snapshot was taken, or -1
   * @param index the index saved with this snapshot at a clean shutdown, which spares rebuilding it
   * @returns whether the saved index was adopted (false: rebuilt from the pages)
   * @throws Error when an entry names a database beyond `databases`
   */
  install(
    pages: readonly { id: number; buf: Buffer; used: number; mapped?: boolean }[],
    head: number,
    index?: { seed: number; dbs: SavedIndex[] },
  ): boolean {
    const arena = this.arena;
    const ndb = this.dbs.length;
    const counts = new Array<number>(ndb).fill(0);
    // Headers are read through 32-bit views (entries are 8-byte aligned and
    // page buffers start their own ArrayBuffer): this loop runs once per key.
    const views = pages.map((p) => new Uint32Array(p.buf.buffer, p.buf.byteOffset, p.buf.length >>> 2));
    const collectionRefs: number[] = [];
    pages.forEach((p, k) => {
      arena.install(p.id, p.buf, p.used, p.mapped === true);
      const u8 = p.buf;
      const u32 = views[k]!;
      let live = 0;
      for (let off = 0; off < p.used; ) {
        const w = off >>> 2;
        const f = u8[off + 1]!;
        const size = (ENTRY_BASE + (f & FLAG_CAP ? 4 : 0) + (f & FLAG_EXPIRE ? 8 : 0) + u32[w + 1]! + (f & FLAG_CAP ? u32[w + 3]! : u32[w + 2]!) + 7) & ~7;
        if ((f & FLAG_DEAD) === 0) {
          const db = u8[off + 2]! | (u8[off + 3]! << 8);
          if (db >= ndb) throw new Error(`the snapshot holds keys of database ${db}, but 'databases' is ${ndb}`);
          counts[db]!++;
          live += size;
          if (u8[off]! !== EntryType.String) collectionRefs.push(Arena.refOf(p.id, off));
        }
        off += size;
      }
      arena.countLive(p.id, live);
    });
    if (index !== undefined && index.dbs.every((saved, i) => saved.size === counts[i])) {
      this.seed = index.seed;
      this.dbs.forEach((db, i) => db.adopt(index.dbs[i]!));
      arena.finishInstall(head);
      this.loadCollections(collectionRefs);
      return true;
    }
    this.dbs.forEach((db, i) => db.reserve(counts[i]!));
    // Hash every live entry, then insert in bucket order (a counting sort on
    // the top 16 bits of each key's home bucket): the inserts then walk each
    // index from start to end instead of missing the cache once per key.
    const total = counts.reduce((a, b) => a + b, 0);
    const hashes = new Uint32Array(total);
    const refs = new Uint32Array(total);
    const meta = new Uint32Array(total); // db << 1 | volatile
    let n = 0;
    pages.forEach((p, k) => {
      const u8 = p.buf;
      const u32 = views[k]!;
      for (let off = 0; off < p.used; ) {
        const w = off >>> 2;
        const f = u8[off + 1]!;
        const keyLen = u32[w + 1]!;
        const header = ENTRY_BASE + (f & FLAG_CAP ? 4 : 0) + (f & FLAG_EXPIRE ? 8 : 0);
        const size = (header + keyLen + (f & FLAG_CAP ? u32[w + 3]! : u32[w + 2]!) + 7) & ~7;
        if ((f & FLAG_DEAD) === 0) {
          const keyStart = off + header;
          hashes[n] = murmur3(u8, keyStart, keyStart + keyLen, this.seed) >>> 1 || 1;
          refs[n] = Arena.refOf(p.id, off);
          // The expiry is a float64 (possibly unaligned); only its being nonzero matters here.
          let volatile = 0;
          if (f & FLAG_EXPIRE) {
            const e = off + (f & FLAG_CAP ? 16 : 12);
            volatile = (u8[e]! | u8[e + 1]! | u8[e + 2]! | u8[e + 3]! | u8[e + 4]! | u8[e + 5]! | u8[e + 6]! | u8[e + 7]!) !== 0 ? 1 : 0;
          }
          meta[n] = ((u8[off + 2]! | (u8[off + 3]! << 8)) << 1) | volatile;
          n++;
        }
        off += size;
      }
    });
    const BINS = 1 << 16;
    const masks = this.dbs.map((db) => db.capacity - 1);
    const shifts = this.dbs.map((db) => Math.max(0, 31 - Math.clz32(db.capacity) - 16));
    const bins = new Uint32Array(total);
    const starts = new Uint32Array(ndb * BINS + 1);
    for (let i = 0; i < total; i++) {
      const db = meta[i]! >>> 1;
      const bin = db * BINS + ((hashes[i]! & masks[db]!) >>> shifts[db]!);
      bins[i] = bin;
      starts[bin + 1]!++;
    }
    for (let b = 1; b < starts.length; b++) starts[b]! += starts[b - 1]!;
    const sortedHashes = new Uint32Array(total);
    const sortedRefs = new Uint32Array(total);
    const sortedMeta = new Uint32Array(total);
    for (let i = 0; i < total; i++) {
      const at = starts[bins[i]!]!++;
      sortedHashes[at] = hashes[i]!;
      sortedRefs[at] = refs[i]!;
      sortedMeta[at] = meta[i]!;
    }
    for (let k = 0; k < total; k++) {
      this.dbs[sortedMeta[k]! >>> 1]!.insertLoaded(sortedHashes[k]!, sortedRefs[k]!, (sortedMeta[k]! & 1) === 1);
    }
    arena.finishInstall(head);
    this.loadCollections(collectionRefs);
    return false;
  }

  /**
   * Rebuilds the collections whose entries a snapshot holds, from their
   * images, under the handles the entries name.
   *
   * @throws Error when an entry's image is missing or malformed
   */
  private loadCollections(refs: readonly number[]): void {
    for (const ref of refs) {
      const page = this.arena.pages[Arena.pageOf(ref)]!;
      const off = Arena.offsetOf(ref);
      const start = Entry.valueStart(page, off);
      const len = Entry.valLen(page, off);
      const keyStart = Entry.keyStart(page, off);
      const key = Buffer.from(page.subarray(keyStart, keyStart + Entry.keyLen(page, off)));
      if (len < COLLECTION_HEADER + 12) throw new Error(`the snapshot's entry for key ${JSON.stringify(key.toString('latin1'))} holds no collection image`);
      const c = decodeCollection(Entry.type(page, off), page.subarray(start + COLLECTION_HEADER, start + len));
      c.db = Entry.db(page, off);
      c.key = key;
      this.collections.add(c, page.readUInt32LE(start), true);
    }
  }

  /**
   * Writes the image of every collection changed since its last one into
   * its key's entry: the first step of a snapshot's freeze, so that the
   * pages it then takes hold every collection as of the frozen LSN.
   *
   * @returns the number of images written
   */
  writeImages(): number {
    const reg = this.collections;
    let n = 0;
    for (const c of reg.dirty) {
      const db = this.dbs[c.db]!;
      const slot = db.findSlot(c.key);
      if (slot < 0) throw new Error(`collection ${c.handle} of db ${c.db} has no key`);
      db.writeImage(slot, c);
      n++;
    }
    reg.dirty.clear();
    return n;
  }


  /** Removes every key of every database (FLUSHALL). */
  clear(): void {
    this.collections.clear();
    this.arena.clear();
    for (const db of this.dbs) db.resetIndex();
  }

  /**
   * Active expiry cycle (Redis: `activeExpireCycle`): sweeps databases
   * round-robin until `budgetMs` has passed.
   */
  activeExpire(budgetMs: number): number {
    if (!this.expiryEnabled) return 0;
    const deadline = performance.now() + budgetMs;
    const now = this.now();
    let removed = 0;
    for (const db of this.dbs) {
      removed += db.sweepExpired(now, deadline);
      if (performance.now() >= deadline) break;
    }
    return removed;
  }

  /**
   * Moves index entries of resizes in progress, until `budgetMs` has passed
   * (server cron, as Redis's `databasesCron` calls dict.c
   * `dictRehashMilliseconds`: finishes a resize of millions of keys within
   * seconds without stalling any turn).
   */
  rehashMilliseconds(budgetMs: number): void {
    const deadline = performance.now() + budgetMs;
    for (const db of this.dbs) {
      while (db.rehash(4096)) if (performance.now() >= deadline) return;
    }
  }

  /**
   * Compacts up to about `budgetBytes` of live entries out of sparse pages.
   *
   * @returns bytes moved
   */
  compact(budgetBytes: number): number {
    let moved = 0;
    const arena = this.arena;
    for (let examined = 0; moved < budgetBytes && examined < arena.pages.length; examined++) {
      const id = arena.compactionCandidate(this.compactFrom);
      if (id < 0) break;
      this.compactFrom = id + 1;
      if (arena.live[id] === 0) {
        arena.freeIfEmpty(id);
        continue;
      }
      const page = arena.pages[id]!;
      arena.forEachLive(id, (ref, size) => {
        const off = Arena.offsetOf(ref);
        const db = this.dbs[Entry.db(page, off)]!;
        const keyStart = Entry.keyStart(page, off);
        db.relocate(page.subarray(keyStart, keyStart + Entry.keyLen(page, off)), ref, size);
        moved += size;
      });
    }
    return moved;
  }

}
