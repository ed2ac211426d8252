/**
 * A subscriber that never reads, against FlashCache and redis-server 7.0.15
 * alike: the `pubsub` class of `client-output-buffer-limit` (set small with
 * CONFIG SET) drops it at the hard limit at once, and at the soft limit once
 * it has stayed above it for the soft seconds; publishers keep being answered
 * promptly throughout, and the memory the server holds for it stays bounded.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { startRedis, type RedisHandle } from '../helpers/redis.js';
import { RawClient } from '../helpers/resp.js';
import { cleanup, startServer, type ServerHandle } from '../helpers/server.js';

let fc: ServerHandle;
let redis: RedisHandle;

before(async () => {
  [fc, redis] = await Promise.all([startServer(), startRedis()]);
});

after(async () => {
  await Promise.all([fc.stop(), redis.stop()]);
  cleanup(fc.dir);
});

/**
 * Longest a PUBLISH may take while a subscriber stalls: far below the soft
 * seconds, far above the noise of a loaded 2-core VM.
 */
const PROMPT_MS = 250;

/** What happened to one stalled subscriber. */
interface Outcome {
  /** The server closed it (PUBLISH started answering 0). */
  dropped: boolean;
  /** PUBLISH calls that reached it. */
  delivered: number;
  /** Longest PUBLISH round trip, ms. */
  maxWaitMs: number;
  /** From the first PUBLISH to the first that found no subscriber, ms. */
  msToDrop: number;
  /** Largest `omem` CLIENT LIST showed for it. */
  maxOmem: number;
  /** The subscriber's connection, paused (not reading) until the caller resumes it. */
  sub: RawClient;
}

/**
 * Subscribes a connection to `channel` on `port`, stops reading from it,
 * and publishes `message` to it from another connection, one PUBLISH at a
 * time (paced by `intervalMs`), until it is dropped, `until` holds (looked
 * at every 8 messages, with `maxOmem`) or `forMs` pass.
 */
async function stall(
  port: number,
  limit: string,
  message: Buffer,
  opts: { forMs: number; intervalMs?: number; channel?: string; until?: (o: Outcome) => boolean },
): Promise<Outcome> {
  const channel = opts.channel ?? 'slow';
  const admin = await RawClient.connect(port);
  const pub = await RawClient.connect(port);
  const sub = await RawClient.connect(port);
  try {
    assert.equal(await admin.call('CONFIG', 'SET', 'client-output-buffer-limit', limit), '+OK\r\n');
    assert.equal(await sub.call('CLIENT', 'SETNAME', 'stalled'), '+OK\r\n');
    assert.match((await sub.call('SUBSCRIBE', channel))!, /subscribe/);
    sub.socket.pause();
    const out: Outcome = { dropped: false, delivered: 0, maxWaitMs: 0, msToDrop: 0, maxOmem: 0, sub };
    const start = performance.now();
    let n = 0;
    while (performance.now() - start < opts.forMs) {
      const t0 = performance.now();
      const reply = await pub.call('PUBLISH', channel, message);
      const t1 = performance.now();
      out.maxWaitMs = Math.max(out.maxWaitMs, t1 - t0);
      if (reply === ':0\r\n') {
        out.dropped = true;
        out.msToDrop = t1 - start;
        break;
      }
      assert.equal(reply, ':1\r\n');
      out.delivered++;
      if (++n % 8 === 0) {
        const line = (await admin.call('CLIENT', 'LIST'))!.split('\n').find((l) => l.includes(' name=stalled '));
        if (line !== undefined) out.maxOmem = Math.max(out.maxOmem, Number(/ omem=(\d+)/.exec(line)![1]));
        if (opts.until?.(out)) break;
      }
      if (opts.intervalMs) await sleep(opts.intervalMs);
    }
    return out;
  } finally {
    admin.close();
    pub.close();
  }
}

/**
 * Resumes a stalled subscriber and reads what reached it: whole `message`s
 * in order, then the end of the connection when it was dropped.
 *
 * @returns how many messages it read
 */
async function drain(o: Outcome, message: Buffer, channel = 'slow'): Promise<number> {
  const expected =
    `*3\r\n$7\r\nmessage\r\n$${channel.length}\r\n${channel}\r\n` +
    `$${message.length}\r\n${message.toString('latin1')}\r\n`;
  o.sub.socket.resume();
  let got = 0;
  for (;;) {
    if (!o.dropped && got === o.delivered) break;
    const r = await o.sub.read();
    if (r === null) break;
    assert.equal(r, expected, `message ${got}`);
    got++;
  }
  assert.ok(got <= o.delivered);
  if (o.dropped) {
    await o.sub.waitClosed();
    assert.ok(o.sub.closed);
  } else {
    assert.equal(got, o.delivered);
    assert.equal(await o.sub.call('PING'), '*2\r\n$4\r\npong\r\n$0\r\n\r\n');
  }
  o.sub.close();
  return got;
}

/** The resident set of a process, bytes. */
function rss(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]) * 1024;
}

/** INFO stats field of FlashCache. */
async function infoStat(port: number, field: string): Promise<number> {
  const c = await RawClient.connect(port);
  const text = (await c.call('INFO', 'stats'))!;
  c.close();
  return Number(new RegExp(`${field}:(\\d+)`).exec(text)![1]);
}

const servers = (): [string, number][] => [
  ['FlashCache', fc.port],
  ['redis-server', redis.port],
];

