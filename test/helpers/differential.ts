/**
 * Differential testing against Debian's redis-server: a FlashCache server and
 * a redis-server started side by side with one raw RESP client each, the same
 * commands sent to both, and the replies compared byte for byte, after
 * sorting those whose order Redis leaves unspecified.
 */
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { cleanup, startServer, type ServerHandle } from './server.js';
import { startRedis, type RedisHandle } from './redis.js';
import { RawClient, replyLength } from './resp.js';

/** The two servers and a raw client connected to each. */
export interface Pair {
  fc: ServerHandle;
  redis: RedisHandle;
  /** Connected to FlashCache. */
  a: RawClient;
  /** Connected to redis-server. */
  b: RawClient;
}

/**
 * Registers `before` and `after` hooks in the calling test file that start
 * the pair (handing it to `onStart`, awaited: the root hooks of a file run
 * concurrently, so set-up that needs the pair belongs there) and stop both
 * servers at the end. `replace` tells it about a server or client a test put
 * in place of one.
 *
 * @param redisArgs redis-server's arguments (startRedis's defaults when omitted)
 */
export function serverPair(
  onStart: (pair: Pair) => unknown,
  redisArgs?: string[],
): { replace(parts: Partial<Pair>): void } {
  let pair: Pair;
  before(async () => {
    const [fc, redis] = await Promise.all([startServer(), startRedis(redisArgs)]);
    const [a, b] = await Promise.all([RawClient.connect(fc.port), RawClient.connect(redis.port)]);
    pair = { fc, redis, a, b };
    await onStart(pair);
  });
  after(async () => {
    pair.a.close();
    pair.b.close();
    await Promise.all([pair.fc.stop(), pair.redis.stop()]);
    cleanup(pair.fc.dir);
  });
  // A test that restarts a server or reconnects names the new ones, so that `after` stops those.
  return { replace: (parts) => Object.assign(pair, parts) };
}

/**
 * The raw elements of an aggregate reply: an array, or RESP3's set (`~`),
 * push (`>`) or map (`%`, whose n pairs are 2n elements, key then value);
 * null for any other reply (null arrays included).
 */
export function elements(reply: string): { head: string; items: string[] } | null {
  if (!'*~>%'.includes(reply[0]!) || reply.startsWith('*-1')) return null;
  const nl = reply.indexOf('\r\n');
  const n = Number(reply.slice(1, nl)) * (reply[0] === '%' ? 2 : 1);
  const buf = Buffer.from(reply, 'latin1');
  const items: string[] = [];
  let pos = nl + 2;
  for (let i = 0; i < n; i++) {
    const len = replyLength(buf, pos);
    items.push(buf.subarray(pos, pos + len).toString('latin1'));
    pos += len;
  }
  return { head: reply.slice(0, nl + 2), items };
}

/** Sorts the elements of an array or set reply; any other reply as it is. */
export function sortArray(reply: string): string {
  const e = elements(reply);
  return e === null ? reply : e.head + e.items.sort().join('');
}

/** Sorts a map reply, or an array reply of pairs (field and value, member and score), by pair. */
export function sortPairs(reply: string): string {
  const e = elements(reply);
  if (e === null) return reply;
  const pairs: string[] = [];
  for (let i = 0; i < e.items.length; i += 2) pairs.push(e.items[i]! + (e.items[i + 1] ?? ''));
  return e.head + pairs.sort().join('');
}

/** Applies `sort` to the inner array of a scan reply (cursor, array), or to the whole reply otherwise. */
export function orScan(sort: (reply: string) => string): (reply: string) => string {
  return (reply) => {
    const e = elements(reply);
    if (e !== null && e.items.length === 2 && e.items[0]!.startsWith('$') && e.items[1]!.startsWith('*')) {
      return e.head + e.items[0] + sort(e.items[1]!);
    }
    return sort(reply);
  };
}

/**
 * A reply's shape: its types and the sizes of its aggregates, without the
 * contents of its strings and numbers. Each scalar becomes its type prefix
 * (a verbatim string also keeps its format, `=txt`); each aggregate its
 * prefix and element count, then its elements' shapes; an attribute is kept
 * with the reply it describes. For replies whose values cannot be equal on
 * two servers (ids, addresses, clocks, statistics).
 */
