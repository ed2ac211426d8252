/**
 * HyperLogLog against Debian's redis-server 7.0.15: the HYLL strings GET
 * returns after PFADD, PFMERGE and PFDEBUG TODENSE equal byte for byte
 * (sparse and dense, at several `hll-sparse-max-bytes`), PFCOUNT equal for
 * seeded random sets of up to 100k elements, strings copied from
 * redis-server with GET and SET counting the same, damaged strings answered
 * with Redis's errors, every reply in RESP2 and RESP3, and HLL writes that
 * survive SIGKILL (the logged SET, SETRANGE and PFADD effects replay to the
 * same strings, even under another `hll-sparse-max-bytes`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RedisHandle } from '../helpers/redis.js';
import { cleanup, startServer, tempDir } from '../helpers/server.js';
import { encodeCommand, RawClient } from '../helpers/resp.js';
import { serverPair, type Command, sameInBothProtocols } from '../helpers/differential.js';
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

/** FLUSHALL, then each command on both servers, in RESP2 and then again in RESP3 on fresh connections. */
async function same(commands: Command[]): Promise<void> {
  await sameInBothProtocols(a, b, [fcPort, redis.port], commands);
}

/** Sends `cmds` pipelined to both servers; their replies, FlashCache's first. */
async function both(cmds: (string | Buffer)[][]): Promise<[string[], string[]]> {
  const bytes = Buffer.concat(cmds.map((c) => encodeCommand(c)));
  a.write(bytes);
  b.write(bytes);
  return Promise.all([a.readMany(cmds.length, 120_000), b.readMany(cmds.length, 120_000)]);
}

/** Asserts both servers replied the same to each command of `cmds`, naming the first that differs. */
async function bothSame(cmds: (string | Buffer)[][], what: string): Promise<string[]> {
  const [ra, rb] = await both(cmds);
  for (let i = 0; i < cmds.length; i++) {
    if (ra[i] !== rb[i]) {
      const cmd = cmds[i]!.map((x) => (typeof x === 'string' ? x : `<${x.length} bytes>`)).join(' ');
      assert.equal(ra[i], rb[i], `${what}: reply ${i} to ${cmd.slice(0, 80)}`);
    }
  }
  return ra;
}

/** `n` random elements: binary strings of 0 to 24 bytes, some repeated. */
function elementsOf(rand: () => number, n: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    if (i > 0 && rand() < 0.05) {
      out.push(out[Math.floor(rand() * i)]!);
      continue;
    }
    const e = Buffer.alloc(Math.floor(rand() * 25));
    for (let k = 0; k < e.length; k++) e[k] = Math.floor(rand() * 256);
    out.push(e);
  }
  return out;
}

/** CONFIG GET hll-sparse-max-bytes's reply for `value`. */
function configReply(value: string): string {
  return `*2\r\n$20\r\nhll-sparse-max-bytes\r\n$${value.length}\r\n${value}\r\n`;
}

/** Bulk string payload of a RESP reply. */
function bulkOf(reply: string): Buffer {
  const nl = reply.indexOf('\r\n');
  return Buffer.from(reply.slice(nl + 2, reply.length - 2), 'latin1');
}

