/**
 * The collection types by entry type: rebuilding one from its image, and
 * the one place the rest of the server imports them from (hashes, lists,
 * sets, sorted sets, streams, the shared base class and scan cursor).
 */
import { EntryType } from './arena.js';
import type { ChunkedHeader, Collection } from './collection.js';
import { HashValue } from './hash-value.js';
import { ListValue } from './list-value.js';
import { SetValue } from './set-value.js';
import { StreamValue } from './stream-value.js';
import { ZSetValue } from './zset-value.js';

export {
  CHUNK_ELEMENTS,
  CHUNKED_MIN_POSITIONS,
  Collection,
  LISTPACK_MAX_ENTRIES,
  LISTPACK_MAX_VALUE,
  scanStep,
} from './collection.js';
export { CollectionRegistry } from './collection-registry.js';
export { HashPut, HashValue } from './hash-value.js';
export { ListValue } from './list-value.js';
export { INTSET_MAX_ENTRIES, SetValue } from './set-value.js';
export { ZSetValue } from './zset-value.js';
export { StreamValue } from './stream-value.js';

/**
 * Rebuilds a collection from the image in its key's entry.
 *
 * @throws Error for an entry type that is not a collection
 */
export function decodeCollection(type: number, image: Buffer): Collection {
  switch (type) {
    case EntryType.Hash:
      return HashValue.decode(image);
    case EntryType.List:
      return ListValue.decode(image);
    case EntryType.Set:
      return SetValue.decode(image);
    case EntryType.ZSet:
      return ZSetValue.decode(image);
    case EntryType.Stream:
      return StreamValue.decode(image);
    default:
      throw new Error(`entry type ${type} is not a collection`);
  }
}

/**
 * Rebuilds a large hash, list, set or sorted set from its chunked image
 * (docs/FORMAT.md, "Chunked collection image").
 *
 * @param chunks the chunks' images, by chunk number
 * @throws Error for a type that is never chunked; RangeError when the chunks do not match the header
 */
export function decodeChunkedCollection(type: number, header: ChunkedHeader, chunks: readonly Buffer[]): Collection {
  switch (type) {
    case EntryType.Hash:
      return HashValue.decodeChunked(header, chunks);
    case EntryType.List:
      return ListValue.decodeChunked(header, chunks);
    case EntryType.Set:
      return SetValue.decodeChunked(header, chunks);
    case EntryType.ZSet:
      return ZSetValue.decodeChunked(header, chunks);
    default:
      throw new Error(`entry type ${type} has no chunked image`);
  }
}
