/**
 * Chunked collection images (docs/FORMAT.md, "Chunked collection image"): a
 * large hash, list, set or sorted set is imaged as one small header in its
 * key's entry plus one arena entry per chunk of {@link CHUNK_ELEMENTS}
 * positions, so that a snapshot re-encodes only the chunks changed since the
 * last one: O(change), not O(collection).
 *
 * Point in time: a snapshot's freeze brings every changed chunk up to date
 * synchronously ({@link writeChunks} without a deadline, then the key
 * entry's header), so the frozen pages hold every collection exactly as of
 * the frozen LSN. Before the freeze, {@link writeChunks} with a deadline
 * may encode changed chunks a few milliseconds per event-loop turn; a chunk
 * changed again afterwards is marked changed again and re-encoded by the
 * freeze, so this only shortens the freeze, never changes what it holds.
 */
import { Arena, Entry, EntryType, entrySize } from './arena.js';
import { CHUNK_ELEMENTS, CHUNKED_MIN_POSITIONS, type ChunkedHeader, type Collection } from './collection.js';
import { type ImageSource, measureImage, writeImageAt } from './collection-image.js';

/** The image kind word (value offset 4) of a whole image. */
export const IMAGE_WHOLE = 0;
/** The image kind word (value offset 4) of a chunked image. */
export const IMAGE_CHUNKED = 1;
/** Bytes of a chunked key entry's value: handle, kind, count, flags, chunk positions, chunks, positions, head. */
export const CHUNKED_VALUE_BYTES = 32;
/** Bytes of a chunk entry's key: the collection's handle and the chunk's number. */
const CHUNK_KEY_BYTES = 8;

/**
 * When a collection is imaged in chunks: at {@link CHUNKED_MIN_POSITIONS}
 * positions. Only tests change it, to Infinity, to write snapshots as
 * versions before chunked images did (whole images only).
 */
export const chunking = { minPositions: CHUNKED_MIN_POSITIONS };

/** Whether `c` is imaged in chunks at the next snapshot. */
export function wantsChunks(c: Collection): boolean {
  const n = c.chunkPositions();
  return n >= 0 && n >= chunking.minPositions;
}

/** Chunks covering `positions`. */
function chunkCount(positions: number): number {
  return Math.ceil(positions / CHUNK_ELEMENTS);
}

/**
 * Brings the chunk entries of `c` up to date, oldest changes first, until
 * `deadline` (`performance.now()` ms; Infinity: all of them). A collection
 * whose image was whole starts with every chunk changed.
 *
 * @returns whether every chunk is now up to date
 */
export function writeChunks(arena: Arena, c: Collection, deadline = Infinity): boolean {
  if (c.chunkRefs === null) {
    c.chunkRefs = [];
    c.dirtyChunks = new Set();
    c.allChunksDirty = true;
  }
  const refs = c.chunkRefs;
  const dirty = c.dirtyChunks!;
  const n = chunkCount(c.chunkPositions());
  if (c.allChunksDirty) {
    for (let k = 0; k < n; k++) dirty.add(k);
    c.allChunksDirty = false;
  }
  while (refs.length > n) releaseChunk(arena, refs.pop()!);
  for (let k = refs.length; k < n; k++) dirty.add(k);
  for (const k of dirty) {
    if (performance.now() >= deadline) return false;
    dirty.delete(k);
    if (k >= n) continue;
    const ref = writeChunkEntry(arena, c.handle, k, c.encodeChunk(k));
    const old = refs[k];
    if (old !== undefined) releaseChunk(arena, old);
    refs[k] = ref;
  }
  return true;
}

/** Chunks of `c` that {@link writeChunks} has yet to write. */
export function pendingChunks(c: Collection): number {
  if (c.chunkRefs === null || c.allChunksDirty) return chunkCount(c.chunkPositions());
  return c.dirtyChunks!.size + Math.max(0, chunkCount(c.chunkPositions()) - c.chunkRefs.length);
}