test('PFADD, PFCOUNT and their cache, PFMERGE, PFDEBUG: replies and HYLL bytes as redis-server', () =>
  same([
    'PFADD h',
    'GET h',
    'PFCOUNT h',
    'GET h',
    'PFADD h a b c',
    'PFADD h a b c',
    'GET h',
    'PFCOUNT h',
    'GETRANGE h 15 15',
    'PFADD h 1 2 3',
    'GETRANGE h 15 15',
    'PFADD h ""',
    'PFCOUNT h',
    'PFCOUNT nokey',
    'PFCOUNT h nokey',
    'PFADD h2 b c d e f',
    'PFCOUNT h h2',
    'GET h2',
    'PFMERGE dest h h2',
    'GET dest',
    'PFCOUNT dest',
    'PFMERGE dest',
    'GET dest',
    'PFMERGE only',
    'GET only',
    'PFMERGE h h2',
    'GET h',
    'PFDEBUG ENCODING h',
    'PFDEBUG DECODE h',
    'PFDEBUG decode h2',
    'PFDEBUG TODENSE h2',
    'PFDEBUG TODENSE h2',
    'PFDEBUG ENCODING h2',
    'PFDEBUG DECODE h2',
    'GET h2',
    'PFADD h2 x y z',
    'GET h2',
    'PFCOUNT h2',
    'PFMERGE dd h h2',
    'GET dd',
    'PFDEBUG ENCODING dd',
    'PFMERGE sp h',
    'PFDEBUG ENCODING sp',
    'PFDEBUG GETREG h',
    'GET h',
    'PFDEBUG ENCODING h',
    'PFDEBUG GETREG nokey',
    'PFDEBUG FOO nokey',
    'PFDEBUG FOO h',
    'PFDEBUG GETREG',
    'PFADD',
    'PFCOUNT',
    'PFMERGE',
    'EXPIRE h2 1000',
    'PFADD h2 more elements here',
    'TTL h2',
    'PFCOUNT h2',
    'TTL h2',
    'EXPIRE h 1000',
    'PFMERGE h h2',
    'TTL h',
    'PFADD w a',
    'WATCH w',
    'PFCOUNT w',
    'MULTI',
    'PING',
    'EXEC',
    'WATCH w',
    'PFCOUNT w',
    'PFADD w a',
    'MULTI',
    'PING',
    'EXEC',
    'MULTI',
    'PFADD w b',
    'PFCOUNT w',
    'PFCOUNT w x',
    'EXEC',
    'GET w',
  ]));

test('wrong types and damaged HLL strings get Redis errors', () =>
  same([
    'SET foo bar',
    'PFADD foo 1',
    'PFCOUNT foo',
    'PFCOUNT foo nokey',
    'PFMERGE bar foo',
    'PFMERGE foo bar',
    'PFDEBUG ENCODING foo',
    'LPUSH l a',
    'PFADD l 1',
    'PFCOUNT l',
    'PFCOUNT nokey l',
    'PFMERGE l',
    'PFMERGE d l',
    'PFDEBUG GETREG l',
    'SET short HYLL',
    'PFCOUNT short',
    'PFADD tail a b c',
    'APPEND tail hello',
    'PFCOUNT tail',
    'PFCOUNT tail nokey',
    'PFMERGE d tail',
    'PFADD tail x y z w',
    'PFDEBUG TODENSE tail',
    'PFDEBUG GETREG tail',
    'PFDEBUG DECODE tail',
    'GET tail',
    'PFADD magic a b c',
    'SETRANGE magic 0 0123',
    'PFCOUNT magic',
    'PFADD enc a b c',
    'SETRANGE enc 4 x',
    'PFCOUNT enc',
    ['PFADD', 'len', 'a', 'b', 'c'],
    ['SETRANGE', 'len', '4', Buffer.from([0])],
    'PFCOUNT len',
    'PFADD len z',
    ['SETRANGE', 'len', '4', Buffer.from([2])],
    'PFADD len z',
    'PFADD short2',
    ['SETRANGE', 'short2', '16', Buffer.from([0x7f])],
    'PFADD short2 a b c d e f g',
    'GET short2',
    'PFCOUNT short2',
  ]));

test('GET after PFADDs equals redis-server byte for byte, sparse then dense; PFCOUNT equal up to 100k elements', async () => {
  const seed = testSeed('hll random sets');
  const rand = prng(seed);
  await both([['FLUSHALL'], ['CONFIG', 'SET', 'hll-sparse-max-bytes', '3000']]);
  const sizes = [0, 1, 2, 5, 10, 50, 100, 300, 1000, 2500, 5000, 10000, 30000, 100000];
  let compared = 0;
  for (const n of sizes) {
    const key = `h:${n}`;
    const els = elementsOf(rand, n);
    const cmds: (string | Buffer)[][] = [];
    for (let i = 0; i < n; ) {
      const k = 1 + Math.floor(rand() * (n > 10000 ? 200 : 40));
      cmds.push(['PFADD', key, ...els.slice(i, i + k)]);
      if (i < 4000) cmds.push(['GET', key], ['PFDEBUG', 'ENCODING', key]);
      if (rand() < 0.1) cmds.push(['PFCOUNT', key]);
      i += k;
    }
    if (n === 0) cmds.push(['PFADD', key]);
    cmds.push(['GET', key], ['PFCOUNT', key], ['PFCOUNT', key], ['GET', key], ['PFDEBUG', 'ENCODING', key]);
    const replies = await bothSame(cmds, `set of ${n} (seed ${seed})`);
    compared += cmds.length;
    const card = Number(replies[replies.length - 3]!.slice(1));
    const distinct = new Set(els.map((e) => e.toString('hex'))).size;
    if (n >= 1000) assert.ok(Math.abs(card - distinct) < distinct * 0.05, `estimate ${card} for ${distinct}`);
  }
  const enc = await bothSame(
    [
      ['PFDEBUG', 'ENCODING', 'h:100'],
      ['PFDEBUG', 'ENCODING', 'h:100000'],
    ],
    'encodings',
  );
  assert.deepEqual(enc, ['+sparse\r\n', '+dense\r\n']);
  assert.ok(compared > 3000);
});

