/**
 * The list type (LPUSH, RPOP, LINDEX, LINSERT, LREM, LTRIM...): a ring
 * buffer of elements.
 */
import { EntryType } from './arena.js';
import { CHUNK_ELEMENTS, type ChunkedHeader, Collection } from './collection.js';
import { encodeImage, type ImageSource, readImage } from './collection-image.js';

/**
 * Heap bytes an element costs beyond its string bytes (string header, a
 * ring-buffer cell), measured as the growth of `heapUsed`; counted in
 * `used_memory` and by maxmemory (docs/ARCHITECTURE.md, "Collections").
 */
const LIST_ELEMENT_OVERHEAD = 50;

/**
 * A list: a ring buffer that doubles when full, so pushes and pops at both
 * ends are O(1) and LINDEX is O(1) (Redis: O(n)); inserting or removing in
 * the middle moves the shorter side, O(n) as in Redis.
 */
export class ListValue extends Collection {
  readonly type = EntryType.List;
  private buf: (string | undefined)[] = new Array<string | undefined>(8);
  private head = 0;
  private len = 0;

  get size(): number {
    return this.len;
  }

  get encoding(): string {
    return 'quicklist';
  }

  /** Element at `i` (0-based from the head; the caller range-checks). */
  at(i: number): string {
    return this.buf[(this.head + i) & (this.buf.length - 1)]!;
  }

  /** Replaces element `i` (LSET). */
  setAt(i: number, v: string): void {
    const j = (this.head + i) & (this.buf.length - 1);
    const old = this.buf[j]!;
    this.buf[j] = v;
    this.touchChunk(j);
    this.changed(v.length - old.length);
  }

  private grow(): void {
    const old = this.buf;
    const n = old.length;
    const next = new Array<string | undefined>(n * 2);
    for (let i = 0; i < this.len; i++) next[i] = old[(this.head + i) & (n - 1)];
    this.buf = next;
    this.head = 0;
    this.touchAllChunks();
  }

  private shrinkIfSparse(): void {
    const n = this.buf.length;
    if (n > 64 && this.len < n >>> 2) {
      const next = new Array<string | undefined>(n >>> 1);
      for (let i = 0; i < this.len; i++) next[i] = this.buf[(this.head + i) & (n - 1)];
      this.buf = next;
      this.head = 0;
      this.touchAllChunks();
    }
  }

  /** Adds `v` at the head (LPUSH), O(1) amortized. */
  pushLeft(v: string): void {
    if (this.len === this.buf.length) this.grow();
    this.head = (this.head - 1) & (this.buf.length - 1);
    this.buf[this.head] = v;
    this.touchChunk(this.head);
    this.len++;
    this.changed(LIST_ELEMENT_OVERHEAD + v.length);
  }

  /** Adds `v` at the tail (RPUSH), O(1) amortized. */
  pushRight(v: string): void {
    if (this.len === this.buf.length) this.grow();
    const j = (this.head + this.len) & (this.buf.length - 1);
    this.buf[j] = v;
    this.touchChunk(j);
    this.len++;
    this.changed(LIST_ELEMENT_OVERHEAD + v.length);
  }

  /** Removes and returns the head, or undefined when empty. */
  popLeft(): string | undefined {
    if (this.len === 0) return undefined;
    const v = this.buf[this.head]!;
    this.buf[this.head] = undefined;
    this.touchChunk(this.head);
    this.head = (this.head + 1) & (this.buf.length - 1);
    this.len--;
    this.changed(-(LIST_ELEMENT_OVERHEAD + v.length));
    this.shrinkIfSparse();
    return v;
  }

  /** Removes and returns the tail, or undefined when empty. */
  popRight(): string | undefined {
    if (this.len === 0) return undefined;
    const j = (this.head + this.len - 1) & (this.buf.length - 1);
    const v = this.buf[j]!;
    this.buf[j] = undefined;
    this.touchChunk(j);
    this.len--;
    this.changed(-(LIST_ELEMENT_OVERHEAD + v.length));
    this.shrinkIfSparse();
    return v;
  }

