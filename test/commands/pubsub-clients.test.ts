/**
 * Real client libraries against FlashCache and redis-server 7.0.15 in the
 * same test: ioredis 6 (RESP3 by default, and RESP2) and node-redis 5 (RESP2
 * and RESP3) subscribe, receive messages through their events and listeners,
 * and run pipelines, transactions and auto-pipelining. Each scenario runs
 * against both servers; the results must be equal, and as expected.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { startRedis, type RedisHandle } from '../helpers/redis.js';
import { cleanup, startServer, waitFor, type ServerHandle } from '../helpers/server.js';

let fc: ServerHandle;
let redis: RedisHandle;

before(async () => {
  [fc, redis] = await Promise.all([startServer(), startRedis()]);
});

after(async () => {
  await Promise.all([fc.stop(), redis.stop()]);
  cleanup(fc.dir);
});

/** Bytes no text decoding keeps: NUL, CR LF, a lone 0xff. */
const BINARY = Buffer.from([0, 0xff, 13, 10, 0x80, 0x41]);

/**
 * Runs `scenario` against FlashCache, then redis-server, and asserts that
 * both produced the same record.
 *
 * @returns FlashCache's record
 */
async function onBoth<T>(scenario: (port: number) => Promise<T>): Promise<T> {
  const mine = await scenario(fc.port);
  const theirs = await scenario(redis.port);
  assert.deepEqual(mine, theirs);
  return mine;
}

/** An error's message, or the value: so that a rejected call is part of the record. */
const settle = <T>(p: Promise<T>): Promise<T | string> =>
  p.then(
    (v) => v,
    (e: Error) => `error: ${e.message}`,
  );

/** An ioredis client on `port`, disconnected by the caller. */
function ioredis(port: number, opts: Record<string, unknown> = {}): Redis {
  const c = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1, commandTimeout: 20_000, ...opts });
  c.on('error', () => {});
  return c;
}

