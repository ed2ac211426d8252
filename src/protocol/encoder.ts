/**
 * RESP2 and RESP3 reply encoder: small append helpers writing straight into one
 * connection's output buffer (the shape of redcon's `AppendBulk`/`AppendArray`
 * and Redis's `addReply*`). Nothing is sent here; the connection takes the
 * accumulated bytes once per event-loop turn.
 *
 * Reference: https://redis.io/docs/latest/develop/reference/protocol-spec/
 */

declare global {
  // Node's Buffer has had these fast, argument-checking-free writers since v0.x;
  // @types/node leaves them out. They skip `buf.write`'s encoding dispatch.
  interface Buffer {
    latin1Write(s: string, offset?: number, length?: number): number;
    utf8Write(s: string, offset?: number, length?: number): number;
    latin1Slice(start?: number, end?: number): string;
  }
}

const CHUNK_BYTES = 16 * 1024;
/** Bulk payloads at least this long are copied into a part of their own instead of the shared chunk. */
const LARGE_BULK_BYTES = 16 * 1024;

const CRLF = Buffer.from('\r\n');

/** Precomputed replies: sent often enough that building them each time shows in profiles. */
export const SHARED = {
  ok: Buffer.from('+OK\r\n'),
  pong: Buffer.from('+PONG\r\n'),
  queued: Buffer.from('+QUEUED\r\n'),
  nullBulk: Buffer.from('$-1\r\n'),
  nullArray: Buffer.from('*-1\r\n'),
  emptyArray: Buffer.from('*0\r\n'),
  emptyBulk: Buffer.from('$0\r\n\r\n'),
  zero: Buffer.from(':0\r\n'),
  one: Buffer.from(':1\r\n'),
  minusOne: Buffer.from(':-1\r\n'),
  minusTwo: Buffer.from(':-2\r\n'),
  /** RESP3's null, for both null bulks and null arrays. */
  null3: Buffer.from('_\r\n'),
  true3: Buffer.from('#t\r\n'),
  false3: Buffer.from('#f\r\n'),
} as const;

/**
 * A growable output buffer of RESP replies for one connection.
 *
 * Bytes appended since the last {@link take} form the next piece to send.
 * A taken piece is never written to again, so it can be handed to
 * `socket.write` without a copy.
 */
export class ReplyBuffer {
  /**
   * The protocol replies are encoded in: 2 (RESP2, every connection's start)
   * or 3 (after `HELLO 3`). The typed helpers below ({@link mapLen},
   * {@link setLen}, {@link double}...) write RESP3's types in 3 and their RESP2
   * forms in 2, as Redis's `addReplyMapLen`, `addReplySetLen`,
   * `addReplyDouble` do (networking.c).
   */
  resp: 2 | 3 = 2;
  private buf: Buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  private start = 0;
  private len = 0;
  /** The last error reply appended, without its `-` (replay checks it). */
  lastError = '';
  /** Error replies appended so far. */
  errors = 0;
  /** Completed pieces not yet taken (chunk overflow, large bulks). */
  private parts: Buffer[] = [];
  private partsBytes = 0;
  /** Pending byte ranges written with {@link kept}, as from/to pairs; null when none. */
  private keptRanges: number[] | null = null;

  /** Bytes appended and not yet taken. */
  get pendingBytes(): number {
    return this.partsBytes + this.len - this.start;
  }

  /** Takes every byte appended since the last call, or null if there is none. */
  take(): Buffer | Buffer[] | null {
    this.keptRanges = null;
    const tail = this.len > this.start ? this.buf.subarray(this.start, this.len) : null;
    this.start = this.len;
    if (this.parts.length === 0) return tail;
    const parts = this.parts;
    if (tail !== null) parts.push(tail);
    this.parts = [];
    this.partsBytes = 0;
    return parts;
  }

  /** Size of the chunk replies are built in, bytes (CLIENT LIST `rbs`). */
  get chunkBytes(): number {
    return this.buf.length;
  }

  /**
   * Appends, with `write`, a message that {@link dropSince} keeps: a push
   * that is sent even when the command's reply is not (a pub/sub
   * confirmation under CLIENT REPLY OFF: Redis's `CLIENT_PUSHING`).
   */
  kept(write: () => void): void {
    const from = this.pendingBytes;
    write();
    (this.keptRanges ??= []).push(from, this.pendingBytes);
  }

  /** The pending bytes from `from` to `to` (offsets into what {@link take} would return), copied. */
  private pendingSlice(from: number, to: number): Buffer {
    const out = Buffer.allocUnsafe(to - from);
    let pos = 0;
    let filled = 0;
    const tail = this.buf.subarray(this.start, this.len);
    for (const piece of [...this.parts, tail]) {
      const a = Math.max(from, pos);
      const b = Math.min(to, pos + piece.length);
      if (a < b) filled += piece.copy(out, filled, a - pos, b - pos);
      pos += piece.length;
    }
    return out;
  }

