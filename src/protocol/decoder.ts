/**
 * Incremental RESP2 request decoder.
 *
 * Accepts what Redis accepts on its query path (networking.c,
 * `processMultibulkBuffer` and `processInlineBuffer`):
 *
 * - multibulk: `*<count>\r\n` then `count` bulk strings `$<len>\r\n<bytes>\r\n`;
 * - inline: one line of space-separated arguments with Redis's quoting rules
 *   (`sdssplitargs`), ended by `\n` with an optional `\r`.
 *
 * Frames may be split across any chunk boundary. Arguments are views into the
 * received chunks, not copies: a command handler that keeps an argument must
 * copy it (the keyspace does, into the arena). A bulk string of at least
 * {@link BIG_ARG_BYTES} is assembled in a buffer of its own that doubles as
 * bytes arrive, so a large value costs few copies however many chunks it
 * arrives in, and a client that claims a large length but sends little holds
 * little memory.
 *
 * Malformed input throws {@link ProtocolError} with Redis's message; the
 * caller answers `-ERR Protocol error: ...` and closes the connection.
 */
import { ProtocolError } from './errors.js';

/** Limits on what one request may claim, checked before anything is buffered. */
export interface DecoderLimits {
  /** Largest bulk string, bytes (`proto-max-bulk-len`, 512 MiB by default). */
  maxBulkLen: number;
  /** Largest inline request or count line without a newline, bytes (64 KiB in Redis). */
  maxInlineLen: number;
  /** Largest multibulk argument count (`INT_MAX` in Redis 7.0's `processMultibulkBuffer`). */
  maxMultibulkLen: number;
}

/** Redis's defaults (`PROTO_INLINE_MAX_SIZE`, `proto-max-bulk-len`, `INT_MAX`). */
export const DEFAULT_LIMITS: Readonly<DecoderLimits> = {
  maxBulkLen: 512 * 1024 * 1024,
  maxInlineLen: 64 * 1024,
  maxMultibulkLen: 2 ** 31 - 1,
};

/** Arguments a multibulk frame's array starts with room for; it grows as they arrive (Redis: 1024). */
const ARGV_PREALLOC = 1024;

/** Bulk strings at least this long get a buffer of their own (Redis: `PROTO_MBULK_BIG_ARG`). */
export const BIG_ARG_BYTES = 32 * 1024;

const EMPTY = Buffer.alloc(0);
const NUL = 0;
const CR = 13;
const LF = 10;
const STAR = 42;
const DOLLAR = 36;

/**
 * Parses a decimal integer the way Redis's `string2ll` does: optional `-`,
 * no `+`, no spaces, no leading zeros. Returns `NaN` when the bytes are not
 * such an integer or the magnitude exceeds 2^53.
 *
 * @param buf bytes to read
 * @param start first byte (inclusive)
 * @param end last byte (exclusive)
 */
export function parseIntStrict(buf: Uint8Array, start: number, end: number): number {
  const len = end - start;
  if (len <= 0 || len > 17) return NaN;
  let i = start;
  let neg = false;
  if (buf[i] === 45 /* - */) {
    neg = true;
    i++;
    if (i === end) return NaN;
  }
  const first = buf[i]!;
  if (first === 48 /* 0 */) return len === 1 ? 0 : NaN;
  if (first < 49 || first > 57) return NaN;
  let n = 0;
  for (; i < end; i++) {
    const d = buf[i]! - 48;
    if (d < 0 || d > 9) return NaN;
    n = n * 10 + d;
  }
  return neg ? -n : n;
}

/**
 * Splits an inline request line into arguments, following Redis's
 * `sdssplitargs`: blanks separate arguments; `"..."` understands `\n \r \t \b \a
 * \\ \"` and `\xHH`; `'...'` understands `\'`; a closing quote must be followed
 * by a blank or the end of the line.
 *
 * @returns the arguments, or `null` when quotes are unbalanced
 */
