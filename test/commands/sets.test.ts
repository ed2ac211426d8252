/**
 * Set commands: differential tests against Debian's redis-server 7.0 (the
 * same commands to both servers, replies compared byte for byte, order-free
 * replies sorted first), properties of the random commands, and survival of
 * every kind of set change across a SIGKILL and a clean restart.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanup, startServer, type ServerHandle } from '../helpers/server.js';
import { RawClient } from '../helpers/resp.js';
import {
  callParsed,
  orScan,
  sameReplies,
  serverPair,
  sortArray,
  type Command,
  type Normalizers,
  type Value,
} from '../helpers/differential.js';

let a: RawClient;
let b: RawClient;
serverPair((p) => ({ a, b } = p));

const NORMALIZE: Normalizers = { '~': sortArray, '@': orScan(sortArray) };

/** FLUSHALL, then each command on both servers; `~` sorts a reply, `@` the elements of a one-call SSCAN. */
const same = (commands: Command[]): Promise<void> => sameReplies(a, b, commands, NORMALIZE);
const call = callParsed;

async function members(c: RawClient, key: string): Promise<string[]> {
  return ((await call(c, 'SMEMBERS', key)) as string[]).sort();
}

test('SADD, SREM, SCARD, SISMEMBER, SMISMEMBER, SMEMBERS; an emptied set is deleted', () =>
  same([
    'SADD s a b c a',
    'SADD s a',
    'SADD s d e',
    'SCARD s',
    'SCARD nokey',
    '~SMEMBERS s',
    'SMEMBERS nokey',
    'SISMEMBER s a',
    'SISMEMBER s z',
    'SISMEMBER nokey a',
    'SMISMEMBER s a z b',
    'SMISMEMBER nokey a b',
    'SREM s a z a',
    'SREM s a',
    'SREM nokey a',
    'SREM s b c d e f',
    'EXISTS s',
    'TYPE s',
    'SMEMBERS s',
    'SCARD s',
    'SADD s',
    'SREM s',
    'SMISMEMBER s',
    'SISMEMBER s',
    'SCARD',
    'SMEMBERS',
    'SMEMBERS a b',
    'SET str x',
    'SADD str a',
    'SREM str a',
    'SCARD str',
    'SISMEMBER str a',
    'SMISMEMBER str a',
    'SMEMBERS str',
    'HSET h f v',
    'SADD h a',
    'GET str',
    ['SADD', 'bin', Buffer.from([0, 255, 13, 10]), Buffer.from(''), Buffer.from([200])],
    ['SISMEMBER', 'bin', Buffer.from([0, 255, 13, 10])],
    ['SISMEMBER', 'bin', ''],
    '~SMEMBERS bin',
    'SCARD bin',
  ]));

test('encodings: intset for up to 512 integers, hashtable for good after', () =>
  same([
    'SADD s 1 2 3 -5 9223372036854775807 -9223372036854775808',
    'OBJECT ENCODING s',
    'SADD s 9223372036854775808',
    'OBJECT ENCODING s',
    'SREM s 9223372036854775808',
    'OBJECT ENCODING s',
    'SADD t 01',
    'OBJECT ENCODING t',
    'SADD u -0',
    'OBJECT ENCODING u',
    ['SADD', 'n', ...Array.from({ length: 512 }, (_, i) => String(i))],
    'OBJECT ENCODING n',
    'SADD n 512',
    'OBJECT ENCODING n',
    'SADD m 1 a',
    'OBJECT ENCODING m',
  ]));

test('SMOVE: missing source, wrong types, same key, emptied source', () =>
  same([
    'SADD src a b',
    'SADD dst c',
    'SMOVE src dst a',
    'SMOVE src dst a',
    'SMOVE src dst zz',
    '~SMEMBERS dst',
    'SMOVE src dst c',
    'SMOVE dst dst c',
    'SMOVE dst dst zz',
    'SMOVE src newdst b',
    'EXISTS src',
    '~SMEMBERS newdst',
    'SET str x',
    'SMOVE nokey str a',
    'SMOVE nokey dst a',
    'SMOVE dst str a',
    'SMOVE str dst a',
    'SMOVE str str a',
    'SADD one only',
    'SMOVE one dst only',
    'EXISTS one',
    '~SMEMBERS dst',
    'SMOVE dst one',
    'SMOVE dst one a b',
  ]));

