/**
 * Sorted-set commands against Debian's redis-server 7.0.15: the same command
 * sequences go to both servers and every reply must match byte for byte
 * (score formatting, error texts, -0 under both encodings, LIMIT and REV
 * edge cases, WRONGTYPE, arity). A seeded random run compares ranges, ranks
 * and counts after thousands of writes, and restart tests check that the
 * logged effects (and a snapshot) rebuild the same sets, after SIGTERM and
 * after SIGKILL.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanup, startServer, tempDir } from '../helpers/server.js';
import type { RedisHandle } from '../helpers/redis.js';
import { RawClient, encodeCommand } from '../helpers/resp.js';
import {
  elements,
  orScan,
  sameReplies,
  sameReply,
  serverPair,
  sortArray,
  sortPairs,
  type Command,
  type Normalizers,
} from '../helpers/differential.js';
import { prng, testSeed } from '../helpers/random.js';

let redis: RedisHandle;
let a: RawClient;
let b: RawClient;
serverPair((p) => ({ redis, a, b } = p));

/** The elements of a reply known to be an array. */
const items = (reply: string): { head: string; items: string[] } => elements(reply)!;

/** `~` sorts a reply's elements, `%` its (member, score) pairs; in a scan reply, those of its inner array. */
const NORMALIZE: Normalizers = { '~': orScan(sortArray), '%': orScan(sortPairs) };

/** Runs one command on both servers and asserts the replies match (after `~`/`%` normalization). */
const one = (command: Command): Promise<string> => sameReply(a, b, command, NORMALIZE);

/** FLUSHALL, then each command on both servers. */
const same = (commands: Command[]): Promise<void> => sameReplies(a, b, commands, NORMALIZE);

/** `ZADD key` with `n` members `m<i>` scored by `score(i)`. */
function zaddMany(key: string, n: number, score: (i: number) => string, prefix = 'm'): string[] {
  const args = ['ZADD', key];
  for (let i = 0; i < n; i++) args.push(score(i), `${prefix}${i}`);
  return args;
}

test('ZADD options, conditions, CH, INCR and their errors', () =>
  same([
    'ZADD z 1 a 2 b 3 c',
    'ZADD z 1 a',
    'ZADD z CH 5 a 2 b 9 d',
    'ZADD z NX 100 a 4 e',
    'ZADD z XX 100 a 4 f',
    'ZADD z XX CH 7 a 4 f',
    'ZADD z GT 1 a',
    'ZADD z GT CH 8 a',
    'ZADD z LT CH 9 a 0 b',
    'ZADD z XX GT CH 20 a 20 nosuch',
    'ZADD z GT 5 newmember',
    'ZRANGE z 0 -1 WITHSCORES',
    'ZADD z INCR 2.5 a',
    'ZADD z INCR 3 brandnew',
    'ZADD z NX INCR 1 a',
    'ZADD z XX INCR 1 nosuch',
    'ZADD z GT INCR -1 a',
    'ZADD z LT INCR -1 a',
    'ZADD z INCR 0 a',
    'ZADD z nx xx 1 a',
    'ZADD z GT LT 1 a',
    'ZADD z GT NX 1 a',
    'ZADD z LT NX 1 a',
    'ZADD z INCR 1 a 2 b',
    'ZADD z 1',
    'ZADD z 1 a 2',
    'ZADD z NX',
    'ZADD z CH',
    'ZADD z abc a',
    'ZADD z 1 a abc b',
    'ZADD z nan a',
    'ZADD z INCR nan a',
    'ZADD z XX NX abc a',
    'ZADD nokey XX 1 a',
    'ZADD nokey XX INCR 1 a',
    'EXISTS nokey',
    'ZADD z 1 a 1 a 2 a',
    'ZADD z CH 3 dup 4 dup',
    'ZSCORE z dup',
    'ZADD z INCR 1 a',
    'ZADD z INCR 1e308 big',
    'ZADD z INCR 1e308 big',
    'ZSCORE z big',
    'ZADD z INCR -inf big',
    'ZADD z 5 a',
    'ZRANGE z 0 -1 WITHSCORES',
    'ZCARD z',
  ]));

test('ZINCRBY: increments, NaN results, syntax quirks', () =>
  same([
    'ZINCRBY z 1 a',
    'ZINCRBY z 0.1 a',
    'ZINCRBY z 0.2 a',
    'ZINCRBY z -1.3000000000000003 a',
    'ZINCRBY z inf b',
    'ZINCRBY z -inf b',
    'ZSCORE z b',
    'ZINCRBY z +inf c',
    'ZINCRBY z +inf c',
    'ZINCRBY z abc a',
    'ZINCRBY z nan a',
    'ZINCRBY z nx a',
    'ZINCRBY z incr a',
    'ZINCRBY z 1e400 a',
    'ZINCRBY z 5e-324 tiny',
    'ZINCRBY z -0 negzero',
    'ZSCORE z negzero',
    'ZRANGE z 0 -1 WITHSCORES',
  ]));

test('score parsing and formatting match %.17g and strtod', () =>
  same([
    'ZADD z 1.1 a 1e20 b inf c -0 d 3.0 e 0.1 f 123456789012345678 g 1e-5 h 2.5e-300 i -inf j',
    'ZADD z 1e15 k 1e16 l 1e17 m 4503599627370497 n 9007199254740993 o 1234567890123456.25 p 5e-324 q 1.7976931348623157e308 r',
    'ZADD z 0x1p3 s 0x1.8P1 t -0x10 u +5 v .5 w 5. x 1E2 y -.5e-1 z infinity aa -Infinity ab +INF ac 1e-310 ad 0.0001 ae 0.00001 af',
    'ZRANGE z 0 -1 WITHSCORES',
    'ZSCORE z a',
    'ZMSCORE z a b c d e f nosuch m p',
    ['ZADD', 'z', ' 1', 'bad'],
    ['ZADD', 'z', '1 ', 'bad'],
    ['ZADD', 'z', '', 'bad'],
    ['ZADD', 'z', '1\u0000', 'bad'],
    'ZADD z 1e400 bad',
    'ZADD z 1e-400 bad',
    'ZADD z 0x bad',
    'ZADD z 1e bad',
    'ZADD z 1_0 bad',
    'ZADD z nan(123) bad',
    'ZADD z - bad',
    'ZADD z . bad',
    'ZADD z infinit bad',
    'ZADD z 0e-400 zero',
    'ZSCORE z zero',
    'EXISTS bad',
  ]));

