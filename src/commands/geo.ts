/**
 * Geospatial commands, after Redis 7.0's geo.c, and the family's table:
 * GEOADD, GEODIST, GEOHASH, GEOPOS, GEOSEARCH, GEOSEARCHSTORE, GEORADIUS,
 * GEORADIUSBYMEMBER and their _RO forms. A geospatial index is a sorted set
 * whose scores are 52-bit geohashes (the arithmetic is in ./geohash.ts).
 *
 * Replies follow redis-server 7.0 byte for byte: distances with 4 decimals
 * (util.c `fixedpoint_d2string`) as bulk strings in both protocols;
 * coordinates as `addReplyHumanLongDouble` prints them (`%.17Lf`, trailing
 * zeros cut), bulk strings in RESP2 and doubles in RESP3; WITHHASH's score
 * as an integer.
 *
 * Effects logged (docs/FORMAT.md, "Effects"): GEOADD is Redis's rewrite into
 * ZADD, so it runs and is logged as `ZADD key [NX|XX] [CH] <score> member...`
 * with the exact integer scores, firing `zadd` events; GEOSEARCHSTORE and
 * GEORADIUS[BYMEMBER] with STORE/STOREDIST are deterministic and logged as
 * sent, firing `geosearchstore` or `georadiusstore` (or `del` when the result
 * is empty and the destination existed).
 *
 * Reference: https://redis.io/docs/latest/commands/?group=geo
 */
import { NOTIFY_GENERIC, NOTIFY_NEW, NOTIFY_ZSET } from '../config/keyspace-events.js';
import { ZSetValue } from '../store/collections.js';
import type { ZSetValue as ZSet } from '../store/collections.js';
import type { CommandContext, CommandSpec } from './context.js';
import { WRONG, el, logSelf, storeCollection } from './collection.js';
import { command, keyAt } from './table.js';
import { ERR, isWord, longOrReply } from './util.js';
import { formatFixed, formatFixedPoint, formatHumanDouble, parseDouble } from './numbers.js';
import { zsetForRead } from './zsetcommon.js';
import { zaddGeneric } from './zsets.js';
import {
  GEO_LAT_MAX,
  GEO_LAT_MIN,
  GEO_LONG_MAX,
  GEO_LONG_MIN,
  type GeoShape,
  areasByShape,
  decodeScore,
  distanceWithin,
  exactWhereItMatters,
  geoDistance,
  geoScoreString,
  geohashString,
  lastDistanceExact,
  type MeasuredPoint,
  scoresOfBox,
} from './geohash.js';
import { pqsort } from './pqsort.js';

// ---------------------------------------------------------------------------
// Argument helpers
// ---------------------------------------------------------------------------

/**
 * geo.c `extractLongLatOrReply`: the longitude and latitude at `argv[i]`,
 * `argv[i + 1]`. Errors: `ERR value is not a valid float`, `ERR invalid
 * longitude,latitude pair <lon>,<lat>` (printed with `%f`).
 *
 * @returns [longitude, latitude], or null after replying
 */
function longLatOrReply(c: CommandContext, argv: Buffer[], i: number): [number, number] | null {
  const xy: [number, number] = [0, 0];
  for (let j = 0; j < 2; j++) {
    const v = parseDouble(argv[i + j]!);
    if (v === null) {
      c.reply.error(ERR.notFloat);
      return null;
    }
    xy[j] = v;
  }
  if (xy[0] < GEO_LONG_MIN || xy[0] > GEO_LONG_MAX || xy[1] < GEO_LAT_MIN || xy[1] > GEO_LAT_MAX) {
    c.reply.error(`ERR invalid longitude,latitude pair ${formatFixed(xy[0], 6)},${formatFixed(xy[1], 6)}`);
    return null;
  }
  return xy;
}

/** The position of `member` in `z` (geo.c `longLatFromMember`), or null when it is not there. */
function longLatFromMember(z: ZSet, member: Buffer): [number, number] | null {
  const score = z.score(el(member));
  return score === undefined ? null : decodeScore(score);
}

/**
 * geo.c `extractUnitOrReply`: meters per unit (m, km, ft, mi, any case), or
 * -1 after replying `ERR unsupported unit provided. please use M, KM, FT, MI`.
 */