test('hll-sparse-max-bytes: promotion at other bounds, CONFIG GET and SET as redis-server', async () => {
  const seed = testSeed('hll sparse max bytes');
  const rand = prng(seed);
  await same([
    'CONFIG GET hll-sparse-max-bytes',
    'CONFIG SET hll-sparse-max-bytes 1kb',
    'CONFIG GET hll-sparse-max-bytes',
    'CONFIG SET hll-sparse-max-bytes -1',
    'CONFIG SET hll-sparse-max-bytes lots',
    'CONFIG SET hll-sparse-max-bytes 3000',
    'CONFIG GET hll-sparse-max-*',
  ]);
  for (const max of ['0', '40', '200', '20000']) {
    await both([['FLUSHALL'], ['CONFIG', 'SET', 'hll-sparse-max-bytes', max]]);
    const els = elementsOf(rand, 3000);
    const cmds: (string | Buffer)[][] = [];
    for (let i = 0; i < els.length; i += 7) {
      cmds.push(['PFADD', 'h', ...els.slice(i, i + 7)], ['GET', 'h']);
      if (i % 70 === 0) cmds.push(['PFMERGE', 'm', 'h'], ['GET', 'm'], ['PFCOUNT', 'h', 'm']);
    }
    cmds.push(['PFCOUNT', 'h'], ['GET', 'h']);
    await bothSame(cmds, `hll-sparse-max-bytes ${max} (seed ${seed})`);
  }
  await both([['CONFIG', 'SET', 'hll-sparse-max-bytes', '3000']]);
});

test('PFMERGE of random sparse and dense HLLs, and PFCOUNT of several keys, as redis-server', async () => {
  const seed = testSeed('hll merge');
  const rand = prng(seed);
  await both([['FLUSHALL']]);
  const sizes = [0, 3, 40, 400, 1500, 4000, 20000];
  const cmds: (string | Buffer)[][] = [];
  for (const n of sizes) {
    const els = elementsOf(rand, n);
    for (let i = 0; i < n; i += 100) cmds.push(['PFADD', `s:${n}`, ...els.slice(i, i + 100)]);
  }
  for (let t = 0; t < 40; t++) {
    const picks = sizes.filter(() => rand() < 0.4).map((n) => `s:${n}`);
    if (rand() < 0.3) picks.push('missing');
    const dest = rand() < 0.5 ? `d:${t}` : `s:${sizes[Math.floor(rand() * sizes.length)]}copy`;
    if (rand() < 0.3) cmds.push(['PFADD', dest, `own${t}`]);
    cmds.push(['PFMERGE', dest, ...picks], ['GET', dest], ['PFCOUNT', dest], ['PFDEBUG', 'ENCODING', dest]);
    if (picks.length > 0) cmds.push(['PFCOUNT', ...picks]);
  }
  await bothSame(cmds, `merges (seed ${seed})`);
});

