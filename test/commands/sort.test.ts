/**
 * SORT and SORT_RO against Debian's redis-server 7.0.15: lists, sets and
 * sorted sets sorted as numbers or ALPHA, BY patterns (string keys, hash
 * fields, constant patterns that keep the natural order), LIMIT windows,
 * GET patterns, STORE, errors and WRONGTYPE, byte for byte in RESP2 and
 * RESP3; keyspace events of STORE; COMMAND GETKEYS; a seeded random mix;
 * and SORT ... STORE results that survive SIGKILL (the logged DEL and RPUSH
 * replay to the same lists).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RedisHandle } from '../helpers/redis.js';
import { cleanup, startServer, tempDir } from '../helpers/server.js';
import { RawClient } from '../helpers/resp.js';
import {
  sameReply,
  serverPair,
  sortArray,
  Twin,
  type Command,
  sameInBothProtocols,
  sameEvents,
} from '../helpers/differential.js';
import { prng, testSeed } from '../helpers/random.js';
import { converged, startReplica } from '../replication/helpers.js';

let redis: RedisHandle;
let fcPort: number;
let a: RawClient;
let b: RawClient;
serverPair((p) => {
  ({ redis, a, b } = p);
  fcPort = p.fc.port;
});

/** `~` sorts an array reply: a set's own order is not Redis's to reproduce. */
const normalizers = { '~': sortArray };

/** FLUSHALL, then each command on both servers, in RESP2 and then again in RESP3 on fresh connections. */
async function same(commands: Command[]): Promise<void> {
  await sameInBothProtocols(a, b, [fcPort, redis.port], commands, normalizers);
  await clearErrno();
}

/**
 * Opens and closes a connection to redis-server: its accept loop ends with
 * EAGAIN, which clears the `errno` that sort.c tests after `strtod` without
 * resetting it first, so that an ERANGE from one SORT does not fail the next.
 */
async function clearErrno(): Promise<void> {
  const c = await RawClient.connect(redis.port);
  await c.call('PING');
  c.close();
}

test('SORT of lists, sets and sorted sets: numeric and ALPHA, ASC and DESC, ties by element bytes', () =>
  same([
    ['RPUSH', 'l', '3', '1', '2', '10', '-5', '1.5', '0x10', '1e2', ' 7', '3'],
    'SORT l',
    'SORT l DESC',
    'SORT l ASC DESC ASC',
    'SORT l ALPHA',
    'SORT l ALPHA DESC',
    'SORT_RO l',
    'SORT_RO l DESC ALPHA',
    'RPUSH n 1 01 1.0 +1 -0 0 inf -inf',
    'SORT n',
    'SORT n DESC',
    'SADD s 5 3 9 -1 100',
    'SORT s',
    'SORT s DESC',
    'SADD t b a c aa B',
    'SORT t ALPHA',
    'SORT t ALPHA DESC',
    'SORT t',
    'ZADD z 1 c 2 b 3 a',
    'SORT z ALPHA',
    'SORT z',
    'ZADD zn 3 10 2 20 1 5',
    'SORT zn',
    'SORT zn DESC',
    'SORT nokey',
    'SORT nokey ALPHA DESC LIMIT 0 5',
    'SORT_RO nokey',
    'RPUSH bad 1 x 2',
    'SORT bad',
    'SORT bad ALPHA',
    'RPUSH nan nan',
    'SORT nan',
    ['RPUSH', 'empty', ''],
    'SORT empty',
    'RPUSH infs inf -inf infinity',
    'SORT infs',
    ['RPUSH', 'trail', '12 '],
    'SORT trail',
  ]));

test('SORT weights that overflow or underflow a double fail, as strtod sets ERANGE', async () => {
  await same(['RPUSH big 1 1e400', 'SORT big', 'SORT big ALPHA']);
  await same(['RPUSH tiny 1e-400', 'SORT tiny']);
  await same(['RPUSH l 1', 'SET w_1 1e999', 'SORT l BY w_*']);
  await same(['RPUSH sub 4e-320', 'SORT sub']);
});

