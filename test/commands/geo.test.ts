/**
 * Geo commands against Debian's redis-server 7.0.15: every option and error
 * text byte for byte in RESP2 and RESP3, seeded random points (near the poles
 * and the antimeridian too) searched by radius and by box and compared reply
 * by reply, keyspace events, and GEOADD and GEOSEARCHSTORE writes that
 * survive SIGKILL (the logged ZADD and GEOSEARCHSTORE effects replay to the
 * same scores).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RedisHandle } from '../helpers/redis.js';
import { cleanup, startServer, tempDir } from '../helpers/server.js';
import { RawClient } from '../helpers/resp.js';
import { sameReplies, sameReply, serverPair, type Command, sameEvents } from '../helpers/differential.js';
import { prng, testSeed } from '../helpers/random.js';

let redis: RedisHandle;
let fcPort: number;
let a: RawClient;
let b: RawClient;
serverPair((p) => {
  ({ redis, a, b } = p);
  fcPort = p.fc.port;
});

/** A fresh RESP3 connection to each server, closed after `fn`. */
async function resp3(fn: (a3: RawClient, b3: RawClient) => Promise<void>): Promise<void> {
  const [a3, b3] = await Promise.all([RawClient.connect(fcPort), RawClient.connect(redis.port)]);
  try {
    await Promise.all([a3.call('HELLO', '3'), b3.call('HELLO', '3')]);
    await fn(a3, b3);
  } finally {
    a3.close();
    b3.close();
  }
}

/** FLUSHALL, then each command on both servers, in RESP2 and then again in RESP3 on fresh connections. */
async function same(commands: Command[]): Promise<void> {
  await sameReplies(a, b, commands);
  await resp3((a3, b3) => sameReplies(a3, b3, commands));
}

const SICILY = 'GEOADD Sicily 13.361389 38.115556 Palermo 15.087269 37.502669 Catania';

test('GEOADD: NX, XX, CH, the limits of the coordinates and the errors', () =>
  same([
    SICILY,
    'ZRANGE Sicily 0 -1 WITHSCORES',
    'GEOADD Sicily NX 13 38 Palermo 12 37 Trapani',
    'GEOADD Sicily XX 13 38 Palermo 11 36 Nowhere',
    'GEOADD Sicily XX CH 13.5 38 Palermo',
    'GEOADD Sicily CH NX 13.5 38 Palermo 14 37 Enna',
    'ZRANGE Sicily 0 -1 WITHSCORES',
    'GEOADD Sicily NX XX 13 38 Palermo',
    'GEOADD Sicily 13 38',
    'GEOADD Sicily 13 38 a 14',
    'GEOADD Sicily 181 38 a',
    'GEOADD Sicily 13 -86 a',
    'GEOADD Sicily -180.0000001 0 a',
    'GEOADD Sicily -0 -85.05112879 a',
    'GEOADD Sicily inf 0 a',
    'GEOADD Sicily 1e300 0 a',
    'GEOADD Sicily abc 0 a',
    'GEOADD Sicily 0 nan a',
    'GEOADD Sicily 10 10 ok 500 10 bad',
    'ZCARD Sicily',
    'GEOADD Sicily GT 1 1 a',
    'GEOADD Sicily CH CH CH',
    'GEOADD Sicily NX',
    'GEOADD edges 180 85.05112878 ne -180 -85.05112878 sw 180 -85.05112878 se -180 85.05112878 nw 0 0 zero',
    'ZRANGE edges 0 -1 WITHSCORES',
    'GEOPOS edges ne sw se nw zero',
    'GEOHASH edges ne sw se nw zero',
    'SET str x',
    'GEOADD str 1 1 a',
    'GEOADD k',
  ]));