test('SPOP and SRANDMEMBER: deterministic replies and errors', () =>
  same([
    'SPOP nokey',
    'SPOP nokey 0',
    'SPOP nokey 3',
    'SPOP nokey -1',
    'SPOP nokey x',
    'SRANDMEMBER nokey',
    'SRANDMEMBER nokey 5',
    'SRANDMEMBER nokey -5',
    'SRANDMEMBER nokey x',
    'SADD one x',
    'SRANDMEMBER one',
    'SRANDMEMBER one 1',
    'SRANDMEMBER one -3',
    'SADD s a b c',
    'SPOP s 0',
    'SRANDMEMBER s 0',
    '~SRANDMEMBER s 3',
    '~SRANDMEMBER s 10',
    '~SRANDMEMBER s 9223372036854775807',
    'SRANDMEMBER s -9223372036854775808',
    'SRANDMEMBER s 9223372036854775808',
    'SRANDMEMBER s 1.5',
    'SRANDMEMBER s 1 2',
    'SPOP s -1',
    'SPOP s 1.5',
    'SPOP s 9223372036854775808',
    'SPOP s 1 2',
    'SCARD s',
    'SPOP one',
    'EXISTS one',
    '~SPOP s 3',
    'EXISTS s',
    'SADD s 1 2 3',
    '~SPOP s 9223372036854775807',
    'EXISTS s',
    'SET str x',
    'SPOP str',
    'SPOP str 0',
    'SPOP str x',
    'SRANDMEMBER str',
    'SRANDMEMBER str 0',
    'SRANDMEMBER str x',
    'SPOP',
    'SRANDMEMBER',
  ]));

test('SPOP and SRANDMEMBER: random picks are members, distinct for a positive count; SPOP removes what it returns', async () => {
  for (const c of [a, b]) {
    for (const kind of ['ints', 'strings']) {
      await c.call('FLUSHALL');
      const all = Array.from({ length: 40 }, (_, i) => (kind === 'ints' ? String(i) : `m${i}`));
      await c.call('SADD', 's', ...all);
      const universe = new Set(all);
      const one = (await call(c, 'SRANDMEMBER', 's')) as string;
      assert.ok(universe.has(one));
      const pos = (await call(c, 'SRANDMEMBER', 's', '10')) as string[];
      assert.equal(pos.length, 10);
      assert.equal(new Set(pos).size, 10, `${kind}: distinct members ${pos}`);
      for (const m of pos) assert.ok(universe.has(m));
      const near = (await call(c, 'SRANDMEMBER', 's', '39')) as string[];
      assert.equal(new Set(near).size, 39);
      const neg = (await call(c, 'SRANDMEMBER', 's', '-200')) as string[];
      assert.equal(neg.length, 200);
      assert.ok(new Set(neg).size < 200, 'a negative count repeats members');
      for (const m of neg) assert.ok(universe.has(m));
      assert.equal(await call(c, 'SCARD', 's'), 40, 'SRANDMEMBER removes nothing');

      const popped = (await call(c, 'SPOP', 's', '15')) as string[];
      assert.equal(new Set(popped).size, 15);
      const single = (await call(c, 'SPOP', 's')) as string;
      const left = await members(c, 's');
      assert.equal(left.length, 24);
      for (const m of [...popped, single]) {
        assert.ok(universe.has(m));
        assert.ok(!left.includes(m), `${m} popped and gone`);
      }
      const rest = (await call(c, 'SPOP', 's', '24')) as string[];
      assert.deepEqual(rest.sort(), left);
      assert.equal(await call(c, 'EXISTS', 's'), 0);
    }
  }
  // Every member turns up: picks are spread over the whole set.
  await a.call('FLUSHALL');
  await a.call('SADD', 'small', 'a', 'b', 'c', 'd', 'e');
  const seen = new Set<string>();
  for (let i = 0; i < 400 && seen.size < 5; i++) seen.add((await call(a, 'SRANDMEMBER', 'small')) as string);
  assert.equal(seen.size, 5);
});

