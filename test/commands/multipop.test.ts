/**
 * LMPOP, BLMPOP, BZPOPMIN, BZPOPMAX and BZMPOP against Debian's redis-server
 * 7.0.15: immediate pops and every argument error byte for byte in RESP2 and
 * RESP3; blocked clients served by a later write, compared reply for reply
 * with redis-server's served clients; timeouts; keyspace events; the WAL
 * effects of served pops; and a served pop surviving SIGKILL.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RedisHandle } from '../helpers/redis.js';
import { cleanup, startServer, tempDir, waitFor, type ServerHandle } from '../helpers/server.js';
import { RawClient } from '../helpers/resp.js';
import { sameReply, serverPair, type Command, sameInBothProtocols, sameEvents } from '../helpers/differential.js';

let fc: ServerHandle;
let redis: RedisHandle;
let a: RawClient;
let b: RawClient;
serverPair((p) => ({ fc, redis, a, b } = p));

/** FLUSHALL, then each command on both servers, in RESP2 and then again in RESP3 on fresh connections. */
async function same(commands: Command[]): Promise<void> {
  await sameInBothProtocols(a, b, [fc.port, redis.port], commands);
}

const LMPOP_CASES: Command[] = [
  'RPUSH l1 a b c d e',
  'RPUSH l2 x',
  'LMPOP 2 nokey l1 LEFT',
  'LMPOP 2 nokey l1 RIGHT COUNT 2',
  'LMPOP 1 l1 left count 10',
  'EXISTS l1',
  'LMPOP 2 l1 l2 RIGHT',
  'LMPOP 1 l2 LEFT',
  'LMPOP 1 nokey LEFT',
  'SET s v',
  'LMPOP 2 s l2 LEFT',
  'LMPOP 2 nokey s LEFT',
  'LMPOP 0 l1 LEFT',
  'LMPOP -1 l1 LEFT',
  'LMPOP x l1 LEFT',
  'LMPOP 3 l1 LEFT',
  'LMPOP 1 l1 UP',
  'LMPOP 1 l1 LEFT COUNT',
  'LMPOP 1 l1 LEFT COUNT 0',
  'LMPOP 1 l1 LEFT COUNT -1',
  'LMPOP 1 l1 LEFT COUNT x',
  'LMPOP 1 l1 LEFT COUNT 1 COUNT 1',
  'LMPOP 1 l1 LEFT FOO',
  'LMPOP 1 l1',
  'LMPOP 9223372036854775807 l1 LEFT',
  'RPUSH l3 1 2 3',
  'BLMPOP 0 2 nokey l3 LEFT COUNT 2',
  'BLMPOP 0.01 1 l3 RIGHT',
  'BLMPOP 0.01 1 nokey RIGHT',
  'BLMPOP x 1 l3 LEFT',
  'BLMPOP -1 1 l3 LEFT',
  'BLMPOP x 0 l3 LEFT',
  'BLMPOP x 1 l3 UP',
  'BLMPOP x 1 l3 LEFT COUNT 0',
  'BLMPOP 0 2 s l3 LEFT',
  'BLMPOP 0 1 l3',
  'MULTI',
  'BLMPOP 0 1 nokey LEFT',
  'EXEC',
];

test('LMPOP and BLMPOP: pops, shapes, and every argument error, RESP2 and RESP3', () => same(LMPOP_CASES));

test('BZPOPMIN, BZPOPMAX and BZMPOP: pops, shapes, and every argument error, RESP2 and RESP3', () =>
  same([
    'ZADD z1 1 a 2 b 3 c -inf m inf n',
    'ZADD z2 1.5 x',
    'BZPOPMIN nokey z1 0',
    'BZPOPMAX nokey z1 0',
    'BZPOPMIN z2 z1 0.01',
    'EXISTS z2',
    'BZPOPMIN nokey 0.01',
    'BZPOPMIN z1 x',
    'BZPOPMIN z1 -1',
    'BZPOPMIN z1 inf',
    'SET s v',
    'BZPOPMAX s z1 0',
    'BZPOPMAX nokey s 0',
    'BZMPOP 0 2 nokey z1 MIN',
    'BZMPOP 0 1 z1 max COUNT 10',
    'EXISTS z1',
    'ZADD z3 1 a 2 b 3 c',
    'BZMPOP 0.01 1 nokey MIN',
    'BZMPOP 0 2 s z3 MIN',
    'BZMPOP 0 1 z3 MIN COUNT 0',
    'BZMPOP 0 1 z3 MIN COUNT x',
    'BZMPOP 0 1 z3 MIN COUNT 1 COUNT 1',
    'BZMPOP 0 0 z3 MIN',
    'BZMPOP 0 2 z3 MIN',
    'BZMPOP 0 1 z3 UP',
    'BZMPOP x 1 z3 UP',
    'BZMPOP x 1 z3 MIN',
    'BZMPOP -1 1 z3 MIN',
    'BZMPOP 0 1 z3 MAX',
    'ZMPOP 1 z3 MIN COUNT 5',
    'MULTI',
    'BZPOPMIN nokey 0',
    'BZMPOP 0 1 nokey MIN',
    'EXEC',
  ]));

/** Whether both servers report `n` blocked clients. */
async function blocked(n: number): Promise<void> {
  await waitFor(
    async () => {
      const [ia, ib] = await Promise.all([a.call('INFO', 'clients'), b.call('INFO', 'clients')]);
      return ia!.includes(`blocked_clients:${n}\r\n`) && ib!.includes(`blocked_clients:${n}\r\n`);
    },
    5000,
    `${n} blocked clients on both servers`,
  );
}

/**
 * Blocks one raw client per server with each of `blocks` (in order, each
 * waiting before the next starts), runs `wake` on both servers, and asserts
 * that every waiter got the same reply on both; returns FlashCache's replies.
 */