test('GEOPOS, GEOHASH and GEODIST: coordinates, geohash strings, units and missing members', () =>
  same([
    SICILY,
    'GEOPOS Sicily Palermo Catania nomember',
    'GEOPOS Sicily',
    'GEOPOS nokey a b',
    'GEOHASH Sicily Palermo Catania nomember',
    'GEOHASH nokey a',
    'GEOHASH Sicily',
    'GEODIST Sicily Palermo Catania',
    'GEODIST Sicily Palermo Catania m',
    'GEODIST Sicily Palermo Catania KM',
    'GEODIST Sicily Palermo Catania ft',
    'GEODIST Sicily Palermo Catania Mi',
    'GEODIST Sicily Palermo Catania yd',
    'GEODIST Sicily Palermo Catania km extra',
    'GEODIST Sicily Palermo nomember',
    'GEODIST Sicily Palermo Palermo',
    'GEODIST nokey a b',
    'GEODIST nokey a b parsec',
    'ZADD Sicily 0 zero -5 neg 1.5 frac 9007199254740993 big 1e30 huge inf inf',
    'GEOPOS Sicily zero neg frac big huge inf',
    'GEOHASH Sicily zero neg frac big huge inf',
    'GEODIST Sicily zero neg',
    'SET str x',
    'GEOPOS str a',
    'GEOHASH str a',
    'GEODIST str a b',
  ]));

test('GEOSEARCH: FROMMEMBER, FROMLONLAT, BYRADIUS, BYBOX, sorting, COUNT [ANY], the WITH options and the errors', () =>
  same([
    SICILY,
    'GEOADD Sicily 12.758489 38.788135 edge1 17.241510 38.788135 edge2 13.5 38.1 near',
    'GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km ASC',
    'GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km DESC',
    'GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km',
    'GEOSEARCH Sicily FROMMEMBER Palermo BYRADIUS 100 km WITHDIST WITHCOORD WITHHASH',
    'GEOSEARCH Sicily FROMMEMBER Palermo BYRADIUS 100 km WITHHASH WITHDIST ASC',
    'GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 400 400 km ASC WITHCOORD WITHDIST',
    'GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 400 400 mi ASC WITHDIST',
    'GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 1000000 10 ft WITHDIST',
    'GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 500 km COUNT 2',
    'GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 500 km COUNT 2 DESC WITHDIST',
    'GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 500 km COUNT 2 ANY',
    'GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 500 km COUNT 2 ANY ASC',
    'GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 500 km ANY',
    'GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 500 km COUNT 0',
    'GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 500 km COUNT -1',
    'GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 500 km COUNT x',
    'GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 500 km COUNT',
    'GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1 m',
    'GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 0 m',
    'GEOSEARCH Sicily FROMMEMBER Palermo BYRADIUS 0 m WITHDIST',
    'GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS inf km',
    'GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS -1 km',
    'GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS x km',
    'GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1 parsec',
    'GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX -1 1 km',
    'GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 1 -1 km',
    'GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX x 1 km',
    'GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 1 x km',
    'GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 1 1 lightyear',
    'GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1 km BYBOX 1 1 km',
    'GEOSEARCH Sicily FROMLONLAT 15 37 FROMMEMBER Palermo BYRADIUS 1 km',
    'GEOSEARCH Sicily FROMMEMBER Palermo FROMLONLAT 15 37 BYRADIUS 1 km',
    'GEOSEARCH Sicily FROMMEMBER nomember BYRADIUS 1 km',
    'GEOSEARCH Sicily FROMLONLAT 200 37 BYRADIUS 1 km',
    'GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1',
    'GEOSEARCH Sicily BYRADIUS 1 km ASC',
    'geosearch Sicily BYRADIUS 1 km ASC',
    'GEOSEARCH Sicily FROMLONLAT 15 37 ASC',
    'GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1 km STORE d',
    'GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1 km STOREDIST',
    'GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1 km FOO',
    'GEOSEARCH nokey FROMMEMBER x BYRADIUS 1 km',
    'GEOSEARCH nokey FROMLONLAT 15 37 BYRADIUS 1 km',
    'GEOSEARCH nokey FROMMEMBER x ASC',
    'GEOSEARCH nokey FROMLONLAT 15 37 BYRADIUS 1 km ANY',
    'SET str x',
    'GEOSEARCH str FROMLONLAT 15 37 BYRADIUS 1 km',
  ]));

