/**
 * x87 80-bit `long double` arithmetic, exactly as Redis on x86-64 computes
 * INCRBYFLOAT and HINCRBYFLOAT: parse with `strtold` (correctly rounded to a
 * 64-bit significand), add with one rounding, print with `%.17Lf` and strip
 * trailing zeros (util.c `string2ld` and `ld2string`, mode LD_STR_HUMAN).
 *
 * JavaScript doubles would print `0.1 + 0.2` as `0.30000000000000004`; Redis
 * prints `0.3`. Matching Redis byte for byte needs the wider format, which
 * BigInt gives us. Values are `sign × significand × 2^exponent`.
 *
 * Reference: https://redis.io/docs/latest/commands/incrbyfloat/
 */
import { glibcSubnormal } from './numbers.js';

/** A finite long double, or an infinity. */
export interface LongDouble {
  neg: boolean;
  /** Significand: 0, or in [2^63, 2^64) (a subnormal's too, its value a whole number of 2^-16445). */
  mant: bigint;
  exp: number;
  inf: boolean;
}

const TWO63 = 1n << 63n;
const TWO64 = 1n << 64n;
/** Largest binary exponent of a normal long double (significand scaled to [1, 2)). */
const MAX_EXP = 16383;
/** Smallest binary exponent of a normal long double: below 2^-16382 the significand loses bits. */
const MIN_EXP = -16382;
/** The smallest subnormal long double is 2^-16445; every long double is a whole number of it. */
const SUBNORMAL_EXP = MIN_EXP - 63;
/** Longest input Redis accepts (`MAX_LONG_DOUBLE_CHARS`). */
const MAX_CHARS = 5 * 1024;

function bitLength(n: bigint): number {
  return n === 0n ? 0 : n.toString(2).length;
}

/**
 * Rounds `num / den × 2^exp2` to a long double, ties to even: to 64
 * significant bits, or below 2^-16382 to a whole number of 2^-16445 (0 when
 * at most half of it).
 */
function round(neg: boolean, num: bigint, den: bigint, exp2: number): LongDouble {
  if (num === 0n) return { neg, mant: 0n, exp: 0, inf: false };
  let e = bitLength(num) - bitLength(den) - 64;
  let q: bigint;
  let r: bigint;
  let d: bigint;
  for (;;) {
    const n = e < 0 ? num << BigInt(-e) : num;
    d = e > 0 ? den << BigInt(e) : den;
    q = n / d;
    r = n % d;
    if (q >= TWO64) e++;
    else if (q < TWO63) e--;
    else break;
  }
  if (e + exp2 < SUBNORMAL_EXP) return roundSubnormal(neg, num, den, exp2);
  const twice = r * 2n;
  if (twice > d || (twice === d && (q & 1n) === 1n)) {
    q++;
    if (q === TWO64) {
      q = TWO63;
      e++;
    }
  }
  const exp = e + exp2;
  if (exp + 63 > MAX_EXP) return { neg, mant: 0n, exp: 0, inf: true };
  return { neg, mant: q, exp, inf: false };
}

/** {@link round} below the normal range: `num / den × 2^exp2` to a whole number of 2^-16445. */
function roundSubnormal(neg: boolean, num: bigint, den: bigint, exp2: number): LongDouble {
  const k = exp2 - SUBNORMAL_EXP;
  const n = k > 0 ? num << BigInt(k) : num;
  const d = k < 0 ? den << BigInt(-k) : den;
  let q = n / d;
  const twice = (n % d) * 2n;
  if (twice > d || (twice === d && (q & 1n) === 1n)) q++;
  return subnormal(neg, q);
}

/** `units × 2^-16445` as a long double (units at most 2^63: a subnormal, the smallest normal or 0). */
function subnormal(neg: boolean, units: bigint): LongDouble {
  if (units === 0n) return { neg, mant: 0n, exp: 0, inf: false };
  const shift = 64 - bitLength(units);
  return { neg, mant: units << BigInt(shift), exp: SUBNORMAL_EXP - shift, inf: false };
}

