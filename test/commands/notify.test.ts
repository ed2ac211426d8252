/**
 * Keyspace and keyevent notifications against redis-server 7.0.15: the same
 * scripted commands of every family on both servers, and what a subscriber
 * to `*` receives, byte for byte, in RESP2 (messages) and RESP3 (pushes);
 * `notify-keyspace-events` in Redis's class letters and its canonical CONFIG
 * GET form; evicted events.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sameReply, serverPair, sortArray, type Command, type Pair } from '../helpers/differential.js';
import { RawClient } from '../helpers/resp.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, cleanup, tempDir, waitFor } from '../helpers/server.js';

let pair: Pair;
serverPair((p) => (pair = p));

/** A subscriber to every channel on both servers, in protocol `resp`. */
async function subscribers(resp: 2 | 3): Promise<[RawClient, RawClient]> {
  const subs = await Promise.all([RawClient.connect(pair.fc.port), RawClient.connect(pair.redis.port)]);
  for (const s of subs) {
    if (resp === 3) await s.call('HELLO', '3');
    await s.call('PSUBSCRIBE', '*');
  }
  return subs as [RawClient, RawClient];
}

/** Reads what `s` receives until the `done` message a PUBLISH sent last. */
async function messagesUntilDone(s: RawClient): Promise<string[]> {
  const out: string[] = [];
  for (;;) {
    const m = await s.read(5000);
    if (m === null) throw new Error('subscriber closed');
    if (m.includes('$4\r\ndone\r\n')) return out;
    out.push(m);
  }
}

/**
 * Runs `commands` on both servers with the given classes enabled (replies
 * compared), then compares every message a subscriber of each protocol got.
 *
 * @returns the messages FlashCache's RESP2 subscriber got
 */
async function sameEvents(classes: string, commands: Command[]): Promise<string[]> {
  const { a, b } = pair;
  await Promise.all([a.call('FLUSHALL'), b.call('FLUSHALL')]);
  await sameReply(a, b, ['CONFIG', 'SET', 'notify-keyspace-events', classes]);
  const [s2a, s2b] = await subscribers(2);
  const [s3a, s3b] = await subscribers(3);
  try {
    for (const c of commands) {
      if (typeof c === 'string' && c.startsWith('SLEEP ')) {
        await new Promise((r) => setTimeout(r, Number(c.slice(6))));
        continue;
      }
      await sameReply(a, b, c, { '~': sortArray });
    }
    await Promise.all([a.call('PUBLISH', 'sentinel', 'done'), b.call('PUBLISH', 'sentinel', 'done')]);
    const [m2a, m2b, m3a, m3b] = (await Promise.all([s2a, s2b, s3a, s3b].map(messagesUntilDone))) as [
      string[],
      string[],
      string[],
      string[],
    ];
    assert.deepEqual(m2a, m2b, 'RESP2 messages');
    assert.deepEqual(m3a, m3b, 'RESP3 pushes');
    assert.ok(m2a.length > 0, 'events were published');
    return m2a;
  } finally {
    for (const s of [s2a, s2b, s3a, s3b]) s.close();
    await Promise.all([
      a.call('CONFIG', 'SET', 'notify-keyspace-events', ''),
      b.call('CONFIG', 'SET', 'notify-keyspace-events', ''),
    ]);
  }
}

/** The `event key` or `key event` pairs of pmessages, for readable assertions. */
function summary(messages: string[]): string[] {
  return messages.map((m) => {
    const parts = m.split('\r\n').filter((_, i) => i % 2 === 0 && i > 0);
    return `${parts[2]} ${parts[3]}`;
  });
}

test('notify-keyspace-events: class letters, the canonical CONFIG GET form, and the error', async () => {
  const { a, b } = pair;
  for (const v of ['KEA', 'gKE', '$lshzxeKE', 'EA', 'Kx', 'KEAnm', 'Elt', 'Kd', '', 'A', 'KEg$lshzxetd']) {
    await sameReply(a, b, ['CONFIG', 'SET', 'notify-keyspace-events', v]);
    await sameReply(a, b, ['CONFIG', 'GET', 'notify-keyspace-events']);
  }
  await sameReply(a, b, ['CONFIG', 'SET', 'notify-keyspace-events', 'KEQ']);
  await sameReply(a, b, ['CONFIG', 'SET', 'notify-keyspace-events', 'K E']);
  await sameReply(a, b, ['CONFIG', 'GET', 'notify-keyspace-events']);
  await sameReply(a, b, ['CONFIG', 'SET', 'notify-keyspace-events', '']);
});

