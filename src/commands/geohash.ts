/**
 * Redis 7.0's geohash arithmetic, ported line by line from src/geohash.c and
 * src/geohash_helper.c so that scores, decoded coordinates, search areas and
 * distances come out as redis-server computes them.
 *
 * A position is stored as a sorted-set score: longitude and latitude each
 * scaled to 26 bits over [-180, 180] and [-85.05112878, 85.05112878] (the
 * Web Mercator limits, EPSG:3785), then interleaved, latitude in the even
 * bits and longitude in the odd ones: a 52-bit integer, exact in a double.
 * A longitude of exactly 180 or a latitude of exactly 85.05112878 scales to
 * 2^26, one bit more, as in Redis. Searches cover the area with the geohash
 * box of the centre and its 8 neighbours at a precision chosen from the
 * radius, read each box as one score range, and filter by distance
 * (haversine on a sphere of 6372797.560856 m).
 *
 * Hot paths (encoding a point, decoding a score) use 32-bit halves; the
 * once-per-search box arithmetic uses BigInt for Redis's 64-bit operations.
 *
 * Reference: https://redis.io/docs/latest/commands/geoadd/ ("How does it work?")
 */

import { asin, cos, sin } from './libm.js';

/** Latitude limits (geohash.h `GEO_LAT_MIN`/`GEO_LAT_MAX`, EPSG:900913). */
export const GEO_LAT_MIN = -85.05112878;
export const GEO_LAT_MAX = 85.05112878;
/** Longitude limits. */
export const GEO_LONG_MIN = -180;
export const GEO_LONG_MAX = 180;
/** Bits per coordinate of a stored score (26 × 2 = 52). */
export const GEO_STEP_MAX = 26;

/** geohash_helper.c: the mean Earth radius Redis uses, in meters. */
const EARTH_RADIUS_IN_METERS = 6372797.560856;
const MERCATOR_MAX = 20037726.37;
/** `M_PI / 180.0`, as C folds it. */
const D_R = Math.PI / 180.0;

const TWO32 = 4294967296;

/** A range of one coordinate (geohash.h `GeoHashRange`). */
export interface GeoRange {
  min: number;
  max: number;
}

/** A geohash of `step` bits per coordinate (geohash.h `GeoHashBits`); bits 0 and step 0 is "none" (`GZERO`). */
export interface GeoHashBits {
  bits: bigint;
  step: number;
}

/** A decoded geohash box (geohash.h `GeoHashArea`). */
interface GeoHashArea {
  longitude: GeoRange;
  latitude: GeoRange;
}

/** A search shape (geohash.h `GeoShape`): a circle or an axis-aligned box around `xy`. */
export interface GeoShape {
  type: 'radius' | 'box';
  /** Centre: longitude, latitude. */
  xy: [number, number];
  /** Meters per unit of the radius, width and height (km: 1000). */
  conversion: number;
  /** Bounding box: min longitude, min latitude, max longitude, max latitude (filled by the search). */
  bounds: [number, number, number, number];
  /** Radius, in units. */
  radius: number;
  /** Box width and height, in units. */
  width: number;
  height: number;
}

/** The centre box and its 8 neighbours, in Redis's search order (geo.c `membersOfAllNeighbors`). */
export interface GeoHashRadius {
  /** center, north, south, east, west, north-east, north-west, south-east, south-west */
  boxes: GeoHashBits[];
}

const WGS84_LONG: GeoRange = { min: GEO_LONG_MIN, max: GEO_LONG_MAX };
const WGS84_LAT: GeoRange = { min: GEO_LAT_MIN, max: GEO_LAT_MAX };

/** The 16 low bits of `x` moved to the even bits of a 32-bit word. */
function spread16(x: number): number {
  x &= 0xffff;
  x = (x | (x << 8)) & 0x00ff00ff;
  x = (x | (x << 4)) & 0x0f0f0f0f;
  x = (x | (x << 2)) & 0x33333333;
  x = (x | (x << 1)) & 0x55555555;
  return x;
}