test('GEOSEARCHSTORE and STOREDIST: scores or distances stored, empty results delete, errors', () =>
  same([
    SICILY,
    'GEOADD Sicily 12.758489 38.788135 edge1 17.241510 38.788135 edge2',
    'GEOSEARCHSTORE d Sicily FROMLONLAT 15 37 BYRADIUS 200 km',
    'ZRANGE d 0 -1 WITHSCORES',
    'GEOSEARCHSTORE d Sicily FROMLONLAT 15 37 BYBOX 400 400 km STOREDIST ASC COUNT 3',
    'ZRANGE d 0 -1 WITHSCORES',
    'GEOSEARCHSTORE d Sicily FROMLONLAT 15 37 BYRADIUS 200 mi STOREDIST',
    'ZRANGE d 0 -1 WITHSCORES',
    'SET other x',
    'EXPIRE other 100',
    'GEOSEARCHSTORE other Sicily FROMMEMBER Palermo BYRADIUS 1 m',
    'TTL other',
    'TYPE other',
    'GEOSEARCHSTORE d Sicily FROMLONLAT 0 0 BYRADIUS 1 m',
    'EXISTS d',
    'GEOSEARCHSTORE d Sicily FROMLONLAT 0 0 BYRADIUS 1 m',
    'SET d x',
    'GEOSEARCHSTORE d nokey FROMLONLAT 0 0 BYRADIUS 1 m',
    'EXISTS d',
    'GEOSEARCHSTORE d nokey FROMMEMBER x BYRADIUS 1 m',
    'GEOSEARCHSTORE d Sicily FROMLONLAT 15 37 BYRADIUS 200 km WITHDIST',
    'GEOSEARCHSTORE d Sicily FROMLONLAT 15 37 BYRADIUS 200 km WITHCOORD',
    'GEOSEARCHSTORE d Sicily FROMLONLAT 15 37 BYRADIUS 200 km STORE x',
    'GEOSEARCHSTORE Sicily Sicily FROMLONLAT 15 37 BYRADIUS 100 km',
    'ZRANGE Sicily 0 -1 WITHSCORES',
    'SET str x',
    'GEOSEARCHSTORE d str FROMLONLAT 15 37 BYRADIUS 1 km',
    'GEOSEARCHSTORE str Sicily FROMLONLAT 15 37 BYRADIUS 100 km',
    'TYPE str',
  ]));

