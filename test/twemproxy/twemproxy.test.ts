/**
 * twemproxy (Debian's nutcracker 0.5.0, ketama over fnv1a_64, named servers)
 * in front of real FlashCache nodes on loopback, as docs/TWEMPROXY.md sets it
 * up: 100k keys written through the proxy land each on exactly one node;
 * MGET, MSET, DEL, UNLINK and TOUCH split across nodes and merge (EXISTS
 * goes whole to its first key's node); one call of every
 * command family nutcracker forwards gives the same bytes through the proxy
 * as directly on a node, in strict RESP2; a fourth server remaps about a
 * quarter of the keys, all of them to the new server; a SIGKILLed node is
 * ejected after `server_failure_limit` failures while the other nodes keep
 * serving, and after a restart on its port and data directory its keys are
 * readable through the proxy again once `server_retry_timeout` passed; a
 * node that stops answering (SIGSTOP) times out, is ejected the same way and
 * is back after SIGCONT.
 *
 * Skipped, saying so, when the nutcracker binary is missing (.ci/run installs
 * Debian's package).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { RawClient } from '../helpers/resp.js';
import { cleanup, startServer, waitFor, type ServerHandle } from '../helpers/server.js';
import { nutcrackerBinary, startNutcracker, type NutcrackerHandle, type PoolOptions } from '../helpers/twemproxy.js';

const skip =
  nutcrackerBinary() === null
    ? 'nutcracker is not installed: apt-get install nutcracker (.ci/run installs it); twemproxy tests skipped'
    : false;

const KEYS = 100_000;
const key = (i: number): string => `key:${i}`;
const val = (i: number): string => `value-${i}`;
const FAILURE_LIMIT = 2;
const RETRY_MS = 1500;

/** Four FlashCache nodes: the first three behind the proxy from the start, the fourth added later. */
const nodes: ServerHandle[] = [];
let proxy: NutcrackerHandle | undefined;
/** The client options docs/TWEMPROXY.md gives for ioredis behind nutcracker. */
const IOREDIS_BEHIND_NUTCRACKER = { protocol: 2, enableReadyCheck: false, disableClientInfo: true } as const;
/** The node (index into `nodes`) that holds each key with three servers, then with four. */
const owner3 = new Int8Array(KEYS).fill(-1);
const owner4 = new Int8Array(KEYS).fill(-1);

function pool(count: number): PoolOptions {
  return {
    port: 0,
    servers: nodes.slice(0, count).map((n, i) => ({ port: n.port, name: `node${i + 1}` })),
    failureLimit: FAILURE_LIMIT,
    retryTimeoutMs: RETRY_MS,
  };
}

/** Waits until `key` reads `value` through client `c` (errors, while a node is ejected or back, count as not yet). */
async function servedAgain(c: Redis, key: string, value: string, what: string): Promise<void> {
  await waitFor(
    async () => {
      try {
        return (await c.get(key)) === value;
      } catch {
        return false;
      }
    },
    20_000,
    what,
  );
}

/** One ioredis client per node process, on RESP2. */
const directs = new Map<ServerHandle, Redis>();
function direct(n: number): Redis {
  const h = nodes[n]!;
  let c = directs.get(h);
  if (!c) directs.set(h, (c = h.client({ protocol: 2 })));
  return c;
}

function proxyClient(): Redis {
  const c = new Redis({
    port: proxy!.port,
    host: '127.0.0.1',
    ...IOREDIS_BEHIND_NUTCRACKER,
    maxRetriesPerRequest: 0,
    commandTimeout: 30_000,
  });
  c.on('error', () => {});
  return c;
}

/** Every key of a node, read with SCAN on the node itself. */
async function scanNode(n: ServerHandle): Promise<string[]> {
  const c = direct(nodes.indexOf(n));
  const out: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await c.scan(cursor, 'COUNT', 5000);
    cursor = next;
    out.push(...batch);
  } while (cursor !== '0');
  return out;
}