export function splitInlineArgs(line: Buffer): Buffer[] | null {
  const args: Buffer[] = [];
  const n = line.length;
  let p = 0;
  const isBlank = (c: number | undefined): boolean =>
    c === 32 || c === 9 || c === 10 || c === 13 || c === 11 || c === 12;
  for (;;) {
    while (p < n && isBlank(line[p])) p++;
    if (p >= n || line[p] === 0) return args;
    const cur: number[] = [];
    let inDouble = false;
    let inSingle = false;
    let done = false;
    while (!done) {
      const c = p < n ? line[p]! : 0;
      if (inDouble) {
        if (c === 92 /* \ */ && line[p + 1] === 120 /* x */ && isHex(line[p + 2]) && isHex(line[p + 3])) {
          cur.push(hexValue(line[p + 2]!) * 16 + hexValue(line[p + 3]!));
          p += 3;
        } else if (c === 92 && p + 1 < n && line[p + 1] !== 0) {
          p++;
          const e = line[p]!;
          cur.push(e === 110 ? 10 : e === 114 ? 13 : e === 116 ? 9 : e === 98 ? 8 : e === 97 ? 7 : e);
        } else if (c === 34 /* " */) {
          const next = p + 1 < n ? line[p + 1]! : 0;
          if (next !== 0 && !isBlank(next)) return null;
          done = true;
        } else if (c === 0) {
          return null;
        } else {
          cur.push(c);
        }
      } else if (inSingle) {
        if (c === 92 && line[p + 1] === 39 /* ' */) {
          p++;
          cur.push(39);
        } else if (c === 39) {
          const next = p + 1 < n ? line[p + 1]! : 0;
          if (next !== 0 && !isBlank(next)) return null;
          done = true;
        } else if (c === 0) {
          return null;
        } else {
          cur.push(c);
        }
      } else if (c === 32 || c === 10 || c === 13 || c === 9 || c === 0) {
        done = true;
      } else if (c === 34) {
        inDouble = true;
      } else if (c === 39) {
        inSingle = true;
      } else {
        cur.push(c);
      }
      if (p < n && line[p] !== 0) p++;
    }
    args.push(Buffer.from(cur));
  }
}

/**
 * Parses a count line's number as Redis's `string2ll` does, over the whole
 * signed 64-bit range: like {@link parseIntStrict}, but up to 20 characters
 * (values past 2^53 are rounded, which only their sign and size matter for).
 *
 * @returns the value, or `NaN` when the bytes are not a 64-bit integer
 */
export function parseLongLong(buf: Uint8Array, start: number, end: number): number {
  const len = end - start;
  if (len <= 17) return parseIntStrict(buf, start, end);
  if (len > 20) return NaN;
  let i = start;
  if (buf[i] === 45 /* - */) i++;
  if (buf[i]! < 49 || buf[i]! > 57) return NaN;
  for (let j = i; j < end; j++) if (buf[j]! < 48 || buf[j]! > 57) return NaN;
  const v = BigInt(Buffer.from(buf.buffer, buf.byteOffset + start, len).toString('latin1'));
  return v > 9223372036854775807n || v < -9223372036854775808n ? NaN : Number(v);
}

/**
 * Where `byte` is in `buf` from `from`, as C's `strchr` on Redis's query
 * buffer finds it: -1 when absent or when a NUL byte comes first (the
 * string ends there for `strchr`, so Redis waits for more input).
 */
function findInLine(buf: Buffer, from: number, byte: number): number {
  const at = buf.indexOf(byte, from);
  if (at < 0) return -1;
  for (let i = from; i < at; i++) if (buf[i] === NUL) return -1;
  return at;
}

function isHex(c: number | undefined): boolean {
  return c !== undefined && ((c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102));
}

/**
 * Redis's reply to a bulk header that does not start with `$`: `%c` of the
 * byte, the message cut at a NUL and CR or LF shown as a space (networking.c
 * `addReplyErrorFormat` builds it with `sdscatvprintf` and `sdsmapchars`).
 */
function expectedDollar(b: number): string {
  if (b === NUL) return "expected '$', got '";
  const ch = b === CR || b === LF ? ' ' : String.fromCharCode(b);
  return `expected '$', got '${ch}'`;
}

function hexValue(c: number): number {
  if (c <= 57) return c - 48;
  if (c <= 70) return c - 55;
  return c - 87;
}

/**
 * One connection's request decoder. Feed it chunks with {@link push}, then
 * call {@link next} until it returns `null`.
 */
