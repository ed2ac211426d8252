/**
 * Collection images (src/store/collections.ts): the byte layout of
 * docs/FORMAT.md ("Collection image") on worked examples, and properties
 * (fast-check, seed printed) that hashes, lists, sets (integer-only ones
 * included) and sorted sets (with -0, infinities and equal scores) built by
 * random operations decode to the same contents, encoding and byte estimate,
 * and encode again to identical bytes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { EntryType } from '../../../src/store/arena.js';
import {
  HashValue,
  INTSET_MAX_ENTRIES,
  ListValue,
  SetValue,
  ZSetValue,
  decodeCollection,
  type Collection,
} from '../../../src/store/collections.js';
import { testSeed } from '../../helpers/random.js';

/** Strings of bytes 0-255, one character per byte, as collections hold them. */
const bytes = (maxLength: number, size: fc.SizeForArbitrary = 'small'): fc.Arbitrary<string> =>
  fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), maxLength, size });

/** Decodes `c`'s image as the type it says, checks it encodes to the same bytes, and returns it. */
function roundTrip<T extends Collection>(c: T): T {
  const image = c.encode();
  const copy = decodeCollection(c.type, image) as T;
  assert.equal(copy.constructor, c.constructor);
  assert.ok(copy.encode().equals(image), 'the copy encodes to identical bytes');
  assert.equal(copy.size, c.size);
  assert.equal(copy.encoding, c.encoding);
  assert.equal(copy.bytes, c.bytes, 'the heap estimate is the same');
  return copy;
}

const u32 = (...n: number[]): Buffer => Buffer.from(new Uint32Array(n).buffer);
const f64 = (...d: number[]): Buffer => Buffer.from(new Float64Array(d).buffer);

test('images follow docs/FORMAT.md: count, flags, reserved, scores, lengths, then the bytes', () => {
  const h = new HashValue();
  h.set('a', '1');
  h.set('bc', '');
  assert.deepEqual(h.encode(), Buffer.concat([u32(2, 0, 0), u32(1, 1, 2, 0), Buffer.from('a1bc')]));
  const l = new ListValue();
  l.pushRight('x');
  l.pushLeft('\xff\x00');
  assert.deepEqual(l.encode(), Buffer.concat([u32(2, 0, 0), u32(2, 1), Buffer.from([255, 0, 120])]));
  const s = new SetValue();
  s.add('12');
  s.add('-3');
  assert.deepEqual(s.encode(), Buffer.concat([u32(2, 0, 0), u32(2, 2), Buffer.from('12-3')]), 'intset: flag 0');
  s.add('x');
  assert.deepEqual(s.encode(), Buffer.concat([u32(3, 1, 0), u32(2, 2, 1), Buffer.from('12-3x')]), 'hashtable: flag 1');
  const z = new ZSetValue();
  z.set('a', 1.5);
  z.set('bc', -Infinity);
  z.set('d', 1.5);
  assert.deepEqual(
    z.encode(),
    Buffer.concat([u32(3, 0, 0), f64(-Infinity, 1.5, 1.5), u32(2, 1, 1), Buffer.from('bcad')]),
    'members in (score, member) order, scores first',
  );
});

test('decodeCollection refuses a string entry type and reports a truncated image', () => {
  assert.throws(() => decodeCollection(EntryType.String, Buffer.alloc(12)), /not a collection/);
  assert.throws(() => decodeCollection(9, Buffer.alloc(12)), /not a collection/);
  const h = new HashValue();
  h.set('field', 'value');
  const image = h.encode();
  assert.throws(() => decodeCollection(EntryType.Hash, image.subarray(0, image.length - 1)), RangeError);
});

test('the encodings flags carry: outgrown hashes, sets and sorted sets stay outgrown after a decode', () => {
  const h = new HashValue();
  h.set('f', 'v'.repeat(65));
  h.set('f', 'short');
  assert.equal(roundTrip(h).encoding, 'hashtable', 'a long value once converts for good');
  const s = new SetValue();
  for (let i = 0; i <= INTSET_MAX_ENTRIES; i++) s.add(String(i));
  s.delete('0');
  assert.equal(roundTrip(s).encoding, 'hashtable', 'more than 512 integers once converts for good');
  const z = new ZSetValue();
  z.set('m'.repeat(65), 1);
  z.delete('m'.repeat(65));
  z.set('a', 1);
  assert.equal(roundTrip(z).encoding, 'skiplist');
  const small = new ZSetValue();
  small.set('a', 1);
  assert.equal(roundTrip(small).encoding, 'listpack');
});

type HashOp = { set: [string, string] } | { del: number };