/** The reply types of RESP2 (`+ - : $ *`) only, recursively; throws on anything RESP3 (`_ % ~ , # ( = ! > |`). */
function assertResp2(reply: string, what: string): void {
  const buf = Buffer.from(reply, 'latin1');
  const walk = (off: number): number => {
    const t = String.fromCharCode(buf[off]!);
    const nl = buf.indexOf('\r\n', off);
    if ('+-:'.includes(t)) return nl + 2;
    const n = Number(buf.subarray(off + 1, nl).toString());
    if (t === '$') return n < 0 ? nl + 2 : nl + 2 + n + 2;
    if (t === '*') {
      let pos = nl + 2;
      for (let i = 0; i < n; i++) pos = walk(pos);
      return pos;
    }
    throw new Error(`${what}: reply type ${JSON.stringify(t)} is not RESP2: ${JSON.stringify(reply.slice(0, 200))}`);
  };
  assert.equal(walk(0), buf.length, `${what}: one whole reply`);
}

before(async () => {
  if (skip) return;
  for (let i = 0; i < 4; i++) nodes.push(await startServer());
  proxy = await startNutcracker(pool(3));
});

after(async () => {
  await proxy?.stop();
  for (const n of nodes) {
    await n.stop();
    cleanup(n.dir);
  }
});

test('100k keys through nutcracker: each on exactly one node; MGET, MSET, DEL, UNLINK, TOUCH split and merged', {
  skip,
}, async (t) => {
  const c = proxyClient();
  const started = Date.now();
  for (let from = 0; from < KEYS; from += 10_000) {
    const p = c.pipeline();
    for (let i = from; i < from + 10_000; i++) p.set(key(i), val(i));
    const res = await p.exec();
    for (const [err, r] of res!) assert.ok(!err && r === 'OK', `SET through the proxy: ${err ?? r}`);
  }
  t.diagnostic(`100k pipelined SETs through nutcracker: ${Date.now() - started} ms`);

  // DBSIZE adds up to 100k and SCAN on each node finds every key exactly once, with its value.
  let total = 0;
  for (let n = 0; n < 3; n++) total += await direct(n).dbsize();
  assert.equal(total, KEYS, 'DBSIZE of the three nodes adds up to the keys written');
  const counts: number[] = [];
  for (let n = 0; n < 3; n++) {
    const found = await scanNode(nodes[n]!);
    counts.push(found.length);
    for (const k of found) {
      const i = Number(k.slice(4));
      assert.equal(owner3[i], -1, `${k} on node${owner3[i]! + 1} and node${n + 1}`);
      owner3[i] = n;
    }
    for (let from = 0; from < found.length; from += 2000) {
      const ks = found.slice(from, from + 2000);
      const vs = await direct(n).mget(...ks);
      ks.forEach((k, j) => assert.equal(vs[j], val(Number(k.slice(4))), `${k} on node${n + 1}`));
    }
  }
  assert.equal(owner3.indexOf(-1), -1, 'every key is on a node');
  t.diagnostic(`keys per node: ${counts.join(' / ')}`);

  // MGET across the three nodes, missing keys in place.
  const sample = Array.from({ length: 600 }, (_, j) => (j % 50 === 49 ? `missing:${j}` : key(j * 131)));
  assert.ok(new Set(sample.map((k) => (k.startsWith('key:') ? owner3[Number(k.slice(4))] : -1))).size === 4);
  const got = await c.mget(...sample);
  assert.deepEqual(
    got,
    sample.map((k) => (k.startsWith('key:') ? val(Number(k.slice(4))) : null)),
  );
  // EXISTS is not split (nc_redis.c treats it as a one-key command): the first key's node counts what it holds.
  const first = owner3[Number(sample[0]!.slice(4))];
  const onFirst = sample.filter((k) => k.startsWith('key:') && owner3[Number(k.slice(4))] === first).length;
  assert.equal(await c.exists(...sample), onFirst, 'EXISTS answered by the node of its first key');
  assert.equal(await c.touch(...sample.slice(0, 100)), 98);

  // MSET split by server: each pair lands on the key's node.
  const mset = Array.from({ length: 300 }, (_, j) => j * 211);
  await c.mset(...mset.flatMap((i) => [key(i), `changed-${i}`]));
  for (const i of mset) assert.equal(await direct(owner3[i]!).get(key(i)), `changed-${i}`);

  // DEL and UNLINK across nodes count what each node deleted; the keys are gone where they were.
  const del = [...mset.slice(0, 150).map(key), 'missing:a', 'missing:b'];
  assert.equal(await c.del(...del), 150);
  assert.equal(await c.unlink(...mset.slice(150).map(key), 'missing:c'), 150);
  for (const i of mset) assert.equal(await direct(owner3[i]!).exists(key(i)), 0);
  await c.mset(...mset.flatMap((i) => [key(i), val(i)]));
  for (const i of mset) assert.equal(await direct(owner3[i]!).get(key(i)), val(i));
  c.disconnect();
});

