/**
 * Transactions against redis-server, byte for byte: MULTI, EXEC, DISCARD,
 * WATCH and UNWATCH after Redis 7.0.15's tests/unit/multi.tcl, on raw RESP2
 * connections and on RESP3 ones (after `HELLO 3`). Each server gets three
 * connections: the one running the transaction, a second one that changes
 * watched keys or blocks, and a RESP3 one.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { RawClient, encodeCommand } from '../helpers/resp.js';
import { sameReply, serverPair, sortArray, type Command, type Pair } from '../helpers/differential.js';
import { waitFor } from '../helpers/server.js';

let pair: Pair;
/** The transaction's connection to FlashCache and to redis-server. */
let a: RawClient;
let b: RawClient;
/** A second connection to each. */
let a2: RawClient;
let b2: RawClient;
/** A RESP3 connection to each. */
let a3: RawClient;
let b3: RawClient;

serverPair(async (p) => {
  pair = p;
  ({ a, b } = p);
  [a2, b2, a3, b3] = await Promise.all([
    RawClient.connect(p.fc.port),
    RawClient.connect(p.redis.port),
    RawClient.connect(p.fc.port),
    RawClient.connect(p.redis.port),
  ]);
  // The HELLO replies name different servers: only the protocol switch is checked.
  for (const c of [a3, b3]) assert.match(String(await c.call('HELLO', '3')), /^%\d+\r\n/);
});

after(() => {
  for (const c of [a2, b2, a3, b3]) c?.close();
});

/**
 * One step of a scenario, on the transaction's connection unless prefixed:
 * `2> cmd` runs on the second connection, `3> cmd` on the RESP3 one,
 * `2>> cmd` sends on the second connection without reading (a blocking
 * command), `2<` reads and compares the reply it owes; `~cmd` sorts an array
 * reply before comparing.
 */
type Step = Command;

const CONNECTIONS: Record<string, () => [RawClient, RawClient]> = {
  '1': () => [a, b],
  '2': () => [a2, b2],
  '3': () => [a3, b3],
};

/** Runs each step on both servers, comparing their replies; returns FlashCache's. */
async function steps(list: Step[]): Promise<string[]> {
  const out: string[] = [];
  for (const step of list) {
    let conn = '1';
    let cmd: Command = step;
    let mode: 'call' | 'send' | 'read' = 'call';
    if (typeof step === 'string') {
      const m = /^([123])(>>|>|<) ?(.*)$/.exec(step);
      if (m) {
        conn = m[1]!;
        mode = m[2] === '>>' ? 'send' : m[2] === '<' ? 'read' : 'call';
        cmd = m[3]!;
      }
    }
    const [x, y] = CONNECTIONS[conn]!();
    const args = typeof cmd === 'string' ? cmd.split(' ') : cmd;
    if (mode === 'send') {
      x.write(encodeCommand(args));
      y.write(encodeCommand(args));
      continue;
    }
    if (mode === 'read') {
      const [rx, ry] = await Promise.all([x.read(), y.read()]);
      assert.equal(rx, ry, `the reply connection ${conn} was owed`);
      out.push(rx!);
      continue;
    }
    out.push(await sameReply(x, y, cmd, { '~': sortArray }));
  }
  return out;
}

/** FLUSHALL and SELECT 0 on every connection, then {@link steps}. */
async function same(list: Step[]): Promise<string[]> {
  for (const c of [a, b, a2, b2, a3, b3]) {
    // A scenario that failed half-way may have left a connection in MULTI.
    await c.call('DISCARD');
    await c.call('UNWATCH');
    await c.call('SELECT', '0');
  }
  await Promise.all([a.call('FLUSHALL'), b.call('FLUSHALL')]);
  return steps(list);
}

/** A server's `blocked_clients`. */
async function blocked(c: RawClient): Promise<number> {
  const info = String(await c.call('INFO', 'clients'));
  return Number(/blocked_clients:(\d+)/.exec(info)?.[1]);
}

/** Waits until both servers have `n` clients blocked (asked on the RESP3 connections, which are never busy). */
async function blockedOnBoth(n: number): Promise<void> {
  await waitFor(async () => (await blocked(a3)) === n && (await blocked(b3)) === n, 5000, `${n} blocked clients`);
}