/** The even bits of a 32-bit word packed into 16 bits. */
function compact16(x: number): number {
  x &= 0x55555555;
  x = (x | (x >>> 1)) & 0x33333333;
  x = (x | (x >>> 2)) & 0x0f0f0f0f;
  x = (x | (x >>> 4)) & 0x00ff00ff;
  x = (x | (x >>> 8)) & 0x0000ffff;
  return x;
}

/**
 * geohash.c `interleave64`: the 32 bits of `x` in the even bits and those
 * of `y` in the odd bits of a 64-bit word, as its high and low 32-bit halves.
 */
function interleave(x: number, y: number): { hi: number; lo: number } {
  const lo = spread16(x) + spread16(y) * 2;
  const hi = spread16(x >>> 16) + spread16(y >>> 16) * 2;
  return { hi, lo };
}

/**
 * geohash.c `deinterleave64` of the word `hi`·2^32 + `lo`: the even bits
 * (latitude) and the odd bits (longitude), each a 32-bit unsigned number.
 */
function deinterleave(hi: number, lo: number): { lat: number; lon: number } {
  return {
    lat: compact16(lo) + compact16(hi) * 65536,
    lon: compact16(lo >>> 1) + compact16(hi >>> 1) * 65536,
  };
}

/** C's conversion of a non-negative double below 2^32 to `uint32_t` (truncation). */
function toUint32(d: number): number {
  return Math.trunc(d) >>> 0;
}

/**
 * geohash.c `geohashEncode` into the two 32-bit halves of the bits, or null
 * where Redis returns 0 (a coordinate outside the WGS84 limits or `ranges`).
 */
function encodeHalves(
  lonRange: GeoRange,
  latRange: GeoRange,
  longitude: number,
  latitude: number,
  step: number,
): { hi: number; lo: number } | null {
  if (longitude > GEO_LONG_MAX || longitude < GEO_LONG_MIN || latitude > GEO_LAT_MAX || latitude < GEO_LAT_MIN)
    return null;
  if (latitude < latRange.min || latitude > latRange.max || longitude < lonRange.min || longitude > lonRange.max)
    return null;
  let latOffset = (latitude - latRange.min) / (latRange.max - latRange.min);
  let longOffset = (longitude - lonRange.min) / (lonRange.max - lonRange.min);
  const scale = 2 ** step;
  latOffset *= scale;
  longOffset *= scale;
  return interleave(toUint32(latOffset), toUint32(longOffset));
}

/** geohash.c `geohashEncode` as a {@link GeoHashBits}, or null where Redis returns 0. */
function encode(lonRange: GeoRange, latRange: GeoRange, longitude: number, latitude: number, step: number) {
  const h = encodeHalves(lonRange, latRange, longitude, latitude, step);
  return h === null ? null : { bits: (BigInt(h.hi) << 32n) | BigInt(h.lo), step };
}

/**
 * The sorted-set score of a position (geo.c GEOADD: `geohashEncodeWGS84` at
 * step 26, aligned to 52 bits) as the decimal integer Redis hands to ZADD.
 * The caller has checked the coordinates against the WGS84 limits.
 */
export function geoScoreString(longitude: number, latitude: number): string {
  const h = encodeHalves(WGS84_LONG, WGS84_LAT, longitude, latitude, GEO_STEP_MAX)!;
  return ((BigInt(h.hi) << 32n) | BigInt(h.lo)).toString();
}

/** geohash.c `geohashDecode` of the 32-bit halves: the box the bits stand for. */
function decodeHalves(lonRange: GeoRange, latRange: GeoRange, hi: number, lo: number, step: number): GeoHashArea {
  const { lat: ilato, lon: ilono } = deinterleave(hi, lo);
  const latScale = latRange.max - latRange.min;
  const longScale = lonRange.max - lonRange.min;
  const div = 2 ** step;
  return {
    latitude: {
      min: latRange.min + (ilato / div) * latScale,
      max: latRange.min + (((ilato + 1) % TWO32) / div) * latScale,
    },
    longitude: {
      min: lonRange.min + (ilono / div) * longScale,
      max: lonRange.min + (((ilono + 1) % TWO32) / div) * longScale,
    },
  };
}

function decode(h: GeoHashBits): GeoHashArea {
  const b = BigInt.asUintN(64, h.bits);
  return decodeHalves(WGS84_LONG, WGS84_LAT, Number(b >> 32n), Number(b & 0xffffffffn), h.step);
}