test('SINTER, SUNION, SDIFF: missing keys, wrong types, repeated keys', () =>
  same([
    'SADD a 1 2 3 4 x',
    'SADD b 3 4 5 x y',
    'SADD c 4 x z',
    '~SINTER a b',
    '~SINTER a b c',
    '~SINTER a',
    '~SINTER a a',
    'SINTER a nokey',
    'SINTER nokey a',
    '~SUNION a b c',
    '~SUNION a nokey',
    'SUNION nokey nokey2',
    '~SDIFF a b',
    '~SDIFF a b c',
    '~SDIFF a nokey',
    'SDIFF nokey a',
    'SDIFF a a',
    'SDIFF a b a',
    '~SDIFF a c c',
    '~SDIFF b a',
    'SET str x',
    'SINTER a str',
    'SINTER nokey str',
    'SINTER str nokey',
    'SUNION a str',
    'SUNION nokey str',
    'SDIFF a str',
    'SDIFF nokey str',
    'SDIFF str a',
    'SINTER',
    'SUNION',
    'SDIFF',
  ]));

test('SINTERCARD: LIMIT, numkeys and errors', () =>
  same([
    'SADD a 1 2 3 4 5 6',
    'SADD b 2 3 4 5 6 7',
    'SINTERCARD 2 a b',
    'SINTERCARD 2 a b LIMIT 0',
    'SINTERCARD 2 a b LIMIT 3',
    'SINTERCARD 2 a b limit 100',
    'SINTERCARD 2 a b LIMIT 1 LIMIT 2',
    'SINTERCARD 1 a',
    'SINTERCARD 1 a b',
    'SINTERCARD 2 a nokey',
    'SINTERCARD 2 a a',
    'SINTERCARD 0 a',
    'SINTERCARD -1 a',
    'SINTERCARD x a',
    'SINTERCARD 9223372036854775808 a',
    'SINTERCARD 3 a b',
    'SINTERCARD 2 a b LIMIT',
    'SINTERCARD 2 a b LIMIT -1',
    'SINTERCARD 2 a b LIMIT x',
    'SINTERCARD 2 a b LIMIT 9223372036854775808',
    'SINTERCARD 2 a b FOO 1',
    'SINTERCARD 1 nokey LIMIT -1',
    'SET str x',
    'SINTERCARD 2 a str',
    'SINTERCARD 2 nokey str',
    'SINTERCARD 1 a str',
    'SINTERCARD 1',
    'SINTERCARD',
  ]));

test('SINTERSTORE, SUNIONSTORE, SDIFFSTORE: destination replaced, deleted on an empty result', () =>
  same([
    'SADD a 1 2 3 x',
    'SADD b 2 3 4 y',
    'SINTERSTORE d a b',
    '~SMEMBERS d',
    'OBJECT ENCODING d',
    'SUNIONSTORE d a b',
    '~SMEMBERS d',
    'OBJECT ENCODING d',
    'SDIFFSTORE d a b',
    '~SMEMBERS d',
    'SINTERSTORE d a nokey',
    'EXISTS d',
    'SINTERSTORE d a nokey',
    'SUNIONSTORE d nokey nokey2',
    'EXISTS d',
    'SDIFFSTORE d a a',
    'SDIFFSTORE d nokey a',
    'SET str x',
    'EXPIRE str 1000',
    'SUNIONSTORE str a',
    'TYPE str',
    'TTL str',
    '~SMEMBERS str',
    'SET str2 x',
    'SINTERSTORE str2 a nokey',
    'EXISTS str2',
    'SET str3 x',
    'SDIFFSTORE str3 a str3',
    'GET str3',
    'SINTERSTORE a a b',
    '~SMEMBERS a',
    'SUNIONSTORE b b a',
    '~SMEMBERS b',
    'SDIFFSTORE b b a',
    '~SMEMBERS b',
    'SINTERSTORE d a str3',
    'SUNIONSTORE d a str3',
    'SDIFFSTORE d str3 a',
    'SDIFFSTORE d nokey str3',
    'SINTERSTORE d',
    'SUNIONSTORE d',
    'SDIFFSTORE d',
    'SADD big ' + Array.from({ length: 600 }, (_, i) => String(i)).join(' '),
    'SADD odd ' + Array.from({ length: 300 }, (_, i) => String(2 * i + 1)).join(' '),
    'SDIFFSTORE even big odd',
    'SCARD even',
    'OBJECT ENCODING even',
    'SDIFFSTORE tiny big odd a b',
    'SCARD tiny',
    'SUNIONSTORE u odd a',
    'OBJECT ENCODING u',
    'SINTERCARD 2 odd even',
    '~SINTER big a',
  ]));

