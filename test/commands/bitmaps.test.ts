/**
 * Bitmaps, BITFIELD, LCS and SUBSTR against Debian's redis-server 7.0.15:
 * every option and error text byte for byte in RESP2 and RESP3, a seeded
 * random mix of bit writes compared value by value, keyspace events, and
 * bitmap writes that survive SIGKILL (the logged SETBIT, SET and SETRANGE
 * effects replay to the same strings).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RedisHandle } from '../helpers/redis.js';
import { cleanup, startServer, tempDir } from '../helpers/server.js';
import { RawClient } from '../helpers/resp.js';
import { sameReply, serverPair, type Command, sameInBothProtocols, sameEvents } from '../helpers/differential.js';
import { prng, testSeed } from '../helpers/random.js';

let redis: RedisHandle;
let fcPort: number;
let a: RawClient;
let b: RawClient;
serverPair((p) => {
  ({ redis, a, b } = p);
  fcPort = p.fc.port;
});

/** FLUSHALL, then each command on both servers, in RESP2 and then again in RESP3 on fresh connections. */
async function same(commands: Command[]): Promise<void> {
  await sameInBothProtocols(a, b, [fcPort, redis.port], commands);
}

test('SETBIT and GETBIT: old values, growth, strings written by SET, offsets and their errors', () =>
  same([
    'SETBIT b 7 1',
    'GET b',
    'SETBIT b 7 1',
    'SETBIT b 7 0',
    'SETBIT b 100 1',
    'STRLEN b',
    'GETBIT b 100',
    'GETBIT b 99',
    'GETBIT b 100000',
    'GETBIT nokey 5',
    'SET s `',
    'GETBIT s 1',
    'GETBIT s 2',
    'SETBIT s 6 1',
    'GET s',
    'SETBIT b -1 1',
    'SETBIT b x 1',
    'SETBIT b 4294967296 1',
    'SETBIT b 4294967295 2',
    'SETBIT b 1 2',
    'SETBIT b 1 -1',
    'SETBIT b 1 x',
    'GETBIT b -1',
    'GETBIT b 4294967296',
    'GETBIT b 01',
    'LPUSH l a',
    'SETBIT l 1 1',
    'GETBIT l 1',
    'SETBIT new 0 0',
    'EXISTS new',
    'STRLEN new',
  ]));

test('BITCOUNT with byte and bit ranges, negative indexes, and its errors', () =>
  same([
    'SET s foobar',
    'BITCOUNT s',
    'BITCOUNT s 0 0',
    'BITCOUNT s 1 1',
    'BITCOUNT s 1 -2',
    'BITCOUNT s -2 -1',
    'BITCOUNT s -1 -2',
    'BITCOUNT s 5 30',
    'BITCOUNT s 0 -100',
    'BITCOUNT s 5 30 BIT',
    'BITCOUNT s 0 7 bit',
    'BITCOUNT s 1 1 BYTE',
    'BITCOUNT s 3 5 BIT',
    'BITCOUNT s -7 -3 BIT',
    'BITCOUNT s 0 0 NIBBLE',
    'BITCOUNT s 0',
    'BITCOUNT s 0 1 BIT x',
    'BITCOUNT s a 1',
    'BITCOUNT s 1 b',
    'BITCOUNT nokey',
    'BITCOUNT nokey 0',
    'BITCOUNT nokey a b',
    'BITCOUNT s -9223372036854775808 9223372036854775807',
    'BITCOUNT s -2305843009213693952 -4611686018427387904',
    'BITCOUNT s -4611686018427387904 -2305843009213693952',
    'BITCOUNT s 0 9223372036854775807 BIT',
    ['SET', 'e', ''],
    'BITCOUNT e',
    'BITCOUNT e 0 -1 BIT',
    'HSET h f v',
    'BITCOUNT h',
  ]));