/** Waits until `key` has expired on both servers (PTTL answers -2; asked on the RESP3 connections). */
async function expiredOnBoth(key: string, db = '0'): Promise<void> {
  for (const c of [a3, b3]) await c.call('SELECT', db);
  await waitFor(
    async () => (await a3.call('PTTL', key)) === ':-2\r\n' && (await b3.call('PTTL', key)) === ':-2\r\n',
    5000,
    `${key} to expire`,
  );
  for (const c of [a3, b3]) await c.call('SELECT', '0');
}

/**
 * Runs `set` (a SET with a short PX), then WATCH `key`, and checks with PTTL
 * on both servers that the key was still alive when watched; tries again
 * (a slow machine) when it was not.
 */
async function watchAlive(set: string, key: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    await same([set, `WATCH ${key}`]);
    const ttls = await Promise.all([a.call('PTTL', key), b.call('PTTL', key)]);
    if (ttls.every((t) => /^:[1-9]/.test(String(t)))) return;
    assert.ok(attempt < 5, `${key} expired before WATCH five times`);
  }
}

const EXEC_NULL = '*-1\r\n';

/**
 * Runs `check` for every case and fails once at the end, listing every case
 * that failed with its message (one mismatch does not hide the others).
 */
async function everyCase<T>(cases: T[], label: (c: T) => string, check: (c: T) => Promise<void>): Promise<void> {
  const failed: string[] = [];
  for (const c of cases) {
    try {
      await check(c);
    } catch (err) {
      failed.push(`${label(c)}: ${(err as Error).message.replace(/\s+/g, ' ')}`);
    }
  }
  assert.deepEqual(failed, [], `${failed.length} of ${cases.length} cases differ`);
}

test('MULTI / EXEC basics: QUEUED replies, the replies as one array, an empty transaction', async () => {
  const r = await same([
    'RPUSH mylist a b c',
    'MULTI',
    'LRANGE mylist 0 -1',
    'PING',
    'EXEC',
    'MULTI',
    'EXEC',
    'MULTI',
    'SET k v',
    'GET k',
    'INCR n',
    'INCRBY n 10',
    'APPEND k 2',
    'DEL k nosuch',
    'EXEC',
    'MGET k n',
  ]);
  assert.equal(r[4], '*2\r\n*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n+PONG\r\n');
  assert.equal(r[6], '*0\r\n');
});

test('DISCARD drops the queue; EXEC and DISCARD without MULTI are errors', async () => {
  await same([
    'RPUSH mylist a b c',
    'MULTI',
    'DEL mylist',
    'DISCARD',
    'LRANGE mylist 0 -1',
    'EXEC',
    'DISCARD',
    'MULTI',
    'DISCARD',
    'DISCARD',
    'PING',
  ]);
});

test('MULTI where commands alter argc/argv (SPOP logged as SREM)', async () => {
  await same(['SADD myset a', 'MULTI', 'SPOP myset', 'EXEC', 'EXISTS myset']);
});

test('a command failing at run time does not stop the others', async () => {
  const r = await same([
    'SET s text',
    'RPUSH l x',
    'MULTI',
    'INCR s',
    'LPUSH s x',
    'SET a 1',
    'HSET l f v',
    'INCRBYFLOAT a abc',
    'LPOP l',
    'GET l',
    'SET b 2',
    'EXEC',
    'MGET s a b',
    'TYPE l',
  ]);
  assert.match(r[11]!, /^\*8\r\n-ERR value is not an integer/);
});

test('errors while queueing abort EXEC with EXECABORT and nothing runs', async () => {
  await same([
    'MULTI',
    'SET foo1 bar1',
    'NON-EXISTING-COMMAND',
    'SET foo2 bar2',
    'EXEC',
    'EXISTS foo1 foo2',
    'PING',
    'MULTI',
    'SET foo1 bar1',
    'GET',
    'SET foo2',
    'EXEC',
    'EXISTS foo1 foo2',
    'MULTI',
    'SET foo1 bar1',
    'OBJECT NOSUCH x',
    'EXEC',
    'EXISTS foo1',
    'MULTI',
    'SET foo1 bar1',
    'CONFIG',
    'EXEC',
    'EXISTS foo1',
    // Wrong arities of the commands that run at once inside MULTI.
    'MULTI',
    'SET foo1 bar1',
    'EXEC foo',
    'EXEC',
    'MULTI',
    'SET foo1 bar1',
    'DISCARD foo',
    'EXEC',
    'MULTI',
    'WATCH',
    'SET foo1 bar1',
    'EXEC',
    'MULTI',
    'MULTI foo',
    'SET foo1 bar1',
    'EXEC',
    'EXISTS foo1',
  ]);
});