  /**
   * Drops the bytes appended since {@link pendingBytes} was `mark`, keeping
   * those before (CLIENT REPLY OFF and SKIP: a command's reply is not sent,
   * the earlier ones of the same read are) and the messages written with
   * {@link kept}, which are moved up in their order.
   */
  dropSince(mark: number): void {
    const keep: Buffer[] = [];
    const ranges = this.keptRanges;
    if (ranges !== null) {
      for (let i = 0; i < ranges.length; i += 2) {
        if (ranges[i]! >= mark) keep.push(this.pendingSlice(ranges[i]!, ranges[i + 1]!));
      }
      this.keptRanges = null;
    }
    this.dropTail(this.pendingBytes - mark);
    for (const b of keep) this.raw(b);
  }

  private dropTail(bytes: number): void {
    let drop = bytes;
    if (drop <= 0) return;
    const tail = this.len - this.start;
    if (drop <= tail) {
      this.len -= drop;
      return;
    }
    drop -= tail;
    this.len = this.start;
    while (drop > 0) {
      const last = this.parts.pop()!;
      this.partsBytes -= last.length;
      if (last.length > drop) {
        const keep = last.subarray(0, last.length - drop);
        this.parts.push(keep);
        this.partsBytes += keep.length;
        drop = 0;
      } else {
        drop -= last.length;
      }
    }
  }