function unitOrReply(c: CommandContext, unit: Buffer): number {
  if (isWord(unit, 'M')) return 1;
  if (isWord(unit, 'KM')) return 1000;
  if (isWord(unit, 'FT')) return 0.3048;
  if (isWord(unit, 'MI')) return 1609.34;
  c.reply.error('ERR unsupported unit provided. please use M, KM, FT, MI');
  return -1;
}

/** A double argument, or null after replying `ERR <msg>` (object.c `getDoubleFromObjectOrReply`). */
function doubleOrReply(c: CommandContext, arg: Buffer, msg: string): number | null {
  const v = parseDouble(arg);
  if (v === null) c.reply.error(`ERR ${msg}`);
  return v;
}

/** geo.c `extractDistanceOrReply`: `<radius> <unit>` at `argv[i]` into `shape`; false after replying. */
function distanceOrReply(c: CommandContext, argv: Buffer[], i: number, shape: GeoShape): boolean {
  const d = doubleOrReply(c, argv[i]!, 'need numeric radius');
  if (d === null) return false;
  if (d < 0) {
    c.reply.error('ERR radius cannot be negative');
    return false;
  }
  const conv = unitOrReply(c, argv[i + 1]!);
  if (conv < 0) return false;
  shape.radius = d;
  shape.conversion = conv;
  return true;
}

/** geo.c `extractBoxOrReply`: `<width> <height> <unit>` at `argv[i]` into `shape`; false after replying. */
function boxOrReply(c: CommandContext, argv: Buffer[], i: number, shape: GeoShape): boolean {
  const w = doubleOrReply(c, argv[i]!, 'need numeric width');
  if (w === null) return false;
  const h = doubleOrReply(c, argv[i + 1]!, 'need numeric height');
  if (h === null) return false;
  if (h < 0 || w < 0) {
    c.reply.error('ERR height or width cannot be negative');
    return false;
  }
  const conv = unitOrReply(c, argv[i + 2]!);
  if (conv < 0) return false;
  shape.width = w;
  shape.height = h;
  shape.conversion = conv;
  return true;
}

/** A distance as Redis replies it (geo.c `addReplyDoubleDistance`): 4 decimals, a bulk string. */
function replyDistance(c: CommandContext, d: number): void {
  c.reply.bulkAscii(formatFixedPoint(d, 4));
}

/** A coordinate as Redis replies it (networking.c `addReplyHumanLongDouble`). */
function replyCoordinate(c: CommandContext, d: number): void {
  c.reply.double(formatHumanDouble(d));
}

// ---------------------------------------------------------------------------
// GEOADD
// ---------------------------------------------------------------------------

/**
 * GEOADD key [NX | XX] [CH] longitude latitude member [...] (geo.c
 * `geoaddCommand`): each position checked and turned into its score, then
 * the whole call rewritten into ZADD and run by the generic ZADD, which
 * replies, logs the ZADD and fires `zadd`. Errors: `ERR syntax error` (a
 * count of the rest not a multiple of 3, or NX with XX), `ERR value is not a
 * valid float`, `ERR invalid longitude,latitude pair ...`, WRONGTYPE.
 */
function geoaddCommand(c: CommandContext, argv: Buffer[]): void {
  let xx = false;
  let nx = false;
  let longidx = 2;
  while (longidx < argv.length) {
    const opt = argv[longidx]!;
    if (isWord(opt, 'NX')) nx = true;
    else if (isWord(opt, 'XX')) xx = true;
    else if (!isWord(opt, 'CH')) break;
    longidx++;
  }
  if ((argv.length - longidx) % 3 !== 0 || (xx && nx)) return c.reply.error(ERR.syntax);
  const elements = (argv.length - longidx) / 3;
  const zargv: Buffer[] = [Buffer.from('zadd'), ...argv.slice(1, longidx)];
  for (let i = 0; i < elements; i++) {
    const xy = longLatOrReply(c, argv, longidx + i * 3);
    if (xy === null) return;
    zargv.push(Buffer.from(geoScoreString(xy[0], xy[1])), argv[longidx + i * 3 + 2]!);
  }
  zaddGeneric(c, zargv, 0);
}