test('node-redis and ioredis with the documented settings work through nutcracker', { skip }, async () => {
  const io = proxyClient();
  assert.equal(await io.set('clients:io', 'a'), 'OK');
  assert.equal(await io.get('clients:io'), 'a');
  io.disconnect();
  const nr = createClient({
    socket: { host: '127.0.0.1', port: proxy!.port, reconnectStrategy: false },
    disableClientInfo: true,
  });
  nr.on('error', () => {});
  await nr.connect();
  assert.equal(await nr.set('clients:nr', 'b'), 'OK');
  assert.deepEqual(await nr.mGet(['clients:io', 'clients:nr', key(7)]), ['a', 'b', val(7)]);
  await nr.close();
});

/** A command as one string split at spaces, or as its arguments. */
type Cmd = string | (string | Buffer)[];
const argv = (c: Cmd): (string | Buffer)[] => (typeof c === 'string' ? c.split(' ') : c);
const SCRIPT = "return {redis.call('SET', KEYS[1], ARGV[1]), redis.call('GET', KEYS[1]), #KEYS}";
const SHA = createHash('sha1').update(SCRIPT).digest('hex');

/**
 * One representative call (or a few) per command nutcracker 0.5.0 forwards
 * (nc_redis.c's redis_arg0/1/2/3/n/x/kvx/eval and COMMAND, LOLWUT, PING,
 * AUTH), each family's keys sharing a `{hash tag}` so multi-key commands
 * stay on one server. Left out: ZUNION, ZINTER and ZDIFF, which nutcracker
 * routes by their numkeys argument (docs/TWEMPROXY.md).
 */