test('commands queued inside MULTI run in EXEC: UNWATCH, SELECT out of range, AUTH, CLIENT, FLUSHALL', async () => {
  const r = await same([
    'SET k 1',
    'MULTI',
    'UNWATCH',
    'SELECT 99',
    'AUTH x',
    'CLIENT SETNAME tx',
    'CLIENT GETNAME',
    'DBSIZE',
    'FLUSHALL',
    'DBSIZE',
    'SET z 1',
    'EXEC',
    'CLIENT SETNAME',
    'KEYS *',
  ]);
  assert.match(r[11]!, /^\*9\r\n\+OK\r\n-ERR DB index is out of range\r\n/);
});

test('BGSAVE inside MULTI is scheduled for after the transaction', async () => {
  const r = await same(['MULTI', 'BGSAVE', 'EXEC']);
  assert.equal(r[2], '*1\r\n+Background saving scheduled\r\n');
});

test('MULTI nested and WATCH inside MULTI are errors that do not abort the transaction', async () => {
  await same(['MULTI', 'SET x 1', 'MULTI', 'WATCH x', 'SET y 2', 'EXEC', 'MGET x y']);
});

test('SAVE and SHUTDOWN inside MULTI: not allowed inside a transaction, EXEC aborts', async () => {
  for (const cmd of ['SAVE', 'SHUTDOWN', 'SHUTDOWN NOSAVE']) {
    const r = await same(['MULTI', 'SET foo bar', cmd, 'EXEC', 'GET foo']);
    assert.equal(r[2], '-ERR Command not allowed inside a transaction\r\n', cmd);
    assert.match(r[3]!, /^-EXECABORT/, cmd);
  }
});

test('QUIT inside MULTI answers OK and closes the connection; its queue is gone with it', async () => {
  await same([]);
  const [x, y] = await Promise.all([RawClient.connect(pair.fc.port), RawClient.connect(pair.redis.port)]);
  try {
    for (const cmd of ['MULTI', 'SET gone 1', 'QUIT'])
      assert.equal(await x.call(...cmd.split(' ')), await y.call(...cmd.split(' ')));
    await Promise.all([x.waitClosed(), y.waitClosed()]);
  } finally {
    x.close();
    y.close();
  }
  await steps(['EXISTS gone']);
});

test('SELECT inside MULTI: later commands run in the selected database, which the connection keeps', async () => {
  await same([
    'SET k db0',
    'MULTI',
    'SELECT 1',
    'SET k db1',
    'SELECT 2',
    'SET k db2',
    'INCR k',
    'SELECT 99',
    'GET k',
    'EXEC',
    'GET k',
    'SELECT 1',
    'GET k',
    'SELECT 0',
    'GET k',
  ]);
});

test('WATCH: EXEC runs when no watched key changed, and fails with a null array when one did', async () => {
  await same([
    'WATCH x y z',
    'WATCH k',
    'MULTI',
    'PING',
    'EXEC',
    'SET x 30',
    'WATCH x',
    '2> SET x 40',
    'MULTI',
    'PING',
    'EXEC',
    'GET x',
    'SET x 30',
    'WATCH a b x k z',
    '2> SET x 40',
    'MULTI',
    'SET y never',
    'EXEC',
    'EXISTS y',
    // The client's own change to a key it watches counts too.
    'WATCH x',
    'SET x 50',
    'MULTI',
    'PING',
    'EXEC',
  ]);
});