// ---------------------------------------------------------------------------
// GEOSEARCH, GEOSEARCHSTORE, GEORADIUS and their forms
// ---------------------------------------------------------------------------

const SORT_NONE = 0;
const SORT_ASC = 1;
const SORT_DESC = 2;

/** Search around coordinates given as arguments (GEORADIUS). */
const RADIUS_COORDS = 1;
/** Search around a member (GEORADIUSBYMEMBER). */
const RADIUS_MEMBER = 2;
/** STORE and STOREDIST refused (the _RO forms). */
const RADIUS_NOSTORE = 4;
/** GEOSEARCH's arguments (FROMMEMBER, FROMLONLAT, BYRADIUS, BYBOX). */
const GEOSEARCH = 8;
/** GEOSEARCHSTORE: a destination first, STOREDIST as a flag. */
const GEOSEARCHSTORE = 16;

/** One match (geo.c `geoPoint`); `dist` in meters, until divided by the unit for the reply. */
interface GeoPoint extends MeasuredPoint {
  member: string;
}

/**
 * geo.c `geoGetPointsInRange`: appends to `out` the members with a score in
 * [min, max) that lie in `shape`, in score order, stopping once `out` holds
 * `limit` (when not 0).
 */
function pointsInRange(z: ZSet, min: number, max: number, shape: GeoShape, out: GeoPoint[], limit: number): void {
  let n = z.list.firstInScore({ min, max, minex: false, maxex: true });
  while (n !== null) {
    if (!(n.score < max)) break;
    const xy = decodeScore(n.score);
    const dist = distanceWithin(shape, xy);
    if (dist >= 0) {
      out.push({ longitude: xy[0], latitude: xy[1], dist, exact: lastDistanceExact, score: n.score, member: n.member });
    }
    if (out.length > 0 && limit > 0 && out.length >= limit) break;
    n = n.next[0]!;
  }
}

/**
 * geo.c `membersOfAllNeighbors`: the matches in the centre box and its
 * neighbours, in that order, skipping zeroed boxes and a box equal to the
 * one searched just before it.
 */
function membersOfAllNeighbors(z: ZSet, shape: GeoShape, limit: number): GeoPoint[] {
  const boxes = areasByShape(shape).boxes;
  const out: GeoPoint[] = [];
  let lastProcessed = 0;
  for (let i = 0; i < boxes.length; i++) {
    const b = boxes[i]!;
    if (b.bits === 0n && b.step === 0) continue;
    const last = boxes[lastProcessed]!;
    if (lastProcessed !== 0 && b.bits === last.bits && b.step === last.step) continue;
    if (out.length > 0 && limit > 0 && out.length >= limit) break;
    const [min, max] = scoresOfBox(b);
    pointsInRange(z, min, max, shape, out, limit);
    lastProcessed = i;
  }
  return out;
}

/** geo.c `sort_gp_asc`. */
function sortAsc(a: GeoPoint, b: GeoPoint): number {
  return a.dist > b.dist ? 1 : a.dist === b.dist ? 0 : -1;
}

/** geo.c `sort_gp_desc`. */
function sortDesc(a: GeoPoint, b: GeoPoint): number {
  return -sortAsc(a, b);
}

/** The parsed options of one search. */
interface SearchOptions {
  withdist: boolean;
  withhash: boolean;
  withcoords: boolean;
  sort: number;
  any: boolean;
  count: number;
  storekey: Buffer | null;
  storedist: boolean;
}

/**
 * geo.c `georadiusGeneric`, option parsing: the options from `argv[base]`
 * on, the search's centre and shape filled into `shape` as they come.
 *
 * @returns the options, or null after replying
 */
