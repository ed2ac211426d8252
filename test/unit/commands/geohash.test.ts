/**
 * The pieces of the geo commands that can be checked alone: scores, positions
 * and geohash strings (expected values are redis-server 7.0.15's GEOADD,
 * ZSCORE, GEOPOS and GEOHASH replies), the `%f`-style formatters, the
 * correctly rounded sin, cos and asin (against 200-bit values from mpmath),
 * and the partial quicksort (fast-check, seed printed).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeScore, geoScoreString, geohashString } from '../../../src/commands/geohash.js';
import { asin, cos, sin } from '../../../src/commands/libm.js';
import { formatFixed, formatFixedPoint, formatHumanDouble } from '../../../src/commands/numbers.js';
import { pqsort } from '../../../src/commands/pqsort.js';
import { testSeed } from '../../helpers/random.js';

test('GEOADD scores, GEOPOS positions and GEOHASH strings as redis-server computes them, the limits included', () => {
  const cases: [number, number, string, string, string, string][] = [
    [13.361389, 38.115556, '3479099956230698', '13.36138933897018433', '38.11555639549629859', 'sqc8b49rny0'],
    [180, 85.05112878, '13510798882111488', '180', '85.0511287799999991', 'bp05b5048p0'],
    [-180, -85.05112878, '0', '-179.99999731779098511', '-85.05112751263942528', '00bh0hbj200'],
  ];
  for (const [lon, lat, score, x, y, hash] of cases) {
    assert.equal(geoScoreString(lon, lat), score);
    const [dx, dy] = decodeScore(Number(score));
    assert.equal(formatHumanDouble(dx), x);
    assert.equal(formatHumanDouble(dy), y);
    assert.equal(geohashString(Number(score)), hash);
  }
});

test('formatFixed prints as printf("%.Nf"), ties to even on the exact binary value', () => {
  assert.equal(formatFixed(0.5, 0), '0');
  assert.equal(formatFixed(1.5, 0), '2');
  assert.equal(formatFixed(2.5, 0), '2');
  assert.equal(formatFixed(200, 6), '200.000000');
  assert.equal(formatFixed(-0, 6), '-0.000000');
  assert.equal(formatFixed(-1e-9, 6), '-0.000000');
  assert.equal(formatFixed(0.125, 2), '0.12');
  assert.equal(formatFixed(1e22, 1), '10000000000000000000000.0');
  assert.equal(formatFixed(Number.POSITIVE_INFINITY, 6), 'inf');
  assert.equal(formatFixed(Number.NEGATIVE_INFINITY, 6), '-inf');
});

test('formatFixedPoint rounds as llrint (ties to even) and keeps a leading 0', () => {
  assert.equal(formatFixedPoint(0, 4), '0.0000');
  assert.equal(formatFixedPoint(166274.15156960033, 4), '166274.1516');
  assert.equal(formatFixedPoint(0.0123, 4), '0.0123');
  assert.equal(formatFixedPoint(0.00025, 4), '0.0002');
  assert.equal(formatFixedPoint(0.00035, 4), '0.0004');
  assert.equal(formatFixedPoint(12, 4), '12.0000');
});

test('sin, cos and asin are correctly rounded, where V8 and glibc sometimes are not', () => {
  // Arguments where glibc 2.36 rounds the other way; the nearest double is asserted.
  assert.equal(sin(-0.7773193701123974), -0.7013711986023482);
  assert.equal(sin(0.40418581465194947), 0.39327031015125274);
  assert.equal(cos(1.1511566300358795), 0.40743143769477846);
  assert.equal(asin(0.4541706226473514), 0.4714410651178161);
  assert.equal(sin(0), 0);
  assert.ok(Object.is(sin(-0), -0));
  assert.equal(cos(0), 1);
  assert.equal(asin(1), Math.PI / 2);
  assert.ok(Number.isNaN(asin(1.5)));
  const seed = testSeed('libm');
  fc.assert(
    fc.property(fc.double({ min: -10, max: 10, noNaN: true }), (x) => {
      const ulp = (v: number) => Math.max(Math.abs(v) * 2 ** -52, 2 ** -1074);
      assert.ok(Math.abs(sin(x) - Math.sin(x)) <= ulp(Math.sin(x)));
      assert.ok(Math.abs(cos(x) - Math.cos(x)) <= ulp(Math.cos(x)));
    }),
    { seed },
  );
});

test('pqsort puts the elements of its range where a full sort puts them', () => {
  const seed = testSeed('pqsort');
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 300 }), fc.nat(), (keys, at) => {
      if (keys.length === 0) return;
      const v = keys.map((k, i) => ({ k, i }));
      const k = 1 + (at % keys.length);
      pqsort(v, (a, b) => (a.k > b.k ? 1 : a.k === b.k ? 0 : -1), 0, k - 1);
      const sorted = [...keys].sort((a, b) => a - b);
      assert.deepEqual(
        v.slice(0, k).map((e) => e.k),
        sorted.slice(0, k),
      );
      assert.equal(new Set(v.map((e) => e.i)).size, keys.length);
    }),
    { seed },
  );
});
