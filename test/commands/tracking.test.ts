/**
 * Client-side caching against redis-server 7.0.15: the same scenario runs
 * on both servers with connections of its own, and what each connection
 * reads (replies, RESP3 invalidation pushes, `__redis__:invalidate` messages
 * to a RESP2 redirect client) must be the same bytes, client IDs aside.
 * Covered: RESP3 invalidation, RESP2 with REDIRECT, BCAST with prefixes,
 * OPTIN and OPTOUT, NOLOOP, FLUSHALL and FLUSHDB, expiry, a broken redirect,
 * invalidations after the writing command's reply and after a transaction's,
 * TRACKINGINFO, GETREDIR, CLIENT LIST flags and INFO.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverPair, type Pair } from '../helpers/differential.js';
import { RawClient } from '../helpers/resp.js';
import { waitFor } from '../helpers/server.js';

let pair: Pair;
serverPair((p) => (pair = p));

/** One server's side of a scenario: connections opened on it, and the transcript of what they read. */
class Side {
  readonly transcript: string[] = [];
  private readonly conns: RawClient[] = [];
  /** CLIENT IDs of this side's connections, replaced by `ID<n>` in the transcript. */
  private readonly ids: number[] = [];

  constructor(readonly port: number) {}

  async connect(resp: 2 | 3 = 2): Promise<RawClient> {
    const c = await RawClient.connect(this.port);
    this.conns.push(c);
    if (resp === 3) await c.call('HELLO', '3');
    this.ids.push(Number(/:(\d+)/.exec((await c.call('CLIENT', 'ID'))!)![1]));
    return c;
  }

  /** The CLIENT ID of the `n`th connection opened. */
  id(n: number): string {
    return String(this.ids[n]);
  }

  private note(label: string, reply: string | null): void {
    let r = reply ?? '(closed)';
    this.ids.forEach((id, n) => {
      // Integer replies only (a line of its own), not keys that end in the same digits.
      r = r.replace(new RegExp(`(^|\r\n):${id}\r\n`, 'g'), `$1:ID${n}\r\n`);
    });
    this.transcript.push(`${label} ${r}`);
  }

  /** Sends a command and notes the reply. */
  async call(label: string, c: RawClient, ...args: string[]): Promise<string | null> {
    const r = await c.call(...args);
    this.note(label, r);
    return r;
  }

  /** Reads and notes the next frame (a push or message already sent). */
  async read(label: string, c: RawClient): Promise<void> {
    this.note(label, await c.read(5000));
  }

  /** Notes what `c` was sent before the reply to a PING, and that reply. */
  async drain(label: string, c: RawClient): Promise<void> {
    c.write('*1\r\n$4\r\nPING\r\n');
    for (;;) {
      const r = await c.read(5000);
      this.note(label, r);
      if (r === null || r === '+PONG\r\n' || r === '*2\r\n$4\r\npong\r\n$0\r\n\r\n') return;
    }
  }

  close(): void {
    for (const c of this.conns) c.close();
  }
}

/** Runs `scenario` on FlashCache and on redis-server and compares what every connection read. */
async function sameTranscript(scenario: (s: Side) => Promise<void>): Promise<string[]> {
  await Promise.all([pair.a.call('FLUSHALL'), pair.b.call('FLUSHALL')]);
  const [fc, redis] = [new Side(pair.fc.port), new Side(pair.redis.port)];
  try {
    await scenario(fc);
    await scenario(redis);
    assert.deepEqual(fc.transcript, redis.transcript);
    return fc.transcript;
  } finally {
    fc.close();
    redis.close();
  }
}

test('RESP3: a read key is invalidated once, by a write from another connection', async () => {
  const got = await sameTranscript(async (s) => {
    const t = await s.connect(3);
    const w = await s.connect();
    await s.call('t', t, 'CLIENT', 'TRACKING', 'on');
    await s.call('w', w, 'SET', 'k1', '1');
    await s.call('t', t, 'GET', 'k1');
    await s.call('t', t, 'MGET', 'k2', 'k3', 'k1');
    await s.call('t', t, 'HGET', 'h', 'f');
    await s.call('w', w, 'SET', 'k1', '2');
    await s.call('w', w, 'MSET', 'k2', 'x', 'k3', 'y');
    await s.call('w', w, 'SET', 'k1', '3');
    await s.call('w', w, 'HSET', 'h', 'f', 'v');
    await s.call('w', w, 'HSET', 'h', 'g', 'v');
    await s.drain('t', t);
    await s.call('t', t, 'CLIENT', 'TRACKING', 'off');
    await s.call('t', t, 'GET', 'k1');
    await s.call('w', w, 'SET', 'k1', '4');
    await s.drain('t', t);
  });
  assert.ok(got.some((l) => l.startsWith('t >2\r\n$10\r\ninvalidate\r\n*1\r\n$2\r\nk1')));
});

