/**
 * Values as Redis's RDB format carries them (docs/FORMAT.md, "RDB"), decoded
 * into plain structures whatever encoding the file used (a listpack, a
 * ziplist, an intset, a zipmap or a hashtable form all give the same
 * object), and the errors the codec throws.
 *
 * Elements are latin1 strings, one character per byte, as FlashCache's
 * collections keep them (src/store/collection.ts); integers that an encoding
 * stored as numbers come back as their decimal text, as Redis returns them.
 */

/** An RDB object of one of Redis's five core types, or a stream. */
export type RdbObject = RdbString | RdbList | RdbSet | RdbZSet | RdbHash | RdbStream;

/** A string value (any encoding: raw, integer, LZF). */
export interface RdbString {
  kind: 'string';
  value: Buffer;
}

/** A list, head first. */
export interface RdbList {
  kind: 'list';
  items: string[];
}

/** A set's members, in the file's order. */
export interface RdbSet {
  kind: 'set';
  members: string[];
}

/** A sorted set: members and their scores, parallel arrays, in the file's order. */
export interface RdbZSet {
  kind: 'zset';
  members: string[];
  scores: number[];
}

/** A hash: fields and their values, parallel arrays, in the file's order. */
export interface RdbHash {
  kind: 'hash';
  fields: string[];
  values: string[];
}

/** A stream entry ID: milliseconds and sequence, each an unsigned 64-bit integer. */
export interface RdbStreamId {
  ms: bigint;
  seq: bigint;
}

/** One pending entry of a consumer group (PEL). */
export interface RdbStreamNack {
  id: RdbStreamId;
  /** Last delivery, Unix time in ms. */
  deliveryTime: number;
  deliveryCount: number;
}

/** A consumer of a group, with the IDs of its pending entries (each also in the group's PEL). */
export interface RdbStreamConsumer {
  name: string;
  /** Unix time in ms of its last attempted interaction. */
  seenTime: number;
  /** Unix time in ms of its last successful interaction; only RDB_TYPE_STREAM_LISTPACKS_3 (Redis 7.2) carries it. */
  activeTime?: number;
  pending: RdbStreamId[];
}

/** A consumer group. */
export interface RdbStreamGroup {
  name: string;
  lastId: RdbStreamId;
  /** The group's entries-read counter; -1 when unknown (RDB 9 and older files give -1). */
  entriesRead: number;
  pel: RdbStreamNack[];
  consumers: RdbStreamConsumer[];
}

/** A stream: its live entries in ID order, its counters and its consumer groups. */
export interface RdbStream {
  kind: 'stream';
  entries: { id: RdbStreamId; fields: string[] }[];
  /** Number of live entries (equals `entries.length`). */
  length: number;
  lastId: RdbStreamId;
  /** Zero ids for files older than RDB 10, as Redis loads them. */
  firstId: RdbStreamId;
  maxDeletedId: RdbStreamId;
  /** All entries ever added; Redis loads the length for RDB 9 and older. */
  entriesAdded: number;
  groups: RdbStreamGroup[];
}

/**
 * Input that is not a valid RDB object or file: truncated, a bad length, an
 * unknown type, a checksum mismatch. `offset` is the byte offset in the
 * buffer or file where the problem was found.
 */
export class RdbError extends Error {
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(`${message} (at byte ${offset})`);
    this.name = 'RdbError';
    this.offset = offset;
  }
}