test('hexadecimal scores among the subnormals are rounded once, as strtod rounds them', () =>
  same([
    'ZADD z 0x1.7ffffffffffffffp-1074 a 0x1.8p-1074 b 0x7p-1075 c 0x1.00000000000018p-1023 d',
    'ZADD z 0x1.fffffffffffff8p-1023 e 0x1.0000000000001p-1075 f 0x1.00000000000000000000000001p-1075 g',
    'ZADD z -0x1.7ffffffffffffffp-1074 h',
    'ZADD z 0x1p-1075 bad',
    'ZADD z 0x1.00000000000008p-1075 bad',
    'ZADD z 0x2.0000000000001p-1076 bad',
    'ZRANGE z 0 -1 WITHSCORES',
    'ZCOUNT z (0x1.7ffffffffffffffp-1074 +inf',
    'ZCOUNT z 0x1p-1075 (0x1.8p-1074',
    'ZCOUNT z -inf (0x1.00000000000008p-1075',
    'ZINCRBY z 0x1.7ffffffffffffffp-1074 a',
    'EXISTS bad',
  ]));

test('decimal scores ending within 1076 places are rounded among the subnormals as strtod rounds them', () => {
  /** The exact decimal of `m × 2^-1076`. */
  const exact = (m: bigint): string => `0.${(m * 5n ** 1076n).toString().padStart(1076, '0')}`;
  const two53 = 2n ** 53n;
  return same([
    [
      'ZADD',
      'z',
      exact(two53 + 3n),
      'a',
      exact(two53 + 11n),
      'b',
      exact(2n ** 54n - 5n),
      'c',
      `${exact(two53 + 3n)}1`,
      'd',
    ],
    'ZRANGE z 0 -1 WITHSCORES',
    ['ZCOUNT', 'z', `(${exact(two53 + 3n)}`, exact(two53 + 11n)],
  ]);
});

test('-0 reads back as 0 in a small set and as -0 in a large one', () =>
  same([
    'ZADD small -0 a -0.0 b',
    'ZRANGE small 0 -1 WITHSCORES',
    'ZADD small INCR -0 c',
    'ZSCORE small c',
    'OBJECT ENCODING small',
    ['ZADD', 'large', '1', 'x'.repeat(65)],
    'OBJECT ENCODING large',
    'ZADD large -0 a -0.0 b 0 c',
    'ZRANGE large 0 -1 WITHSCORES',
    'ZADD large 0 a',
    'ZSCORE large a',
    'ZINCRBY large -0 c',
    'ZADD large INCR -0 d',
    'ZRANGE large 0 -1 WITHSCORES',
    ['ZADD', 'mixed', '-0', 'a', '1', 'y'.repeat(70)],
    'ZRANGE mixed 0 -1 WITHSCORES',
    '%ZSCAN large 0',
    'ZRANDMEMBER large 100 WITHSCORES',
    'ZUNIONSTORE u1 1 large',
    'ZRANGE u1 0 -1 WITHSCORES',
    'ZUNIONSTORE u2 1 large WEIGHTS -1',
    'ZRANGE u2 0 -1 WITHSCORES',
    'ZUNION 1 large WEIGHTS -1 WITHSCORES',
    'ZRANGESTORE r1 large 0 -1',
    'ZRANGE r1 0 -1 WITHSCORES',
    'COPY large lcopy',
    'ZRANGE lcopy 0 -1 WITHSCORES',
    'OBJECT ENCODING lcopy',
    'ZPOPMIN large 10',
  ]));

test('ZRANGE by rank: negative, out-of-range, REV, WITHSCORES, small and large sets', async () => {
  await same([]);
  for (const key of ['small', 'large']) {
    const n = key === 'small' ? 10 : 300;
    await one(zaddMany(key, n, (i) => String(i % 7)));
    for (const [s, e] of [
      [0, -1],
      [0, 0],
      [-1, -1],
      [-3, -1],
      [2, 5],
      [5, 2],
      [-100, 3],
      [0, 1000],
      [n - 1, n + 5],
      [n, n + 5],
      [-n - 5, -n],
      [3, -3],
      [-2, 1],
    ]) {
      await one(['ZRANGE', key, String(s), String(e)]);
      await one(['ZRANGE', key, String(s), String(e), 'WITHSCORES']);
      await one(['ZRANGE', key, String(s), String(e), 'REV', 'WITHSCORES']);
      await one(['ZREVRANGE', key, String(s), String(e), 'WITHSCORES']);
    }
  }
  for (const c of [
    'ZRANGE small a 1',
    'ZRANGE small 0 1.5',
    'ZRANGE small 0 1 LIMIT 0 1',
    'ZRANGE small 0 1 LIMIT 0 -1',
    'ZRANGE small 0 1 LIMIT 1',
    'ZRANGE small 0 1 FOO',
    'ZRANGE small 0 1 WITHSCORES WITHSCORES',
    'ZREVRANGE small 0 1 REV',
    'ZREVRANGE small 0 1 BYSCORE',
    'ZREVRANGE small 0 1 LIMIT 0 1',
    'ZRANGE nokey 0 -1',
    'ZRANGE nokey a b',
    'ZRANGE small 0',
    'ZRANGE small',
  ])
    await one(c);
});