test('GEORADIUS, GEORADIUSBYMEMBER and their _RO forms: options, STORE and STOREDIST, errors', () =>
  same([
    SICILY,
    'GEOADD Sicily 12.758489 38.788135 edge1 17.241510 38.788135 edge2',
    'GEORADIUS Sicily 15 37 200 km',
    'GEORADIUS Sicily 15 37 200 km WITHDIST WITHCOORD WITHHASH ASC',
    'GEORADIUS Sicily 15 37 200 km COUNT 1 DESC',
    'GEORADIUS Sicily 15 37 200 km COUNT 1 ANY',
    'GEORADIUS Sicily 15 37 200 km STORE d',
    'ZRANGE d 0 -1 WITHSCORES',
    'GEORADIUS Sicily 15 37 200 km STOREDIST d',
    'ZRANGE d 0 -1 WITHSCORES',
    'GEORADIUS Sicily 15 37 200 km STORE d WITHDIST',
    'GEORADIUS Sicily 15 37 200 km STORE',
    'GEORADIUS Sicily 15 37 200 km FROMLONLAT 1 1',
    'GEORADIUS Sicily 15 37 200 km BYBOX 1 1 km',
    'GEORADIUS Sicily 200 37 200 km',
    'GEORADIUS Sicily 15 37 -1 km',
    'GEORADIUS Sicily 15 37 1 au',
    'GEORADIUS nokey 15 37 200 km',
    'GEORADIUS nokey 15 37 200 km STORE d',
    'EXISTS d',
    'GEORADIUS nokey 200 37 200 km',
    'GEORADIUS_RO Sicily 15 37 200 km WITHDIST',
    'GEORADIUS_RO Sicily 15 37 200 km STORE d',
    'GEORADIUS_RO Sicily 15 37 200 km STOREDIST d',
    'GEORADIUSBYMEMBER Sicily Palermo 200 km WITHDIST',
    'GEORADIUSBYMEMBER Sicily Palermo 200 km WITHCOORD COUNT 2 DESC',
    'GEORADIUSBYMEMBER Sicily Palermo 200 km STORE d',
    'ZRANGE d 0 -1 WITHSCORES',
    'GEORADIUSBYMEMBER Sicily Palermo 200 km STOREDIST d COUNT 2',
    'ZRANGE d 0 -1 WITHSCORES',
    'GEORADIUSBYMEMBER Sicily nomember 200 km',
    'GEORADIUSBYMEMBER Sicily Palermo x km',
    'GEORADIUSBYMEMBER nokey nomember x km',
    'GEORADIUSBYMEMBER nokey nomember x km STORE d',
    'GEORADIUSBYMEMBER nokey nomember 1 km WITHDIST STORE d',
    'GEORADIUSBYMEMBER_RO Sicily Palermo 200 km WITHHASH',
    'GEORADIUSBYMEMBER_RO Sicily Palermo 200 km STORE d',
    'SET str x',
    'GEORADIUS str 15 37 200 km',
    'GEORADIUSBYMEMBER str a 200 km',
  ]));

test('the Redis suite examples: points around the globe, radius in every unit, ties ordered by pqsort', async () => {
  const cmds: Command[] = [
    'GEOADD nyc -73.9454966 40.747533 lic_park -73.9733487 40.7648057 central_park -73.9903085 40.7362513 union',
    'GEOADD nyc -74.0131604 40.7126674 wtc_one -73.7858139 40.6428986 jfk -73.9375699 40.7498929 q4',
    'GEOADD nyc -73.9564142 40.7480973 4545',
    'GEORADIUS nyc -73.9798091 40.7598464 3 km ASC',
    'GEORADIUS nyc -73.9798091 40.7598464 3 km WITHDIST ASC',
    'GEORADIUS nyc -73.9798091 40.7598464 10 km COUNT 3 DESC WITHDIST',
    'GEOSEARCH nyc FROMLONLAT -73.9798091 40.7598464 BYBOX 6 6 km ASC WITHDIST',
    'GEOSEARCH nyc FROMLONLAT -73.9798091 40.7598464 BYBOX 6 6 mi ASC WITHCOORD',
  ];
  // Twenty members at one place and twenty at another: equal distances, where the order is the sort's.
  const dup: string[] = ['GEOADD ties'];
  for (let i = 0; i < 20; i++) dup.push(`1 1 a${i}`, `1.001 1.001 b${i}`);
  cmds.push(dup.join(' '));
  for (const n of [1, 3, 7, 8, 15, 21, 30, 39, 40]) {
    cmds.push(`GEOSEARCH ties FROMLONLAT 1 1 BYRADIUS 1000 km COUNT ${n}`);
    cmds.push(`GEOSEARCH ties FROMLONLAT 1 1 BYRADIUS 1000 km COUNT ${n} DESC`);
  }
  cmds.push('GEOSEARCH ties FROMLONLAT 1 1 BYRADIUS 1000 km DESC', 'GEOSEARCH ties FROMLONLAT 1 1 BYRADIUS 1000 km');
  await same(cmds);
});

