/**
 * The sorted-set skip list (src/store/skiplist.ts) against a sorted-array
 * model: insertion order by (score, member) as Redis's zslInsert, ranks,
 * ranges by score and by member with inclusive and exclusive bounds and
 * infinities, deletion by member, rank and range, score updates, and the
 * span of every link. Random operation sequences run under fast-check with
 * the seed printed; node levels come from `Math.random`, seeded from the same
 * seed while the property runs, so a failure replays exactly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  SkipList,
  lexRangeEmpty,
  scoreRangeEmpty,
  type LexBound,
  type LexRange,
  type ScoreRange,
  type ZNode,
} from '../../../src/store/skiplist.js';
import { prng, testSeed } from '../../helpers/random.js';

type Item = { score: number; member: string };

/** (score, member) order: scores numerically (-0 equals 0), then member bytes. */
function cmp(a: Item, b: Item): number {
  if (a.score !== b.score) return a.score < b.score ? -1 : 1;
  return a.member < b.member ? -1 : a.member > b.member ? 1 : 0;
}

function inScore(s: number, r: ScoreRange): boolean {
  return (r.minex ? s > r.min : s >= r.min) && (r.maxex ? s < r.max : s <= r.max);
}

function inLex(m: string, r: LexRange): boolean {
  const lo = r.min.inf === -1 || (r.min.inf === 0 && (r.min.ex ? m > r.min.v : m >= r.min.v));
  const hi = r.max.inf === 1 || (r.max.inf === 0 && (r.max.ex ? m < r.max.v : m <= r.max.v));
  return lo && hi;
}

/** The private head sentinel and level count, read to check the spans of the head's links. */
function internals(list: SkipList): { head: ZNode; level: number } {
  return list as unknown as { head: ZNode; level: number };
}

/** A node named for messages (never the node itself: its links make huge diffs). */
function name(n: ZNode | null): string {
  return n === null ? 'null' : `(${n.score}, ${JSON.stringify(n.member)})`;
}

function items(list: SkipList): Item[] {
  const out: Item[] = [];
  for (let n = list.first; n !== null; n = n.next[0]!) out.push({ score: n.score, member: n.member });
  return out;
}

/**
 * Checks the whole structure against `model` (sorted): order, backward links,
 * tail, length, every span on every level, the level count, and rank and
 * byRank for every element.
 */
function checkList(list: SkipList, model: readonly Item[]): void {
  assert.equal(list.length, model.length, 'length');
  const got = items(list);
  assert.equal(got.length, model.length, 'level-0 walk length');
  got.forEach((it, i) => {
    assert.equal(it.member, model[i]!.member, `member at ${i}`);
    assert.ok(Object.is(it.score, model[i]!.score), `score at ${i}: ${it.score} vs ${model[i]!.score}`);
  });
  const rankOf = new Map<ZNode, number>();
  let prev: ZNode | null = null;
  let r = 0;
  for (let n = list.first; n !== null; n = n.next[0]!) {
    rankOf.set(n, ++r);
    assert.ok(n.backward === prev, `backward link of rank ${r}: ${name(n.backward)}, want ${name(prev)}`);
    prev = n;
  }
  assert.ok(list.tail === prev, `tail ${name(list.tail)}, want the last node ${name(prev)}`);
  const { head, level } = internals(list);
  rankOf.set(head, 0);
  let tallest = 1;
  for (let n = list.first; n !== null; n = n.next[0]!) tallest = Math.max(tallest, n.next.length);
  assert.equal(level, tallest, "the level count is the tallest node's");
  for (let i = level; i < 32; i++) assert.ok(head.next[i] === null, `head has no link on unused level ${i}`);
  for (let i = 0; i < level; i++) {
    let last = 0;
    for (let x: ZNode | null = head; x !== null; x = x.next[i]!) {
      const rx = rankOf.get(x);
      assert.ok(rx !== undefined, `a node on level ${i} is on level 0`);
      assert.ok(x === head || rx > last, `level ${i} keeps level-0 order`);
      last = rx;
      const nx: ZNode | null = x.next[i]!;
      const want: number = nx === null ? model.length - rx : rankOf.get(nx)! - rx;
      assert.equal(x.span[i], want, `span of rank ${rx} on level ${i}`);
    }
  }
  model.forEach((it, i) => assert.equal(list.rank(it.score, it.member), i + 1, `rank of ${JSON.stringify(it.member)}`));
  for (let k = 1; k <= model.length; k++) assert.equal(list.byRank(k)?.member, model[k - 1]!.member, `byRank(${k})`);
  assert.ok(list.byRank(model.length + 1) === null, 'byRank past the length');
  assert.ok(list.byRank(0) === null, 'byRank(0)');
}