test('HLL strings copied from redis-server with GET and SET count and grow the same here', async () => {
  const seed = testSeed('hll copy');
  const rand = prng(seed);
  await both([['FLUSHALL']]);
  for (const n of [1, 30, 700, 2000, 9000, 50000]) {
    const els = elementsOf(rand, n);
    for (let i = 0; i < n; i += 500) await b.call('PFADD', 'src', ...els.slice(i, i + 500));
    if (rand() < 0.5) await b.call('PFCOUNT', 'src');
    const bytes = bulkOf((await b.call('GET', 'src'))!);
    assert.equal(bytes.subarray(0, 4).toString(), 'HYLL');
    const more = elementsOf(rand, 300);
    const cmds: (string | Buffer)[][] = [
      ['SET', 'copy', bytes],
      ['PFCOUNT', 'copy'],
      ['GET', 'copy'],
      ['PFDEBUG', 'ENCODING', 'copy'],
      ['PFADD', 'copy', ...more],
      ['GET', 'copy'],
      ['PFCOUNT', 'copy'],
      ['PFMERGE', 'copy2', 'copy'],
      ['GET', 'copy2'],
    ];
    await bothSame(cmds, `copy of ${n} (seed ${seed})`);
    await b.call('DEL', 'src');
  }
});

test('randomly damaged HLL strings get the same replies and leave the same bytes as redis-server', async () => {
  const seed = testSeed('hll damage');
  const rand = prng(seed);
  await both([['FLUSHALL']]);
  let damaged = 0;
  for (let t = 0; t < 150; t++) {
    const n = Math.floor(rand() * 3000);
    const els = elementsOf(rand, n);
    for (let i = 0; i < n; i += 500) await b.call('PFADD', 'src', ...els.slice(i, i + 500));
    if (n === 0) await b.call('PFADD', 'src');
    const bytes = bulkOf((await b.call('GET', 'src'))!);
    await b.call('DEL', 'src');
    for (let i = 0; i < 5; i++) {
      bytes[Math.floor(rand() * bytes.length)] = Math.floor(rand() * 256);
      if (rand() < 0.5) break;
    }
    const cut = rand() < 0.1 ? bytes.subarray(0, Math.floor(rand() * bytes.length)) : bytes;
    const cmds: (string | Buffer)[][] = [
      ['SET', 'h', cut],
      ['PFCOUNT', 'h'],
      ['PFCOUNT', 'h', 'nokey'],
      ['PFMERGE', 'd', 'h'],
      ['PFADD', 'h', ...elementsOf(rand, 20)],
      ['GET', 'h'],
      ['PFDEBUG', 'DECODE', 'h'],
      ['PFDEBUG', 'TODENSE', 'h'],
      ['GET', 'h'],
      ['DEL', 'd'],
    ];
    const replies = await bothSame(cmds, `damage ${t} (seed ${seed})`);
    if (replies[1]!.startsWith('-')) damaged++;
  }
  assert.ok(damaged > 0, 'some damage was detected');
});

test('PFADD and PFMERGE fire pfadd keyspace events, a created key new', async () => {
  const fc = await RawClient.connect(fcPort);
  const sub = await RawClient.connect(fcPort);
  try {
    await fc.call('CONFIG', 'SET', 'notify-keyspace-events', 'KEAn');
    await fc.call('FLUSHALL');
    await sub.call('PSUBSCRIBE', '__keyevent@0__:*');
    await fc.call('PFADD', 'ev', 'a');
    await fc.call('PFADD', 'ev', 'a');
    await fc.call('PFMERGE', 'ev2', 'ev');
    const msgs = await sub.readMany(4);
    const events = msgs.map((m) => m.split('\r\n')[6]);
    assert.deepEqual(events, [
      '__keyevent@0__:new',
      '__keyevent@0__:pfadd',
      '__keyevent@0__:new',
      '__keyevent@0__:pfadd',
    ]);
  } finally {
    await fc.call('CONFIG', 'SET', 'notify-keyspace-events', '');
    fc.close();
    sub.close();
  }
});

