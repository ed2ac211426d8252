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

/** A finite long double, or an infinity. */
export interface LongDouble {
  neg: boolean;
  /** Significand: 0, or in [2^63, 2^64). */
  mant: bigint;
  exp: number;
  inf: boolean;
}

const TWO63 = 1n << 63n;
const TWO64 = 1n << 64n;
/** Largest binary exponent of a normal long double (significand scaled to [1, 2)). */
const MAX_EXP = 16383;
const MIN_EXP = -16382;
/** Longest input Redis accepts (`MAX_LONG_DOUBLE_CHARS`). */
const MAX_CHARS = 5 * 1024;

function bitLength(n: bigint): number {
  return n === 0n ? 0 : n.toString(2).length;
}

/** Rounds `num / den × 2^exp2` to a long double, ties to even. */
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

/**
 * Parses text the way Redis's `string2ld` accepts it: what `strtold` reads
 * whole (decimal, hexadecimal `0x1.8p3`, `inf`, `infinity`), with no leading
 * space, not NaN, and no overflow or underflow.
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
    const mant = BigInt('0x' + (whole + frac || '0'));
    const exp = Number(hex[4] ?? '0') - 4 * frac.length;
    return checkRange(round(hex[1] === '-', mant, 1n, exp));
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
  return checkRange(value);
}

function checkRange(v: LongDouble): LongDouble | null {
  if (v.inf) return null; // overflow: strtold returns HUGE_VAL with ERANGE
  if (v.mant !== 0n && v.exp + 63 < MIN_EXP - 63) return null; // underflow to zero
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