test('ZRANGE BYSCORE and ZRANGEBYSCORE: bounds, LIMIT, REV with swapped bounds', async () => {
  await same([]);
  for (const key of ['small', 'large']) {
    const n = key === 'small' ? 12 : 260;
    await one(zaddMany(key, n, (i) => (i % 5 === 0 ? '-inf' : i % 11 === 0 ? 'inf' : String((i % 9) / 2))));
    const bounds: [string, string][] = [
      ['-inf', '+inf'],
      ['1', '3'],
      ['(1', '3'],
      ['1', '(3'],
      ['(1', '(3'],
      ['(1', '(1'],
      ['1', '1'],
      ['3', '1'],
      ['-inf', '-inf'],
      ['(-inf', '+inf'],
      ['+inf', '+inf'],
      ['(+inf', '+inf'],
      ['', '2'],
      ['(', '2'],
      [' 1', '2'],
      ['1e400', 'inf'],
      ['-1e400', '1e-400'],
      ['0x1', '0x2'],
    ];
    for (const [lo, hi] of bounds) {
      await one(['ZRANGE', key, lo, hi, 'BYSCORE', 'WITHSCORES']);
      await one(['ZRANGE', key, hi, lo, 'BYSCORE', 'REV', 'WITHSCORES']);
      await one(['ZRANGE', key, lo, hi, 'BYSCORE', 'REV']);
      await one(['ZRANGEBYSCORE', key, lo, hi]);
      await one(['ZREVRANGEBYSCORE', key, hi, lo, 'WITHSCORES']);
      await one(['ZCOUNT', key, lo, hi]);
    }
    for (const [off, cnt] of [
      ['0', '3'],
      ['2', '3'],
      ['1', '-1'],
      ['0', '0'],
      ['-1', '2'],
      ['5', '100'],
      [String(n - 1), '5'],
      [String(n), '5'],
      [String(n + 10), '5'],
      ['3', '-5'],
    ]) {
      await one(['ZRANGE', key, '-inf', '+inf', 'BYSCORE', 'LIMIT', off!, cnt!, 'WITHSCORES']);
      await one(['ZRANGE', key, '+inf', '-inf', 'BYSCORE', 'REV', 'LIMIT', off!, cnt!]);
      await one(['ZRANGEBYSCORE', key, '(1', '4', 'LIMIT', off!, cnt!]);
      await one(['ZREVRANGEBYSCORE', key, '4', '(1', 'WITHSCORES', 'LIMIT', off!, cnt!]);
    }
  }
  for (const c of [
    'ZRANGEBYSCORE small nan 1',
    'ZRANGEBYSCORE small 1 abc',
    'ZRANGEBYSCORE small (a 1',
    'ZRANGEBYSCORE small 1 2 LIMIT 0',
    'ZRANGEBYSCORE small 1 2 LIMIT a 1',
    'ZRANGEBYSCORE small 1 2 LIMIT 0 b',
    'ZRANGEBYSCORE small 1 2 REV',
    'ZRANGEBYSCORE small 1 2 BYSCORE',
    'ZRANGEBYSCORE small 1 2 WITHSCORES FOO',
    'ZRANGE small 1 2 BYSCORE BYLEX',
    'ZRANGE small 1 2 BYSCORE BYSCORE',
    'ZRANGE small 1 2 BYSCORE REV REV',
    'ZRANGE small 1 2 BYSCORE LIMIT 0 1 LIMIT 1 1',
    'ZCOUNT small nan 1',
    'ZCOUNT small 1',
    'ZCOUNT nokey 0 1',
    'ZCOUNT nokey a 1',
    'ZRANGEBYSCORE nokey 0 1',
  ])
    await one(c);
});

test('ZRANGE BYLEX, ZRANGEBYLEX, ZREVRANGEBYLEX, ZLEXCOUNT', async () => {
  await same([]);
  const members = ['a', 'aa', 'ab', 'b', 'ba', 'c', 'd', 'e', 'f', '', 'A', 'z', '\u00ff', 'a\u0000b'];
  await one(['ZADD', 'small', ...members.flatMap((m) => ['0', m])]);
  await one(zaddMany('large', 200, () => '0', 'k'));
  const bounds: [string, string][] = [
    ['-', '+'],
    ['+', '-'],
    ['-', '-'],
    ['+', '+'],
    ['[a', '[b'],
    ['(a', '(b'],
    ['[a', '(b'],
    ['(a', '[b'],
    ['[b', '[a'],
    ['[a', '[a'],
    ['(a', '(a'],
    ['(a', '[a'],
    ['[', '+'],
    ['(', '+'],
    ['-', '[a'],
    ['[k1', '[k2'],
    ['(k10', '[k150'],
    ['[\u00ff', '+'],
    ['[a\u0000', '[a\u0000c'],
    ['-\u0000x', '+'],
  ];
  for (const key of ['small', 'large']) {
    for (const [lo, hi] of bounds) {
      await one(['ZRANGE', key, lo, hi, 'BYLEX']);
      await one(['ZRANGE', key, hi, lo, 'BYLEX', 'REV']);
      await one(['ZRANGEBYLEX', key, lo, hi]);
      await one(['ZREVRANGEBYLEX', key, hi, lo]);
      await one(['ZLEXCOUNT', key, lo, hi]);
      await one(['ZRANGEBYLEX', key, lo, hi, 'LIMIT', '1', '3']);
      await one(['ZREVRANGEBYLEX', key, hi, lo, 'LIMIT', '2', '-1']);
      await one(['ZRANGEBYLEX', key, lo, hi, 'LIMIT', '-1', '3']);
    }
  }
  for (const c of [
    'ZRANGEBYLEX small a b',
    'ZRANGEBYLEX small [a b',
    'ZRANGEBYLEX small +a [b',
    'ZRANGEBYLEX small -- +',
    ['ZRANGEBYLEX', 'small', '', '+'],
    'ZRANGEBYLEX small - + WITHSCORES',
    'ZRANGE small - + BYLEX WITHSCORES',
    'ZRANGEBYLEX small - + BYLEX',
    'ZRANGEBYLEX small - + LIMIT 0',
    'ZLEXCOUNT small a b',
    'ZLEXCOUNT nokey a b',
    'ZLEXCOUNT nokey - +',
    'ZRANGEBYLEX nokey - +',
    // Different scores: Redis scans a small set's listpack from its ends.
    'ZADD mixed 1 c 2 a 3 d 4 b 5 e',
    'ZRANGEBYLEX mixed [b [d',
    'ZRANGEBYLEX mixed (a +',
    'ZREVRANGEBYLEX mixed [d [b',
    'ZREVRANGEBYLEX mixed + (c',
    'ZLEXCOUNT mixed [b [d',
    'ZLEXCOUNT mixed - [c',
    'ZRANGEBYLEX mixed - + LIMIT 1 2',
    'ZREMRANGEBYLEX mixed [c [d',
    'ZRANGE mixed 0 -1',
  ])
    await one(c);
});

