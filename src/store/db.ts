/**
 * One numbered database (SELECT index): its entries in the arena, found
 * through its index table (src/store/index-table.ts). Strings are stored in
 * their entries; hashes, lists, sets and sorted sets by the handle their
 * entries hold (src/store/collections.ts). Expiry is checked on access here
 * and swept actively through {@link Db.sweepExpired}; keys are copied and
 * moved between databases, and relocated when the keyspace compacts a page.
 *
 * Slot numbers returned by lookups are valid until the next insertion into the
 * same database (which may resize the index); arena views are valid until the
 * entry is next changed. Command handlers use both at once and never keep them.
 */
import { AccessMode, lfuTouch } from './access.js';
import {
  ALWAYS_EXPIRE_FIELD_BYTES,
  Arena,
  Entry,
  EntryType,
  entrySize,
  FLAG_CAP,
  FLAG_EXPIRE,
  PAGE_SIZE,
} from './arena.js';
import type { Collection } from './collection.js';
import { chunkedValue, IMAGE_WHOLE, releaseChunks, wantsChunks, writeChunks } from './collection-chunks.js';
import type { CollectionRegistry } from './collection-registry.js';
import { type IndexHost, IndexTable, SlotWord, VOLATILE_BIT } from './index-table.js';

/**
 * Bytes before a collection's image in its entry's value: the handle (u32)
 * and a reserved word (docs/FORMAT.md, "Collection image").
 */
export const COLLECTION_HEADER = 8;

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
 * What a database needs from the keyspace that owns it (Keyspace implements
 * it; declared here so that a database does not import the keyspace).
 */
export interface DbHost extends IndexHost {
  /** Every collection, by the handle its key's entry holds. */
  readonly collections: CollectionRegistry;
  /** Where expiry reports to. */
  readonly hooks: KeyspaceHooks;
  /** False while replaying the WAL: expiry then plays no part. */
  readonly expiryEnabled: boolean;
  /**
   * True while clients are paused (CLIENT PAUSE): an expired key reads as
   * gone but stays, so the dataset does not change (db.c `expireIfNeeded`).
   */
  readonly expiryPaused: boolean;
  /** Keys removed because they expired (INFO `expired_keys`); a database counts its own here. */
  expiredKeys: number;
  /** The clock expiry is judged by, Unix ms. */
  readonly now: () => number;
  /** What access words mean (src/store/access.ts). */
  readonly accessMode: AccessMode;
  /** The LRU clock access words are stamped with (src/store/access.ts `lruClock`). */
  readonly lruNow: number;
  /** The access clock, Unix ms, read once per batch of commands. */
  readonly clockMs: number;
  /** `lfu-log-factor`. */
  readonly lfuLogFactor: number;
  /** `lfu-decay-time`, minutes. */
  readonly lfuDecayTime: number;
}

/** One numbered database (SELECT index): an index table whose slots name arena entries. */
export class Db extends IndexTable<DbHost> {
  /**
   * @param ks the keyspace it belongs to
   * @param id database index
   */
  /**
   * The database number its new arena entries carry. It is its index except
   * after SWAPDB, which exchanges two databases' index tables without
   * touching their entries: each then keeps writing the number its entries
   * carry, until the next snapshot renumbers them ({@link Keyspace.renumberEntries}).
   */
  tag: number;

  constructor(
    ks: DbHost,
    readonly id: number,
  ) {
    super(ks);
    this.tag = id;
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
    if (!this.ks.expiryPaused) this.expireSlot(slot);
    return -1;
  }