test('SORT with ALPHA on binary elements and a NUL byte, with and without STORE', () =>
  same([
    ['RPUSH', 'bin', Buffer.from([0xff]), Buffer.from([0x80, 0x01]), Buffer.from('a\0c'), Buffer.from('a\0b'), 'a'],
    'SORT bin ALPHA',
    'SORT bin ALPHA DESC',
    'SORT bin ALPHA STORE d',
    'LRANGE d 0 -1',
    ['RPUSH', 'nul', Buffer.from('5\0x'), '3'],
    'SORT nul',
  ]));

test('SORT LIMIT: offsets and counts, negative, past the end, zero, and not integers', () =>
  same([
    'RPUSH l 5 4 3 2 1',
    'SORT l LIMIT 0 2',
    'SORT l LIMIT 1 2',
    'SORT l LIMIT 3 10',
    'SORT l LIMIT 5 1',
    'SORT l LIMIT 6 1',
    'SORT l LIMIT 100 -1',
    'SORT l LIMIT -1 2',
    'SORT l LIMIT -10 -10',
    'SORT l LIMIT 0 0',
    'SORT l LIMIT 2 -1',
    'SORT l LIMIT 2 -5',
    'SORT l DESC LIMIT 1 3',
    'SORT l LIMIT 9223372036854775807 9223372036854775807',
    'SORT l LIMIT -9223372036854775808 1',
    'SORT l LIMIT x 1',
    'SORT l LIMIT 1 x',
    'SORT l LIMIT 1',
    'SORT l LIMIT',
    'SORT l LIMIT 1.5 2',
    'SORT l LIMIT 99999999999999999999 1',
    'SORT nokey LIMIT 0 1',
    'SORT nokey LIMIT 1 0',
  ]));

test('SORT BY: string weights, hash fields, missing weights (0, or first with ALPHA), constant patterns', () =>
  same([
    'RPUSH l a b c d e',
    'MSET w_a 3 w_b 1 w_c 2 w_d 2',
    'SORT l BY w_*',
    'SORT l BY w_* DESC',
    'SORT l BY w_* ALPHA',
    'SORT l BY w_* ALPHA DESC',
    'SORT l BY w_* LIMIT 1 2',
    'SORT l BY w_* DESC LIMIT 0 3',
    'HSET h_a f 30 g x',
    'HSET h_b f 10',
    'HSET h_c f 20',
    'HSET h_d f 40',
    'HSET h_e f 5',
    'SORT l BY h_*->f',
    'SORT l BY h_*->f DESC LIMIT 1 3',
    'SORT l BY h_*->g',
    'SORT l BY h_*->g ALPHA',
    'SORT l BY h_*->',
    'SORT l BY nosort',
    'SORT l BY nosort DESC',
    'SORT l BY nosort LIMIT 1 2',
    'SORT l BY nosort DESC LIMIT 1 2',
    'SORT l BY nosort LIMIT 10 2',
    'SORT l BY nosort BY w_*',
    'SORT l BY w_* BY nosort',
    'SORT l BY w_*_suffix',
    'SET w_a_suffix 9',
    'SET w_e_suffix 0',
    'SORT l BY w_*_suffix',
    'SORT l BY #',
    'SORT l BY h_*->f ALPHA',
    'SET w_e notanumber',
    'SORT l BY w_*',
    'SORT l BY w_* ALPHA',
    'LPUSH w_b 1',
    'DEL w_e',
    'SORT l BY w_*',
    'SET h_a str',
    'SORT l BY h_*->f',
    'ZADD z 3 x 1 y 2 w 4 v',
    'SORT z BY nosort',
    'SORT z BY nosort DESC',
    'SORT z BY nosort LIMIT 1 2',
    'SORT z BY nosort DESC LIMIT 1 2',
    'SORT z BY nosort LIMIT 3 100',
    'SORT z BY nosort LIMIT 4 1',
    'SORT z BY nosort LIMIT 0 0',
    'SORT z BY nosort ALPHA',
    'SORT_RO z BY nosort DESC LIMIT 2 1',
    'SADD si 3 1 2',
    'SORT si BY nosort',
    'SORT si BY nosort DESC',
    'SADD ss c a b',
    '~SORT ss BY nosort',
    'SORT ss BY nosort STORE dst',
    'LRANGE dst 0 -1',
    'SORT ss BY nosort DESC STORE dst',
    'LRANGE dst 0 -1',
  ]));

