/**
 * Consumer groups of a stream, after Redis 7.0's t_stream.c (`streamCG`,
 * `streamConsumer`, `streamNACK`): each group has its last delivered ID, its
 * entries-read counter, a pending entries list (PEL) of IDs delivered and
 * not yet acknowledged, and its consumers, each with the part of the PEL it
 * owns. PELs are Maps; the commands that walk them in ID order sort their
 * keys (O(n log n) per XPENDING / XAUTOCLAIM call where Redis's radix tree
 * is O(log n + m)).
 */

const LOW64 = (1n << 64n) - 1n;
/** An odd multiplier: the low 64 bits of a key mix the ID's seq with its ms. */
const MIX = 0x9e3779b97f4a7c15n;

/** A stored key from a stream ID (128 bits: ms << 64 | seq), reversibly. */
function mixId(id: bigint): bigint {
  const hi = id >> 64n;
  return (hi << 64n) | ((id + hi * MIX) & LOW64);
}

/** The stream ID of a stored key (the inverse of {@link mixId}). */
function unmixId(k: bigint): bigint {
  const hi = k >> 64n;
  return (hi << 64n) | ((k - hi * MIX) & LOW64);
}

/**
 * A Map keyed by stream IDs. V8 hashes a BigInt by its lowest 64 bits only,
 * and most stream IDs share them (a seq of 0 or 1), so a plain
 * `Map<bigint, V>` of IDs degrades to a linear search (20,000 `*` IDs: 1.8 s
 * of inserts instead of 7 ms). Keys are stored with those bits mixed with
 * the ms part, reversibly; the map reads and iterates as a Map of IDs.
 */
export class IdMap<V> implements ReadonlyMap<bigint, V> {
  private readonly m = new Map<bigint, V>();

  get size(): number {
    return this.m.size;
  }
  get(id: bigint): V | undefined {
    return this.m.get(mixId(id));
  }
  has(id: bigint): boolean {
    return this.m.has(mixId(id));
  }
  set(id: bigint, v: V): this {
    this.m.set(mixId(id), v);
    return this;
  }
  delete(id: bigint): boolean {
    return this.m.delete(mixId(id));
  }
  clear(): void {
    this.m.clear();
  }
  *entries(): MapIterator<[bigint, V]> {
    for (const [k, v] of this.m) yield [unmixId(k), v];
  }
  *keys(): MapIterator<bigint> {
    for (const k of this.m.keys()) yield unmixId(k);
  }
  values(): MapIterator<V> {
    return this.m.values();
  }
  [Symbol.iterator](): MapIterator<[bigint, V]> {
    return this.entries();
  }
  forEach(fn: (v: V, id: bigint, map: ReadonlyMap<bigint, V>) => void): void {
    for (const [k, v] of this.m) fn(v, unmixId(k), this);
  }
}

/** A pending entry: who it was delivered to, when, and how many times. */
export interface StreamNack {
  consumer: StreamConsumer | null;
  /** Unix ms of the last delivery. */
  deliveryTime: number;
  deliveryCount: number;
}

/** A consumer of a group. */
export interface StreamConsumer {
  readonly name: string;
  /** Unix ms it was last seen (XINFO CONSUMERS `idle`). */
  seenTime: number;
  /** The pending entries it owns, by ID. */
  readonly pel: IdMap<StreamNack>;
}

/** A consumer group. */
export interface StreamGroup {
  /** Last delivered ID. */
  lastId: bigint;
  /** Entries read (the logical counter of `lastId`), or -1 when unknown. */
  entriesRead: number;
  /** Every pending entry of the group, by ID. */
  readonly pel: IdMap<StreamNack>;
  /** Consumers by name. */
  readonly consumers: Map<string, StreamConsumer>;
}

/** Redis's `SCG_INVALID_ENTRIES_READ`. */
export const INVALID_ENTRIES_READ = -1;

/** A new group with last delivered ID `lastId`. */
export function newGroup(lastId: bigint, entriesRead: number): StreamGroup {
  return { lastId, entriesRead, pel: new IdMap(), consumers: new Map() };
}

/** A new consumer named `name`, seen at `now`. */
export function newConsumer(name: string, now: number): StreamConsumer {
  return { name, seenTime: now, pel: new IdMap() };
}

/** The keys of a PEL (or names of a map) in ascending order: IDs numerically, names bytewise. */
export function sortedKeys<K extends bigint | string>(m: ReadonlyMap<K, unknown>): K[] {
  return [...m.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** What the lag and entries-read computations read of a stream. */
export interface StreamCounters {
  readonly length: number;
  readonly entriesAdded: number;
  readonly lastId: bigint;
  readonly firstId: bigint;
  readonly maxDeletedId: bigint;
}

/**
 * Whether a deleted entry may lie in `start..end` (t_stream.c
 * `streamRangeHasTombstones`; null ends are the stream's).
 */
export function rangeHasTombstones(s: StreamCounters, start: bigint | null, end: bigint | null): boolean {
  if (s.length === 0 || s.maxDeletedId === 0n) return false;
  if (s.firstId > s.maxDeletedId) return false;
  const from = start ?? 0n;
  const to = end ?? (1n << 128n) - 1n;
  return from <= s.maxDeletedId && s.maxDeletedId <= to;
}

/**
 * The logical read counter of `id` (t_stream.c
 * `streamEstimateDistanceFromFirstEverEntry`), or -1 when it cannot be known.
 */
export function estimateEntriesRead(s: StreamCounters, id: bigint): number {
  if (s.entriesAdded === 0) return 0;
  if (s.length === 0 && id <= s.lastId) return s.entriesAdded;
  if (id === s.lastId) return s.entriesAdded;
  if (id > s.lastId) return INVALID_ENTRIES_READ;
  if (s.maxDeletedId === 0n || s.maxDeletedId < s.firstId) {
    if (id < s.firstId) return s.entriesAdded - s.length;
    if (id === s.firstId) return s.entriesAdded - s.length + 1;
  }
  return INVALID_ENTRIES_READ;
}

/** A group's lag (t_stream.c `streamReplyWithCGLag`), or null when it cannot be known. */
export function groupLag(s: StreamCounters, g: StreamGroup): number | null {
  if (s.entriesAdded === 0) return 0;
  if (g.entriesRead !== INVALID_ENTRIES_READ && !rangeHasTombstones(s, g.lastId, null)) {
    return s.entriesAdded - g.entriesRead;
  }
  const read = estimateEntriesRead(s, g.lastId);
  return read === INVALID_ENTRIES_READ ? null : s.entriesAdded - read;
}

/**
 * Advances a group past `id`, an entry it delivers (t_stream.c
 * `streamReplyWithRange`): its entries-read counter and last ID.
 */
export function advanceGroup(s: StreamCounters, g: StreamGroup, id: bigint): void {
  if (id <= g.lastId) return;
  if (g.entriesRead !== INVALID_ENTRIES_READ && !rangeHasTombstones(s, id, null)) g.entriesRead++;
  else if (s.entriesAdded !== 0) g.entriesRead = estimateEntriesRead(s, id);
  g.lastId = id;
}