test('BITPOS for set and clear bits, with and without an end, in bytes and bits, and its errors', () =>
  same([
    ['SET', 's', Buffer.from([0xff, 0xf0, 0x00])],
    'BITPOS s 0',
    'BITPOS s 1',
    'BITPOS s 0 1',
    'BITPOS s 1 2',
    'BITPOS s 1 2 -1',
    'BITPOS s 0 0 0',
    'BITPOS s 0 0 1',
    'BITPOS s 1 7 15 BIT',
    'BITPOS s 0 7 15 BIT',
    'BITPOS s 0 0 11 BIT',
    'BITPOS s 0 0 12 BIT',
    'BITPOS s 1 12 23 BIT',
    'BITPOS s 0 -3 -1 BIT',
    'BITPOS s 1 3 BIT',
    'BITPOS s 0 5 3',
    'BITPOS s 1 5 3 BIT',
    'BITPOS s 1 0 -1 byte',
    ['SET', 'ones', Buffer.from([0xff, 0xff])],
    'BITPOS ones 0',
    'BITPOS ones 0 0',
    'BITPOS ones 0 0 -1',
    'BITPOS ones 0 0 -1 BIT',
    'BITPOS ones 0 3 9 BIT',
    'BITPOS zero 1',
    'BITPOS zero 0',
    'BITPOS zero 0 5 9 BIT',
    'BITPOS s 2',
    'BITPOS s x',
    'BITPOS s 1 x',
    'BITPOS s 1 0 x',
    'BITPOS s 1 0 1 NIBBLE',
    'BITPOS s 1 0 1 BIT x',
    ['SET', 'e', ''],
    'BITPOS e 0',
    'BITPOS e 1',
    'LPUSH l a',
    'BITPOS l 1',
  ]));

test('BITOP AND, OR, XOR and NOT over strings of different lengths, missing keys, and its errors', () =>
  same([
    'SET a foobar',
    'SET b abcdef',
    ['SET', 'c', Buffer.from([0x0f, 0xf0, 0xaa])],
    'BITOP AND d a b',
    'GET d',
    'BITOP or d a c',
    'GET d',
    'BITOP XOR d a b c',
    'GET d',
    'BITOP NOT d c',
    'GET d',
    'BITOP AND d a nokey',
    'GET d',
    'BITOP OR d nokey c',
    'GET d',
    'BITOP NOT d nokey',
    'EXISTS d',
    'SET d x EX 100',
    'BITOP AND d a',
    'TTL d',
    'BITOP AND d nokey nokey2',
    'EXISTS d',
    'BITOP NOT d a b',
    'BITOP NAND d a b',
    'LPUSH l a',
    'BITOP OR d a l',
    'BITOP OR l a',
    'TYPE l',
    'BITOP OR a a c',
    'GET a',
  ]));