test('ZRANK, ZREVRANK, ZSCORE, ZMSCORE, ZCARD on ties and both encodings', async () => {
  await same([]);
  for (const key of ['small', 'large']) {
    const n = key === 'small' ? 20 : 400;
    await one(zaddMany(key, n, (i) => String(i % 4)));
    for (const i of [0, 1, 2, 3, 7, n - 1, n]) {
      await one(['ZRANK', key, `m${i}`]);
      await one(['ZREVRANK', key, `m${i}`]);
      await one(['ZSCORE', key, `m${i}`]);
    }
    await one(['ZMSCORE', key, 'm0', 'nosuch', 'm3']);
    await one(['ZCARD', key]);
  }
  for (const c of [
    'ZRANK nokey a',
    'ZREVRANK nokey a',
    'ZSCORE nokey a',
    'ZMSCORE nokey a b',
    'ZCARD nokey',
    'ZRANK small',
    'ZRANK small a b',
    'ZMSCORE small',
  ])
    await one(c);
});

test('ZREM, ZREMRANGEBYRANK/SCORE/LEX, ZPOPMIN, ZPOPMAX, ZMPOP delete emptied keys', async () => {
  await same([
    'ZADD z 1 a 2 b 3 c 4 d 5 e',
    'ZREM z a nosuch',
    'ZREM z nosuch',
    'ZREM nokey a',
    'ZREM z b c d e f',
    'EXISTS z',
    'ZADD z 1 a 2 b 3 c 4 d 5 e 6 f 7 g',
    'ZREMRANGEBYRANK z 0 0',
    'ZREMRANGEBYRANK z -2 -1',
    'ZREMRANGEBYRANK z 5 10',
    'ZREMRANGEBYRANK z 3 1',
    'ZREMRANGEBYRANK z a 1',
    'ZREMRANGEBYRANK nokey 0 -1',
    'ZRANGE z 0 -1 WITHSCORES',
    'ZREMRANGEBYRANK z 0 -1',
    'EXISTS z',
    'ZADD z 1 a 2 b 3 c 4 d 5 e 6 f 7 g',
    'ZREMRANGEBYSCORE z (1 2',
    'ZREMRANGEBYSCORE z 5 +inf',
    'ZREMRANGEBYSCORE z 9 10',
    'ZREMRANGEBYSCORE z nan 10',
    'ZREMRANGEBYSCORE z 3 1',
    'ZREMRANGEBYSCORE nokey -inf +inf',
    'ZRANGE z 0 -1 WITHSCORES',
    'ZREMRANGEBYSCORE z -inf +inf',
    'EXISTS z',
    'ZADD z 0 a 0 b 0 c 0 d 0 e',
    'ZREMRANGEBYLEX z [b (d',
    'ZREMRANGEBYLEX z a b',
    'ZREMRANGEBYLEX z + -',
    'ZRANGE z 0 -1',
    'ZREMRANGEBYLEX z - +',
    'EXISTS z',
    'ZADD z 1 a 2 b 3 c 4 d 5 e',
    'ZPOPMIN z',
    'ZPOPMAX z',
    'ZPOPMIN z 0',
    'ZPOPMIN z 2',
    'ZPOPMIN z -1',
    'ZPOPMIN z abc',
    'ZPOPMIN z 1 2',
    'ZPOPMAX z 10',
    'EXISTS z',
    'ZPOPMIN nokey',
    'ZPOPMAX nokey 3',
    'ZADD z1 1 a 2 b',
    'ZADD z2 5 x 6 y 7 z',
    'ZMPOP 2 nokey z2 MAX',
    'ZMPOP 2 nokey z2 MIN COUNT 10',
    'EXISTS z2',
    'ZMPOP 1 nokey MIN',
    'ZMPOP 0 z1 MIN',
    'ZMPOP a z1 MIN',
    'ZMPOP 1 z1',
    'ZMPOP 1 z1 FOO',
    'ZMPOP 1 z1 MIN COUNT 0',
    'ZMPOP 1 z1 MIN COUNT 1 COUNT 1',
    'ZMPOP 5 z1 MIN',
    'ZMPOP 1 z1 min count 5',
  ]);
  // Large sets: ranges removed through the skip list.
  await one(zaddMany('big', 500, (i) => String(i % 50)));
  await one('ZREMRANGEBYRANK big 10 19');
  await one('ZREMRANGEBYSCORE big (5 10');
  await one('ZREMRANGEBYRANK big -30 -1');
  await one('%ZPOPMIN big 7');
  await one('ZPOPMAX big 3');
  await one('ZRANGE big 0 -1 WITHSCORES');
  await one('ZCARD big');
});

test('ZRANDMEMBER: errors, counts, WITHSCORES, whole set order', async () => {
  await same([
    'ZADD small 1 a 2 b 3 c 4 d 5 e',
    'ZRANDMEMBER nokey',
    'ZRANDMEMBER nokey 5',
    'ZRANDMEMBER nokey 5 WITHSCORES',
    'ZRANDMEMBER small 0',
    'ZRANDMEMBER small 0 WITHSCORES',
    'ZRANDMEMBER small 5 WITHSCORES',
    'ZRANDMEMBER small 100',
    'ZRANDMEMBER small 1 FOO',
    'ZRANDMEMBER small 1 WITHSCORES FOO',
    'ZRANDMEMBER small abc',
    'ZRANDMEMBER nokey abc',
    'ZRANDMEMBER nokey 1 FOO',
    'ZRANDMEMBER small -9223372036854775808',
    'ZRANDMEMBER small 9223372036854775808',
    'ZRANDMEMBER small -9223372036854775807 WITHSCORES',
    'ZRANDMEMBER small -4611686018427387904 WITHSCORES',
    'ZRANDMEMBER small 4611686018427387904 WITHSCORES',
  ]);
  await one(zaddMany('large', 300, (i) => String(i / 3)));
  await one('ZRANDMEMBER large 300 WITHSCORES');
  await one('ZRANDMEMBER large 1000');
  for (const [key, count] of [
    ['small', 3],
    ['small', 4],
    ['large', 5],
    ['large', 150],
    ['large', 299],
  ] as const) {
    for (const withscores of [false, true]) {
      const args = ['ZRANDMEMBER', key, String(count), ...(withscores ? ['WITHSCORES'] : [])];
      const reply = await a.call(...args);
      const { items: els } = items(reply!);
      assert.equal(els.length, withscores ? count * 2 : count);
      const members = withscores ? els.filter((_, i) => i % 2 === 0) : els;
      assert.equal(new Set(members).size, count, `distinct members from ${args.join(' ')}`);
      if (withscores) {
        for (let i = 0; i < els.length; i += 2) {
          const m = els[i]!.split('\r\n')[1]!;
          assert.equal(els[i + 1], await b.call('ZSCORE', key, m), `score of ${m}`);
        }
      }
    }
  }
  for (const count of [-1, -7, -500]) {
    const reply = await a.call('ZRANDMEMBER', 'small', String(count), 'WITHSCORES');
    const { items: els } = items(reply!);
    assert.equal(els.length, -count * 2);
    for (let i = 0; i < els.length; i += 2) assert.match(els[i]!, /^\$1\r\n[a-e]\r\n$/);
  }
  const single = await a.call('ZRANDMEMBER', 'large');
  assert.match(single!, /^\$\d+\r\nm\d+\r\n$/);
});

