/**
 * The keyspace: numbered databases, each an open-addressing hash index from
 * key bytes to an arena entry, plus expiry (lazy on access and an active,
 * time-bounded sweep, as Redis does).
 *
 * Why not a JavaScript `Map`: V8's Map stops near 16.7 million entries and
 * every key would be a heap string the collector traces. The index here is
 * three typed arrays (hash, arena reference, flags) per database; keys and
 * values stay in the arena. docs/ARCHITECTURE.md ("Index") has the numbers.
 *
 * Slot numbers returned by lookups are valid until the next insertion into the
 * same database (which may resize the index); arena views are valid until the
 * entry is next changed. Command handlers use both at once and never keep them.
 */
import { randomInt } from 'node:crypto';
import { Arena, Entry, EntryType, ENTRY_HEADER, entrySize, FLAG_DEAD, PAGE_SIZE } from './arena.js';
import { murmur3 } from './hash.js';
import { globMatch, matchesAll } from './glob.js';

const EMPTY = 0;
const TOMBSTONE = 1;
const MIN_CAPACITY = 16;
/** Rehash when live plus deleted slots pass this share of the table. */
const MAX_FILL = 0.7;

/** Slot flag: the entry has an expiry time (kept here so the sweep need not read the arena). */
const META_VOLATILE = 1;

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
  private hashes = new Uint32Array(MIN_CAPACITY);
  private refs = new Uint32Array(MIN_CAPACITY);
  private meta = new Uint8Array(MIN_CAPACITY);
  /** Where the active expiry sweep resumes. */
  private sweepCursor = 0;

  constructor(
    private readonly ks: Keyspace,
    /** Database index. */
    readonly id: number,
  ) {}

  /** Bytes held by this database's index arrays. */
  get indexBytes(): number {
    return this.cap * 9;
  }

  /** The stored hash of `key`: never {@link EMPTY} or {@link TOMBSTONE}. */
  private hashOf(key: Uint8Array): number {
    const h = murmur3(key, 0, key.length, this.ks.seed);
    return h < 2 ? h + 2 : h;
  }

  private keyEquals(ref: number, key: Uint8Array): boolean {
    const page = this.ks.arena.pages[Arena.pageOf(ref)]!;
    const off = Arena.offsetOf(ref);
    const n = key.length;
    if (Entry.keyLen(page, off) !== n) return false;
    const base = off + ENTRY_HEADER;
    if (n > 32) return page.compare(key, 0, n, base, base + n) === 0;
    for (let i = 0; i < n; i++) if (page[base + i] !== key[i]) return false;
    return true;
  }

  /** The slot holding `key`, ignoring expiry; -1 when absent. */
  findSlot(key: Uint8Array): number {
    const h = this.hashOf(key);
    const hashes = this.hashes;
    const mask = this.mask;
    let i = h & mask;
    for (;;) {
      const s = hashes[i]!;
      if (s === EMPTY) return -1;
      if (s === h && this.keyEquals(this.refs[i]!, key)) return i;
      i = (i + 1) & mask;
    }
  }

  /**
   * The slot holding `key`, or -1. An expired key is removed first (and
   * reported through {@link KeyspaceHooks.onExpired}) unless the keyspace is
   * replaying, where the clock plays no part.
   */
  lookup(key: Uint8Array): number {
    const slot = this.findSlot(key);
    if (slot < 0 || (this.meta[slot]! & META_VOLATILE) === 0 || !this.ks.expiryEnabled) return slot;
    if (this.expireAt(slot) > this.ks.now()) return slot;
    this.expireSlot(slot);
    return -1;
  }

  /** Whether the entry at `slot` has expired by the keyspace clock. */
  isExpired(slot: number): boolean {
    return (this.meta[slot]! & META_VOLATILE) !== 0 && this.ks.expiryEnabled && this.expireAt(slot) <= this.ks.now();
  }

  private expireSlot(slot: number): void {
    const key = this.key(slot);
    this.deleteSlot(slot);
    this.ks.expiredKeys++;
    this.ks.hooks.onExpired(this.id, key);
  }

  /** Value type (an {@link EntryType}) of the entry at `slot`. */
  type(slot: number): number {
    const ref = this.refs[slot]!;
    return Entry.type(this.ks.arena.pages[Arena.pageOf(ref)]!, Arena.offsetOf(ref));
  }

  /** The key bytes at `slot` (a view into the arena). */
  key(slot: number): Buffer {
    const ref = this.refs[slot]!;
    const page = this.ks.arena.pages[Arena.pageOf(ref)]!;
    const off = Arena.offsetOf(ref) + ENTRY_HEADER;
    return page.subarray(off, off + Entry.keyLen(page, off - ENTRY_HEADER));
  }

  /** The value bytes at `slot` (a view into the arena). */
  value(slot: number): Buffer {
    const ref = this.refs[slot]!;
    const page = this.ks.arena.pages[Arena.pageOf(ref)]!;
    const off = Arena.offsetOf(ref);
    const start = off + ENTRY_HEADER + Entry.keyLen(page, off);
    return page.subarray(start, start + Entry.valLen(page, off));
  }

  /** Length of the value at `slot`, bytes. */
  valueLength(slot: number): number {
    const ref = this.refs[slot]!;
    return Entry.valLen(this.ks.arena.pages[Arena.pageOf(ref)]!, Arena.offsetOf(ref));
  }

  /** Absolute expiry of the entry at `slot`, Unix ms; 0 when it has none. */
  expireAt(slot: number): number {
    if ((this.meta[slot]! & META_VOLATILE) === 0) return 0;
    const ref = this.refs[slot]!;
    return Entry.expireAt(this.ks.arena.pages[Arena.pageOf(ref)]!, Arena.offsetOf(ref));
  }

  /**
   * Sets the expiry of the entry at `slot`.
   *
   * @param at absolute Unix ms, or 0 to make the key persistent
   */
  setExpireAt(slot: number, at: number): void {
    const ref = this.refs[slot]!;
    Entry.setExpireAt(this.ks.arena.writable(ref), Arena.offsetOf(ref), at);
    const was = (this.meta[slot]! & META_VOLATILE) !== 0;
    if (at > 0 && !was) {
      this.meta[slot]! |= META_VOLATILE;
      this.volatileCount++;
    } else if (at === 0 && was) {
      this.meta[slot]! &= ~META_VOLATILE;
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
    if (slot === undefined) slot = this.findSlot(key);
    if (slot >= 0) {
      const ref = this.refs[slot]!;
      const page = this.ks.arena.pages[Arena.pageOf(ref)]!;
      const off = Arena.offsetOf(ref);
      if (Entry.type(page, off) === EntryType.String && Entry.valCap(page, off) >= value.length) {
        // Same key, room enough: overwrite in place (no garbage, one dirty page).
        const w = this.ks.arena.writable(ref);
        w.set(value, off + ENTRY_HEADER + key.length);
        Entry.setValLen(w, off, value.length);
        this.setExpireAt(slot, expireAt);
        return;
      }
      const size = Entry.size(page, off);
      this.refs[slot] = this.writeEntry(EntryType.String, key, value, value.length, value.length, expireAt);
      this.ks.arena.release(ref, size);
      this.setExpireAt(slot, expireAt);
      return;
    }
    const ref = this.writeEntry(EntryType.String, key, value, value.length, value.length, expireAt);
    this.insert(key, ref, expireAt);
  }

  /**
   * Resizes the string at `slot` to `newLength` bytes, keeping its first
   * bytes and zero-filling any growth, and returns a writable view of the whole
   * value. Growth reserves spare room as Redis's `sdsMakeRoomFor` does, so
   * repeated APPENDs are amortized O(1).
   */
  resizeString(slot: number, newLength: number): Buffer {
    const ref = this.refs[slot]!;
    const arena = this.ks.arena;
    const page = arena.pages[Arena.pageOf(ref)]!;
    const off = Arena.offsetOf(ref);
    const keyLen = Entry.keyLen(page, off);
    const oldLen = Entry.valLen(page, off);
    const start = off + ENTRY_HEADER + keyLen;
    if (Entry.valCap(page, off) >= newLength) {
      const w = arena.writable(ref);
      if (newLength > oldLen) w.fill(0, start + oldLen, start + newLength);
      Entry.setValLen(w, off, newLength);
      return w.subarray(start, start + newLength);
    }
    const cap = newLength < PAGE_SIZE ? newLength * 2 : newLength + PAGE_SIZE;
    const size = entrySize(keyLen, cap);
    const newRef = arena.alloc(size);
    const np = arena.pages[Arena.pageOf(newRef)]!;
    const no = Arena.offsetOf(newRef);
    Entry.write(np, no, EntryType.String, this.id, keyLen, newLength, cap, Entry.expireAt(page, off));
    page.copy(np, no + ENTRY_HEADER, off + ENTRY_HEADER, start + Math.min(oldLen, newLength));
    const ns = no + ENTRY_HEADER + keyLen;
    if (newLength > oldLen) np.fill(0, ns + oldLen, ns + newLength);
    arena.release(ref, Entry.size(page, off));
    this.refs[slot] = newRef;
    return np.subarray(ns, ns + newLength);
  }

  private writeEntry(type: number, key: Uint8Array, value: Uint8Array, valLen: number, valCap: number, expireAt: number): number {
    const arena = this.ks.arena;
    const ref = arena.alloc(entrySize(key.length, valCap));
    const page = arena.pages[Arena.pageOf(ref)]!;
    const off = Arena.offsetOf(ref);
    Entry.write(page, off, type, this.id, key.length, valLen, valCap, expireAt);
    page.set(key, off + ENTRY_HEADER);
    page.set(value.subarray(0, valLen), off + ENTRY_HEADER + key.length);
    return ref;
  }

  private insert(key: Uint8Array, ref: number, expireAt: number): void {
    if (this.size + this.tombstones + 1 > this.cap * MAX_FILL) this.rehash(this.size + 1);
    const h = this.hashOf(key);
    const mask = this.mask;
    let i = h & mask;
    while (this.hashes[i]! > TOMBSTONE) i = (i + 1) & mask;
    if (this.hashes[i] === TOMBSTONE) this.tombstones--;
    this.hashes[i] = h;
    this.refs[i] = ref;
    this.meta[i] = expireAt > 0 ? META_VOLATILE : 0;
    if (expireAt > 0) this.volatileCount++;
    this.size++;
  }

  /** Grows the index to hold `n` keys without a resize. */
  reserve(n: number): void {
    if (n > this.cap * MAX_FILL) this.rehash(n);
  }

  /**
   * Indexes the entry at `off` of `page` (arena reference `ref`) while a
   * snapshot is being installed: keys are known to be unique, so no lookup.
   */
  insertLoaded(page: Buffer, off: number, ref: number): void {
    const keyStart = off + ENTRY_HEADER;
    let h = murmur3(page, keyStart, keyStart + Entry.keyLen(page, off), this.ks.seed);
    if (h < 2) h += 2;
    const expireAt = Entry.expireAt(page, off);
    const mask = this.mask;
    let i = h & mask;
    while (this.hashes[i]! > TOMBSTONE) i = (i + 1) & mask;
    this.hashes[i] = h;
    this.refs[i] = ref;
    this.meta[i] = expireAt > 0 ? META_VOLATILE : 0;
    if (expireAt > 0) this.volatileCount++;
    this.size++;
  }

  /** Removes the entry at `slot`. */
  deleteSlot(slot: number): void {
    const ref = this.refs[slot]!;
    const page = this.ks.arena.pages[Arena.pageOf(ref)]!;
    this.ks.arena.release(ref, Entry.size(page, Arena.offsetOf(ref)));
    if ((this.meta[slot]! & META_VOLATILE) !== 0) this.volatileCount--;
    this.hashes[slot] = TOMBSTONE;
    this.meta[slot] = 0;
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
    const value = this.value(slot);
    // Allocate first: if that fails, nothing has changed. `value` stays
    // valid: writing the copy never rewrites a live entry.
    const newRef = dst.writeEntry(type, dstKey, value, value.length, value.length, expireAt);
    const existing = dst.findSlot(dstKey);
    if (existing >= 0) dst.deleteSlot(existing);
    dst.insert(dstKey, newRef, expireAt);
  }

  /** Removes every key (FLUSHDB), O(n). */
  clear(): void {
    for (let i = 0; i < this.cap; i++) if (this.hashes[i]! > TOMBSTONE) this.deleteSlot(i);
    this.resetIndex(MIN_CAPACITY);
  }

  /** Forgets every key without releasing arena entries (the arena is being cleared too). */
  resetIndex(capacity = MIN_CAPACITY): void {
    this.cap = capacity;
    this.mask = capacity - 1;
    this.hashes = new Uint32Array(capacity);
    this.refs = new Uint32Array(capacity);
    this.meta = new Uint8Array(capacity);
    this.size = 0;
    this.tombstones = 0;
    this.volatileCount = 0;
    this.sweepCursor = 0;
  }

  private rehash(need: number): void {
    let cap = MIN_CAPACITY;
    while (cap * MAX_FILL < need * 1.5 && cap < 2 ** 31) cap *= 2;
    const oh = this.hashes;
    const or = this.refs;
    const om = this.meta;
    const oldCap = this.cap;
    this.cap = cap;
    this.mask = cap - 1;
    this.hashes = new Uint32Array(cap);
    this.refs = new Uint32Array(cap);
    this.meta = new Uint8Array(cap);
    this.tombstones = 0;
    const mask = this.mask;
    for (let j = 0; j < oldCap; j++) {
      const h = oh[j]!;
      if (h <= TOMBSTONE) continue;
      let i = h & mask;
      while (this.hashes[i] !== EMPTY) i = (i + 1) & mask;
      this.hashes[i] = h;
      this.refs[i] = or[j]!;
      this.meta[i] = om[j]!;
    }
    this.sweepCursor = 0;
  }

  /** Shrinks a mostly empty index (Redis: `tryResizeHashTables`); called from the server's cron, never mid-command. */
  maybeShrink(): void {
    if (this.cap > MIN_CAPACITY && (this.size < this.cap / 8 || this.tombstones > this.cap / 4)) this.rehash(this.size);
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
    let visited = 0;
    let c = cursor >>> 0;
    if (this.size === 0) return { cursor: 0, keys };
    // Bound the buckets examined per call so a sparse table cannot stall a turn.
    let buckets = Math.max(count * 10, 100);
    do {
      const mask = this.mask;
      const b = c & mask;
      let i = b;
      for (;;) {
        const h = this.hashes[i]!;
        if (h === EMPTY) break;
        if (h > TOMBSTONE && (h & mask) === b) {
          visited++;
          const key = this.key(i);
          if (filter === null || globMatch(filter, key)) keys.push(key);
        }
        i = (i + 1) & mask;
      }
      c = nextCursor(c, mask);
    } while (c !== 0 && visited < count && --buckets > 0);
    return { cursor: c, keys };
  }

  /**
   * Calls `fn` with the slot of every live key. `fn` must not insert into
   * this database; it may delete the slot it is given.
   */
  forEachSlot(fn: (slot: number) => void): void {
    for (let i = 0; i < this.cap; i++) if (this.hashes[i]! > TOMBSTONE) fn(i);
  }

  /** A uniformly random live slot, or -1 when the database is empty. */
  randomSlot(): number {
    if (this.size === 0) return -1;
    for (let tries = 0; tries < 64; tries++) {
      const i = randomInt(this.cap);
      if (this.hashes[i]! > TOMBSTONE) return i;
    }
    const start = randomInt(this.cap);
    for (let k = 0; k < this.cap; k++) {
      const i = (start + k) & this.mask;
      if (this.hashes[i]! > TOMBSTONE) return i;
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
      if ((this.meta[i]! & META_VOLATILE) !== 0 && this.hashes[i]! > TOMBSTONE && this.expireAt(i) <= now) {
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
    const h = this.hashOf(key);
    let i = h & this.mask;
    while (this.hashes[i] !== EMPTY) {
      if (this.refs[i] === oldRef && this.hashes[i] === h) {
        const arena = this.ks.arena;
        const src = arena.pages[Arena.pageOf(oldRef)]!;
        const so = Arena.offsetOf(oldRef);
        const newRef = arena.alloc(size);
        src.copy(arena.pages[Arena.pageOf(newRef)]!, Arena.offsetOf(newRef), so, so + size);
        this.refs[i] = newRef;
        arena.release(oldRef, size);
        return;
      }
      i = (i + 1) & this.mask;
    }
    throw new Error(`arena entry ${oldRef} of db ${this.id} is not in the index`);
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
  /** Per-process hash seed. */
  readonly seed = randomInt(2 ** 31);
  /** False while replaying the WAL: expiry then plays no part. */
  expiryEnabled = true;
  /** Keys removed because they expired (INFO `expired_keys`). */
  expiredKeys = 0;
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

  /** Bytes of data structures: arena pages plus index arrays. */
  get usedBytes(): number {
    let n = this.arena.allocatedBytes;
    for (const db of this.dbs) n += db.indexBytes;
    return n;
  }

  /**
   * Installs the pages of a snapshot into an empty keyspace and rebuilds the
   * index from their live entries.
   *
   * @param head the page appends went to when the snapshot was taken, or -1
   * @throws Error when an entry names a database beyond `databases`
   */
  install(pages: readonly { id: number; buf: Buffer; used: number }[], head: number): void {
    const arena = this.arena;
    const counts = new Array<number>(this.dbs.length).fill(0);
    for (const p of pages) {
      arena.install(p.id, p.buf, p.used);
      for (let off = 0; off < p.used; ) {
        const size = Entry.size(p.buf, off);
        if ((p.buf[off + 1]! & FLAG_DEAD) === 0) {
          const db = Entry.db(p.buf, off);
          if (db >= this.dbs.length) {
            throw new Error(`the snapshot holds keys of database ${db}, but 'databases' is ${this.dbs.length}`);
          }
          counts[db]!++;
          arena.countLive(p.id, size);
        }
        off += size;
      }
    }
    this.dbs.forEach((db, i) => db.reserve(counts[i]!));
    for (const p of pages) {
      for (let off = 0; off < p.used; ) {
        const size = Entry.size(p.buf, off);
        if ((p.buf[off + 1]! & FLAG_DEAD) === 0) this.dbs[Entry.db(p.buf, off)]!.insertLoaded(p.buf, off, Arena.refOf(p.id, off));
        off += size;
      }
    }
    arena.finishInstall(head);
  }

  /** Removes every key of every database (FLUSHALL). */
  clear(): void {
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
        const keyStart = off + ENTRY_HEADER;
        db.relocate(page.subarray(keyStart, keyStart + Entry.keyLen(page, off)), ref, size);
        moved += size;
      });
    }
    return moved;
  }

}
