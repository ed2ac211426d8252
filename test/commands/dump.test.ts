/**
 * DUMP, RESTORE and MIGRATE against Debian's redis-server 7.0.15: every type
 * in every encoding redis-server produces DUMPed there and RESTOREd here, and
 * the other way round; MIGRATE in both directions and between two
 * FlashCache servers; Redis's error texts; RESTOREd keys across a SIGKILL;
 * and fuzzed payloads that never take the server down.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import fc from 'fast-check';
import { dumpKeyspace, type KeyState, sorted, streamInfo } from '../helpers/keyspace.js';
import { freePort, type RedisHandle, startRedis } from '../helpers/redis.js';
import { cleanup, type ServerHandle, startServer } from '../helpers/server.js';
import { crc64 } from '../../src/persistence/rdb/crc64.js';

let flash: ServerHandle;
let flash2: ServerHandle;
let redis: RedisHandle;
let f: Redis;
let f2: Redis;
let r: Redis;

before(async () => {
  [flash, flash2, redis] = await Promise.all([startServer(), startServer(), startRedis()]);
  f = flash.client();
  f2 = flash2.client();
  r = new Redis({ port: redis.port, host: '127.0.0.1', lazyConnect: false });
});
after(async () => {
  r.disconnect();
  await Promise.all([flash.stop(), flash2.stop(), redis.stop()]);
  cleanup(flash.dir);
  cleanup(flash2.dir);
});

/** Keyspaces equal but for TTLs sent relative (MIGRATE), which may differ by the transfer's milliseconds. */
function closeKeyspaces(got: [string, KeyState][], want: [string, KeyState][]): void {
  const approx = (ks: [string, KeyState][]) =>
    ks.map(([k, v]) => [k, v.value, v.expireAt < 0 ? -1 : Math.round(v.expireAt / 10_000)]);
  assert.deepEqual(approx(got), approx(want));
  for (let i = 0; i < got.length; i++) {
    assert.ok(Math.abs(got[i]![1].expireAt - want[i]![1].expireAt) < 1000, got[i]![0]);
  }
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/**
 * Keys of every type in each encoding redis-server 7.0 gives them (listpack,
 * quicklist with several and LZF-compressed nodes, intset, hashtable,
 * skiplist, stream with groups), plus TTLs, written with `client`.
 */
async function populate(client: Redis, withStreams = true): Promise<void> {
  const p = client.pipeline();
  p.set('str:raw', 'hello world');
  p.set('str:int', '12345');
  p.set('str:neg', '-9223372036854775808');
  p.set('str:empty', '');
  p.set('str:lzf', 'abcabcabc'.repeat(200));
  p.set('str:bin', Buffer.from(range(256)));
  p.set('str:ttl', 'expiring', 'PX', 3_600_000);
  p.rpush('list:lp', 'a', '1', '-2', '70000', '-2147483649', 'x'.repeat(70));
  p.rpush('list:quick', ...range(600).map((i) => (i % 3 === 0 ? String(i * 1000) : `item-${i}-${'z'.repeat(i % 50)}`)));
  p.sadd('set:intset', 1, 2, 3, -4, 65536, 4294967296);
  p.sadd('set:ht', 'apple', 'banana', '1', 'cherry');
  p.sadd('set:bigints', ...range(600));
  p.zadd('zset:lp', 1, 'one', 2.5, 'two', -3, 'minus', 0, 'zero');
  p.zadd('zset:skip', ...range(200).flatMap((i) => [i / 3, `member-${i}`]));
  p.zadd('zset:inf', 'inf', 'top', '-inf', 'bottom', 1e-300, 'tiny');
  p.hset('hash:lp', 'f1', 'v1', 'f2', '2', 'f3', '');
  p.hset('hash:ht', ...range(200).flatMap((i) => [`field-${i}`, `value-${i}`]));
  p.hset('hash:long', 'long', 'v'.repeat(100));
  p.pexpire('hash:lp', 7_200_000);
  if (withStreams) {
    for (const i of range(30)) p.xadd('stream:s', `${1000 + i}-${i % 3}`, 'field', `value-${i}`, 'n', String(i));
    p.xdel('stream:s', '1003-0');
    p.xgroup('CREATE', 'stream:s', 'g1', '0');
    p.xgroup('CREATE', 'stream:s', 'g2', '$');
    p.xreadgroup('GROUP', 'g1', 'alice', 'COUNT', '5', 'STREAMS', 'stream:s', '>');
    p.xreadgroup('GROUP', 'g1', 'bob', 'COUNT', '3', 'STREAMS', 'stream:s', '>');
    p.xack('stream:s', 'g1', '1000-0');
  }
  await p.exec();
}

/** Copies every key of db 0 from `src` to `dst` with DUMP and RESTORE ... ABSTTL. */
async function copyByDump(src: Redis, dst: Redis): Promise<void> {
  for (const key of await src.keys('*')) {
    const payload = await src.dumpBuffer(key);
    const at = await src.pexpiretime(key);
    assert.equal(await dst.call('RESTORE', key, String(Math.max(at, 0)), payload!, 'ABSTTL', 'REPLACE'), 'OK', key);
  }
}

test('every type and encoding DUMPed by redis-server RESTOREs here with equal values and TTLs', async () => {
  await r.flushall();
  await f.flushall();
  await r.config('SET', 'list-max-listpack-size', '16');
  await r.config('SET', 'list-compress-depth', '1');
  await populate(r);
  const encodings = new Set<string>();
  for (const key of await r.keys('*')) encodings.add(String(await r.object('ENCODING', key)));
  for (const e of ['listpack', 'quicklist', 'intset', 'hashtable', 'skiplist', 'int', 'embstr', 'raw', 'stream']) {
    assert.ok(encodings.has(e), `redis-server produced ${e} (${[...encodings].join(', ')})`);
  }
  await copyByDump(r, f);
  assert.deepEqual(sorted(await dumpKeyspace(f, 1)), sorted(await dumpKeyspace(r, 1)));
  const [fi, ri] = [await f.xinfo('STREAM', 'stream:s', 'FULL'), await r.xinfo('STREAM', 'stream:s', 'FULL')];
  assert.deepEqual(streamInfo(fi), streamInfo(ri));
  await r.config('SET', 'list-max-listpack-size', '-2');
  await r.config('SET', 'list-compress-depth', '0');
});

test('every type DUMPed here RESTOREs in redis-server with equal values and TTLs', async () => {
  await r.flushall();
  await f.flushall();
  await populate(f);
  await copyByDump(f, r);
  assert.deepEqual(sorted(await dumpKeyspace(r, 1)), sorted(await dumpKeyspace(f, 1)));
  const [fi, ri] = [await f.xinfo('STREAM', 'stream:s', 'FULL'), await r.xinfo('STREAM', 'stream:s', 'FULL')];
  assert.deepEqual(streamInfo(fi), streamInfo(ri));
});

test("RESTORE's options and errors are Redis's", async () => {
  await r.flushall();
  await f.flushall();
  await r.set('k', 'v');
  await f.set('k', 'v');
  const payload = (await r.dumpBuffer('k'))!;
  const bad = Buffer.from(payload);
  bad[0] = 99; // unknown type, checksum now wrong
  const newer = Buffer.from(payload);
  newer.writeUInt16LE(11, newer.length - 10);
  const reCrc = (b: Buffer) => {
    b.writeBigUInt64LE(crc64(b.subarray(0, b.length - 8)), b.length - 8);
    return b;
  };
  const cases: (string | Buffer)[][] = [
    ['RESTORE', 'k', '0', payload],
    ['RESTORE', 'k2', '0', payload],
    ['GET', 'k2'],
    ['RESTORE', 'k2', '0', payload, 'REPLACE'],
    ['RESTORE', 'k3', '-1', payload],
    ['RESTORE', 'k3', 'x', payload],
    ['RESTORE', 'k3', '0', bad],
    ['RESTORE', 'k3', '0', reCrc(Buffer.from(bad))],
    ['RESTORE', 'k3', '0', newer],
    ['RESTORE', 'k3', '0', reCrc(newer)],
    ['RESTORE', 'k3', '0', Buffer.from('short')],
    ['RESTORE', 'k3', '0', payload.subarray(0, payload.length - 1)],
    ['RESTORE', 'k3', '0', payload, 'BOGUS'],
    ['RESTORE', 'k3', '0', payload, 'IDLETIME', '-1'],
    ['RESTORE', 'k3', '0', payload, 'FREQ', '256'],
    ['RESTORE', 'k3', '0', payload, 'IDLETIME', '10', 'FREQ', '5'],
    ['RESTORE', 'k3', '0', payload, 'IDLETIME', 'x'],
    ['RESTORE', 'k4', '1', payload, 'ABSTTL'],
    ['EXISTS', 'k4'],
    ['RESTORE', 'k4', '5000', payload],
    ['PTTL', 'k4'],
    ['RESTORE', 'k5', '0', payload, 'IDLETIME', '1000'],
    ['OBJECT', 'IDLETIME', 'k5'],
    ['DUMP', 'nokey'],
    ['RESTORE-ASKING', 'k6', '0', payload],
    ['GET', 'k6'],
  ];
  for (const c of cases) {
    const [fr, rr] = await Promise.all([
      f.call(c[0] as string, ...c.slice(1)).catch((e: Error) => `ERR: ${e.message}`),
      r.call(c[0] as string, ...c.slice(1)).catch((e: Error) => `ERR: ${e.message}`),
    ]);
    const norm = (v: unknown) => (c[0] === 'PTTL' ? Number(v) > 4000 : c[0] === 'OBJECT' ? Number(v) >= 1000 : v);
    assert.deepEqual(norm(fr), norm(rr), `${c.map(String).join(' ').slice(0, 80)}`);
  }
});

test('RESTOREd keys survive a SIGKILL: the logged RESTORE replays to the same values and TTLs', async () => {
  const srv = await startServer();
  const c = srv.client();
  await r.flushall();
  await populate(r);
  await copyByDump(r, c);
  await c.call('RESTORE', 'expired', String(Date.now() - 1000), (await r.dumpBuffer('str:raw'))!, 'ABSTTL');
  const before = sorted(await dumpKeyspace(c, 1));
  await srv.kill();
  const again = await startServer({ dir: srv.dir });
  assert.deepEqual(sorted(await dumpKeyspace(again.client(), 1)), before);
  assert.equal(await again.client().exists('expired'), 0);
  await again.stop();
  cleanup(srv.dir);
});

test('MIGRATE to redis-server, from redis-server, and between FlashCache servers: KEYS, COPY, REPLACE, errors', async () => {
  await r.flushall();
  await f.flushall();
  await f2.flushall();
  await populate(f, false);
  const want = sorted(await dumpKeyspace(f, 1));
  // FlashCache → redis-server, one key then the rest with KEYS, into db 3.
  assert.equal(await f.migrate('127.0.0.1', redis.port, 'str:raw', 3, 5000), 'OK');
  assert.equal(await f.exists('str:raw'), 0);
  const rest = (await f.keys('*')).filter((k) => k !== 'str:raw');
  assert.equal(await f.call('MIGRATE', '127.0.0.1', String(redis.port), '', '3', '5000', 'KEYS', ...rest), 'OK');
  assert.equal(await f.dbsize(), 0);
  await r.select(3);
  closeKeyspaces(
    sorted(await dumpKeyspace(r, 4)).map(([k, v]) => [k.replace(/^3:/, '0:'), v] as [string, KeyState]),
    want,
  );
  // redis-server → FlashCache with COPY: both keep the keys.
  await r.select(3);
  assert.equal(
    await r.call('MIGRATE', '127.0.0.1', String(flash.port), '', '0', '5000', 'COPY', 'KEYS', ...(await r.keys('*'))),
    'OK',
  );
  await r.select(3);
  assert.equal(await r.dbsize(), want.length);
  closeKeyspaces(sorted(await dumpKeyspace(f, 1)), want);
  // FlashCache → FlashCache: BUSYKEY without REPLACE (the key stays), then REPLACE.
  await f2.set('str:int', 'other');
  await assert.rejects(
    f.migrate('127.0.0.1', flash2.port, 'str:int', 0, 5000),
    /^ReplyError: ERR Target instance replied with error: BUSYKEY Target key name already exists\./,
  );
  assert.equal(await f.get('str:int'), '12345');
  assert.equal(await f.call('MIGRATE', '127.0.0.1', String(flash2.port), 'str:int', '0', '5000', 'REPLACE'), 'OK');
  assert.equal(await f2.get('str:int'), '12345');
  assert.equal(await f.migrate('127.0.0.1', flash2.port, 'nokey', 0, 5000), 'NOKEY');
  const closed = await freePort();
  await assert.rejects(
    f.migrate('127.0.0.1', closed, 'str:raw', 0, 1000),
    /IOERR error or timeout connecting to the client/,
  );
  await assert.rejects(
    f.call('MIGRATE', '127.0.0.1', String(flash2.port), 'k', '0', '5000', 'KEYS', 'a'),
    /ERR When using MIGRATE KEYS option, the key argument must be set to the empty string/,
  );
  await assert.rejects(f.call('MIGRATE', '127.0.0.1', '1', 'k', '0', '5000', 'AUTH'), /ERR syntax error/);
  await assert.rejects(f.call('MIGRATE', '127.0.0.1', '1', 'k', 'x', '5000'), /ERR value is not an integer/);
  // AUTH to a target with a password.
  await f2.config('SET', 'requirepass', 'secret');
  await f.set('authed', '1');
  await assert.rejects(
    f.call('MIGRATE', '127.0.0.1', String(flash2.port), 'authed', '0', '5000', 'AUTH', 'wrong'),
    /Target instance replied with error: WRONGPASS/,
  );
  assert.equal(await f.get('authed'), '1', 'after an error from the target the key stays here');
  assert.equal(
    await f.call('MIGRATE', '127.0.0.1', String(flash2.port), 'authed', '0', '5000', 'REPLACE', 'AUTH', 'secret'),
    'OK',
  );
  const authed = new Redis({ port: flash2.port, password: 'secret' });
  assert.equal(await authed.get('authed'), '1');
  await authed.config('SET', 'requirepass', '');
  authed.disconnect();
  await r.select(0);
});

test('fuzzed RESTORE payloads with a valid checksum get an error or a key, and the server keeps serving', async () => {
  await r.flushall();
  await populate(r, true);
  const seeds: Buffer[] = [];
  for (const key of await r.keys('*')) seeds.push((await r.dumpBuffer(key))!);
  await f.flushall();
  await fc.assert(
    fc.asyncProperty(
      fc.nat(seeds.length - 1),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
      fc.nat(),
      async (which, flips, cut) => {
        const seed = seeds[which]!;
        const body = Buffer.from(seed.subarray(0, seed.length - 10));
        for (const [at, v] of flips) body[at % body.length] = v;
        const len = cut % 4 === 0 ? body.length : Math.max(1, body.length - (cut % body.length));
        const payload = Buffer.concat([body.subarray(0, len), seed.subarray(seed.length - 10, seed.length - 8)]);
        const crc = Buffer.alloc(8);
        crc.writeBigUInt64LE(crc64(payload));
        const full = Buffer.concat([payload, crc]);
        const reply = await f.call('RESTORE', 'fuzz', '0', full, 'REPLACE').catch((e: Error) => e.message);
        assert.ok(reply === 'OK' || /^ERR Bad data format$/.test(String(reply)), String(reply));
      },
    ),
    { numRuns: 300 },
  );
  assert.equal(await f.ping(), 'PONG');
});