test('ZUNIONSTORE and ZINTERSTORE: WEIGHTS, AGGREGATE, sets as inputs, empty results', () =>
  same([
    'ZADD z1 1 a 2 b 3 c',
    'ZADD z2 10 b 20 c 30 d',
    'SADD s1 a c e',
    'SET str x',
    'ZUNIONSTORE u 2 z1 z2',
    'ZRANGE u 0 -1 WITHSCORES',
    'ZINTERSTORE i 2 z1 z2',
    'ZRANGE i 0 -1 WITHSCORES',
    'ZUNIONSTORE u 3 z1 z2 s1 WEIGHTS 2 0.5 -1',
    'ZRANGE u 0 -1 WITHSCORES',
    'ZINTERSTORE i 3 z1 z2 s1',
    'ZINTERSTORE i 2 z1 s1 AGGREGATE MAX',
    'ZRANGE i 0 -1 WITHSCORES',
    'ZINTERSTORE i 2 z1 s1 AGGREGATE min WEIGHTS 3 4',
    'ZRANGE i 0 -1 WITHSCORES',
    'ZUNIONSTORE u 2 z1 nokey',
    'ZUNIONSTORE u 1 nokey',
    'EXISTS u',
    'ZINTERSTORE i 2 z1 nokey',
    'EXISTS i',
    'ZUNIONSTORE str 1 z1',
    'TYPE str',
    'SET str x',
    'ZUNIONSTORE u 2 z1 str',
    'ZUNIONSTORE u 0 z1',
    'ZUNIONSTORE u -1 z1',
    'ZUNIONSTORE u a z1',
    'ZUNIONSTORE u 3 z1 z2',
    'ZUNIONSTORE u 2 z1 z2 WEIGHTS 1',
    'ZUNIONSTORE u 2 z1 z2 WEIGHTS 1 a',
    'ZUNIONSTORE u 2 z1 z2 WEIGHTS 1 nan',
    'ZUNIONSTORE u 2 z1 z2 AGGREGATE',
    'ZUNIONSTORE u 2 z1 z2 AGGREGATE avg',
    'ZUNIONSTORE u 2 z1 z2 WITHSCORES',
    'ZUNIONSTORE u 2 z1 z2 FOO',
    'ZUNIONSTORE u 2 str z1 WEIGHTS x y',
    'ZADD inf1 inf a -inf b 1 c',
    'ZADD inf2 -inf a -inf b 2 c',
    'ZUNIONSTORE u 2 inf1 inf2',
    'ZRANGE u 0 -1 WITHSCORES',
    'ZINTERSTORE i 2 inf1 inf2 WEIGHTS 0 1',
    'ZRANGE i 0 -1 WITHSCORES',
    'ZUNIONSTORE u 2 inf1 inf2 WEIGHTS 0 0',
    'ZRANGE u 0 -1 WITHSCORES',
    'ZINTERSTORE i 2 inf1 inf2 WEIGHTS 1 0',
    'ZRANGE i 0 -1 WITHSCORES',
    'ZINTERSTORE i 2 inf1 inf2 WEIGHTS 1 0 AGGREGATE MIN',
    'ZRANGE i 0 -1 WITHSCORES',
    'ZINTERSTORE i 2 inf1 inf2 WEIGHTS 0 1 AGGREGATE MAX',
    'ZRANGE i 0 -1 WITHSCORES',
    'ZUNIONSTORE u 2 inf1 inf2 WEIGHTS 1 0 AGGREGATE MAX',
    'ZRANGE u 0 -1 WITHSCORES',
    'ZADD f1 0.1 x',
    'ZADD f2 0.2 x 1 y',
    'ZADD f3 0.3 x 1 y 2 z',
    'ZUNIONSTORE u 3 f3 f2 f1',
    'ZSCORE u x',
    'ZUNIONSTORE u 3 f1 f2 f3',
    'ZSCORE u x',
    'ZINTERSTORE i 3 f3 f1 f2 WEIGHTS 3 7 11',
    'ZSCORE i x',
    'ZUNIONSTORE z1 2 z1 z2',
    'ZRANGE z1 0 -1 WITHSCORES',
    'ZINTERSTORE z1 1 z1 WEIGHTS 2',
    'ZRANGE z1 0 -1 WITHSCORES',
    'ZINTERSTORE i 2 z1 z1',
    'ZRANGE i 0 -1 WITHSCORES',
    'ZUNION 2 z1 z2 WITHSCORES',
    'ZINTER 2 z1 z2',
    'ZINTER 2 z1 z2 WITHSCORES AGGREGATE MAX',
    'ZDIFF 2 z2 z1 WITHSCORES',
    'ZDIFF 2 z2 z2',
    'ZDIFF 1 nokey',
    'ZDIFF 2 z2 z1 WEIGHTS 1 1',
    'ZDIFFSTORE d 2 z2 s1',
    'ZRANGE d 0 -1 WITHSCORES',
    'ZDIFFSTORE d 2 z2 z2',
    'EXISTS d',
    'ZINTERCARD 2 z1 z2',
    'ZINTERCARD 2 z1 z2 LIMIT 1',
    'ZINTERCARD 2 z1 z2 LIMIT -1',
    'ZINTERCARD 2 z1 z2 WITHSCORES',
    'ZINTERCARD 0 z1',
    'ZUNION 0 z1',
    'ZINTER 1 str',
    'OBJECT ENCODING u',
  ]));

