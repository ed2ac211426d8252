/**
 * Durability of collections under SIGKILL: writers push to lists, set hash
 * fields, add and remove set members and sorted-set members with
 * `appendfsync always`; the server is killed at a random moment, with or
 * without a snapshot taken during the load, restarted on the same
 * directory, and every acknowledged mutation must be there (and no removal
 * acknowledged may be undone).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { cleanup, startServer, tempDir } from '../helpers/server.js';
import { prng, testSeed } from '../helpers/random.js';

const ROUNDS = 4;
const WRITERS = 3;
const IN_FLIGHT = 8;

/** What one writer had acknowledged, all rounds together. */
interface Acked {
  /** Elements whose RPUSH was acknowledged, in push order. */
  pushed: string[];
  /** Elements sent with RPUSH (acknowledged or not). */
  sent: Set<string>;
  /** Hash fields set, with their value. */
  fields: Map<string, string>;
  /** Set members added and not removed, and removed ones. */
  members: Set<string>;
  removed: Set<string>;
  /** Sorted-set members and scores. */
  scores: Map<string, number>;
}

async function writer(port: number, id: number, round: number, a: Acked): Promise<number> {
  const redis = new Redis({
    port,
    host: '127.0.0.1',
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  redis.on('error', () => {});
  await new Promise<void>((r) => redis.once('ready', () => r()));
  let n = 0;
  let acked = 0;
  const one = async (): Promise<void> => {
    const i = n++;
    const tag = `r${round}.${i}`;
    switch (i % 5) {
      case 0:
        a.sent.add(tag);
        await redis.rpush(`list:${id}`, tag);
        a.pushed.push(tag);
        break;
      case 1:
        await redis.hset(`hash:${id}`, `f${i % 300}`, tag);
        a.fields.set(`f${i % 300}`, tag);
        break;
      case 2:
        await redis.sadd(`set:${id}`, tag);
        a.members.add(tag);
        break;
      case 3:
        // Scores grow across rounds too: an unacknowledged later write may land, never an earlier one.
        await redis.zadd(`zset:${id}`, round * 1_000_000 + i, `m${i % 200}`);
        a.scores.set(`m${i % 200}`, round * 1_000_000 + i);
        break;
      case 4: {
        const victim = `r${round}.${i - 8}`;
        if (!a.members.has(victim)) break;
        await redis.srem(`set:${id}`, victim);
        a.members.delete(victim);
        a.removed.add(victim);
        break;
      }
    }
    acked++;
  };
  // Lanes of one connection run in order, so acknowledgements come in send order.
  const lanes = Array.from({ length: IN_FLIGHT }, async () => {
    for (;;) await one();
  });
  await Promise.allSettled(lanes);
  redis.disconnect();
  return acked;
}

/** Whether tag `a` (`r<round>.<i>`) was written after tag `b`. */
function later(a: string, b: string): boolean {
  const [ra, ia] = a.slice(1).split('.').map(Number) as [number, number];
  const [rb, ib] = b.slice(1).split('.').map(Number) as [number, number];
  return ra > rb || (ra === rb && ia > ib);
}

async function check(redis: Redis, id: number, a: Acked, round: number): Promise<void> {
  const list = await redis.lrange(`list:${id}`, 0, -1);
  // Every acknowledged push, in order; anything else is a push that was sent.
  let k = 0;
  for (const el of list) {
    assert.ok(a.sent.has(el), `round ${round}: list:${id} holds ${el}, never sent`);
    if (k < a.pushed.length && el === a.pushed[k]) k++;
  }
  assert.equal(k, a.pushed.length, `round ${round}: list:${id} lost acknowledged push ${a.pushed[k]}`);
  a.pushed = list;
  const hash = (await redis.call('HGETALL', `hash:${id}`)) as string[];
  const got = new Map<string, string>();
  for (let i = 0; i < hash.length; i += 2) got.set(hash[i]!, hash[i + 1]!);
  for (const [f, v] of a.fields) {
    // A later unacknowledged HSET of the same field may have landed: same round, higher tag.
    const have = got.get(f);
    assert.ok(have !== undefined, `round ${round}: hash:${id} lost field ${f}`);
    if (have !== v) assert.ok(later(have, v), `round ${round}: hash:${id} ${f} = ${have}, acknowledged ${v}`);
    a.fields.set(f, have);
  }
  const members = new Set(await redis.smembers(`set:${id}`));
  for (const m of a.members) assert.ok(members.has(m), `round ${round}: set:${id} lost ${m}`);
  for (const m of a.removed) assert.ok(!members.has(m), `round ${round}: set:${id} got back removed ${m}`);
  a.members = members;
  for (const [m, s] of a.scores) {
    const score = Number(await redis.zscore(`zset:${id}`, m));
    assert.ok(score >= s, `round ${round}: zset:${id} ${m} = ${score}, acknowledged ${s}`);
    a.scores.set(m, score);
  }
}

for (const withSnapshot of [false, true]) {
  test(`every acknowledged collection mutation survives SIGKILL (${withSnapshot ? 'snapshots during the load' : 'WAL only'})`, async () => {
    const seed = testSeed(`collections crash ${withSnapshot}`);
    const rand = prng(seed);
    const dir = tempDir();
    const acked: Acked[] = Array.from({ length: WRITERS }, () => ({
      pushed: [],
      sent: new Set(),
      fields: new Map(),
      members: new Set(),
      removed: new Set(),
      scores: new Map(),
    }));
    try {
      for (let round = 0; round < ROUNDS; round++) {
        const srv = await startServer({ dir });
        const redis = srv.client();
        for (let id = 0; id < WRITERS; id++) await check(redis, id, acked[id]!, round);
        const writers = Array.from({ length: WRITERS }, (_, id) => writer(srv.port, id, round, acked[id]!));
        if (withSnapshot) {
          await new Promise((r) => setTimeout(r, 100 + rand() * 200));
          await redis.bgsave();
        }
        await new Promise((r) => setTimeout(r, 150 + rand() * 500));
        await srv.kill();
        redis.disconnect();
        const counts = await Promise.all(writers);
        assert.ok(counts.reduce((x, y) => x + y, 0) > 0, `round ${round}: writes were acknowledged before the kill`);
      }
      const srv = await startServer({ dir });
      const redis = srv.client();
      for (let id = 0; id < WRITERS; id++) await check(redis, id, acked[id]!, ROUNDS);
      assert.ok(acked[0]!.pushed.length > 50, `checked ${acked[0]!.pushed.length} pushes of writer 0`);
      await srv.stop();
    } finally {
      cleanup(dir);
    }
  });
}