/** The value of a chunked image's key entry (its chunks must be up to date: {@link writeChunks}). */
export function chunkedValue(c: Collection): Buffer {
  const h = c.chunkedHeader();
  const v = Buffer.alloc(CHUNKED_VALUE_BYTES);
  v.writeUInt32LE(c.handle, 0);
  v.writeUInt32LE(IMAGE_CHUNKED, 4);
  v.writeUInt32LE(h.count, 8);
  v.writeUInt32LE(h.flags, 12);
  v.writeUInt32LE(CHUNK_ELEMENTS, 16);
  v.writeUInt32LE(c.chunkRefs!.length, 20);
  v.writeUInt32LE(h.positions, 24);
  v.writeUInt32LE(h.head, 28);
  return v;
}

/** A chunked key entry's header words, and how many chunks it names. */
export interface ChunkedImage extends ChunkedHeader {
  /** Chunk entries the image consists of, numbered 0 to chunks − 1. */
  chunks: number;
}

/**
 * Reads the header of a chunked key entry's value.
 *
 * @throws RangeError when it is too short, or its chunk size or count do not match its positions
 */
export function readChunkedValue(value: Buffer): ChunkedImage {
  if (value.length < CHUNKED_VALUE_BYTES) throw new RangeError(`chunked image header of ${value.length} bytes`);
  const per = value.readUInt32LE(16);
  const img: ChunkedImage = {
    count: value.readUInt32LE(8),
    flags: value.readUInt32LE(12),
    chunks: value.readUInt32LE(20),
    positions: value.readUInt32LE(24),
    head: value.readUInt32LE(28),
  };
  if (per !== CHUNK_ELEMENTS || img.chunks !== chunkCount(img.positions)) {
    throw new RangeError(`chunked image of ${img.positions} positions in ${img.chunks} chunks of ${per}`);
  }
  return img;
}

/** Writes a chunk entry, its image encoded straight into the arena page; its reference. */
function writeChunkEntry(arena: Arena, handle: number, k: number, src: ImageSource): number {
  const measured = measureImage(src);
  const bytes = measured.bytes;
  const ref = arena.alloc(entrySize(0, CHUNK_KEY_BYTES, bytes));
  const page = arena.pages[Arena.pageOf(ref)]!;
  const off = Arena.offsetOf(ref);
  const h = Entry.write(page, off, EntryType.Chunk, 0, 0, CHUNK_KEY_BYTES, bytes, bytes, 0);
  page.writeUInt32LE(handle, off + h);
  page.writeUInt32LE(k, off + h + 4);
  writeImageAt(page, off + h + CHUNK_KEY_BYTES, src, measured);
  return ref;
}

/** Releases the chunk entry at `ref`. */
function releaseChunk(arena: Arena, ref: number): void {
  arena.release(ref, Entry.size(arena.pages[Arena.pageOf(ref)]!, Arena.offsetOf(ref)));
}

/**
 * Releases every chunk entry of `c` and makes its image whole again (its key
 * is gone, or it shrank below {@link CHUNKED_MIN_POSITIONS}).
 */
export function releaseChunks(arena: Arena, c: Collection): void {
  if (c.chunkRefs === null) return;
  for (const ref of c.chunkRefs) releaseChunk(arena, ref);
  c.chunkRefs = null;
  c.dirtyChunks = null;
  c.allChunksDirty = false;
}

/** The handle and chunk number a chunk entry's key names. */
export function chunkKey(page: Buffer, off: number): { handle: number; k: number } {
  const ks = Entry.keyStart(page, off);
  return { handle: page.readUInt32LE(ks), k: page.readUInt32LE(ks + 4) };
}

/**
 * Moves the chunk entry at `oldRef` to a fresh allocation: one step of page
 * compaction.
 *
 * @param byHandle the live collections by handle
 * @throws Error when no live collection has that chunk at `oldRef` (the arena and the collections disagree)
 */
export function relocateChunk(
  arena: Arena,
  byHandle: ReadonlyMap<number, Collection>,
  oldRef: number,
  size: number,
): void {
  const src = arena.pages[Arena.pageOf(oldRef)]!;
  const so = Arena.offsetOf(oldRef);
  const { handle, k } = chunkKey(src, so);
  const refs = byHandle.get(handle)?.chunkRefs;
  if (refs?.[k] !== oldRef) throw new Error(`arena entry ${oldRef} is not chunk ${k} of collection ${handle}`);
  const newRef = arena.alloc(size);
  src.copy(arena.pages[Arena.pageOf(newRef)]!, Arena.offsetOf(newRef), so, so + size);
  refs[k] = newRef;
  arena.release(oldRef, size);
}
