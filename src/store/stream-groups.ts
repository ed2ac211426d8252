/**
 * Consumer groups of a stream, after Redis 7.0's t_stream.c (`streamCG`,
 * `streamConsumer`, `streamNACK`): each group has its last delivered ID, its
 * entries-read counter, a pending entries list (PEL) of IDs delivered and
 * not yet acknowledged, and its consumers, each with the part of the PEL it
 * owns. PELs are Maps; the commands that walk them in ID order sort their
 * keys (O(n log n) per XPENDING / XAUTOCLAIM call where Redis's radix tree
 * is O(log n + m)).
 */

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
  readonly pel: Map<bigint, StreamNack>;
}

/** A consumer group. */
export interface StreamGroup {
  /** Last delivered ID. */
  lastId: bigint;
  /** Entries read (the logical counter of `lastId`), or -1 when unknown. */
  entriesRead: number;
  /** Every pending entry of the group, by ID. */
  readonly pel: Map<bigint, StreamNack>;
  /** Consumers by name. */
  readonly consumers: Map<string, StreamConsumer>;
}

/** Redis's `SCG_INVALID_ENTRIES_READ`. */
export const INVALID_ENTRIES_READ = -1;

/** A new group with last delivered ID `lastId`. */
export function newGroup(lastId: bigint, entriesRead: number): StreamGroup {
  return { lastId, entriesRead, pel: new Map(), consumers: new Map() };
}

/** A new consumer named `name`, seen at `now`. */
export function newConsumer(name: string, now: number): StreamConsumer {
  return { name, seenTime: now, pel: new Map() };
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
