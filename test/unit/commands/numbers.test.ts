/**
 * Score parsing and formatting for sorted sets: `parseDouble` (Redis's
 * `string2d`: the whole argument one `strtod` number), `parseScoreBound`
 * (`zslParseRange`: `(` for open, `strtod` up to the first NUL) and
 * `formatDouble` (`%.17g`). Expected values are redis-server 7.0.15's replies,
 * collected with ZADD then ZSCORE on a skiplist-encoded set, ZINCRBY, and
 * ZCOUNT over a fixed set; properties (fast-check, seed printed) cover round
 * trips of any double.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatDouble, parseDouble, parseScoreBound } from '../../../src/commands/numbers.js';
import { testSeed } from '../../helpers/random.js';

const score = (s: string): number | null => parseDouble(Buffer.from(s, 'latin1'));
const bound = (s: string): { value: number; ex: boolean } | null => parseScoreBound(Buffer.from(s, 'latin1'));

/**
 * `ZADD z <input> m` then `ZSCORE z m`, from redis-server 7.0.15 with
 * zset-max-listpack-entries 0. null: ZADD replied `-ERR value is not a valid float`.
 */
const ZADD_ZSCORE: [string, string | null][] = [
  ['0', '0'],
  ['0.1', '0.10000000000000001'],
  ['1e-320', '9.9998886718268301e-321'],
  ['-1e-320', '-9.9998886718268301e-321'],
  ['1e-310', '9.9999999999999694e-311'],
  ['2.5e-324', '4.9406564584124654e-324'],
  ['2e-324', null],
  ['4.9406564584124654e-324', '4.9406564584124654e-324'],
  ['1e308', '1e+308'],
  ['-1e308', '-1e+308'],
  ['1.7976931348623157e308', '1.7976931348623157e+308'],
  ['1.7976931348623159e308', null],
  ['1.8e308', null],
  ['1e400', null],
  ['1e-400', null],
  ['2.2250738585072014e-308', '2.2250738585072014e-308'],
  ['2.225073858507201e-308', '2.2250738585072009e-308'],
  ['9007199254740993', '9007199254740992'],
  ['9007199254740992', '9007199254740992'],
  ['-0', '-0'],
  ['+0', '0'],
  ['-0.0', '-0'],
  ['inf', 'inf'],
  ['+inf', 'inf'],
  ['-inf', '-inf'],
  ['Infinity', 'inf'],
  ['-infinity', '-inf'],
  ['INF', 'inf'],
  ['infinit', null],
  ['infx', null],
  ['nan', null],
  ['NaN', null],
  ['-nan', null],
  ['nan(1)', null],
  ['1e', null],
  ['1e+', null],
  ['  1', null],
  [' 1', null],
  ['1 ', null],
  ['1\t', null],
  ['\t1', null],
  ['', null],
  ['-', null],
  ['+', null],
  ['.', null],
  ['e5', null],
  ['1.5.5', null],
  ['1,5', null],
  ['1_000', null],
  ['1\x002', null],
  ['0001', '1'],
  ['00.5', '0.5'],
  ['.5', '0.5'],
  ['5.', '5'],
  ['+.5', '0.5'],
  ['-.5e-1', '-0.050000000000000003'],
  ['1e+2', '100'],
  ['1E2', '100'],
  ['1e-5', '1.0000000000000001e-05'],
  ['1e-4', '0.0001'],
  ['0.0001', '0.0001'],
  ['1e-7', '9.9999999999999995e-08'],
  ['1e15', '1000000000000000'],
  ['1e16', '10000000000000000'],
  ['1e17', '1e+17'],
  ['1e20', '1e+20'],
  ['12345678901234567', '12345678901234568'],
  ['123456789012345678', '1.2345678901234568e+17'],
  ['100000000000000000000000', '9.9999999999999992e+22'],
  ['1.1', '1.1000000000000001'],
  ['3.0', '3'],
  ['-1.5', '-1.5'],
  ['123.456', '123.456'],
  ['0.30000000000000004', '0.30000000000000004'],
  ['1.00000762939453125', '1.0000076293945312'],
  ['1.00002288818359375', '1.0000228881835938'],
  ['0x10', '16'],
  ['0x1p-1074', '4.9406564584124654e-324'],
  ['0x1.8p1', '3'],
  ['0X1P3', '8'],
  ['0x.8', '0.5'],
  ['0x', null],
  ['0x1p', null],
  ['0x1p+', null],
  ['0xg', null],
];