test('after EXEC, successful or failed, keys are no longer watched; UNWATCH forgets them', async () => {
  await same([
    'SET x 30',
    'WATCH x',
    'MULTI',
    'PING',
    'EXEC',
    '2> SET x 40',
    'MULTI',
    'PING',
    'EXEC',
    'WATCH x',
    '2> SET x 41',
    'MULTI',
    'PING',
    'EXEC',
    '2> SET x 42',
    'MULTI',
    'PING',
    'EXEC',
    'WATCH x',
    '2> SET x 43',
    'UNWATCH',
    'MULTI',
    'PING',
    'EXEC',
    'UNWATCH',
  ]);
});

/** A change by the second connection to a key the first one watches: whether EXEC then fails. */
interface WatchCase {
  setup: string;
  key: string;
  change: string;
  touches: boolean;
}

/** Strings: x = 30 and y = 10 exist, x is watched. */
const STRING_CASES: WatchCase[] = [
  ...[
    'EXPIRE x 100',
    'PEXPIRE x 100000',
    'EXPIREAT x 99999999999',
    'PEXPIRE x -1 NX',
    'DEL x',
    'UNLINK x',
    'GETDEL x',
    'RENAME x y',
    'RENAME y x',
    'MOVE x 1',
    'SET x 30',
    'INCRBY x 0',
    'APPEND x 1',
    'APPEND x ',
    'GETEX x EX 100',
    'SETRANGE x 0 3',
    'COPY y x REPLACE',
    'MSET x 1',
    'FLUSHDB',
    'FLUSHALL',
  ].map((change) => ({ setup: 'MSET x 30 y 10', key: 'x', change, touches: true })),
  ...[
    'SET x 31 NX',
    'SETNX x 31',
    'DEL nosuch',
    'EXPIRE nosuch 10',
    'PEXPIRE x 100 XX',
    'PERSIST x',
    'RENAME x x',
    'SETRANGE x 0 ',
    'GET x',
    'EXISTS x',
    'TTL x',
    'MOVE nosuch 1',
    'COPY x x2',
    'RENAMENX x y',
    'RENAMENX y x',
    'COPY y x',
    'SET y 1',
    'LPUSH y 1',
  ].map((change) => ({ setup: 'MSET x 30 y 10', key: 'x', change, touches: false })),
];

/** Collections: the setup creates the watched key. */
const COLLECTION_CASES: WatchCase[] = (
  [
    ['RPUSH l a b', 'LPUSH l c', true],
    ['RPUSH l a b', 'LPOP l', true],
    ['RPUSH l a b', 'LREM l 0 zz', false],
    ['RPUSH l a b', 'LTRIM l 0 -1', true],
    ['RPUSH l a b', 'LSET l 0 a', true],
    ['RPUSH l a b', 'LPUSHX l z', true],
    ['RPUSH l a b', 'LMOVE l l LEFT RIGHT', true],
    ['RPUSH l a b', 'LMOVE l other LEFT LEFT', true],
    ['RPUSH l a b', 'RPOPLPUSH l other', true],
    ['RPUSH l a b', 'LINSERT l BEFORE zz c', false],
    ['HSET h f v', 'HSET h f v', true],
    ['HSET h f v', 'HDEL h nosuch', false],
    ['HSET h f v', 'HDEL h f', true],
    ['HSET h f v', 'HSETNX h f w', false],
    ['HSET h f v', 'HINCRBY h n 1', true],
    ['HSET h f v', 'HINCRBYFLOAT h f2 1.5', true],
    ['SADD s a', 'SADD s a', false],
    ['SADD s a', 'SREM s b', false],
    ['SADD s a', 'SREM s a', true],
    ['SADD s a', 'SPOP s', true],
    ['SADD s a', 'SINTERSTORE s s', true],
    ['SADD s a', 'SMOVE s t a', true],
    ['SADD s a', 'SMOVE s t nosuch', false],
    ['SADD s a', 'SUNIONSTORE d s', false],
    ['SADD s a', 'SDIFFSTORE d s', false],
    ['ZADD z 1 a', 'ZADD z 1 a', false],
    ['ZADD z 1 a', 'ZADD z 2 a', true],
    ['ZADD z 1 a', 'ZADD z XX 5 b', false],
    ['ZADD z 1 a', 'ZINCRBY z 0 a', false],
    ['ZADD z 1 a', 'ZINCRBY z 1 a', true],
    ['ZADD z 1 a', 'ZREM z b', false],
    ['ZADD z 1 a', 'ZREMRANGEBYSCORE z 5 6', false],
    ['ZADD z 1 a', 'ZPOPMIN z', true],
    ['ZADD z 1 a', 'ZUNIONSTORE d 1 z', false],
    ['ZADD z 1 a', 'ZRANGESTORE d z 0 -1', false],
  ] as const
).map(([setup, change, touches]) => ({ setup, key: setup.split(' ')[1]!, change, touches }));

