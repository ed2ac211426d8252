/**
 * A minimal RESP client for tests that must see exact reply bytes, or send
 * bytes no client library would (malformed frames, split writes).
 */
import { connect, type Socket } from 'node:net';

/** Encodes a command as a RESP multibulk frame. */
export function encodeCommand(args: (string | Buffer)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = typeof a === 'string' ? Buffer.from(a) : a;
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

/**
 * Length of the first complete RESP2 or RESP3 reply in `buf` from `off`, or
 * -1 when incomplete. An attribute (`|`) counts with the reply it describes,
 * which follows it.
 *
 * Line types: `+` simple string, `-` error, `:` integer, `_` null, `#`
 * boolean, `,` double, `(` big number. Length-prefixed: `$` bulk string,
 * `=` verbatim string, `!` blob error. Aggregates of n elements: `*` array,
 * `~` set, `>` push; of n pairs: `%` map, `|` attribute.
 */
export function replyLength(buf: Buffer, off = 0): number {
  const nl = buf.indexOf('\r\n', off);
  if (nl < 0) return -1;
  const type = String.fromCharCode(buf[off]!);
  const head = nl + 2 - off;
  if ('+-:_#,('.includes(type)) return head;
  const n = Number(buf.subarray(off + 1, nl).toString());
  if (type === '$' || type === '=' || type === '!') {
    if (n < 0) return head;
    return buf.length >= nl + 2 + n + 2 ? head + n + 2 : -1;
  }
  if ('*~>%|'.includes(type)) {
    if (n < 0) return head;
    const count = type === '%' || type === '|' ? n * 2 : n;
    let pos = nl + 2;
    for (let i = 0; i < count; i++) {
      const len = replyLength(buf, pos);
      if (len < 0) return -1;
      pos += len;
    }
    if (type === '|') {
      const len = replyLength(buf, pos);
      if (len < 0) return -1;
      pos += len;
    }
    return pos - off;
  }
  throw new Error(`not a RESP reply: ${JSON.stringify(buf.subarray(off, off + 20).toString())}`);
}

/** A raw connection that reads whole replies. */
export class RawClient {
  private buf = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  /** True once the server closed the connection. */
  closed = false;

  private constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => {});
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Connects to `host`:`port` (127.0.0.1 unless told). */
  static connect(port: number, host = '127.0.0.1'): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = connect({ port, host }, () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  /** Writes raw bytes. */
  write(bytes: Buffer | string): void {
    this.socket.write(bytes);
  }

  /** Reads the next complete reply as a latin1 string; null if the connection closed first. */
  async read(timeoutMs = 10_000): Promise<string | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.buf.length > 0) {
        const len = replyLength(this.buf);
        if (len >= 0) {
          const out = this.buf.subarray(0, len).toString('latin1');
          this.buf = this.buf.subarray(len);
          return out;
        }
      }
      if (this.closed) return null;
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`no reply within ${timeoutMs} ms (buffered: ${JSON.stringify(this.buf.toString('latin1'))})`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  /** Sends one command and reads its reply. */
  async call(...args: (string | Buffer)[]): Promise<string | null> {
    this.write(encodeCommand(args));
    return this.read();
  }

  /** Sends one command without reading anything (its replies, or pushes, are read later). */
  send(...args: (string | Buffer)[]): void {
    this.write(encodeCommand(args));
  }

  /**
   * Reads the next `n` complete replies (pushes count as replies), each as a
   * latin1 string.
   *
   * @throws when the connection closes before `n` arrived, or `timeoutMs` passes
   */
  async readMany(n: number, timeoutMs = 10_000): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    const out: string[] = [];
    while (out.length < n) {
      const r = await this.read(Math.max(1, deadline - Date.now()));
      if (r === null) throw new Error(`connection closed after ${out.length} of ${n} replies`);
      out.push(r);
    }
    return out;
  }

  /** Sends one command and reads `n` replies: SUBSCRIBE a b c answers with three. */
  async callMany(n: number, ...args: (string | Buffer)[]): Promise<string[]> {
    this.send(...args);
    return this.readMany(n);
  }

  /** Bytes received and not yet read as replies. */
  get buffered(): number {
    return this.buf.length;
  }

  /** Waits until the server closes the connection. */
  async waitClosed(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error('connection still open');
      await new Promise<void>((r) => {
        const t = setTimeout(r, 50);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Whether something on loopback `port` answers PING with `+PONG` now (false while nothing listens). */
export async function answersPing(port: number): Promise<boolean> {
  try {
    const c = await RawClient.connect(port);
    const pong = await c.call('PING');
    c.close();
    return pong === '+PONG\r\n';
  } catch {
    return false;
  }
}
