/**
 * Streams against Debian's redis-server 7.0.15: XADD, XLEN, XRANGE,
 * XREVRANGE, XDEL, XTRIM, XSETID, XREAD (blocking included) and XINFO
 * STREAM, every option and error text byte for byte in RESP2 and RESP3
 * (XINFO's `radix-tree-nodes`, an internal of Redis's radix tree, compared
 * by type only); `~` trimming of whole nodes; keyspace events; and streams
 * that survive SIGKILL (the logged effects replay) and SAVE + restart (the
 * snapshot image); `cache-dump keys` and `export` of streams, the export
 * loaded into redis-server; a replica reaching the same state.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RedisHandle } from '../helpers/redis.js';
import { dirname, join, resolve } from 'node:path';
import { converged, startReplica } from '../replication/helpers.js';
import { fileURLToPath } from 'node:url';
import { cleanup, redisCli, run, startServer, tempDir } from '../helpers/server.js';
import { RawClient } from '../helpers/resp.js';
import {
  elements,
  sameReplies,
  serverPair,
  shape,
  type Command,
  sameInBothProtocols,
  sameEvents,
} from '../helpers/differential.js';

let redis: RedisHandle;
let fcPort: number;
let a: RawClient;
let b: RawClient;
serverPair((p) => {
  ({ redis, a, b } = p);
  fcPort = p.fc.port;
});

/** XINFO STREAM's map with `radix-tree-nodes` compared by type (it counts Redis's radix-tree internals). */
function xinfo(reply: string): string {
  const e = elements(reply);
  if (e === null) return reply;
  let out = e.head;
  for (let i = 0; i < e.items.length; i += 2) {
    const k = e.items[i]!;
    out += k + (k === '$16\r\nradix-tree-nodes\r\n' ? shape(e.items[i + 1]!) : e.items[i + 1]!);
  }
  return out;
}

/** `^` compares a reply's shape (generated IDs differ), `&` XINFO STREAM. */
const NORM = { '^': shape, '&': xinfo };

/** FLUSHALL, then each command on both servers, in RESP2 and then again in RESP3 on fresh connections. */
async function same(commands: Command[]): Promise<void> {
  await sameInBothProtocols(a, b, [fcPort, redis.port], commands, NORM);
}

test('XADD: explicit IDs, <ms>-*, *, NOMKSTREAM, and its errors', () =>
  same([
    'XADD s 1-1 f v',
    'XADD s 1-1 f v',
    'XADD s 1-0 f v',
    'XADD s 1 f v',
    'XADD s 1-* f v',
    'XADD s 2-* a 1 b 2',
    'XADD s 2-5 a 1',
    'XADD s 0-0 f v',
    'XADD new 0-0 f v',
    'EXISTS new',
    'XADD new 0-* f v',
    'XADD s 3 f',
    'XADD s 3',
    'XADD s x f v',
    'XADD s 1-x f v',
    'XADD s - f v',
    'XADD s + f v',
    'XADD s -1 f v',
    'XADD s 18446744073709551616 f v',
    'XADD s NOMKSTREAM 9-9 f v',
    'XADD missing NOMKSTREAM * f v',
    'EXISTS missing',
    '^XADD s * f v',
    'XLEN s',
    'XLEN nokey',
    'SET str x',
    'XADD str 1 f v',
    'XLEN str',
    'XADD m 18446744073709551615-18446744073709551615 f v',
    'XADD m * f v',
    'XADD m2 18446744073709551615-18446744073709551614 f v',
    'XADD m2 18446744073709551615-* f v',
    'XADD m2 18446744073709551615-* f v',
    'TYPE s',
    'OBJECT ENCODING s',
    'XADD s MAXLEN 1 LIMIT 2 10 f v',
    'XADD s MAXLEN -1 10 f v',
    'XADD s MAXLEN x 10 f v',
    'XADD s MAXLEN 1 MINID 1 10 f v',
    'XADD s LIMIT 2 10 f v',
    'XADD s MINID ~ x 10 f v',
    'XADD s MAXLEN ~ 1 LIMIT -1 10 f v',
    '^XRANGE s - +',
    'XRANGE s - 9',
  ]));