function searchOptionsOrReply(
  c: CommandContext,
  argv: Buffer[],
  base: number,
  flags: number,
  z: ZSet | null,
  shape: GeoShape,
  storekey: Buffer | null,
): SearchOptions | null {
  const o: SearchOptions = {
    withdist: false,
    withhash: false,
    withcoords: false,
    sort: SORT_NONE,
    any: false,
    count: 0,
    storekey,
    storedist: false,
  };
  let frommember = false;
  let fromloc = false;
  let byradius = false;
  let bybox = false;
  const search = (flags & GEOSEARCH) !== 0;
  const canStore = (flags & RADIUS_NOSTORE) === 0 && !search;
  const remaining = argv.length - base;
  for (let i = 0; i < remaining; i++) {
    const arg = argv[base + i]!;
    if (isWord(arg, 'WITHDIST')) o.withdist = true;
    else if (isWord(arg, 'WITHHASH')) o.withhash = true;
    else if (isWord(arg, 'WITHCOORD')) o.withcoords = true;
    else if (isWord(arg, 'ANY')) o.any = true;
    else if (isWord(arg, 'ASC')) o.sort = SORT_ASC;
    else if (isWord(arg, 'DESC')) o.sort = SORT_DESC;
    else if (isWord(arg, 'COUNT') && i + 1 < remaining) {
      const n = longOrReply(c, argv[base + i + 1]!);
      if (n === null) return null;
      if (n <= 0) {
        c.reply.error('ERR COUNT must be > 0');
        return null;
      }
      o.count = n;
      i++;
    } else if (isWord(arg, 'STORE') && i + 1 < remaining && canStore) {
      o.storekey = argv[base + i + 1]!;
      o.storedist = false;
      i++;
    } else if (isWord(arg, 'STOREDIST') && i + 1 < remaining && canStore) {
      o.storekey = argv[base + i + 1]!;
      o.storedist = true;
      i++;
    } else if (isWord(arg, 'STOREDIST') && search && (flags & GEOSEARCHSTORE) !== 0) {
      o.storedist = true;
    } else if (isWord(arg, 'FROMMEMBER') && i + 1 < remaining && search && !fromloc) {
      if (z !== null) {
        const xy = longLatFromMember(z, argv[base + i + 1]!);
        if (xy === null) {
          c.reply.error('ERR could not decode requested zset member');
          return null;
        }
        shape.xy = xy;
      }
      frommember = true;
      i++;
    } else if (isWord(arg, 'FROMLONLAT') && i + 2 < remaining && search && !frommember) {
      const xy = longLatOrReply(c, argv, base + i + 1);
      if (xy === null) return null;
      shape.xy = xy;
      fromloc = true;
      i += 2;
    } else if (isWord(arg, 'BYRADIUS') && i + 2 < remaining && search && !bybox) {
      if (!distanceOrReply(c, argv, base + i + 1, shape)) return null;
      shape.type = 'radius';
      byradius = true;
      i += 2;
    } else if (isWord(arg, 'BYBOX') && i + 3 < remaining && search && !byradius) {
      if (!boxOrReply(c, argv, base + i + 1, shape)) return null;
      shape.type = 'box';
      bybox = true;
      i += 3;
    } else {
      c.reply.error(ERR.syntax);
      return null;
    }
  }
  if (o.storekey !== null && (o.withdist || o.withhash || o.withcoords)) {
    const what = flags & GEOSEARCHSTORE ? 'GEOSEARCHSTORE' : 'STORE option in GEORADIUS';
    c.reply.error(`ERR ${what} is not compatible with WITHDIST, WITHHASH and WITHCOORD options`);
    return null;
  }
  const name = argv[0]!.toString('latin1');
  if (search && !(frommember || fromloc)) {
    c.reply.error(`ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for ${name}`);
    return null;
  }
  if (search && !(byradius || bybox)) {
    c.reply.error(`ERR exactly one of BYRADIUS and BYBOX can be specified for ${name}`);
    return null;
  }
  if (o.any && o.count === 0) {
    c.reply.error('ERR the ANY argument requires COUNT argument');
    return null;
  }
  return o;
}

/**
 * The generic search (geo.c `georadiusGeneric`): the source at
 * `argv[srcKeyIndex]`, the centre and shape from the fixed arguments
 * (GEORADIUS, GEORADIUSBYMEMBER) or the options (GEOSEARCH*), then the
 * matches sorted (COUNT alone sorts ascending; ANY stops at COUNT matches
 * found), replied with the asked extras or stored (STORE: scores, STOREDIST:
 * distances in the unit).
 */
