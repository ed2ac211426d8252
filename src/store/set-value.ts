/**
 * The set type (SADD, SREM, SISMEMBER, SPOP, SSCAN...): members in a dense
 * array with a Map from member to index.
 */
import { EntryType } from './arena.js';
import { CHUNK_ELEMENTS, type ChunkedHeader, Collection } from './collection.js';
import { encodeImage, type ImageSource, readImage } from './collection-image.js';

/** Redis's `set-max-intset-entries` default. */
export const INTSET_MAX_ENTRIES = 512;

/**
 * Heap bytes a member costs beyond its string bytes (string header, the Map
 * entry, an array cell), measured as the growth of `heapUsed`; counted in
 * `used_memory` and by maxmemory (docs/ARCHITECTURE.md, "Collections").
 */
const SET_ELEMENT_OVERHEAD = 80;

/** Redis's `string2ll` test for the intset encoding: a canonical signed 64-bit decimal. */
function isInt64(s: string): boolean {
  const n = s.length;
  if (n === 0 || n > 20) return false;
  let i = s.charCodeAt(0) === 45 ? 1 : 0;
  if (i === n) return false;
  if (s.charCodeAt(i) === 48 && n > i + 1) return false;
  if (i === 1 && s === '-0') return false;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  if (n >= 19) {
    const v = BigInt(s);
    return v <= 9223372036854775807n && v >= -9223372036854775808n;
  }
  return true;
}

/**
 * A set: members in a dense array with a Map from member to index (O(1)
 * add, remove, membership and random pick; SSCAN walks from the end).
 */
export class SetValue extends Collection {
  readonly type = EntryType.Set;
  /** Members, in no order. Changed through {@link add} and {@link delete}. */
  readonly members: string[] = [];
  private readonly pos = new Map<string, number>();
  /** Cleared once a member is not an integer or the set outgrows the intset limit; never set again. */
  private intset = true;

  get size(): number {
    return this.members.length;
  }

  get encoding(): string {
    return this.intset ? 'intset' : 'hashtable';
  }

  /** Whether `member` is in the set. */
  has(member: string): boolean {
    return this.pos.has(member);
  }

  /** Adds `member`; returns whether it is new. */
  add(member: string): boolean {
    if (this.pos.has(member)) return false;
    this.touchChunk(this.members.length);
    this.pos.set(member, this.members.length);
    this.members.push(member);
    if (this.intset && (this.members.length > INTSET_MAX_ENTRIES || !isInt64(member))) this.intset = false;
    this.changed(SET_ELEMENT_OVERHEAD + member.length);
    return true;
  }

  /** Removes `member`; returns whether it was there. */
  delete(member: string): boolean {
    const i = this.pos.get(member);
    if (i === undefined) return false;
    const last = this.members.length - 1;
    this.touchChunk(i);
    this.touchChunk(last);
    if (i !== last) {
      const lm = this.members[last]!;
      this.members[i] = lm;
      this.pos.set(lm, i);
    }
    this.members.pop();
    this.pos.delete(member);
    this.changed(-(SET_ELEMENT_OVERHEAD + member.length));
    return true;
  }

  encode(): Buffer {
    const m = this.members;
    return encodeImage(m.length, this.intset ? 0 : 1, m.length, (i) => m[i]!, null);
  }

  override chunkPositions(): number {
    return this.members.length;
  }

  override chunkedHeader(): ChunkedHeader {
    return { count: this.members.length, flags: this.intset ? 0 : 1, positions: this.members.length, head: 0 };
  }

  override encodeChunk(k: number): ImageSource {
    const from = k * CHUNK_ELEMENTS;
    const n = Math.min(this.members.length, from + CHUNK_ELEMENTS) - from;
    const m = this.members;
    return { count: n, flags: 0, m: n, get: (i) => m[from + i]!, scores: null };
  }

  clone(): SetValue {
    const s = new SetValue();
    for (const m of this.members) s.add(m);
    s.intset = this.intset && s.intset;
    return s;
  }

  /** Rebuilds a set from its image. */
  static decode(image: Buffer): SetValue {
    const s = new SetValue();
    const { count, flags, strings } = readImage(image, 1, false);
    s.append(count, strings);
    s.intset = (flags & 1) === 0;
    return s;
  }

  /**
   * Rebuilds a set from its chunked image: the chunks' members in chunk
   * order are the positions 0 to count − 1.
   *
   * @throws RangeError when the chunks do not hold `count` members, each full but the last
   */
  static decodeChunked(header: ChunkedHeader, chunks: readonly Buffer[]): SetValue {
    const s = new SetValue();
    for (let k = 0; k < chunks.length; k++) {
      const { count, strings } = readImage(chunks[k]!, 1, false);
      const want = Math.min(CHUNK_ELEMENTS, header.count - k * CHUNK_ELEMENTS);
      if (count !== want) throw new RangeError(`set chunk ${k} holds ${count} members, not ${want}`);
      s.append(count, strings);
    }
    if (s.members.length !== header.count) {
      throw new RangeError(`set chunks hold ${s.members.length} members, not ${header.count}`);
    }
    s.intset = (header.flags & 1) === 0;
    return s;
  }

  /** Appends `count` decoded members while loading. */
  private append(count: number, strings: readonly string[]): void {
    let bytes = 0;
    const base = this.members.length;
    for (let i = 0; i < count; i++) {
      const m = strings[i]!;
      this.members.push(m);
      this.pos.set(m, base + i);
      bytes += SET_ELEMENT_OVERHEAD + m.length;
    }
    this.bytes += bytes;
  }
}