/**
 * C's conversion of a score to `uint64_t` (geo.c `decodeGeohash`), as x86-64
 * gcc code does it, split in 32-bit halves: truncation; a negative value wraps
 * modulo 2^64 (below -2^63 it is 2^63); 2^64 and above, and infinities, are 0.
 */
function scoreHalves(score: number): { hi: number; lo: number } {
  if (score >= 0 && score < 2 ** 53) {
    const t = Math.trunc(score);
    const hi = Math.floor(t / TWO32);
    return { hi, lo: t - hi * TWO32 };
  }
  let v: bigint;
  if (score >= 2 ** 64 || Number.isNaN(score)) v = 0n;
  else if (score >= 0) v = BigInt(Math.trunc(score));
  else if (score >= -(2 ** 63)) v = BigInt.asUintN(64, BigInt(Math.trunc(score)));
  else v = 1n << 63n;
  return { hi: Number(v >> 32n), lo: Number(v & 0xffffffffn) };
}

/**
 * The position a score stands for (geo.c `decodeGeohash`, geohash.c
 * `geohashDecodeToLongLatWGS84`): the centre of its 26-bit box, clamped to
 * the WGS84 limits. Any score decodes, as in Redis.
 *
 * @returns [longitude, latitude] in degrees
 */
export function decodeScore(score: number): [number, number] {
  // decodeHalves's arithmetic, inlined without its objects: a search decodes every candidate.
  let hi: number;
  let lo: number;
  if (score >= 0 && score < 2 ** 53) {
    const t = Math.trunc(score);
    hi = Math.floor(t / TWO32);
    lo = t - hi * TWO32;
  } else ({ hi, lo } = scoreHalves(score));
  const ilato = compact16(lo) + compact16(hi) * 65536;
  const ilono = compact16(lo >>> 1) + compact16(hi >>> 1) * 65536;
  const div = 2 ** GEO_STEP_MAX;
  const latScale = WGS84_LAT.max - WGS84_LAT.min;
  const longScale = WGS84_LONG.max - WGS84_LONG.min;
  const lonMin = WGS84_LONG.min + (ilono / div) * longScale;
  const lonMax = WGS84_LONG.min + (((ilono + 1) % TWO32) / div) * longScale;
  const latMin = WGS84_LAT.min + (ilato / div) * latScale;
  const latMax = WGS84_LAT.min + (((ilato + 1) % TWO32) / div) * latScale;
  let x = (lonMin + lonMax) / 2;
  if (x > GEO_LONG_MAX) x = GEO_LONG_MAX;
  if (x < GEO_LONG_MIN) x = GEO_LONG_MIN;
  let y = (latMin + latMax) / 2;
  if (y > GEO_LAT_MAX) y = GEO_LAT_MAX;
  if (y < GEO_LAT_MIN) y = GEO_LAT_MIN;
  return [x, y];
}

const GEO_ALPHABET = '0123456789bcdefghjkmnpqrstuvwxyz';

/**
 * GEOHASH's string of a score (geo.c `geohashCommand`): the decoded position
 * re-encoded over the standard ranges ([-180, 180], [-90, 90]) at 26 bits per
 * coordinate, read 5 bits per character; the 11th character, for which Redis
 * has no bits, is always `0`.
 */
export function geohashString(score: number): string {
  const [lon, lat] = decodeScore(score);
  const h = encode({ min: -180, max: 180 }, { min: -90, max: 90 }, lon, lat, GEO_STEP_MAX)!;
  let s = '';
  for (let i = 0; i < 11; i++) {
    const idx = i === 10 ? 0 : Number((h.bits >> BigInt(52 - (i + 1) * 5)) & 0x1fn);
    s += GEO_ALPHABET[idx];
  }
  return s;
}

function degRad(ang: number): number {
  return ang * D_R;
}

function radDeg(ang: number): number {
  return ang / D_R;
}

