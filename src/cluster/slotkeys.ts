/**
 * The keys of a hash slot, for COUNTKEYSINSLOT, GETKEYSINSLOT and the
 * deletion of a lost slot's keys. Redis keeps a per-slot list through every
 * key (16 bytes a key); FlashCache keeps no per-key structure, so that a
 * cluster node's memory per key stays what it is outside cluster mode and
 * keys stay off the V8 heap. Instead one walk of database 0 sorts every key
 * into its slot, and the result is kept while the WAL's last LSN says
 * nothing was written since; a slot's list that still names existing keys
 * is also good enough for GETKEYSINSLOT after writes (every key it returns
 * exists and is in that slot), which is what `redis-cli --cluster reshard`
 * needs: one walk per slot moved at most. The cache is dropped after ten
 * seconds without use. docs/CLUSTER.md, "Keys of a slot".
 */
import type { Db } from '../store/db.js';
import { CLUSTER_SLOTS, keyHashSlot } from './crc16.js';

/** Keys by slot, built by walking database 0. */
export class SlotKeyIndex {
  /** Keys by slot, as latin1 strings (lighter than Buffers on the heap; converted back when answered). */
  private bySlot: Map<number, string[]> | null = null;
  private builtAt = -1;
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

  private build(): Map<number, string[]> {
    const db = this.db();
    const map = new Map<number, string[]>();
    db.forEachSlot((i) => {
      const key = db.key(i);
      const slot = keyHashSlot(key);
      const text = key.latin1Slice(0, key.length);
      const list = map.get(slot);
      if (list === undefined) map.set(slot, [text]);
      else list.push(text);
    });
    this.bySlot = map;
    this.builtAt = this.version();
    return map;
  }

  /** The cache, rebuilt when a write happened since. */
  private fresh(): Map<number, string[]> {
    this.lastUse = Date.now();
    if (this.bySlot !== null && this.builtAt === this.version()) return this.bySlot;
    return this.build();
  }

  /**
   * Notes that `slot` is set MIGRATING now: from here on no key can appear in
   * it on this node (a missing key's write is sent to the target with ASK),
   * so a walk made after this lists all its keys for as long as it migrates.
   */
  migrating(slot: number): void {
    this.migratingSince.set(slot, this.version());
  }

  /** Keys of database 0 in `slot`. */
  count(slot: number): number {
    if (slot < 0 || slot >= CLUSTER_SLOTS) return 0;
    if (this.bySlot !== null && this.listsAll(slot)) return this.keys(slot, Number.MAX_SAFE_INTEGER).length;
    return this.fresh().get(slot)?.length ?? 0;
  }

  /** Whether the cached list of `slot` names every key it has (once the keys that are gone are left out). */
  private listsAll(slot: number): boolean {
    if (this.builtAt === this.version()) return true;
    const since = this.isMigrating(slot) ? this.migratingSince.get(slot) : undefined;
    return since !== undefined && this.builtAt >= since;
  }

  /** Up to `max` keys of database 0 in `slot`, each existing now. */
  keys(slot: number, max: number): Buffer[] {
    this.lastUse = Date.now();
    const db = this.db();
    const toBuffers = (keys: string[]) => keys.slice(0, max).map((k) => Buffer.from(k, 'latin1'));
    if (this.bySlot !== null) {
      const cached = (this.bySlot.get(slot) ?? []).filter((k) => db.findSlot(Buffer.from(k, 'latin1')) >= 0);
      if (cached.length > 0 || this.listsAll(slot)) {
        this.bySlot.set(slot, cached);
        return toBuffers(cached);
      }
    }
    return toBuffers(this.build().get(slot) ?? []);
  }

  /** Drops the cache when unused for ten seconds (called from the cluster cron). */
  expire(): void {
    if (this.bySlot !== null && Date.now() - this.lastUse > 10_000) this.bySlot = null;
  }
}
