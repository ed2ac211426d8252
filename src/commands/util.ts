/**
 * Shared reply texts and argument parsers of the command families. Error
 * strings are Redis's own (server.c `createSharedObjects`, util.c), so
 * clients that match on them keep working.
 */
import { parseIntStrict } from '../protocol/decoder.js';
import type { CommandContext } from './context.js';

/** Redis's shared error replies, without the leading `-`. */
export const ERR = {
  wrongType: 'WRONGTYPE Operation against a key holding the wrong kind of value',
  syntax: 'ERR syntax error',
  notInteger: 'ERR value is not an integer or out of range',
  notFloat: 'ERR value is not a valid float',
  overflow: 'ERR increment or decrement would overflow',
  noSuchKey: 'ERR no such key',
  dbRange: 'ERR DB index is out of range',
  sameObject: 'ERR source and destination objects are the same',
  invalidCursor: 'ERR invalid cursor',
  stringTooLong: 'ERR string exceeds maximum allowed size (proto-max-bulk-len)',
} as const;

/** The `ERR invalid expire time in '<cmd>' command` reply. */
export function invalidExpire(cmd: string): string {
  return `ERR invalid expire time in '${cmd}' command`;
}

/** The largest signed 64-bit integer: Redis's `LLONG_MAX`, and `LONG_MAX` on 64-bit builds. */
export const INT64_MAX = 9223372036854775807n;
/** The smallest signed 64-bit integer (`LLONG_MIN`). */
export const INT64_MIN = -9223372036854775808n;

/**
 * Parses a signed 64-bit integer as Redis's `string2ll` does (no spaces, no
 * `+`, no leading zeros).
 *
 * @returns the value as a bigint, or null when the bytes are not one
 */
export function parseInt64(buf: Uint8Array): bigint | null {
  const n = buf.length;
  if (n === 0 || n > 20) return null;
  if (n <= 15) {
    const v = parseIntStrict(buf, 0, n);
    return Number.isNaN(v) ? null : BigInt(v);
  }
  let i = 0;
  if (buf[0] === 45) i = 1;
  if (i === n || buf[i]! < 49 || buf[i]! > 57) return null;
  for (let j = i; j < n; j++) if (buf[j]! < 48 || buf[j]! > 57) return null;
  const v = BigInt(Buffer.from(buf).toString('latin1'));
  return v > INT64_MAX || v < INT64_MIN ? null : v;
}

/**
 * Parses a signed 64-bit integer into a JS number (exact up to 2^53; larger
 * magnitudes are rounded, which callers only compare or clamp).
 *
 * @returns the value, or null when the bytes are not a 64-bit integer
 */
export function parseLong(buf: Uint8Array): number | null {
  if (buf.length <= 15) {
    const v = parseIntStrict(buf, 0, buf.length);
    return Number.isNaN(v) ? null : v;
  }
  const v = parseInt64(buf);
  return v === null ? null : Number(v);
}

/**
 * Parses an integer argument or replies `ERR value is not an integer or out of range`.
 *
 * @returns the value, or null after replying
 */
export function longOrReply(c: CommandContext, buf: Uint8Array, error: string = ERR.notInteger): number | null {
  const v = parseLong(buf);
  if (v === null) c.reply.error(error);
  return v;
}

/**
 * Parses a 64-bit integer argument that must lie in `min..max`, as Redis's
 * `getRangeLongFromObjectOrReply` (object.c). With `msg`, every failure
 * replies `ERR <msg>`; without, a non-integer replies `ERR value is not an
 * integer or out of range` and a value outside the range `ERR value is out
 * of range, value must between <min> and <max>` (Redis's wording).
 *
 * @returns the value, or null after replying
 */
export function rangeInt64OrReply(
  c: CommandContext,
  arg: Uint8Array,
  min: bigint,
  max: bigint,
  msg?: string,
): bigint | null {
  const v = parseInt64(arg);
  if (v === null) {
    c.reply.error(msg !== undefined ? `ERR ${msg}` : ERR.notInteger);
    return null;
  }
  if (v < min || v > max) {
    c.reply.error(msg !== undefined ? `ERR ${msg}` : `ERR value is out of range, value must between ${min} and ${max}`);
    return null;
  }
  return v;
}

/**
 * {@link rangeInt64OrReply} as a JS number (exact up to 2^53; larger
 * magnitudes are rounded, which callers only compare or clamp).
 *
 * @returns the value, or null after replying
 */
export function rangeLongOrReply(
  c: CommandContext,
  arg: Uint8Array,
  min: bigint,
  max: bigint,
  msg?: string,
): number | null {
  const v = rangeInt64OrReply(c, arg, min, max, msg);
  return v === null ? null : Number(v);
}

const POSITIVE = 'value is out of range, must be positive';

/**
 * Parses a count in `0..LONG_MAX`, as Redis's `getPositiveLongFromObjectOrReply`
 * (object.c): every failure replies `ERR <msg>`, by default `ERR value is out
 * of range, must be positive`.
 *
 * @returns the value, or null after replying
 */
export function positiveLongOrReply(c: CommandContext, arg: Uint8Array, msg = POSITIVE): number | null {
  return rangeLongOrReply(c, arg, 0n, INT64_MAX, msg);
}

/** Case-insensitive comparison of an argument with an ASCII keyword (given in upper case). */
export function isWord(arg: Uint8Array, upper: string): boolean {
  const n = upper.length;
  if (arg.length !== n) return false;
  for (let i = 0; i < n; i++) {
    const c = arg[i]!;
    if ((c >= 97 && c <= 122 ? c - 32 : c) !== upper.charCodeAt(i)) return false;
  }
  return true;
}

/** An argument as an upper-case ASCII string, for option parsing. */
export function word(arg: Uint8Array): string {
  return Buffer.from(arg.buffer, arg.byteOffset, arg.length).toString('latin1').toUpperCase();
}

/** Formats an integer number or bigint as decimal ASCII bytes. */
export function intBytes(n: number | bigint): Buffer {
  return Buffer.from(String(n), 'latin1');
}

/**
 * Replies a container command's HELP as Redis's `addReplyHelp`
 * (networking.c) does: an array of simple strings, a header naming the
 * command, the given lines, then `HELP` and `    Prints this help.`.
 *
 * @param name the container's name in upper case (`CONFIG`)
 * @param lines the subcommands and their descriptions, one simple string each
 */
export function replyHelp(c: CommandContext, name: string, lines: readonly string[]): void {
  c.reply.arrayLen(lines.length + 3);
  c.reply.simple(`${name} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:`);
  for (const l of lines) c.reply.simple(l);
  c.reply.simple('HELP');
  c.reply.simple('    Prints this help.');
}
