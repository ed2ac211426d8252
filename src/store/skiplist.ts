/**
 * The ordered half of a sorted set: a skip list keyed by (score, member) with
 * a span per forward link, so ranks cost O(log n) as well as lookups. A port
 * of Redis's `zskiplist` (t_zset.c, after William Pugh's "Skip Lists: A
 * Probabilistic Alternative to Balanced Trees"): up to 32 levels, a node gets
 * one more level with probability 1/4, ties in score are ordered by member
 * bytes, and a backward link on level 0 serves reverse iteration.
 *
 * Members are latin1 strings (one character per byte), so JavaScript's string
 * comparison is byte order, as Redis's `sdscmp` (memcmp) is.
 */

/** Most levels a node can have (Redis ZSKIPLIST_MAXLEVEL). */
const MAX_LEVEL = 32;
/** Chance that a node gets one more level (Redis ZSKIPLIST_P). */
const P = 0.25;

/** One element of the list. */
export class ZNode {
  /** Forward link per level. */
  readonly next: (ZNode | null)[];
  /** Per level, how many level-0 steps the forward link jumps. */
  readonly span: number[];
  /** Previous node on level 0 (null for the first). */
  backward: ZNode | null = null;
  /**
   * Where the owning sorted set keeps this node in its dense array
   * (`ZSetValue.dense`, for ZSCAN cursors and random picks); -1 when none.
   */
  denseIndex = -1;

  constructor(
    /** Member bytes as a latin1 string. */
    readonly member: string,
    /** Score; never NaN. */
    public score: number,
    level: number,
  ) {
    this.next = new Array<ZNode | null>(level).fill(null);
    this.span = new Array<number>(level).fill(0);
  }
}

/** A score interval, as ZRANGEBYSCORE parses it (`(` makes a bound exclusive). */
export interface ScoreRange {
  min: number;
  max: number;
  minex: boolean;
  maxex: boolean;
}

/**
 * One end of a lexicographic interval: `inf` -1 is `-`, 1 is `+`, 0 a member
 * bound `v` (inclusive unless `ex`).
 */
export interface LexBound {
  v: string;
  inf: -1 | 0 | 1;
  ex: boolean;
}

/** A lexicographic interval, as ZRANGEBYLEX parses it. */
export interface LexRange {
  min: LexBound;
  max: LexBound;
}

/** Whether (s1, m1) sorts before (s2, m2). */
function before(s1: number, m1: string, s2: number, m2: string): boolean {
  return s1 < s2 || (s1 === s2 && m1 < m2);
}

/** Whether `score` is at or above the range's lower bound. */
export function gteMin(score: number, r: ScoreRange): boolean {
  return r.minex ? score > r.min : score >= r.min;
}

/** Whether `score` is at or below the range's upper bound. */
export function lteMax(score: number, r: ScoreRange): boolean {
  return r.maxex ? score < r.max : score <= r.max;
}

/** Whether `m` is at or above the lexicographic lower bound. */
export function lexGteMin(m: string, b: LexBound): boolean {
  if (b.inf !== 0) return b.inf < 0;
  return b.ex ? m > b.v : m >= b.v;
}

/** Whether `m` is at or below the lexicographic upper bound. */
export function lexLteMax(m: string, b: LexBound): boolean {
  if (b.inf !== 0) return b.inf > 0;
  return b.ex ? m < b.v : m <= b.v;
}

/** Whether no score can lie in `r` (Redis `zslIsInRange` negated, before the list check). */
export function scoreRangeEmpty(r: ScoreRange): boolean {
  return r.min > r.max || (r.min === r.max && (r.minex || r.maxex));
}

/** Whether no member can lie in `r` (Redis `sdscmplex` on the two bounds). */
export function lexRangeEmpty(r: LexRange): boolean {
  const a = r.min;
  const b = r.max;
  let cmp: number;
  if (a.inf !== 0 || b.inf !== 0) cmp = a.inf === b.inf ? 0 : a.inf === 1 || b.inf === -1 ? 1 : -1;
  else cmp = a.v < b.v ? -1 : a.v > b.v ? 1 : 0;
  return cmp > 0 || (cmp === 0 && (a.ex || b.ex));
}

/** A skip list of (score, member), ordered by score then member bytes. */
export class SkipList {
  private readonly head = new ZNode('', 0, MAX_LEVEL);
  /** Last node on level 0, or null when empty. */
  tail: ZNode | null = null;
  /** Number of nodes. */
  length = 0;
  private level = 1;

  /** The first node (lowest score), or null. */
  get first(): ZNode | null {
    return this.head.next[0]!;
  }