/** Runs `fn` with `Math.random` drawn from a PRNG seeded with `seed`. */
function withSeededRandom<T>(seed: number, fn: () => T): T {
  const original = Math.random;
  Math.random = prng(seed);
  try {
    return fn();
  } finally {
    Math.random = original;
  }
}

function build(entries: [number, string][]): { list: SkipList; model: Item[] } {
  const list = new SkipList();
  for (const [score, member] of entries) list.insert(score, member);
  const model = entries.map(([score, member]) => ({ score, member })).sort(cmp);
  return { list, model };
}

const range = (min: number, max: number, minex = false, maxex = false): ScoreRange => ({ min, max, minex, maxex });
const lexIn = (v: string): LexBound => ({ v, inf: 0, ex: false });
const lexEx = (v: string): LexBound => ({ v, inf: 0, ex: true });
const NEG: LexBound = { v: '', inf: -1, ex: true };
const POS: LexBound = { v: '', inf: 1, ex: true };

test('equal scores order by member bytes, -0 ties with 0, infinities sort to the ends', () => {
  const { list, model } = build([
    [1, 'b'],
    [1, 'a'],
    [1, ''],
    [1, 'ab'],
    [1, '\xff'],
    [1, 'B'],
    [0, 'z'],
    [-0, 'y'],
    [Infinity, 'top'],
    [-Infinity, 'q'],
    [1, '\x00'],
  ]);
  assert.deepEqual(
    items(list).map((i) => `${i.score}:${JSON.stringify(i.member)}`),
    ['-Infinity:"q"', '0:"y"', '0:"z"', '1:""', '1:"\\u0000"', '1:"B"', '1:"a"', '1:"ab"', '1:"b"', '1:"ÿ"'].concat(
      'Infinity:"top"',
    ),
  );
  assert.ok(Object.is(list.byRank(2)!.score, -0), 'the -0 score is kept as given');
  checkList(list, model);
});

test('rank is 1-based and 0 for an absent member; byRank is null below 1 and past the length', () => {
  const { list } = build([
    [10, 'x'],
    [5, 'y'],
    [7, 'z'],
  ]);
  assert.equal(list.rank(5, 'y'), 1);
  assert.equal(list.rank(7, 'z'), 2);
  assert.equal(list.rank(10, 'x'), 3);
  assert.equal(list.rank(7, 'nope'), 0);
  assert.equal(list.rank(100, 'w'), 0);
  assert.equal(list.byRank(3)!.member, 'x');
  assert.ok(list.byRank(-1) === null);
  assert.ok(list.byRank(0) === null, 'rank 0 is not the head sentinel');
  assert.ok(list.byRank(4) === null);
  assert.ok(new SkipList().byRank(0) === null);
  assert.ok(new SkipList().byRank(1) === null);
  assert.equal(new SkipList().rank(1, 'a'), 0);
});

test('score ranges honour inclusive and exclusive bounds and infinities', () => {
  const { list } = build([
    [-Infinity, 'ninf'],
    [1, 'a'],
    [2, 'b'],
    [2, 'c'],
    [3, 'd'],
    [Infinity, 'pinf'],
  ]);
  const span = (r: ScoreRange): [string | undefined, string | undefined] => [
    list.firstInScore(r)?.member,
    list.lastInScore(r)?.member,
  ];
  assert.deepEqual(span(range(2, 2)), ['b', 'c']);
  assert.deepEqual(span(range(2, 3, true)), ['d', 'd']);
  assert.deepEqual(span(range(1, 3, true, true)), ['b', 'c']);
  assert.deepEqual(span(range(-Infinity, Infinity)), ['ninf', 'pinf']);
  assert.deepEqual(span(range(-Infinity, Infinity, true, true)), ['a', 'd']);
  assert.deepEqual(span(range(Infinity, Infinity)), ['pinf', 'pinf']);
  assert.deepEqual(span(range(-Infinity, -Infinity)), ['ninf', 'ninf']);
  assert.deepEqual(span(range(1.5, 1.9)), [undefined, undefined], 'a gap between scores');
  assert.deepEqual(span(range(3, Infinity, true, true)), [undefined, undefined]);
  assert.deepEqual(span(range(3, 1)), [undefined, undefined], 'min above max');
  assert.deepEqual(span(range(2, 2, false, true)), [undefined, undefined], 'equal bounds, one exclusive');
  assert.deepEqual(span(range(-0, 0)), [undefined, undefined]);
  assert.ok(new SkipList().firstInScore(range(-Infinity, Infinity)) === null);
  assert.ok(new SkipList().lastInScore(range(-Infinity, Infinity)) === null);
});

