/**
 * WATCH: the keys clients watch before MULTI, and which of them were touched
 * since, after Redis's multi.c (`watchForKey`, `touchWatchedKey`,
 * `touchAllWatchedKeysInDb`, `isWatchedKeyExpired`).
 *
 * A key is touched by any change to it, from any client and in any way:
 * every change is logged to the WAL as an effect, and the server touches the
 * keys of each effect it logs (expiry, eviction and served blocked pops
 * included). Emptying a database (FLUSHDB, FLUSHALL) touches the watched keys
 * that existed in it, as the commands report before they empty it. A key that
 * had already expired when it was watched and is then deleted has not
 * changed; a watched key that expires before EXEC has.
 *
 * Reference: https://redis.io/docs/latest/develop/interact/transactions/
 */
import type { Keyspace } from '../store/keyspace.js';
import type { CommandContext, WatchRegistry } from './context.js';

/** One watched key of one client. */
interface WatchedKey {
  readonly c: CommandContext;
  readonly db: number;
  readonly key: Buffer;
  readonly id: string;
  /** The key had already expired when it was watched (Redis's `watchedKey.expired`). */
  expired: boolean;
}

/** The registry id of a key: its database and its bytes. */
function keyId(db: number, key: Uint8Array): string {
  return `${db}:${Buffer.from(key.buffer, key.byteOffset, key.length).latin1Slice(0, key.length)}`;
}

/** The watched keys of one server. */
export class Watches implements WatchRegistry {
  private readonly byKey = new Map<string, Set<WatchedKey>>();
  private readonly byClient = new Map<CommandContext, WatchedKey[]>();
  /** Clients one of whose keys was touched (Redis's `CLIENT_DIRTY_CAS`). */
  private readonly dirty = new Set<CommandContext>();

  constructor(private readonly keyspace: Keyspace) {}

  /** Whether any key is watched: when none is, changes need not be looked at. */
  get active(): boolean {
    return this.byKey.size > 0;
  }

  watch(c: CommandContext, db: number, key: Buffer): void {
    const id = keyId(db, key);
    let mine = this.byClient.get(c);
    if (mine?.some((w) => w.id === id)) return;
    const d = this.keyspace.dbs[db]!;
    const slot = d.findSlot(key);
    const w: WatchedKey = { c, db, key: Buffer.from(key), id, expired: slot >= 0 && d.isExpired(slot) };
    if (mine === undefined) this.byClient.set(c, (mine = []));
    mine.push(w);
    let set = this.byKey.get(id);
    if (set === undefined) this.byKey.set(id, (set = new Set()));
    set.add(w);
  }

  unwatch(c: CommandContext): void {
    this.dropKeys(c);
    this.dirty.delete(c);
  }

  /** Forgets the keys of `c`, keeping whether one was touched. */
  private dropKeys(c: CommandContext): void {
    const mine = this.byClient.get(c);
    if (mine === undefined) return;
    this.byClient.delete(c);
    for (const w of mine) {
      const set = this.byKey.get(w.id);
      if (set === undefined) continue;
      set.delete(w);
      if (set.size === 0) this.byKey.delete(w.id);
    }
  }

  isDirty(c: CommandContext): boolean {
    return this.dirty.has(c);
  }

  touched(c: CommandContext): boolean {
    if (this.dirty.has(c)) return true;
    for (const w of this.byClient.get(c) ?? []) {
      if (w.expired) continue;
      const d = this.keyspace.dbs[w.db]!;
      const slot = d.findSlot(w.key);
      if (slot >= 0 && d.isExpired(slot)) return true;
    }
    return false;
  }

  /**
   * A change to `key` of database `db` was logged: every client watching it
   * is marked, unless the key had already expired when watched and is now
   * gone (its deletion changes nothing).
   */
  touchKey(db: number, key: Uint8Array): void {
    const set = this.byKey.get(keyId(db, key));
    if (set === undefined) return;
    for (const w of [...set]) {
      if (w.expired) {
        const d = this.keyspace.dbs[db]!;
        if (d.findSlot(key) < 0) {
          w.expired = false;
          continue;
        }
      }
      this.markDirty(w.c);
    }
  }

  touchDb(db: number): void {
    const d = this.keyspace.dbs[db]!;
    for (const set of [...this.byKey.values()]) {
      for (const w of [...set]) {
        if (w.db !== db || d.findSlot(w.key) < 0) continue;
        if (w.expired) {
          // An expired key emptied away is no logical change.
          w.expired = false;
          continue;
        }
        this.markDirty(w.c);
      }
    }
  }

  touchSwap(a: number, b: number): void {
    this.touchReplaced(a, b);
    this.touchReplaced(b, a);
  }

  /**
   * The watched keys of database `emptied`, whose keys are about to become
   * those of `replacedWith` (multi.c `touchAllWatchedKeysInDb`).
   */
  private touchReplaced(emptied: number, replacedWith: number): void {
    const from = this.keyspace.dbs[emptied]!;
    const to = this.keyspace.dbs[replacedWith]!;
    for (const set of [...this.byKey.values()]) {
      for (const w of [...set]) {
        if (w.db !== emptied) continue;
        const inEmptied = from.findSlot(w.key) >= 0;
        const slot = to.findSlot(w.key);
        if (!inEmptied && slot < 0) continue;
        if (w.expired) {
          if (slot < 0) {
            // An expired key now gone: no logical change.
            w.expired = false;
            continue;
          }
          if (to.isExpired(slot)) continue;
        } else if (!inEmptied && to.isExpired(slot)) {
          // A missing key replaced by an expired one: still missing.
          w.expired = true;
          continue;
        }
        this.markDirty(w.c);
      }
    }
  }

  /** Marks `c` and drops its keys: nothing more about them can matter before EXEC. */
  private markDirty(c: CommandContext): void {
    this.dirty.add(c);
    this.dropKeys(c);
  }
}