  private static randomLevel(): number {
    let level = 1;
    while (level < MAX_LEVEL && Math.random() < P) level++;
    return level;
  }

  /**
   * Inserts a member known to be absent (the caller checks its dictionary).
   * O(log n) expected.
   */
  insert(score: number, member: string): ZNode {
    const update = new Array<ZNode>(MAX_LEVEL);
    const rank = new Array<number>(MAX_LEVEL);
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      rank[i] = i === this.level - 1 ? 0 : rank[i + 1]!;
      let n = x.next[i]!;
      while (n !== null && before(n.score, n.member, score, member)) {
        rank[i]! += x.span[i]!;
        x = n;
        n = x.next[i]!;
      }
      update[i] = x;
    }
    const level = SkipList.randomLevel();
    if (level > this.level) {
      for (let i = this.level; i < level; i++) {
        rank[i] = 0;
        update[i] = this.head;
        this.head.span[i] = this.length;
      }
      this.level = level;
    }
    const node = new ZNode(member, score, level);
    for (let i = 0; i < level; i++) {
      const u = update[i]!;
      node.next[i] = u.next[i]!;
      u.next[i] = node;
      node.span[i] = u.span[i]! - (rank[0]! - rank[i]!);
      u.span[i] = rank[0]! - rank[i]! + 1;
    }
    for (let i = level; i < this.level; i++) update[i]!.span[i]!++;
    node.backward = update[0] === this.head ? null : update[0]!;
    if (node.next[0] !== null) node.next[0]!.backward = node;
    else this.tail = node;
    this.length++;
    return node;
  }

  private unlink(x: ZNode, update: ZNode[]): void {
    for (let i = 0; i < this.level; i++) {
      const u = update[i]!;
      if (u.next[i] === x) {
        u.span[i]! += x.span[i]! - 1;
        u.next[i] = x.next[i]!;
      } else {
        u.span[i]!--;
      }
    }
    if (x.next[0] !== null) x.next[0]!.backward = x.backward;
    else this.tail = x.backward;
    while (this.level > 1 && this.head.next[this.level - 1] === null) this.level--;
    this.length--;
  }

  /** The predecessors of (score, member) on every level. */
  private path(score: number, member: string): ZNode[] {
    const update = new Array<ZNode>(MAX_LEVEL);
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      let n = x.next[i]!;
      while (n !== null && before(n.score, n.member, score, member)) {
        x = n;
        n = x.next[i]!;
      }
      update[i] = x;
    }
    return update;
  }

  /**
   * Fills an empty list from members already in (score, member) order, in
   * O(n): each node is linked after the last node of each of its levels,
   * with no search (loading a collection image, which is stored in order).
   *
   * @returns the nodes, in order
   * @throws Error when the list is not empty
   */
  loadSorted(scores: ArrayLike<number>, members: readonly string[]): ZNode[] {
    if (this.length !== 0) throw new Error('loadSorted needs an empty skip list');
    const n = members.length;
    const last: ZNode[] = new Array<ZNode>(MAX_LEVEL).fill(this.head);
    const lastRank = new Array<number>(MAX_LEVEL).fill(0);
    const nodes = new Array<ZNode>(n);
    let prev: ZNode | null = null;
    for (let k = 0; k < n; k++) {
      const level = SkipList.randomLevel();
      if (level > this.level) this.level = level;
      const node = new ZNode(members[k]!, scores[k]!, level);
      const rank = k + 1;
      for (let i = 0; i < level; i++) {
        last[i]!.next[i] = node;
        last[i]!.span[i] = rank - lastRank[i]!;
        last[i] = node;
        lastRank[i] = rank;
      }
      node.backward = prev;
      prev = node;
      nodes[k] = node;
    }
    // A link to nothing spans the nodes after its node, as insert() keeps it.
    for (let i = 0; i < this.level; i++) last[i]!.span[i] = n - lastRank[i]!;
    this.tail = prev;
    this.length = n;
    return nodes;
  }

  /** Removes (score, member); returns whether it was there. O(log n). */
  delete(score: number, member: string): boolean {
    const update = this.path(score, member);
    const x = update[0]!.next[0]!;
    if (x === null || x.score !== score || x.member !== member) return false;
    this.unlink(x, update);
    return true;
  }

  /**
   * Changes a member's score (Redis `zslUpdateScore`): in place when the
   * order does not change, else remove and insert.
   */
  updateScore(curScore: number, member: string, newScore: number): ZNode {
    const update = this.path(curScore, member);
    const x = update[0]!.next[0]!;
    const prev = x.backward;
    const next = x.next[0]!;
    if (
      (prev === null || prev.score < newScore || (prev.score === newScore && prev.member < member)) &&
      (next === null || next.score > newScore || (next.score === newScore && next.member > member))
    ) {
      x.score = newScore;
      return x;
    }
    this.unlink(x, update);
    return this.insert(newScore, member);
  }

  /** 1-based rank of (score, member), or 0 when absent. O(log n). */
  rank(score: number, member: string): number {
    let r = 0;
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      let n = x.next[i]!;
      while (n !== null && (before(n.score, n.member, score, member) || (n.score === score && n.member === member))) {
        r += x.span[i]!;
        x = n;
        n = x.next[i]!;
      }
      if (x !== this.head && x.member === member) return r;
    }
    return 0;
  }

  /**
   * The node at 1-based `rank`, or null when `rank` is below 1 or past the
   * length. O(log n). Redis's `zslGetElementByRank` (t_zset.c) would hand back
   * its header for rank 0; its callers never ask for it, and the head sentinel
   * is not an element here.
   */
  byRank(rank: number): ZNode | null {
    if (rank < 1) return null;
    let traversed = 0;
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      while (x.next[i] !== null && traversed + x.span[i]! <= rank) {
        traversed += x.span[i]!;
        x = x.next[i]!;
      }
      if (traversed === rank) return x;
    }
    return null;
  }

  /** First node with a score in `r`, or null. */
  firstInScore(r: ScoreRange): ZNode | null {
    if (scoreRangeEmpty(r) || this.tail === null || !gteMin(this.tail.score, r) || !lteMax(this.head.next[0]!.score, r))
      return null;
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      while (x.next[i] !== null && !gteMin(x.next[i]!.score, r)) x = x.next[i]!;
    }
    const n = x.next[0]!;
    return n !== null && lteMax(n.score, r) ? n : null;
  }

  /** Last node with a score in `r`, or null. */
  lastInScore(r: ScoreRange): ZNode | null {
    if (scoreRangeEmpty(r) || this.tail === null || !gteMin(this.tail.score, r) || !lteMax(this.head.next[0]!.score, r))
      return null;
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      while (x.next[i] !== null && lteMax(x.next[i]!.score, r)) x = x.next[i]!;
    }
    return x !== this.head && gteMin(x.score, r) ? x : null;
  }

  /** First node with a member in `r`, or null (meaningful when all scores are equal). */
  firstInLex(r: LexRange): ZNode | null {
    if (
      lexRangeEmpty(r) ||
      this.tail === null ||
      !lexGteMin(this.tail.member, r.min) ||
      !lexLteMax(this.head.next[0]!.member, r.max)
    )
      return null;
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      while (x.next[i] !== null && !lexGteMin(x.next[i]!.member, r.min)) x = x.next[i]!;
    }
    const n = x.next[0]!;
    return n !== null && lexLteMax(n.member, r.max) ? n : null;
  }

  /** Last node with a member in `r`, or null. */
  lastInLex(r: LexRange): ZNode | null {
    if (
      lexRangeEmpty(r) ||
      this.tail === null ||
      !lexGteMin(this.tail.member, r.min) ||
      !lexLteMax(this.head.next[0]!.member, r.max)
    )
      return null;
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      while (x.next[i] !== null && lexLteMax(x.next[i]!.member, r.max)) x = x.next[i]!;
    }
    return x !== this.head && lexGteMin(x.member, r.min) ? x : null;
  }

  /**
   * Removes the nodes with 1-based ranks `start..end` (inclusive).
   *
   * @param removed called with each removed member
   * @returns how many were removed
   */
  deleteByRank(start: number, end: number, removed: (member: string) => void): number {
    const update = new Array<ZNode>(MAX_LEVEL);
    let traversed = 0;
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      while (x.next[i] !== null && traversed + x.span[i]! < start) {
        traversed += x.span[i]!;
        x = x.next[i]!;
      }
      update[i] = x;
    }
    traversed++;
    let n = x.next[0]!;
    let count = 0;
    while (n !== null && traversed <= end) {
      const next = n.next[0]!;
      this.unlink(n, update);
      removed(n.member);
      count++;
      traversed++;
      n = next;
    }
    return count;
  }

  /**
   * Removes the nodes from `from` on while `keep(node)` holds (ranges by
   * score or member: the caller found the first with {@link firstInScore}).
   *
   * @returns how many were removed
   */
  deleteWhile(from: ZNode, inRange: (n: ZNode) => boolean, removed: (member: string) => void): number {
    const update = this.path(from.score, from.member);
    let n: ZNode | null = from;
    let count = 0;
    while (n !== null && inRange(n)) {
      const next: ZNode | null = n.next[0]!;
      this.unlink(n, update);
      removed(n.member);
      count++;
      n = next;
    }
    return count;
  }
}