export class RespDecoder {
  private buf: Buffer = EMPTY;
  private pos = 0;
  /** Arguments of a multibulk frame still being read, or null between frames. */
  private argv: Buffer[] | null = null;
  private argc = 0;
  /** How many arguments the frame being read has. */
  private argsWanted = 0;
  /** Bytes of the arguments of the last frame read, or of the one being read (CLIENT LIST `argv-mem`). */
  private argvBytes = 0;
  /** Where the query buffer starts as Redis counts it: trimmed by {@link trim}, not by each command. */
  private base = 0;
  /** Length of the bulk string whose `$` line was read, or -1. */
  private bulkLen = -1;
  /** Buffer a big bulk string is being assembled in (it grows up to {@link bigLen}). */
  private big: Buffer | null = null;
  private bigFill = 0;
  /** Bytes the big bulk string needs, its CRLF included. */
  private bigLen = 0;

  /**
   * Set while the connection has not authenticated and a password is
   * required: a request may then have at most 10 arguments of at most
   * 16 KiB, as Redis limits unauthenticated clients (networking.c, after
   * CVE-2021-32675), so nobody without the password can make the server
   * buffer much.
   */
  preAuth = false;

  constructor(private readonly limits: DecoderLimits = DEFAULT_LIMITS) {}

  /** Bytes received and not yet consumed by a complete frame (the query buffer). */
  get bufferedBytes(): number {
    return this.buf.length - this.pos + (this.big ? this.bigFill : 0);
  }

  /**
   * The query buffer's length as redis-server reports it in CLIENT LIST
   * (`qbuf`, `sdslen(c->querybuf)`): while commands of one read run, it
   * still holds their bytes; {@link trim} drops the consumed ones, as
   * Redis trims after processing a read (networking.c `processInputBuffer`).
   */
  get queryBufferLength(): number {
    return this.buf.length - this.base + (this.big ? this.bigFill : 0);
  }

  /** Forgets the bytes of the commands already returned (after a read's commands ran). */
  trim(): void {
    this.base = this.pos;
  }

  /**
   * Bytes of the arguments of the command being read (a frame partly
   * received), or of the last one returned while it runs: Redis's
   * `argv_len_sum` (CLIENT LIST `argv-mem`). Inline commands count 0.
   */
  get argumentBytes(): number {
    return this.argvBytes;
  }

  /** Forgets the last command's arguments once it has run (Redis's `freeClientArgv`). */
  commandDone(): void {
    if (this.argv === null) this.argvBytes = 0;
  }

  /** Whether a frame is partly received. */
  get midFrame(): boolean {
    return this.argv !== null || this.pos < this.buf.length;
  }

  /** Appends received bytes. Does not parse; call {@link next}. */
  push(chunk: Buffer): void {
    if (this.big !== null) {
      const want = this.bigLen - this.bigFill;
      const n = Math.min(want, chunk.length);
      if (this.bigFill + n > this.big.length) {
        // Grow by doubling as bytes arrive: memory follows what the client
        // sent, not what it claimed.
        const grown = Buffer.allocUnsafeSlow(Math.min(this.bigLen, Math.max(this.big.length * 2, this.bigFill + n)));
        this.big.copy(grown, 0, 0, this.bigFill);
        this.big = grown;
      }
      chunk.copy(this.big, this.bigFill, 0, n);
      this.bigFill += n;
      if (n === chunk.length) return;
      chunk = chunk.subarray(n);
    }
    if (this.pos >= this.buf.length) {
      this.buf = chunk;
    } else {
      this.buf = Buffer.concat([this.buf.subarray(this.pos), chunk]);
    }
    this.pos = 0;
    this.base = 0;
  }