  /** Inserts `v` so that it becomes element `i` (0 ≤ i ≤ size). */
  insertAt(i: number, v: string): void {
    if (i === 0) return this.pushLeft(v);
    if (i === this.len) return this.pushRight(v);
    if (this.len === this.buf.length) this.grow();
    const mask = this.buf.length - 1;
    if (i < this.len >>> 1) {
      // Move the first i elements one step left.
      this.head = (this.head - 1) & mask;
      this.touchRange(0, i + 1);
      for (let k = 0; k < i; k++) this.buf[(this.head + k) & mask] = this.buf[(this.head + k + 1) & mask];
    } else {
      this.touchRange(i, this.len + 1);
      for (let k = this.len; k > i; k--) this.buf[(this.head + k) & mask] = this.buf[(this.head + k - 1) & mask];
    }
    this.buf[(this.head + i) & mask] = v;
    this.len++;
    this.changed(LIST_ELEMENT_OVERHEAD + v.length);
  }

  /** Removes element `i` (0 ≤ i < size). */
  removeAt(i: number): void {
    const mask = this.buf.length - 1;
    const v = this.buf[(this.head + i) & mask]!;
    if (i < this.len >>> 1) {
      this.touchRange(0, i + 1);
      for (let k = i; k > 0; k--) this.buf[(this.head + k) & mask] = this.buf[(this.head + k - 1) & mask];
      this.buf[this.head] = undefined;
      this.head = (this.head + 1) & mask;
    } else {
      this.touchRange(i, this.len);
      for (let k = i; k < this.len - 1; k++) this.buf[(this.head + k) & mask] = this.buf[(this.head + k + 1) & mask];
      this.buf[(this.head + this.len - 1) & mask] = undefined;
    }
    this.len--;
    this.changed(-(LIST_ELEMENT_OVERHEAD + v.length));
  }

  /**
   * Removes elements equal to `v` (LREM) in one O(n) compaction pass, instead
   * of one O(n) {@link removeAt} per match.
   *
   * @param limit most matches to remove, 0 for all
   * @param fromTail take the matches nearest the tail first (LREM with a negative count)
   * @returns how many were removed
   */
  removeEqual(v: string, limit: number, fromTail: boolean): number {
    const mask = this.buf.length - 1;
    const n = this.len;
    let removed = 0;
    if (!fromTail) {
      let w = 0;
      for (let r = 0; r < n; r++) {
        const e = this.buf[(this.head + r) & mask]!;
        if (e === v && (limit === 0 || removed < limit)) {
          removed++;
          continue;
        }
        if (w !== r) this.buf[(this.head + w) & mask] = e;
        w++;
      }
      for (let k = w; k < n; k++) this.buf[(this.head + k) & mask] = undefined;
    } else {
      let w = n - 1;
      for (let r = n - 1; r >= 0; r--) {
        const e = this.buf[(this.head + r) & mask]!;
        if (e === v && (limit === 0 || removed < limit)) {
          removed++;
          continue;
        }
        if (w !== r) this.buf[(this.head + w) & mask] = e;
        w--;
      }
      for (let k = 0; k < removed; k++) this.buf[(this.head + k) & mask] = undefined;
      this.head = (this.head + removed) & mask;
    }
    if (removed === 0) return 0;
    this.touchAllChunks();
    this.len -= removed;
    this.changed(-removed * (LIST_ELEMENT_OVERHEAD + v.length));
    this.shrinkIfSparse();
    return removed;
  }

  /**
   * Keeps elements `start..end` (inclusive, 0-based, already clamped; an
   * empty range when start > end), dropping the rest (LTRIM): O(removed).
   */
  trim(start: number, end: number): void {
    if (start > end) {
      while (this.len > 0) this.popRight();
      return;
    }
    const dropRight = this.len - 1 - end;
    for (let k = 0; k < dropRight; k++) this.popRight();
    for (let k = 0; k < start; k++) this.popLeft();
  }