/** Runs each case on both servers: the EXEC replies must match each other and `touches`. */
function watchCases(cases: WatchCase[]): Promise<void> {
  return everyCase(
    cases,
    (c) => `${c.setup}, WATCH ${c.key}, then ${c.change}`,
    async ({ setup, key, change, touches }) => {
      const r = await same([setup, `WATCH ${key}`, `2> ${change}`, 'MULTI', 'PING', 'EXEC']);
      assert.equal(r.at(-1), touches ? EXEC_NULL : '*1\r\n+PONG\r\n', 'EXEC');
    },
  );
}

test('WATCH on strings: touched by every change (EXPIRE, DEL, RENAME, MOVE, the same value), not by no-ops', () =>
  watchCases(STRING_CASES));

test('WATCH on collections: touched by every change and by the writes Redis signals unchanged, not by no-ops', () =>
  watchCases(COLLECTION_CASES));

test('WATCH considers a key that expires before EXEC as changed', async () => {
  await watchAlive('SET x foo PX 300', 'x');
  // The active expiry cycle removes it: DBSIZE (which expires nothing itself) reaches 0.
  await waitFor(
    async () => (await a2.call('DBSIZE')) === ':0\r\n' && (await b2.call('DBSIZE')) === ':0\r\n',
    5000,
    'x to be expired by the active cycle',
  );
  const r = await steps(['MULTI', 'PING', 'EXEC']);
  assert.equal(r.at(-1), EXEC_NULL);
});

test('WATCH of a key that expires unseen, then EXEC: the transaction fails (lazy expiry)', async () => {
  await watchAlive('SET key 1 PX 200', 'key');
  await expiredOnBoth('key');
  const r = await steps(['MULTI', 'INCR key', 'EXEC', 'GET key']);
  assert.equal(r[2], EXEC_NULL);
});

test('WATCH of an already expired key: its deletion or a FLUSHDB is no change, a new value is', async () => {
  const stale = ['SET x foo PX 1', 'SET probe 1 PX 1'];
  // Deleted on access.
  await same(stale);
  await expiredOnBoth('probe');
  let r = await steps(['WATCH x', 'EXISTS x', 'MULTI', 'PING', 'EXEC']);
  assert.equal(r.at(-1), '*1\r\n+PONG\r\n');
  // Emptied by FLUSHDB.
  await same(stale);
  await expiredOnBoth('probe');
  r = await steps(['WATCH x', '2> FLUSHDB', 'MULTI', 'PING', 'EXEC']);
  assert.equal(r.at(-1), '*1\r\n+PONG\r\n');
  // Watched stale, then set anew by another client: a change.
  await same(stale);
  await expiredOnBoth('probe');
  r = await steps(['WATCH x', '2> SET x bar', 'MULTI', 'PING', 'EXEC']);
  assert.equal(r.at(-1), EXEC_NULL);
  // Watched stale and left alone.
  await same(stale);
  await expiredOnBoth('probe');
  r = await steps(['WATCH x', 'MULTI', 'PING', 'EXEC']);
  assert.equal(r.at(-1), '*1\r\n+PONG\r\n');
});