test('SORT GET: #, string keys, hash fields, missing values as nil, repeated, constant patterns', () =>
  same([
    'RPUSH l 2 1 3',
    'MSET o_1 one o_2 two',
    'HSET h_1 name n1',
    'HSET h_3 name n3',
    'SORT l GET #',
    'SORT l GET o_*',
    'SORT l GET o_* GET #',
    'SORT l GET # GET o_* GET h_*->name GET o_*',
    'SORT l GET h_*->name DESC',
    'SORT l GET h_*->nosuchfield',
    'SORT l GET constant',
    'SORT l GET o_* LIMIT 1 1',
    'SORT l BY nosort GET o_*',
    'SORT l BY o_* ALPHA GET o_* GET #',
    'SORT l GET h_*',
    'SORT l GET o_*->name',
    'SORT nokey GET o_*',
    'SORT_RO l GET # GET o_*',
    'SORT l GET',
    'SORT l GET # BY',
  ]));

test('SORT STORE: a list replacing any value and its TTL, deleted when empty, counts with GET', () =>
  same([
    'RPUSH l 3 1 2',
    'SORT l STORE dst',
    'LRANGE dst 0 -1',
    'TYPE dst',
    'SET dst x EX 100',
    'SORT l DESC STORE dst',
    'TTL dst',
    'LRANGE dst 0 -1',
    'SORT l GET # GET o_* STORE dst',
    'LRANGE dst 0 -1',
    'SORT l LIMIT 0 0 STORE dst',
    'EXISTS dst',
    'SORT l LIMIT 0 0 STORE dst',
    'SORT nokey STORE dst',
    'HSET dst f v',
    'SORT l STORE dst STORE dst2',
    'EXISTS dst',
    'LRANGE dst2 0 -1',
    'SORT l STORE l',
    'LRANGE l 0 -1',
    'RPUSH x 1 a',
    'SET keep 1',
    'SORT x STORE keep',
    'GET keep',
    'SORT l ALPHA STORE dst3 LIMIT 1 5',
    'LRANGE dst3 0 -1',
    'SORT_RO l STORE dst',
    'SORT l STORE',
    'ZADD z 2 b 1 a',
    'SORT z BY nosort STORE zd',
    'LRANGE zd 0 -1',
    'SADD s 10 9 x',
    'SORT s ALPHA STORE sd',
    'LRANGE sd 0 -1',
  ]));

test('SORT errors: syntax, WRONGTYPE, arity, and the order in which they are found', () =>
  same([
    'SET str v',
    'HSET h f v',
    'SORT str',
    'SORT h ALPHA',
    'SORT_RO str',
    'SORT str BADOPT',
    'SORT str LIMIT x 1',
    'SORT nokey BADOPT',
    'SORT nokey ALPHA BY',
    'SORT nokey STORE',
    'SORT',
    'SORT_RO',
    'SORT_RO nokey STORE d',
    'SORT nokey asc desc alpha limit 0 1 by x get # store d',
    'RPUSH l 1',
    'SORT str STORE d',
    'EXISTS d',
  ]));