/** A random coordinate string: anywhere, or close to a pole, the antimeridian or a limit. */
function coords(rnd: () => number): [string, string] {
  const r = rnd();
  let lon = rnd() * 360 - 180;
  let lat = rnd() * 170.10225756 - 85.05112878;
  if (r < 0.2) lat = (rnd() < 0.5 ? -1 : 1) * (85.05112878 - rnd() * 2);
  else if (r < 0.4) lon = (rnd() < 0.5 ? -1 : 1) * (180 - rnd() * 2);
  else if (r < 0.45) lat = rnd() < 0.5 ? 85.05112878 : -85.05112878;
  else if (r < 0.5) lon = rnd() < 0.5 ? 180 : -180;
  const digits = Math.floor(rnd() * 12);
  const fmt = (v: number, lim: number) => {
    const s = v.toFixed(digits);
    return Math.abs(Number(s)) > lim ? String(v) : s;
  };
  return [fmt(lon, 180), fmt(lat, 85.05112878)];
}

/**
 * Compares the destination of the last GEOSEARCHSTORE: the members in order
 * byte for byte, the scores to within a few units in the last place. A
 * STOREDIST distance is the haversine's full double, and glibc's sin, cos and
 * asin are off the correctly rounded result FlashCache computes (src/commands/
 * libm.ts) in about 0.15% of arguments, by at most 0.55 ulp; every printed
 * distance (4 decimals) and every match is the same.
 */
async function storedClose(x: RawClient, y: RawClient): Promise<string> {
  const members = await sameReply(x, y, ['ZRANGE', 'dst', '0', '-1']);
  const [rx, ry] = await Promise.all([x, y].map((c) => c.call('ZRANGE', 'dst', '0', '-1', 'WITHSCORES')));
  const nums = (r: string) => [...r!.matchAll(/^,?([-0-9.e+]+|inf)\r$/gm)].map((m) => Number(m[1]));
  const [nx, ny] = [nums(rx!), nums(ry!)];
  assert.equal(nx.length, ny.length);
  nx.forEach((v, i) => assert.ok(Math.abs(v - ny[i]!) <= Math.abs(v) * 1e-14, `score ${v} vs ${ny[i]}`));
  return members;
}

