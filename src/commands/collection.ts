/**
 * What the hash, list, set and sorted-set commands share: typed lookups that
 * reply WRONGTYPE, creation of a collection's key, and removal of a key whose
 * collection became empty (Redis deletes it, as every collection command's
 * page says: "when the last element is removed, the key is deleted").
 */
import { EntryType } from '../store/arena.js';
import type { Collection } from '../store/collections.js';
import type { Db } from '../store/db.js';
import type { Client } from '../server/client.js';
import { ERR } from './util.js';

/** The marker {@link lookupCollection} returns after replying WRONGTYPE. */
export const WRONG = Symbol('wrongtype');

/**
 * Looks `key` up in `db` for a command on collections of `type`.
 *
 * @returns the collection, null when the key is absent, or {@link WRONG} after replying WRONGTYPE
 */
export function lookupCollection<T extends Collection>(c: Client, db: Db, key: Buffer, type: EntryType): T | null | typeof WRONG {
  const slot = db.lookup(key);
  if (slot < 0) return null;
  if (db.type(slot) !== type) {
    c.reply.error(ERR.wrongType);
    return WRONG;
  }
  return db.collection(slot) as T;
}

/**
 * Like {@link lookupCollection}, counting a keyspace hit or miss (the
 * collection reads that Redis counts: HGET, LRANGE, SMEMBERS, ZRANGE...).
 */
export function readCollection<T extends Collection>(c: Client, key: Buffer, type: EntryType): T | null | typeof WRONG {
  const v = lookupCollection<T>(c, c.db, key, type);
  if (v === null) c.server.stats.keyspaceMisses++;
  else if (v !== WRONG) c.server.stats.keyspaceHits++;
  return v;
}

/**
 * Stores a new collection under `key` (absent, or holding a value to replace)
 * with no expiry. The collection must already hold its elements.
 */
export function storeCollection(db: Db, key: Buffer, coll: Collection): void {
  db.setCollection(key, coll, 0, db.findSlot(key));
}

/** Deletes `key` when its collection has no elements left; returns whether it did. */
export function deleteIfEmpty(db: Db, key: Buffer, coll: Collection): boolean {
  if (coll.size > 0) return false;
  db.delete(key);
  return true;
}

/** An element as stored: the argument's bytes as a latin1 string. */
export function el(arg: Buffer): string {
  return arg.toString('latin1');
}

/** An element's bytes back as a Buffer (for effects logged to the WAL). */
export function bytes(s: string): Buffer {
  return Buffer.from(s, 'latin1');
}