test('Z*STORE results: encoding by size, and large inputs', async () => {
  await same([]);
  await one(zaddMany('big1', 200, (i) => String(i % 13)));
  await one(zaddMany('big2', 150, (i) => String(i / 7), 'm'));
  await one(['SADD', 'set', ...Array.from({ length: 90 }, (_, i) => `m${i * 2}`)]);
  for (const c of [
    'ZUNIONSTORE u 3 big1 big2 set WEIGHTS 1 -2 0.5',
    'ZINTERSTORE i 3 big1 big2 set AGGREGATE MAX',
    'ZDIFFSTORE d 2 big1 set',
    'ZRANGESTORE r big1 50 250',
    'ZRANGESTORE r2 big1 (3 10 BYSCORE REV LIMIT 2 120',
  ]) {
    await one(c);
    const dst = c.split(' ')[1]!;
    await one(['ZRANGE', dst, '0', '-1', 'WITHSCORES']);
    await one(['OBJECT', 'ENCODING', dst]);
  }
  await one('ZRANGESTORE r big1 500 600');
  await one('EXISTS r');
  await one('ZRANGESTORE r nokey 0 -1');
  await one('ZRANGESTORE r big1 0 1 WITHSCORES');
  await one('ZRANGESTORE r big1 a b BYLEX');
  await one('ZRANGESTORE r big1 [m1 [m2 BYLEX LIMIT 0 5');
});

test('ZSCAN: small sets whole, large sets by cursor, MATCH, COUNT and errors', async () => {
  await same([
    'ZADD small 1 a 2 b 3.5 c',
    'ZSCAN small 0',
    'ZSCAN small 0 MATCH b*',
    'ZSCAN small 0 COUNT 1',
    'ZSCAN small 0 COUNT 0',
    'ZSCAN small 0 COUNT a',
    'ZSCAN small 0 FOO bar',
    'ZSCAN small 0 TYPE zset',
    'ZSCAN small abc',
    'ZSCAN small -1',
    'ZSCAN nokey 0',
    'ZSCAN nokey 0 COUNT 0',
    'ZSCAN small',
  ]);
  await one(zaddMany('large', 1000, (i) => (i % 3 === 0 ? String(i / 10) : String(i)), 'k'));
  const collect = async (client: RawClient, match: string[]): Promise<Map<string, string>> => {
    const seen = new Map<string, string>();
    let cursor = '0';
    let calls = 0;
    do {
      const reply = await client.call('ZSCAN', 'large', cursor, 'COUNT', '37', ...match);
      const { items: top } = items(reply!);
      cursor = top[0]!.split('\r\n')[1]!;
      const { items: els } = items(top[1]!);
      for (let i = 0; i < els.length; i += 2) seen.set(els[i]!, els[i + 1]!);
      calls++;
    } while (cursor !== '0' && calls < 10_000);
    return seen;
  };
  for (const match of [[], ['MATCH', 'k1*']]) {
    const [mine, theirs] = await Promise.all([collect(a, match), collect(b, match)]);
    assert.deepEqual([...mine.entries()].sort(), [...theirs.entries()].sort(), `ZSCAN ${match.join(' ')}`);
  }
});

test('WRONGTYPE and arity for every command', async () => {
  await same(['SET str x', 'ZADD z 1 a']);
  const wrong = [
    'ZADD str 1 a',
    'ZADD str XX 1 a',
    'ZADD str abc a',
    'ZINCRBY str 1 a',
    'ZREM str a',
    'ZCARD str',
    'ZSCORE str a',
    'ZMSCORE str a',
    'ZRANK str a',
    'ZREVRANK str a',
    'ZCOUNT str 0 1',
    'ZCOUNT str a 1',
    'ZLEXCOUNT str - +',
    'ZRANGE str 0 -1',
    'ZRANGE str a b',
    'ZRANGE str 0 1 BYSCORE',
    'ZREVRANGE str 0 -1',
    'ZRANGEBYSCORE str 0 1',
    'ZREVRANGEBYSCORE str 1 0',
    'ZRANGEBYLEX str - +',
    'ZREVRANGEBYLEX str + -',
    'ZRANGESTORE d str 0 -1',
    'ZREMRANGEBYRANK str 0 1',
    'ZREMRANGEBYSCORE str 0 1',
    'ZREMRANGEBYLEX str - +',
    'ZPOPMIN str',
    'ZPOPMAX str 0',
    'ZMPOP 1 str MIN',
    'ZRANDMEMBER str',
    'ZRANDMEMBER str 2',
    'ZSCAN str 0',
    'ZSCAN str 0 COUNT 0',
    'ZUNIONSTORE d 1 str',
    'ZINTERSTORE d 2 z str',
    'ZUNION 1 str',
    'ZINTERCARD 1 str',
    'ZDIFF 2 z str',
  ];
  for (const c of wrong) await one(c);
  const arity = [
    'ZADD z 1',
    'ZINCRBY z 1',
    'ZINCRBY z 1 a b',
    'ZREM z',
    'ZCARD',
    'ZCARD z z',
    'ZSCORE z',
    'ZMSCORE z',
    'ZRANK z',
    'ZREVRANK z a b',
    'ZCOUNT z 0',
    'ZLEXCOUNT z -',
    'ZRANGE z 0',
    'ZREVRANGE z 0',
    'ZRANGEBYSCORE z 0',
    'ZREVRANGEBYSCORE z 0',
    'ZRANGEBYLEX z -',
    'ZREVRANGEBYLEX z +',
    'ZRANGESTORE d z 0',
    'ZREMRANGEBYRANK z 0',
    'ZREMRANGEBYSCORE z 0 1 2',
    'ZREMRANGEBYLEX z -',
    'ZPOPMIN',
    'ZPOPMAX',
    'ZMPOP 1 z',
    'ZRANDMEMBER',
    'ZSCAN z',
    'ZUNIONSTORE d 1',
    'ZINTERSTORE d',
    'ZDIFFSTORE d 1',
    'ZUNION 1',
    'ZINTER 1',
    'ZDIFF 1',
    'ZINTERCARD 1',
  ];
  for (const c of arity) await one(c);
  for (const name of [
    'zadd',
    'zincrby',
    'zrem',
    'zrange',
    'zrangestore',
    'zunionstore',
    'zscan',
    'zrandmember',
    'zpopmin',
    'zmpop',
    'zintercard',
  ]) {
    const info = async (cl: RawClient): Promise<string> => {
      const r = (await cl.call('COMMAND', 'INFO', name))!;
      // name, arity, flags, first key, last key, step: the first six fields. The
      // command table has no 'movablekeys' flag (ZUNIONSTORE, ZMPOP...): left out.
      const inner = items(items(r).items[0]!).items;
      const flags = items(inner[2]!)
        .items.filter((f) => f !== '+movablekeys\r\n')
        .sort();
      return [...inner.slice(0, 2), ...flags, ...inner.slice(3, 6)].join('');
    };
    assert.equal(await info(a), await info(b), `COMMAND INFO ${name}`);
  }
});

