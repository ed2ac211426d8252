/**
 * Hash commands: differential tests against Debian's redis-server 7.0 (the
 * same commands to both servers, replies compared byte for byte, order-free
 * replies sorted first), properties of the random commands, and survival of
 * every kind of hash change across a clean restart and a SIGKILL.
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
  sortPairs,
  type Command,
  type Normalizers,
  type Value,
} from '../helpers/differential.js';

let a: RawClient;
let b: RawClient;
// redis-server's compiled-in hash-max-listpack-entries is 512; FlashCache
// follows the 128 of the redis.conf Redis ships, so the reference gets that.
serverPair((p) => ({ a, b } = p), ['--save', '', '--appendonly', 'no', '--hash-max-listpack-entries', '128']);

const NORMALIZE: Normalizers = { '~': sortArray, '%': sortPairs, '@': orScan(sortPairs) };

/**
 * FLUSHALL, then each command on both servers; `~` sorts a reply, `%` its
 * pairs (HGETALL, WITHVALUES), `@` the pairs of a one-call HSCAN.
 */
const same = (commands: Command[]): Promise<void> => sameReplies(a, b, commands, NORMALIZE);
const call = callParsed;

/** Runs a whole HSCAN iteration; returns field → value and the number of calls. */
async function hscanAll(
  c: RawClient,
  key: string,
  ...opts: string[]
): Promise<{ seen: Map<string, string>; calls: number }> {
  const seen = new Map<string, string>();
  let cursor = '0';
  let calls = 0;
  do {
    const r = (await call(c, 'HSCAN', key, cursor, ...opts)) as [string, string[]];
    calls++;
    cursor = r[0];
    for (let i = 0; i < r[1].length; i += 2) seen.set(r[1][i]!, r[1][i + 1]!);
    assert.ok(calls < 10_000, 'HSCAN terminates');
  } while (cursor !== '0');
  return { seen, calls };
}

test('HSET, HMSET, HSETNX, HGET, HMGET: replies, arity and types', () =>
  same([
    'HSET h f1 v1',
    'HSET h f1 v1',
    'HSET h f1 v2 f2 v2 f3 v3',
    'HSET h f4 a f4 b',
    'HGET h f4',
    'HGET h f1',
    'HGET h nosuch',
    'HGET nokey f',
    'HMGET h f1 nosuch f2',
    'HMGET nokey a b',
    'HMSET h f5 v5 f6 v6',
    'HMSET h2 a 1',
    'HSETNX h f1 x',
    'HSETNX h f9 x',
    'HSETNX newkey f x',
    'HGET newkey f',
    'HLEN h',
    'HLEN nokey',
    'HSET h',
    'HSET h f',
    'HSET h f v g',
    'HMSET h f v g',
    'HMSET h f',
    'HSETNX h f',
    'HGET h',
    'HMGET h',
    'SET str x',
    'HSET str f v',
    'HMSET str f v',
    'HSETNX str f v',
    'HGET str f',
    'HMGET str f',
    'HLEN str',
    'GET h',
    'TYPE h',
    ['HSET', 'bin', Buffer.from([0, 255, 13, 10]), Buffer.from([1, 2, 0, 200])],
    ['HGET', 'bin', Buffer.from([0, 255, 13, 10])],
    ['HSTRLEN', 'bin', Buffer.from([0, 255, 13, 10])],
    ['HSET', 'h', '', ''],
    ['HGET', 'h', ''],
    ['HEXISTS', 'h', ''],
  ]));

test('HDEL, HEXISTS, HSTRLEN, HKEYS, HVALS, HGETALL; an emptied hash is deleted', () =>
  same([
    'HSET h a 1 b 22 c 333 d 4444',
    '~HKEYS h',
    '~HVALS h',
    '%HGETALL h',
    'HSTRLEN h c',
    'HSTRLEN h nosuch',
    'HSTRLEN nokey f',
    'HEXISTS h a',
    'HEXISTS h z',
    'HEXISTS nokey a',
    'HDEL h a z a',
    'HDEL h a',
    'HDEL nokey a',
    'HLEN h',
    '%HGETALL h',
    'HDEL h b c d e',
    'EXISTS h',
    'TYPE h',
    'HGETALL h',
    'HKEYS h',
    'HVALS h',
    'HLEN h',
    'HSET h x 1',
    'HDEL h x',
    'EXISTS h',
    'HDEL h',
    'SET str x',
    'HDEL str a',
    'HEXISTS str a',
    'HSTRLEN str a',
    'HKEYS str',
    'HVALS str',
    'HGETALL str',
    'HSET n i 9223372036854775807 neg -12',
    'HSTRLEN n i',
    'HSTRLEN n neg',
  ]));