test('hashes built by random sets and deletes decode to the same fields, values and order', () => {
  const seed = testSeed('hash images');
  let runs = 0;
  let outgrown = 0;
  const opArb: fc.Arbitrary<HashOp> = fc.oneof(
    { weight: 4, arbitrary: fc.record({ set: fc.tuple(bytes(8), fc.oneof(bytes(20), bytes(100, 'max'))) }) },
    { weight: 1, arbitrary: fc.record({ del: fc.nat() }) },
  );
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 200, size: 'max' }), (ops) => {
      runs++;
      const h = new HashValue();
      const model = new Map<string, string>();
      for (const o of ops) {
        if ('set' in o) {
          assert.equal(h.set(...o.set), !model.has(o.set[0]));
          model.set(...o.set);
        } else if (model.size > 0) {
          const f = [...model.keys()][o.del % model.size]!;
          assert.equal(h.delete(f), true);
          model.delete(f);
        }
      }
      const copy = roundTrip(h);
      assert.deepEqual(copy.fields, h.fields, 'fields in the same order');
      assert.deepEqual(copy.values, h.values);
      assert.deepEqual(new Map(copy.fields.map((f) => [f, copy.get(f)])), model);
      for (const f of model.keys()) assert.ok(copy.has(f));
      if (copy.encoding === 'hashtable') outgrown++;
    }),
    { seed, numRuns: 100 },
  );
  assert.equal(runs, 100, `the property ran ${runs} times`);
  assert.ok(outgrown >= 25, `${outgrown} hashes had outgrown the listpack`);
});

type ListOp =
  | { op: 'pushLeft' | 'pushRight'; v: string }
  | { op: 'popLeft' | 'popRight' }
  | { op: 'insert' | 'set'; at: number; v: string }
  | { op: 'remove'; at: number };

function applyListOp(l: ListValue, model: string[], o: ListOp): void {
  switch (o.op) {
    case 'pushLeft':
      l.pushLeft(o.v);
      model.unshift(o.v);
      return;
    case 'pushRight':
      l.pushRight(o.v);
      model.push(o.v);
      return;
    case 'popLeft':
      assert.equal(l.popLeft(), model.shift());
      return;
    case 'popRight':
      assert.equal(l.popRight(), model.pop());
      return;
    case 'insert': {
      const at = o.at % (model.length + 1);
      l.insertAt(at, o.v);
      model.splice(at, 0, o.v);
      return;
    }
    case 'set':
      if (model.length === 0) return;
      l.setAt(o.at % model.length, o.v);
      model[o.at % model.length] = o.v;
      return;
    case 'remove':
      if (model.length === 0) return;
      l.removeAt(o.at % model.length);
      model.splice(o.at % model.length, 1);
  }
}

test('lists built by random pushes, pops, inserts and removals decode to the same elements, and keep working', () => {
  const seed = testSeed('list images');
  let runs = 0;
  const v = bytes(12);
  const opArb: fc.Arbitrary<ListOp> = fc.oneof(
    { weight: 3, arbitrary: fc.record({ op: fc.constantFrom('pushLeft' as const, 'pushRight' as const), v }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constantFrom('popLeft' as const, 'popRight' as const) }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constantFrom('insert' as const, 'set' as const), at: fc.nat(), v }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('remove' as const), at: fc.nat() }) },
  );
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 300, size: 'max' }), (ops) => {
      runs++;
      const l = new ListValue();
      const model: string[] = [];
      for (const o of ops) applyListOp(l, model, o);
      const copy = roundTrip(l);
      assert.deepEqual(
        Array.from({ length: copy.size }, (_, i) => copy.at(i)),
        model,
      );
      // The decoded ring buffer takes pushes at both ends, past its first growth.
      for (let i = 0; i < 20; i++) {
        copy.pushLeft(`L${i}`);
        copy.pushRight(`R${i}`);
        model.unshift(`L${i}`);
        model.push(`R${i}`);
      }
      assert.deepEqual(
        Array.from({ length: copy.size }, (_, i) => copy.at(i)),
        model,
      );
    }),
    { seed, numRuns: 100 },
  );
  assert.equal(runs, 100, `the property ran ${runs} times`);
});

