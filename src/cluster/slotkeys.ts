/**
 * The keys of a hash slot, for COUNTKEYSINSLOT, GETKEYSINSLOT and the
 * deletion of a lost slot's keys. Redis keeps a per-slot list through every
 * key all the time (16 bytes a key); FlashCache keeps its keys off the V8
 * heap and builds such lists only while they are asked for: the first
 * question walks database 0 once and buckets every key by slot (a latin1
 * string per key in one array per slot that has keys). From then on the
 * lists stay complete through the database's {@link KeyWatcher}: every key
 * database 0 gains (SET of a missing key, RESTORE, RENAME/MOVE/COPY
 * targets, replication, replay) is appended to its slot's list, and
 * anything that replaces the keys wholesale (FLUSHALL, FLUSHDB, SWAPDB, a
 * snapshot loaded by a full sync) drops them all, so the next question
 * walks again. Keys that are deleted, expired or evicted stay in their
 * list until found gone: every answer checks that each key it returns
 * exists, and GETKEYSINSLOT drops for good the gone keys at the front of a
 * list, so a reshard that takes a slot's keys ten at a time and migrates
 * each batch costs O(keys of the slot) for the slot, and one walk for all
 * the slots moved. A key deleted and added again is in its list twice;
 * answers leave out the second, and a list that grew to twice what it held
 * when last cleaned is cleaned (gone keys and repeats removed) by the
 * cluster cron. The lists are dropped after ten seconds without use, so
 * memory is spent only while a reshard or a count runs. docs/CLUSTER.md,
 * "Keys of a slot".
 */
import type { Db } from '../store/db.js';
import type { KeyWatcher } from '../store/index-table.js';
import { CLUSTER_SLOTS, keyHashSlot } from './crc16.js';

/** A list is cleaned once it holds this many entries more than twice the keys it held when last cleaned. */
const CLEAN_SLACK = 64;

/** Keys by slot, found by one walk of database 0 and kept complete by its key watcher. */
export class SlotKeyIndex implements KeyWatcher {
  /**
   * Per slot, its keys as latin1 strings (lighter than Buffers on the heap;
   * converted back when answered), gone ones included until found; null
   * when not built (the next question walks).
   */
  private lists: (string[] | undefined)[] | null = null;
  /** Per slot, entries before this index are known gone. */
  private heads = new Int32Array(CLUSTER_SLOTS);
  /** Per slot, the list length past which the cron cleans it. */
  private limits = new Int32Array(CLUSTER_SLOTS);
  /** Slots whose list passed its limit since the last clean. */
  private readonly overgrown = new Set<number>();
  private lastUse = 0;

  /** @param db database 0; its {@link Db.keyWatcher} is set to this index */
  constructor(private readonly db: () => Db) {
    db().keyWatcher = this;
  }

  /** Whether the lists are built (for tests). */
  get built(): boolean {
    return this.lists !== null;
  }

  /** {@link KeyWatcher.inserted}: appends `key` to its slot's list while the lists are built. */
  inserted(key: Uint8Array): void {
    const lists = this.lists;
    if (lists === null) return;
    const slot = keyHashSlot(key);
    const s = Buffer.from(key.buffer, key.byteOffset, key.length).latin1Slice(0, key.length);
    const list = lists[slot];
    if (list === undefined) {
      lists[slot] = [s];
      this.heads[slot] = 0;
      this.limits[slot] = CLEAN_SLACK;
      return;
    }
    list.push(s);
    if (list.length > this.limits[slot]!) this.overgrown.add(slot);
  }

  /** {@link KeyWatcher.replaced}: drops the lists; the next question walks again. */
  replaced(): void {
    if (this.lists === null) return;
    this.lists = null;
    this.overgrown.clear();
  }

  /** The lists, walking database 0 once to bucket every key when they are not built. */
  private build(): (string[] | undefined)[] {
    this.lastUse = Date.now();
    if (this.lists !== null) return this.lists;
    const lists: (string[] | undefined)[] = new Array(CLUSTER_SLOTS).fill(undefined);
    this.db().forEachKeyRange((page, start, end) => {
      const slot = keyHashSlot(page, start, end);
      const key = page.latin1Slice(start, end);
      const list = lists[slot];
      if (list === undefined) lists[slot] = [key];
      else list.push(key);
    });
    this.heads.fill(0);
    for (let slot = 0; slot < CLUSTER_SLOTS; slot++) {
      this.limits[slot] = 2 * (lists[slot]?.length ?? 0) + CLEAN_SLACK;
    }
    this.lists = lists;
    return lists;
  }

  /**
   * Rewrites the list of `slot` with only the keys that exist now, each once.
   *
   * @returns how many remain
   */
  private clean(lists: (string[] | undefined)[], slot: number): number {
    const list = lists[slot];
    if (list === undefined) return 0;
    const db = this.db();
    const seen = new Set<string>();
    const kept: string[] = [];
    for (let i = this.heads[slot]!; i < list.length; i++) {
      const k = list[i]!;
      if (seen.has(k)) continue;
      seen.add(k);
      if (db.findSlot(Buffer.from(k, 'latin1')) >= 0) kept.push(k);
    }
    lists[slot] = kept.length > 0 ? kept : undefined;
    this.heads[slot] = 0;
    this.limits[slot] = 2 * kept.length + CLEAN_SLACK;
    this.overgrown.delete(slot);
    return kept.length;
  }

  /** Keys of database 0 in `slot`. */
  count(slot: number): number {
    if (slot < 0 || slot >= CLUSTER_SLOTS) return 0;
    return this.clean(this.build(), slot);
  }

  /**
   * Up to `max` keys of database 0 in `slot`, each existing now and each
   * once. Only the front of the list is looked at, and the keys found gone
   * there are passed for good: a reshard that takes a slot's keys ten at a
   * time, migrating each batch away before asking again, costs O(keys) for
   * the slot, not O(keys²).
   */
  keys(slot: number, max: number): Buffer[] {
    if (slot < 0 || slot >= CLUSTER_SLOTS) return [];
    const list = this.build()[slot];
    if (list === undefined) return [];
    const db = this.db();
    const out: Buffer[] = [];
    // A key deleted and added again is in the list twice; answers name it once.
    let seen: Set<string> | null = null;
    for (let i = this.heads[slot]!; i < list.length && out.length < max; i++) {
      const k = list[i]!;
      const key = Buffer.from(k, 'latin1');
      if (db.findSlot(key) < 0) {
        if (out.length === 0) this.heads[slot] = i + 1;
        continue;
      }
      if (seen === null) seen = new Set();
      else if (seen.has(k)) continue;
      seen.add(k);
      out.push(key);
    }
    return out;
  }

  /**
   * Cleans the lists that grew past their limit (keys deleted and added
   * again while the lists are kept), and drops the lists when unused for ten
   * seconds. Called every second by the cluster cron.
   */
  expire(): void {
    const lists = this.lists;
    if (lists === null) return;
    if (Date.now() - this.lastUse > 10_000) {
      this.replaced();
      return;
    }
    for (const slot of this.overgrown) this.clean(lists, slot);
    this.overgrown.clear();
  }
}