test('HINCRBY: integers, overflow, values that are not integers', () =>
  same([
    'HINCRBY h f 5',
    'HINCRBY h f -12',
    'HGET h f',
    'HINCRBY h new 0',
    'HGET h new',
    'HSET h max 9223372036854775806 min -9223372036854775807',
    'HINCRBY h max 1',
    'HINCRBY h max 1',
    'HINCRBY h max 0',
    'HINCRBY h max -9223372036854775808',
    'HINCRBY h min -1',
    'HINCRBY h min -1',
    'HINCRBY h min 9223372036854775807',
    'HINCRBY h min -9223372036854775808',
    [
      'HSET',
      'h',
      's',
      'abc',
      'e',
      '',
      'sp',
      ' 1',
      'plus',
      '+1',
      'lead',
      '01',
      'flt',
      '1.5',
      'big',
      '9223372036854775808',
    ],
    'HINCRBY h s 1',
    ['HINCRBY', 'h', 'e', '1'],
    'HINCRBY h flt 1',
    'HINCRBY h big 1',
    'HINCRBY h plus 1',
    'HINCRBY h lead 1',
    'HINCRBY h f x',
    'HINCRBY h f 1.0',
    'HINCRBY h f 9223372036854775808',
    'HINCRBY h f',
    'HINCRBY nokey f x',
    'EXISTS nokey',
    'SET str x',
    'HINCRBY str f 1',
    'HINCRBY str f x',
    'HGET h f',
  ]));

test('HINCRBYFLOAT: long double results, bad numbers, infinities', () =>
  same([
    'HINCRBYFLOAT h f 0.1',
    'HINCRBYFLOAT h f 0.2',
    'HINCRBYFLOAT h f -0.3',
    'HINCRBYFLOAT h f 10.5e3',
    'HINCRBYFLOAT h f 0x10',
    'HINCRBYFLOAT h f 1.7976931348623157e308',
    'HGET h f',
    ['HSET', 'h', 'i', '17', 's', 'abc', 'flt', '3.0e2', 'inf', 'inf', 'sp', ' 1'],
    'HINCRBYFLOAT h i 1.5',
    'HINCRBYFLOAT h flt 0',
    'HINCRBYFLOAT h s 1',
    'HINCRBYFLOAT h inf 1',
    'HINCRBYFLOAT h sp 1',
    'HINCRBYFLOAT h i inf',
    'HINCRBYFLOAT h i -inf',
    'HINCRBYFLOAT h i nan',
    'HINCRBYFLOAT h i abc',
    ['HINCRBYFLOAT', 'h', 'i', ' 1'],
    ['HINCRBYFLOAT', 'h', 'i', ''],
    'HINCRBYFLOAT h i 1e4933',
    'HINCRBYFLOAT nokey f abc',
    'EXISTS nokey',
    'SET str x',
    'HINCRBYFLOAT str f 1',
    'HINCRBYFLOAT str f abc',
    'HINCRBYFLOAT h i',
    'HGET h i',
    'HSET h m 1e308',
    'HINCRBYFLOAT h m 1e308',
    'HGET h m',
  ]));