async function servedSame(blocks: string[], wake: Command[], resp: 2 | 3 = 2): Promise<string[]> {
  await Promise.all([a.call('FLUSHALL'), b.call('FLUSHALL')]);
  const pairs: [RawClient, RawClient][] = [];
  try {
    for (const cmd of blocks) {
      const pair = await Promise.all([RawClient.connect(fc.port), RawClient.connect(redis.port)]);
      pairs.push(pair);
      if (resp === 3) await Promise.all(pair.map((r) => r.call('HELLO', '3')));
      for (const r of pair) r.send(...cmd.split(' '));
      await blocked(pairs.length);
    }
    for (const w of wake) await sameReply(a, b, w);
    const out: string[] = [];
    for (const [i, [wa, wb]] of pairs.entries()) {
      const [ra, rb] = await Promise.all([wa.read(5000), wb.read(5000)]);
      assert.equal(ra, rb, `served reply to ${blocks[i]}`);
      out.push(ra!);
    }
    return out;
  } finally {
    for (const p of pairs) for (const r of p) r.close();
  }
}

test('blocked BLMPOP clients are served by a later push, first blocked first, with redis-server 7.0.15 replies', async () => {
  const replies = await servedSame(
    ['BLMPOP 0 2 q1 q2 LEFT COUNT 2', 'BLMPOP 0 1 q2 RIGHT COUNT 5', 'BLMPOP 0 1 q2 LEFT'],
    ['RPUSH q2 a b c d', 'LRANGE q2 0 -1', 'RPUSH q2 e', 'EXISTS q2'],
  );
  assert.equal(replies[0], '*2\r\n$2\r\nq2\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n');
  await servedSame(['BLMPOP 0 2 q1 q2 RIGHT COUNT 3'], ['LPUSH q1 x y'], 3);
});

test('blocked BZPOPMIN, BZPOPMAX and BZMPOP clients are served by a later ZADD, RESP2 and RESP3', async () => {
  for (const resp of [2, 3] as const) {
    const replies = await servedSame(
      ['BZPOPMIN z1 z2 0', 'BZPOPMAX z2 0', 'BZMPOP 0 2 z1 z2 MAX COUNT 2', 'BZMPOP 0 1 z2 MIN'],
      ['ZADD z2 1 a 2 b 3 c 4.5 d 5 e', 'ZRANGE z2 0 -1 WITHSCORES', 'EXISTS z2'],
      resp,
    );
    assert.equal(replies.length, 4);
  }
  // A key of another type, or one emptied meanwhile, keeps the client waiting.
  await servedSame(['BZPOPMIN zz 0'], ['SET zz v', 'DEL zz', 'ZADD zz 7 m'], 3);
});

test('blocking multi-pops time out with a null array and blocked_clients returns to 0', async () => {
  for (const cmd of [
    'BLMPOP 0.05 1 none LEFT',
    'BZPOPMIN none 0.05',
    'BZPOPMAX none none2 0.05',
    'BZMPOP 0.05 1 none MIN',
  ]) {
    const t0 = Date.now();
    await sameReply(a, b, cmd);
    assert.ok(Date.now() - t0 >= 45, `${cmd} waited`);
  }
  assert.match((await a.call('INFO', 'clients'))!, /blocked_clients:0\r\n/);
});

test('keyspace events of multi-pops: lpop/rpop and del for lists, zpopmin/zpopmax and del for sorted sets', async () => {
  const cmds: Command[] = [
    'RPUSH l a b',
    'LMPOP 1 l RIGHT',
    'LMPOP 1 l LEFT COUNT 3',
    'ZADD z 1 a 2 b',
    'BZPOPMAX z 0',
    'BZMPOP 0 1 z MIN',
  ];
  // rpush, rpop, lpop+del, zadd, zpopmax, zpopmin+del
  const ea = await sameEvents(a, b, [fc.port, redis.port], 'KEA', cmds, 8);
  assert.ok(ea.some((e) => e.includes('zpopmax')));
});

test('served BLMPOP and BZMPOP survive SIGKILL: their pops are in the WAL before the replies', async () => {
  const dir = tempDir();
  try {
    let srv = await startServer({ dir });
    const producer = await RawClient.connect(srv.port);
    const waiter = await RawClient.connect(srv.port);
    const isBlocked = async (): Promise<boolean> =>
      (await producer.call('INFO', 'clients'))!.includes('blocked_clients:1');
    waiter.send('BLMPOP', '0', '1', 'kq', 'LEFT', 'COUNT', '2');
    await waitFor(isBlocked, 5000, 'BLMPOP to block');
    await producer.call('RPUSH', 'kq', 'k1', 'k2', 'k3');
    assert.equal(await waiter.read(), '*2\r\n$2\r\nkq\r\n*2\r\n$2\r\nk1\r\n$2\r\nk2\r\n');
    waiter.send('BZMPOP', '0', '1', 'kz', 'MAX');
    await waitFor(isBlocked, 5000, 'BZMPOP to block');
    await producer.call('ZADD', 'kz', '1', 'a', '2', 'b');
    assert.equal(await waiter.read(), '*2\r\n$2\r\nkz\r\n*1\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n');
    producer.close();
    waiter.close();
    await srv.kill();
    srv = await startServer({ dir });
    const check = await RawClient.connect(srv.port);
    assert.equal(await check.call('LRANGE', 'kq', '0', '-1'), '*1\r\n$2\r\nk3\r\n');
    assert.equal(await check.call('ZRANGE', 'kz', '0', '-1'), '*1\r\n$1\r\na\r\n');
    check.close();
    await srv.stop();
  } finally {
    cleanup(dir);
  }
});