  /** Counts an access to the key at `slot` in its access word (nothing under FIFO, which ranks by insertion). */
  touch(slot: number): void {
    const ks = this.ks;
    const mode = ks.accessMode;
    if (mode === AccessMode.Lru) this.meta[slot] = ks.lruNow;
    else if (mode === AccessMode.Lfu) {
      this.meta[slot] = lfuTouch(this.meta[slot]!, ks.clockMs, ks.lfuLogFactor, ks.lfuDecayTime);
    }
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

  /**
   * Writes this database's number into every one of its entries that
   * carries another (before a snapshot, after SWAPDB).
   */
  renumberEntries(): void {
    const arena = this.ks.arena;
    this.forEachSlot((slot) => {
      const ref = this.ref(slot);
      const off = Arena.offsetOf(ref);
      if (Entry.db(arena.pages[Arena.pageOf(ref)]!, off) !== this.id) Entry.setDb(arena.writable(ref), off, this.id);
    });
    this.tag = this.id;
  }

  /** Bytes the entry at `slot` takes in its arena page: header, key and value, aligned (MEMORY USAGE). */
  entryBytes(slot: number): number {
    const ref = this.ref(slot);
    return Entry.size(this.ks.arena.pages[Arena.pageOf(ref)]!, Arena.offsetOf(ref));
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
      if (
        Entry.type(page, off) === EntryType.String &&
        this.fitsInPlace(page, off, value.length) &&
        (expireAt === 0 || Entry.hasExpireField(page, off))
      ) {
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
    const h = Entry.write(np, no, Entry.type(page, off), flags, this.tag, keyLen, len, cap, Entry.expireAt(page, off));
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
  private writeEntry(
    type: number,
    key: Uint8Array,
    value: Uint8Array,
    valLen: number,
    valCap: number,
    expireAt: number,
    extraFlags: number,
  ): number {
    const arena = this.ks.arena;
    let flags = extraFlags;
    if (expireAt > 0 || valCap >= ALWAYS_EXPIRE_FIELD_BYTES) flags |= FLAG_EXPIRE;
    if (valCap > valLen) flags |= FLAG_CAP;
    const ref = arena.alloc(entrySize(flags, key.length, valCap));
    const page = arena.pages[Arena.pageOf(ref)]!;
    const off = Arena.offsetOf(ref);
    const h = Entry.write(page, off, type, flags, this.tag, key.length, valLen, valCap, expireAt);
    page.set(key, off + h);
    page.set(value.subarray(0, valLen), off + h + key.length);
    return ref;
  }

  /**
   * The collection the entry at `slot` names; the caller has checked that
   * {@link type} is a collection type.
   *
   * @throws Error when no collection has the entry's handle (the entry and the registry disagree)
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
    // A new handle: chunks written under any earlier one would name no key.
    releaseChunks(this.ks.arena, c);
    reg.add(c, handle);
  }

  /**
   * Rewrites the entry at `slot` with the current image of its collection
   * `c` (a snapshot freezing: docs/FORMAT.md, "Collection image"): a large
   * hash, list, set or sorted set gets a chunked image, its changed chunks
   * written first ("Chunked collection image"); any other a whole one.
   */
  writeImage(slot: number, c: Collection): void {
    const ref = this.ref(slot);
    const arena = this.ks.arena;
    let value: Buffer;
    if (wantsChunks(c)) {
      // A large hash, list, set or sorted set: only its changed chunks are encoded.
      writeChunks(arena, c);
      value = chunkedValue(c);
    } else {
      releaseChunks(arena, c);
      const image = c.encode();
      value = Buffer.allocUnsafe(COLLECTION_HEADER + image.length);
      value.writeUInt32LE(c.handle, 0);
      value.writeUInt32LE(IMAGE_WHOLE, 4);
      image.copy(value, COLLECTION_HEADER);
    }
    const page = arena.pages[Arena.pageOf(ref)]!;
    const off = Arena.offsetOf(ref);
    const size = Entry.size(page, off);
    const key = this.keyAt(ref);
    const expireAt = Entry.expireAt(page, off);
    this.slots[slot * 2 + 1] = this.writeEntry(c.type, key, value, value.length, value.length, expireAt, 0);
    this.ks.arena.release(ref, size);
  }

  /** If the entry at `ref` names a collection, forgets the collection (its key is being removed or overwritten). */
  private dropCollectionAt(ref: number): void {
    const page = this.ks.arena.pages[Arena.pageOf(ref)]!;
    const off = Arena.offsetOf(ref);
    if (Entry.type(page, off) === EntryType.String) return;
    const c = this.ks.collections.byHandle.get(page.readUInt32LE(Entry.valueStart(page, off)));
    if (c === undefined) return;
    this.ks.collections.drop(c);
    releaseChunks(this.ks.arena, c);
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
    this.vacate(slot);
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
    // The key keeps its access word (LRU clock, LFU counter, insertion time),
    // as Redis's RENAME and MOVE keep the object.
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
    for (let i = 0; i < this.cap; i++) if (this.slots[i * 2]! > SlotWord.Tombstone) this.deleteSlot(i);
    this.resetIndex();
  }

  /**
   * Active expiry: examines slots from where the last call stopped and removes
   * expired keys, until `deadline` or a full pass. Each removal is reported
   * through {@link KeyspaceHooks.onExpired}.
   *
   * @param now the clock, Unix ms
   * @param deadline when to stop, `performance.now()` ms
   * @returns keys removed
   */
  sweepExpired(now: number, deadline: number): number {
    if (this.volatileCount === 0) {
      this.avgTtl = 0;
      return 0;
    }
    let removed = 0;
    let examined = 0;
    let ttlSum = 0;
    let ttlSamples = 0;
    const cap = this.cap;
    while (examined < cap) {
      const i = this.sweepCursor;
      this.sweepCursor = (i + 1) & this.mask;
      examined++;
      const w = this.slots[i * 2]!;
      if ((w & VOLATILE_BIT) !== 0 && w > SlotWord.Tombstone) {
        const at = this.expireAt(i);
        if (at <= now) {
          this.expireSlot(i);
          removed++;
        } else {
          ttlSum += at - now;
          ttlSamples++;
        }
      }
      if ((examined & 1023) === 0 && performance.now() >= deadline) break;
    }
    if (ttlSamples > 0) {
      // Redis's running estimate (expire.c activeExpireCycle): 2% of each new sample's average.
      const avg = ttlSum / ttlSamples;
      this.avgTtl = this.avgTtl === 0 ? avg : (this.avgTtl / 50) * 49 + avg / 50;
    }
    return removed;
  }

  /**
   * Moves the entry at arena reference `oldRef` (belonging to `key`) to a
   * fresh allocation: one step of page compaction.
   *
   * @param size the entry's size in the arena, bytes
   * @throws Error when the index does not hold `key` at `oldRef` (the arena and the index disagree)
   */
  relocate(key: Uint8Array, oldRef: number, size: number): void {
    const slot = this.findSlot(key);
    if (slot < 0 || this.ref(slot) !== oldRef) {
      throw new Error(`arena entry ${oldRef} of db ${this.id} is not in the index`);
    }
    const arena = this.ks.arena;
    const src = arena.pages[Arena.pageOf(oldRef)]!;
    const so = Arena.offsetOf(oldRef);
    const newRef = arena.alloc(size);
    src.copy(arena.pages[Arena.pageOf(newRef)]!, Arena.offsetOf(newRef), so, so + size);
    this.slots[slot * 2 + 1] = newRef;
    arena.release(oldRef, size);
  }
}
