/**
 * The four collection types: hashes, lists, sets and sorted sets.
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
import { EntryType } from './arena.js';
import { SkipList, type ZNode } from './skiplist.js';

/** Redis's `hash-max-listpack-entries` / `zset-max-listpack-entries` default: above this a small encoding converts. */
export const LISTPACK_MAX_ENTRIES = 128;
/** Redis's `hash-max-listpack-value` / `zset-max-listpack-value` default, bytes. */
export const LISTPACK_MAX_VALUE = 64;
/** Redis's `set-max-intset-entries` default. */
export const INTSET_MAX_ENTRIES = 512;

/**
 * Heap bytes an element costs beyond its string bytes: string headers, the
 * Map entry, array slots, skip-list node. Measured as the growth of
 * `heapUsed` (after gc) over a million elements of 7-14 bytes each, Node 20
 * x64; used for `used_memory` and maxmemory (docs/ARCHITECTURE.md,
 * "Collections").
 */
const HASH_ELEMENT_OVERHEAD = 90;
const SET_ELEMENT_OVERHEAD = 80;
const LIST_ELEMENT_OVERHEAD = 50;
const ZSET_ELEMENT_OVERHEAD = 260;
/** A collection object's own bytes. */
const OBJECT_OVERHEAD = 160;

/** Shared bookkeeping of every collection of a keyspace. */
export class CollectionRegistry {
  /** Live collections by handle. */
  readonly byHandle = new Map<number, Collection>();
  /** Collections changed since their image was last written. */
  readonly dirty = new Set<Collection>();
  /** Estimated heap bytes of all collections. */
  bytes = 0;
  /** Next handle to give out; handles are never reused within a process. */
  nextHandle = 1;

  /**
   * Registers a collection whose key was just written.
   *
   * @param handle the handle its entry already holds (loading a snapshot), or none for a new one
   * @param clean whether its entry's image is current (loaded from a snapshot); new collections are dirty
   */
  add(c: Collection, handle = this.nextHandle++, clean = false): void {
    c.handle = handle;
    c.registry = this;
    if (handle >= this.nextHandle) this.nextHandle = handle + 1;
    this.byHandle.set(handle, c);
    this.bytes += c.bytes;
    if (!clean) this.dirty.add(c);
  }

  /** Forgets a collection whose key is gone. */
  drop(c: Collection): void {
    this.byHandle.delete(c.handle);
    this.dirty.delete(c);
    this.bytes -= c.bytes;
    c.registry = null;
  }

  /** Forgets every collection (FLUSHALL). */
  clear(): void {
    for (const c of this.byHandle.values()) c.registry = null;
    this.byHandle.clear();
    this.dirty.clear();
    this.bytes = 0;
  }
}

/** What every collection shares: identity, accounting, dirtiness. */
export abstract class Collection {
  /** Identifies the collection in its key's arena entry. */
  handle = 0;
  /** Estimated heap bytes. */
  bytes = OBJECT_OVERHEAD;
  /** The registry it belongs to once its key exists. */
  registry: CollectionRegistry | null = null;
  /** Where its key lives, for rewriting the image at a snapshot. */
  db = 0;
  key: Buffer = Buffer.alloc(0);

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
 * A hash: fields and values in two dense arrays with a Map from field to
 * index. Deleting swaps the last element into the hole, so random picks
 * (HRANDFIELD) are O(1) and HSCAN can walk the arrays from the end (see
 * {@link scan}).
 */
export class HashValue extends Collection {
  readonly type = EntryType.Hash;
  readonly fields: string[] = [];
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

  has(field: string): boolean {
    return this.pos.has(field);
  }

  /** Sets `field`; returns whether it is new. */
  set(field: string, value: string): boolean {
    const i = this.pos.get(field);
    if (i !== undefined) {
      const old = this.values[i]!;
      this.values[i] = value;
      if (value.length > LISTPACK_MAX_VALUE) this.big = true;
      this.changed(value.length - old.length);
      return false;
    }
    this.pos.set(field, this.fields.length);
    this.fields.push(field);
    this.values.push(value);
    if (this.fields.length > LISTPACK_MAX_ENTRIES || field.length > LISTPACK_MAX_VALUE || value.length > LISTPACK_MAX_VALUE) this.big = true;
    this.changed(HASH_ELEMENT_OVERHEAD + field.length + value.length);
    return true;
  }