const FAMILIES: Record<string, Cmd[]> = {
  strings: [
    'SET {strings}a 10',
    'SET {strings}b hello EX 100 NX',
    'SET {strings}b x XX GET',
    'GET {strings}a',
    'APPEND {strings}b -world',
    'STRLEN {strings}b',
    'GETRANGE {strings}b 1 3',
    'SETRANGE {strings}b 1 EY',
    'INCR {strings}a',
    'INCRBY {strings}a 5',
    'DECR {strings}a',
    'DECRBY {strings}a 2',
    'INCRBYFLOAT {strings}a 1.5',
    'GETSET {strings}a 7',
    'SETNX {strings}a 8',
    'SETEX {strings}c 100 v',
    'PSETEX {strings}d 100000 w',
    'GETEX {strings}c PERSIST',
    'GETDEL {strings}d',
    'MSET {strings}e 1 {strings}f 2',
    'MGET {strings}a {strings}e {strings}f {strings}none',
    'SETBIT {strings}bits 7 1',
    'GETBIT {strings}bits 7',
    'BITCOUNT {strings}bits',
    'BITPOS {strings}bits 1',
    'BITFIELD {strings}bf SET u8 0 200 INCRBY u8 0 100 GET u8 0',
    'GET {strings}b',
    'SET {strings}a x',
    'INCR {strings}a',
  ],
  keys: [
    'SET {keys}a 1',
    'EXISTS {keys}a {keys}b',
    'TYPE {keys}a',
    'EXPIRE {keys}a 100',
    'TTL {keys}a',
    'PERSIST {keys}a',
    'TTL {keys}a',
    'PEXPIRE {keys}a 100000',
    'EXPIREAT {keys}a 4102444800',
    'PEXPIREAT {keys}a 4102444800000',
    'PERSIST {keys}a',
    'PTTL {keys}a',
    'COPY {keys}a {keys}b',
    'GET {keys}b',
    'EXISTS {keys}b',
    'TOUCH {keys}a {keys}b',
    'RPUSH {keys}l 3 1 2',
    'SORT {keys}l',
    'SORT {keys}l DESC LIMIT 0 2 STORE {keys}sorted',
    'LRANGE {keys}sorted 0 -1',
    'DEL {keys}a {keys}sorted {keys}none',
    'UNLINK {keys}l',
  ],
  hashes: [
    'HSET {hashes}h f1 v1 f2 2',
    'HMSET {hashes}h f3 v3',
    'HSETNX {hashes}h f1 x',
    'HGET {hashes}h f1',
    'HMGET {hashes}h f1 f2 nope',
    'HGETALL {hashes}h',
    'HKEYS {hashes}h',
    'HVALS {hashes}h',
    'HLEN {hashes}h',
    'HEXISTS {hashes}h f3',
    'HSTRLEN {hashes}h f1',
    'HINCRBY {hashes}h f2 5',
    'HINCRBYFLOAT {hashes}h f2 0.25',
    'HSCAN {hashes}h 0',
    'HDEL {hashes}h f3 nope',
    'HSET {hashes}one only 1',
    'HRANDFIELD {hashes}one',
    'HRANDFIELD {hashes}one 1 WITHVALUES',
  ],
  lists: [
    'RPUSH {lists}l a b c d',
    'LPUSH {lists}l z',
    'LPUSHX {lists}l y',
    'RPUSHX {lists}none x',
    'LLEN {lists}l',
    'LRANGE {lists}l 0 -1',
    'LINDEX {lists}l 2',
    'LINSERT {lists}l BEFORE c bb',
    'LSET {lists}l 0 Y',
    'LPOS {lists}l c',
    'LREM {lists}l 1 bb',
    'LTRIM {lists}l 0 4',
    'LPOP {lists}l',
    'RPOP {lists}l 2',
    'RPOPLPUSH {lists}l {lists}m',
    'LMOVE {lists}l {lists}m LEFT RIGHT',
    'LRANGE {lists}m 0 -1',
  ],
  sets: [
    'SADD {sets}a 1 2 3 x',
    'SADD {sets}b 3 4',
    'SCARD {sets}a',
    'SISMEMBER {sets}a 2',
    'SMISMEMBER {sets}a 2 9',
    'SMEMBERS {sets}b',
    'SREM {sets}a x',
    'SINTER {sets}a {sets}b',
    'SUNION {sets}a {sets}b',
    'SDIFF {sets}a {sets}b',
    'SINTERSTORE {sets}i {sets}a {sets}b',
    'SUNIONSTORE {sets}u {sets}a {sets}b',
    'SDIFFSTORE {sets}d {sets}a {sets}b',
    'SMEMBERS {sets}u',
    'SMOVE {sets}a {sets}b 1',
    'SSCAN {sets}b 0',
    'SADD {sets}one m',
    'SRANDMEMBER {sets}one',
    'SPOP {sets}one',
  ],
  zsets: [
    'ZADD {zsets}a 1 one 2 two 3 three',
    'ZADD {zsets}b 5 two 7 four',
    'ZCARD {zsets}a',
    'ZSCORE {zsets}a two',
    'ZMSCORE {zsets}a one nope',
    'ZINCRBY {zsets}a 2.5 one',
    'ZRANK {zsets}a one',
    'ZREVRANK {zsets}a one',
    'ZCOUNT {zsets}a 1 3',
    'ZRANGE {zsets}a 0 -1 WITHSCORES',
    'ZRANGEBYSCORE {zsets}a (1 +inf WITHSCORES',
    'ZREVRANGE {zsets}a 0 1',
    'ZREVRANGEBYSCORE {zsets}a +inf 2',
    'ZADD {zsets}lex 0 a 0 b 0 c 0 d',
    'ZLEXCOUNT {zsets}lex [b +',
    'ZRANGEBYLEX {zsets}lex [b (d',
    'ZREVRANGEBYLEX {zsets}lex + (b',
    'ZRANGESTORE {zsets}st {zsets}a 0 1',
    'ZUNIONSTORE {zsets}u 2 {zsets}a {zsets}b WEIGHTS 1 2',
    'ZINTERSTORE {zsets}i 2 {zsets}a {zsets}b',
    'ZDIFFSTORE {zsets}d 2 {zsets}a {zsets}b',
    'ZRANGE {zsets}u 0 -1 WITHSCORES',
    'ZSCAN {zsets}i 0',
    'ZPOPMIN {zsets}u',
    'ZPOPMAX {zsets}u 2',
    'ZREM {zsets}a three nope',
    'ZREMRANGEBYSCORE {zsets}lex 1 2',
    'ZREMRANGEBYRANK {zsets}lex 0 0',
    'ZREMRANGEBYLEX {zsets}lex [c [c',
    'ZADD {zsets}one 1 m',
    'ZRANDMEMBER {zsets}one',
    'ZRANGE {zsets}d 0 -1',
  ],
  hyperloglog: [
    'PFADD {hll}a x y z',
    'PFADD {hll}b z w',
    'PFCOUNT {hll}a',
    'PFMERGE {hll}m {hll}a {hll}b',
    'PFCOUNT {hll}m {hll}a',
  ],
  geo: [
    'GEOADD {geo}g 13.361389 38.115556 Palermo 15.087269 37.502669 Catania',
    'GEODIST {geo}g Palermo Catania km',
    'GEOHASH {geo}g Palermo',
    'GEOPOS {geo}g Catania nope',
    'GEORADIUS {geo}g 15 37 200 km WITHDIST ASC',
    'GEORADIUSBYMEMBER {geo}g Palermo 300 km ASC',
    'GEOSEARCH {geo}g FROMLONLAT 15 37 BYRADIUS 200 km ASC WITHCOORD',
    'GEOSEARCHSTORE {geo}dst {geo}g FROMMEMBER Palermo BYBOX 400 400 km ASC',
    'ZRANGE {geo}dst 0 -1',
  ],
  scripting: [
    ['EVAL', SCRIPT, '2', '{lua}a', '{lua}b', 'v1'],
    ['EVALSHA', SHA, '1', '{lua}c', 'v2'],
    ['EVAL', "return redis.call('GET', KEYS[1])", '1', '{lua}a'],
  ],
  errors: [
    'SET {errors}s v',
    'LPUSH {errors}s a',
    'INCR {errors}s',
    'HGET {errors}s f',
    'ZADD {errors}z nan m',
    'GETRANGE {errors}s a b',
  ],
  misc: ['PING', 'COMMAND'],
};