test('parseDouble accepts and rejects what ZADD does, and formatDouble prints what ZSCORE does', () => {
  for (const [input, reply] of ZADD_ZSCORE) {
    const v = score(input);
    assert.equal(v === null ? null : formatDouble(v), reply, `ZADD ${JSON.stringify(input)}`);
  }
});

test('parseDouble keeps the sign of zero and returns exact infinities', () => {
  assert.ok(Object.is(score('-0'), -0));
  assert.ok(Object.is(score('0'), 0));
  assert.equal(score('-inf'), -Infinity);
  assert.equal(score('+Infinity'), Infinity);
  assert.equal(score('4.9406564584124654e-324'), Number.MIN_VALUE);
  assert.equal(score('1.7976931348623157e308'), Number.MAX_VALUE);
});

/**
 * `%.17g` of doubles given by their shortest form: random bit patterns
 * (mulberry32, seed 20261201), exact ties at the 18th digit (glibc rounds
 * them to even), and edge values. The replies are redis-server 7.0.15's
 * ZSCORE after `ZADD z <shortest form> m`.
 */
const FORMAT_17G: [number, string][] = [
  [1.9894265341620585e-19, '1.9894265341620585e-19'],
  [-558870.0536946388, '-558870.05369463877'],
  [4.311832756167018e-127, '4.311832756167018e-127'],
  [-7.318657739016899e-94, '-7.3186577390168987e-94'],
  [3.981954201095148e-200, '3.9819542010951479e-200'],
  [-9.534988960248712e-123, '-9.5349889602487122e-123'],
  [-1.5119444778481752e-251, '-1.5119444778481752e-251'],
  [6.695650122220144e-245, '6.6956501222201443e-245'],
  [-3.386859687623105e60, '-3.3868596876231052e+60'],
  [2.756311318728584e-179, '2.7563113187285839e-179'],
  [1.0943016845494949e251, '1.0943016845494949e+251'],
  [-9.560579124202189e-17, '-9.5605791242021888e-17'],
  [1.2595278688868772e41, '1.2595278688868772e+41'],
  [991742437860.811, '991742437860.81104'],
  [3.719981997409313e78, '3.7199819974093131e+78'],
  [-1.8660630786811624e173, '-1.8660630786811624e+173'],
  [4.627809213870819e207, '4.6278092138708188e+207'],
  [3.096661284297981e-115, '3.0966612842979809e-115'],
  // Exact ties: ...0312|5 keeps the even 2, ...0937|5 rounds the odd 7 up.
  [12345.000122070312, '12345.000122070312'],
  [12345.000366210938, '12345.000366210938'],
  [12345.000610351562, '12345.000610351562'],
  [12345.000854492188, '12345.000854492188'],
  [-12345.000122070312, '-12345.000122070312'],
  [-12345.000366210938, '-12345.000366210938'],
  [1.0000076293945312, '1.0000076293945312'],
  [1.0000228881835938, '1.0000228881835938'],
  [5e-324, '4.9406564584124654e-324'],
  [-5e-324, '-4.9406564584124654e-324'],
  [2.2250738585072014e-308, '2.2250738585072014e-308'],
  [1.7976931348623157e308, '1.7976931348623157e+308'],
  [0.1 + 0.2, '0.30000000000000004'],
  [1 / 3, '0.33333333333333331'],
  [2 / 3, '0.66666666666666663'],
  [1e21, '1e+21'],
  [1e23, '9.9999999999999992e+22'],
  [5e-5, '5.0000000000000002e-05'],
  [1e-5, '1.0000000000000001e-05'],
  [123456789.123, '123456789.123'],
  [1e15 + 0.5, '1000000000000000.5'],
  [2 ** 63, '9.2233720368547758e+18'],
  [99999999999999980, '99999999999999984'],
  [4.35, '4.3499999999999996'],
];