test('BITFIELD GET, SET and INCRBY on signed and unsigned types, # offsets, every OVERFLOW policy, and errors', () =>
  same([
    'BITFIELD bf SET i8 0 100 GET i8 0 GET u4 0 GET u4 4',
    'BITFIELD bf INCRBY i8 0 100 OVERFLOW SAT INCRBY i8 #0 100 OVERFLOW FAIL INCRBY i8 0 100',
    'BITFIELD bf OVERFLOW WRAP INCRBY u2 100 1 INCRBY u2 100 1 INCRBY u2 100 1 INCRBY u2 100 1',
    'BITFIELD bf OVERFLOW SAT INCRBY u2 102 -5 INCRBY i3 110 -100 INCRBY i3 110 100',
    'BITFIELD bf SET u8 #2 255 GET u8 #2 GET i8 #2 GET u16 #1',
    'BITFIELD bf SET i64 64 -1 GET i64 64 GET u63 64 GET u63 65',
    'BITFIELD bf SET i64 64 9223372036854775807 INCRBY i64 64 1',
    'BITFIELD bf OVERFLOW SAT SET i64 64 9223372036854775807 INCRBY i64 64 1 INCRBY i64 64 -9223372036854775808',
    'BITFIELD bf OVERFLOW FAIL INCRBY i64 64 1 INCRBY i64 64 -9223372036854775808 INCRBY i64 64 -1',
    'BITFIELD bf OVERFLOW SAT SET i8 0 -9223372036854775808 SET u8 0 -1 GET u8 0',
    'BITFIELD bf OVERFLOW WRAP SET i8 0 -9223372036854775808 SET u8 0 -1 SET u63 1 -1 GET u63 1',
    'BITFIELD bf OVERFLOW FAIL SET u8 0 256 SET i8 0 128 SET i8 0 -128 GET i8 0',
    'BITFIELD bf GET i5 3 GET u1 7 GET i1 7',
    'GET bf',
    'STRLEN bf',
    'BITFIELD bf',
    'BITFIELD bf GET u64 0',
    'BITFIELD bf GET i65 0',
    'BITFIELD bf GET i0 0',
    'BITFIELD bf GET x8 0',
    'BITFIELD bf GET i8 -1',
    'BITFIELD bf GET i8 #-1',
    'BITFIELD bf GET i8 4294967296',
    'BITFIELD bf GET i8 #536870912',
    'BITFIELD bf SET i8 0 x',
    'BITFIELD bf INCRBY i8 0',
    'BITFIELD bf OVERFLOW MAYBE',
    'BITFIELD bf OVERFLOW',
    'BITFIELD bf FOO',
    'BITFIELD bf GET i8 0 FOO',
    'BITFIELD nokey GET u8 0 GET i64 100',
    'EXISTS nokey',
    'BITFIELD fresh OVERFLOW FAIL SET u2 10 4',
    'GET fresh',
    'BITFIELD_RO bf GET i8 0 GET u4 #3',
    'BITFIELD_RO bf SET i8 0 1',
    'BITFIELD_RO bf INCRBY i8 0 1',
    'BITFIELD_RO nokey GET i8 0',
    'BITFIELD_RO bf',
    'LPUSH l a',
    'BITFIELD l GET i8 0',
    'BITFIELD l SET i8 0 1',
    'BITFIELD_RO l GET i8 0',
    'SET s hello',
    'BITFIELD s INCRBY u8 0 1 SET u8 8 0',
    'GET s',
  ]));

test('SUBSTR is GETRANGE; LCS with LEN, IDX, MINMATCHLEN and WITHMATCHLEN, and their errors', () =>
  same([
    ['SET', 's', 'hello world'],
    'SUBSTR s 0 4',
    'SUBSTR s -5 -1',
    'SUBSTR s 5 3',
    'SUBSTR nokey 0 1',
    'SUBSTR s a 1',
    'SUBSTR s 0',
    'MSET key1 ohmytext key2 mynewtext',
    'LCS key1 key2',
    'LCS key1 key2 LEN',
    'LCS key1 key2 IDX',
    'LCS key1 key2 IDX MINMATCHLEN 4',
    'LCS key1 key2 IDX MINMATCHLEN 4 WITHMATCHLEN',
    'LCS key1 key2 idx withmatchlen minmatchlen -5',
    'LCS key1 key2 WITHMATCHLEN',
    'LCS key1 key2 LEN MINMATCHLEN 2',
    'LCS key1 nokey',
    'LCS nokey nokey IDX',
    'LCS key1 key1 IDX WITHMATCHLEN',
    'MSET x ACCGGTCGAGTGCGCGGAAGCCGGCCGAA y GTCGTTCGGAATGCCGTTGCTCTGTAAA',
    'LCS x y',
    'LCS x y IDX WITHMATCHLEN',
    'LCS x y IDX MINMATCHLEN 3',
    'LCS key1 key2 LEN IDX',
    'LCS key1 key2 MINMATCHLEN',
    'LCS key1 key2 MINMATCHLEN x',
    'LCS key1 key2 FOO',
    'LPUSH l a',
    'LCS key1 l',
    'LCS l key1 FOO',
    'LCS key1',
  ]));