test('lexicographic ranges honour [ and ( bounds and the - and + extremes', () => {
  const { list } = build(['a', 'b', 'bb', 'c', 'd', '\xff'].map((m): [number, string] => [0, m]));
  const span = (min: LexBound, max: LexBound): [string | undefined, string | undefined] => [
    list.firstInLex({ min, max })?.member,
    list.lastInLex({ min, max })?.member,
  ];
  assert.deepEqual(span(NEG, POS), ['a', '\xff']);
  assert.deepEqual(span(lexIn('b'), lexEx('d')), ['b', 'c']);
  assert.deepEqual(span(lexEx('b'), lexIn('c')), ['bb', 'c']);
  assert.deepEqual(span(lexEx('a'), POS), ['b', '\xff']);
  assert.deepEqual(span(NEG, lexEx('b')), ['a', 'a']);
  assert.deepEqual(span(lexIn('ba'), lexIn('bz')), ['bb', 'bb']);
  assert.deepEqual(span(lexIn('e'), lexIn('f')), [undefined, undefined]);
  assert.deepEqual(span(lexEx('b'), lexIn('b')), [undefined, undefined]);
  assert.deepEqual(span(POS, NEG), [undefined, undefined]);
  assert.deepEqual(span(POS, POS), [undefined, undefined]);
});

test('empty-range checks follow zslIsInRange and sdscmplex', () => {
  assert.equal(scoreRangeEmpty(range(1, 1)), false);
  assert.equal(scoreRangeEmpty(range(1, 1, true)), true);
  assert.equal(scoreRangeEmpty(range(1, 1, false, true)), true);
  assert.equal(scoreRangeEmpty(range(2, 1)), true);
  assert.equal(scoreRangeEmpty(range(-Infinity, Infinity, true, true)), false);
  assert.equal(scoreRangeEmpty(range(Infinity, Infinity)), false);
  assert.equal(lexRangeEmpty({ min: NEG, max: POS }), false);
  assert.equal(lexRangeEmpty({ min: POS, max: NEG }), true);
  assert.equal(lexRangeEmpty({ min: NEG, max: NEG }), true, '- to - is empty (both bounds exclusive)');
  assert.equal(lexRangeEmpty({ min: lexIn('a'), max: lexIn('a') }), false);
  assert.equal(lexRangeEmpty({ min: lexIn('a'), max: lexEx('a') }), true);
  assert.equal(lexRangeEmpty({ min: lexIn('b'), max: lexIn('a') }), true);
  assert.equal(lexRangeEmpty({ min: POS, max: lexIn('z') }), true);
  assert.equal(lexRangeEmpty({ min: lexIn('z'), max: NEG }), true);
  assert.equal(lexRangeEmpty({ min: NEG, max: lexIn('') }), false);
});

test('delete needs both the score and the member, and keeps spans right', () => {
  const { list, model } = build([
    [1, 'a'],
    [2, 'b'],
    [3, 'c'],
  ]);
  assert.equal(list.delete(2, 'x'), false);
  assert.equal(list.delete(1, 'b'), false, 'a member under another score is not deleted');
  assert.equal(list.delete(2, 'b'), true);
  assert.equal(list.delete(2, 'b'), false);
  checkList(
    list,
    model.filter((i) => i.member !== 'b'),
  );
  assert.equal(list.delete(3, 'c'), true);
  assert.equal(list.tail!.member, 'a');
  assert.equal(list.delete(1, 'a'), true);
  assert.ok(list.first === null && list.tail === null, 'no first or last node');
  checkList(list, []);
});

test('deleteByRank and deleteWhile remove exactly the asked nodes and report each member', () => {
  const entries = Array.from({ length: 200 }, (_, i): [number, string] => [i % 10, `m${String(i).padStart(3, '0')}`]);
  const { list, model } = build(entries);
  const removed: string[] = [];
  assert.equal(
    list.deleteByRank(5, 24, (m) => removed.push(m)),
    20,
  );
  assert.deepEqual(
    removed,
    model.slice(4, 24).map((i) => i.member),
  );
  let rest = [...model.slice(0, 4), ...model.slice(24)];
  checkList(list, rest);
  removed.length = 0;
  const r = range(3, 5, true, false);
  const first = list.firstInScore(r)!;
  const count = list.deleteWhile(
    first,
    (n) => n.score <= 5,
    (m) => removed.push(m),
  );
  const inRange = rest.filter((i) => inScore(i.score, r));
  assert.equal(count, inRange.length);
  assert.deepEqual(
    removed,
    inRange.map((i) => i.member),
  );
  rest = rest.filter((i) => !inScore(i.score, r));
  checkList(list, rest);
  assert.equal(
    list.deleteByRank(1, rest.length, () => {}),
    rest.length,
  );
  checkList(list, []);
});

