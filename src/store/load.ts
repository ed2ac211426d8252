/**
 * Loading a snapshot into an empty keyspace: installing its pages in the
 * arena, rebuilding each database's index from their live entries (or
 * adopting the index saved beside the snapshot), and rebuilding the
 * collections from their images (docs/ARCHITECTURE.md, "Recovery").
 */
import { Arena, Entry, ENTRY_BASE, EntryType, FLAG_CAP, FLAG_DEAD, FLAG_EXPIRE } from './arena.js';
import type { CollectionRegistry } from './collection-registry.js';
import type { Collection } from './collection.js';
import { chunkKey, IMAGE_CHUNKED, readChunkedValue } from './collection-chunks.js';
import { decodeChunkedCollection, decodeCollection } from './collections.js';
import { COLLECTION_HEADER, type Db } from './db.js';
import { murmur3 } from './hash.js';
import type { SavedIndex } from './index-table.js';

/** A page of the snapshot being installed. */
export interface SnapshotPage {
  /** Page id in the arena. */
  id: number;
  /** The page's bytes: a page-sized buffer, or a view of the snapshot file when `mapped`. */
  buf: Buffer;
  /** Bytes of entries in it. */
  used: number;
  /** Whether `buf` maps the snapshot file (copied before its first change). */
  mapped?: boolean;
}

/** The index saved beside a snapshot (src/persistence/indexfile.ts): its hash seed and one table per database. */
export interface SavedIndexes {
  /** The hash seed the tables were built with. */
  seed: number;
  /** One table per database, by index. */
  dbs: SavedIndex[];
}

/** What loading fills (Keyspace implements it; declared here so that loading does not import the keyspace). */
export interface LoadTarget {
  /** Where the pages go. */
  readonly arena: Arena;
  /** The databases, by index, to index the entries in. */
  readonly dbs: readonly Db[];
  /** Where the collections go, under their handles. */
  readonly collections: CollectionRegistry;
  /** Hash seed; loading adopts a saved index's. */
  seed: number;
}

/**
 * Installs the pages of a snapshot into an empty keyspace and rebuilds the
 * index from their live entries.
 *
 * @param ks an empty keyspace
 * @param head the page appends went to when the snapshot was taken, or -1
 * @param index the index saved with this snapshot at a clean shutdown, which spares rebuilding it
 * @returns whether the saved index was adopted (false: rebuilt from the pages)
 * @throws Error when an entry names a database beyond `databases`, or a collection's image is missing or malformed
 */
export function installSnapshot(
  ks: LoadTarget,
  pages: readonly SnapshotPage[],
  head: number,
  index?: SavedIndexes,
): boolean {
  const arena = ks.arena;
  const ndb = ks.dbs.length;
  const counts = new Array<number>(ndb).fill(0);
  // Headers are read through 32-bit views (entries are 8-byte aligned and
  // page buffers start their own ArrayBuffer): this loop runs once per key.
  const views = pages.map((p) => new Uint32Array(p.buf.buffer, p.buf.byteOffset, p.buf.length >>> 2));
  const collectionRefs: number[] = [];
  const chunkRefs: number[] = [];
  pages.forEach((p, k) => {
    arena.install(p.id, p.buf, p.used, p.mapped === true);
    const u8 = p.buf;
    const u32 = views[k]!;
    let live = 0;
    for (let off = 0; off < p.used; ) {
      const w = off >>> 2;
      const f = u8[off + 1]!;
      const header = ENTRY_BASE + (f & FLAG_CAP ? 4 : 0) + (f & FLAG_EXPIRE ? 8 : 0);
      const size = (header + u32[w + 1]! + (f & FLAG_CAP ? u32[w + 3]! : u32[w + 2]!) + 7) & ~7;
      if ((f & FLAG_DEAD) === 0) {
        live += size;
        if (u8[off]! === EntryType.Chunk) {
          // Not a key: part of a collection's chunked image.
          chunkRefs.push(Arena.refOf(p.id, off));
        } else {
          const db = u8[off + 2]! | (u8[off + 3]! << 8);
          if (db >= ndb) throw new Error(`the snapshot holds keys of database ${db}, but 'databases' is ${ndb}`);
          counts[db]!++;
          if (u8[off]! !== EntryType.String) collectionRefs.push(Arena.refOf(p.id, off));
        }
      }
      off += size;
    }
    arena.countLive(p.id, live);
  });
  if (index?.dbs.every((saved, i) => saved.size === counts[i])) {
    ks.seed = index.seed;
    for (const [i, db] of ks.dbs.entries()) db.adopt(index.dbs[i]!);
    arena.finishInstall(head);
    loadCollections(ks, collectionRefs, chunkRefs);
    return true;
  }
  for (const [i, db] of ks.dbs.entries()) db.reserve(counts[i]!);
  // Hash every live entry, then insert in bucket order (a counting sort on
  // the top 16 bits of each key's home bucket): the inserts then walk each
  // index from start to end instead of missing the cache once per key.
  const total = counts.reduce((a, b) => a + b, 0);
  const hashes = new Uint32Array(total);
  const refs = new Uint32Array(total);
  const meta = new Uint32Array(total); // db << 1 | volatile
  const seed = ks.seed;
  let n = 0;
  pages.forEach((p, k) => {
    const u8 = p.buf;
    const u32 = views[k]!;
    for (let off = 0; off < p.used; ) {
      const w = off >>> 2;
      const f = u8[off + 1]!;
      const keyLen = u32[w + 1]!;
      const header = ENTRY_BASE + (f & FLAG_CAP ? 4 : 0) + (f & FLAG_EXPIRE ? 8 : 0);
      const size = (header + keyLen + (f & FLAG_CAP ? u32[w + 3]! : u32[w + 2]!) + 7) & ~7;
      if ((f & FLAG_DEAD) === 0 && u8[off]! !== EntryType.Chunk) {
        const keyStart = off + header;
        hashes[n] = murmur3(u8, keyStart, keyStart + keyLen, seed) >>> 1 || 1;
        refs[n] = Arena.refOf(p.id, off);
        // The expiry is a float64 (possibly unaligned); only its being nonzero matters here.
        let volatile = 0;
        if (f & FLAG_EXPIRE) {
          const e = off + (f & FLAG_CAP ? 16 : 12);
          const low = u8[e]! | u8[e + 1]! | u8[e + 2]! | u8[e + 3]!;
          volatile = (low | u8[e + 4]! | u8[e + 5]! | u8[e + 6]! | u8[e + 7]!) !== 0 ? 1 : 0;
        }
        meta[n] = ((u8[off + 2]! | (u8[off + 3]! << 8)) << 1) | volatile;
        n++;
      }
      off += size;
    }
  });
  const BINS = 1 << 16;
  const masks = ks.dbs.map((db) => db.capacity - 1);
  const shifts = ks.dbs.map((db) => Math.max(0, 31 - Math.clz32(db.capacity) - 16));
  const bins = new Uint32Array(total);
  const starts = new Uint32Array(ndb * BINS + 1);
  for (let i = 0; i < total; i++) {
    const db = meta[i]! >>> 1;
    const bin = db * BINS + ((hashes[i]! & masks[db]!) >>> shifts[db]!);
    bins[i] = bin;
    starts[bin + 1]!++;
  }
  for (let b = 1; b < starts.length; b++) starts[b]! += starts[b - 1]!;
  const sortedHashes = new Uint32Array(total);
  const sortedRefs = new Uint32Array(total);
  const sortedMeta = new Uint32Array(total);
  for (let i = 0; i < total; i++) {
    const at = starts[bins[i]!]!++;
    sortedHashes[at] = hashes[i]!;
    sortedRefs[at] = refs[i]!;
    sortedMeta[at] = meta[i]!;
  }
  for (let k = 0; k < total; k++) {
    ks.dbs[sortedMeta[k]! >>> 1]!.insertLoaded(sortedHashes[k]!, sortedRefs[k]!, (sortedMeta[k]! & 1) === 1);
  }
  arena.finishInstall(head);
  loadCollections(ks, collectionRefs, chunkRefs);
  return false;
}