  /** Removes `field`; returns whether it was there. */
  delete(field: string): boolean {
    const i = this.pos.get(field);
    if (i === undefined) return false;
    const value = this.values[i]!;
    const last = this.fields.length - 1;
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
    let bytes = 0;
    for (let i = 0; i < count; i++) {
      const f = strings[2 * i]!;
      const v = strings[2 * i + 1]!;
      h.fields.push(f);
      h.values.push(v);
      h.pos.set(f, i);
      bytes += HASH_ELEMENT_OVERHEAD + f.length + v.length;
    }
    h.bytes += bytes;
    h.big = (flags & 1) !== 0;
    return h;
  }
}

/**
 * A set: members in a dense array with a Map from member to index (O(1)
 * add, remove, membership and random pick; SSCAN walks from the end).
 */
export class SetValue extends Collection {
  readonly type = EntryType.Set;
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

  has(member: string): boolean {
    return this.pos.has(member);
  }

  /** Adds `member`; returns whether it is new. */
  add(member: string): boolean {
    if (this.pos.has(member)) return false;
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
    let bytes = 0;
    for (let i = 0; i < count; i++) {
      const m = strings[i]!;
      s.members.push(m);
      s.pos.set(m, i);
      bytes += SET_ELEMENT_OVERHEAD + m.length;
    }
    s.bytes += bytes;
    s.intset = (flags & 1) === 0;
    return s;
  }
}

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
    this.changed(v.length - old.length);
  }

  private grow(): void {
    const old = this.buf;
    const n = old.length;
    const next = new Array<string | undefined>(n * 2);
    for (let i = 0; i < this.len; i++) next[i] = old[(this.head + i) & (n - 1)];
    this.buf = next;
    this.head = 0;
  }

  private shrinkIfSparse(): void {
    const n = this.buf.length;
    if (n > 64 && this.len < n >>> 2) {
      const next = new Array<string | undefined>(n >>> 1);
      for (let i = 0; i < this.len; i++) next[i] = this.buf[(this.head + i) & (n - 1)];
      this.buf = next;
      this.head = 0;
    }
  }

  pushLeft(v: string): void {
    if (this.len === this.buf.length) this.grow();
    this.head = (this.head - 1) & (this.buf.length - 1);
    this.buf[this.head] = v;
    this.len++;
    this.changed(LIST_ELEMENT_OVERHEAD + v.length);
  }

  pushRight(v: string): void {
    if (this.len === this.buf.length) this.grow();
    this.buf[(this.head + this.len) & (this.buf.length - 1)] = v;
    this.len++;
    this.changed(LIST_ELEMENT_OVERHEAD + v.length);
  }

  /** Removes and returns the head, or undefined when empty. */
  popLeft(): string | undefined {
    if (this.len === 0) return undefined;
    const v = this.buf[this.head]!;
    this.buf[this.head] = undefined;
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
      for (let k = 0; k < i; k++) this.buf[(this.head + k) & mask] = this.buf[(this.head + k + 1) & mask];
    } else {
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
      for (let k = i; k > 0; k--) this.buf[(this.head + k) & mask] = this.buf[(this.head + k - 1) & mask];
      this.buf[this.head] = undefined;
      this.head = (this.head + 1) & mask;
    } else {
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
}

/**
 * A sorted set: a Map from member to its {@link SkipList} node (the node
 * holds the score: O(1) ZSCORE), the skip list ordered by (score, member)
 * for ranks and ranges in O(log n), as Redis's skiplist encoding, and a
 * dense array of the nodes for O(1) random picks (ZRANDMEMBER) and ZSCAN
 * cursors (see {@link scanStep}).
 *
 * The `listpack` encoding is only reported (OBJECT ENCODING) and mimicked
 * where it shows: Redis writes a listpack score as text, so a score of -0
 * stored while the set is a listpack reads back as 0; a skiplist keeps -0.
 */
