/**
 * The keys of a hash slot, for COUNTKEYSINSLOT, GETKEYSINSLOT and the
 * deletion of a lost slot's keys. Redis keeps a per-slot list through every
 * key (16 bytes a key); FlashCache keeps no per-key structure, so that a
 * cluster node's memory per key stays what it is outside cluster mode and
 * keys stay off the V8 heap. Instead a walk of database 0 collects the keys
 * of the slot asked about, and the list is kept while the WAL's last LSN
 * says nothing was written since, or while the slot migrates away (no key
 * can appear in it then); a list that still names existing keys is also
 * good enough for GETKEYSINSLOT after writes (every key it returns exists
 * and is in that slot), which is what `redis-cli --cluster reshard` needs:
 * one walk per slot moved. The lists are dropped after ten seconds without
 * use. docs/CLUSTER.md, "Keys of a slot".
 */
import type { Db } from '../store/db.js';
import { CLUSTER_SLOTS, keyHashSlot } from './crc16.js';

/** A slot's keys as one walk found them. */
interface SlotList {
  /** latin1 strings (lighter than Buffers on the heap; converted back when answered). */
  keys: string[];
  /** Keys before this index are known gone. */
  head: number;
  /** The version the walk saw. */
  builtAt: number;
}

/** Keys by slot, found by walking database 0. */
export class SlotKeyIndex {
  private readonly lists = new Map<number, SlotList>();
  private lastUse = 0;
  /** Version when each slot was last set MIGRATING here. */
  private readonly migratingSince = new Map<number, number>();
  /** Whether `slot` is being migrated away now (set by the cluster once it exists). */
  isMigrating: (slot: number) => boolean = () => false;

  /**
   * @param db database 0
   * @param version a number that changes whenever a key may have been added or removed (the WAL's last LSN)
   */
  constructor(
    private readonly db: () => Db,
    private readonly version: () => number,
  ) {}

  /** Walks database 0 for the keys of `slot` (no copy of the others). */
  private walk(slot: number): SlotList {
    const keys: string[] = [];
    this.db().forEachKeyRange((page, start, end) => {
      if (keyHashSlot(page, start, end) === slot) keys.push(page.latin1Slice(start, end));
    });
    const list = { keys, head: 0, builtAt: this.version() };
    this.lists.set(slot, list);
    return list;
  }

  /**
   * Notes that `slot` is set MIGRATING now: from here on no key can appear in
   * it on this node (a missing key's write is sent to the target with ASK),
   * so a walk made after this lists all its keys for as long as it migrates.
   */
  migrating(slot: number): void {
    this.migratingSince.set(slot, this.version());
  }

  /** Whether `list` names every key `slot` has (once the keys that are gone are left out). */
  private complete(slot: number, list: SlotList): boolean {
    if (list.builtAt === this.version()) return true;
    const since = this.isMigrating(slot) ? this.migratingSince.get(slot) : undefined;
    return since !== undefined && list.builtAt >= since;
  }

  /** The list of `slot` when it still names every key the slot has (once the keys that are gone are left out). */
  private completeList(slot: number): SlotList | undefined {
    this.lastUse = Date.now();
    const list = this.lists.get(slot);
    return list !== undefined && this.complete(slot, list) ? list : undefined;
  }

  /** Keys of database 0 in `slot`. */
  count(slot: number): number {
    if (slot < 0 || slot >= CLUSTER_SLOTS) return 0;
    const list = this.completeList(slot);
    if (list === undefined) return this.walk(slot).keys.length;
    const db = this.db();
    list.keys = list.keys.slice(list.head).filter((k) => db.findSlot(Buffer.from(k, 'latin1')) >= 0);
    list.head = 0;
    return list.keys.length;
  }

  /**
   * Up to `max` keys of database 0 in `slot`, each existing now: from the last
   * walk's list while it names any (every key it returns exists and is in
   * that slot), else from a new walk. Only the front of the list is looked at,
   * and the keys found gone there are passed for good: a reshard that takes a
   * slot's keys ten at a time, migrating each batch away before asking
   * again, costs O(keys) for the slot, not O(keys²).
   */
  keys(slot: number, max: number): Buffer[] {
    this.lastUse = Date.now();
    const list = this.lists.get(slot);
    if (list !== undefined) {
      const found = this.liveHead(list, max);
      if (found.length > 0 || this.complete(slot, list)) return found;
    }
    return this.liveHead(this.walk(slot), max);
  }

  /** The first `max` keys of `list` that exist now; the gone ones before the first that exists are dropped. */
  private liveHead(list: SlotList, max: number): Buffer[] {
    const db = this.db();
    const out: Buffer[] = [];
    for (let i = list.head; i < list.keys.length && out.length < max; i++) {
      const key = Buffer.from(list.keys[i]!, 'latin1');
      if (db.findSlot(key) >= 0) out.push(key);
      else if (out.length === 0) list.head = i + 1;
    }
    return out;
  }

  /** Drops the lists when unused for ten seconds (called from the cluster cron). */
  expire(): void {
    if (this.lists.size > 0 && Date.now() - this.lastUse > 10_000) this.lists.clear();
  }
}