test('sets decode to the same members in the same order; integer-only sets stay intsets', () => {
  const seed = testSeed('set images');
  let runs = 0;
  let intsets = 0;
  let tables = 0;
  const int64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String);
  const notCanonical = fc.constantFrom('-0', '007', '+1', '9223372036854775808', '1.0', ' 1', '');
  const mixed = fc.oneof({ weight: 6, arbitrary: int64 }, { weight: 1, arbitrary: fc.oneof(bytes(10), notCanonical) });
  const membersArb = fc.oneof(
    fc.array(int64, { maxLength: 100, size: 'max' }),
    fc.array(mixed, { maxLength: 100, size: 'max' }),
  );
  fc.assert(
    fc.property(membersArb, fc.array(fc.nat()), (add, del) => {
      runs++;
      const s = new SetValue();
      const model = new Set<string>();
      for (const m of add) {
        assert.equal(s.add(m), !model.has(m));
        model.add(m);
      }
      for (const k of del) {
        if (model.size === 0) break;
        const m = [...model][k % model.size]!;
        assert.equal(s.delete(m), true);
        model.delete(m);
      }
      const allInts = add.every((m) => /^(0|-?[1-9][0-9]*)$/.test(m) && BigInt.asIntN(64, BigInt(m)) === BigInt(m));
      assert.equal(s.encoding, allInts ? 'intset' : 'hashtable', 'the encoding follows the members ever added');
      const copy = roundTrip(s);
      assert.deepEqual(copy.members, s.members);
      assert.deepEqual(new Set(copy.members), model);
      for (const m of model) assert.ok(copy.has(m));
      if (copy.encoding === 'intset') intsets++;
      else tables++;
    }),
    { seed, numRuns: 300 },
  );
  assert.equal(runs, 300, `the property ran ${runs} times`);
  assert.ok(intsets >= 30 && tables >= 30, `${intsets} intsets, ${tables} hashtables`);
});

/** A sorted set's (member, score) pairs in skip-list order. */
function walk(z: ZSetValue): [string, number][] {
  const out: [string, number][] = [];
  for (let n = z.list.first; n !== null; n = n.next[0]!) out.push([n.member, n.score]);
  return out;
}

/** (score, member) order, -0 equal to 0. */
const byScore = (a: [string, number], b: [string, number]): number =>
  a[1] !== b[1] ? (a[1] < b[1] ? -1 : 1) : a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;

test('sorted sets decode to the same (member, score) order, -0 and infinities included, with working ranks', () => {
  const seed = testSeed('zset images');
  let runs = 0;
  let negZeros = 0;
  let outgrown = 0;
  const scoreArb = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(-0, 0, 1, 1.5, -Infinity, Infinity) },
    { weight: 2, arbitrary: fc.double({ noNaN: true }) },
  );
  const memberArb = fc.oneof({ weight: 20, arbitrary: bytes(6) }, { weight: 1, arbitrary: bytes(70, 'max') });
  fc.assert(
    fc.property(
      fc.array(fc.tuple(memberArb, scoreArb), { maxLength: 200, size: 'max' }),
      fc.boolean(),
      (entries, skiplist) => {
        runs++;
        const z = new ZSetValue();
        if (skiplist) z.toSkiplist();
        const model = new Map<string, number>();
        for (const [m, s] of entries) {
          assert.equal(z.set(m, s), !model.has(m));
          // An equal score (0 and -0 included) changes nothing; a compact set stores -0 as 0.
          if (!model.has(m) || model.get(m) !== s) model.set(m, z.compact && s === 0 ? 0 : s);
        }
        const want = [...model].sort(byScore);
        const copy = roundTrip(z);
        const got = walk(copy);
        assert.equal(got.length, want.length);
        got.forEach(([m, s], i) => {
          assert.equal(m, want[i]![0], `member at ${i}`);
          assert.ok(Object.is(s, want[i]![1]), `score of ${JSON.stringify(m)}: ${s}, want ${want[i]![1]}`);
          assert.ok(Object.is(copy.score(m), s));
          assert.equal(copy.list.rank(s, m), i + 1);
          if (Object.is(s, -0)) negZeros++;
        });
        assert.equal(copy.dense.length, want.length);
        if (!copy.compact) outgrown++;
        copy.dense.forEach((n, i) => assert.equal(n.denseIndex, i, 'dense indexes are positions'));
        // The decoded set takes changes like the original.
        for (const [m, s] of [['added', -Infinity] as const, [want[0]?.[0] ?? 'x', 2.5] as const]) {
          z.set(m, s);
          copy.set(m, s);
        }
        assert.deepEqual(walk(copy), walk(z));
        assert.ok(copy.encode().equals(z.encode()));
      },
    ),
    { seed, numRuns: 100 },
  );
  assert.equal(runs, 100, `the property ran ${runs} times`);
  assert.ok(negZeros >= 5, `${negZeros} -0 scores came back as -0`);
  assert.ok(outgrown >= 40, `${outgrown} sets in the skiplist encoding`);
});