test('HLL writes survive SIGKILL and replay to the same strings under another hll-sparse-max-bytes', async () => {
  const dir = tempDir();
  const rand = prng(testSeed('hll sigkill'));
  const keys = ['sparse', 'grown', 'dense', 'merged', 'forced', 'cached'];
  try {
    let srv = await startServer({ dir });
    const c = await RawClient.connect(srv.port);
    const els = elementsOf(rand, 6000);
    await c.call('PFADD', 'sparse', ...els.slice(0, 50));
    for (let i = 0; i < 3000; i += 30) await c.call('PFADD', 'grown', ...els.slice(i, i + 30));
    await c.call('PFADD', 'dense', ...els.slice(0, 100));
    await c.call('PFDEBUG', 'TODENSE', 'dense');
    for (let i = 0; i < 6000; i += 60) await c.call('PFADD', 'dense', ...els.slice(i, i + 60));
    await c.call('PFMERGE', 'merged', 'sparse', 'grown');
    await c.call('PFADD', 'forced', 'x', 'y');
    await c.call('PFDEBUG', 'GETREG', 'forced');
    await c.call('PFADD', 'cached', ...els.slice(100, 400));
    await c.call('PFCOUNT', 'cached');
    await c.call('PFCOUNT', 'dense');
    const before = await Promise.all(keys.map((k) => c.call('GET', k)));
    assert.equal(bulkOf(before[5]!)[15]! & 0x80, 0, 'PFCOUNT cached the cardinality');
    c.close();
    await srv.kill();
    srv = await startServer({ dir, args: ['--hll-sparse-max-bytes', '100'] });
    const check = await RawClient.connect(srv.port);
    const after = await Promise.all(keys.map((k) => check.call('GET', k)));
    for (let i = 0; i < keys.length; i++) assert.equal(after[i], before[i], keys[i]);
    assert.equal(await check.call('PFDEBUG', 'ENCODING', 'grown'), '+dense\r\n');
    assert.equal(await check.call('PFDEBUG', 'ENCODING', 'sparse'), '+sparse\r\n');
    assert.equal(await check.call('CONFIG', 'GET', 'hll-sparse-max-bytes'), configReply('100'));
    check.close();
    await srv.stop();
  } finally {
    cleanup(dir);
  }
});

test('hll-sparse-max-bytes from the environment and the config file', async () => {
  const dir = tempDir();
  try {
    const env = { FLASHCACHE_HLL_SPARSE_MAX_BYTES: '2kb' };
    let srv = await startServer({ dir: join(dir, 'a'), env });
    let c = await RawClient.connect(srv.port);
    assert.equal(await c.call('CONFIG', 'GET', 'hll-sparse-max-bytes'), configReply('2048'));
    c.close();
    await srv.stop();
    const conf = join(dir, 'flashcache.conf');
    writeFileSync(conf, 'hll-sparse-max-bytes 500\n');
    srv = await startServer({ dir: join(dir, 'b'), env, args: ['--config', conf] });
    c = await RawClient.connect(srv.port);
    assert.equal(await c.call('CONFIG', 'GET', 'hll-sparse-max-bytes'), configReply('500'));
    c.close();
    await srv.stop();
  } finally {
    cleanup(dir);
  }
});

test('a replica with another hll-sparse-max-bytes holds the same HLL strings; its PFCOUNT writes nothing', async (t) => {
  const rand = prng(testSeed('hll replica'));
  const primary = await startServer();
  const replica = await startReplica(primary, { args: ['--hll-sparse-max-bytes', '100'] });
  t.after(async () => {
    await replica.stop();
    await primary.stop();
    cleanup(primary.dir);
    cleanup(replica.dir);
  });
  const p = primary.client();
  const r = replica.client();
  const els = elementsOf(rand, 5000).map((e) => e.toString('latin1'));
  for (let i = 0; i < 5000; i += 50) await p.pfadd('grown', ...els.slice(i, i + 50));
  await p.pfadd('sparse', ...els.slice(0, 40));
  await p.pfadd('uncached', ...els.slice(0, 300));
  await p.pfcount('grown');
  await p.pfmerge('merged', 'sparse', 'uncached');
  await converged(p, r);
  const keys = ['grown', 'sparse', 'uncached', 'merged'];
  for (const k of keys) assert.deepEqual(await r.getBuffer(k), await p.getBuffer(k), k);
  const before = await r.getBuffer('uncached');
  const count = await r.pfcount('uncached');
  assert.deepEqual(await r.getBuffer('uncached'), before, 'the replica left its copy as the primary logged it');
  assert.equal(count, await p.pfcount('uncached'));
  await converged(p, r);
  assert.deepEqual(await r.getBuffer('uncached'), await p.getBuffer('uncached'));
  await assert.rejects(r.call('PFDEBUG', 'ENCODING', 'sparse'), /READONLY/);
});