test('formatDouble prints %.17g as redis-server does, rounding exact ties to even', () => {
  for (const [d, reply] of FORMAT_17G) assert.equal(formatDouble(d), reply, `%.17g of ${d}`);
});

test('formatDouble prints infinities as inf and -inf, and -0 as -0', () => {
  assert.equal(formatDouble(Infinity), 'inf');
  assert.equal(formatDouble(-Infinity), '-inf');
  assert.equal(formatDouble(-0), '-0');
  assert.equal(formatDouble(0), '0');
});

test('scores from ZINCRBY arithmetic print as redis-server prints them', () => {
  // redis-server 7.0.15: ZADD z <a> m, ZINCRBY z <b> m.
  const cases: [number, number, string][] = [
    [0.1, 0.2, '0.30000000000000004'],
    [1, 1e-16, '1'],
    [0.1, 0.7, '0.79999999999999993'],
    [1e16, 1, '10000000000000000'],
    [-0, 0, '0'],
  ];
  for (const [a, b, reply] of cases) assert.equal(formatDouble(a + b), reply, `${a} + ${b}`);
});

/** Scores of the set the ZCOUNT replies below were taken against. */
const FIXED = [-Infinity, -1, 0, 0.5, 1, 1.5, 16, Infinity];

/**
 * `ZCOUNT b <input> +inf` and `ZCOUNT b -inf <input>` on redis-server
 * 7.0.15, `b` holding {@link FIXED}. null: `-ERR min or max is not a float`.
 */
const ZCOUNT: [string, [number, number] | null][] = [
  ['1', [4, 5]],
  ['(1', [3, 4]],
  ['(', [5, 2]],
  ['', [6, 3]],
  [' 1', [4, 5]],
  ['\t1', [4, 5]],
  ['( 1', [3, 4]],
  ['1 ', null],
  ['nan', null],
  ['(nan', null],
  ['1e400', [1, 8]],
  ['-1e400', [8, 1]],
  ['1e-400', [6, 3]],
  ['((1', null],
  ['(inf', [0, 7]],
  ['(+inf', [0, 7]],
  ['(-inf', [7, 0]],
  ['+inf', [1, 8]],
  ['-inf', [8, 1]],
  ['infinity', [1, 8]],
  ['0x10', [2, 7]],
  ['(0x10', [1, 6]],
  ['1e', null],
  ['1\x00junk', [4, 5]],
  ['(1\x00x', [3, 4]],
  ['-0', [6, 3]],
  ['(-0', [5, 2]],
  ['0.5', [5, 4]],
  ['(0.5', [4, 3]],
  ['(.5', [4, 3]],
  ['1.5e0', [3, 6]],
  ['abc', null],
  ['.', null],
  ['+', null],
  ['-', null],
];

test('parseScoreBound accepts what ZCOUNT does and bounds the same members', () => {
  for (const [input, counts] of ZCOUNT) {
    const b = bound(input);
    if (counts === null) {
      assert.equal(b, null, `${JSON.stringify(input)} is refused`);
      continue;
    }
    assert.ok(b !== null, `${JSON.stringify(input)} is accepted`);
    const above = FIXED.filter((s) => (b.ex ? s > b.value : s >= b.value)).length;
    const below = FIXED.filter((s) => (b.ex ? s < b.value : s <= b.value)).length;
    assert.deepEqual([above, below], counts, `ZCOUNT with ${JSON.stringify(input)}`);
  }
});

test('parseScoreBound reads ( as open, an empty number as 0, overflow as an infinity', () => {
  assert.deepEqual(bound('(2.5'), { value: 2.5, ex: true });
  assert.deepEqual(bound('2.5'), { value: 2.5, ex: false });
  assert.deepEqual(bound('('), { value: 0, ex: true });
  assert.deepEqual(bound(''), { value: 0, ex: false });
  assert.deepEqual(bound(' \t7'), { value: 7, ex: false });
  assert.deepEqual(bound('1e400'), { value: Infinity, ex: false });
  assert.deepEqual(bound('(-1e400'), { value: -Infinity, ex: true });
  assert.deepEqual(bound('3\x00garbage'), { value: 3, ex: false });
});

