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
    return encodePairs(this.fields, this.values, this.big ? 1 : 0);
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
    const r = new ImageReader(image);
    const n = r.count;
    for (let i = 0; i < n; i++) h.set(r.str(), r.str());
    h.big = h.big || (r.flags & 1) !== 0;
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
    return encodeList(this.members, this.members.length, (i) => this.members[i]!, this.intset ? 0 : 1);
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
    const r = new ImageReader(image);
    const n = r.count;
    for (let i = 0; i < n; i++) s.add(r.str());
    if (r.flags & 1) s.intset = false;
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
    return encodeList(null, this.len, (i) => this.at(i), 0);
  }

  clone(): ListValue {
    const l = new ListValue();
    for (let i = 0; i < this.len; i++) l.pushRight(this.at(i));
    return l;
  }

  /** Rebuilds a list from its image. */
  static decode(image: Buffer): ListValue {
    const l = new ListValue();
    const r = new ImageReader(image);
    const n = r.count;
    for (let i = 0; i < n; i++) l.pushRight(r.str());
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
    let bytes = 12;
    for (let n = this.list.first; n !== null; n = n.next[0]!) bytes += 12 + n.member.length;
    const out = Buffer.allocUnsafe(bytes);
    out.writeUInt32LE(this.size, 0);
    out.writeUInt32LE(this.big ? 1 : 0, 4);
    out.writeUInt32LE(0, 8);
    let at = 12;
    for (let n = this.list.first; n !== null; n = n.next[0]!) {
      out.writeDoubleLE(n.score, at);
      out.writeUInt32LE(n.member.length, at + 8);
      at += 12 + out.write(n.member, at + 12, 'latin1');
    }
    return out;
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
    const count = image.readUInt32LE(0);
    const flags = image.readUInt32LE(4);
    if (flags & 1) z.big = true; // first, so that a skiplist's -0 scores survive
    let at = 12;
    for (let i = 0; i < count; i++) {
      const score = image.readDoubleLE(at);
      const len = image.readUInt32LE(at + 8);
      z.set(image.toString('latin1', at + 12, at + 12 + len), score);
      at += 12 + len;
    }
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

/** Reads an image's elements in order. */
class ImageReader {
  private at = 12;
  readonly count: number;
  readonly flags: number;

  constructor(private readonly buf: Buffer) {
    this.count = buf.readUInt32LE(0);
    this.flags = buf.readUInt32LE(4);
  }

  str(): string {
    const len = this.buf.readUInt32LE(this.at);
    const s = this.buf.toString('latin1', this.at + 4, this.at + 4 + len);
    this.at += 4 + len;
    return s;
  }
}

/** Image of `n` strings: a 12-byte header (count, flags, reserved) then a u32 length and the bytes of each. */
function encodeList(arr: string[] | null, n: number, at: (i: number) => string, flags: number): Buffer {
  let bytes = 12;
  for (let i = 0; i < n; i++) bytes += 4 + (arr !== null ? arr[i]! : at(i)).length;
  const out = Buffer.allocUnsafe(bytes);
  out.writeUInt32LE(n, 0);
  out.writeUInt32LE(flags, 4);
  out.writeUInt32LE(0, 8);
  let o = 12;
  for (let i = 0; i < n; i++) {
    const s = arr !== null ? arr[i]! : at(i);
    out.writeUInt32LE(s.length, o);
    o += 4 + out.write(s, o + 4, 'latin1');
  }
  return out;
}

/** Image of a hash: the header, then field and value alternately. */
function encodePairs(fields: string[], values: string[], flags: number): Buffer {
  let bytes = 12;
  for (let i = 0; i < fields.length; i++) bytes += 8 + fields[i]!.length + values[i]!.length;
  const out = Buffer.allocUnsafe(bytes);
  out.writeUInt32LE(fields.length, 0);
  out.writeUInt32LE(flags, 4);
  out.writeUInt32LE(0, 8);
  let o = 12;
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    const v = values[i]!;
    out.writeUInt32LE(f.length, o);
    o += 4 + out.write(f, o + 4, 'latin1');
    out.writeUInt32LE(v.length, o);
    o += 4 + out.write(v, o + 4, 'latin1');
  }
  return out;
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