for (const protocol of [3, 2] as const) {
  // RESP3 is ioredis 6's default: only RESP2 is asked for.
  const proto = protocol === 3 ? {} : { protocol };
  test(`ioredis 6, RESP${protocol}: (p|s)subscribe; message, pmessage, smessage and Buffer events`, async () => {
    const record = await onBoth(async (port) => {
      const pub = ioredis(port, proto);
      const sub = ioredis(port, proto);
      try {
        await pub.flushall();
        await pub.set('k', 'v');
        const out: Record<string, unknown> = {};
        out.resp = /resp=(\d)/.exec(String(await sub.client('INFO')))?.[1];
        const log: unknown[][] = [];
        sub.on('message', (ch: string, m: string) => log.push(['message', ch, m]));
        sub.on('messageBuffer', (ch: Buffer, m: Buffer) =>
          log.push(['messageBuffer', ch.toString('hex'), m.toString('hex')]),
        );
        sub.on('pmessage', (p: string, ch: string, m: string) => log.push(['pmessage', p, ch, m]));
        sub.on('pmessageBuffer', (p: Buffer, ch: Buffer, m: Buffer) =>
          log.push(['pmessageBuffer', p.toString(), ch.toString('hex'), m.toString('hex')]),
        );
        sub.on('smessage', (ch: string, m: string) => log.push(['smessage', ch, m]));
        out.subscribe = await sub.subscribe('news', 'sports');
        out.psubscribe = await sub.psubscribe('n*');
        out.ssubscribe = await sub.ssubscribe('shard');
        out.published = [
          await pub.publish('news', 'hello'),
          await pub.publish('nb', BINARY),
          await pub.spublish('shard', 'sharded'),
          await pub.publish('sports', ''),
          await pub.publish('nobody', 'x'),
          await pub.publish('other', 'x'),
        ];
        await waitFor(() => log.length >= 11, 10_000, 'the messages');
        // RESP3 has no subscriber mode: the same connection runs GET; in RESP2 ioredis refuses it itself.
        out.getWhileSubscribed = await settle(sub.get('k'));
        out.numsub = await pub.pubsub('NUMSUB', 'news', 'sports');
        out.numpat = await pub.pubsub('NUMPAT');
        out.unsubscribe = await sub.unsubscribe('news');
        // Named: ioredis 6 waits for ever on a PUNSUBSCRIBE without arguments while channels remain,
        // against either server.
        out.punsubscribe = await sub.punsubscribe('n*');
        out.sunsubscribe = await sub.sunsubscribe();
        out.after = await pub.publish('news', 'late');
        out.log = log;
        return out;
      } finally {
        pub.disconnect();
        sub.disconnect();
      }
    });
    assert.equal(record.resp, String(protocol));
    assert.equal(record.subscribe, 2);
    assert.equal(record.psubscribe, 3);
    assert.equal(record.ssubscribe, 1);
    assert.deepEqual(record.published, [2, 1, 1, 1, 1, 0]);
    assert.equal(
      record.getWhileSubscribed,
      protocol === 3 ? 'v' : 'error: Connection in subscriber mode, only subscriber commands may be used',
    );
    assert.deepEqual(record.numsub, ['news', 1, 'sports', 1]);
    assert.equal(record.numpat, 1);
    assert.deepEqual([record.unsubscribe, record.punsubscribe, record.sunsubscribe], [2, 1, 0]);
    assert.equal(record.after, 0);
    const log = record.log as unknown[][];
    assert.deepEqual(log.slice(0, 4), [
      ['message', 'news', 'hello'],
      ['messageBuffer', Buffer.from('news').toString('hex'), Buffer.from('hello').toString('hex')],
      ['pmessage', 'n*', 'news', 'hello'],
      ['pmessageBuffer', 'n*', Buffer.from('news').toString('hex'), Buffer.from('hello').toString('hex')],
    ]);
    assert.deepEqual(log[5], ['pmessageBuffer', 'n*', Buffer.from('nb').toString('hex'), BINARY.toString('hex')]);
    assert.deepEqual(log[6], ['smessage', 'shard', 'sharded']);
  });

  test(`ioredis 6, RESP${protocol}: pipelines, MULTI/EXEC, WATCH and autoPipelining`, async () => {
    const record = await onBoth(async (port) => {
      const c = ioredis(port, proto);
      const other = ioredis(port, proto);
      const auto = ioredis(port, { ...proto, enableAutoPipelining: true });
      const results = (r: [Error | null, unknown][] | null): unknown =>
        r === null ? null : r.map(([e, v]) => (e ? `error: ${e.message}` : v));
      try {
        await c.flushall();
        const out: Record<string, unknown> = {};
        out.pipeline = results(
          await c.pipeline().set('k', 'v').get('k').incr('k').lpush('l', 'a', 'b').lrange('l', 0, -1).exec(),
        );
        out.pipelineBinary = results(await c.pipeline().set(BINARY, BINARY).getBuffer(BINARY).exec());
        out.multi = results(await c.multi().set('n', '1').incr('n').get('n').hset('h', 'f', 'v').hgetall('h').exec());
        out.multiRuntimeError = results(await c.multi().set('s', 'x').incr('s').get('s').exec());
        out.multiQueueError = await settle(c.multi().set('a', 'b').call('SET', 'only-key').exec());
        await c.watch('w');
        await other.set('w', 'changed');
        out.watched = results(await c.multi().set('w', 'mine').exec());
        out.w = await c.get('w');
        const calls: Promise<unknown>[] = [];
        for (let i = 0; i < 400; i++) calls.push(i % 2 === 0 ? auto.incr('counter') : auto.set(`key:${i}`, String(i)));
        const replies = await Promise.all(calls);
        out.autoIncrs = replies.filter((_, i) => i % 2 === 0);
        out.autoSets = new Set(replies.filter((_, i) => i % 2 === 1)).size;
        out.autoRead = await Promise.all([auto.get('key:399'), auto.get('counter'), auto.dbsize()]);
        return out;
      } finally {
        c.disconnect();
        other.disconnect();
        auto.disconnect();
      }
    });
    assert.deepEqual(record.pipeline, ['OK', 'v', 'error: ERR value is not an integer or out of range', 2, ['b', 'a']]);
    assert.deepEqual(record.pipelineBinary, ['OK', BINARY]);
    assert.deepEqual(record.multi, ['OK', 2, '2', 1, { f: 'v' }]);
    assert.deepEqual(record.multiRuntimeError, ['OK', 'error: ERR value is not an integer or out of range', 'x']);
    assert.match(String(record.multiQueueError), /^error: EXECABORT Transaction discarded because of previous errors/);
    assert.equal(record.watched, null);
    assert.equal(record.w, 'changed');
    assert.deepEqual(
      record.autoIncrs,
      Array.from({ length: 200 }, (_, i) => i + 1),
    );
    assert.equal(record.autoSets, 1);
    // k, l, the binary key, n, h, s, w, counter and 200 key:i.
    assert.deepEqual(record.autoRead, ['399', '200', 208]);
  });
}

