/**
 * Durability under SIGKILL: several clients write with `appendfsync always`,
 * the server is killed at a random moment, restarted on the same directory,
 * and every write it acknowledged must be there. Several rounds accumulate on
 * one directory.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { cleanup, startServer, tempDir } from '../helpers/server.js';
import { prng, testSeed } from '../helpers/random.js';

const ROUNDS = 6;
const WRITERS = 4;
const IN_FLIGHT = 8;

interface Expectations {
  /** Unique keys whose SET was acknowledged, with their value. */
  values: Map<string, string>;
  /** Per counter: highest value an INCR returned, and how many INCRs were sent. */
  counters: Map<string, { acked: number; sent: number }>;
  /** Keys whose DEL was acknowledged: must be absent. */
  deleted: Set<string>;
}

/** One writer: keeps IN_FLIGHT commands outstanding until its connection dies. */
async function writer(port: number, id: number, round: number, exp: Expectations): Promise<number> {
  const redis = new Redis({
    port,
    host: '127.0.0.1',
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  redis.on('error', () => {});
  await new Promise<void>((r) => redis.once('ready', () => r()));
  const ctr = `ctr:${id}`;
  if (!exp.counters.has(ctr)) exp.counters.set(ctr, { acked: 0, sent: 0 });
  let n = 0;
  let acked = 0;
  const one = async (): Promise<void> => {
    const i = n++;
    const key = `r${round}:w${id}:${i}`;
    const value = `v${round}.${id}.${i}.${'x'.repeat(i % 50)}`;
    const kind = i % 4;
    if (kind === 3) {
      exp.counters.get(ctr)!.sent++;
      const v = await redis.incr(ctr);
      const c = exp.counters.get(ctr)!;
      c.acked = Math.max(c.acked, v);
    } else if (kind === 2 && i > 8) {
      const victim = `r${round}:w${id}:${i - 8}`;
      await redis.del(victim);
      exp.values.delete(victim);
      exp.deleted.add(victim);
    } else {
      await redis.set(key, value);
      exp.values.set(key, value);
    }
    acked++;
  };
  const lanes = Array.from({ length: IN_FLIGHT }, async () => {
    for (;;) await one();
  });
  await Promise.allSettled(lanes);
  redis.disconnect();
  return acked;
}

test('every acknowledged write survives SIGKILL, round after round on one directory', async () => {
  const seed = testSeed('crash rounds');
  const rand = prng(seed);
  const dir = tempDir();
  const exp: Expectations = { values: new Map(), counters: new Map(), deleted: new Set() };
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const srv = await startServer({ dir });
      // Everything acknowledged in earlier rounds is back.
      const redis = srv.client();
      const keys = [...exp.values.keys()];
      for (let i = 0; i < keys.length; i += 500) {
        const batch = keys.slice(i, i + 500);
        const got = await redis.mget(...batch);
        batch.forEach((k, j) => assert.equal(got[j], exp.values.get(k), `round ${round}: value of ${k}`));
      }
      for (const k of exp.deleted) {
        if (!exp.values.has(k)) assert.equal(await redis.exists(k), 0, `round ${round}: ${k} was deleted`);
      }
      for (const [ctr, c] of exp.counters) {
        const v = Number(await redis.get(ctr));
        assert.ok(v >= c.acked, `round ${round}: ${ctr} = ${v}, acknowledged ${c.acked}`);
        assert.ok(v <= c.sent, `round ${round}: ${ctr} = ${v}, only ${c.sent} INCRs sent`);
        c.acked = v;
        c.sent = v;
      }
      redis.disconnect();
      // Write under load, then kill at a random moment.
      const writers = Array.from({ length: WRITERS }, (_, id) => writer(srv.port, id, round, exp));
      await new Promise((r) => setTimeout(r, 150 + rand() * 600));
      await srv.kill();
      const acked = await Promise.all(writers);
      assert.ok(acked.reduce((a, b) => a + b, 0) > 0, `round ${round}: some writes were acknowledged before the kill`);
    }
    assert.ok(exp.values.size > 100, `checked ${exp.values.size} keys`);
  } finally {
    cleanup(dir);
  }
});