export class ZSetValue extends Collection {
  readonly type = EntryType.ZSet;
  /** Member → its node in {@link list}. */
  private readonly nodes = new Map<string, ZNode>();
  /** Every node once, in no order; `node.slot` is its index. Removal swaps the last node into the hole. */
  readonly dense: ZNode[] = [];
  readonly list = new SkipList();
  private big = false;

  get size(): number {
    return this.nodes.size;
  }

  get encoding(): string {
    return this.big ? 'skiplist' : 'listpack';
  }

  /** Whether Redis would hold this set as a listpack (small): see the class comment. */
  get compact(): boolean {
    return !this.big;
  }

  /**
   * Switches to the skiplist encoding before elements are added, as Redis's
   * ZUNIONSTORE/ZINTERSTORE/ZDIFFSTORE keep a result too large for a
   * listpack (more than 128 members, or one longer than 64 bytes) in the
   * skiplist they built it in. Never reverts, as in Redis.
   */
  toSkiplist(): void {
    this.big = true;
  }

  /** The score of `member`, or undefined. */
  score(member: string): number | undefined {
    return this.nodes.get(member)?.score;
  }

  /** The skip-list node of `member`, or undefined. */
  node(member: string): ZNode | undefined {
    return this.nodes.get(member);
  }

  /**
   * Sets `member`'s score, adding it if absent; returns whether it is new.
   * The caller rejects NaN. An unchanged score (0 and -0 are equal) changes
   * nothing. While the set is compact, -0 is stored as 0 (Redis's listpack).
   */
  set(member: string, score: number): boolean {
    const node = this.nodes.get(member);
    if (node !== undefined) {
      if (node.score !== score) {
        const n = this.list.updateScore(node.score, member, !this.big && score === 0 ? 0 : score);
        if (n !== node) {
          n.slot = node.slot;
          this.dense[n.slot] = n;
          this.nodes.set(member, n);
        }
        this.changed(0);
      }
      return false;
    }
    // Redis converts before inserting an element that would not fit a listpack.
    if (this.nodes.size + 1 > LISTPACK_MAX_ENTRIES || member.length > LISTPACK_MAX_VALUE) this.big = true;
    const n = this.list.insert(!this.big && score === 0 ? 0 : score, member);
    n.slot = this.dense.length;
    this.dense.push(n);
    this.nodes.set(member, n);
    this.changed(ZSET_ELEMENT_OVERHEAD + member.length);
    return true;
  }

  /** Removes `member`; returns whether it was there. */
  delete(member: string): boolean {
    const n = this.nodes.get(member);
    if (n === undefined) return false;
    this.list.delete(n.score, member);
    this.unslot(n);
    this.nodes.delete(member);
    this.changed(-(ZSET_ELEMENT_OVERHEAD + member.length));
    return true;
  }

  /** Takes `n` out of {@link dense}, moving the last node into its place. */
  private unslot(n: ZNode): void {
    const last = this.dense.pop()!;
    if (last !== n) {
      last.slot = n.slot;
      this.dense[n.slot] = last;
    }
    n.slot = -1;
  }

  /**
   * Forgets members the skip list already unlinked (range deletions): call
   * once per member removed by {@link SkipList.deleteByRank} or
   * {@link SkipList.deleteWhile}.
   */
  readonly forget = (member: string): void => {
    const n = this.nodes.get(member);
    if (n === undefined) return;
    this.unslot(n);
    this.nodes.delete(member);
    this.changed(-(ZSET_ELEMENT_OVERHEAD + member.length));
  };

  encode(): Buffer {
    const n = this.size;
    const members = new Array<string>(n);
    const scores = new Float64Array(n);
    let k = 0;
    for (let node = this.list.first; node !== null; node = node.next[0]!, k++) {
      members[k] = node.member;
      scores[k] = node.score;
    }
    return encodeImage(n, this.big ? 1 : 0, n, (i) => members[i]!, scores);
  }

  clone(): ZSetValue {
    const z = new ZSetValue();
    z.big = this.big; // first, so that a skiplist's -0 scores survive the copy
    for (let n = this.list.first; n !== null; n = n.next[0]!) z.set(n.member, n.score);
    return z;
  }

