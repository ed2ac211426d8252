/**
 * What every collection (hash, list, set, sorted set) shares: its identity
 * (handle, key, database), its heap-bytes estimate and its dirtiness, which
 * it reports to the registry it belongs to (src/store/collection-registry.ts);
 * plus the encoding limits and the scan cursor that several types use.
 *
 * A collection lives in the V8 heap as a structure with Redis's complexity
 * for every operation (docs/ARCHITECTURE.md, "Collections"); its key's arena
 * entry holds a handle to it plus its *image*, the serialized form that
 * snapshots carry (docs/FORMAT.md, "Collection image"). A change marks the
 * collection dirty; the image is rewritten only when a snapshot freezes, so a
 * single-element change costs O(1) or O(log n), and a snapshot costs the size
 * of the collections changed since the last one.
 *
 * Elements are latin1 strings: one character per byte, so any bytes survive,
 * a string's length is its byte length, and `<` on strings is byte order
 * (Redis compares with memcmp).
 */
import type { EntryType } from './arena.js';
import type { ImageSource } from './collection-image.js';

/**
 * Redis's `hash-max-listpack-entries` / `zset-max-listpack-entries` default:
 * above this a small encoding converts.
 */
export const LISTPACK_MAX_ENTRIES = 128;
/** Redis's `hash-max-listpack-value` / `zset-max-listpack-value` default, bytes. */
export const LISTPACK_MAX_VALUE = 64;

/**
 * Positions (hash and set: elements; list: ring-buffer slots) per chunk of a
 * chunked image (docs/FORMAT.md, "Chunked collection image"); a power of two.
 */
export const CHUNK_ELEMENTS = 1024;
/** log2 of {@link CHUNK_ELEMENTS}. */
const CHUNK_SHIFT = 10;
/**
 * A hash, list, set or sorted set of at least this many positions is imaged
 * in chunks, so that a snapshot re-encodes only the chunks changed since the
 * last one; smaller ones (and every stream) keep the whole image.
 */
export const CHUNKED_MIN_POSITIONS = 8 * CHUNK_ELEMENTS;

/** The header words of a chunked image (docs/FORMAT.md, "Chunked collection image"). */
export interface ChunkedHeader {
  /** Elements (hash: field-value pairs). */
  count: number;
  /** The type's flags word, as in the whole image. */
  flags: number;
  /** Positions the chunks cover: the elements, or a list's ring-buffer capacity. */
  positions: number;
  /** A list's ring-buffer head slot; 0 for the other types. */
  head: number;
}

/**
 * A collection object's own heap bytes, beyond its elements (each type adds
 * a per-element overhead; docs/ARCHITECTURE.md, "Collections").
 */
const OBJECT_OVERHEAD = 160;

/**
 * What a collection reports its changes to: the keyspace's registry
 * (src/store/collection-registry.ts implements it; declared here so that a
 * collection does not import the registry).
 */
export interface CollectionOwner {
  /** Estimated heap bytes of all its collections. */
  bytes: number;
  /** Collections changed since their image was last written. */
  readonly dirty: Set<Collection>;
}

/** What every collection shares: identity, accounting, dirtiness. */
export abstract class Collection {
  /** Identifies the collection in its key's arena entry. */
  handle = 0;
  /** Estimated heap bytes. */
  bytes = OBJECT_OVERHEAD;
  /** The registry it belongs to once its key exists. */
  registry: CollectionOwner | null = null;
  /** The database its key lives in, for rewriting the image at a snapshot. */
  db = 0;
  /** Its key's bytes (a copy), for the same. */
  key: Buffer = Buffer.alloc(0);

  /**
   * While its image is chunked: the arena reference of each chunk's entry,
   * by chunk number (src/store/collection-chunks.ts); null while its image
   * is whole (or not written yet).
   */
  chunkRefs: number[] | null = null;
  /** While chunked: chunks changed since their entry was last written. */
  dirtyChunks: Set<number> | null = null;
  /** While chunked: every chunk changed (the positions were rearranged). */
  allChunksDirty = false;

  /** The entry type of its key. */
  abstract readonly type: EntryType;
  /** Number of elements. */
  abstract get size(): number;
  /** OBJECT ENCODING's answer. */
  abstract get encoding(): string;
  /** Writes the image (docs/FORMAT.md, "Collection image"). */
  abstract encode(): Buffer;
  /** A deep copy (COPY). */
  abstract clone(): Collection;

  /**
   * Positions a chunked image would cover (hash and set: elements; list:
   * ring-buffer slots), or -1 for a type always imaged whole.
   */
  chunkPositions(): number {
    return -1;
  }

  /** The chunked image's header words; only for types with {@link chunkPositions} ≥ 0. */
  chunkedHeader(): ChunkedHeader {
    throw new Error(`a collection of type ${this.type} has no chunked image`);
  }

  /**
   * What the image of chunk `k` is written from (positions `k ×
   * CHUNK_ELEMENTS` up to the next chunk's): laid out as a whole image of the
   * elements in those positions.
   */
  encodeChunk(k: number): ImageSource {
    throw new Error(`a collection of type ${this.type} has no chunk ${k}`);
  }

  /** Marks the chunk holding position `pos` changed (nothing while the image is whole). */
  protected touchChunk(pos: number): void {
    const d = this.dirtyChunks;
    if (d !== null) d.add(pos >>> CHUNK_SHIFT);
  }

  /** Marks every chunk changed (nothing while the image is whole). */
  protected touchAllChunks(): void {
    if (this.dirtyChunks !== null) this.allChunksDirty = true;
  }

  /** Records a change of `delta` bytes and marks the collection dirty. */
  protected changed(delta: number): void {
    this.bytes += delta;
    const r = this.registry;
    if (r !== null) {
      r.bytes += delta;
      r.dirty.add(this);
    }
  }
}

/**
 * One step of a reverse walk over a dense array whose removals swap the last
 * element into the hole (HSCAN, SSCAN). The cursor is how many leading
 * elements are still to visit; 0 starts at the end. An element present for
 * the whole walk is visited at least once, as SCAN guarantees: a removal only
 * ever moves an already visited element (the last one) into the unvisited
 * part.
 *
 * @returns the next cursor (0 when done) and the first index of this step; visit `from..to-1`
 */
export function scanStep(cursor: number, size: number, count: number): { next: number; from: number; to: number } {
  const to = cursor === 0 || cursor > size ? size : cursor;
  const from = Math.max(0, to - Math.max(1, count));
  return { next: from, from, to };
}