test('SDIFF picks either algorithm and gets the same answer', async () => {
  for (const c of [a, b]) await c.call('FLUSHALL');
  const big = Array.from({ length: 2000 }, (_, i) => `m${i}`);
  const smalls = Array.from({ length: 30 }, (_, k) => [`m${k * 7}`, `m${k * 11}`, 'other']);
  for (const c of [a, b]) {
    await c.call('SADD', 'big', ...big);
    await c.call('SADD', 'few', 'm1', 'm2', 'm3', 'nope');
    for (let k = 0; k < smalls.length; k++) await c.call('SADD', `s${k}`, ...smalls[k]!);
  }
  const keys = smalls.map((_, k) => `s${k}`);
  for (const args of [
    ['big', ...keys],
    ['few', 'big'],
    ['few', ...keys],
    ['big', 'few'],
  ]) {
    const [mine, ref] = await Promise.all([a.call('SDIFF', ...args), b.call('SDIFF', ...args)]);
    assert.equal(sortArray(mine!), sortArray(ref!), `SDIFF ${args.slice(0, 3).join(' ')}...`);
  }
});

test('SSCAN: options and errors; intsets and small sets in one call', () =>
  same([
    'SSCAN nokey 0',
    'SSCAN nokey 0 COUNT 0',
    'SSCAN nokey 0 BADOPT',
    'SSCAN nokey abc',
    'SADD ints 1 2 3 10 11 12 100',
    '@SSCAN ints 0',
    '@SSCAN ints 0 COUNT 1',
    '@SSCAN ints 0 MATCH 1*',
    '@SSCAN ints 0 MATCH 1? COUNT 2',
    '@SSCAN ints 5',
    '@SSCAN ints -1',
    'SADD strs a b c ab abc',
    '@SSCAN strs 0',
    '@SSCAN strs 0 MATCH a*',
    '@SSCAN strs 0 MATCH [bc]',
    'SSCAN ints 0 COUNT 0',
    'SSCAN ints 0 COUNT -3',
    'SSCAN ints 0 COUNT x',
    'SSCAN ints 0 MATCH',
    'SSCAN ints 0 TYPE set',
    'SSCAN ints 18446744073709551616',
    'SSCAN ints 1.0',
    'SSCAN ints',
    'SET str x',
    'SSCAN str 0',
    'SSCAN str 0 COUNT 0',
    'SSCAN str abc',
  ]));

/** Runs a whole SSCAN iteration; returns the members seen and the number of calls. */
async function sscanAll(c: RawClient, key: string, ...opts: string[]): Promise<{ seen: Set<string>; calls: number }> {
  const seen = new Set<string>();
  let cursor = '0';
  let calls = 0;
  do {
    const r = (await call(c, 'SSCAN', key, cursor, ...opts)) as [string, string[]];
    calls++;
    cursor = r[0];
    for (const m of r[1]) seen.add(m);
    assert.ok(calls < 10_000, 'SSCAN terminates');
  } while (cursor !== '0');
  return { seen, calls };
}

test('SSCAN: a full iteration of a large set sees every member, with COUNT and MATCH', async () => {
  const all = Array.from({ length: 1000 }, (_, i) => `member:${i}`);
  await Promise.all([a.call('FLUSHALL'), b.call('FLUSHALL')]);
  await Promise.all([a.call('SADD', 's', ...all), b.call('SADD', 's', ...all)]);
  for (const opts of [[], ['COUNT', '7'], ['COUNT', '50', 'MATCH', 'member:1*'], ['MATCH', '*9']]) {
    const [mine, ref] = await Promise.all([sscanAll(a, 's', ...opts), sscanAll(b, 's', ...opts)]);
    assert.deepEqual([...mine.seen].sort(), [...ref.seen].sort(), `SSCAN ${opts.join(' ')}`);
    assert.ok(mine.calls > 1);
  }
  // Members present throughout are all seen while others are removed mid-walk.
  const seen = new Set<string>();
  let cursor = '0';
  let k = 0;
  do {
    const r = (await call(a, 'SSCAN', 's', cursor, 'COUNT', '25')) as [string, string[]];
    cursor = r[0];
    for (const m of r[1]) seen.add(m);
    await a.call('SREM', 's', `member:${2 * k + 1}`, `member:${2 * k + 3}`);
    k++;
  } while (cursor !== '0');
  for (let i = 0; i < 1000; i += 2) assert.ok(seen.has(`member:${i}`), `member:${i} seen`);
});