function georadiusGeneric(srcKeyIndex: number, flags: number) {
  return (c: CommandContext, argv: Buffer[]): void => {
    const z = zsetForRead(c, argv[srcKeyIndex]!);
    if (z === WRONG) return;
    const shape: GeoShape = {
      type: 'radius',
      xy: [0, 0],
      conversion: 0,
      bounds: [0, 0, 0, 0],
      radius: 0,
      width: 0,
      height: 0,
    };
    let base: number;
    let storekey: Buffer | null = null;
    if (flags & RADIUS_COORDS) {
      base = 6;
      const xy = longLatOrReply(c, argv, 2);
      if (xy === null) return;
      shape.xy = xy;
      if (!distanceOrReply(c, argv, base - 2, shape)) return;
    } else if (flags & RADIUS_MEMBER) {
      base = 5;
      if (z !== null) {
        const xy = longLatFromMember(z, argv[2]!);
        if (xy === null) return c.reply.error('ERR could not decode requested zset member');
        shape.xy = xy;
        if (!distanceOrReply(c, argv, base - 2, shape)) return;
      }
    } else {
      base = 2;
      if (flags & GEOSEARCHSTORE) {
        base = 3;
        storekey = argv[1]!;
      }
    }
    const o = searchOptionsOrReply(c, argv, base, flags, z, shape, storekey);
    if (o === null) return;
    if (z === null) {
      if (o.storekey !== null) {
        if (c.db.delete(o.storekey)) {
          logSelf(c, argv[0]!.toString('latin1').toUpperCase(), argv);
          c.server.notify(NOTIFY_GENERIC, 'del', o.storekey, c.dbIndex);
        }
        c.reply.int(0);
      } else {
        c.reply.arrayLen(0);
      }
      return;
    }
    if (o.count !== 0 && o.sort === SORT_NONE && !o.any) o.sort = SORT_ASC;
    const ga = membersOfAllNeighbors(z, shape, o.any ? o.count : 0);
    if (ga.length === 0 && o.storekey === null) return c.reply.arrayLen(0);
    const resultLength = ga.length;
    const returned = o.count === 0 || resultLength < o.count ? resultLength : o.count;
    const how = { ...o, sorting: o.sort !== SORT_NONE, returned, conversion: shape.conversion };
    exactWhereItMatters(shape, ga, 'order', how);
    if (o.sort !== SORT_NONE) {
      const cmp = o.sort === SORT_ASC ? sortAsc : sortDesc;
      // glibc's qsort is a stable merge sort, as Array.prototype.sort is.
      if (returned === resultLength) ga.sort(cmp);
      else pqsort(ga, cmp, 0, returned - 1);
    }
    exactWhereItMatters(shape, ga, 'output', how);
    if (o.storekey === null) replyPoints(c, ga, returned, shape.conversion, o);
    else storePoints(c, argv, ga, returned, shape.conversion, o.storekey, o.storedist, flags);
  };
}

/** The search's reply: each match's member, or an array of it and the asked extras. */
function replyPoints(c: CommandContext, ga: GeoPoint[], returned: number, conversion: number, o: SearchOptions): void {
  const optionLength = (o.withdist ? 1 : 0) + (o.withcoords ? 1 : 0) + (o.withhash ? 1 : 0);
  c.reply.arrayLen(returned);
  for (let i = 0; i < returned; i++) {
    const gp = ga[i]!;
    if (optionLength > 0) c.reply.arrayLen(optionLength + 1);
    c.reply.bulkLatin1(gp.member);
    if (o.withdist) replyDistance(c, gp.dist / conversion);
    if (o.withhash) c.reply.int(Math.trunc(gp.score));
    if (o.withcoords) {
      c.reply.arrayLen(2);
      replyCoordinate(c, gp.longitude);
      replyCoordinate(c, gp.latitude);
    }
  }
}