test('RESP3: invalidations of its own writes come after the reply, and after a transaction reply', async () => {
  await sameTranscript(async (s) => {
    const t = await s.connect(3);
    await s.call('t', t, 'CLIENT', 'TRACKING', 'on');
    await s.call('t', t, 'MSET', 'a', '1', 'b', '2');
    await s.call('t', t, 'GET', 'a');
    await s.call('t', t, 'SET', 'a', '5');
    await s.read('t', t);
    await s.call('t', t, 'GET', 'a');
    await s.call('t', t, 'MULTI');
    await s.call('t', t, 'INCR', 'a');
    await s.call('t', t, 'GET', 'b');
    await s.call('t', t, 'EXEC');
    await s.read('t', t);
    await s.call('t', t, 'HSET', 'h', 'f', '1');
    await s.call('t', t, 'HGET', 'h', 'f');
    await s.call('t', t, 'HDEL', 'h', 'f');
    await s.read('t', t);
    await s.call('t', t, 'GET', 'b');
    await s.call('t', t, 'MULTI');
    await s.call('t', t, 'FLUSHDB');
    await s.call('t', t, 'EXEC');
    await s.read('t', t);
    await s.drain('t', t);
  });
});

test('RESP2 with REDIRECT: messages on __redis__:invalidate, null after FLUSHALL and FLUSHDB', async () => {
  await sameTranscript(async (s) => {
    const r = await s.connect();
    const t = await s.connect();
    const w = await s.connect();
    await s.call('r', r, 'SUBSCRIBE', '__redis__:invalidate');
    await s.call('t', t, 'CLIENT', 'TRACKING', 'on', 'REDIRECT', s.id(0));
    await s.call('t', t, 'CLIENT', 'GETREDIR');
    await s.call('t', t, 'MGET', 'a', 'b');
    await s.call('w', w, 'INCR', 'b');
    await s.call('w', w, 'INCR', 'a');
    await s.drain('r', r);
    await s.call('t', t, 'GET', 'a');
    await s.call('w', w, 'FLUSHALL');
    await s.drain('r', r);
    await s.call('w', w, 'FLUSHDB');
    await s.drain('r', r);
    // A RESP2 tracker without a redirect gets nothing: RESP2 has no pushes.
    await s.call('t', t, 'CLIENT', 'TRACKING', 'on');
    await s.call('t', t, 'GET', 'a');
    await s.call('w', w, 'SET', 'a', '1');
    await s.drain('t', t);
    // A redirect to a RESP3 connection gets a push, subscribed or not.
    const r3 = await s.connect(3);
    await s.call('t', t, 'CLIENT', 'TRACKING', 'on', 'REDIRECT', s.id(3));
    await s.call('t', t, 'GET', 'a');
    await s.call('w', w, 'SET', 'a', '2');
    await s.drain('r3', r3);
  });
});

test('BCAST: every key under the prefixes, one message per prefix; NOLOOP leaves out its own writes', async () => {
  await sameTranscript(async (s) => {
    const t = await s.connect(3);
    const n = await s.connect(3);
    const w = await s.connect();
    await s.call('t', t, 'CLIENT', 'TRACKING', 'on', 'BCAST', 'PREFIX', 'b:', 'PREFIX', 'a:');
    await s.call('n', n, 'CLIENT', 'TRACKING', 'on', 'BCAST', 'NOLOOP');
    await s.call('w', w, 'MSET', 'a:2', 'x', 'b:1', 'y', 'c:1', 'z', 'a:1', 'x');
    await s.drain('t', t);
    await s.drain('n', n);
    await s.call('w', w, 'MULTI');
    await s.call('w', w, 'INCR', 'a:3');
    await s.call('w', w, 'INCR', 'b:3');
    await s.call('w', w, 'INCR', 'd:3');
    await s.call('w', w, 'EXEC');
    await s.drain('t', t);
    await s.call('n', n, 'SET', 'own', '1');
    await s.call('w', w, 'SET', 'other', '1');
    await s.drain('n', n);
    await s.call('t', t, 'CLIENT', 'TRACKING', 'on', 'BCAST', 'PREFIX', 'c:');
    await s.call('t', t, 'CLIENT', 'TRACKINGINFO');
    await s.call('w', w, 'SET', 'c:9', '1');
    await s.drain('t', t);
  });
});