test('HRANDFIELD: deterministic replies and errors', () =>
  same([
    'HRANDFIELD nokey',
    'HRANDFIELD nokey 5',
    'HRANDFIELD nokey -5 WITHVALUES',
    'HRANDFIELD nokey x',
    'HSET one f v',
    'HRANDFIELD one',
    'HRANDFIELD one 1',
    'HRANDFIELD one -3',
    'HRANDFIELD one -2 WITHVALUES',
    'HSET h a 1 b 2 c 3',
    'HRANDFIELD h 0',
    'HRANDFIELD h 0 WITHVALUES',
    '~HRANDFIELD h 3',
    '~HRANDFIELD h 100',
    '%HRANDFIELD h 3 WITHVALUES',
    '~HRANDFIELD h 9223372036854775807',
    'HRANDFIELD h x',
    'HRANDFIELD h 1.5',
    'HRANDFIELD h -9223372036854775808',
    'HRANDFIELD h 9223372036854775808',
    'HRANDFIELD h 1 WITHVALUE',
    'HRANDFIELD h 1 WITHVALUES x',
    'HRANDFIELD h 4611686018427387904 WITHVALUES',
    'HRANDFIELD h -4611686018427387904 WITHVALUES',
    'HRANDFIELD h 1 withvalues extra',
    'HRANDFIELD h x WITHVALUES',
    'HRANDFIELD',
    'SET str x',
    'HRANDFIELD str',
    'HRANDFIELD str 0',
    'HRANDFIELD str 1 WITHVALUES',
    'HRANDFIELD str x',
  ]));

test('HRANDFIELD: random picks are fields of the hash, distinct for a positive count', async () => {
  for (const c of [a, b]) {
    await c.call('FLUSHALL');
    const fields: string[] = [];
    for (let i = 0; i < 300; i++) fields.push(`f${i}`, `v${i}`);
    await c.call('HSET', 'big', ...fields);
    await c.call('HSET', 'small', 'a', '1', 'b', '2', 'c', '3', 'd', '4', 'e', '5');
    for (const key of ['big', 'small']) {
      const size = key === 'big' ? 300 : 5;
      const value = (f: string): string | undefined => {
        const i = key === 'big' ? Number(f.slice(1)) : ' abcde'.indexOf(f);
        if (!(Number.isInteger(i) && i >= (key === 'big' ? 0 : 1) && i < (key === 'big' ? 300 : 6) && f.length > 0))
          return undefined;
        return key === 'big' ? `v${i}` : String(i);
      };
      const one = (await call(c, 'HRANDFIELD', key)) as string;
      assert.notEqual(value(one), undefined, `${key}: ${one} is a field`);
      const pos = (await call(c, 'HRANDFIELD', key, '4')) as string[];
      assert.equal(pos.length, 4);
      assert.equal(new Set(pos).size, 4, `${key}: distinct fields ${pos}`);
      const near = (await call(c, 'HRANDFIELD', key, String(size - 1))) as string[];
      assert.equal(new Set(near).size, size - 1, `${key}: ${size - 1} distinct fields`);
      const neg = (await call(c, 'HRANDFIELD', key, '-50', 'WITHVALUES')) as string[];
      assert.equal(neg.length, 100);
      for (let i = 0; i < neg.length; i += 2)
        assert.equal(neg[i + 1], value(neg[i]!), `${key}: ${neg[i]} pairs with its value`);
      if (key === 'small')
        assert.ok(new Set(neg.filter((_, i) => i % 2 === 0)).size < 50, 'a negative count repeats fields');
      const withv = (await call(c, 'HRANDFIELD', key, '3', 'WITHVALUES')) as string[];
      assert.equal(withv.length, 6);
      for (let i = 0; i < withv.length; i += 2) assert.equal(withv[i + 1], value(withv[i]!));
    }
    // Every field turns up: the picks are spread over the whole hash. Up to
    // 400 picks, so a uniform pick misses a field with probability ~1e-38.
    const seen = new Set<string>();
    for (let i = 0; i < 400 && seen.size < 5; i++) seen.add((await call(c, 'HRANDFIELD', 'small')) as string);
    assert.equal(seen.size, 5);
  }
});

test('HSCAN: small hashes in one call, options and errors', () =>
  same([
    'HSCAN nokey 0',
    'HSCAN nokey 0 COUNT 0',
    'HSCAN nokey 0 BADOPT',
    'HSCAN nokey abc',
    'HSET h a 1 b 2 c 3 ab 4 xyz 5',
    '@HSCAN h 0',
    '@HSCAN h 0 COUNT 1',
    '@HSCAN h 0 MATCH a*',
    '@HSCAN h 0 MATCH ?',
    '@HSCAN h 0 MATCH nomatch',
    '@HSCAN h 0 match * count 2',
    '@HSCAN h 0 COUNT 5 COUNT 1',
    '@HSCAN h -1',
    '@HSCAN h 18446744073709551615',
    'HSCAN h 18446744073709551616',
    'HSCAN h abc',
    'HSCAN h 1.5',
    'HSCAN h 0 COUNT 0',
    'HSCAN h 0 COUNT -1',
    'HSCAN h 0 COUNT x',
    'HSCAN h 0 MATCH',
    'HSCAN h 0 COUNT',
    'HSCAN h 0 TYPE string',
    'HSCAN h 0 NOVALUES',
    'HSCAN h',
    'SET str x',
    'HSCAN str 0',
    'HSCAN str 0 COUNT 0',
    'HSCAN str x',
  ]));