test('a stream key under the other commands: TYPE, OBJECT ENCODING, SCAN TYPE, COPY, RENAME, WRONGTYPE', () =>
  same([
    'XADD s 1 f v',
    'TYPE s',
    'OBJECT ENCODING s',
    'SCAN 0 TYPE stream',
    'GET s',
    'STRLEN s',
    'APPEND s x',
    'SETBIT s 1 1',
    'BITCOUNT s',
    'LPUSH s a',
    'LLEN s',
    'SADD s a',
    'SCARD s',
    'HSET s a b',
    'ZADD s 1 a',
    'GEOADD s 1 1 a',
    'SORT s',
    'COPY s s2',
    'XRANGE s2 - +',
    'RENAME s s3',
    'XLEN s3',
    'EXPIRE s3 100',
    'TTL s3',
    'EXISTS s s2 s3',
    'DEL s2',
  ]));

test('XRANGE and XREVRANGE: bounds, exclusive ranges, COUNT, missing keys and errors', () =>
  same([
    'XADD s 1-1 a 1',
    'XADD s 1-2 b 2',
    'XADD s 2-0 c 3 d 4',
    'XADD s 3-7 e 5',
    'XRANGE s - +',
    'XREVRANGE s + -',
    'XRANGE s 1 1',
    'XRANGE s (1-1 +',
    'XRANGE s - (3-7',
    'XRANGE s (1 (3',
    'XREVRANGE s (3-7 (1-1',
    'XRANGE s - + COUNT 2',
    'XREVRANGE s + - COUNT 1',
    'XRANGE s - + COUNT 0',
    'XRANGE s - + COUNT -5',
    'XRANGE s - + COUNT x',
    'XRANGE s - + COUNT',
    'XRANGE s - + FOO 1',
    'XRANGE s (18446744073709551615-18446744073709551615 +',
    'XRANGE s - (0-0',
    'XRANGE s ( +',
    'XRANGE s (- +',
    'XRANGE s x +',
    'XRANGE s 3 2',
    'XRANGE nokey - +',
    'XRANGE nokey - + COUNT 0',
    'SET str x',
    'XRANGE str - +',
  ]));

test('XDEL, XTRIM and XINFO STREAM: counters, first entry, trimming and its errors', () =>
  same([
    'XADD s 1 a 1',
    'XADD s 2 a 2',
    'XADD s 3 a 3',
    'XADD s 4 a 4',
    'XADD s 5 a 5',
    '&XINFO STREAM s',
    'XDEL s 1 3 9',
    'XDEL s 1',
    'XDEL s x',
    'XDEL nokey 1',
    'XLEN s',
    '&XINFO STREAM s',
    'XTRIM s MAXLEN 2',
    '&XINFO STREAM s',
    'XTRIM s MINID 5',
    'XTRIM s MINID = 5',
    'XRANGE s - +',
    'XTRIM s MAXLEN 0',
    '&XINFO STREAM s',
    'XTRIM s',
    'XTRIM s FOO 1',
    'XTRIM s MAXLEN 1 LIMIT 10',
    'XTRIM s MAXLEN ~ 1 LIMIT x',
    'XTRIM nokey MAXLEN 1',
    'XTRIM nokey FOO',
    'XINFO STREAM nokey',
    'XINFO STREAM s FOO',
    'XINFO STREAM s FULL COUNT',
    '&XINFO STREAM s FULL',
    'XADD t 1 f v',
    'XADD t 2 g w',
    '&XINFO STREAM t FULL',
    '&XINFO STREAM t FULL COUNT 1',
    '&XINFO STREAM t FULL COUNT 0',
    'SET str x',
    'XINFO STREAM str',
    'XDEL str 1',
    'XTRIM str MAXLEN 1',
    'XINFO HELP',
    'XINFO FOO',
  ]));