test('OPTIN and OPTOUT: CLIENT CACHING decides for the next command only', async () => {
  await sameTranscript(async (s) => {
    const t = await s.connect(3);
    const w = await s.connect();
    await s.call('t', t, 'CLIENT', 'TRACKING', 'on', 'OPTIN');
    await s.call('t', t, 'GET', 'o1');
    await s.call('t', t, 'CLIENT', 'CACHING', 'yes');
    await s.call('t', t, 'GET', 'o2');
    await s.call('t', t, 'GET', 'o3');
    await s.call('t', t, 'CLIENT', 'CACHING', 'yes');
    await s.call('t', t, 'MULTI');
    await s.call('t', t, 'GET', 'o4');
    await s.call('t', t, 'EXEC');
    await s.call('w', w, 'MSET', 'o1', '1', 'o2', '1', 'o3', '1', 'o4', '1');
    await s.drain('t', t);
    await s.call('t', t, 'CLIENT', 'TRACKING', 'off');
    await s.call('t', t, 'CLIENT', 'TRACKING', 'on', 'OPTOUT');
    await s.call('t', t, 'CLIENT', 'CACHING', 'no');
    await s.call('t', t, 'GET', 'p1');
    await s.call('t', t, 'GET', 'p2');
    await s.call('w', w, 'MSET', 'p1', '1', 'p2', '1');
    await s.drain('t', t);
  });
});

test('NOLOOP: no invalidation for its own writes', async () => {
  await sameTranscript(async (s) => {
    const t = await s.connect(3);
    const w = await s.connect();
    await s.call('t', t, 'CLIENT', 'TRACKING', 'on', 'NOLOOP');
    await s.call('t', t, 'MGET', 'n1', 'n2');
    await s.call('t', t, 'SET', 'n1', 'mine');
    await s.call('w', w, 'SET', 'n2', 'theirs');
    await s.drain('t', t);
    await s.call('t', t, 'CLIENT', 'TRACKINGINFO');
  });
});

test('a write that changes nothing still invalidates: empty APPEND, LTRIM keeping all, HSET of the same value', async () => {
  // The writer's replies stay out of the transcript: an integer among them could read as a CLIENT ID.
  const got = await sameTranscript(async (s) => {
    const t = await s.connect(3);
    const w = await s.connect();
    await w.call('SET', 's', 'x');
    await w.call('RPUSH', 'l', 'a', 'b');
    await w.call('HSET', 'h', 'f', 'v');
    await s.call('t', t, 'CLIENT', 'TRACKING', 'on');
    await s.call('t', t, 'GET', 's');
    await s.call('t', t, 'LRANGE', 'l', '0', '-1');
    await s.call('t', t, 'HGET', 'h', 'f');
    await w.call('APPEND', 's', '');
    await w.call('LTRIM', 'l', '0', '-1');
    await w.call('HSET', 'h', 'f', 'v');
    await s.drain('t', t);
  });
  assert.equal(got.filter((l) => l.startsWith('t >2\r\n$10\r\ninvalidate')).length, 3);
});