/**
 * Rebuilds the collections whose entries a snapshot holds, from their
 * images, under the handles the entries name: a whole image from the entry
 * itself, a chunked one from the chunk entries naming its handle
 * (docs/FORMAT.md, "Chunked collection image").
 *
 * @param chunkRefs every live chunk entry
 * @throws Error when an entry's image is missing or malformed, a chunk is missing or doubled, or a chunk names
 *   no collection
 */
function loadCollections(ks: LoadTarget, refs: readonly number[], chunkRefs: readonly number[]): void {
  const chunksOf = new Map<number, number[]>();
  for (const ref of chunkRefs) {
    const { handle, k } = chunkKey(ks.arena.pages[Arena.pageOf(ref)]!, Arena.offsetOf(ref));
    let list = chunksOf.get(handle);
    if (list === undefined) chunksOf.set(handle, (list = []));
    if (list[k] !== undefined) throw new Error(`the snapshot holds chunk ${k} of collection ${handle} twice`);
    list[k] = ref;
  }
  for (const ref of refs) {
    const page = ks.arena.pages[Arena.pageOf(ref)]!;
    const off = Arena.offsetOf(ref);
    const start = Entry.valueStart(page, off);
    const len = Entry.valLen(page, off);
    const keyStart = Entry.keyStart(page, off);
    const key = Buffer.from(page.subarray(keyStart, keyStart + Entry.keyLen(page, off)));
    const name = (): string => JSON.stringify(key.toString('latin1'));
    if (len < COLLECTION_HEADER + 12)
      throw new Error(`the snapshot's entry for key ${name()} holds no collection image`);
    const handle = page.readUInt32LE(start);
    const value = page.subarray(start, start + len);
    let c: Collection;
    if (page.readUInt32LE(start + 4) === IMAGE_CHUNKED) {
      const header = readChunkedValue(value);
      const list = chunksOf.get(handle) ?? [];
      chunksOf.delete(handle);
      const images: Buffer[] = [];
      for (let k = 0; k < header.chunks; k++) {
        const r = list[k];
        if (r === undefined) throw new Error(`the snapshot lacks chunk ${k} of key ${name()}`);
        const p = ks.arena.pages[Arena.pageOf(r)]!;
        const o = Arena.offsetOf(r);
        const vs = Entry.valueStart(p, o);
        images.push(p.subarray(vs, vs + Entry.valLen(p, o)));
      }
      if (list.length > header.chunks) throw new Error(`the snapshot holds extra chunks of key ${name()}`);
      c = decodeChunkedCollection(Entry.type(page, off), header, images);
      c.chunkRefs = list;
      c.dirtyChunks = new Set();
    } else {
      c = decodeCollection(Entry.type(page, off), value.subarray(COLLECTION_HEADER));
    }
    c.db = Entry.db(page, off);
    c.key = key;
    ks.collections.add(c, handle, true);
  }
  const orphan = chunksOf.keys().next();
  if (orphan.done !== true) {
    throw new Error(`the snapshot holds chunks of collection ${orphan.value}, which no key names`);
  }
}