  /**
   * Returns the next complete command's arguments (at least one), or `null`
   * when more bytes are needed.
   *
   * @throws ProtocolError on malformed input; the decoder is then unusable
   */
  next(): Buffer[] | null {
    for (;;) {
      if (this.big !== null) {
        if (this.bigFill < this.bigLen) return null;
        this.argv![this.argc++] = this.big.subarray(0, this.bigLen - 2);
        this.argvBytes += this.bigLen - 2;
        this.big = null;
        this.bigFill = 0;
        this.bulkLen = -1;
      }
      if (this.argv === null) {
        if (this.pos >= this.buf.length) {
          this.buf = EMPTY;
          this.pos = 0;
          this.base = 0;
          return null;
        }
        if (this.buf[this.pos] !== STAR) {
          const inline = this.nextInline();
          if (inline === null) return null;
          if (inline.length === 0) continue;
          return inline;
        }
        const count = this.readCountLine(STAR);
        if (count === null) return null;
        if (count <= 0) continue;
        this.argv = new Array<Buffer>(Math.min(count, ARGV_PREALLOC));
        this.argsWanted = count;
        this.argc = 0;
        this.argvBytes = 0;
      }
      const argv = this.argv;
      const buf = this.buf;
      while (this.argc < this.argsWanted) {
        if (this.bulkLen < 0) {
          const len = this.readCountLine(DOLLAR);
          if (len === null) return null;
          this.bulkLen = len;
        }
        const len = this.bulkLen;
        const avail = buf.length - this.pos;
        if (avail < len + 2) {
          if (len >= BIG_ARG_BYTES) {
            this.bigLen = len + 2;
            this.big = Buffer.allocUnsafeSlow(Math.min(this.bigLen, Math.max(avail, BIG_ARG_BYTES) * 2));
            buf.copy(this.big, 0, this.pos);
            this.bigFill = avail;
            this.buf = EMPTY;
            this.pos = 0;
            this.base = 0;
          }
          return null;
        }
        argv[this.argc++] = buf.subarray(this.pos, this.pos + len);
        this.argvBytes += len;
        this.pos += len + 2;
        this.bulkLen = -1;
      }
      this.argv = null;
      return argv;
    }
  }

  /**
   * Reads `*<n>\r\n` or `$<n>\r\n` at the cursor, as Redis's
   * `processMultibulkBuffer` does: the line must be complete (its `\r` found
   * before any NUL byte, and one more byte after it) before it is judged; a
   * line longer than 64 KiB without one is refused. Returns null when the
   * line is incomplete.
   */
  private readCountLine(kind: number): number | null {
    const buf = this.buf;
    // Count lines are a few digits: a byte loop finds the CR sooner than a
    // call into indexOf, which is left for the long lines of hostile input.
    let cr = -1;
    const near = Math.min(buf.length, this.pos + 24);
    let i = this.pos;
    for (; i < near; i++) {
      const b = buf[i];
      if (b === CR) {
        cr = i;
        break;
      }
      if (b === NUL) break;
    }
    if (cr < 0 && i === near && near < buf.length) cr = findInLine(buf, near, CR);
    if (cr < 0) {
      if (buf.length - this.pos > this.limits.maxInlineLen) {
        throw new ProtocolError(kind === STAR ? 'too big mbulk count string' : 'too big bulk count string');
      }
      return null;
    }
    if (cr + 1 >= buf.length) return null;
    if (kind === STAR) {
      const n = parseLongLong(buf, this.pos + 1, cr);
      if (Number.isNaN(n) || n > this.limits.maxMultibulkLen) {
        throw new ProtocolError('invalid multibulk length');
      }
      if (n > 10 && this.preAuth) throw new ProtocolError('unauthenticated multibulk length');
      this.pos = cr + 2;
      return n;
    }
    if (buf[this.pos] !== DOLLAR) throw new ProtocolError(expectedDollar(buf[this.pos]!));
    const n = parseIntStrict(buf, this.pos + 1, cr);
    if (Number.isNaN(n) || n < 0 || n > this.limits.maxBulkLen) {
      throw new ProtocolError('invalid bulk length');
    } else if (n > 16384 && this.preAuth) {
      throw new ProtocolError('unauthenticated bulk length');
    }
    this.pos = cr + 2;
    return n;
  }

  /** Reads one inline request line; null when the line is incomplete. */
  private nextInline(): Buffer[] | null {
    const buf = this.buf;
    const lf = findInLine(buf, this.pos, LF);
    if (lf < 0) {
      if (buf.length - this.pos > this.limits.maxInlineLen) {
        throw new ProtocolError('too big inline request');
      }
      return null;
    }
    let end = lf;
    if (end > this.pos && buf[end - 1] === CR) end--;
    const line = buf.subarray(this.pos, end);
    this.pos = lf + 1;
    const args = splitInlineArgs(line);
    if (args === null) throw new ProtocolError('unbalanced quotes in request');
    let bytes = 0;
    for (const a of args) bytes += a.length;
    this.argvBytes = bytes;
    return args;
  }
}