/** STORE, STOREDIST and GEOSEARCHSTORE: the first `returned` matches replace `dst`; replies their number. */
function storePoints(
  c: CommandContext,
  argv: Buffer[],
  ga: GeoPoint[],
  returned: number,
  conversion: number,
  dst: Buffer,
  storedist: boolean,
  flags: number,
): void {
  const name = argv[0]!.toString('latin1').toUpperCase();
  if (returned > 0) {
    const out = new ZSetValue();
    for (let i = 0; i < returned; i++) {
      const gp = ga[i]!;
      out.set(gp.member, storedist ? gp.dist / conversion : gp.score);
    }
    const existed = c.db.findSlot(dst) >= 0;
    storeCollection(c.db, dst, out);
    logSelf(c, name, argv);
    if (!existed) c.server.notify(NOTIFY_NEW, 'new', dst, c.dbIndex);
    const event = flags & GEOSEARCH ? 'geosearchstore' : 'georadiusstore';
    c.server.notify(NOTIFY_ZSET, event, dst, c.dbIndex);
  } else if (c.db.delete(dst)) {
    logSelf(c, name, argv);
    c.server.notify(NOTIFY_GENERIC, 'del', dst, c.dbIndex);
  }
  c.reply.int(returned);
}

// ---------------------------------------------------------------------------
// GEOHASH, GEOPOS, GEODIST
// ---------------------------------------------------------------------------

/** GEOHASH key [member ...]: an 11-character geohash per member, nil for a missing one. */
function geohashCommand(c: CommandContext, argv: Buffer[]): void {
  const z = zsetForRead(c, argv[1]!);
  if (z === WRONG) return;
  c.reply.arrayLen(argv.length - 2);
  for (let j = 2; j < argv.length; j++) {
    const score = z === null ? undefined : z.score(el(argv[j]!));
    if (score === undefined) c.reply.nullBulk();
    else c.reply.bulkAscii(geohashString(score));
  }
}

/** GEOPOS key [member ...]: [longitude, latitude] per member, a null array for a missing one. */
function geoposCommand(c: CommandContext, argv: Buffer[]): void {
  const z = zsetForRead(c, argv[1]!);
  if (z === WRONG) return;
  c.reply.arrayLen(argv.length - 2);
  for (let j = 2; j < argv.length; j++) {
    const score = z === null ? undefined : z.score(el(argv[j]!));
    if (score === undefined) {
      c.reply.nullArray();
      continue;
    }
    const [x, y] = decodeScore(score);
    c.reply.arrayLen(2);
    replyCoordinate(c, x);
    replyCoordinate(c, y);
  }
}

/**
 * GEODIST key member1 member2 [M | KM | FT | MI]: the distance, 4 decimals,
 * nil when the key or a member is missing. The unit is checked first.
 */
function geodistCommand(c: CommandContext, argv: Buffer[]): void {
  let toMeter = 1;
  if (argv.length === 5) {
    toMeter = unitOrReply(c, argv[4]!);
    if (toMeter < 0) return;
  } else if (argv.length > 5) {
    return c.reply.error(ERR.syntax);
  }
  const z = zsetForRead(c, argv[1]!);
  if (z === WRONG) return;
  if (z === null) return c.reply.nullBulk();
  const s1 = z.score(el(argv[2]!));
  const s2 = z.score(el(argv[3]!));
  if (s1 === undefined || s2 === undefined) return c.reply.nullBulk();
  const [x1, y1] = decodeScore(s1);
  const [x2, y2] = decodeScore(s2);
  replyDistance(c, geoDistance(x1, y1, x2, y2) / toMeter);
}

// ---------------------------------------------------------------------------
// Table
// ---------------------------------------------------------------------------

const SEARCH_COMPLEXITY =
  'O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by ' +
  'center and radius and M is the number of items inside the index.';
const GEOSEARCH_COMPLEXITY =
  'O(N+log(M)) where N is the number of elements in the grid-aligned bounding box area around the shape ' +
  'provided as the filter and M is the number of items inside the shape';
const SEARCH_SUMMARY = 'Query a sorted set representing a geospatial index to fetch members ';

/** The STORE and STOREDIST destinations of GEORADIUS (from argument `from` on). */
function storeKeys(from: number) {
  return ['STORE', 'STOREDIST'].map((keyword) => ({
    flags: ['OW', 'update'] as const,
    begin: { type: 'keyword' as const, keyword, startFrom: from },
    find: { type: 'range' as const, lastKey: 0, step: 1, limit: 0 },
  }));
}