test('strings and counters: set, expire, del, persist, append, setrange, incr*, new, keymiss', async () => {
  const got = await sameEvents('KEAnm', [
    'SET s1 v',
    'SET s1 v2 EX 100',
    'SET s1 v3 KEEPTTL',
    'SET s1 v4 NX',
    'SET s2 v XX',
    'SET s2 v GET',
    'SET s2 w GET',
    'SETNX s3 x',
    'SETEX s4 100 x',
    'PSETEX s5 100000 x',
    'GETSET s5 y',
    'GETDEL s5',
    'GETDEL s5',
    'GETEX s4 PERSIST',
    'GETEX s4 EX 50',
    'GETEX s4 PXAT 1',
    'GET nosuch',
    'MGET s1 nosuch s2',
    'STRLEN nosuch',
    'GETRANGE nosuch 0 1',
    'MSET m1 1 m2 2 m1 3',
    'MSETNX m1 1 m9 9',
    'MSETNX m8 8 m9 9',
    'APPEND a1 x',
    'APPEND a1 yz',
    'APPEND a1 ',
    'SETRANGE r1 3 abc',
    'SETRANGE r1 0 ',
    'SETRANGE r2 0 ',
    'INCR c1',
    'INCRBY c1 5',
    'DECR c1',
    'DECRBY c1 2',
    'INCRBYFLOAT f1 1.5',
    'INCRBYFLOAT f1 2',
    'INCR a1',
  ]);
  assert.ok(summary(got).includes('__keyspace@0__:s1 set'));
});

test('generic: del, unlink, rename, copy, move, expire, persist, expired, keymiss', async () => {
  await sameEvents('KEAnm', [
    'SET k1 v',
    'SET k2 v',
    'DEL k1 nosuch k2',
    'SET k1 v',
    'UNLINK k1',
    'EXISTS k1 k2',
    'TYPE k1',
    'TTL k1',
    'PTTL k1',
    'TOUCH k1',
    'SET r1 v',
    'RENAME r1 r2',
    'SET r3 v',
    'RENAME r2 r3',
    'RENAMENX r3 r3',
    'SET r4 v',
    'RENAMENX r3 r4',
    'RENAMENX r3 r5',
    'COPY r5 r6',
    'COPY r5 r6',
    'COPY r5 r6 REPLACE',
    'COPY r5 r6 DB 3',
    'MOVE r6 2',
    'MOVE r5 2',
    'EXPIRE r5 100',
    'PEXPIRE r5 100000 NX',
    'PEXPIRE r5 100000 XX',
    'PERSIST r5',
    'PERSIST r5',
    'EXPIREAT r5 1',
    'SET e1 v PX 1',
    'SLEEP 20',
    'EXISTS e1',
    'SET e2 v',
    'PEXPIRE e2 -1',
  ]);
});

test('hashes: hset, hdel, hincrby, hincrbyfloat, new, del, keymiss', async () => {
  await sameEvents('KEAnm', [
    'HSET h1 f 1',
    'HSET h1 f 1',
    'HSET h1 g 2 h 3',
    'HMSET h1 f 5',
    'HSETNX h1 f 6',
    'HSETNX h2 f 6',
    'HINCRBY h1 n 3',
    'HINCRBY h3 n 3',
    'HINCRBYFLOAT h1 x 1.5',
    'HINCRBYFLOAT h4 x 1.5',
    'HDEL h1 nosuch',
    'HDEL h1 f g',
    'HDEL h2 f',
    'HGET nosuch f',
    'HMGET nosuch f g',
    'HGETALL nosuch',
    'HLEN nosuch',
    'HEXISTS nosuch f',
    'HSTRLEN nosuch f',
    'HKEYS nosuch',
    'HVALS nosuch',
    'HSCAN nosuch 0',
    'HRANDFIELD nosuch',
    'HSET s1 f v',
    'HGET s1 f',
  ]);
});

