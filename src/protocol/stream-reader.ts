/**
 * Bytes received on an outgoing connection, read as lines (replies such as
 * `+OK`) or as counted bytes, waiting for more when they have not all
 * arrived: a replica reads its primary's handshake replies, snapshot and
 * record stream with it (src/replication/replica.ts), MIGRATE its target's
 * replies (src/commands/migrate.ts).
 */

/** The link closed while bytes were awaited. */
export class LinkClosedError extends Error {
  override readonly name = 'LinkClosedError';
}

/** A buffer filled by a socket's `data` events. */
export class StreamReader {
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  private waiter: (() => void) | null = null;
  private closed: string | null = null;
  /** Bytes received so far. */
  received = 0;
  /** Unix ms of the last bytes received. */
  lastIoMs = 0;

  /** Appends received bytes. */
  push(chunk: Buffer): void {
    this.received += chunk.length;
    this.lastIoMs = Date.now();
    this.buf = this.pos === this.buf.length ? chunk : Buffer.concat([this.buf.subarray(this.pos), chunk]);
    this.pos = 0;
    this.wake();
  }

  /** The connection ended: waiting reads fail with `why` (the first reason given). */
  close(why: string): void {
    this.closed ??= why;
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  /** Bytes received and not yet taken. */
  get length(): number {
    return this.buf.length - this.pos;
  }

  /**
   * Resolves once at least `n` bytes are buffered.
   *
   * @throws LinkClosedError when the connection ends first
   */
  async want(n: number): Promise<void> {
    while (this.length < n) {
      if (this.closed !== null) throw new LinkClosedError(this.closed);
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
  }

  /** The next `n` buffered bytes, left in place (the caller made sure they are there). */
  peek(n: number): Buffer {
    return this.buf.subarray(this.pos, this.pos + n);
  }

  /** Takes the next `n` buffered bytes (the caller made sure they are there). */
  take(n: number): Buffer {
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /**
   * Reads `n` bytes.
   *
   * @throws LinkClosedError when the connection ends first
   */
  async bytes(n: number): Promise<Buffer> {
    await this.want(n);
    return this.take(n);
  }

  /**
   * Reads one line, without its CRLF.
   *
   * @throws LinkClosedError when the connection ends first, Error for a line over 64 KiB
   */
  async line(): Promise<string> {
    for (;;) {
      const at = this.buf.indexOf('\r\n', this.pos);
      if (at >= 0) {
        const s = this.buf.toString('latin1', this.pos, at);
        this.pos = at + 2;
        return s;
      }
      if (this.length > 65536) throw new Error('reply line over 64 KiB');
      await this.want(this.length + 1);
    }
  }
}