test('XTRIM and XADD with ~ take whole nodes of 100 entries, LIMIT bounds the work', async () => {
  const cmds: Command[] = [];
  for (let i = 1; i <= 550; i++) cmds.push(`XADD s ${i} f v${i}`);
  cmds.push(
    'XTRIM s MAXLEN ~ 320',
    'XLEN s',
    'XTRIM s MINID ~ 420',
    'XLEN s',
    'XRANGE s - + COUNT 1',
    'XADD s MAXLEN ~ 10 LIMIT 100 1000 f v',
    'XLEN s',
    'XTRIM s MAXLEN ~ 0 LIMIT 50',
    'XLEN s',
    '&XINFO STREAM s',
  );
  for (let i = 1; i <= 300; i++) cmds.push(`XADD big ${i} field ${'x'.repeat(i % 7 === 0 ? 200 : 10)}`);
  cmds.push('XTRIM big MAXLEN ~ 100', 'XLEN big', '&XINFO STREAM big');
  await sameReplies(a, b, cmds, NORM);
});

test('XSETID: last ID, ENTRIESADDED, MAXDELETEDID and their errors', () =>
  same([
    'XSETID nokey 1',
    'XADD s 5 f v',
    'XSETID s 4',
    'XSETID s 5',
    'XSETID s 10 ENTRIESADDED 0',
    'XSETID s 10 ENTRIESADDED -1',
    'XSETID s 10 ENTRIESADDED 7 MAXDELETEDID 3',
    'XSETID s 10 MAXDELETEDID 11',
    'XSETID s 10 FOO 1',
    'XSETID s x',
    '&XINFO STREAM s',
    'XADD s 10 f v',
    'XADD s 10-* f v',
    'XDEL s 5 10-1',
    'XSETID s 1',
    '&XINFO STREAM s',
    'SET str x',
    'XSETID str 1',
  ]));

test('XREAD: several streams, $, COUNT, errors, and a BLOCK that times out', () =>
  same([
    'XADD s1 1 a 1',
    'XADD s1 2 b 2',
    'XADD s2 5 c 3',
    'XREAD STREAMS s1 s2 0 0',
    'XREAD COUNT 1 STREAMS s1 s2 0 0',
    'XREAD STREAMS s1 s2 1 5',
    'XREAD STREAMS s1 $',
    'XREAD STREAMS nokey 0',
    'XREAD STREAMS s1 nokey 0 0',
    'XREAD STREAMS s1',
    'XREAD STREAMS s1 s2 0',
    'XREAD COUNT x STREAMS s1 0',
    'XREAD BLOCK x STREAMS s1 0',
    'XREAD BLOCK -1 STREAMS s1 0',
    'XREAD GROUP g c STREAMS s1 0',
    'XREAD NOACK STREAMS s1 0',
    'XREAD STREAMS s1 >',
    'XREAD STREAMS s1 x',
    'XREAD FOO STREAMS s1 0',
    'XREAD COUNT 1',
    'XREAD BLOCK 10 STREAMS s1 $',
    'XREAD BLOCK 10 STREAMS s1 2',
    'SET str x',
    'XREAD STREAMS s1 str 0 0',
    'MULTI',
    'XREAD BLOCK 0 STREAMS s1 $',
    'EXEC',
  ]));

test('keyspace events of XADD, XTRIM, XDEL and XSETID', async () => {
  const cmds: Command[] = [
    ['XADD', 's', '1', 'f', 'v'],
    ['XADD', 's', 'MAXLEN', '0', '2', 'f', 'v'],
    ['XADD', 's', '3', 'f', 'v'],
    ['XDEL', 's', '3', '9'],
    ['XDEL', 's', '9'],
    ['XSETID', 's', '10'],
    ['XADD', 's', '11', 'f', 'v'],
    ['XTRIM', 's', 'MAXLEN', '0'],
  ];
  // xadd; xadd, xtrim; xadd; xdel; xsetid; xadd; xtrim (the XDEL of a missing ID notifies nothing)
  await sameEvents(a, b, [fcPort, redis.port], 'KEA', cmds, 8);
});