/** geohash_helper.c `geohashEstimateStepsByRadius`: bits per coordinate of the search boxes. */
function estimateStepsByRadius(rangeMeters: number, lat: number): number {
  if (rangeMeters === 0) return 26;
  let step = 1;
  while (rangeMeters < MERCATOR_MAX) {
    rangeMeters *= 2;
    step++;
  }
  step -= 2;
  if (lat > 66 || lat < -66) {
    step--;
    if (lat > 80 || lat < -80) step--;
  }
  if (step < 1) step = 1;
  if (step > 26) step = 26;
  return step;
}

/** geohash_helper.c `geohashBoundingBox`: fills `shape.bounds`. */
function boundingBox(shape: GeoShape): void {
  const [longitude, latitude] = shape.xy;
  const height = shape.conversion * (shape.type === 'radius' ? shape.radius : shape.height / 2);
  const width = shape.conversion * (shape.type === 'radius' ? shape.radius : shape.width / 2);
  const latDelta = radDeg(height / EARTH_RADIUS_IN_METERS);
  const longDeltaTop = radDeg(width / EARTH_RADIUS_IN_METERS / cos(degRad(latitude + latDelta)));
  const longDeltaBottom = radDeg(width / EARTH_RADIUS_IN_METERS / cos(degRad(latitude - latDelta)));
  const southern = latitude < 0;
  shape.bounds[0] = southern ? longitude - longDeltaBottom : longitude - longDeltaTop;
  shape.bounds[2] = southern ? longitude + longDeltaBottom : longitude + longDeltaTop;
  shape.bounds[1] = latitude - latDelta;
  shape.bounds[3] = latitude + latDelta;
}

const EVEN64 = 0x5555555555555555n;
const ODD64 = 0xaaaaaaaaaaaaaaaan;

/** geohash.c `geohash_move_x`: one box east (d > 0) or west, wrapping around. */
function moveX(h: GeoHashBits, d: number): void {
  let x = h.bits & ODD64;
  const y = h.bits & EVEN64;
  const zz = EVEN64 >> BigInt(64 - h.step * 2);
  if (d > 0) x = x + (zz + 1n);
  else {
    x = x | zz;
    x = x - (zz + 1n);
  }
  x &= ODD64 >> BigInt(64 - h.step * 2);
  h.bits = x | y;
}

/** geohash.c `geohash_move_y`: one box north (d > 0) or south, wrapping around. */
function moveY(h: GeoHashBits, d: number): void {
  const x = h.bits & ODD64;
  let y = h.bits & EVEN64;
  const zz = ODD64 >> BigInt(64 - h.step * 2);
  if (d > 0) y = y + (zz + 1n);
  else {
    y = y | zz;
    y = y - (zz + 1n);
  }
  y &= EVEN64 >> BigInt(64 - h.step * 2);
  h.bits = x | y;
}

/** geohash.c `geohashNeighbors`, in {@link GeoHashRadius}'s order (moves as there: x then y). */
function neighbors(h: GeoHashBits): GeoHashBits[] {
  const moves: [number, number][] = [
    [0, 1], // north
    [0, -1], // south
    [1, 0], // east
    [-1, 0], // west
    [1, 1], // north-east
    [-1, 1], // north-west
    [1, -1], // south-east
    [-1, -1], // south-west
  ];
  return moves.map(([dx, dy]) => {
    const n = { bits: h.bits, step: h.step };
    if (dx !== 0) moveX(n, dx);
    if (dy !== 0) moveY(n, dy);
    return n;
  });
}

/**
 * geohash_helper.c `geohashCalculateAreasByShapeWGS84`: the boxes covering
 * `shape` (its bounds filled in): the centre's box at a step estimated from
 * the radius (for a box, the half diagonal), one step coarser when a
 * neighbour does not reach the bounding box, with the neighbours wholly
 * outside the bounding box zeroed.
 */