test('a seeded random mix of SETBIT, BITFIELD, BITOP, SETRANGE and APPEND leaves the same strings as redis-server', async () => {
  const seed = testSeed('bitmaps random');
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const keys = ['r1', 'r2', 'r3'];
  const int = (n: number): string => String(Math.floor(rnd() * n));
  const gens: (() => string[])[] = [
    () => ['SETBIT', pick(keys), int(rnd() < 0.1 ? 20_000 : 300), int(2)],
    () => [
      'BITFIELD',
      pick(keys),
      'OVERFLOW',
      pick(['WRAP', 'SAT', 'FAIL']),
      'INCRBY',
      pick(['i5', 'u7', 'i33', 'u63', 'i64']),
      int(400),
      String(Math.floor((rnd() - 0.5) * 1e6)),
    ],
    () => [
      'BITFIELD',
      pick(keys),
      'SET',
      pick(['i3', 'u13', 'i64']),
      `#${int(40)}`,
      String(Math.floor((rnd() - 0.5) * 1e9)),
    ],
    () => ['BITOP', pick(['AND', 'OR', 'XOR']), pick(keys), pick(keys), pick(keys)],
    () => ['BITOP', 'NOT', pick(keys), pick(keys)],
    () => ['SETRANGE', pick(keys), int(200), 'xyz'],
    () => ['APPEND', pick(keys), 'abc'],
    () => [
      'BITCOUNT',
      pick(keys),
      String(Math.floor((rnd() - 0.5) * 400)),
      String(Math.floor((rnd() - 0.3) * 400)),
      pick(['BIT', 'BYTE']),
    ],
    () => [
      'BITPOS',
      pick(keys),
      int(2),
      String(Math.floor((rnd() - 0.5) * 100)),
      String(Math.floor((rnd() - 0.3) * 400)),
      pick(['BIT', 'BYTE']),
    ],
  ];
  await Promise.all([a.call('FLUSHALL'), b.call('FLUSHALL')]);
  let ran = 0;
  for (let i = 0; i < 600; i++) {
    await sameReply(a, b, pick(gens)());
    ran++;
  }
  for (const k of keys) await sameReply(a, b, ['GET', k]);
  assert.equal(ran, 600);
});

test('keyspace events: setbit (and new) for SETBIT and BITFIELD, set or del for BITOP, as redis-server fires them', async () => {
  const cmds: Command[] = [
    'SETBIT k 3 1',
    'SETBIT k 3 1',
    'BITFIELD k SET u8 0 16',
    'BITFIELD k SET u8 0 17',
    'BITFIELD k OVERFLOW FAIL INCRBY u8 0 1000',
    'BITOP NOT d k',
    'BITOP AND d none',
  ];
  // setbit, setbit (SET u8 0 17; SET u8 0 16 and FAIL change nothing), set, del
  await sameEvents(a, b, [fcPort, redis.port], 'KEA', cmds, 4);
});

test('bitmap writes survive SIGKILL: SETBIT, BITFIELD and BITOP replay to the same strings', async () => {
  const dir = tempDir();
  try {
    let srv = await startServer({ dir });
    const c = await RawClient.connect(srv.port);
    for (let i = 0; i < 200; i++) await c.call('SETBIT', 'grow', String(i * 37), '1');
    await c.call('SETBIT', 'grow', '5', '0');
    await c.call('BITFIELD', 'bf', 'SET', 'i16', '#3', '-1234', 'INCRBY', 'u5', '200', '9');
    await c.call('SET', 'src', 'hello');
    await c.call('BITOP', 'NOT', 'inv', 'src');
    const before = await Promise.all(['grow', 'bf', 'inv'].map((k) => c.call('GET', k)));
    c.close();
    await srv.kill();
    srv = await startServer({ dir });
    const check = await RawClient.connect(srv.port);
    const after = await Promise.all(['grow', 'bf', 'inv'].map((k) => check.call('GET', k)));
    assert.deepEqual(after, before);
    assert.equal(await check.call('BITCOUNT', 'grow'), ':200\r\n');
    assert.equal(await check.call('BITFIELD', 'bf', 'GET', 'i16', '#3', 'GET', 'u5', '200'), '*2\r\n:-1234\r\n:9\r\n');
    check.close();
    await srv.stop();
  } finally {
    cleanup(dir);
  }
});
