/**
 * The keyspace: the numbered databases (src/store/db.ts) and the arena they
 * share, the clocks that expiry and access words read, and the work the
 * server cron hands out in bounded steps: active expiry (as Redis's
 * `activeExpireCycle`), incremental rehashing, and page compaction. Before a
 * snapshot freezes, it writes the image of every changed collection.
 *
 * Why not a JavaScript `Map`: V8's Map stops near 16.7 million entries and
 * every key would be a heap string the collector traces. The index here is
 * one typed array per database (src/store/index-table.ts); keys and values
 * stay in the arena. docs/ARCHITECTURE.md ("Index") has the numbers.
 */
import { randomInt } from 'node:crypto';
import { AccessMode, lfuNew, lruClock } from './access.js';
import { Arena, Entry, EntryType } from './arena.js';
import { pendingChunks, relocateChunk, wantsChunks, writeChunks } from './collection-chunks.js';
import { CollectionRegistry } from './collection-registry.js';
import { Db, type DbHost, type KeyspaceHooks } from './db.js';
import { installSnapshot, type LoadTarget, type SavedIndexes, type SnapshotPage } from './load.js';

/** Index tables up to this many slots resize at once, which stalls no turn (docs/ARCHITECTURE.md, "Index"). */
const SYNC_RESIZE_SLOTS = 1 << 16;

/** All databases plus the arena they share. */
export class Keyspace implements DbHost, LoadTarget {
  /** The pages every database's keys and values live in. */
  readonly arena = new Arena();
  /** The databases, by SELECT index. */
  readonly dbs: Db[];
  /** The database each database number in arena entries now belongs to: itself, except after SWAPDB. */
  private readonly dbOfTag: Db[];
  /** Every hash, list, set and sorted set, by the handle its key's entry holds. */
  readonly collections = new CollectionRegistry();
  /** Hash seed: random per process, or adopted with a saved index. */
  seed = randomInt(2 ** 31);
  /** False while replaying the WAL: expiry then plays no part. */
  expiryEnabled = true;
  /** True while clients are paused (CLIENT PAUSE). */
  private clientsPaused = false;
  /**
   * True on a replica: keys expire only through the primary's DELs (db.c
   * `expireIfNeeded` on a replica).
   */
  replica = false;

  /**
   * True while clients are paused (CLIENT PAUSE) and on a replica: expired
   * keys read as gone but are not removed, by lookups or by the active cycle
   * (db.c `expireIfNeeded`, expire.c).
   */
  get expiryPaused(): boolean {
    return this.clientsPaused || this.replica;
  }

  /** Sets the CLIENT PAUSE part of {@link expiryPaused}. */
  set expiryPaused(paused: boolean) {
    this.clientsPaused = paused;
  }
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
    this.dbOfTag = [...this.dbs];
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
   * Installs the pages of a snapshot into this keyspace, which must be empty,
   * and rebuilds the index from their live entries (src/store/load.ts).
   *
   * @param head the page appends went to when the snapshot was taken, or -1
   * @param index the index saved with this snapshot at a clean shutdown, which spares rebuilding it
   * @returns whether the saved index was adopted (false: rebuilt from the pages)
   * @throws Error when an entry names a database beyond `databases`, or a collection's image is malformed
   */
  install(pages: readonly SnapshotPage[], head: number, index?: SavedIndexes): boolean {
    return installSnapshot(this, pages, head, index);
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

  /**
   * Encodes changed chunks of large collections ahead of a snapshot's
   * freeze, until `deadline` (`performance.now()` ms): one turn of work
   * spread over event-loop turns, so that the freeze itself
   * ({@link writeImages}) is left only what changed since
   * (src/store/collection-chunks.ts says why the point in time is kept).
   *
   * @returns changed chunks left (0: the freeze has no chunk to encode but those changed meanwhile)
   */
  writeChunksAhead(deadline: number): number {
    let left = 0;
    for (const c of this.collections.dirty) {
      if (!wantsChunks(c)) continue;
      if (performance.now() < deadline && writeChunks(this.arena, c, deadline)) continue;
      left += pendingChunks(c);
    }
    return left;
  }

  /**
   * SWAPDB: databases `a` and `b` exchange their keys, in O(1) of the data
   * (Redis's `dbSwapDatabases`): the two index tables change places, and the
   * arena entries stay where they are, each still carrying the number of
   * the database it was written in. Each database then writes its new
   * entries with the number its old ones carry, and compaction finds an
   * entry's database through {@link dbOfTag}; {@link renumberEntries}
   * makes the numbers true again before a snapshot takes the pages. The
   * collections of both databases are told their new database.
   */
  swapDbs(a: number, b: number): void {
    if (a === b) return;
    const da = this.dbs[a]!;
    const dbb = this.dbs[b]!;
    da.swapTable(dbb);
    [da.tag, dbb.tag] = [dbb.tag, da.tag];
    this.dbOfTag[da.tag] = da;
    this.dbOfTag[dbb.tag] = dbb;
    for (const c of this.collections.byHandle.values()) {
      if (c.db === a) c.db = b;
      else if (c.db === b) c.db = a;
    }
  }

  /**
   * Writes every entry's true database number after SWAPDB (a snapshot's
   * first step: the pages it saves must say where each key lives), dirtying
   * the pages of the databases swapped since the last snapshot.
   *
   * @returns how many databases were renumbered
   */
  renumberEntries(): number {
    let n = 0;
    for (const db of this.dbs) {
      if (db.tag === db.id) continue;
      db.renumberEntries();
      n++;
    }
    for (const db of this.dbs) this.dbOfTag[db.id] = db;
    return n;
  }

  /** Removes every key of every database (FLUSHALL). */
  clear(): void {
    for (const db of this.dbs) {
      db.tag = db.id;
      this.dbOfTag[db.id] = db;
    }
    this.collections.clear();
    this.arena.clear();
    for (const db of this.dbs) db.resetIndex();
  }

  /**
   * Active expiry cycle (Redis: `activeExpireCycle`): sweeps databases
   * round-robin until `budgetMs` has passed. Each removal is reported
   * through {@link KeyspaceHooks.onExpired}. Nothing expires while replaying
   * or while clients are paused.
   *
   * @param budgetMs time budget, ms
   * @returns keys removed
   */
  activeExpire(budgetMs: number): number {
    if (!this.expiryEnabled || this.expiryPaused) return 0;
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
   *
   * @param budgetMs time budget, ms
   */
  rehashMilliseconds(budgetMs: number): void {
    const deadline = performance.now() + budgetMs;
    for (const db of this.dbs) {
      while (db.rehash(4096)) if (performance.now() >= deadline) return;
    }
  }

  /**
   * Compacts up to about `budgetBytes` of live entries out of sparse pages,
   * resuming where the last call stopped; pages with nothing live are freed.
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
        if (Entry.type(page, off) === EntryType.Chunk) {
          relocateChunk(arena, this.collections.byHandle, ref, size);
          moved += size;
          return;
        }
        const db = this.dbOfTag[Entry.db(page, off)]!;
        const keyStart = Entry.keyStart(page, off);
        db.relocate(page.subarray(keyStart, keyStart + Entry.keyLen(page, off)), ref, size);
        moved += size;
      });
    }
    return moved;
  }
}