export function areasByShape(shape: GeoShape): GeoHashRadius {
  boundingBox(shape);
  const [minLon, minLat, maxLon, maxLat] = shape.bounds;
  const [longitude, latitude] = shape.xy;
  let radiusMeters =
    shape.type === 'radius'
      ? shape.radius
      : Math.sqrt((shape.width / 2) * (shape.width / 2) + (shape.height / 2) * (shape.height / 2));
  radiusMeters *= shape.conversion;
  let steps = estimateStepsByRadius(radiusMeters, latitude);
  let hash = encode(WGS84_LONG, WGS84_LAT, longitude, latitude, steps)!;
  let ns = neighbors(hash);
  let area = decode(hash);
  let decreaseStep = false;
  {
    const north = decode(ns[0]!);
    const south = decode(ns[1]!);
    const east = decode(ns[2]!);
    const west = decode(ns[3]!);
    if (north.latitude.max < maxLat) decreaseStep = true;
    if (south.latitude.min > minLat) decreaseStep = true;
    if (east.longitude.max < maxLon) decreaseStep = true;
    if (west.longitude.min > minLon) decreaseStep = true;
  }
  if (steps > 1 && decreaseStep) {
    steps--;
    hash = encode(WGS84_LONG, WGS84_LAT, longitude, latitude, steps)!;
    ns = neighbors(hash);
    area = decode(hash);
  }
  const zero = (i: number) => {
    ns[i] = { bits: 0n, step: 0 };
  };
  if (steps >= 2) {
    if (area.latitude.min < minLat) [1, 7, 6].forEach(zero); // south, south-west, south-east
    if (area.latitude.max > maxLat) [0, 4, 5].forEach(zero); // north, north-east, north-west
    if (area.longitude.min < minLon) [3, 7, 5].forEach(zero); // west, south-west, north-west
    if (area.longitude.max > maxLon) [2, 6, 4].forEach(zero); // east, south-east, north-east
  }
  return { boxes: [hash, ...ns] };
}

/**
 * geo.c `scoresOfGeoHashBox`: the score range [min, max) of the members in
 * box `h` (its bits aligned to 52, then the next box's).
 */
export function scoresOfBox(h: GeoHashBits): [number, number] {
  const shift = BigInt(52 - h.step * 2);
  return [Number(BigInt.asUintN(64, h.bits << shift)), Number(BigInt.asUintN(64, (h.bits + 1n) << shift))];
}

/** geohash_helper.c `geohashGetLatDistance`: meters between two latitudes on a meridian. */
function latDistance(lat1d: number, lat2d: number): number {
  return EARTH_RADIUS_IN_METERS * Math.abs(degRad(lat2d) - degRad(lat1d));
}

let memoLat1r = 0;
let memoCos1 = 1;

/** geohash_helper.c `geohashGetDistance`: the haversine distance in meters, degrees in. */
export function geoDistance(lon1d: number, lat1d: number, lon2d: number, lat2d: number): number {
  const lon1r = degRad(lon1d);
  const lon2r = degRad(lon2d);
  const v = sin((lon2r - lon1r) / 2);
  if (v === 0.0) return latDistance(lat1d, lat2d);
  const lat1r = degRad(lat1d);
  const lat2r = degRad(lat2d);
  const u = sin((lat2r - lat1r) / 2);
  // A search measures from one centre: its cosine is computed once.
  if (lat1r !== memoLat1r) {
    memoLat1r = lat1r;
    memoCos1 = cos(lat1r);
  }
  const cos2 = lat2r === lat1r ? memoCos1 : cos(lat2r);
  const a = u * u + memoCos1 * cos2 * v * v;
  return 2.0 * EARTH_RADIUS_IN_METERS * asin(Math.sqrt(a));
}

/**
 * Whether the distance {@link distanceWithin} returned last is the exact
 * one (geoDistance's, as glibc gives it) rather than V8's faithful
 * approximation; see {@link exactWhereItMatters}.
 */
export let lastDistanceExact = true;

/** Relative gap under which two approximate distances may not be ordered as their exact values are. */
const TIE_MARGIN = 1e-9;

/**
 * geo.c `geoWithinShape`: the distance in meters from the shape's centre to
 * the position `xy`, or -1 when outside (a circle: beyond the radius; a box:
 * more than half the height along the meridian or half the width along the
 * parallel, geohash_helper.c `geohashGetDistanceIfInRectangle`). The
 * decision is always the exact one; a distance returned for a position
 * clearly inside may be V8's approximation ({@link lastDistanceExact} false),
 * within a few ulps of the exact value.
 */