test('FLUSHDB and FLUSHALL touch watched keys that exist, not watched keys that do not', async () => {
  const cases: [string[], string, string][] = [
    [['SET x 30'], 'FLUSHALL', EXEC_NULL],
    [['DEL x'], 'FLUSHALL', '*1\r\n+PONG\r\n'],
    [['SET x 30'], 'FLUSHDB', EXEC_NULL],
    [['DEL x'], 'FLUSHDB', '*1\r\n+PONG\r\n'],
    // The second connection flushes database 1: x in database 0 is not touched.
    [['SET x 30', '2> SELECT 1'], 'FLUSHDB', '*1\r\n+PONG\r\n'],
    [['SET x 30', '2> SELECT 1'], 'FLUSHALL', EXEC_NULL],
    [['DEL x', '2> SELECT 1', '2> SET x 1'], 'FLUSHALL', '*1\r\n+PONG\r\n'],
  ];
  for (const [setup, flush, expect] of cases) {
    const r = await same([...setup, 'WATCH x', `2> ${flush}`, 'MULTI', 'PING', 'EXEC']);
    assert.equal(r.at(-1), expect, `${setup.join(', ')}, WATCH x, ${flush}`);
  }
  // The client's own FLUSHALL while watching several keys.
  await same(['MSET a a b b', 'WATCH b a', 'FLUSHALL', 'PING', 'MULTI', 'PING', 'EXEC']);
});

test('WATCH remembers the database a key belongs to', async () => {
  const r = await same([
    'SELECT 5',
    'SET x 30',
    'WATCH x',
    'SELECT 1',
    'SET x 10',
    'SELECT 5',
    'MULTI',
    'PING',
    'EXEC',
    'WATCH x',
    '2> SELECT 5',
    '2> SET x 11',
    'SELECT 1',
    'MULTI',
    'PING',
    'EXEC',
    '2> SELECT 0',
  ]);
  assert.equal(r[8], '*1\r\n+PONG\r\n');
  assert.equal(r[15], EXEC_NULL);
});

test('DISCARD clears the dirty flag and unwatches every key', async () => {
  let r = await same(['WATCH x', 'SET x 10', 'MULTI', 'DISCARD', 'MULTI', 'INCR x', 'EXEC']);
  assert.equal(r.at(-1), '*1\r\n:11\r\n');
  r = await same(['WATCH x', 'SET x 10', 'MULTI', 'DISCARD', '2> SET x 10', 'MULTI', 'INCR x', 'EXEC']);
  assert.equal(r.at(-1), '*1\r\n:11\r\n');
  r = await same(['WATCH x', '2> SET x 10', 'UNWATCH', 'MULTI', 'INCR x', 'EXEC']);
  assert.equal(r.at(-1), '*1\r\n:11\r\n');
});

test('an EXECABORT forgets the watched keys and the MULTI state', async () => {
  await same(['SET x 1', 'WATCH x', 'MULTI', 'NOSUCH', 'EXEC', '2> SET x 2', 'MULTI', 'INCR x', 'EXEC', 'PING']);
});

test('blocking commands inside MULTI answer at once, as on a timeout', async () => {
  const r = await same([
    'RPUSH full a b',
    'MULTI',
    'BLPOP empty_list 0',
    'BRPOP empty_list 0',
    'BRPOPLPUSH empty_list1 empty_list2 0',
    'BLMOVE empty_list1 empty_list2 LEFT LEFT 0',
    'BLPOP empty_list full 0',
    'BLMOVE full empty_list2 RIGHT LEFT 0',
    'EXEC',
    'LRANGE empty_list2 0 -1',
  ]);
  assert.equal(r[8], '*6\r\n*-1\r\n*-1\r\n$-1\r\n$-1\r\n*2\r\n$4\r\nfull\r\n$1\r\na\r\n$1\r\nb\r\n');
});

test('a client blocked in BLPOP is served by an LPUSH inside EXEC, after the whole transaction', async () => {
  await same(['2>> BLPOP list 0']);
  await blockedOnBoth(1);
  let r = await steps(['MULTI', 'RPUSH list a b c', 'LPOP list', 'EXEC', '2<', 'LRANGE list 0 -1']);
  assert.equal(r[4], '*2\r\n$4\r\nlist\r\n$1\r\nb\r\n', 'served with what the transaction left');
  // A transaction that pushes and then empties the list again serves nobody.
  await steps(['2>> BLPOP list2 0']);
  await blockedOnBoth(1);
  r = await steps(['MULTI', 'RPUSH list2 x', 'DEL list2', 'EXEC']);
  assert.equal(await blocked(a3), 1, 'still blocked after the transaction');
  r = await steps(['RPUSH list2 z', '2<']);
  assert.equal(r[1], '*2\r\n$5\r\nlist2\r\n$1\r\nz\r\n');
  // A push in another database is no service to it.
  await steps(['2>> BLPOP list3 0']);
  await blockedOnBoth(1);
  r = await steps([
    'MULTI',
    'SELECT 1',
    'LPUSH list3 other',
    'SELECT 0',
    'LPUSH list3 mine',
    'LPUSH list3 more',
    'EXEC',
    '2<',
  ]);
  assert.equal(r.at(-1), '*2\r\n$5\r\nlist3\r\n$4\r\nmore\r\n', 'served in its own database, from the head');
  await blockedOnBoth(0);
});