export function shape(reply: string): string {
  const buf = Buffer.from(reply, 'latin1');
  let pos = 0;
  const one = (): string => {
    const nl = buf.indexOf('\r\n', pos);
    const type = String.fromCharCode(buf[pos]!);
    const line = buf.subarray(pos + 1, nl).toString('latin1');
    pos = nl + 2;
    if ('+-:_#,('.includes(type)) return type;
    const n = Number(line);
    if (type === '$' || type === '=' || type === '!') {
      if (n < 0) return `${type}-1`;
      const format = type === '=' ? buf.subarray(pos, pos + 3).toString('latin1') : '';
      pos += n + 2;
      return type + format;
    }
    if (n < 0) return `${type}-1`;
    const count = type === '%' || type === '|' ? 2 * n : n;
    let out = `${type}${n}[`;
    for (let i = 0; i < count; i++) out += (i > 0 ? ' ' : '') + one();
    out += ']';
    return type === '|' ? out + one() : out;
  };
  return one();
}

/** Normalizations chosen by a one-character prefix of the command name (`~SMEMBERS`). */
export type Normalizers = Record<string, (reply: string) => string>;

/** A command as one space-separated string, or as its arguments (binary ones included). */
export type Command = string | (string | Buffer)[];

/**
 * Sends one command to both servers and asserts the replies are equal, after
 * the normalization its prefix selects.
 *
 * @returns FlashCache's reply, normalized
 */
export async function sameReply(
  a: RawClient,
  b: RawClient,
  command: Command,
  normalizers: Normalizers = {},
): Promise<string> {
  let args = typeof command === 'string' ? command.split(' ') : command;
  let norm = (r: string): string => r;
  const first = args[0]!;
  if (typeof first === 'string' && normalizers[first[0]!]) {
    norm = normalizers[first[0]!]!;
    args = [first.slice(1), ...args.slice(1)];
  }
  const [ra, rb] = await Promise.all([a.call(...args), b.call(...args)]);
  const fa = norm(ra!);
  assert.equal(fa, norm(rb!), `reply to ${JSON.stringify(args.map(String))}`);
  return fa;
}

/** FLUSHALL on both servers, then {@link sameReply} for each command in turn. */
export async function sameReplies(
  a: RawClient,
  b: RawClient,
  commands: Command[],
  normalizers: Normalizers = {},
): Promise<void> {
  await Promise.all([a.call('FLUSHALL'), b.call('FLUSHALL')]);
  for (const command of commands) await sameReply(a, b, command, normalizers);
}

/**
 * {@link sameReplies} on `a` and `b` (RESP2), then again in RESP3 on fresh
 * connections to the two servers (`ports`: FlashCache's, redis-server's).
 */
export async function sameInBothProtocols(
  a: RawClient,
  b: RawClient,
  ports: readonly [number, number],
  commands: Command[],
  normalizers: Normalizers = {},
): Promise<void> {
  await sameReplies(a, b, commands, normalizers);
  const [a3, b3] = await Promise.all([RawClient.connect(ports[0]), RawClient.connect(ports[1])]);
  try {
    await Promise.all([a3.call('HELLO', '3'), b3.call('HELLO', '3')]);
    await sameReplies(a3, b3, commands, normalizers);
  } finally {
    a3.close();
    b3.close();
  }
}

/**
 * Keyspace events against redis-server: FLUSHALL, `notify-keyspace-events`
 * set to `classes` on both servers, a `__keyevent@0__:*` subscriber on
 * each, then {@link sameReply} for each command; the first `events`
 * messages each subscriber gets must be equal (and a PING still answers the
 * same). The setting is cleared afterwards.
 *
 * @param ports FlashCache's and redis-server's, for the subscribers
 * @returns FlashCache's messages, raw RESP
 */