  /** Drops everything not yet taken (used when replies are discarded, as in WAL replay). */
  discard(): void {
    this.keptRanges = null;
    this.start = this.len;
    this.parts = [];
    this.partsBytes = 0;
  }

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    if (this.len > this.start) {
      const piece = this.buf.subarray(this.start, this.len);
      this.parts.push(piece);
      this.partsBytes += piece.length;
    }
    this.buf = Buffer.allocUnsafe(Math.max(CHUNK_BYTES, n));
    this.start = 0;
    this.len = 0;
  }

  /** Appends preencoded RESP bytes (one of {@link SHARED}, for instance). */
  raw(bytes: Buffer): void {
    this.reserve(bytes.length);
    this.len += bytes.copy(this.buf, this.len);
  }

  private ascii(s: string): void {
    this.len += this.buf.latin1Write(s, this.len);
  }

  /** `+OK` */
  ok(): void {
    this.raw(SHARED.ok);
  }

  /** A simple string `+<s>`; `s` must not contain CR or LF. */
  simple(s: string): void {
    this.reserve(s.length * 3 + 3);
    this.buf[this.len++] = 43; // +
    this.len += this.buf.utf8Write(s, this.len);
    this.crlf();
  }

  /**
   * An error reply `-<message>`. The message starts with the error code
   * (`ERR`, `WRONGTYPE`, ...); CR and LF are replaced by spaces, as Redis does.
   */
  error(message: string): void {
    const clean = message.replace(/[\r\n]+/g, ' ');
    this.errors++;
    this.lastError = clean;
    this.reserve(clean.length * 3 + 3);
    this.buf[this.len++] = 45; // -
    this.len += this.buf.utf8Write(clean, this.len);
    this.crlf();
  }

  /** An integer `:<n>`; `n` is an integer number or a bigint. */
  int(n: number | bigint): void {
    if (n === 0) return this.raw(SHARED.zero);
    if (n === 1) return this.raw(SHARED.one);
    const s = String(n);
    this.reserve(s.length + 3);
    this.buf[this.len++] = 58; // :
    this.ascii(s);
    this.crlf();
  }

  /** A bulk string `$<len>\r\n<bytes>\r\n`, copied from `value`. */
  bulk(value: Uint8Array): void {
    const n = value.length;
    if (n >= LARGE_BULK_BYTES) {
      this.header(36, n);
      this.reserve(0);
      if (this.len > this.start) {
        const piece = this.buf.subarray(this.start, this.len);
        this.parts.push(piece);
        this.partsBytes += piece.length;
        this.start = this.len;
      }
      const copy = Buffer.allocUnsafeSlow(n);
      copy.set(value);
      this.parts.push(copy);
      this.partsBytes += n;
      this.raw(CRLF);
      return;
    }
    this.reserve(n + 16);
    this.buf[this.len++] = 36; // $
    this.ascii(String(n));
    this.crlf();
    this.buf.set(value, this.len);
    this.len += n;
    this.crlf();
  }

  /** A bulk string holding the UTF-8 encoding of `s`. */
  bulkString(s: string): void {
    this.bulk(Buffer.from(s, 'utf8'));
  }

  /** The null bulk string `$-1` (RESP3: the null `_`; Redis's `addReplyNull`). */
  nullBulk(): void {
    this.raw(this.resp === 3 ? SHARED.null3 : SHARED.nullBulk);
  }

  /** The null array `*-1` (RESP3: the null `_`; Redis's `addReplyNullArray`). */
  nullArray(): void {
    this.raw(this.resp === 3 ? SHARED.null3 : SHARED.nullArray);
  }

  /** A map header `%<n>` of `n` key-value pairs (RESP2: an array of 2n elements); the caller appends them. */
  mapLen(n: number): void {
    if (this.resp === 3) this.header(37, n);
    else this.arrayLen(n * 2);
  }

  /** A set header `~<n>` (RESP2: an array); the caller appends the `n` elements. */
  setLen(n: number): void {
    if (this.resp === 3) this.header(126, n);
    else this.arrayLen(n);
  }

  /**
   * A push header `><n>` (RESP2: an array): an out-of-band message such as a
   * pub/sub message or an invalidation; the caller appends the `n` elements.
   */
  pushLen(n: number): void {
    if (this.resp === 3) this.header(62, n);
    else this.arrayLen(n);
  }

  /**
   * An attribute header `|<n>` of `n` key-value pairs that describe the
   * reply following them. RESP3 only: in RESP2 nothing is written and the
   * caller must not append the pairs.
   *
   * @returns whether the header was written
   */
  attributeLen(n: number): boolean {
    if (this.resp !== 3) return false;
    this.header(124, n);
    return true;
  }

  /** A boolean `#t` / `#f` (RESP2: the integers 1 and 0; Redis's `addReplyBool`). */
  bool(b: boolean): void {
    if (this.resp === 3) this.raw(b ? SHARED.true3 : SHARED.false3);
    else this.raw(b ? SHARED.one : SHARED.zero);
  }

  /**
   * A double `,<text>` (RESP2: a bulk string), given as Redis prints it
   * (`%.17g`, `inf`, `-inf`; src/commands/numbers.ts formats it).
   */
  double(text: string): void {
    if (this.resp !== 3) return this.bulkAscii(text);
    this.reserve(text.length + 3);
    this.buf[this.len++] = 44; // ,
    this.ascii(text);
    this.crlf();
  }

  /** A big number `(<digits>` (RESP2: a bulk string). */
  bigNumber(digits: string): void {
    if (this.resp !== 3) return this.bulkAscii(digits);
    this.reserve(digits.length + 3);
    this.buf[this.len++] = 40; // (
    this.ascii(digits);
    this.crlf();
  }

  /**
   * A verbatim string `=<len>\r\n<format>:<text>` (RESP2: a bulk string of the
   * text), as Redis's `addReplyVerbatim` sends INFO and CLIENT LIST.
   *
   * @param format three characters: `txt` or `mkd`
   */
  verbatim(text: string, format = 'txt'): void {
    if (this.resp !== 3) return this.bulkString(text);
    const body = Buffer.from(`${format}:${text}`, 'utf8');
    this.header(61, body.length);
    this.reserve(body.length + 2);
    this.len += body.copy(this.buf, this.len);
    this.crlf();
  }

  /** An array header `*<n>`; the caller appends the `n` elements. */
  arrayLen(n: number): void {
    if (n === 0) return this.raw(SHARED.emptyArray);
    this.header(42, n);
  }

  /** An array of bulk strings; `null` elements become null bulks. */
  bulkArray(items: ReadonlyArray<Uint8Array | null>): void {
    this.arrayLen(items.length);
    for (const item of items) {
      if (item === null) this.nullBulk();
      else this.bulk(item);
    }
  }

  /** A bulk string holding the decimal form of a float, or a verbatim decimal string. */
  bulkAscii(s: string): void {
    this.reserve(s.length + 16);
    this.buf[this.len++] = 36;
    this.ascii(String(s.length));
    this.crlf();
    this.ascii(s);
    this.crlf();
  }

  /** A bulk string holding the bytes of a latin1 string (one character per byte: collection elements). */
  bulkLatin1(s: string): void {
    this.bulkAscii(s);
  }

  private header(prefix: number, n: number): void {
    this.reserve(24);
    this.buf[this.len++] = prefix;
    this.ascii(String(n));
    this.crlf();
  }

  private crlf(): void {
    this.buf[this.len++] = 13;
    this.buf[this.len++] = 10;
  }
}

/**
 * Encodes a request, a command and its arguments, as a RESP array of bulk
 * strings (numbers as their decimal text): what a client sends. A replica
 * sends its handshake and ACKs with it, MIGRATE its RESTOREs.
 */
export function encodeRequest(args: readonly (string | number | Uint8Array)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = typeof a === 'string' || typeof a === 'number' ? Buffer.from(String(a)) : Buffer.from(a);
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}
