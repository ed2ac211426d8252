/**
 * The sorted set type (ZADD, ZRANGE, ZRANK, ZRANDMEMBER, ZSCAN...): a Map
 * from member to its node in a skip list (src/store/skiplist.ts).
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
import { SkipList, type ZNode } from './skiplist.js';

/**
 * Heap bytes a member costs beyond its string bytes (string header, the Map
 * entry, the skip-list node and its per-level arrays, an array cell),
 * measured as the growth of `heapUsed`; counted in `used_memory` and by
 * maxmemory (docs/ARCHITECTURE.md, "Collections").
 */
const ZSET_ELEMENT_OVERHEAD = 260;

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
  /** Every node once, in no order; `node.denseIndex` is its index. Removal swaps the last node into the hole. */
  readonly dense: ZNode[] = [];
  /** The members ordered by (score, member), with spans for ranks. */
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
          n.denseIndex = node.denseIndex;
          this.dense[n.denseIndex] = n;
          this.nodes.set(member, n);
        }
        this.touchChunk(n.denseIndex);
        this.changed(0);
      }
      return false;
    }
    // Redis converts before inserting an element that would not fit a listpack.
    if (this.nodes.size + 1 > LISTPACK_MAX_ENTRIES || member.length > LISTPACK_MAX_VALUE) this.big = true;
    const n = this.list.insert(!this.big && score === 0 ? 0 : score, member);
    n.denseIndex = this.dense.length;
    this.touchChunk(n.denseIndex);
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
    this.removeFromDense(n);
    this.nodes.delete(member);
    this.changed(-(ZSET_ELEMENT_OVERHEAD + member.length));
    return true;
  }

  /** Takes `n` out of {@link dense}, moving the last node into its place. */
  private removeFromDense(n: ZNode): void {
    this.touchChunk(n.denseIndex);
    this.touchChunk(this.dense.length - 1);
    const last = this.dense.pop()!;
    if (last !== n) {
      last.denseIndex = n.denseIndex;
      this.dense[n.denseIndex] = last;
    }
    n.denseIndex = -1;
  }

  /**
   * Forgets members the skip list already unlinked (range deletions): call
   * once per member removed by {@link SkipList.deleteByRank} or
   * {@link SkipList.deleteWhile}.
   */
  readonly forget = (member: string): void => {
    const n = this.nodes.get(member);
    if (n === undefined) return;
    this.removeFromDense(n);
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

  override chunkPositions(): number {
    return this.dense.length;
  }

  override chunkedHeader(): ChunkedHeader {
    return { count: this.dense.length, flags: this.big ? 1 : 0, positions: this.dense.length, head: 0 };
  }

  /** Members and scores of dense positions `k × CHUNK_ELEMENTS` onwards, in dense order. */
  override encodeChunk(k: number): ImageSource {
    const from = k * CHUNK_ELEMENTS;
    const n = Math.min(this.dense.length, from + CHUNK_ELEMENTS) - from;
    const d = this.dense;
    const scores = new Float64Array(n);
    for (let i = 0; i < n; i++) scores[i] = d[from + i]!.score;
    return { count: n, flags: 0, m: n, get: (i) => d[from + i]!.member, scores };
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
      node.denseIndex = k;
      z.dense.push(node);
      z.nodes.set(node.member, node);
      bytes += ZSET_ELEMENT_OVERHEAD + node.member.length;
    }
    z.bytes += bytes;
    return z;
  }

  /**
   * Rebuilds a sorted set from its chunked image: the chunks' members in
   * chunk order are the dense positions 0 to count − 1; sorted by (score,
   * member), O(n log n), they link the skip list in one pass.
   *
   * @throws RangeError when the chunks do not hold `count` members, each full but the last
   */
  static decodeChunked(header: ChunkedHeader, chunks: readonly Buffer[]): ZSetValue {
    const z = new ZSetValue();
    z.big = (header.flags & 1) !== 0;
    const n = header.count;
    const members = new Array<string>(n);
    const scores = new Float64Array(n);
    let at = 0;
    for (let k = 0; k < chunks.length; k++) {
      const img = readImage(chunks[k]!, 1, true);
      const want = Math.min(CHUNK_ELEMENTS, n - k * CHUNK_ELEMENTS);
      if (img.count !== want) throw new RangeError(`sorted-set chunk ${k} holds ${img.count} members, not ${want}`);
      for (let i = 0; i < img.count; i++, at++) {
        members[at] = img.strings[i]!;
        scores[at] = img.scores![i]!;
      }
    }
    if (at !== n) throw new RangeError(`sorted-set chunks hold ${at} members, not ${n}`);
    const order = Array.from({ length: n }, (_, i) => i);
    order.sort((a, b) => {
      const sa = scores[a]!;
      const sb = scores[b]!;
      if (sa !== sb) return sa < sb ? -1 : 1;
      const ma = members[a]!;
      const mb = members[b]!;
      return ma < mb ? -1 : ma > mb ? 1 : 0;
    });
    const sortedScores = new Float64Array(n);
    const sortedMembers = new Array<string>(n);
    for (let r = 0; r < n; r++) {
      sortedScores[r] = scores[order[r]!]!;
      sortedMembers[r] = members[order[r]!]!;
    }
    const nodes = z.list.loadSorted(sortedScores, sortedMembers);
    const byPosition = new Array<ZNode>(n);
    let bytes = 0;
    for (let r = 0; r < n; r++) {
      const node = nodes[r]!;
      node.denseIndex = order[r]!;
      byPosition[node.denseIndex] = node;
      z.nodes.set(node.member, node);
      bytes += ZSET_ELEMENT_OVERHEAD + node.member.length;
    }
    for (let i = 0; i < n; i++) z.dense.push(byPosition[i]!);
    z.bytes += bytes;
    return z;
  }
}
