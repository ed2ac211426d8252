/**
 * The hash type (HSET, HGET, HDEL, HRANDFIELD, HSCAN...): fields and values
 * in two dense arrays with a Map from field to index.
 */
import { EntryType } from './arena.js';
import {
  CHUNK_ELEMENTS,
  type ChunkedHeader,
  Collection,
  LISTPACK_MAX_ENTRIES,
  LISTPACK_MAX_VALUE,
} from './collection.js';
import { encodeImage, type ImageSource, readImage } from './collection-image.js';

/**
 * Heap bytes a field-value pair costs beyond its string bytes (string
 * headers, the Map entry, array cells), measured as the growth of `heapUsed`;
 * counted in `used_memory` and by maxmemory (docs/ARCHITECTURE.md, "Collections").
 */
const HASH_ELEMENT_OVERHEAD = 90;

/** What {@link HashValue.put} did. */
export const enum HashPut {
  /** The field was there with the same value. */
  Unchanged,
  /** The field was there; its value was replaced. */
  Changed,
  /** The field is new. */
  Created,
}

/**
 * A hash: fields and values in two dense arrays with a Map from field to
 * index. Deleting swaps the last element into the hole, so random picks
 * (HRANDFIELD) are O(1) and HSCAN can walk the arrays from the end (see
 * `scanStep`, src/store/collection.ts).
 */
export class HashValue extends Collection {
  readonly type = EntryType.Hash;
  /** Fields, in no order; `values[i]` is the value of `fields[i]`. Changed through {@link set} and {@link delete}. */
  readonly fields: string[] = [];
  /** Values, parallel to {@link fields}. */
  readonly values: string[] = [];
  private readonly pos = new Map<string, number>();
  /** Set once the hash outgrows the listpack limits; Redis never converts back. */
  private big = false;

  get size(): number {
    return this.fields.length;
  }

  get encoding(): string {
    return this.big ? 'hashtable' : 'listpack';
  }

  /** The value of `field`, or undefined. */
  get(field: string): string | undefined {
    const i = this.pos.get(field);
    return i === undefined ? undefined : this.values[i];
  }

  /** Whether `field` is in the hash. */
  has(field: string): boolean {
    return this.pos.has(field);
  }

  /** Sets `field`; returns whether it is new. */
  set(field: string, value: string): boolean {
    return this.put(field, value) === HashPut.Created;
  }

  /**
   * Sets `field` with one lookup (HSET on a large hash spends most of its
   * time in the field map): says whether the field is new, or whether its
   * value changed. An unchanged value leaves the hash clean.
   */
  put(field: string, value: string): HashPut {
    const i = this.pos.get(field);
    if (i !== undefined) {
      const old = this.values[i]!;
      if (old === value) return HashPut.Unchanged;
      this.values[i] = value;
      this.touchChunk(i);
      if (value.length > LISTPACK_MAX_VALUE) this.big = true;
      this.changed(value.length - old.length);
      return HashPut.Changed;
    }
    this.touchChunk(this.fields.length);
    this.pos.set(field, this.fields.length);
    this.fields.push(field);
    this.values.push(value);
    const tooLong = field.length > LISTPACK_MAX_VALUE || value.length > LISTPACK_MAX_VALUE;
    if (this.fields.length > LISTPACK_MAX_ENTRIES || tooLong) this.big = true;
    this.changed(HASH_ELEMENT_OVERHEAD + field.length + value.length);
    return HashPut.Created;
  }

  /** Removes `field`; returns whether it was there. */
  delete(field: string): boolean {
    const i = this.pos.get(field);
    if (i === undefined) return false;
    const value = this.values[i]!;
    const last = this.fields.length - 1;
    this.touchChunk(i);
    this.touchChunk(last);
    if (i !== last) {
      const lf = this.fields[last]!;
      this.fields[i] = lf;
      this.values[i] = this.values[last]!;
      this.pos.set(lf, i);
    }
    this.fields.pop();
    this.values.pop();
    this.pos.delete(field);
    this.changed(-(HASH_ELEMENT_OVERHEAD + field.length + value.length));
    return true;
  }

  encode(): Buffer {
    const f = this.fields;
    const v = this.values;
    return encodeImage(f.length, this.big ? 1 : 0, f.length * 2, (i) => (i & 1 ? v[i >>> 1]! : f[i >>> 1]!), null);
  }

  override chunkPositions(): number {
    return this.fields.length;
  }

  override chunkedHeader(): ChunkedHeader {
    return { count: this.fields.length, flags: this.big ? 1 : 0, positions: this.fields.length, head: 0 };
  }

  override encodeChunk(k: number): ImageSource {
    const from = k * CHUNK_ELEMENTS;
    const n = Math.min(this.fields.length, from + CHUNK_ELEMENTS) - from;
    const f = this.fields;
    const v = this.values;
    return {
      count: n,
      flags: 0,
      m: n * 2,
      get: (i) => (i & 1 ? v[from + (i >>> 1)]! : f[from + (i >>> 1)]!),
      scores: null,
    };
  }

  clone(): HashValue {
    const h = new HashValue();
    for (let i = 0; i < this.fields.length; i++) h.set(this.fields[i]!, this.values[i]!);
    h.big = this.big;
    return h;
  }

  /** Rebuilds a hash from its image. */
  static decode(image: Buffer): HashValue {
    const h = new HashValue();
    const { count, flags, strings } = readImage(image, 2, false);
    h.append(count, strings);
    h.big = (flags & 1) !== 0;
    return h;
  }

  /**
   * Rebuilds a hash from its chunked image: the chunks' elements in chunk
   * order are the positions 0 to count − 1.
   *
   * @throws RangeError when the chunks do not hold `count` elements, each full but the last
   */
  static decodeChunked(header: ChunkedHeader, chunks: readonly Buffer[]): HashValue {
    const h = new HashValue();
    for (let k = 0; k < chunks.length; k++) {
      const { count, strings } = readImage(chunks[k]!, 2, false);
      const want = Math.min(CHUNK_ELEMENTS, header.count - k * CHUNK_ELEMENTS);
      if (count !== want) throw new RangeError(`hash chunk ${k} holds ${count} elements, not ${want}`);
      h.append(count, strings);
    }
    if (h.fields.length !== header.count) {
      throw new RangeError(`hash chunks hold ${h.fields.length} elements, not ${header.count}`);
    }
    h.big = (header.flags & 1) !== 0;
    return h;
  }

  /** Appends `count` decoded field-value pairs (field, value, ... in `strings`) while loading. */
  private append(count: number, strings: readonly string[]): void {
    let bytes = 0;
    const base = this.fields.length;
    for (let i = 0; i < count; i++) {
      const f = strings[2 * i]!;
      const v = strings[2 * i + 1]!;
      this.fields.push(f);
      this.values.push(v);
      this.pos.set(f, base + i);
      bytes += HASH_ELEMENT_OVERHEAD + f.length + v.length;
    }
    this.bytes += bytes;
  }
}