test('expiry invalidates; a broken redirect is reported, in TRACKINGINFO, CLIENT LIST and INFO too', async () => {
  await sameTranscript(async (s) => {
    const t = await s.connect(3);
    const r = await s.connect(3);
    const w = await s.connect();
    await s.call('t', t, 'CLIENT', 'TRACKING', 'on');
    await s.call('w', w, 'SET', 'e', 'v', 'PX', '30');
    await s.call('t', t, 'GET', 'e');
    await waitFor(async () => (await w.call('EXISTS', 'e')) === ':0\r\n', 5000, 'the key to expire');
    await s.drain('t', t);
    await s.call('t', t, 'CLIENT', 'TRACKING', 'on', 'REDIRECT', s.id(1));
    const info = async (): Promise<void> => {
      const line = (await t.call('CLIENT', 'INFO'))!;
      s.transcript.push(/ flags=\S+ /.exec(line)![0], / redir=\S+ /.exec(line)![0].replace(s.id(1), 'ID1'));
      const stats = (await w.call('INFO', 'all'))!;
      s.transcript.push(...(stats.match(/tracking_\w+:\d+/g) ?? []));
    };
    await info();
    await s.call('t', t, 'GET', 'k');
    await s.call('r', r, 'QUIT');
    await waitFor(async () => !(await w.call('CLIENT', 'LIST'))!.includes(`id=${s.id(1)} `), 5000, 'QUIT');
    await s.call('w', w, 'SET', 'k', '1');
    await s.drain('t', t);
    await s.call('t', t, 'CLIENT', 'TRACKINGINFO');
    await s.call('t', t, 'CLIENT', 'GETREDIR');
    await info();
    await s.call('t', t, 'CLIENT', 'TRACKING', 'on', 'BCAST');
    await s.call('t', t, 'CLIENT', 'TRACKING', 'off');
    await s.call('t', t, 'CLIENT', 'TRACKING', 'on', 'BCAST');
    await info();
    await s.call('t', t, 'RESET');
    await s.call('t', t, 'CLIENT', 'TRACKINGINFO');
  });
});

test('tracking-table-max-keys: past it, keys are dropped and their readers invalidated', async () => {
  await sameTranscript(async (s) => {
    const t = await s.connect(3);
    const w = await s.connect();
    await s.call('t', t, 'CLIENT', 'TRACKING', 'on');
    for (let i = 0; i < 150; i++) await t.call('GET', `key${i}`);
    const before = (await w.call('INFO', 'stats'))!.match(/tracking_total_keys:\d+/)![0];
    s.transcript.push(before);
    await s.call('w', w, 'CONFIG', 'SET', 'tracking-table-max-keys', '1');
    let pushes = 0;
    // The next command (or the cron) evicts: 100 keys at the first effort, then more.
    t.write('*1\r\n$4\r\nPING\r\n');
    for (;;) {
      const r = (await t.read(5000))!;
      if (r === '+PONG\r\n') {
        if (pushes >= 149) break;
        t.write('*1\r\n$4\r\nPING\r\n');
        continue;
      }
      assert.match(r, /^>2\r\n\$10\r\ninvalidate\r\n\*1\r\n\$\d+\r\nkey\d+\r\n$/);
      pushes++;
    }
    s.transcript.push(`pushes ${pushes}`);
    s.transcript.push((await w.call('INFO', 'stats'))!.match(/tracking_total_keys:\d+/)![0]);
    await s.call('w', w, 'CONFIG', 'SET', 'tracking-table-max-keys', '1000000');
    await s.call('w', w, 'CONFIG', 'GET', 'tracking-table-max-keys');
  });
});

test("a script that ran a read command makes its caller track the script's declared keys, as Redis 7.0", async () => {
  const got = await sameTranscript(async (s) => {
    const t = await s.connect(3);
    const w = await s.connect();
    await s.call('t', t, 'CLIENT', 'TRACKING', 'on');
    // No read inside: nothing tracked.
    await s.call('t', t, 'EVAL', "return redis.call('set', 'k3', 'x')", '2', 'k1', 'k2');
    await s.call('w', w, 'MSET', 'k1', '1', 'k2', '1');
    await s.drain('t', t);
    // A read of another key: the declared keys are tracked, not the key read.
    await s.call('t', t, 'EVAL', "return redis.call('get', 'k3')", '2', 'k1', 'k2');
    await s.call('w', w, 'SET', 'k3', 'y');
    await s.call('w', w, 'SET', 'k2', '2');
    await s.call('w', w, 'SET', 'k1', '2');
    await s.drain('t', t);
    await s.call('t', t, 'EVAL_RO', "return redis.call('get', 'k1')", '1', 'k2');
    await s.call('w', w, 'SET', 'k2', '3');
    await s.drain('t', t);
  });
  assert.ok(got.some((l) => l.includes('invalidate\r\n*1\r\n$2\r\nk2')));
});