test('COMMAND GETKEYS and GETKEYSANDFLAGS for SORT and SORT_RO', () =>
  same([
    'COMMAND GETKEYS SORT k',
    'COMMAND GETKEYS SORT k STORE d',
    'COMMAND GETKEYS SORT k STORE d BY w_* GET # STORE e',
    'COMMAND GETKEYS SORT k GET store LIMIT 0 1',
    'COMMAND GETKEYS SORT k LIMIT store x STORE z',
    'COMMAND GETKEYSANDFLAGS SORT k BY x STORE d',
    'COMMAND GETKEYS SORT_RO k GET # STORE d',
    'COMMAND GETKEYSANDFLAGS SORT_RO k',
    'COMMAND INFO sort sort_ro',
  ]));

test('keyspace events: sortstore (and new) for STORE, del when the result is empty, as redis-server fires them', async () => {
  const cmds: Command[] = [
    'RPUSH l 2 1',
    'SORT l STORE d',
    'SORT l STORE d',
    'SORT l LIMIT 0 0 STORE d',
    'SORT l LIMIT 0 0 STORE d',
  ];
  // new, rpush; new, sortstore; sortstore; del
  await sameEvents(a, b, [fcPort, redis.port], 'KEAn', cmds, 6);
});

test('WATCH: SORT STORE touches its destination; SORT without STORE touches nothing', async () => {
  await Promise.all([a.call('FLUSHALL'), b.call('FLUSHALL')]);
  const others = await Promise.all([RawClient.connect(fcPort), RawClient.connect(redis.port)]);
  try {
    for (const [i, c] of [a, b].entries()) {
      await c.call('RPUSH', 'l', '1');
      await c.call('WATCH', 'd');
      await c.call('MULTI');
      await c.call('GET', 'd');
      await others[i]!.call('SORT', 'l', 'STORE', 'd');
    }
    await sameReply(a, b, 'EXEC');
    for (const [i, c] of [a, b].entries()) {
      await c.call('WATCH', 'l');
      await c.call('MULTI');
      await c.call('GET', 'd');
      await others[i]!.call('SORT', 'l');
    }
    await sameReply(a, b, 'EXEC');
    await sameReply(a, b, 'MULTI');
    await sameReply(a, b, 'SORT l STORE m');
    await sameReply(a, b, 'SORT l DESC');
    await sameReply(a, b, 'EXEC');
  } finally {
    for (const o of others) o.close();
  }
});

test('SORT STORE serves a client blocked on its destination, as redis-server does', async () => {
  await Promise.all([a.call('FLUSHALL'), b.call('FLUSHALL')]);
  const waiter = await Twin.open(fcPort, redis.port);
  try {
    await sameReply(a, b, 'RPUSH l 3 1 2');
    waiter.send('BLPOP', 'd', '0');
    await new Promise((r) => setTimeout(r, 100));
    await sameReply(a, b, 'SORT l STORE d');
    await waiter.read(1);
    await sameReply(a, b, 'LRANGE d 0 -1');
  } finally {
    waiter.a.close();
    waiter.b.close();
  }
});

test('random lists, sets and sorted sets sorted with random options give the same replies', async () => {
  const seed = testSeed('sort random');
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  await Promise.all([a.call('FLUSHALL'), b.call('FLUSHALL')]);
  const setup: Command[] = [];
  const elems = Array.from({ length: 40 }, (_, i) => String(i * 7 - 60));
  for (let i = 0; i < 30; i++) setup.push(['RPUSH', 'l', pick(elems)]);
  for (let i = 0; i < 25; i++) setup.push(['ZADD', 'z', String(Math.floor(rnd() * 50)), pick(elems)]);
  for (const e of elems) {
    setup.push(['SET', `w_${e}`, String(Math.floor(rnd() * 1e6))]);
    setup.push(['HSET', `h_${e}`, 'f', `v${Math.floor(rnd() * 1e6)}`]);
  }
  for (const c of setup) await sameReply(a, b, c);
  let ran = 0;
  for (let i = 0; i < 300; i++) {
    const args = ['SORT', pick(['l', 'z'])];
    if (rnd() < 0.5) args.push('BY', pick(['w_*', 'nosort', 'h_*->f']));
    if (args.includes('h_*->f') || rnd() < 0.2) args.push('ALPHA');
    if (rnd() < 0.5) args.push(pick(['ASC', 'DESC']));
    if (rnd() < 0.5) args.push('LIMIT', String(Math.floor(rnd() * 40) - 5), String(Math.floor(rnd() * 40) - 5));
    for (let g = Math.floor(rnd() * 3); g > 0; g--) args.push('GET', pick(['#', 'w_*', 'h_*->f', 'none_*']));
    if (rnd() < 0.3) args.push('STORE', 'dst');
    await sameReply(a, b, args);
    if (args.includes('STORE')) await sameReply(a, b, 'LRANGE dst 0 -1');
    ran++;
  }
  assert.equal(ran, 300, `seed ${seed}`);
});