test('updateScore keeps the node when the order holds and moves it when it does not', () => {
  const { list } = build([
    [1, 'a'],
    [2, 'b'],
    [3, 'c'],
  ]);
  const b = list.byRank(2)!;
  assert.ok(list.updateScore(2, 'b', 2.5) === b, 'same place: updated in place');
  assert.equal(b.score, 2.5);
  assert.ok(list.updateScore(2.5, 'b', 3) === b, 'a tie with the next node still sorts before it by member');
  const moved = list.updateScore(3, 'b', 0);
  assert.ok(moved !== b, 'a node that changes place is a new node');
  assert.equal(moved.score, 0);
  checkList(list, [
    { score: 0, member: 'b' },
    { score: 1, member: 'a' },
    { score: 3, member: 'c' },
  ]);
  list.updateScore(3, 'c', -Infinity);
  checkList(list, [
    { score: -Infinity, member: 'c' },
    { score: 0, member: 'b' },
    { score: 1, member: 'a' },
  ]);
});

test('loadSorted links members given in order with the spans inserts would give, and refuses a non-empty list', () => {
  const seed = testSeed('skiplist loadSorted');
  withSeededRandom(seed, () => {
    const model = Array.from({ length: 1000 }, (_, i) => ({ score: Math.floor(i / 7), member: `k${i}` })).sort(cmp);
    const list = new SkipList();
    const nodes = list.loadSorted(
      model.map((i) => i.score),
      model.map((i) => i.member),
    );
    assert.equal(nodes.length, model.length);
    nodes.forEach((n, i) => assert.equal(n.member, model[i]!.member));
    checkList(list, model);
    // Inserts after a load keep the spans right.
    list.insert(0.5, 'late');
    list.insert(1e9, 'last');
    checkList(list, [...model, { score: 0.5, member: 'late' }, { score: 1e9, member: 'last' }].sort(cmp));
    assert.throws(() => list.loadSorted([1], ['x']), /empty/);
  });
});

test('many inserts build several levels whose spans add up; the level count follows the tallest node left', () => {
  const seed = testSeed('skiplist levels');
  withSeededRandom(seed, () => {
    const entries = Array.from({ length: 2000 }, (_, i): [number, string] => [(i * 7919) % 2000, `${i}`]);
    const { list, model } = build(entries);
    assert.ok(internals(list).level >= 4, `level ${internals(list).level} for 2000 nodes`);
    checkList(list, model);
    for (const it of model.slice(0, 1990)) assert.equal(list.delete(it.score, it.member), true);
    checkList(list, model.slice(1990));
  });
});

// ---------------------------------------------------------------------------
// Property: random operations against a sorted array.
// ---------------------------------------------------------------------------

const memberArb = fc.string({ unit: fc.constantFrom('a', 'b', 'A', '\x00', '\xff'), maxLength: 3, size: 'max' });
const scoreArb = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(-Infinity, -1.5, -0, 0, 1, 2.5, Infinity) },
  { weight: 1, arbitrary: fc.double({ noNaN: true }) },
);
const rangeArb: fc.Arbitrary<ScoreRange> = fc.record({
  min: scoreArb,
  max: scoreArb,
  minex: fc.boolean(),
  maxex: fc.boolean(),
});
const lexBoundArb: fc.Arbitrary<LexBound> = fc.oneof(
  fc.constant(NEG),
  fc.constant(POS),
  fc.record({ v: memberArb, inf: fc.constant(0 as const), ex: fc.boolean() }),
);

type Op =
  | { op: 'set'; member: string; score: number }
  | { op: 'del'; member: string }
  | { op: 'delRank'; a: number; b: number }
  | { op: 'delScore'; r: ScoreRange }
  | { op: 'query'; r: ScoreRange };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant('set' as const), member: memberArb, score: scoreArb }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('del' as const), member: memberArb }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('delRank' as const), a: fc.nat(), b: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('delScore' as const), r: rangeArb }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('query' as const), r: rangeArb }) },
);