test('random points searched by radius and by box, in every unit and option, reply for reply', async () => {
  const seed = testSeed('geo random');
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const units = ['m', 'km', 'ft', 'mi'];
  const sizeIn = (unit: string) => {
    const meters = 10 ** (rnd() * 7.3);
    const per = { m: 1, km: 1000, ft: 0.3048, mi: 1609.34 }[unit]!;
    return String(Number((meters / per).toPrecision(1 + Math.floor(rnd() * 6))));
  };
  const setup: Command[] = [];
  for (let k = 0; k < 3; k++) {
    const add = ['GEOADD', `g${k}`];
    const n = k === 0 ? 300 : k === 1 ? 40 : 1000;
    for (let i = 0; i < n; i++) add.push(...coords(rnd), `m${i}`);
    // A few members at one place, for ties.
    const [x, y] = coords(rnd);
    for (let i = 0; i < 5; i++) add.push(x, y, `t${i}`);
    setup.push(add);
  }
  const options = (): string[] => {
    const o: string[] = [];
    if (rnd() < 0.5) o.push('WITHDIST');
    if (rnd() < 0.3) o.push('WITHCOORD');
    if (rnd() < 0.3) o.push('WITHHASH');
    const r = rnd();
    if (r < 0.3) o.push('ASC');
    else if (r < 0.6) o.push('DESC');
    if (rnd() < 0.5) {
      o.push('COUNT', String(1 + Math.floor(rnd() * 60)));
      if (rnd() < 0.3) o.push('ANY');
    }
    return o;
  };
  const from = (): string[] =>
    rnd() < 0.3 ? ['FROMMEMBER', `m${Math.floor(rnd() * 40)}`] : ['FROMLONLAT', ...coords(rnd)];
  const by = (): string[] => {
    const u = pick(units);
    return rnd() < 0.5 ? ['BYRADIUS', sizeIn(u), u] : ['BYBOX', sizeIn(u), sizeIn(u), u];
  };
  const gens: (() => Command)[] = [
    () => {
      const key = pick(['g0', 'g1', 'g2']);
      return ['GEOSEARCH', key, ...from(), ...by(), ...options()];
    },
    () => {
      const u = pick(units);
      return ['GEORADIUS_RO', pick(['g0', 'g1', 'g2']), ...coords(rnd), sizeIn(u), u, ...options()];
    },
    () => {
      const u = pick(units);
      return ['GEORADIUSBYMEMBER_RO', pick(['g0', 'g1']), `m${Math.floor(rnd() * 40)}`, sizeIn(u), u, ...options()];
    },
    () => ['GEODIST', pick(['g0', 'g2']), `m${Math.floor(rnd() * 300)}`, `m${Math.floor(rnd() * 300)}`, pick(units)],
    () => ['GEOPOS', 'g2', `m${Math.floor(rnd() * 1000)}`, `t${Math.floor(rnd() * 5)}`],
    () => ['GEOHASH', 'g2', `m${Math.floor(rnd() * 1000)}`, `m${Math.floor(rnd() * 1000)}`],
    () => {
      const store = pick(['', 'STOREDIST']);
      const key = pick(['g0', 'g1', 'g2']);
      return ['GEOSEARCHSTORE', 'dst', key, ...from(), ...by(), ...(store ? [store] : [])];
    },
    () => ['ZRANGE'],
  ];
  await Promise.all([a.call('FLUSHALL'), b.call('FLUSHALL')]);
  for (const c of setup) await sameReply(a, b, c);
  for (const k of ['g0', 'g1', 'g2']) await sameReply(a, b, ['ZRANGE', k, '0', '-1', 'WITHSCORES']);
  let ran = 0;
  let nonEmpty = 0;
  const step = async (x: RawClient, y: RawClient) => {
    const cmd = pick(gens)();
    if (cmd[0] === 'ZRANGE') return (await storedClose(x, y)).length;
    return (await sameReply(x, y, cmd)).length;
  };
  for (let i = 0; i < 1500; i++) {
    if ((await step(a, b)) > 8) nonEmpty++;
    ran++;
  }
  await resp3(async (a3, b3) => {
    for (let i = 0; i < 300; i++) await step(a3, b3);
  });
  assert.equal(ran, 1500);
  assert.ok(nonEmpty > 300, `${nonEmpty} replies with results`);
});

test('COMMAND GETKEYS finds the source and the STORE, STOREDIST or GEOSEARCHSTORE destination', () =>
  same([
    'COMMAND GETKEYS GEORADIUS src 0 0 1 km STORE dst',
    'COMMAND GETKEYS GEORADIUS src 0 0 1 km STOREDIST dst',
    'COMMAND GETKEYS GEORADIUS src 0 0 1 km WITHDIST',
    'COMMAND GETKEYS GEORADIUSBYMEMBER src m 1 km STORE dst',
    'COMMAND GETKEYSANDFLAGS GEOSEARCHSTORE dst src FROMLONLAT 0 0 BYRADIUS 1 km',
    'COMMAND GETKEYSANDFLAGS GEOADD k 1 1 m',
  ]));

