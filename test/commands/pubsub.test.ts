/**
 * Pub/sub against redis-server 7.0.15, byte for byte, in RESP2 and in RESP3
 * (after HELLO 3): subscription confirmations (one per channel), PUBLISH
 * counts and the messages other connections receive, RESP2 subscriber mode,
 * pushes interleaved with replies, PUBSUB introspection, binary names, glob
 * patterns, RESET and MULTI. Redis's own tests/unit/pubsub.tcl and
 * pubsubshard.tcl are the guide.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { elements, serverPair, Twin, type Pair } from '../helpers/differential.js';
import { encodeCommand, type RawClient } from '../helpers/resp.js';
import { waitFor } from '../helpers/server.js';

let pair: Pair;
serverPair((p) => (pair = p));

/** A twin connection closed when test `t` ends; RESP3 after HELLO 3 when `resp` is 3. */
async function twin(t: TestContext, resp: 2 | 3 = 2): Promise<Twin> {
  const tw = await Twin.open(pair.fc.port, pair.redis.port);
  t.after(() => tw.close());
  if (resp === 3) await tw.hello3();
  return tw;
}

/**
 * Confirmations (`[kind, name, count]`) whose names come in an unspecified
 * order (Redis walks a dict): names sorted, counts kept in place.
 */
function sortNames(replies: string[]): string[] {
  const parts = replies.map((r) => elements(r)!);
  const names = parts.map((p) => p.items[1]!).sort();
  return parts.map((p, i) => p.head + p.items[0] + names[i] + p.items.slice(2).join(''));
}

/** Messages whose order Redis leaves unspecified (one per matching pattern: a dict walk). */
const sorted = (replies: string[]): string[] => [...replies].sort();

/** Sends a PUBSUB subcommand that lists channels, and compares the lists in any order. */
async function listed(c: Twin, ...args: (string | Buffer)[]): Promise<void> {
  c.send('PUBSUB', ...args);
  await c.read(1, (r) => r.map((x) => elements(x)!.items.sort().join('')), `PUBSUB ${args.join(' ')}`);
}

/** Waits until neither server has a channel, pattern or shard channel left (connections of earlier tests closed). */
async function quiet(): Promise<void> {
  for (const c of [pair.a, pair.b]) {
    await waitFor(
      async () =>
        (await c.call('PUBSUB', 'NUMPAT')) === ':0\r\n' &&
        (await c.call('PUBSUB', 'CHANNELS')) === '*0\r\n' &&
        (await c.call('PUBSUB', 'SHARDCHANNELS')) === '*0\r\n',
      10_000,
      'the subscriptions of closed connections to be dropped',
    );
  }
}