function applyOp(list: SkipList, model: Item[], o: Op): Item[] {
  const at = (m: string): number => model.findIndex((i) => i.member === m);
  switch (o.op) {
    case 'set': {
      const i = at(o.member);
      if (i < 0) {
        const node = list.insert(o.score, o.member);
        assert.equal(node.member, o.member);
      } else {
        const node = list.updateScore(model[i]!.score, o.member, o.score);
        assert.ok(Object.is(node.score, o.score));
        model.splice(i, 1);
      }
      model.push({ score: o.score, member: o.member });
      return model.sort(cmp);
    }
    case 'del': {
      const i = at(o.member);
      const score = i >= 0 ? model[i]!.score : 0;
      assert.equal(list.delete(score, o.member), i >= 0);
      if (i >= 0) model.splice(i, 1);
      return model;
    }
    case 'delRank': {
      if (model.length === 0) return model;
      const a = (o.a % model.length) + 1;
      const b = a + (o.b % (model.length - a + 1));
      const removed: string[] = [];
      assert.equal(
        list.deleteByRank(a, b, (m) => removed.push(m)),
        b - a + 1,
      );
      assert.deepEqual(
        removed,
        model.slice(a - 1, b).map((i) => i.member),
      );
      return [...model.slice(0, a - 1), ...model.slice(b)];
    }
    case 'delScore': {
      const first = list.firstInScore(o.r);
      const want = model.filter((i) => inScore(i.score, o.r));
      const removed: string[] = [];
      const n =
        first === null
          ? 0
          : list.deleteWhile(
              first,
              (x) => inScore(x.score, o.r),
              (m) => removed.push(m),
            );
      assert.equal(n, want.length);
      assert.deepEqual(
        removed,
        want.map((i) => i.member),
      );
      return model.filter((i) => !inScore(i.score, o.r));
    }
    case 'query': {
      const want = model.filter((i) => inScore(i.score, o.r));
      assert.equal(list.firstInScore(o.r)?.member, want[0]?.member, 'firstInScore');
      assert.equal(list.lastInScore(o.r)?.member, want[want.length - 1]?.member, 'lastInScore');
      return model;
    }
  }
}

test('random operation sequences agree with a sorted array, spans included', () => {
  const seed = testSeed('skiplist model');
  let runs = 0;
  let maxLength = 0;
  const initialArb = fc.uniqueArray(fc.record({ member: memberArb, score: scoreArb }), {
    maxLength: 100,
    size: 'max',
    selector: (i) => i.member,
  });
  withSeededRandom(seed, () =>
    fc.assert(
      fc.property(initialArb, fc.array(opArb, { minLength: 1, maxLength: 200, size: 'max' }), (initial, ops) => {
        runs++;
        const list = new SkipList();
        let model: Item[] = [];
        for (const o of [...initial.map((i): Op => ({ op: 'set', ...i })), ...ops]) {
          model = applyOp(list, model, o);
          maxLength = Math.max(maxLength, model.length);
        }
        checkList(list, model);
      }),
      { seed, numRuns: 100 },
    ),
  );
  assert.equal(runs, 100, `the property ran ${runs} times`);
  assert.ok(maxLength >= 50, `some run held ${maxLength} members`);
});

test('random lexicographic ranges over equal scores agree with filtering the members', () => {
  const seed = testSeed('skiplist lex ranges');
  let runs = 0;
  let hits = 0;
  const membersArb = fc.uniqueArray(memberArb, { maxLength: 60, size: 'max' });
  withSeededRandom(seed, () =>
    fc.assert(
      fc.property(membersArb, lexBoundArb, lexBoundArb, (members, min, max) => {
        runs++;
        const { list, model } = build(members.map((m): [number, string] => [7, m]));
        const r = { min, max };
        const want = model.filter((i) => inLex(i.member, r));
        if (want.length > 0) hits++;
        assert.equal(lexRangeEmpty(r) && want.length > 0, false, 'an empty range matches nothing');
        assert.equal(list.firstInLex(r)?.member, want[0]?.member, 'firstInLex');
        assert.equal(list.lastInLex(r)?.member, want[want.length - 1]?.member, 'lastInLex');
        const first = list.firstInLex(r);
        const removed: string[] = [];
        if (first !== null)
          list.deleteWhile(
            first,
            (n) => inLex(n.member, r),
            (m) => removed.push(m),
          );
        assert.deepEqual(
          removed,
          want.map((i) => i.member),
        );
        checkList(
          list,
          model.filter((i) => !inLex(i.member, r)),
        );
      }),
      { seed, numRuns: 200 },
    ),
  );
  assert.equal(runs, 200, `the property ran ${runs} times`);
  assert.ok(hits >= 30, `${hits} runs had a non-empty range`);
});