test('consumer groups: XGROUP, XREADGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM, XINFO GROUPS and CONSUMERS', () =>
  same([
    'XADD s 1 a 1',
    'XADD s 2 b 2',
    'XADD s 3 c 3',
    'XGROUP CREATE s g 0',
    'XGROUP CREATE s g 0',
    'XGROUP CREATE nokey g 0',
    'XGROUP CREATE nokey g $ MKSTREAM',
    'XGROUP CREATE s h $ ENTRIESREAD 3',
    'XGROUP CREATE s i 0 FOO',
    'XGROUP SETID s nog 0',
    'XINFO GROUPS s',
    'XREADGROUP GROUP g alice COUNT 2 STREAMS s >',
    'XREADGROUP GROUP g bob STREAMS s >',
    'XREADGROUP GROUP g bob STREAMS s >',
    'XREADGROUP GROUP g alice STREAMS s 0',
    'XREADGROUP GROUP g alice STREAMS s $',
    'XREADGROUP GROUP nog alice STREAMS s >',
    'XREADGROUP STREAMS s >',
    'XREAD GROUP g alice STREAMS s >',
    'XPENDING s g',
    '^XPENDING s g - + 10 bob',
    'XPENDING s g - + 0',
    'XPENDING s g x + 10',
    'XPENDING s g - +',
    'XPENDING s nog',
    'XINFO GROUPS s',
    'XACK s g 1 9',
    'XACK s g x',
    'XACK s nog 1',
    'XDEL s 2',
    'XREADGROUP GROUP g alice STREAMS s 0',
    'XINFO GROUPS s',
    'XCLAIM s g carol 0 2 3 JUSTID',
    'XCLAIM s g carol 0 3 RETRYCOUNT 7 JUSTID',
    'XCLAIM s g carol 0 3 FOO',
    'XCLAIM s g carol x 3',
    'XCLAIM s nog carol 0 3',
    'XADD s 4 d 4',
    'XREADGROUP GROUP g dave STREAMS s >',
    'XAUTOCLAIM s g erin 0 0 COUNT 1',
    'XAUTOCLAIM s g erin 0 0 JUSTID',
    'XAUTOCLAIM s g erin 0 0 COUNT 0',
    'XAUTOCLAIM s g erin x 0',
    'XAUTOCLAIM s nog erin 0 0',
    'XPENDING s g',
    'XGROUP CREATECONSUMER s g zed',
    'XGROUP CREATECONSUMER s g zed',
    'XGROUP DELCONSUMER s g erin',
    'XGROUP DELCONSUMER s g nobody',
    'XPENDING s g',
    'XGROUP SETID s g 1 ENTRIESREAD 1',
    'XINFO GROUPS s',
    'XGROUP SETID s g $',
    'XINFO GROUPS s',
    '&XINFO STREAM s',
    'XGROUP DESTROY s g',
    'XGROUP DESTROY s g',
    'XINFO GROUPS s',
    'XGROUP HELP',
    'XGROUP FOO',
    'SET str x',
    'XGROUP CREATE str g 0',
    'XREADGROUP GROUP g c STREAMS str >',
    'XINFO GROUPS str',
  ]));

test('consumer group lag and entries-read with XDEL, XSETID and trimming', () =>
  same([
    'XGROUP CREATE e g $ MKSTREAM',
    'XINFO GROUPS e',
    'XADD s 1 f v',
    'XADD s 2 f v',
    'XADD s 3 f v',
    'XADD s 4 f v',
    'XGROUP CREATE s g 0',
    'XINFO GROUPS s',
    'XREADGROUP GROUP g c COUNT 1 STREAMS s >',
    'XINFO GROUPS s',
    'XDEL s 3',
    'XINFO GROUPS s',
    'XREADGROUP GROUP g c STREAMS s >',
    'XINFO GROUPS s',
    'XADD s 5 f v',
    'XTRIM s MAXLEN 1',
    'XGROUP CREATE s h 0',
    'XINFO GROUPS s',
    'XREADGROUP GROUP h c NOACK STREAMS s >',
    'XPENDING s h',
    'XINFO GROUPS s',
  ]));

/** Sends XREAD BLOCK on a fresh connection of each server, then XADD from the main ones; returns both replies. */
async function blockedRead(args: string[], writes: string[][], resp3 = false): Promise<[string | null, string | null]> {
  const [x, y] = await Promise.all([RawClient.connect(fcPort), RawClient.connect(redis.port)]);
  try {
    if (resp3) await Promise.all([x.call('HELLO', '3'), y.call('HELLO', '3')]);
    const px = x.call(...args);
    const py = y.call(...args);
    await new Promise((r) => setTimeout(r, 50));
    for (const w of writes) await Promise.all([a.call(...w), b.call(...w)]);
    return await Promise.all([px, py]);
  } finally {
    x.close();
    y.close();
  }
}