  /** Rebuilds a sorted set from its image. */
  static decode(image: Buffer): ZSetValue {
    const z = new ZSetValue();
    const { count, flags, strings, scores } = readImage(image, 1, true);
    z.big = (flags & 1) !== 0;
    const nodes = z.list.loadSorted(scores!, strings);
    let bytes = 0;
    for (let k = 0; k < count; k++) {
      const node = nodes[k]!;
      node.slot = k;
      z.dense.push(node);
      z.nodes.set(node.member, node);
      bytes += ZSET_ELEMENT_OVERHEAD + node.member.length;
    }
    z.bytes += bytes;
    return z;
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

/** Bytes of an image's header: count, flags, reserved (u32 each). */
const IMAGE_HEADER = 12;
/** Characters joined into one string per write while encoding: few calls into C++, no string near V8's length limit. */
const WRITE_CHUNK_CHARS = 1 << 20;

/** `Buffer#latin1Slice`: `toString('latin1', ...)` without its argument checks (one call per element while loading). */
type Latin1Buffer = Buffer & { latin1Slice(start: number, end: number): string };

/**
 * Writes an image (docs/FORMAT.md, "Collection image"): the header, the
 * scores of a sorted set (f64 each), the length of every string (u32 each),
 * then the strings' bytes back to back. Typed-array sections are copied in
 * the machine's byte order, little-endian on every platform Node supports
 * here (x64, arm64).
 *
 * @param count elements (hash: field-value pairs)
 * @param m strings: count, or 2 × count for a hash
 * @param get the i-th string
 * @param scores sorted-set scores in element order, or null
 */
function encodeImage(count: number, flags: number, m: number, get: (i: number) => string, scores: Float64Array | null): Buffer {
  const lens = new Uint32Array(m);
  let total = 0;
  for (let i = 0; i < m; i++) {
    const l = get(i).length;
    lens[i] = l;
    total += l;
  }
  const scoreBytes = scores === null ? 0 : count * 8;
  const out = Buffer.allocUnsafe(IMAGE_HEADER + scoreBytes + m * 4 + total);
  out.writeUInt32LE(count, 0);
  out.writeUInt32LE(flags, 4);
  out.writeUInt32LE(0, 8);
  let o = IMAGE_HEADER;
  if (scores !== null) o += Buffer.from(scores.buffer, scores.byteOffset, scoreBytes).copy(out, o);
  o += Buffer.from(lens.buffer, 0, m * 4).copy(out, o);
  const parts: string[] = [];
  for (let i = 0; i < m; ) {
    let chars = 0;
    parts.length = 0;
    for (; i < m && chars < WRITE_CHUNK_CHARS; i++) {
      parts.push(get(i));
      chars += lens[i]!;
    }
    o += out.write(parts.join(''), o, 'latin1');
  }
  return out;
}

/**
 * Reads an image written by {@link encodeImage}.
 *
 * @param perElement strings per element (2 for a hash)
 * @throws RangeError when the image is shorter than its header says
 */
function readImage(image: Buffer, perElement: 1 | 2, withScores: boolean): { count: number; flags: number; strings: string[]; scores: Float64Array | null } {
  const count = image.readUInt32LE(0);
  const flags = image.readUInt32LE(4);
  const m = count * perElement;
  let o = IMAGE_HEADER;
  let scores: Float64Array | null = null;
  if (withScores) {
    scores = new Float64Array(count);
    Buffer.from(scores.buffer).set(image.subarray(o, o + count * 8));
    o += count * 8;
  }
  const lens = new Uint32Array(m);
  Buffer.from(lens.buffer).set(image.subarray(o, o + m * 4));
  o += m * 4;
  const buf = image as Latin1Buffer;
  const strings = new Array<string>(m);
  for (let i = 0; i < m; i++) {
    const end = o + lens[i]!;
    if (end > image.length) throw new RangeError(`collection image of ${image.length} bytes ends inside element ${i}`);
    strings[i] = buf.latin1Slice(o, end);
    o = end;
  }
  return { count, flags, strings, scores };
}

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
    default:
      throw new Error(`entry type ${type} is not a collection`);
  }
}