export async function sameEvents(
  a: RawClient,
  b: RawClient,
  ports: readonly [number, number],
  classes: string,
  commands: Command[],
  events: number,
): Promise<string[]> {
  await Promise.all([a.call('FLUSHALL'), b.call('FLUSHALL')]);
  const subs = await Promise.all([RawClient.connect(ports[0]), RawClient.connect(ports[1])]);
  try {
    for (const r of [a, b]) await r.call('CONFIG', 'SET', 'notify-keyspace-events', classes);
    for (const s of subs) await s.call('PSUBSCRIBE', '__keyevent@0__:*');
    for (const c of commands) await sameReply(a, b, c);
    const [ea, eb] = await Promise.all(subs.map((s) => s.readMany(events, 5000)));
    assert.deepEqual(ea, eb);
    await sameReply(a, b, 'PING');
    return ea!;
  } finally {
    for (const r of [a, b]) await r.call('CONFIG', 'SET', 'notify-keyspace-events', '');
    for (const s of subs) s.close();
  }
}

/** A parsed RESP2 reply: strings, integers, null, arrays; errors as `{ err }`. */
export type Value = string | number | null | Value[] | { err: string };

/** Parses one RESP2 reply. */
export function parseReply(reply: string): Value {
  let pos = 0;
  const one = (): Value => {
    const nl = reply.indexOf('\r\n', pos);
    const type = reply[pos]!;
    const line = reply.slice(pos + 1, nl);
    pos = nl + 2;
    if (type === '+') return line;
    if (type === '-') return { err: line };
    if (type === ':') return Number(line);
    const n = Number(line);
    if (n < 0) return null;
    if (type === '$') {
      const s = reply.slice(pos, pos + n);
      pos += n + 2;
      return s;
    }
    const out: Value[] = [];
    for (let i = 0; i < n; i++) out.push(one());
    return out;
  };
  return one();
}

/** Sends a command and parses its reply. */
export async function callParsed(c: RawClient, ...args: (string | Buffer)[]): Promise<Value> {
  return parseReply((await c.call(...args))!);
}

/**
 * One raw connection to each of two servers, driven in step: every command
 * goes to both, and replies are read from both and compared byte for byte.
 * For conversations that span several connections (a subscriber and a
 * publisher) or that answer one command with several replies (SUBSCRIBE a b).
 */
export class Twin {
  private constructor(
    /** Connected to FlashCache. */
    readonly a: RawClient,
    /** Connected to redis-server. */
    readonly b: RawClient,
  ) {}

  /** Connects to FlashCache on `fcPort` and redis-server on `redisPort`. */
  static async open(fcPort: number, redisPort: number): Promise<Twin> {
    const [a, b] = await Promise.all([RawClient.connect(fcPort), RawClient.connect(redisPort)]);
    return new Twin(a, b);
  }

  /** Sends a command to both without reading. */
  send(...args: (string | Buffer)[]): void {
    this.a.send(...args);
    this.b.send(...args);
  }

  /**
   * Reads `n` replies (or pushes) from both and asserts they are equal, after
   * `norm` when given (for replies whose order Redis leaves unspecified).
   *
   * @returns FlashCache's replies, normalized
   */
  async read(n = 1, norm: (replies: string[]) => string[] = (r) => r, what = 'replies'): Promise<string[]> {
    const [ra, rb] = await Promise.all([this.a.readMany(n), this.b.readMany(n)]);
    const fa = norm(ra);
    assert.deepEqual(fa, norm(rb), what);
    return fa;
  }

  /** Sends a command and compares its one reply; returns FlashCache's. */
  async call(...args: (string | Buffer)[]): Promise<string> {
    this.send(...args);
    const [r] = await this.read(1, undefined, `reply to ${JSON.stringify(args.map(String))}`);
    return r!;
  }

  /** Sends a command and compares its `n` replies (SUBSCRIBE a b c: three). */
  async callMany(n: number, ...args: (string | Buffer)[]): Promise<string[]> {
    this.send(...args);
    return this.read(n, undefined, `replies to ${JSON.stringify(args.map(String))}`);
  }

  /** HELLO 3 on both: the replies differ in values (server, version, id), so only their shapes are compared. */
  async hello3(): Promise<void> {
    this.send('HELLO', '3');
    const [ra, rb] = await Promise.all([this.a.read(), this.b.read()]);
    assert.equal(shape(ra!), shape(rb!), 'HELLO 3');
  }

  /** Waits until both servers have closed the connection. */
  async waitClosed(): Promise<void> {
    await Promise.all([this.a.waitClosed(), this.b.waitClosed()]);
  }

  close(): void {
    this.a.close();
    this.b.close();
  }
}