for (const resp of [2, 3] as const) {
  test(`RESP${resp}: (P|S)(UN)SUBSCRIBE answer per channel, channels and patterns counted together`, async (t) => {
    const s = await twin(t, resp);
    await s.callMany(3, 'SUBSCRIBE', 'c1', 'c2', 'c1');
    await s.callMany(2, 'PSUBSCRIBE', 'p*', 'q?');
    await s.callMany(1, 'PSUBSCRIBE', 'p*');
    await s.callMany(2, 'SSUBSCRIBE', 's1', 's2');
    await s.callMany(3, 'UNSUBSCRIBE', 'c1', 'nope', 'c1');
    await s.callMany(2, 'SUNSUBSCRIBE', 's1', 'nope');
    await s.callMany(2, 'PUNSUBSCRIBE', 'q?', 'zz');
    // Without arguments: every subscription of the kind, in dict order.
    await s.callMany(3, 'SUBSCRIBE', 'c3', 'c4', 'c5');
    s.send('UNSUBSCRIBE');
    await s.read(4, sortNames);
    await s.callMany(2, 'PSUBSCRIBE', 'a*', 'b*');
    s.send('PUNSUBSCRIBE');
    await s.read(3, sortNames);
    await s.callMany(1, 'SSUBSCRIBE', 's3');
    s.send('SUNSUBSCRIBE');
    await s.read(2, sortNames);
    // With nothing left, each still answers once, with a null name.
    await s.callMany(1, 'UNSUBSCRIBE');
    await s.callMany(1, 'PUNSUBSCRIBE');
    await s.callMany(1, 'SUNSUBSCRIBE');
    await s.callMany(3, 'UNSUBSCRIBE', 'foo', 'bar', 'quux');
    await s.callMany(3, 'PUNSUBSCRIBE', 'foo.*', 'bar.*', 'quux.*');
    await s.call('PING');
  });

  test(`RESP${resp}: PUBLISH counts channel and pattern subscribers, who receive the exact bytes`, async (t) => {
    const pub = await twin(t);
    const s1 = await twin(t, resp);
    const s2 = await twin(t, resp);
    await s1.callMany(1, 'SUBSCRIBE', 'news.1');
    await s1.callMany(1, 'PSUBSCRIBE', 'news.*');
    await s2.callMany(2, 'PSUBSCRIBE', 'news.*', 'n*s.?');
    assert.equal(await pub.call('PUBLISH', 'news.1', 'hello'), ':4\r\n');
    // Channel subscribers first, then patterns (pubsub.c pubsubPublishMessage).
    await s1.read(2);
    await s2.read(2, sorted);
    assert.equal(await pub.call('PUBLISH', 'news.22', 'world'), ':2\r\n');
    await s1.read(1);
    await s2.read(1);
    assert.equal(await pub.call('PUBLISH', 'other', 'x'), ':0\r\n');
    // Shard channels are a namespace of their own: no channel or pattern subscriber hears SPUBLISH.
    assert.equal(await pub.call('SPUBLISH', 'news.1', 'x'), ':0\r\n');
    await s1.callMany(1, 'SSUBSCRIBE', 'news.1');
    assert.equal(await pub.call('SPUBLISH', 'news.1', 'sharded'), ':1\r\n');
    await s1.read(1);
    assert.equal(await pub.call('PUBLISH', 'news.1', 'again'), ':4\r\n');
    await s1.read(2);
    await s2.read(2, sorted);
    // Two connections on one channel.
    await s2.callMany(1, 'SUBSCRIBE', 'news.1');
    assert.equal(await pub.call('PUBLISH', 'news.1', 'both'), ':5\r\n');
    await s1.read(2);
    await s2.read(3, sorted);
    await s1.callMany(1, 'UNSUBSCRIBE', 'news.1');
    await s2.callMany(2, 'PUNSUBSCRIBE', 'news.*', 'n*s.?');
    assert.equal(await pub.call('PUBLISH', 'news.1', 'fewer'), ':2\r\n');
    await s1.read(1);
    await s2.read(1);
    // Nothing else arrived: the next reply on each is its PING's.
    await s1.call('PING');
    await s2.call('PING');
  });

  test(`RESP${resp}: binary channel names, patterns and messages`, async (t) => {
    const pub = await twin(t);
    const s = await twin(t, resp);
    const all = Buffer.alloc(256);
    for (let i = 0; i < 256; i++) all[i] = i;
    const chan = Buffer.from([0, 1, 13, 10, 0xff, 0x80, 0x2a, 0x3f]);
    const message = Buffer.concat([all, Buffer.from('\r\n$3\r\n'), all]);
    await s.callMany(1, 'SUBSCRIBE', chan);
    await s.callMany(1, 'PSUBSCRIBE', Buffer.from([0, 1, 0x2a, 0xff, 0x5c, 0x80, 0x2a]));
    await s.callMany(1, 'SSUBSCRIBE', chan);
    await s.callMany(2, 'SUBSCRIBE', '', 'é');
    assert.equal(await pub.call('PUBLISH', chan, message), ':2\r\n');
    await s.read(2);
    assert.equal(await pub.call('SPUBLISH', chan, message), ':1\r\n');
    await s.read(1);
    assert.equal(await pub.call('PUBLISH', '', ''), ':1\r\n');
    await s.read(1);
    assert.equal(await pub.call('PUBLISH', 'é', all), ':1\r\n');
    await s.read(1);
    const q = await twin(t, resp);
    await q.call('PUBSUB', 'NUMSUB', chan, '', 'é', Buffer.from([0]));
    await q.call('PUBSUB', 'SHARDNUMSUB', chan);
    await listed(q, 'CHANNELS', Buffer.from([0, 1, 0x2a]));
    await listed(q, 'SHARDCHANNELS', Buffer.from([0, 0x2a]));
    await s.call('PING');
  });

  test(`RESP${resp}: RESET drops every subscription and leaves subscriber mode`, async (t) => {
    const pub = await twin(t);
    const s = await twin(t, resp);
    await s.callMany(2, 'SUBSCRIBE', 'r1', 'r2');
    await s.callMany(1, 'PSUBSCRIBE', 'r*');
    await s.callMany(1, 'SSUBSCRIBE', 'rs');
    assert.equal(await s.call('RESET'), '+RESET\r\n');
    assert.equal(await pub.call('PUBLISH', 'r1', 'x'), ':0\r\n');
    assert.equal(await pub.call('PUBLISH', 'rx', 'x'), ':0\r\n');
    assert.equal(await pub.call('SPUBLISH', 'rs', 'x'), ':0\r\n');
    await pub.call('PUBSUB', 'NUMSUB', 'r1', 'r2');
    await pub.call('PUBSUB', 'SHARDNUMSUB', 'rs');
    // RESP2 again, and a normal connection: GET runs, PING is +PONG.
    assert.equal(await s.call('GET', 'k'), '$-1\r\n');
    assert.equal(await s.call('PING'), '+PONG\r\n');
    await s.callMany(1, 'UNSUBSCRIBE');
  });

  test(`RESP${resp}: SUBSCRIBE queued in MULTI runs at EXEC; SSUBSCRIBE is refused there`, async (t) => {
    const pub = await twin(t);
    const s = await twin(t, resp);
    await s.call('MULTI');
    await s.call('SUBSCRIBE', 'm1', 'm2');
    await s.call('PSUBSCRIBE', 'm*');
    // EXEC's array counts commands, not replies: *2 holding SUBSCRIBE's two
    // confirmations, then PSUBSCRIBE's one after it.
    await s.callMany(2, 'EXEC');
    assert.equal(await pub.call('PUBLISH', 'm1', 'x'), ':2\r\n');
    await s.read(2);
    await s.callMany(1, 'PUNSUBSCRIBE');
    s.send('UNSUBSCRIBE');
    await s.read(2, sortNames);
    await s.call('MULTI');
    await s.call('SSUBSCRIBE', 'ms');
    await s.call('EXEC');
    assert.equal(await pub.call('SPUBLISH', 'ms', 'x'), ':0\r\n');
    await s.call('PING');
  });
}