/** The geo family's table entries (Redis 7.0's src/commands/geo*.json). */
export const geoCommands: CommandSpec[] = [
  command({
    name: 'geoadd',
    arity: -5,
    flags: ['write', 'denyoom'],
    keys: [keyAt(1, ['RW', 'update'])],
    group: 'geo',
    since: '3.2.0',
    complexity: 'O(log(N)) for each item added, where N is the number of elements in the sorted set.',
    summary: 'Add one or more geospatial items in the geospatial index represented using a sorted set',
    handler: geoaddCommand,
  }),
  command({
    name: 'geodist',
    arity: -4,
    flags: ['readonly'],
    keys: [keyAt(1, ['RO', 'access'])],
    group: 'geo',
    since: '3.2.0',
    complexity: 'O(log(N))',
    summary: 'Returns the distance between two members of a geospatial index',
    handler: geodistCommand,
  }),
  command({
    name: 'geohash',
    arity: -2,
    flags: ['readonly'],
    keys: [keyAt(1, ['RO', 'access'])],
    group: 'geo',
    since: '3.2.0',
    complexity: 'O(log(N)) for each member requested, where N is the number of elements in the sorted set.',
    summary: 'Returns members of a geospatial index as standard geohash strings',
    handler: geohashCommand,
  }),
  command({
    name: 'geopos',
    arity: -2,
    flags: ['readonly'],
    keys: [keyAt(1, ['RO', 'access'])],
    group: 'geo',
    since: '3.2.0',
    complexity: 'O(N) where N is the number of members requested.',
    summary: 'Returns longitude and latitude of members of a geospatial index',
    handler: geoposCommand,
  }),
  command({
    name: 'georadius',
    arity: -6,
    flags: ['write', 'denyoom'],
    keys: [keyAt(1, ['RO', 'access']), ...storeKeys(6)],
    group: 'geo',
    since: '3.2.0',
    complexity: SEARCH_COMPLEXITY,
    summary: `${SEARCH_SUMMARY}matching a given maximum distance from a point`,
    handler: georadiusGeneric(1, RADIUS_COORDS),
  }),
  command({
    name: 'georadius_ro',
    arity: -6,
    flags: ['readonly'],
    keys: [keyAt(1, ['RO', 'access'])],
    group: 'geo',
    since: '3.2.10',
    complexity: SEARCH_COMPLEXITY,
    summary: 'A read-only variant for GEORADIUS',
    handler: georadiusGeneric(1, RADIUS_COORDS | RADIUS_NOSTORE),
  }),
  command({
    name: 'georadiusbymember',
    arity: -5,
    flags: ['write', 'denyoom'],
    keys: [keyAt(1, ['RO', 'access']), ...storeKeys(5)],
    group: 'geo',
    since: '3.2.0',
    complexity: SEARCH_COMPLEXITY,
    summary: `${SEARCH_SUMMARY}matching a given maximum distance from a member`,
    handler: georadiusGeneric(1, RADIUS_MEMBER),
  }),
  command({
    name: 'georadiusbymember_ro',
    arity: -5,
    flags: ['readonly'],
    keys: [keyAt(1, ['RO', 'access'])],
    group: 'geo',
    since: '3.2.10',
    complexity: SEARCH_COMPLEXITY,
    summary: 'A read-only variant for GEORADIUSBYMEMBER',
    handler: georadiusGeneric(1, RADIUS_MEMBER | RADIUS_NOSTORE),
  }),
  command({
    name: 'geosearch',
    arity: -7,
    flags: ['readonly'],
    keys: [keyAt(1, ['RO', 'access'])],
    group: 'geo',
    since: '6.2.0',
    complexity: GEOSEARCH_COMPLEXITY,
    summary: `${SEARCH_SUMMARY}inside an area of a box or a circle.`,
    handler: georadiusGeneric(1, GEOSEARCH),
  }),
  command({
    name: 'geosearchstore',
    arity: -8,
    flags: ['write', 'denyoom'],
    keys: [keyAt(1, ['OW', 'update']), keyAt(2, ['RO', 'access'])],
    group: 'geo',
    since: '6.2.0',
    complexity: GEOSEARCH_COMPLEXITY,
    summary: `${SEARCH_SUMMARY}inside an area of a box or a circle, and store the result in another key.`,
    handler: georadiusGeneric(2, GEOSEARCH | GEOSEARCHSTORE),
  }),
];