test('a blocked pop served by a transaction touches keys another client watches', async () => {
  await same(['RPUSH src x', 'DEL list']);
  // Connection 3 is RESP3: its WATCH and EXEC are compared in RESP3 form.
  await steps(['3> WATCH dst', '2>> BLMOVE list dst LEFT LEFT 0']);
  await blockedOnBoth(1);
  await steps(['MULTI', 'RPUSH list a', 'EXEC', '2<']);
  const r = await steps(['3> MULTI', '3> PING', '3> EXEC']);
  assert.equal(r.at(-1), '_\r\n', 'RESP3: the null EXEC');
});

test('OOM: queueing a write that needs memory aborts EXEC; EXEC of reads only runs; DISCARD works', async (t) => {
  t.after(async () => {
    await Promise.all([a2.call('CONFIG', 'SET', 'maxmemory', '0'), b2.call('CONFIG', 'SET', 'maxmemory', '0')]);
  });
  await same(['SET x value', 'MULTI', 'SET foo1 bar1', '2> CONFIG SET maxmemory 1', 'LPUSH mylist myvalue']);
  await steps(['2> CONFIG SET maxmemory 0', 'SET foo2 bar2', 'EXEC', 'EXISTS foo1 foo2']);
  // EXEC with only reads goes through at maxmemory, one with a write is refused whole.
  await steps(['MULTI', 'GET x', 'PING', '2> CONFIG SET maxmemory 1', 'EXEC']);
  await steps(['2> CONFIG SET maxmemory 0', 'MULTI', 'SET x 1', 'GET x', '2> CONFIG SET maxmemory 1', 'EXEC']);
  await steps(['MULTI', 'SET y 1', 'PING', 'GET x', 'DISCARD', 'PING', 'MULTI', 'PING', 'EXEC']);
  await steps(['2> CONFIG SET maxmemory 0', 'GET x']);
});

test('CONFIG SET failing inside MULTI is one error reply in the EXEC array', async () => {
  const r = await same(['MULTI', 'SET foo bar', 'CONFIG SET maxmemory bla', 'EXEC', 'GET foo']);
  assert.match(r[3]!, /^\*2\r\n\+OK\r\n-ERR CONFIG SET failed/);
});

test('RESP3: QUEUED, nulls and errors inside EXEC, the null EXEC after a touched WATCH, EXECABORT', async () => {
  await same([]);
  const r = await steps([
    '3> SET k v',
    '3> MULTI',
    '3> GET k',
    '3> GET nosuch',
    '3> BLPOP nosuch 0',
    '3> LPOP nosuch 2',
    '3> INCR k',
    '3> EXISTS k',
    '3> EXEC',
    '3> WATCH k',
    '2> SET k w',
    '3> MULTI',
    '3> PING',
    '3> EXEC',
    '3> MULTI',
    '3> NOSUCH',
    '3> EXEC',
    '3> EXEC',
    '3> DISCARD',
  ]);
  assert.equal(r[8], '*6\r\n$1\r\nv\r\n_\r\n_\r\n_\r\n-ERR value is not an integer or out of range\r\n:1\r\n');
  assert.equal(r[13], '_\r\n', 'the null EXEC is RESP3 null');
  assert.match(r[16]!, /^-EXECABORT/);
});

test('RESP3: map, set and double replies inside EXEC', async () => {
  await same([]);
  await steps([
    '3> HSET h f v',
    '3> SADD s m',
    '3> ZADD z 1.5 a',
    '3> MULTI',
    '3> HGETALL h',
    '3> SMEMBERS s',
    '3> ZSCORE z a',
    '3> ZRANGE z 0 -1 WITHSCORES',
    '3> EXEC',
  ]);
});