test('lists: lpush, rpush, lpop, rpop, linsert, lset, lrem, ltrim, lmove, blocking pops, new, del', async () => {
  await sameEvents('KEAnm', [
    'LPUSH l1 a b c',
    'RPUSH l1 d e',
    'LPUSHX l2 a',
    'RPUSHX l1 f',
    'LPOP l1',
    'RPOP l1',
    'LPOP l1 2',
    'LPOP l1 0',
    'LINSERT l1 BEFORE d x',
    'LINSERT l1 AFTER nosuch y',
    'LSET l1 0 z',
    'LREM l1 0 nosuch',
    'LREM l1 1 z',
    'RPUSH l3 a b c d',
    'LTRIM l3 0 -1',
    'LTRIM l3 1 2',
    'LTRIM l3 5 10',
    'LTRIM nosuch 0 1',
    'RPUSH l4 a b',
    'LMOVE l4 l5 LEFT RIGHT',
    'LMOVE l4 l5 LEFT LEFT',
    'RPUSH l6 a b',
    'LMOVE l6 l6 RIGHT LEFT',
    'RPOPLPUSH l6 l7',
    'RPOPLPUSH nosuch l7',
    'BLPOP l7 nosuch 1',
    'RPUSH l8 a',
    'BRPOP nosuch l8 1',
    'RPUSH l9 a b',
    'BLMOVE l9 l10 RIGHT LEFT 1',
    'BRPOPLPUSH l9 l10 1',
    'RPOP l10 5',
    'LRANGE nosuch 0 -1',
    'LLEN nosuch',
    'LINDEX nosuch 0',
    'LPOS nosuch a',
  ]);
});

test('sets: sadd, srem, spop, smove, *store, new, del, keymiss', async () => {
  await sameEvents('KEAnm', [
    'SADD t1 a b c',
    'SADD t1 a',
    'SREM t1 nosuch',
    'SREM t1 a',
    'SADD t2 x',
    'SMOVE t1 t2 b',
    'SMOVE t1 t3 c',
    'SMOVE t2 t2 x',
    'SADD t4 a',
    'SADD t5 a',
    'SMOVE t4 t5 a',
    'SADD p1 only',
    'SPOP p1',
    'SADD p2 a b',
    '~SPOP p2 5',
    'SPOP p2 0',
    'SADD i1 a b c',
    'SADD i2 b c d',
    'SINTERSTORE d1 i1 i2',
    'SINTERSTORE d1 i1 i2',
    'SINTERSTORE d1 i1 nosuch',
    'SUNIONSTORE d2 i1 i2',
    'SDIFFSTORE d3 i1 i2',
    'SDIFFSTORE d3 i1 i1',
    'SMEMBERS nosuch',
    'SISMEMBER nosuch a',
    'SCARD nosuch',
    'SINTERCARD 2 i1 nosuch',
    'SRANDMEMBER nosuch',
  ]);
});

test('sorted sets: zadd, zincr, zrem, zremrangeby*, zpop*, *store, new, del, keymiss', async () => {
  await sameEvents('KEAnm', [
    'ZADD z1 1 a 2 b 3 c',
    'ZADD z1 1 a',
    'ZADD z1 XX 5 nosuch',
    'ZADD z1 CH 4 a',
    'ZADD z1 INCR 1 a',
    'ZINCRBY z1 2 b',
    'ZINCRBY z2 2 b',
    'ZADD z3 NX 1 a',
    'ZREM z1 nosuch',
    'ZREM z1 a',
    'ZADD z4 1 a 2 b 3 c 4 d 5 e',
    'ZREMRANGEBYRANK z4 0 0',
    'ZREMRANGEBYSCORE z4 2 2',
    'ZREMRANGEBYLEX z4 [d [d',
    'ZREMRANGEBYSCORE z4 100 200',
    'ZREMRANGEBYRANK z4 0 -1',
    'ZADD z5 1 a 2 b 3 c',
    'ZPOPMIN z5',
    'ZPOPMAX z5 5',
    'ZADD z6 1 a 2 b',
    'ZMPOP 2 nosuch z6 MIN COUNT 1',
    'ZADD u1 1 a 2 b',
    'ZADD u2 3 b 4 c',
    'ZUNIONSTORE o1 2 u1 u2',
    'ZINTERSTORE o2 2 u1 u2',
    'ZDIFFSTORE o3 2 u1 u2',
    'ZDIFFSTORE o3 2 u1 u1',
    'ZRANGESTORE o4 u1 0 -1',
    'ZRANGESTORE o4 nosuch 0 -1',
    'ZUNION 2 u1 nosuch',
    'ZSCORE nosuch a',
    'ZRANGE nosuch 0 -1',
    'ZCARD nosuch',
    'ZRANK nosuch a',
  ]);
});