test('XREAD BLOCK is served by XADD, with $ and with an ID, in RESP2 and RESP3', async () => {
  for (const resp3 of [false, true]) {
    await Promise.all([a.call('FLUSHALL'), b.call('FLUSHALL')]);
    await Promise.all([a.call('XADD', 's', '1', 'f', 'v'), b.call('XADD', 's', '1', 'f', 'v')]);
    let [x, y] = await blockedRead(
      ['XREAD', 'BLOCK', '0', 'STREAMS', 'other', 's', '$', '$'],
      [
        ['XADD', 'zzz', '1', 'a', 'b'],
        ['SET', 'other', 'x'],
        ['XADD', 's', '2', 'g', 'h'],
      ],
      resp3,
    );
    assert.equal(x, y);
    [x, y] = await blockedRead(
      ['XREAD', 'COUNT', '1', 'BLOCK', '5000', 'STREAMS', 'nokey', '0'],
      [['XADD', 'nokey', '5', 'a', '1']],
      resp3,
    );
    assert.equal(x, y);
  }
});

/** The state of stream `key` as replies: entries and counters. */
async function streamState(c: RawClient, key: string): Promise<(string | null)[]> {
  return [
    await c.call('XRANGE', key, '-', '+'),
    await c.call('XLEN', key),
    xinfo((await c.call('XINFO', 'STREAM', key))!),
    await c.call('TYPE', key),
  ];
}

/** Writes streams whose replay exercises every logged effect. */
async function writeStreams(c: RawClient): Promise<void> {
  for (let i = 0; i < 250; i++) await c.call('XADD', 's', '*', 'n', String(i));
  await c.call('XADD', 's', 'MAXLEN', '~', '120', '*', 'n', 'last');
  await c.call('XTRIM', 's', 'MAXLEN', '100');
  await c.call('XADD', 't', '5-*', 'a', 'b');
  await c.call('XADD', 't', '5-*', 'c', 'd');
  await c.call('XADD', 't', '7', 'e', 'f');
  await c.call('XDEL', 't', '5-1');
  await c.call('XSETID', 't', '100-0', 'ENTRIESADDED', '10', 'MAXDELETEDID', '6-0');
  await c.call('XADD', 'u', 'MINID', '~', '0', '1', 'x', 'y');
  await c.call('XTRIM', 'u', 'MINID', '2');
  await c.call('XGROUP', 'CREATE', 's', 'g', '0');
  await c.call('XGROUP', 'CREATE', 's', 'h', '$', 'ENTRIESREAD', '5');
  await c.call('XREADGROUP', 'GROUP', 'g', 'alice', 'COUNT', '5', 'STREAMS', 's', '>');
  await c.call('XREADGROUP', 'GROUP', 'g', 'bob', 'COUNT', '3', 'STREAMS', 's', '>');
  await c.call('XREADGROUP', 'GROUP', 'g', 'alice', 'NOACK', 'COUNT', '2', 'STREAMS', 's', '>');
  await c.call('XREADGROUP', 'GROUP', 'g', 'alice', 'STREAMS', 's', '0');
  const first = (await c.call('XRANGE', 's', '-', '+', 'COUNT', '1'))!.split('\r\n')[3]!;
  await c.call('XACK', 's', 'g', first);
  await c.call('XCLAIM', 's', 'g', 'carol', '0', first, 'FORCE');
  await c.call('XAUTOCLAIM', 's', 'g', 'dave', '0', '0', 'COUNT', '2');
  await c.call('XGROUP', 'CREATECONSUMER', 's', 'h', 'zed');
  await c.call('XGROUP', 'CREATE', 't', 'gone', '0');
  await c.call('XGROUP', 'DESTROY', 't', 'gone');
}