test('any double survives formatDouble then parseDouble, and its shortest form parses to itself', () => {
  const seed = testSeed('score round trip');
  let runs = 0;
  fc.assert(
    fc.property(fc.double({ noNaN: true }), (d) => {
      runs++;
      const text = formatDouble(d);
      assert.match(text, /^-?(inf|0|[1-9](\.[0-9]*[1-9])?e[+-][0-9]{2,3}|[0-9]+(\.[0-9]*[1-9])?)$/, text);
      assert.ok(Object.is(score(text), d), `${text} parses back to ${d}`);
      assert.ok(Object.is(bound(text)!.value, d), `${text} as a bound`);
      const shortest = Object.is(d, -0) ? '-0' : String(d);
      assert.ok(Object.is(score(shortest), d), `${shortest} parses to ${d}`);
      // %.17g: at most 17 significant digits.
      const digits = text.replace(/^-/, '').replace(/e.*$/, '').replace('.', '').replace(/^0+/, '');
      assert.ok(text.includes('inf') || digits.length <= 17, `${text} has ${digits.length} significant digits`);
    }),
    { seed, numRuns: 2000 },
  );
  assert.equal(runs, 2000, `the property ran ${runs} times`);
});

test('a number with anything before or after it is refused by parseDouble', () => {
  const seed = testSeed('score junk');
  let runs = 0;
  const before = fc.constantFrom(' ', '\t', '\n', 'x', '\x00', 'e', '--', '(');
  const after = fc.constantFrom(' ', '\t', '\n', 'x', '\x00', 'e', 'e+', '-', '+', '(');
  fc.assert(
    fc.property(fc.double({ noNaN: true }), before, after, (d, pre, post) => {
      runs++;
      const text = formatDouble(d);
      assert.equal(score(pre + text), null, JSON.stringify(pre + text));
      assert.equal(score(text + post), null, JSON.stringify(text + post));
    }),
    { seed, numRuns: 500 },
  );
  assert.equal(runs, 500, `the property ran ${runs} times`);
});

/**
 * Hexadecimal scores among the subnormals: `ZADD z <input> m` then `ZSCORE
 * z m`, from redis-server 7.0.15 (glibc 2.36) with zset-max-listpack-entries
 * 0. null: ZADD replied `-ERR value is not a valid float` (the value rounded
 * to 0). Each is rounded once, ties to even, except that glibc leaves the
 * bit after the 53rd out of a subnormal's rounding: `0x1.00000000000008p-1075`
 * lies just above half of 2^-1074 and still reads as 0.
 */
const HEX_SUBNORMALS: [string, string | null][] = [
  // One rounding: 1.4999... units of 2^-1074 are 1; rounded to 53 bits first they would be 1.5, then 2.
  ['0x1.7ffffffffffffffp-1074', '4.9406564584124654e-324'],
  ['-0x1.7ffffffffffffffp-1074', '-4.9406564584124654e-324'],
  ['0x1.7ffffffffffffp-1074', '4.9406564584124654e-324'],
  ['0x9.28000000000000000000002p-1070', '7.2627649938663242e-322'],
  ['0x1.00000000000018p-1023', '1.1125369292536007e-308'],
  ['-0x1.00000000000018p-1023', '-1.1125369292536007e-308'],
  // Exact halves go to the even neighbour: 1.5 and 2.5 units to 2, 3.5 to 4, half a unit to 0.
  ['0x1.8p-1074', '9.8813129168249309e-324'],
  ['0x3p-1075', '9.8813129168249309e-324'],
  ['0x5p-1075', '9.8813129168249309e-324'],
  ['0x7p-1075', '1.9762625833649862e-323'],
  ['0x1p-1075', null],
  ['-0x1p-1075', null],
  ['0x2p-1076', null],
  ['0x0.8p-1074', null],
  ['0x1.0000018p-1050', '8.2890470465893867e-317'],
  ['0x1.0000028p-1050', '8.2890470465893867e-317'],
  // Just above half: a set bit anywhere after the round bit counts, however far down.
  ['0x1.0000000000001p-1075', '4.9406564584124654e-324'],
  ['0x1.000000000000080001p-1075', '4.9406564584124654e-324'],
  ['0x1.00000000000000000000000001p-1075', '4.9406564584124654e-324'],
  ['0x2.00000000000008p-1076', '4.9406564584124654e-324'],
  ['0x1.00000280000000000001p-1050', '8.2890475406550325e-317'],
  ['0x1.8000000000000cp-1074', '9.8813129168249309e-324'],
  // ... but not the bit right after the 53rd, which glibc drops.
  ['0x1.00000000000008p-1075', null],
  ['0x2.0000000000001p-1076', null],
  // Below half, at 2^-1074 exactly, and rounding up out of the subnormals.
  ['0x1.ffffffffffffffffp-1076', null],
  ['0x1p-1076', null],
  ['0x1.fffffffffffff8p-1075', '4.9406564584124654e-324'],
  ['0x1p-1074', '4.9406564584124654e-324'],
  ['0x.0000000000000cp-1022', '4.9406564584124654e-324'],
  ['0x1.fffffffffffffp-1023', '2.2250738585072014e-308'],
  ['0x1.fffffffffffff8p-1023', '2.2250738585072014e-308'],
  ['0x1.00000000000008p-1022', '2.2250738585072014e-308'],
  ['0x1.00000000000018p-1022', '2.2250738585072024e-308'],
];