test('only the enabled classes and channels: E with l, K with s, n alone', async () => {
  const got = await sameEvents('El', ['SET a 1', 'LPUSH l a', 'SADD s a', 'RPOP l']);
  // `del` is of class g, not enabled.
  assert.deepEqual(summary(got), ['__keyevent@0__:lpush l', '__keyevent@0__:rpop l']);
  const ks = await sameEvents('Ks', ['SET a 1', 'SADD s a b', 'SREM s x', 'SREM s a']);
  assert.deepEqual(summary(ks), ['__keyspace@0__:s sadd', '__keyspace@0__:s srem']);
  const fresh = await sameEvents('En', ['SET a 1', 'SET a 2', 'SET b 1', 'SELECT 5', 'SET c 1', 'SELECT 0']);
  assert.deepEqual(summary(fresh), ['__keyevent@0__:new a', '__keyevent@0__:new b', '__keyevent@5__:new c']);
});

test('expired events of the active cycle and the evicted event (FlashCache)', async (t) => {
  const srv = await startServer();
  t.after(async () => {
    await srv.stop();
    cleanup(srv.dir);
  });
  const w = await RawClient.connect(srv.port);
  const s = await RawClient.connect(srv.port);
  t.after(() => {
    w.close();
    s.close();
  });
  await w.call('CONFIG', 'SET', 'notify-keyspace-events', 'Exe');
  await s.call('PSUBSCRIBE', '*');
  await w.call('PSETEX', 'gone', '50', 'v');
  assert.match(String(await s.read(5000)), /__keyevent@0__:expired\r\n\$4\r\ngone\r\n$/);
  await w.call('CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru');
  await w.call('SET', 'victim', 'v');
  await w.call('CONFIG', 'SET', 'maxmemory', '1');
  assert.match(String(await s.read(5000)), /__keyevent@0__:evicted\r\n\$6\r\nvictim\r\n$/);
  await w.call('CONFIG', 'SET', 'maxmemory', '0');
  await waitFor(async () => (await w.call('DBSIZE')) === ':0\r\n', 5000, 'the keyspace to be empty');
});

test('notify-keyspace-events as a flag, a config-file line and an environment variable', async (t) => {
  const confDir = tempDir();
  const conf = join(confDir, 'flashcache.conf');
  writeFileSync(conf, 'notify-keyspace-events "Elg"\n');
  const servers = await Promise.all([
    startServer({ args: ['--notify-keyspace-events', 'KEA'] }),
    startServer({ args: [conf] }),
    startServer({ env: { FLASHCACHE_NOTIFY_KEYSPACE_EVENTS: 'Kx' } }),
    startServer({ args: ['--notify-keyspace-events', 'KQ'], expectExit: true }),
  ]);
  t.after(async () => {
    for (const srv of servers.slice(0, 3)) await srv.stop();
    for (const srv of servers) cleanup(srv.dir);
    cleanup(confDir);
  });
  const shown = [];
  for (const srv of servers.slice(0, 3)) {
    const c = await RawClient.connect(srv.port);
    shown.push(await c.call('CONFIG', 'GET', 'notify-keyspace-events'));
    c.close();
  }
  assert.deepEqual(
    shown.map((r) => r!.split('\r\n')[4]),
    ['AKE', 'glE', 'xK'],
  );
  assert.equal(servers[3]!.exitCode, 1);
  assert.match(servers[3]!.stderr + JSON.stringify(servers[3]!.logs), /Invalid event class character/);
});