test('every command family nutcracker forwards: same reply bytes as on a node, strict RESP2', { skip }, async (t) => {
  const before = await Promise.all([0, 1, 2].map((n) => direct(n).dbsize()));
  const viaProxy = await RawClient.connect(proxy!.port);
  const reference = await RawClient.connect(nodes[3]!.port);
  for (const [family, cmds] of Object.entries(FAMILIES)) {
    for (const cmd of cmds) {
      const args = argv(cmd);
      const what = `${family}: ${args.map(String).join(' ').slice(0, 80)}`;
      const got = await viaProxy.call(...args);
      const want = await reference.call(...args);
      assert.ok(got !== null, `${what}: nutcracker closed the connection`);
      assert.equal(got, want, what);
      assertResp2(got, what);
    }
  }
  viaProxy.close();
  reference.close();
  const added = await Promise.all([0, 1, 2].map(async (n) => (await direct(n).dbsize()) - before[n]!));
  t.diagnostic(`keys the families left per node: ${added.join(' / ')}`);
  assert.ok(added.filter((x) => x > 0).length >= 2, 'the families spread over more than one node');
  await direct(3).flushall();
});

test('commands nutcracker does not forward close the connection (docs/TWEMPROXY.md lists them)', { skip }, async () => {
  for (const cmd of [
    'KEYS *',
    'SCAN 0',
    'INFO',
    'HELLO 3',
    'CLIENT SETINFO LIB-NAME x',
    'SELECT 1',
    'MULTI',
    'SUBSCRIBE ch',
    'BLPOP {lists}l 1',
    'ECHO hi',
    'FLUSHALL',
    'RENAME {strings}a {strings}b',
    'MSETNX {strings}a 1',
    'BITOP AND {strings}d {strings}a',
    'EVAL return 0',
    'SCRIPT LOAD x',
    'XADD st * f v',
    'COMMAND COUNT',
    'MOVE {keys}a 1',
    'PING hello',
    'QUIT',
  ]) {
    const c = await RawClient.connect(proxy!.port);
    c.send(...argv(cmd));
    assert.equal(await c.read(), null, `${cmd}: the connection is closed without a reply`);
    c.close();
  }
  const c = await RawClient.connect(proxy!.port);
  assert.equal(await c.call('AUTH', 'x'), '-ERR Client sent AUTH, but no password is set\r\n');
  const art = await c.call('LOLWUT');
  assert.ok(art?.startsWith('$'), 'LOLWUT is forwarded to one of the nodes');
  c.close();
});