export function distanceWithin(shape: GeoShape, xy: readonly [number, number]): number {
  const [x1, y1] = shape.xy;
  const [x2, y2] = xy;
  lastDistanceExact = true;
  if (shape.type === 'radius') {
    const limit = shape.radius * shape.conversion;
    const f = fastDistance(x1, y1, x2, y2);
    if (f > limit * (1 + TIE_MARGIN)) return -1;
    if (f < limit * (1 - TIE_MARGIN)) {
      lastDistanceExact = false;
      return f;
    }
    const d = geoDistance(x1, y1, x2, y2);
    return d > limit ? -1 : d;
  }
  const widthM = shape.width * shape.conversion;
  const heightM = shape.height * shape.conversion;
  if (latDistance(y2, y1) > heightM / 2) return -1;
  const w = fastDistance(x2, y2, x1, y2);
  if (w > (widthM / 2) * (1 + TIE_MARGIN)) return -1;
  if (!(w < (widthM / 2) * (1 - TIE_MARGIN)) && geoDistance(x2, y2, x1, y2) > widthM / 2) return -1;
  const f = fastDistance(x1, y1, x2, y2);
  if (!Number.isNaN(f)) {
    lastDistanceExact = false;
    return f;
  }
  return geoDistance(x1, y1, x2, y2);
}

/** A match whose distance may still be the approximation. */
export interface MeasuredPoint {
  longitude: number;
  latitude: number;
  score: number;
  dist: number;
  exact: boolean;
}

/**
 * Replaces approximate distances by exact ones wherever the approximation
 * could make a reply differ from Redis's: when sorting, every match whose
 * distance is within a relative 1e-9 of another's (so that every comparison
 * the sort makes has the exact outcome); then, of the first `returned` in
 * reply order, those stored with STOREDIST (full precision) and those shown
 * with WITHDIST whose 4-decimal rounding (in `conversion` units) is within
 * reach of the approximation's error.
 *
 * @param sorting whether the matches are about to be sorted by distance
 * @param phase `order` before the sort, `output` after it
 */
export function exactWhereItMatters(
  shape: GeoShape,
  points: MeasuredPoint[],
  phase: 'order' | 'output',
  how: { sorting: boolean; returned: number; storedist: boolean; withdist: boolean; conversion: number },
): void {
  const exact = (p: MeasuredPoint): void => {
    if (p.exact) return;
    p.dist = geoDistance(shape.xy[0], shape.xy[1], p.longitude, p.latitude);
    p.exact = true;
  };
  if (phase === 'order') {
    if (!how.sorting || points.length < 2) return;
    const byDist = points.slice().sort((a, b) => a.dist - b.dist);
    for (let i = 1; i < byDist.length; i++) {
      const a = byDist[i - 1]!;
      const b = byDist[i]!;
      // Equal positions have equal distances however they are computed.
      if (a.score === b.score || b.dist - a.dist > b.dist * TIE_MARGIN) continue;
      exact(a);
      exact(b);
    }
    return;
  }
  for (let i = 0; i < how.returned; i++) {
    const p = points[i]!;
    if (p.exact) continue;
    if (how.storedist) exact(p);
    else if (how.withdist) {
      const y = (p.dist / how.conversion) * 10_000;
      if (Math.abs(y - Math.floor(y) - 0.5) <= y * TIE_MARGIN + TIE_MARGIN) exact(p);
    }
  }
}

/**
 * The haversine on V8's sin, cos and asin (faithful to 1 ulp, ten times
 * faster than ./libm.ts), in meters; NaN near antipodes (a > 0.99), where
 * asin amplifies an ulp too much for it to stand in for {@link geoDistance}.
 * Along a meridian it is geoDistance's own exact formula.
 */
function fastDistance(lon1d: number, lat1d: number, lon2d: number, lat2d: number): number {
  const v = Math.sin((degRad(lon2d) - degRad(lon1d)) / 2);
  if (v === 0) return latDistance(lat1d, lat2d);
  const lat1r = degRad(lat1d);
  const lat2r = degRad(lat2d);
  const u = Math.sin((lat2r - lat1r) / 2);
  const a = u * u + Math.cos(lat1r) * Math.cos(lat2r) * v * v;
  if (!(a <= 0.99)) return Number.NaN;
  return 2.0 * EARTH_RADIUS_IN_METERS * Math.asin(Math.sqrt(a));
}