test('the hard limit drops a subscriber that does not read; PUBLISH keeps answering promptly', async () => {
  const message = Buffer.alloc(16 * 1024, 'h');
  const hard = 256 * 1024;
  const before = await infoStat(fc.port, 'client_buffer_limit_disconnections');
  for (const [who, port] of servers()) {
    const o = await stall(port, 'pubsub 256kb 0 0', message, { forMs: 20_000 });
    assert.ok(o.dropped, `${who}: still subscribed after ${o.delivered} messages`);
    assert.ok(o.maxWaitMs < PROMPT_MS, `${who}: a PUBLISH took ${o.maxWaitMs.toFixed(1)} ms`);
    // What the server holds for it never passes the limit by more than the message that reached it.
    assert.ok(o.maxOmem < hard + message.length + 1024, `${who}: omem reached ${o.maxOmem}`);
    const read = await drain(o, message);
    assert.ok(read > 0, `${who}: read nothing`);
  }
  assert.equal(await infoStat(fc.port, 'client_buffer_limit_disconnections'), before + 1);
});

test('the soft limit drops a subscriber that stays above it for the soft seconds, not before', async () => {
  const message = Buffer.alloc(8 * 1024, 's');
  for (const [who, port] of servers()) {
    // Above 128kb for a whole second: dropped, a second or more after the burst began.
    const o = await stall(port, 'pubsub 0 128kb 1', message, { forMs: 10_000, intervalMs: 2 });
    assert.ok(o.dropped, `${who}: still subscribed after ${o.delivered} messages`);
    assert.ok(o.msToDrop >= 1000, `${who}: dropped after ${o.msToDrop.toFixed(0)} ms`);
    assert.ok(o.maxWaitMs < PROMPT_MS, `${who}: a PUBLISH took ${o.maxWaitMs.toFixed(1)} ms`);
    await drain(o, message);
    // The same burst with 60 soft seconds: kept, and every message arrives whole once it reads.
    // Published until the server holds more than the soft limit for it (the kernel's socket buffers fill first).
    const kept = await stall(port, 'pubsub 0 128kb 60', message, {
      forMs: 20_000,
      intervalMs: 2,
      channel: 'kept',
      until: (o) => o.maxOmem > 160 * 1024,
    });
    assert.ok(!kept.dropped, `${who}: dropped within the soft seconds`);
    assert.ok(kept.maxOmem > 128 * 1024, `${who}: the burst never passed the soft limit (omem ${kept.maxOmem})`);
    assert.ok(kept.maxWaitMs < PROMPT_MS, `${who}: a PUBLISH took ${kept.maxWaitMs.toFixed(1)} ms`);
    assert.equal(await drain(kept, message, 'kept'), kept.delivered);
  }
});

test('memory stays bounded while 128 MiB are published to subscribers that never read', async () => {
  const message = Buffer.alloc(64 * 1024, 'm');
  const start = rss(fc.proc.pid!);
  let published = 0;
  let rounds = 0;
  let peak = start;
  while (published < 128 * 1024 * 1024) {
    const o = await stall(fc.port, 'pubsub 1mb 0 0', message, { forMs: 20_000 });
    assert.ok(o.dropped, `round ${rounds}: still subscribed after ${o.delivered} messages`);
    assert.ok(o.maxWaitMs < PROMPT_MS, `round ${rounds}: a PUBLISH took ${o.maxWaitMs.toFixed(1)} ms`);
    published += o.delivered * message.length;
    rounds++;
    peak = Math.max(peak, rss(fc.proc.pid!));
    o.sub.close();
  }
  // Without the limit one subscriber would hold all of it; with it, a round's worth at most.
  assert.ok(
    peak - start < 48 * 1024 * 1024,
    `RSS grew by ${((peak - start) / 2 ** 20).toFixed(1)} MiB in ${rounds} rounds`,
  );
});

/** Sends each command to FlashCache and redis-server and asserts the replies are equal. */
async function sameOnBoth(commands: string[][]): Promise<void> {
  const [a, b] = await Promise.all([RawClient.connect(fc.port), RawClient.connect(redis.port)]);
  try {
    for (const cmd of commands) assert.equal(await a.call(...cmd), await b.call(...cmd), cmd.join(' '));
  } finally {
    a.close();
    b.close();
  }
}

const SET_LIMIT = ['CONFIG', 'SET', 'client-output-buffer-limit'];

test('CONFIG SET client-output-buffer-limit takes the pubsub class alone or with others, in memory units', async () => {
  await sameOnBoth([
    [...SET_LIMIT, 'pubsub 1mb 256kb 10'],
    [...SET_LIMIT, 'PUBSUB 1GB 0 0 normal 0 0 0'],
    [...SET_LIMIT, 'pubsub 4194304 1048576 30'],
    [...SET_LIMIT, 'pubsub 1mb 256kb'],
    [...SET_LIMIT, 'pubsub 1mb 256kb 10 normal'],
  ]);
});

test('CONFIG GET client-output-buffer-limit lists every class in bytes, as redis-server', async () => {
  await sameOnBoth([
    [...SET_LIMIT, 'normal 0 0 0 slave 256mb 64mb 60 pubsub 32mb 8mb 60'],
    ['CONFIG', 'GET', 'client-output-buffer-limit'],
    [...SET_LIMIT, 'pubsub 1mb 256kb 10'],
    ['CONFIG', 'GET', 'client-output-buffer-limit'],
  ]);
});

test('CONFIG SET client-output-buffer-limit refuses a bad class or size with redis-server error texts', async () => {
  await sameOnBoth([
    [...SET_LIMIT, 'pubsub 1mb 256kb'],
    [...SET_LIMIT, 'master 1mb 256kb 10'],
    [...SET_LIMIT, 'sub 1mb 256kb 10'],
    [...SET_LIMIT, 'pubsub 1xb 256kb 10'],
    [...SET_LIMIT, 'pubsub -1 256kb 10'],
    [...SET_LIMIT, 'pubsub 1mb 256kb x'],
  ]);
});