test('a fourth server remaps about a quarter of the keys, every one of them to the new server', { skip }, async (t) => {
  assert.equal(await direct(3).dbsize(), 0);
  await proxy!.stop();
  proxy = await startNutcracker(pool(4));
  const c = proxyClient();
  const moved: number[] = [];
  for (let from = 0; from < KEYS; from += 1000) {
    const p = c.pipeline();
    for (let i = from; i < from + 1000; i += 100) p.mget(...Array.from({ length: 100 }, (_, j) => key(i + j)));
    const res = await p.exec();
    res!.forEach(([err, vs], b) => {
      assert.ifError(err);
      (vs as (string | null)[]).forEach((v, j) => {
        const i = from + b * 100 + j;
        if (v === null) moved.push(i);
        else assert.equal(v, val(i), `${key(i)} through the 4-server ring`);
      });
    });
  }
  const fraction = moved.length / KEYS;
  t.diagnostic(`adding node4 remapped ${moved.length} of ${KEYS} keys: ${fraction.toFixed(4)}`);
  assert.ok(fraction > 0.12 && fraction < 0.38, `remapped fraction ${fraction} (a quarter expected)`);
  // Written again through the proxy, the remapped keys all land on node4: ketama moves keys only to the new server.
  const p = c.pipeline();
  for (const i of moved) p.set(key(i), val(i));
  await p.exec();
  assert.equal(await direct(3).dbsize(), moved.length);
  const onNew = new Set(await scanNode(nodes[3]!));
  for (const i of moved) assert.ok(onNew.has(key(i)), `${key(i)} on node4`);
  for (let i = 0; i < KEYS; i++) owner4[i] = owner3[i]!;
  for (const i of moved) owner4[i] = 3;
  c.disconnect();
});