test('RESP2 subscriber mode: only (P|S)(UN)SUBSCRIBE, PING, QUIT and RESET run, with Redis error text', async (t) => {
  const s = await twin(t);
  await s.call('SET', 'k', 'v');
  await s.callMany(1, 'SUBSCRIBE', 'ch');
  const refused = [
    ['GET', 'k'],
    ['SET', 'k', 'v2'],
    ['PUBLISH', 'ch', 'x'],
    ['SPUBLISH', 'ch', 'x'],
    ['MULTI'],
    ['EXEC'],
    ['WATCH', 'k'],
    ['SELECT', '1'],
    ['ECHO', 'x'],
    ['HELLO', '3'],
    ['INFO', 'server'],
    ['PUBSUB', 'NUMPAT'],
    ['PUBSUB', 'CHANNELS'],
    ['CLIENT', 'ID'],
    ['CONFIG', 'GET', 'maxmemory'],
  ];
  for (const cmd of refused) await s.call(...cmd);
  // Errors found before the mode is looked at keep their own text.
  await s.call('NOSUCH', 'a');
  await s.call('SUBSCRIBE');
  await s.call('PING', 'a', 'b');
  await s.call('PUBSUB', 'NOPE');
  // PING answers in the shape of a message.
  assert.equal(await s.call('PING'), '*2\r\n$4\r\npong\r\n$0\r\n\r\n');
  await s.call('PING', 'hello');
  // Out of the mode once nothing is left; the write refused above did not run.
  await s.callMany(1, 'UNSUBSCRIBE');
  assert.equal(await s.call('PING'), '+PONG\r\n');
  assert.equal(await s.call('GET', 'k'), '$1\r\nv\r\n');
  // A shard subscription alone is subscriber mode too; a pattern also.
  await s.callMany(1, 'SSUBSCRIBE', 'sh');
  await s.call('GET', 'k');
  await s.callMany(1, 'SUNSUBSCRIBE');
  await s.call('GET', 'k');
  await s.callMany(1, 'PSUBSCRIBE', 'p*');
  await s.call('GET', 'k');
  assert.equal(await s.call('QUIT'), '+OK\r\n');
  await s.waitClosed();
});