test('hexadecimal scores among the subnormals read as strtod reads them, rounded once', () => {
  for (const [input, reply] of HEX_SUBNORMALS) {
    const v = score(input);
    assert.equal(v === null ? null : formatDouble(v), reply, `ZADD ${input}`);
  }
});

/** The exact decimal of `m × 2^-1076`: 1076 places, the most glibc reads. */
function dyadic1076(m: bigint): string {
  return `0.${(m * 5n ** 1076n).toString().padStart(1076, '0')}`;
}

test('decimal scores that end within 1076 places are rounded among the subnormals as strtod rounds them', () => {
  // redis-server 7.0.15 (glibc 2.36): ZADD z <input> m, then ZSCORE z m; null: not a valid float.
  // 2^-1023 + 3 x 2^-1076 is above half way between two subnormals, but glibc, which reads every digit
  // here, leaves the bit after the 53rd out of the rounding and keeps 2^-1023 (correctly rounded:
  // 1.1125369292536012e-308); with a digit past the 1076th place, it rounds up.
  const two53 = 2n ** 53n;
  const cases: [string, string | null][] = [
    [dyadic1076(two53 + 3n), '1.1125369292536007e-308'],
    [`-${dyadic1076(two53 + 3n)}`, '-1.1125369292536007e-308'],
    [`${dyadic1076(two53 + 3n)}0`, '1.1125369292536007e-308'],
    [`${((two53 + 3n) * 5n ** 1076n).toString()}e-1076`, '1.1125369292536007e-308'],
    [`0.${((two53 + 3n) * 5n ** 1076n).toString().padStart(776, '0')}e-300`, '1.1125369292536007e-308'],
    [`${dyadic1076(two53 + 3n)}1`, '1.1125369292536012e-308'],
    [dyadic1076(two53 + 7n), '1.1125369292536017e-308'],
    [dyadic1076(two53 + 11n), '1.1125369292536017e-308'],
    [dyadic1076(2n ** 54n - 5n), '2.2250738585072004e-308'],
    [dyadic1076(2n ** 54n - 3n), '2.2250738585072009e-308'],
    [dyadic1076(2n ** 54n - 1n), '2.2250738585072014e-308'],
    // 2^-1075 + 2^-1128 ends at place 1128: glibc reads 1076 places, sees more, and rounds up.
    [`0.${((two53 + 1n) * 5n ** 1128n).toString().padStart(1128, '0')}`, '4.9406564584124654e-324'],
    [`0.${(5n ** 1075n).toString().padStart(1075, '0')}`, null],
  ];
  for (const [input, reply] of cases) {
    const v = score(input);
    assert.equal(
      v === null ? null : formatDouble(v),
      reply,
      `ZADD ${input.slice(0, 12)}... (${input.length} characters)`,
    );
  }
});