/** A stream's groups and pending entries as replies (idle times masked: they depend on the clock). */
async function groupState(c: RawClient, key: string): Promise<(string | null)[]> {
  const out: (string | null)[] = [await c.call('XINFO', 'GROUPS', key)];
  for (const g of ['g', 'h']) {
    out.push(await c.call('XPENDING', key, g));
    const full = await c.call('XPENDING', key, g, '-', '+', '100');
    out.push(full?.replace(/:\d+\r\n(:\d+\r\n)/g, ':idle\r\n$1') ?? null);
  }
  return out;
}

for (const how of ['SIGKILL', 'SAVE'] as const) {
  test(`streams survive ${how} and restart: entries, IDs and counters`, async () => {
    const dir = tempDir();
    try {
      let srv = await startServer({ dir });
      const c = await RawClient.connect(srv.port);
      await writeStreams(c);
      const before = [
        ...(await streamState(c, 's')),
        ...(await streamState(c, 't')),
        ...(await streamState(c, 'u')),
        ...(await groupState(c, 's')),
        await c.call('XINFO', 'GROUPS', 't'),
      ];
      if (how === 'SAVE') assert.equal(await c.call('SAVE'), '+OK\r\n');
      c.close();
      if (how === 'SIGKILL') await srv.kill();
      else await srv.stop();
      srv = await startServer({ dir });
      const check = await RawClient.connect(srv.port);
      const after = [
        ...(await streamState(check, 's')),
        ...(await streamState(check, 't')),
        ...(await streamState(check, 'u')),
        ...(await groupState(check, 's')),
        await check.call('XINFO', 'GROUPS', 't'),
      ];
      assert.deepEqual(after, before);
      assert.match((await check.call('XADD', 't', '100-0', 'f', 'v'))!, /equal or smaller/);
      check.close();
      await srv.stop();
    } finally {
      cleanup(dir);
    }
  });
}

const TOOL = join(resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..'), 'dist', 'tools', 'cache-dump.js');

test('cache-dump keys names streams, export rebuilds them in redis-server with their counters', async () => {
  const dir = tempDir();
  try {
    const srv = await startServer({ dir });
    const c = await RawClient.connect(srv.port);
    await writeStreams(c);
    await c.call('XADD', 'e', '3-3', 'f', 'v');
    await c.call('XDEL', 'e', '3-3');
    const keys = ['s', 't', 'u', 'e'];
    const before: (string | null)[] = [];
    for (const k of keys) before.push(...(await streamState(c, k)));
    c.close();
    await srv.stop();
    const listed = await run(process.execPath, [TOOL, 'keys', dir], undefined, {});
    assert.match(listed.stdout, /\ts\tstream\t/);
    const exported = await run(process.execPath, [TOOL, 'export', dir], undefined, {});
    assert.equal(exported.code, 0, exported.stderr);
    await b.call('FLUSHALL');
    const piped = await redisCli(redis.port, ['--pipe'], exported.stdout);
    assert.match(piped.stdout, /errors: 0/);
    const after: (string | null)[] = [];
    for (const k of keys) after.push(...(await streamState(b, k)));
    // The export re-adds live entries only, so the node count may differ.
    const noKeys = (r: string | null) => r?.replace(/(radix-tree-keys\r\n):\d+/, '$1:n') ?? null;
    assert.deepEqual(after.map(noKeys), before.map(noKeys));
  } finally {
    cleanup(dir);
  }
});

test('a replica applies the stream and consumer-group effects to the same state', async () => {
  const primary = await startServer();
  const replica = await startReplica(primary);
  try {
    const c = await RawClient.connect(primary.port);
    await writeStreams(c);
    c.close();
    const [p, r] = [primary.client(), replica.client()];
    await converged(p, r);
    const [pc, rc] = await Promise.all([RawClient.connect(primary.port), RawClient.connect(replica.port)]);
    for (const k of ['s', 't', 'u']) assert.deepEqual(await streamState(rc, k), await streamState(pc, k), k);
    assert.deepEqual(await groupState(rc, 's'), await groupState(pc, 's'));
    pc.close();
    rc.close();
  } finally {
    await replica.stop();
    await primary.stop();
    cleanup(replica.dir);
    cleanup(primary.dir);
  }
});