test('SORT ... STORE survives SIGKILL: the logged DEL and RPUSH replay to the same lists', async () => {
  const dir = tempDir();
  try {
    let srv = await startServer({ dir });
    const c = await RawClient.connect(srv.port);
    await c.call('RPUSH', 'src', '5', '3', '9', '1');
    await c.call('MSET', 'w_5', '1', 'w_3', '2', 'w_9', '0', 'w_1', '3');
    await c.call('SET', 'asc', 'old', 'EX', '1000');
    await c.call('SORT', 'src', 'STORE', 'asc');
    await c.call('SORT', 'src', 'BY', 'w_*', 'GET', '#', 'GET', 'w_*', 'STORE', 'byw');
    await c.call('RPUSH', 'gone', 'x');
    await c.call('SORT', 'src', 'LIMIT', '0', '0', 'STORE', 'gone');
    await c.call('MULTI');
    await c.call('SORT', 'src', 'DESC', 'STORE', 'tx');
    await c.call('SORT', 'src', 'DESC', 'STORE', 'tx');
    await c.call('EXEC');
    // The weights change after the STORE: replay must not sort again.
    await c.call('MSET', 'w_5', '100', 'w_9', '-1');
    const keys = ['asc', 'byw', 'tx'];
    const before = await Promise.all(keys.map((k) => c.call('LRANGE', k, '0', '-1')));
    c.close();
    await srv.kill();
    srv = await startServer({ dir });
    const check = await RawClient.connect(srv.port);
    const after = await Promise.all(keys.map((k) => check.call('LRANGE', k, '0', '-1')));
    assert.deepEqual(after, before);
    assert.equal(await check.call('LRANGE', 'asc', '0', '-1'), '*4\r\n$1\r\n1\r\n$1\r\n3\r\n$1\r\n5\r\n$1\r\n9\r\n');
    assert.equal(await check.call('TTL', 'asc'), ':-1\r\n');
    assert.equal(await check.call('EXISTS', 'gone'), ':0\r\n');
    check.close();
    await srv.stop();
  } finally {
    cleanup(dir);
  }
});

test('a replica receives SORT ... STORE as the list it stored, not as a sort to run again', async (t) => {
  const primary = await startServer();
  const replica = await startReplica(primary);
  t.after(async () => {
    for (const s of [replica, primary]) {
      await s.stop();
      cleanup(s.dir);
    }
  });
  const p = primary.client();
  const r = replica.client();
  await p.rpush('src', '5', '3', '9');
  await p.mset('w_5', '2', 'w_3', '1', 'w_9', '3', 'dst', 'old');
  assert.equal(await p.call('SORT', 'src', 'BY', 'w_*', 'GET', '#', 'GET', 'w_*', 'STORE', 'dst'), 6);
  await p.call('MULTI');
  await p.call('SORT', 'src', 'DESC', 'STORE', 'tx');
  await p.call('EXEC');
  await p.mset('w_5', '100');
  await converged(p, r);
  assert.deepEqual(await r.lrange('dst', 0, -1), ['3', '1', '5', '2', '9', '3']);
  assert.deepEqual(await r.lrange('tx', 0, -1), ['9', '5', '3']);
  assert.deepEqual(await r.lrange('dst', 0, -1), await p.lrange('dst', 0, -1));
});