test('a SIGKILLed node is ejected, the others keep serving, and after a restart its keys come back', {
  skip,
}, async (t) => {
  const victim = 1;
  const mine: number[] = [];
  const others: number[] = [];
  for (let i = 0; i < KEYS && (mine.length < 2000 || others.length < 300); i++) {
    if (owner4[i] === victim) mine.push(i);
    else if (others.length < 300) others.push(i);
  }
  const c = proxyClient();
  assert.equal(await c.get(key(mine[0]!)), val(mine[0]!));
  const port = nodes[victim]!.port;
  const dir = nodes[victim]!.dir;
  directs.get(nodes[victim]!)?.disconnect();
  await nodes[victim]!.kill();
  const killed = Date.now();

  // The other nodes answer throughout.
  const othersFine = async (): Promise<void> => {
    for (const i of others) assert.equal(await c.get(key(i)), val(i), `${key(i)} on a live node`);
  };
  await othersFine();
  // The victim's keys fail until server_failure_limit failures eject it; then they hash to the remaining servers.
  let errors = 0;
  await waitFor(
    async () => {
      try {
        return (await c.get(key(mine[1]!))) === null;
      } catch (e) {
        errors++;
        assert.match(String(e), /Connection refused|Connection reset|closed/i);
        return false;
      }
    },
    10_000,
    'the killed node to be ejected',
  );
  t.diagnostic(`ejected after ${errors} failed request(s), ${Date.now() - killed} ms after SIGKILL`);
  assert.ok(errors >= 1 && errors <= FAILURE_LIMIT, `${errors} errors before the ejection`);
  await othersFine();
  // A write to one of its keys meanwhile lands on another server: after the node's return that copy is
  // unreachable and the node's older value is read again (docs/TWEMPROXY.md, "Node failure").
  assert.equal(await c.set(key(mine[2]!), 'written-while-ejected'), 'OK');

  // Same port, same data directory: the node comes back with its data, and the proxy takes it back
  // after server_retry_timeout.
  nodes[victim] = await startServer({ dir, args: ['--port', String(port)] });
  assert.equal(nodes[victim]!.port, port);
  const restarted = Date.now();
  await servedAgain(c, key(mine[0]!), val(mine[0]!), 'the restarted node back in the ring');
  t.diagnostic(`back in the ring ${Date.now() - restarted} ms after the restart (server_retry_timeout ${RETRY_MS} ms)`);
  assert.equal(await c.get(key(mine[2]!)), val(mine[2]!), 'the value from before the ejection');
  let orphans = 0;
  for (let n = 0; n < 4; n++) if (n !== victim) orphans += await direct(n).exists(key(mine[2]!));
  assert.equal(orphans, 1, 'the write made during the ejection stays on the server that took it');
  for (let from = 0; from < mine.length; from += 500) {
    const ks = mine.slice(from, from + 500);
    assert.deepEqual(await c.mget(...ks.map(key)), ks.map(val));
  }
  await othersFine();
  c.disconnect();
});

test('a node that stops answering (SIGSTOP) times out, is ejected, and is back after SIGCONT', { skip }, async (t) => {
  // A second nutcracker over the same four nodes, with a short timeout: a hung node is noticed only this way.
  const TIMEOUT_MS = 1000;
  const quick = await startNutcracker({ ...pool(4), timeoutMs: TIMEOUT_MS });
  const c = new Redis({ port: quick.port, host: '127.0.0.1', ...IOREDIS_BEHIND_NUTCRACKER, maxRetriesPerRequest: 0 });
  c.on('error', () => {});
  const victim = 2;
  const mine: number[] = [];
  const others: number[] = [];
  for (let i = 0; i < KEYS && (mine.length < 2 || others.length < 100); i++) {
    if (owner4[i] === victim) mine.push(i);
    else if (others.length < 100) others.push(i);
  }
  try {
    assert.equal(await c.get(key(mine[0]!)), val(mine[0]!));
    nodes[victim]!.proc.kill('SIGSTOP');
    const stopped = Date.now();
    await assert.rejects(c.get(key(mine[0]!)), /timed out/);
    assert.ok(Date.now() - stopped >= TIMEOUT_MS - 50, 'the error comes after the timeout');
    let errors = 1;
    await waitFor(
      async () => {
        try {
          return (await c.get(key(mine[1]!))) === null;
        } catch {
          errors++;
          return false;
        }
      },
      10_000,
      'the stopped node to be ejected',
    );
    t.diagnostic(`ejected after ${errors} timed-out request(s), ${Date.now() - stopped} ms after SIGSTOP`);
    assert.ok(errors <= FAILURE_LIMIT, `${errors} timeouts before the ejection`);
    for (const i of others) assert.equal(await c.get(key(i)), val(i), `${key(i)} on a live node`);
    nodes[victim]!.proc.kill('SIGCONT');
    await servedAgain(c, key(mine[0]!), val(mine[0]!), 'the resumed node back in the ring');
  } finally {
    nodes[victim]!.proc.kill('SIGCONT');
    c.disconnect();
    await quick.stop();
  }
});