/** FlashCache's `wal_last_lsn`. */
async function lastLsn(): Promise<number> {
  const info = (await a.call('INFO', 'persistence'))!;
  return Number(/wal_last_lsn:(\d+)/.exec(info)![1]);
}

test('writes that change nothing log nothing; each change logs one effect', async () => {
  await same(['ZADD z 1 a 2 b -inf c', 'SADD s x']);
  const noops = [
    'ZADD z NX 5 a',
    'ZADD z XX 5 nosuch',
    'ZADD z 1 a',
    'ZADD z GT 0 a',
    'ZADD z INCR 0 a',
    'ZADD z LT INCR 1 a',
    'ZINCRBY z 0 b',
    'ZADD nokey XX 1 a',
    'ZADD z INCR nan a',
    'ZINCRBY z inf c',
    'ZINCRBY z -inf c',
    'ZREM z nosuch',
    'ZREM nokey a',
    'ZREMRANGEBYRANK z 5 9',
    'ZREMRANGEBYSCORE z 10 20',
    'ZREMRANGEBYLEX z [x [y',
    'ZPOPMIN nokey',
    'ZPOPMAX z 0',
    'ZMPOP 1 nokey MIN',
    'ZUNIONSTORE dst 1 nokey',
    'ZINTERSTORE dst 2 z nokey',
    'ZDIFFSTORE dst 2 z z',
    'ZRANGESTORE dst z 10 20',
  ];
  for (const c of noops) {
    const before = await lastLsn();
    await one(c);
    assert.equal(await lastLsn(), before, `${c} logged an effect`);
  }
  const changes = [
    'ZADD z NX 5 a 9 d',
    'ZINCRBY z 1 a',
    'ZADD z INCR 1 b',
    'ZREM z d nosuch',
    'ZPOPMIN z 2',
    'ZUNIONSTORE dst 2 z s',
    'ZINTERSTORE dst 2 z nokey',
    'ZREMRANGEBYRANK z 0 0',
  ];
  for (const c of changes) {
    const before = await lastLsn();
    await one(c);
    assert.equal(await lastLsn(), before + 1, `${c} logged one effect`);
  }
  await one('EXISTS z dst');
});

/** Sends `commands` to a client as one pipeline and returns the replies. */
async function pipeline(client: RawClient, commands: string[][]): Promise<string[]> {
  client.write(Buffer.concat(commands.map((c) => encodeCommand(c))));
  const out: string[] = [];
  for (let i = 0; i < commands.length; i++) out.push((await client.read())!);
  return out;
}

test('random ZADD/ZREM/ZINCRBY runs agree on ZRANGE, ZRANK, ZCOUNT and ZRANGEBYLEX', async () => {
  await same([]);
  const seed = testSeed('zset random ops');
  const rand = prng(seed);
  const int = (n: number): number => Math.floor(rand() * n);
  const scores = ['0', '1', '2', '-1', '0.5', '1.5', '-0', '3.25', '1e3', 'inf', '-inf', '0.1', '0.2', '7'];
  const score = (): string => (rand() < 0.6 ? scores[int(scores.length)]! : (rand() * 200 - 100).toFixed(int(4)));
  const member = (): string => `m${int(400)}`;
  const lexMember = (): string =>
    String.fromCharCode(97 + int(6)) +
    String.fromCharCode(97 + int(6)) +
    (rand() < 0.3 ? String.fromCharCode(97 + int(26)) : '');
  const lexBound = (): string => {
    const r = rand();
    if (r < 0.1) return '-';
    if (r < 0.2) return '+';
    return (rand() < 0.5 ? '[' : '(') + lexMember().slice(0, 1 + int(2));
  };
  const scoreBound = (): string => {
    const r = rand();
    if (r < 0.1) return '-inf';
    if (r < 0.2) return '+inf';
    return (rand() < 0.4 ? '(' : '') + String(int(9) - 3);
  };
  const OPS = 3000;
  const BATCH = 100;
  const encodings = new Set<string>();
  for (let done = 0; done < OPS; done += BATCH) {
    const batch: string[][] = [];
    for (let k = 0; k < BATCH; k++) {
      const r = rand();
      if (r < 0.45) {
        const args = ['ZADD', 'r'];
        if (rand() < 0.15) args.push(['NX', 'XX', 'GT', 'LT', 'CH'][int(5)]!);
        for (let n = 1 + int(3); n > 0; n--) args.push(score(), member());
        batch.push(args);
      } else if (r < 0.6) batch.push(['ZINCRBY', 'r', score(), member()]);
      else if (r < 0.75) batch.push(['ZREM', 'r', member(), member()]);
      else if (r < 0.9) batch.push(['ZADD', 'lex', '0', lexMember()]);
      else if (r < 0.95) batch.push(['ZREM', 'lex', lexMember()]);
      else if (r < 0.97) batch.push(['ZREMRANGEBYSCORE', 'r', scoreBound(), scoreBound()]);
      else if (r < 0.98) batch.push(['ZREMRANGEBYLEX', 'lex', lexBound(), lexBound()]);
      else batch.push([rand() < 0.5 ? 'ZPOPMIN' : 'ZPOPMAX', 'r', String(int(4))]);
      // Queries, interleaved with the writes.
      const q = rand();
      if (q < 0.1) batch.push(['ZRANK', 'r', member()]);
      else if (q < 0.2) batch.push(['ZREVRANK', 'r', member()]);
      else if (q < 0.3) batch.push(['ZCOUNT', 'r', scoreBound(), scoreBound()]);
      else if (q < 0.4) batch.push(['ZRANGEBYLEX', 'lex', lexBound(), lexBound()]);
      else if (q < 0.45) batch.push(['ZLEXCOUNT', 'lex', lexBound(), lexBound()]);
      else if (q < 0.5) batch.push(['ZRANGE', 'r', String(int(60) - 30), String(int(60) - 30), 'WITHSCORES']);
      else if (q < 0.55)
        batch.push([
          'ZRANGEBYSCORE',
          'r',
          scoreBound(),
          scoreBound(),
          'WITHSCORES',
          'LIMIT',
          String(int(5)),
          String(int(8) - 1),
        ]);
      else if (q < 0.6)
        batch.push(['ZREVRANGEBYLEX', 'lex', lexBound(), lexBound(), 'LIMIT', String(int(3)), String(int(5))]);
    }
    const [ra, rb] = await Promise.all([pipeline(a, batch), pipeline(b, batch)]);
    for (let i = 0; i < batch.length; i++)
      assert.equal(ra[i], rb[i], `seed ${seed}: reply to ${JSON.stringify(batch[i])}`);
    for (const check of [
      ['ZRANGE', 'r', '0', '-1', 'WITHSCORES'],
      ['ZRANGE', 'lex', '0', '-1', 'WITHSCORES'],
      ['ZCARD', 'r'],
      ['OBJECT', 'ENCODING', 'r'],
    ]) {
      const [x, y] = await Promise.all([a.call(...check), b.call(...check)]);
      assert.equal(x, y, `seed ${seed}: ${check.join(' ')} after ${done + BATCH} ops`);
      if (check[0] === 'OBJECT') encodings.add(x!);
    }
  }
  assert.ok(encodings.has('$8\r\nskiplist\r\n'), `seed ${seed}: the random set grew past the listpack limit`);
});