test('WATCH: GEOADD and the STORE forms touch the keys they write, the searches do not', async () => {
  const [a2, b2] = await Promise.all([RawClient.connect(fcPort), RawClient.connect(redis.port)]);
  try {
    await Promise.all([a.call('FLUSHALL'), b.call('FLUSHALL')]);
    const run = async (watch: string, other: string) => {
      await sameReply(a, b, `WATCH ${watch}`);
      await sameReply(a2, b2, other);
      await sameReply(a, b, 'MULTI');
      await sameReply(a, b, 'PING');
      return sameReply(a, b, 'EXEC');
    };
    const k = 'Sicily';
    assert.equal(await run(k, SICILY), '*-1\r\n');
    assert.equal(await run(k, `GEOADD ${k} NX 13.361389 38.115556 Palermo`), '*1\r\n+PONG\r\n');
    assert.equal(await run(k, `GEOSEARCH ${k} FROMLONLAT 15 37 BYRADIUS 200 km`), '*1\r\n+PONG\r\n');
    assert.equal(await run('d', `GEOSEARCHSTORE d ${k} FROMLONLAT 15 37 BYRADIUS 200 km`), '*-1\r\n');
    assert.equal(await run('e', `GEORADIUS ${k} 15 37 200 km STOREDIST e`), '*-1\r\n');
    assert.equal(await run(k, `GEORADIUS ${k} 15 37 200 km STORE e`), '*1\r\n+PONG\r\n');
  } finally {
    a2.close();
    b2.close();
  }
});

test('keyspace events: zadd (and new) for GEOADD, geosearchstore, georadiusstore and del for the STORE forms', async () => {
  const cmds: Command[] = [
    SICILY,
    'GEOADD Sicily NX 13.361389 38.115556 Palermo',
    'GEOSEARCHSTORE d Sicily FROMLONLAT 15 37 BYRADIUS 200 km',
    'GEORADIUS Sicily 15 37 200 km STORE e',
    'GEORADIUSBYMEMBER Sicily Palermo 1 m STOREDIST e',
    'GEOSEARCHSTORE d Sicily FROMLONLAT 0 0 BYRADIUS 1 km',
    'GEOSEARCHSTORE d nokey FROMLONLAT 0 0 BYRADIUS 1 km',
  ];
  // new+zadd, new+geosearchstore, new+georadiusstore, georadiusstore, del
  await sameEvents(a, b, [fcPort, redis.port], 'KEAn', cmds, 8);
});

test('geo writes survive SIGKILL: GEOADD, GEOSEARCHSTORE and GEORADIUS STORE replay to the same scores', async () => {
  const dir = tempDir();
  try {
    let srv = await startServer({ dir });
    const c = await RawClient.connect(srv.port);
    const rnd = prng(7);
    for (let i = 0; i < 100; i++) await c.call('GEOADD', 'pts', ...coords(rnd), `p${i}`);
    await c.call('GEOADD', 'pts', 'XX', 'CH', '1', '2', 'p0');
    await c.call('GEOSEARCHSTORE', 'near', 'pts', 'FROMMEMBER', 'p1', 'BYRADIUS', '5000', 'km', 'STOREDIST');
    await c.call('GEOSEARCHSTORE', 'box', 'pts', 'FROMLONLAT', '0', '0', 'BYBOX', '20000', '10000', 'km');
    await c.call('GEORADIUS', 'pts', '0', '0', '8000', 'km', 'COUNT', '10', 'STORE', 'ten');
    const keys = ['pts', 'near', 'box', 'ten'];
    const dump = (cl: RawClient) => Promise.all(keys.map((k) => cl.call('ZRANGE', k, '0', '-1', 'WITHSCORES')));
    const before = await dump(c);
    c.close();
    await srv.kill();
    srv = await startServer({ dir });
    const check = await RawClient.connect(srv.port);
    assert.deepEqual(await dump(check), before);
    assert.equal(await check.call('ZCARD', 'pts'), ':100\r\n');
    assert.equal(
      await check.call('GEOPOS', 'pts', 'p0'),
      '*1\r\n*2\r\n$19\r\n0.99999994039535522\r\n$18\r\n2.0000001856465488\r\n',
    );
    check.close();
    await srv.stop();
  } finally {
    cleanup(dir);
  }
});