/**
 * Parses text the way Redis's `string2ld` (util.c) accepts it: what `strtold`
 * reads whole (decimal, hexadecimal `0x1.8p3`, `inf`, `infinity`), with no
 * leading space, not NaN, no overflow, and no underflow to zero. `string2ld`
 * refuses an ERANGE result only when it is `HUGE_VAL` or zero, so a value
 * that rounds to a subnormal stands: `2e-4951` reads as 2^-16445, and
 * `1.8e-4951`, below half of it, is refused.
 *
 * Decimals are rounded correctly: glibc's `strtold` rounds a subnormal
 * otherwise only when the decimal ends exactly at its 16447th place, longer
 * than the 5 KiB Redis reads. Hexadecimal floats among the subnormals are
 * rounded as glibc rounds them (see {@link glibcSubnormal}):
 * `0x1.0000000000000001p-16446`, just above half of 2^-16445, is 0 and
 * refused.
 *
 * @returns the value, or null when Redis would reply `ERR value is not a valid float`
 */
export function parseLongDouble(text: string): LongDouble | null {
  if (text.length === 0 || text.length >= MAX_CHARS) return null;
  const inf = /^([+-]?)(inf|infinity)$/i.exec(text);
  if (inf) return { neg: inf[1] === '-', mant: 0n, exp: 0, inf: true };
  const hex = /^([+-]?)0x([0-9a-f]*)(?:\.([0-9a-f]*))?(?:p([+-]?[0-9]+))?$/i.exec(text);
  if (hex) {
    const whole = hex[2] ?? '';
    const frac = hex[3] ?? '';
    if (whole === '' && frac === '') return null;
    const neg = hex[1] === '-';
    const mant = BigInt('0x' + (whole + frac || '0'));
    const exp = Number(hex[4] ?? '0') - 4 * frac.length;
    if (mant !== 0n && bitLength(mant) - 1 + exp < MIN_EXP) {
      return checkRange(subnormal(neg, glibcSubnormal(mant, exp, 64, MIN_EXP)), true);
    }
    return checkRange(round(neg, mant, 1n, exp), mant !== 0n);
  }
  const dec = /^([+-]?)([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?$/.exec(text);
  if (!dec) return null;
  const whole = dec[2] ?? '';
  const frac = dec[3] ?? '';
  if (whole === '' && frac === '') return null;
  const digits = BigInt((whole + frac).replace(/^0+(?=.)/, '') || '0');
  const exp10 = Number(dec[4] ?? '0') - frac.length;
  if (!Number.isFinite(exp10) || Math.abs(exp10) > 100000) {
    return digits === 0n ? { neg: dec[1] === '-', mant: 0n, exp: 0, inf: false } : null;
  }
  const value =
    exp10 >= 0
      ? round(dec[1] === '-', digits * 10n ** BigInt(exp10), 1n, 0)
      : round(dec[1] === '-', digits, 10n ** BigInt(-exp10), 0);
  return checkRange(value, digits !== 0n);
}

/** `string2ld`'s range check: null for an overflow, or for a nonzero number read as 0 (both ERANGE). */
function checkRange(v: LongDouble, nonzero: boolean): LongDouble | null {
  if (v.inf) return null;
  if (nonzero && v.mant === 0n) return null;
  return v;
}

/** `a + b`, rounded once. An infinity in, or an overflow, gives an infinity. */
export function addLongDouble(a: LongDouble, b: LongDouble): LongDouble {
  if (a.inf || b.inf) return { neg: a.inf ? a.neg : b.neg, mant: 0n, exp: 0, inf: true };
  if (a.mant === 0n) return b;
  if (b.mant === 0n) return a;
  const e = Math.min(a.exp, b.exp);
  const av = (a.neg ? -a.mant : a.mant) << BigInt(a.exp - e);
  const bv = (b.neg ? -b.mant : b.mant) << BigInt(b.exp - e);
  const sum = av + bv;
  return round(sum < 0n, sum < 0n ? -sum : sum, 1n, e);
}

/**
 * Formats like Redis's `ld2string(..., LD_STR_HUMAN)`: `%.17Lf`, trailing
 * zeros and a trailing dot removed, `-0` written `0`.
 */
export function formatLongDouble(v: LongDouble): string {
  if (v.inf) return v.neg ? '-inf' : 'inf';
  const scale = 10n ** 17n;
  let q: bigint;
  if (v.exp >= 0) {
    q = (v.mant << BigInt(v.exp)) * scale;
  } else {
    const num = v.mant * scale;
    const den = 1n << BigInt(-v.exp);
    q = num / den;
    const twice = (num % den) * 2n;
    if (twice > den || (twice === den && (q & 1n) === 1n)) q++;
  }
  const s = q.toString().padStart(18, '0');
  let text = `${s.slice(0, -17)}.${s.slice(-17)}`.replace(/0+$/, '').replace(/\.$/, '');
  if (v.neg && text !== '0') text = '-' + text;
  return text;
}