test('HSCAN: a full iteration of a large hash sees every field once per value, with COUNT and MATCH', async () => {
  const args: string[] = [];
  for (let i = 0; i < 1000; i++) args.push(`field:${i}`, `value:${i}`);
  await Promise.all([a.call('FLUSHALL'), b.call('FLUSHALL')]);
  await Promise.all([a.call('HSET', 'h', ...args), b.call('HSET', 'h', ...args)]);
  for (const opts of [[], ['COUNT', '7'], ['COUNT', '100', 'MATCH', 'field:1*'], ['MATCH', '*9']]) {
    const [mine, ref] = await Promise.all([hscanAll(a, 'h', ...opts), hscanAll(b, 'h', ...opts)]);
    assert.deepEqual([...mine.seen.entries()].sort(), [...ref.seen.entries()].sort(), `HSCAN ${opts.join(' ')}`);
    assert.ok(mine.calls > 1, 'a large hash is walked in several calls');
  }
  const counted = await hscanAll(a, 'h', 'COUNT', '10');
  assert.equal(counted.seen.size, 1000);
  assert.ok(counted.calls >= 100 && counted.calls <= 101, `COUNT 10 over 1000 fields: ${counted.calls} calls`);
});

test('HSCAN guarantees: fields present throughout are returned while others are deleted', async () => {
  await a.call('FLUSHALL');
  const args: string[] = [];
  for (let i = 0; i < 500; i++) args.push(`f${i}`, String(i));
  await a.call('HSET', 'h', ...args);
  const seen = new Set<string>();
  let cursor = '0';
  let k = 0;
  do {
    const r = (await call(a, 'HSCAN', 'h', cursor, 'COUNT', '20')) as [string, string[]];
    cursor = r[0];
    for (let i = 0; i < r[1].length; i += 2) seen.add(r[1][i]!);
    // Delete fields that are not kept (odd ones) as the walk goes on.
    await a.call('HDEL', 'h', `f${2 * k + 1}`, `f${2 * k + 3}`);
    k++;
  } while (cursor !== '0');
  for (let i = 0; i < 500; i += 2) assert.ok(seen.has(`f${i}`), `f${i} seen`);
});

test('encodings: listpack until 128 fields or a 65-byte string, then hashtable for good', () =>
  same([
    'HSET h f v',
    'OBJECT ENCODING h',
    ['HSET', 'h', 'long', 'x'.repeat(64)],
    'OBJECT ENCODING h',
    ['HSET', 'h', 'long', 'x'.repeat(65)],
    'OBJECT ENCODING h',
    'HDEL h long',
    'OBJECT ENCODING h',
    ['HSET', 'k', 'y'.repeat(65), 'v'],
    'OBJECT ENCODING k',
    ['HSET', 'n', ...Array.from({ length: 128 }, (_, i) => [`f${i}`, 'v']).flat()],
    'OBJECT ENCODING n',
    'HSET n one more',
    'OBJECT ENCODING n',
    'HINCRBYFLOAT f x 1.5',
    'OBJECT ENCODING f',
  ]));

test('COMMAND INFO: arity, flags and key positions as Redis', async () => {
  for (const name of [
    'hset',
    'hsetnx',
    'hget',
    'hmget',
    'hmset',
    'hgetall',
    'hdel',
    'hexists',
    'hlen',
    'hkeys',
    'hvals',
    'hstrlen',
    'hincrby',
    'hincrbyfloat',
    'hrandfield',
    'hscan',
  ]) {
    const [mine, ref] = (await Promise.all([
      call(a, 'COMMAND', 'INFO', name),
      call(b, 'COMMAND', 'INFO', name),
    ])) as Value[][][];
    assert.deepEqual(mine![0]!.slice(0, 7), ref![0]!.slice(0, 7), `COMMAND INFO ${name}`);
  }
});