  encode(): Buffer {
    return encodeImage(this.len, 0, this.len, (i) => this.at(i), null);
  }

  /**
   * Marks the chunks of the slots holding elements `from..to-1` (0-based
   * from the head) changed: one mark per chunk, not per element.
   */
  private touchRange(from: number, to: number): void {
    if (this.dirtyChunks === null) return;
    const mask = this.buf.length - 1;
    for (let i = from; i < to; ) {
      const j = (this.head + i) & mask;
      this.touchChunk(j);
      i += CHUNK_ELEMENTS - (j & (CHUNK_ELEMENTS - 1));
    }
  }

  /** Whether ring-buffer slot `j` holds an element. */
  private occupied(j: number): boolean {
    return ((j - this.head) & (this.buf.length - 1)) < this.len;
  }

  override chunkPositions(): number {
    return this.buf.length;
  }

  override chunkedHeader(): ChunkedHeader {
    return { count: this.len, flags: 0, positions: this.buf.length, head: this.head };
  }

  /** The elements of the occupied slots of chunk `k`, in slot order. */
  override encodeChunk(k: number): ImageSource {
    const from = k * CHUNK_ELEMENTS;
    const to = Math.min(this.buf.length, from + CHUNK_ELEMENTS);
    const slots: number[] = [];
    for (let j = from; j < to; j++) if (this.occupied(j)) slots.push(j);
    const b = this.buf;
    return { count: slots.length, flags: 0, m: slots.length, get: (i) => b[slots[i]!]!, scores: null };
  }

  clone(): ListValue {
    const l = new ListValue();
    for (let i = 0; i < this.len; i++) l.pushRight(this.at(i));
    return l;
  }

  /** Rebuilds a list from its image. */
  static decode(image: Buffer): ListValue {
    const l = new ListValue();
    const { count, strings } = readImage(image, 1, false);
    let cap = 8;
    while (cap < count) cap *= 2;
    const buf = new Array<string | undefined>(cap);
    let bytes = 0;
    for (let i = 0; i < count; i++) {
      buf[i] = strings[i]!;
      bytes += LIST_ELEMENT_OVERHEAD + strings[i]!.length;
    }
    l.buf = buf;
    l.len = count;
    l.bytes += bytes;
    return l;
  }

  /**
   * Rebuilds a list from its chunked image, slot for slot: the ring buffer
   * gets the header's capacity and head, and each chunk fills the occupied
   * slots of its range in order.
   *
   * @throws RangeError when the capacity is not a power of two or a chunk's element count does not match its slots
   */
  static decodeChunked(header: ChunkedHeader, chunks: readonly Buffer[]): ListValue {
    const cap = header.positions;
    if (cap < 8 || (cap & (cap - 1)) !== 0 || header.count > cap || header.head >= cap) {
      throw new RangeError(`list chunk header: capacity ${cap}, head ${header.head}, length ${header.count}`);
    }
    const l = new ListValue();
    l.buf = new Array<string | undefined>(cap);
    l.head = header.head;
    l.len = header.count;
    let bytes = 0;
    for (let k = 0; k < chunks.length; k++) {
      const { count, strings } = readImage(chunks[k]!, 1, false);
      const from = k * CHUNK_ELEMENTS;
      const to = Math.min(cap, from + CHUNK_ELEMENTS);
      let n = 0;
      for (let j = from; j < to; j++) {
        if (!l.occupied(j)) continue;
        if (n >= count) break;
        const v = strings[n++]!;
        l.buf[j] = v;
        bytes += LIST_ELEMENT_OVERHEAD + v.length;
      }
      let want = 0;
      for (let j = from; j < to; j++) if (l.occupied(j)) want++;
      if (count !== want) throw new RangeError(`list chunk ${k} holds ${count} elements, not ${want}`);
    }
    l.bytes += bytes;
    return l;
  }
}