/** Every zset key's contents and encoding, as one comparable string. */
async function dumpZsets(port: number, keys: string[]): Promise<string> {
  const c = await RawClient.connect(port);
  const out: string[] = [];
  for (const k of keys) {
    out.push(
      k,
      (await c.call('TYPE', k))!,
      (await c.call('ZRANGE', k, '0', '-1', 'WITHSCORES'))!,
      (await c.call('OBJECT', 'ENCODING', k))!,
    );
  }
  c.close();
  return out.join('|');
}

/** Writes a mix of sorted-set changes whose effects are logged in several forms. */
async function writeMix(c: RawClient, tag: string): Promise<string[]> {
  const replies: (string | null)[] = [];
  const r = async (...args: string[]): Promise<void> => {
    replies.push(await c.call(...args));
  };
  await r('ZADD', `${tag}:small`, '1', 'a', '2', 'b', '-0', 'neg', '1.1', 'c');
  await r('ZADD', `${tag}:small`, 'INCR', '0.2', 'c');
  await r('ZINCRBY', `${tag}:small`, '0.1', 'a');
  await r('ZINCRBY', `${tag}:small`, '-inf', 'inf');
  await r('ZADD', `${tag}:small`, 'GT', 'CH', '5', 'a', '0', 'b');
  const big = zaddMany(`${tag}:big`, 300, (i) => String((i % 17) / 4));
  await r(...big);
  await r('ZADD', `${tag}:big`, '-0', 'negzero', '-0', 'm5');
  await r('ZINCRBY', `${tag}:big`, '1e-7', 'm1');
  await r('ZREM', `${tag}:big`, 'm2', 'm3', 'nosuch');
  await r('ZREMRANGEBYRANK', `${tag}:big`, '10', '19');
  await r('ZREMRANGEBYSCORE', `${tag}:big`, '(3', '3.5');
  await r('ZPOPMIN', `${tag}:big`, '3');
  await r('ZPOPMAX', `${tag}:big`);
  await r('ZMPOP', '1', `${tag}:big`, 'MAX', 'COUNT', '2');
  await r('ZADD', `${tag}:lex`, '0', 'a', '0', 'b', '0', 'c', '0', 'd');
  await r('ZREMRANGEBYLEX', `${tag}:lex`, '[b', '(d');
  await r('SADD', `${tag}:set`, 'a', 'x', 'm7');
  await r('ZUNIONSTORE', `${tag}:union`, '3', `${tag}:small`, `${tag}:big`, `${tag}:set`, 'WEIGHTS', '0.3', '-1', '2');
  await r('ZINTERSTORE', `${tag}:inter`, '2', `${tag}:big`, `${tag}:set`, 'AGGREGATE', 'MAX');
  await r('ZRANGESTORE', `${tag}:range`, `${tag}:big`, '5', '200');
  await r('ZDIFFSTORE', `${tag}:diff`, '2', `${tag}:small`, `${tag}:set`);
  await r('ZADD', `${tag}:gone`, '1', 'x');
  await r('ZPOPMIN', `${tag}:gone`);
  await r('ZUNIONSTORE', `${tag}:union2`, '1', 'nokey');
  return replies.map(String);
}

const restartKeys = (tag: string): string[] =>
  ['small', 'big', 'lex', 'set', 'union', 'inter', 'range', 'diff', 'gone', 'union2'].map((k) => `${tag}:${k}`);

test('restart rebuilds the same sets from the WAL and a snapshot, after SIGTERM and after SIGKILL', async () => {
  const dir = tempDir();
  try {
    // The reference: the same writes on redis-server.
    const ref = await RawClient.connect(redis.port);
    await ref.call('FLUSHALL');
    const refReplies = [...(await writeMix(ref, 't')), ...(await writeMix(ref, 'k'))];
    const expectT = await dumpZsets(redis.port, restartKeys('t'));
    const expectK = await dumpZsets(redis.port, restartKeys('k'));
    ref.close();

    let srv = await startServer({ dir });
    let c = await RawClient.connect(srv.port);
    const replies = await writeMix(c, 't');
    c.close();
    assert.equal(await dumpZsets(srv.port, restartKeys('t')), expectT, 'before restart');
    assert.equal(await srv.stop(), 0);

    srv = await startServer({ dir });
    assert.equal(await dumpZsets(srv.port, restartKeys('t')), expectT, 'after SIGTERM');
    c = await RawClient.connect(srv.port);
    assert.equal(await c.call('SAVE'), '+OK\r\n');
    replies.push(...(await writeMix(c, 'k')));
    c.close();
    assert.deepEqual(replies, refReplies, 'replies match redis-server');
    await srv.kill();

    srv = await startServer({ dir });
    assert.equal(await dumpZsets(srv.port, restartKeys('t')), expectT, 'snapshot after SIGKILL');
    assert.equal(await dumpZsets(srv.port, restartKeys('k')), expectK, 'WAL after SIGKILL');
    await srv.stop();
  } finally {
    cleanup(dir);
  }
});