test('COMMAND INFO: arity, flags and key positions as Redis', async () => {
  const names = [
    'sadd',
    'srem',
    'smembers',
    'sismember',
    'smismember',
    'scard',
    'spop',
    'srandmember',
    'smove',
    'sinter',
    'sintercard',
    'sunion',
    'sdiff',
    'sinterstore',
    'sunionstore',
    'sdiffstore',
    'sscan',
  ];
  for (const name of names) {
    const [mine, ref] = (await Promise.all([
      call(a, 'COMMAND', 'INFO', name),
      call(b, 'COMMAND', 'INFO', name),
    ])) as Value[][][];
    assert.deepEqual(mine![0]!.slice(0, 7), ref![0]!.slice(0, 7), `COMMAND INFO ${name}`);
  }
});

/** Every key's type and members (sorted), for comparing across a restart. */
async function contentsOf(c: RawClient, keys: string[]): Promise<Record<string, Value>> {
  const out: Record<string, Value> = {};
  for (const k of keys) {
    const type = (await call(c, 'TYPE', k)) as string;
    out[k] = type === 'set' ? [type, await members(c, k), (await call(c, 'OBJECT', 'ENCODING', k)) as string] : type;
  }
  return out;
}

const KEYS = [
  'ints',
  'strs',
  'popped',
  'gone',
  'moved-from',
  'moved-to',
  'inter',
  'union',
  'diff',
  'emptied-dst',
  'bin',
];

/** A mix of every set change: adds, removes, random pops, moves, stores. */
async function writeSets(c: RawClient, tag: string): Promise<void> {
  await c.call('SADD', 'ints', ...Array.from({ length: 50 }, (_, i) => String(i)));
  await c.call('SREM', 'ints', '7', '8', 'nosuch');
  await c.call('SADD', 'strs', ...Array.from({ length: 600 }, (_, i) => `${tag}${i}`));
  await c.call('SREM', 'strs', `${tag}3`);
  await c.call('SADD', 'popped', ...Array.from({ length: 30 }, (_, i) => `p${tag}${i}`));
  await c.call('SPOP', 'popped');
  await c.call('SPOP', 'popped', '10');
  await c.call('SADD', 'gone', 'x', 'y', 'z');
  await c.call('SPOP', 'gone', '5');
  await c.call('SADD', 'moved-from', 'm1', 'm2');
  await c.call('SMOVE', 'moved-from', 'moved-to', 'm1');
  await c.call('SMOVE', 'moved-from', 'moved-to', 'm2');
  await c.call('SINTERSTORE', 'inter', 'ints', 'popped', 'strs');
  await c.call('SADD', 'inter', `i${tag}`);
  await c.call('SUNIONSTORE', 'union', 'ints', 'moved-to');
  await c.call('SDIFFSTORE', 'diff', 'strs', 'popped');
  await c.call('SET', 'emptied-dst', 'x');
  await c.call('SDIFFSTORE', 'emptied-dst', 'ints', 'ints');
  await c.call('SRANDMEMBER', 'strs', '-3');
  await c.call('SADD', 'bin', Buffer.from([0, 1, 255]), Buffer.from([13, 10]));
}

test('set changes survive a SIGKILL (WAL replay) and a clean restart after a snapshot', async () => {
  const srv = await startServer();
  let current: ServerHandle = srv;
  try {
    let c = await RawClient.connect(srv.port);
    await writeSets(c, 'a');
    const first = await contentsOf(c, KEYS);
    assert.equal(first['gone'], 'none');
    assert.equal(first['moved-from'], 'none');
    assert.equal(first['emptied-dst'], 'none');
    assert.equal(((first['popped'] as Value[])[1] as string[]).length, 19);
    c.close();
    await srv.kill();

    current = await startServer({ dir: srv.dir });
    c = await RawClient.connect(current.port);
    assert.deepEqual(await contentsOf(c, KEYS), first, 'after SIGKILL');
    await writeSets(c, 'b');
    assert.equal(await c.call('BGSAVE'), '+Background saving started\r\n');
    await c.call('SPOP', 'popped', '3');
    await c.call('SMOVE', 'strs', 'ints', 'b5');
    await c.call('SUNIONSTORE', 'union', 'union', 'bin');
    const second = await contentsOf(c, KEYS);
    assert.deepEqual((second['ints'] as Value[])[2], 'hashtable');
    c.close();
    await current.stop();

    current = await startServer({ dir: srv.dir });
    c = await RawClient.connect(current.port);
    assert.deepEqual(await contentsOf(c, KEYS), second, 'after SIGTERM');
    c.close();
  } finally {
    await current.kill();
    cleanup(srv.dir);
  }
});