/** Every key's type and contents (hash fields sorted), for comparing across a restart. */
async function snapshotOf(c: RawClient, keys: string[]): Promise<Record<string, Value>> {
  const out: Record<string, Value> = {};
  for (const k of keys) {
    const type = (await call(c, 'TYPE', k)) as string;
    if (type === 'hash') {
      const flat = (await call(c, 'HGETALL', k)) as string[];
      const pairs: string[] = [];
      for (let i = 0; i < flat.length; i += 2) pairs.push(`${flat[i]}=${flat[i + 1]}`);
      out[k] = [type, pairs.sort()];
    } else {
      out[k] = type;
    }
  }
  return out;
}

const KEYS = ['small', 'big', 'counters', 'emptied', 'nx', 'bin'];

/** A mix of every hash change: sets, updates, increments, deletes, a hash emptied. */
async function writeHashes(c: RawClient, tag: string): Promise<void> {
  const many: string[] = [];
  for (let i = 0; i < 200; i++) many.push(`f${i}`, `${tag}${i}`);
  await c.call('HSET', 'big', ...many);
  assert.equal(await c.call('HDEL', 'big', 'f3', 'f77', 'nosuch'), ':2\r\n');
  await c.call('HSET', 'small', 'x', tag, 'y', `${tag}${tag}`);
  await c.call('HMSET', 'small', 'z', '1', 'w', '2');
  await c.call('HINCRBY', 'counters', 'n', '41');
  await c.call('HINCRBY', 'counters', 'n', '-2');
  await c.call('HINCRBYFLOAT', 'counters', 'fl', '0.1');
  await c.call('HINCRBYFLOAT', 'counters', 'fl', '0.2');
  await c.call('HSET', 'emptied', 'a', '1', 'b', '2');
  await c.call('HDEL', 'emptied', 'a', 'b');
  await c.call('HSETNX', 'nx', 'f', tag);
  await c.call('HRANDFIELD', 'big', '-5');
  await c.call('HSET', 'bin', Buffer.from([0, 1, 255]), Buffer.from([128, 0, 10, 13]));
}

test('hash changes survive a SIGKILL (WAL replay) and a clean restart after a snapshot', async () => {
  const srv = await startServer();
  let again: ServerHandle = srv;
  try {
    await restartScenario(srv, (h) => (again = h));
  } finally {
    await again.kill();
    cleanup(srv.dir);
  }
});

async function restartScenario(srv: ServerHandle, started: (h: ServerHandle) => void): Promise<void> {
  // Fresh directory, writes, SIGKILL: everything comes back from the WAL alone.
  let c = await RawClient.connect(srv.port);
  await writeHashes(c, 'a');
  const first = await snapshotOf(c, KEYS);
  assert.deepEqual(first['counters'], ['hash', ['fl=0.3', 'n=39']]);
  assert.equal(first['emptied'], 'none');
  c.close();
  await srv.kill();

  let again = await startServer({ dir: srv.dir });
  started(again);
  c = await RawClient.connect(again.port);
  assert.deepEqual(await snapshotOf(c, KEYS), first, 'after SIGKILL');
  // More changes, a snapshot, more changes, then a clean stop.
  await writeHashes(c, 'b');
  assert.equal(await c.call('BGSAVE'), '+Background saving started\r\n');
  await c.call('HINCRBYFLOAT', 'counters', 'fl', '1e-5');
  await c.call('HDEL', 'small', 'w');
  await c.call('HSET', 'big', 'f0', 'after-save');
  const second = await snapshotOf(c, KEYS);
  assert.deepEqual(second['counters'], ['hash', ['fl=0.60001', 'n=78']]);
  c.close();
  await again.stop();

  again = await startServer({ dir: srv.dir });
  started(again);
  c = await RawClient.connect(again.port);
  assert.deepEqual(await snapshotOf(c, KEYS), second, 'after SIGTERM');
  assert.equal(await c.call('OBJECT', 'ENCODING', 'big'), '$9\r\nhashtable\r\n');
  c.close();
}