for (const RESP of [2, 3] as const) {
  test(`node-redis 5, RESP${RESP}: subscribe, pSubscribe, sSubscribe listeners, Buffer mode, duplicate()`, async () => {
    const record = await onBoth(async (port) => {
      const client = createClient({ socket: { port, host: '127.0.0.1', reconnectStrategy: false }, RESP });
      client.on('error', () => {});
      await client.connect();
      const sub = client.duplicate();
      sub.on('error', () => {});
      await sub.connect();
      try {
        await client.flushAll();
        await client.set('k', 'v');
        const log: unknown[][] = [];
        await sub.subscribe(['news', 'sports'], (m, ch) => log.push(['news|sports', ch, m]));
        await sub.subscribe('bin', (m, ch) => log.push(['bin', ch.toString('hex'), m.toString('hex')]), true);
        await sub.pSubscribe('n*', (m, ch) => log.push(['n*', ch, m]));
        await sub.sSubscribe('shard', (m, ch) => log.push(['shard', ch, m]));
        const out: Record<string, unknown> = {};
        out.published = [
          await client.publish('news', 'hello'),
          await client.publish('bin', BINARY),
          await client.sPublish('shard', 'sharded'),
          await client.publish('other', 'x'),
        ];
        await waitFor(() => log.length >= 4, 10_000, 'the messages');
        // A connection that subscribed runs other commands in RESP3 only.
        out.getWhileSubscribed = await settle(sub.get('k'));
        out.numsub = { ...(await client.pubSubNumSub(['news', 'bin', 'shard'])) };
        out.shardNumsub = { ...(await client.pubSubShardNumSub(['shard'])) };
        out.numpat = await client.pubSubNumPat();
        out.channels = (await client.pubSubChannels()).sort();
        await sub.unsubscribe('news');
        out.afterUnsubscribe = await client.publish('news', 'x');
        // Named: node-redis 5 waits for ever on pUnsubscribe() without arguments while channels
        // remain, against either server.
        await sub.pUnsubscribe('n*');
        await sub.sUnsubscribe('shard');
        out.afterAll = [await client.publish('news', 'x'), await client.sPublish('shard', 'x')];
        await waitFor(() => log.length >= 5, 10_000, 'the last message');
        out.log = log;
        return out;
      } finally {
        await sub.close();
        await client.close();
      }
    });
    assert.deepEqual(record.published, [2, 1, 1, 0]);
    assert.equal(
      record.getWhileSubscribed,
      RESP === 3
        ? 'v'
        : "error: ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET " +
            'are allowed in this context',
    );
    assert.deepEqual(record.numsub, { news: 1, bin: 1, shard: 0 });
    assert.deepEqual(record.shardNumsub, { shard: 1 });
    assert.equal(record.numpat, 1);
    assert.deepEqual(record.channels, ['bin', 'news', 'sports']);
    assert.equal(record.afterUnsubscribe, 1);
    assert.deepEqual(record.afterAll, [0, 0]);
    assert.deepEqual(record.log, [
      ['news|sports', 'news', 'hello'],
      ['n*', 'news', 'hello'],
      ['bin', Buffer.from('bin').toString('hex'), BINARY.toString('hex')],
      ['shard', 'shard', 'sharded'],
      ['n*', 'news', 'x'],
    ]);
  });

  test(`node-redis 5, RESP${RESP}: multi().execAsPipeline(), multi().exec(), WATCH, implicit pipelining`, async () => {
    const record = await onBoth(async (port) => {
      const client = createClient({ socket: { port, host: '127.0.0.1', reconnectStrategy: false }, RESP });
      client.on('error', () => {});
      await client.connect();
      const other = client.duplicate();
      other.on('error', () => {});
      await other.connect();
      const show = (r: unknown): unknown =>
        Array.isArray(r) ? r.map((x) => (x instanceof Error ? `error: ${x.message}` : x)) : r;
      // A transaction or pipeline with a failed command rejects with every reply (MultiErrorReply).
      const outcome = (p: Promise<unknown>): Promise<unknown> =>
        p.then(show, (e: Error & { replies?: unknown[] }) =>
          e.replies === undefined ? `error: ${e.message}` : { rejected: show(e.replies) },
        );
      try {
        await client.flushAll();
        const out: Record<string, unknown> = {};
        out.pipeline = show(
          await client
            .multi()
            .set('k', 'v')
            .get('k')
            .incr('n')
            .rPush('l', ['a', 'b'])
            .hSet('h', 'f', 'v')
            .execAsPipeline(),
        );
        out.pipelineWithError = await outcome(client.multi().incr('k').get('k').execAsPipeline());
        out.exec = show(await client.multi().set('k', 'v2').get('k').incr('n').lRange('l', 0, -1).exec());
        out.execRuntimeError = await outcome(client.multi().set('s', 'x').incr('s').get('s').exec());
        out.hgetall = await client.hGetAll('h');
        await client.watch('w');
        await other.set('w', 'changed');
        out.watched = await settle(client.multi().set('w', 'mine').exec());
        out.w = await client.get('w');
        const calls: Promise<unknown>[] = [];
        for (let i = 0; i < 300; i++) calls.push(i % 3 === 0 ? client.incr('c') : client.set(`k${i}`, String(i)));
        const replies = await Promise.all(calls);
        out.implicitIncrs = replies.filter((_, i) => i % 3 === 0);
        out.dbsize = await client.dbSize();
        return out;
      } finally {
        await other.close();
        await client.close();
      }
    });
    assert.deepEqual(record.pipeline, ['OK', 'v', 1, 2, 1]);
    const notInteger = 'error: ERR value is not an integer or out of range';
    // execAsPipeline rejects with the first error; EXEC with every reply.
    assert.equal(record.pipelineWithError, notInteger);
    assert.deepEqual(record.exec, ['OK', 'v2', 2, ['a', 'b']]);
    assert.deepEqual(record.execRuntimeError, { rejected: ['OK', notInteger, 'x'] });
    assert.deepEqual({ ...(record.hgetall as object) }, { f: 'v' });
    assert.match(String(record.watched), /^error: .*/);
    assert.equal(record.w, 'changed');
    assert.deepEqual(
      record.implicitIncrs,
      Array.from({ length: 100 }, (_, i) => i + 1),
    );
    // k, n, l, h, s, w, c and 200 k<i>.
    assert.equal(record.dbsize, 207);
  });
}