test('RESP3: pushes interleave with the replies of normal commands, inside MULTI too', async (t) => {
  const pub = await twin(t);
  const s = await twin(t, 3);
  await s.callMany(1, 'SUBSCRIBE', 'ch');
  await s.callMany(1, 'PSUBSCRIBE', 'c*');
  // No subscriber mode in RESP3: every command runs, PING is a plain +PONG.
  assert.equal(await s.call('SET', 'k', 'v'), '+OK\r\n');
  assert.equal(await s.call('GET', 'k'), '$1\r\nv\r\n');
  assert.equal(await s.call('PING'), '+PONG\r\n');
  await s.call('PING', 'x');
  await s.call('PUBSUB', 'NUMSUB', 'ch');
  // Messages published before a GET arrive before its reply.
  assert.equal(await pub.call('PUBLISH', 'ch', 'm1'), ':2\r\n');
  assert.equal(await pub.call('PUBLISH', 'cx', 'm2'), ':1\r\n');
  s.send('GET', 'k');
  const got = await s.read(4);
  assert.ok(got[0]!.startsWith('>3\r\n$7\r\nmessage\r\n'), got[0]);
  assert.ok(got[1]!.startsWith('>4\r\n$8\r\npmessage\r\n'), got[1]);
  assert.equal(got[3], '$1\r\nv\r\n');
  // Publishing to itself: its own pushes come before PUBLISH's reply.
  await s.callMany(3, 'PUBLISH', 'ch', 'self');
  // During a transaction messages keep arriving between +QUEUED replies.
  await s.call('MULTI');
  await pub.call('PUBLISH', 'ch', 'm3');
  await s.callMany(3, 'INCR', 'n');
  await s.call('GET', 'k');
  await s.call('EXEC');
  await s.callMany(1, 'UNSUBSCRIBE', 'ch');
  assert.equal(await pub.call('PUBLISH', 'ch', 'm4'), ':1\r\n');
  await s.read(1);
  await s.callMany(1, 'PUNSUBSCRIBE');
  assert.equal(await pub.call('PUBLISH', 'ch', 'm5'), ':0\r\n');
  await s.call('PING');
});

test('PUBSUB CHANNELS, NUMSUB, NUMPAT, SHARDCHANNELS, SHARDNUMSUB and HELP', async (t) => {
  await quiet();
  const s1 = await twin(t);
  const s2 = await twin(t, 3);
  const q = await twin(t);
  const q3 = await twin(t, 3);
  await s1.callMany(2, 'SUBSCRIBE', 'ps.a', 'ps.b');
  await s2.callMany(2, 'SUBSCRIBE', 'ps.b', 'ps.c');
  await s1.callMany(1, 'PSUBSCRIBE', 'ps.*');
  await s2.callMany(2, 'PSUBSCRIBE', 'ps.*', 'x*');
  await s1.callMany(1, 'SSUBSCRIBE', 'ps.s1');
  await s2.callMany(2, 'SSUBSCRIBE', 'ps.s1', 'ps.s2');
  for (const c of [q, q3]) {
    await listed(c, 'CHANNELS');
    await listed(c, 'CHANNELS', 'ps.*');
    await listed(c, 'CHANNELS', 'ps.[ab]');
    await listed(c, 'CHANNELS', 'nothing*');
    await listed(c, 'SHARDCHANNELS');
    await listed(c, 'SHARDCHANNELS', '*2');
    // Pattern subscriptions are not counted by NUMSUB; NUMPAT counts unique patterns.
    await c.call('PUBSUB', 'NUMSUB', 'ps.a', 'ps.b', 'ps.c', 'ps.s1', 'nope');
    await c.call('PUBSUB', 'NUMSUB');
    assert.equal(await c.call('PUBSUB', 'NUMPAT'), ':2\r\n');
    await c.call('PUBSUB', 'SHARDNUMSUB', 'ps.s1', 'ps.s2', 'ps.a');
    await c.call('PUBSUB', 'SHARDNUMSUB');
    await c.call('PUBSUB', 'HELP');
    for (const bad of [['CHANNELS', 'a', 'b'], ['SHARDCHANNELS', 'a', 'b'], ['NUMPAT', 'x'], ['HELP', 'x'], ['NOPE']]) {
      await c.call('PUBSUB', ...bad);
    }
    await c.call('PUBSUB');
  }
  // A closed connection's subscriptions go with it.
  s2.close();
  await waitFor(async () => (await q.a.call('PUBSUB', 'NUMSUB', 'ps.b')) === '*2\r\n$4\r\nps.b\r\n:1\r\n');
  await waitFor(async () => (await q.b.call('PUBSUB', 'NUMSUB', 'ps.b')) === '*2\r\n$4\r\nps.b\r\n:1\r\n');
  await q.call('PUBSUB', 'NUMSUB', 'ps.a', 'ps.b', 'ps.c');
  await q.call('PUBSUB', 'NUMPAT');
  await q.call('PUBSUB', 'SHARDNUMSUB', 'ps.s1', 'ps.s2');
  await listed(q, 'CHANNELS', 'ps.?');
});

