/**
 * The registry of a keyspace's collections: every live one by the handle
 * its key's arena entry holds, the ones changed since their image was last
 * written (what the next snapshot serializes), and the sum of their heap
 * bytes (part of `used_memory`).
 */
import type { Collection, CollectionOwner } from './collection.js';

/** Shared bookkeeping of every collection of a keyspace. */
export class CollectionRegistry implements CollectionOwner {
  /** Live collections by handle. */
  readonly byHandle = new Map<number, Collection>();
  /** Collections changed since their image was last written. */
  readonly dirty = new Set<Collection>();
  /** Estimated heap bytes of all collections. */
  bytes = 0;
  /** Next handle to give out; handles are never reused within a process. */
  nextHandle = 1;

  /**
   * Registers a collection whose key was just written.
   *
   * @param handle the handle its entry already holds (loading a snapshot), or none for a new one
   * @param clean whether its entry's image is current (loaded from a snapshot); new collections are dirty
   */
  add(c: Collection, handle = this.nextHandle++, clean = false): void {
    c.handle = handle;
    c.registry = this;
    if (handle >= this.nextHandle) this.nextHandle = handle + 1;
    this.byHandle.set(handle, c);
    this.bytes += c.bytes;
    if (!clean) this.dirty.add(c);
  }

  /** Forgets a collection whose key is gone. */
  drop(c: Collection): void {
    this.byHandle.delete(c.handle);
    this.dirty.delete(c);
    this.bytes -= c.bytes;
    c.registry = null;
  }

  /** Forgets every collection (FLUSHALL). */
  clear(): void {
    for (const c of this.byHandle.values()) c.registry = null;
    this.byHandle.clear();
    this.dirty.clear();
    this.bytes = 0;
  }
}