test('glob patterns: wildcards, classes, ranges, negation and escapes as stringmatchlen', async (t) => {
  await quiet();
  const patterns = [
    '*',
    '**',
    'h?llo',
    'h*llo',
    '*l*o*',
    'h[ae]llo',
    'h[^e]llo',
    'h[a-b]llo',
    'h[b-a]llo',
    'h[a-]llo',
    'h[-a]llo',
    'h[]]llo',
    'h[\\]]llo',
    'h[a\\-c]llo',
    'h\\*llo',
    'h\\?llo',
    'h\\[llo',
    'hello\\',
    '\\',
    'a\\',
    '[',
    '[abc',
    '[^',
    '[\\',
    '[*]',
    '?',
    '??',
    '[^a-z]*',
    'H*',
  ];
  const channels = [
    'hello',
    'hallo',
    'hbllo',
    'hxllo',
    'h*llo',
    'h?llo',
    'h]llo',
    'h[llo',
    'h-llo',
    'h\\llo',
    'hllo',
    'heello',
    'hello\\',
    'Hello',
    '[',
    'a',
    'b',
    'a\\',
    '\\',
    '*',
    '?',
    'ab',
    '',
    'éllo',
  ];
  const s = await twin(t);
  const pub = await twin(t);
  s.send('PSUBSCRIBE', ...patterns);
  await s.read(patterns.length);
  for (const ch of channels) {
    const count = await pub.call('PUBLISH', ch, `to ${ch}`);
    await s.read(Number(count.slice(1, -2)), sorted, `messages for ${JSON.stringify(ch)}`);
  }
  await s.call('PING');
  // PUBSUB CHANNELS matches with the same function.
  const holder = await twin(t);
  holder.send('SUBSCRIBE', ...channels);
  await holder.read(channels.length);
  for (const p of patterns) await listed(pub, 'CHANNELS', p);
});

test('a pipeline of PUBLISH calls reaches RESP2 and RESP3 subscribers whole and in order', async (t) => {
  const pub = await twin(t);
  const s2 = await twin(t);
  const s3 = await twin(t, 3);
  await s2.callMany(1, 'SUBSCRIBE', 'pipe');
  await s3.callMany(1, 'PSUBSCRIBE', 'pi*');
  const n = 200;
  const frames: Buffer[] = [];
  for (let i = 0; i < n; i++) frames.push(encodeCommand(['PUBLISH', 'pipe', `message ${i} `.repeat(i % 7)]));
  // One large message among them: 1 MiB of bytes, sent in many TCP segments.
  const big = Buffer.alloc(1 << 20, 0x61);
  for (let i = 0; i < big.length; i += 4093) big[i] = i & 0xff;
  frames.push(encodeCommand(['PUBLISH', 'pipe', big]));
  const bytes = Buffer.concat(frames);
  pub.a.write(bytes);
  pub.b.write(bytes);
  const counts = await pub.read(n + 1);
  assert.ok(counts.every((c) => c === ':2\r\n'));
  await s2.read(n + 1);
  await s3.read(n + 1);
  await s2.call('PING');
  await s3.call('PING');
});

test('INFO stats counts channels, patterns and shard channels with subscribers', async (t) => {
  await quiet();
  const s = await twin(t);
  const t3 = await twin(t, 3);
  await s.callMany(2, 'SUBSCRIBE', 'i1', 'i2');
  await t3.callMany(2, 'SUBSCRIBE', 'i2', 'i3');
  await s.callMany(1, 'PSUBSCRIBE', 'i*');
  await t3.callMany(2, 'PSUBSCRIBE', 'i*', 'j*');
  await t3.callMany(1, 'SSUBSCRIBE', 'is');
  const fields = async (c: RawClient): Promise<string> => {
    const info = (await c.call('INFO', 'stats'))!;
    return ['pubsub_channels', 'pubsub_patterns', 'pubsubshard_channels']
      .map((f) => new RegExp(`${f}:\\d+`).exec(info)?.[0])
      .join(' ');
  };
  const q = await twin(t);
  assert.equal(await fields(q.a), 'pubsub_channels:3 pubsub_patterns:2 pubsubshard_channels:1');
  assert.equal(await fields(q.b), await fields(q.a));
});
