/**
 * List commands: differential tests against Debian's redis-server 7.0.15
 * (every reply byte for byte), a seeded random sequence whose end state must
 * also survive a restart (the logged effects replay to the same lists), and
 * the blocking pops over real sockets: immediate serve, timeouts, wake-ups in
 * FIFO order, BLMOVE chains, disconnects, pipelining behind a blocked
 * command, what the WAL holds, and a served pop surviving SIGKILL.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import { cleanup, run, startServer, tempDir, waitFor, type ServerHandle } from '../helpers/server.js';
import { encodeCommand, RawClient } from '../helpers/resp.js';
import { sameReplies, serverPair, type Command } from '../helpers/differential.js';
import { prng, testSeed } from '../helpers/random.js';

const TOOL = join(resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..'), 'dist', 'tools', 'cache-dump.js');

let fc: ServerHandle;
let a: RawClient;
let b: RawClient;
const servers = serverPair((p) => ({ fc, a, b } = p));

/** FLUSHALL, then each command on both servers; replies must be byte-identical. */
const same = (commands: Command[]): Promise<void> => sameReplies(a, b, commands);

// ------------------------------------------------------------ differential

test('LPUSH, RPUSH, the X forms, LLEN, LRANGE with negative and out-of-range indexes', () =>
  same([
    'LPUSH l a b c',
    'RPUSH l d e',
    'LRANGE l 0 -1',
    'LRANGE l -2 -1',
    'LRANGE l -100 100',
    'LRANGE l 3 1',
    'LRANGE l 5 10',
    'LRANGE l -1 -2',
    'LRANGE l 0 0',
    'LRANGE l 1 -9223372036854775808',
    'LRANGE l -9223372036854775808 9223372036854775807',
    'LRANGE l 0 9223372036854775808',
    'LRANGE l x 1',
    'LRANGE l 0 1.5',
    'LRANGE nosuch 0 -1',
    'LRANGE nosuch x 1',
    'LLEN l',
    'LLEN nosuch',
    'LPUSHX nosuch a',
    'RPUSHX nosuch a b',
    'EXISTS nosuch',
    'LPUSHX l x y',
    'RPUSHX l z',
    'LRANGE l 0 -1',
    ['RPUSH', 'bin', '\x00\xff\r\n', '', 'é'],
    'LRANGE bin 0 -1',
    'SET s v',
    'LPUSH s a',
    'RPUSH s a',
    'LPUSHX s a',
    'RPUSHX s a',
    'LLEN s',
    'LRANGE s 0 -1',
    'LPUSH',
    'LPUSH l',
    'RPUSHX l',
    'LLEN',
    'LLEN l x',
    'LRANGE l 0',
    'TYPE l',
    'OBJECT ENCODING l',
  ]));

test('LPOP and RPOP with and without a count: nil, empty array, null array, deletion', () =>
  same([
    'RPUSH l a b c d e',
    'LPOP l',
    'RPOP l',
    'LPOP l 2',
    'LPOP l 0',
    'RPOP l 0',
    'RPOP l 5',
    'EXISTS l',
    'LPOP l',
    'RPOP l',
    'LPOP l 0',
    'LPOP l 3',
    'RPOP l 1',
    'RPUSH l a b c',
    'RPOP l 2',
    'LPOP l 9223372036854775807',
    'EXISTS l',
    'RPUSH l a',
    'LPOP l -1',
    'LPOP l x',
    'LPOP l 1.0',
    'LPOP l 9223372036854775808',
    'RPOP l -5',
    'LPOP l 1 2',
    'RPOP l 1 extra',
    'LPOP',
    'SET s v',
    'LPOP s',
    'RPOP s 2',
    'LPOP s 0',
    'LPOP s -1',
    'LPOP nosuch -1',
  ]));

test('LINDEX, LSET: negative indexes, out of range, no such key, WRONGTYPE', () =>
  same([
    'RPUSH l a b c',
    'LINDEX l 0',
    'LINDEX l -1',
    'LINDEX l -3',
    'LINDEX l -4',
    'LINDEX l 3',
    'LINDEX l x',
    'LINDEX nosuch x',
    'LINDEX nosuch 0',
    'LINDEX l 9223372036854775807',
    'LINDEX l -9223372036854775808',
    'LSET l 0 A',
    'LSET l -1 C',
    'LSET l 1 BB',
    'LRANGE l 0 -1',
    'LSET l 3 x',
    'LSET l -4 x',
    'LSET l x y',
    'LSET nosuch 0 x',
    'LSET nosuch x y',
    'SET s v',
    'LINDEX s 0',
    'LSET s 0 x',
    'LSET l 0',
    'LINDEX l',
  ]));

test('LINSERT: BEFORE and AFTER, missing pivot, missing key, syntax', () =>
  same([
    'RPUSH l a b c b',
    'LINSERT l BEFORE b x',
    'LINSERT l after b y',
    'LRANGE l 0 -1',
    'LINSERT l BEFORE a first',
    'LINSERT l AFTER c last',
    'LRANGE l 0 -1',
    'LINSERT l BEFORE nosuch z',
    'LINSERT nosuch BEFORE a z',
    'EXISTS nosuch',
    'LINSERT l MIDDLE a z',
    'LINSERT nosuch MIDDLE a z',
    'SET s v',
    'LINSERT s BEFORE a z',
    'LINSERT s MIDDLE a z',
    'LINSERT l BEFORE a',
  ]));

test('LREM: positive, negative and zero counts; removing the last element deletes the key', () =>
  same([
    'RPUSH l a b a c a d a',
    'LREM l 2 a',
    'LRANGE l 0 -1',
    'RPUSH l a a',
    'LREM l -2 a',
    'LRANGE l 0 -1',
    'LREM l 0 a',
    'LRANGE l 0 -1',
    'LREM l 0 zz',
    'LREM l 100 b',
    'LREM l -100 c',
    'LREM l 1 d',
    'EXISTS l',
    'LREM nosuch 0 a',
    'LREM l x a',
    'LREM nosuch x a',
    'SET s v',
    'LREM s 0 v',
    'RPUSH m x y x y x',
    'LREM m -1 x',
    'LREM m 1 y',
    'LRANGE m 0 -1',
  ]));

test('LTRIM: ranges, negative indexes, empty range deletes the key', () =>
  same([
    'RPUSH l a b c d e f',
    'LTRIM l 1 -2',
    'LRANGE l 0 -1',
    'LTRIM l -100 100',
    'LRANGE l 0 -1',
    'LTRIM l 1 1',
    'LRANGE l 0 -1',
    'RPUSH l x y',
    'LTRIM l 2 1',
    'EXISTS l',
    'RPUSH l a b c',
    'LTRIM l 5 10',
    'EXISTS l',
    'RPUSH l a b c',
    'LTRIM l -1 -1',
    'LRANGE l 0 -1',
    'LTRIM nosuch 0 1',
    'LTRIM l x 1',
    'LTRIM nosuch 0 y',
    'SET s v',
    'LTRIM s 0 1',
  ]));

test('LPOS: RANK, COUNT, MAXLEN and their errors', () =>
  same([
    'RPUSH l a b c 1 2 3 c c',
    'LPOS l c',
    'LPOS l c RANK 2',
    'LPOS l c RANK -1',
    'LPOS l c RANK -3',
    'LPOS l c RANK 4',
    'LPOS l c COUNT 0',
    'LPOS l c COUNT 2',
    'LPOS l c COUNT 2 RANK 2',
    'LPOS l c COUNT 0 RANK -1',
    'LPOS l c COUNT 10 RANK -2',
    'LPOS l c MAXLEN 3',
    'LPOS l c MAXLEN 2',
    'LPOS l c COUNT 0 MAXLEN 7',
    'LPOS l c RANK -1 MAXLEN 1',
    'LPOS l c RANK -1 MAXLEN 2 COUNT 0',
    'LPOS l zz',
    'LPOS l zz COUNT 1',
    'LPOS nosuch a',
    'LPOS nosuch a COUNT 0',
    'LPOS nosuch a RANK 0',
    'LPOS l c RANK 0',
    'LPOS l c RANK x',
    'LPOS l c RANK -9223372036854775808',
    'LPOS l c RANK -9223372036854775807',
    'LPOS l c RANK 9223372036854775807',
    'LPOS l c COUNT -1',
    'LPOS l c COUNT x',
    'LPOS l c MAXLEN -1',
    'LPOS l c MAXLEN x',
    'LPOS l c COUNT',
    'LPOS l c FOO 1',
    'LPOS l c rank 1 count 1 maxlen 0',
    'SET s v',
    'LPOS s v',
    'LPOS s v RANK 0',
    'LPOS',
    'LPOS l',
  ]));

test('LMOVE and RPOPLPUSH: directions, rotation on one key, WRONGTYPE on either side', () =>
  same([
    'RPUSH src a b c',
    'LMOVE src dst LEFT RIGHT',
    'LMOVE src dst RIGHT LEFT',
    'LMOVE src dst left left',
    'LRANGE dst 0 -1',
    'EXISTS src',
    'LMOVE src dst LEFT LEFT',
    'RPOPLPUSH dst dst',
    'LRANGE dst 0 -1',
    'LMOVE dst dst LEFT RIGHT',
    'LRANGE dst 0 -1',
    'RPUSH one x',
    'RPOPLPUSH one one',
    'LMOVE one one LEFT LEFT',
    'LRANGE one 0 -1',
    'RPOPLPUSH dst new',
    'LRANGE new 0 -1',
    'RPOPLPUSH nosuch dst',
    'LMOVE dst dst UP LEFT',
    'LMOVE dst dst LEFT DOWN',
    'LMOVE nosuch dst UP LEFT',
    'SET s v',
    'LMOVE s dst LEFT LEFT',
    'LMOVE dst s LEFT LEFT',
    'RPOPLPUSH dst s',
    'RPOPLPUSH s dst',
    'LMOVE nosuch s LEFT LEFT',
    'LRANGE dst 0 -1',
    'LMOVE a b LEFT',
    'RPOPLPUSH a',
  ]));

test('long lists: growth, wrap-around, removal in the middle and shrinking', () => {
  const many = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i % 7}`);
  return same([
    ['RPUSH', 'l', ...many('r', 300)],
    ['LPUSH', 'l', ...many('p', 150)],
    'LLEN l',
    'LREM l 3 r2',
    'LREM l -5 p3',
    'LREM l 0 r4',
    'LINSERT l BEFORE r5 mid',
    'LINSERT l AFTER p6 mid2',
    'LPOS l r5 COUNT 0',
    'LPOS l p1 RANK -3 COUNT 4',
    'LPOS l r6 MAXLEN 200 COUNT 0',
    'LINDEX l 200',
    'LINDEX l -200',
    'LSET l 250 set',
    'LRANGE l 0 -1',
    'LPOP l 120',
    'RPOP l 100',
    'LREM l 0 r1',
    'LRANGE l 0 -1',
    'LTRIM l 10 -10',
    'LRANGE l 0 -1',
    'RPOP l 1000',
    'EXISTS l',
  ]);
});

test('blocking commands that need not block: immediate serve, argument order, errors, timeout parsing', () =>
  same([
    'RPUSH k2 x y',
    'RPUSH k3 z',
    'BLPOP k1 k2 k3 0',
    'BRPOP k1 k3 k2 0',
    'BRPOP k1 k2 1',
    'EXISTS k2',
    'SET s v',
    'BLPOP s k3 0',
    'BLPOP k3 s 0',
    'RPUSH k3 z',
    'BLPOP k1 s 0',
    'BLPOP k1 abc',
    'BLPOP k1 -1',
    'BLPOP k1 -0.002',
    ['BLPOP', 'k1', ' 1'],
    'BLPOP k1 inf',
    'BLPOP k1 -inf',
    'BLPOP k1 1e300',
    'BLPOP k1 nan',
    'BLPOP k1 9223372036854776',
    'BLPOP s abc',
    'RPUSH k a b c d e f g h i j k l',
    'BLPOP k 0.5',
    'BLPOP k 1e-400',
    'RPUSH t a b',
    'BLPOP t 1.8e-4951',
    'BLPOP t 0x1.0000000000000001p-16446',
    'BLPOP t 3.6e-4951',
    'BLPOP t -3.6e-4951',
    'BLPOP k -0',
    'BLPOP k -0.001',
    'BLPOP k -0.0009',
    'BLPOP k 0x10',
    'BLPOP k 9223372036854775',
    'BRPOP k 1.5',
    'BLMOVE k d LEFT RIGHT 0',
    'BLMOVE k d RIGHT LEFT 0.1',
    'BRPOPLPUSH k d 0',
    'LRANGE d 0 -1',
    'BLMOVE k d UP LEFT 0',
    'BLMOVE k d LEFT LEFT x',
    'BLMOVE k d LEFT LEFT -1',
    'BLMOVE k s LEFT LEFT 0',
    'BLMOVE s d LEFT LEFT 0',
    'BRPOPLPUSH s d 0',
    'BRPOPLPUSH k s 0',
    'BRPOPLPUSH k d -1',
    'BRPOPLPUSH k d abc',
    'BLPOP k',
    'BLMOVE k d LEFT RIGHT',
    'BRPOPLPUSH k d',
    'LRANGE k 0 -1',
  ]));

test('a seeded random mix of list commands matches redis-server, and replays to the same lists after SIGKILL', async () => {
  const rand = prng(testSeed('lists random'));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const keys = ['a', 'b', 'c'];
  const vals = ['x', 'y', 'z', '1', ''];
  const idx = (): string => String(Math.floor(rand() * 14) - 7);
  const gens: (() => string[])[] = [
    () => [
      pick(['LPUSH', 'RPUSH']),
      pick(keys),
      ...Array.from({ length: 1 + Math.floor(rand() * 4) }, () => pick(vals)),
    ],
    () => [pick(['LPUSHX', 'RPUSHX']), pick(keys), pick(vals)],
    () => [pick(['LPOP', 'RPOP']), pick(keys)],
    () => [pick(['LPOP', 'RPOP']), pick(keys), String(Math.floor(rand() * 4))],
    () => ['LRANGE', pick(keys), idx(), idx()],
    () => ['LINDEX', pick(keys), idx()],
    () => ['LSET', pick(keys), idx(), pick(vals)],
    () => ['LINSERT', pick(keys), pick(['BEFORE', 'AFTER']), pick(vals), pick(vals)],
    () => ['LREM', pick(keys), idx(), pick(vals)],
    () => ['LTRIM', pick(keys), idx(), idx()],
    () => [
      'LPOS',
      pick(keys),
      pick(vals),
      'RANK',
      pick(['1', '2', '-1', '-2']),
      'COUNT',
      pick(['0', '1', '2']),
      'MAXLEN',
      pick(['0', '3']),
    ],
    () => ['LMOVE', pick(keys), pick(keys), pick(['LEFT', 'RIGHT']), pick(['LEFT', 'RIGHT'])],
    () => ['RPOPLPUSH', pick(keys), pick(keys)],
    () => [pick(['BLPOP', 'BRPOP']), pick(keys), pick(keys), '0'],
    () => ['BLMOVE', pick(keys), pick(keys), pick(['LEFT', 'RIGHT']), pick(['LEFT', 'RIGHT']), '0'],
    () => ['LLEN', pick(keys)],
  ];
  await a.call('FLUSHALL');
  await b.call('FLUSHALL');
  let blocking = 0;
  for (let i = 0; i < 1500; i++) {
    const args = pick(gens)();
    // A blocking pop on empty keys would block: only send it when some key has elements.
    if (args[0]!.startsWith('B')) {
      const lens = await Promise.all([args[1]!, args[2]!].map((k) => b.call('LLEN', k)));
      if (!lens.some((l) => l !== ':0\r\n')) continue;
      if (args[0] === 'BLMOVE' && lens[0] === ':0\r\n') continue;
      blocking++;
    }
    const [ra, rb] = await Promise.all([a.call(...args), b.call(...args)]);
    assert.equal(ra, rb, `step ${i}: reply to ${JSON.stringify(args)}`);
  }
  assert.ok(blocking > 20, `${blocking} blocking pops served at once`);
  const expected = await Promise.all(keys.map((k) => b.call('LRANGE', k, '0', '-1')));
  a.close();
  await fc.kill();
  fc = await startServer({ dir: fc.dir });
  a = await RawClient.connect(fc.port);
  servers.replace({ fc, a });
  const got = await Promise.all(keys.map((k) => a.call('LRANGE', k, '0', '-1')));
  assert.deepEqual(got, expected);
});

// ------------------------------------------------------------ blocking

/** A named ioredis connection to FlashCache (so CLIENT LIST can tell when it is blocked). */
async function named(name: string): Promise<Redis> {
  const r = fc.client();
  await r.client('SETNAME', name);
  return r;
}

/**
 * Waits until connection `name` has run `command` last: the blocking command
 * has blocked (or been served). The connection must have run something else
 * before, so that an earlier `command` does not count.
 */
async function blockedIn(observer: Redis, name: string, command = 'blpop'): Promise<void> {
  await waitFor(
    async () => {
      const list = (await observer.client('LIST')) as string;
      return list.split('\n').some((l) => l.includes(` name=${name} `) && l.includes(` cmd=${command} `));
    },
    5000,
    `${name} to block in ${command}`,
  );
}

/** The WAL as cache-dump prints it: one `NAME args...` per record. */
async function walCommands(dir: string): Promise<string[]> {
  const out = await run(process.execPath, [TOOL, 'wal', 'cat', join(dir, 'wal'), '--json']);
  assert.equal(out.code, 0, out.stderr);
  return out.stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const r = JSON.parse(line) as { command: string; args: string[] };
      return [r.command, ...r.args].join(' ');
    });
}

test('a blocking pop or move times out with a null array, as redis-server 7.0, and blocks for about the timeout', async () => {
  await a.call('FLUSHALL');
  const raw = await RawClient.connect(fc.port);
  try {
    let t0 = Date.now();
    assert.equal(await raw.call('BLPOP', 'none1', 'none2', '0.2'), '*-1\r\n');
    const waited = Date.now() - t0;
    assert.ok(waited >= 190 && waited < 2000, `BLPOP waited ${waited} ms`);
    t0 = Date.now();
    assert.equal(await raw.call('BRPOP', 'none1', '0.05'), '*-1\r\n');
    assert.equal(await raw.call('BLMOVE', 'none1', 'd', 'LEFT', 'RIGHT', '0.05'), '*-1\r\n');
    assert.equal(await raw.call('BRPOPLPUSH', 'none1', 'd', '0.05'), '*-1\r\n');
    assert.ok(Date.now() - t0 >= 145);
    // The connection works normally afterwards, and nothing was created.
    assert.equal(await raw.call('EXISTS', 'none1', 'd'), ':0\r\n');
  } finally {
    raw.close();
  }
});

test('a blocked BLPOP wakes when another client pushes; an overwriting SET does not wake it', async () => {
  const observer = await named('obs1');
  const waiter = await named('w-wake');
  await observer.flushall();
  const popped = waiter.blpop('wake1', 'wake2', 0);
  await blockedIn(observer, 'w-wake');
  await observer.set('wake2', 'string');
  await observer.del('wake2');
  await observer.rpush('wake2', 'v1', 'v2');
  assert.deepEqual(await popped, ['wake2', 'v1']);
  assert.deepEqual(await observer.lrange('wake2', 0, -1), ['v2']);
  // BRPOP takes from the tail, and a key emptied by the pop is deleted.
  const tail = waiter.brpop('wake3', 0);
  await blockedIn(observer, 'w-wake', 'brpop');
  await observer.rpush('wake3', 'a', 'b');
  assert.deepEqual(await tail, ['wake3', 'b']);
  const last = waiter.brpop('wake3', 0);
  assert.deepEqual(await last, ['wake3', 'a']);
  assert.equal(await observer.exists('wake3'), 0);
  observer.disconnect();
  waiter.disconnect();
});

test('RENAME, MOVE and COPY ... DB onto a waited key wake its waiter', async () => {
  const observer = await named('obs6');
  const waiter = await named('w-keys');
  await observer.flushall();
  await observer.rpush('tmp', 'renamed');
  let popped = waiter.blpop('target', 0);
  await blockedIn(observer, 'w-keys');
  await observer.rename('tmp', 'target');
  assert.deepEqual(await popped, ['target', 'renamed']);
  await waiter.ping(); // so that cmd=blpop below means the new BLPOP
  popped = waiter.blpop('target', 0);
  await blockedIn(observer, 'w-keys');
  await observer.select(1);
  await observer.rpush('target', 'moved');
  assert.equal(await observer.move('target', 0), 1);
  assert.deepEqual(await popped, ['target', 'moved']);
  popped = waiter.brpop('target', 0);
  await blockedIn(observer, 'w-keys', 'brpop');
  await observer.rpush('orig', 'copied');
  assert.equal(await observer.copy('orig', 'target', 'DB', 0), 1);
  assert.deepEqual(await popped, ['target', 'copied']);
  assert.deepEqual(await observer.lrange('orig', 0, -1), ['copied']);
  await observer.select(0);
  assert.equal(await observer.exists('target'), 0);
  observer.disconnect();
  waiter.disconnect();
});

test('three blocked clients are served first-blocked first, one element each, and the rest keep waiting', async () => {
  const observer = await named('obs2');
  await observer.flushall();
  const ws = await Promise.all(['fifo1', 'fifo2', 'fifo3'].map(named));
  const pops: Promise<[string, string] | null>[] = [];
  for (let i = 0; i < 3; i++) {
    pops.push(ws[i]!.blpop('q', 0));
    await blockedIn(observer, `fifo${i + 1}`);
  }
  // Two elements for three waiters: the first two are served, in order, right
  // after the push: the LLEN pipelined behind it sees the list emptied.
  const replies = (await observer.pipeline().rpush('q', 'e1', 'e2').llen('q').exec())!;
  assert.deepEqual(
    replies.map((r) => r[1]),
    [2, 0],
  );
  assert.deepEqual(await pops[0], ['q', 'e1']);
  assert.deepEqual(await pops[1], ['q', 'e2']);
  assert.equal(await observer.exists('q'), 0);
  await observer.lpush('q', 'e3');
  assert.deepEqual(await pops[2], ['q', 'e3']);
  for (const w of ws) w.disconnect();
  observer.disconnect();
});

test('BLMOVE chains: a served move fills the next waited key, and the WAL logs what happened', async () => {
  const observer = await named('obs3');
  await observer.flushall();
  const [m1, m2, p3] = await Promise.all(['chain1', 'chain2', 'chain3'].map(named));
  const move1 = m1!.blmove('c:a', 'c:b', 'LEFT', 'RIGHT', 0);
  await blockedIn(observer, 'chain1', 'blmove');
  const move2 = m2!.brpoplpush('c:b', 'c:c', 0);
  await blockedIn(observer, 'chain2', 'brpoplpush');
  const pop3 = p3!.brpop('c:c', 0);
  await blockedIn(observer, 'chain3', 'brpop');
  // A timed-out waiter logs nothing.
  assert.equal(await observer.blpop('c:none', 0.01), null);
  await observer.lpush('c:a', 'x');
  assert.equal(await move1, 'x');
  assert.equal(await move2, 'x');
  assert.deepEqual(await pop3, ['c:c', 'x']);
  assert.equal(await observer.exists('c:a', 'c:b', 'c:c'), 0);
  // Rotation while blocked: BLMOVE k k serves and keeps the element.
  await m1!.ping(); // so that cmd=blmove below means the new BLMOVE
  const rot = m1!.blmove('c:r', 'c:r', 'LEFT', 'RIGHT', 0);
  await blockedIn(observer, 'chain1', 'blmove');
  await observer.rpush('c:r', 'r1');
  assert.equal(await rot, 'r1');
  assert.deepEqual(await observer.lrange('c:r', 0, -1), ['r1']);
  // A destination of another type ends the wait with WRONGTYPE and moves nothing.
  await observer.set('c:str', 'v');
  const wrong = m2!.blmove('c:w', 'c:str', 'LEFT', 'LEFT', 0).catch((e: Error) => e.message);
  await blockedIn(observer, 'chain2', 'blmove');
  await observer.rpush('c:w', 'w1');
  assert.match(String(await wrong), /^WRONGTYPE/);
  assert.deepEqual(await observer.lrange('c:w', 0, -1), ['w1']);
  const wal = await walCommands(fc.dir);
  const tail = wal.slice(wal.lastIndexOf('LPUSH c:a x'));
  assert.deepEqual(tail, [
    'LPUSH c:a x',
    'LMOVE c:a c:b LEFT RIGHT',
    'RPOPLPUSH c:b c:c',
    'RPOP c:c',
    'RPUSH c:r r1',
    'LMOVE c:r c:r LEFT RIGHT',
    'SET c:str v',
    'RPUSH c:w w1',
  ]);
  assert.ok(!wal.some((w) => /^B|c:none/.test(w)), 'no blocking command or timeout is logged');
  for (const c of [m1, m2, p3, observer]) c!.disconnect();
});

test('a client that disconnects while blocked is forgotten: the element goes to the next waiter', async () => {
  const observer = await named('obs4');
  await observer.flushall();
  const gone = await named('gone');
  const stays = await named('stays');
  void gone.blpop('dq', 0).catch(() => {});
  await blockedIn(observer, 'gone');
  const kept = stays.blpop('dq', 0);
  await blockedIn(observer, 'stays');
  gone.disconnect();
  await waitFor(
    async () => !((await observer.client('LIST')) as string).includes(' name=gone '),
    5000,
    'the server to see the disconnect',
  );
  await observer.rpush('dq', 'only');
  assert.deepEqual(await kept, ['dq', 'only']);
  // With nobody waiting, a push stays in the list.
  const lone = await named('lone');
  void lone.blpop('dq2', 0).catch(() => {});
  await blockedIn(observer, 'lone');
  lone.disconnect();
  await waitFor(
    async () => !((await observer.client('LIST')) as string).includes(' name=lone '),
    5000,
    'the server to see the disconnect',
  );
  await observer.rpush('dq2', 'kept');
  assert.deepEqual(await observer.lrange('dq2', 0, -1), ['kept']);
  stays.disconnect();
  observer.disconnect();
});

test('commands pipelined behind a blocked BLPOP run only once it is served, and their replies follow its reply', async () => {
  const observer = await named('obs5');
  await observer.flushall();
  const raw = await RawClient.connect(fc.port);
  try {
    assert.equal(await raw.call('CLIENT', 'SETNAME', 'piper'), '+OK\r\n');
    raw.write(
      Buffer.concat([
        encodeCommand(['BLPOP', 'pq', '0']),
        encodeCommand(['SET', 'after', '1']),
        encodeCommand(['LLEN', 'pq']),
      ]),
    );
    await blockedIn(observer, 'piper');
    assert.equal(await observer.exists('after'), 0, 'SET behind the blocked BLPOP has not run');
    await observer.rpush('pq', 'p1', 'p2');
    assert.equal(await raw.read(), '*2\r\n$2\r\npq\r\n$2\r\np1\r\n');
    assert.equal(await raw.read(), '+OK\r\n');
    assert.equal(await raw.read(), ':1\r\n');
    assert.equal(await observer.get('after'), '1');
  } finally {
    raw.close();
    observer.disconnect();
  }
});

test('a served BLPOP survives SIGKILL: its pop is in the WAL before the reply', async () => {
  const dir = tempDir();
  try {
    let srv = await startServer({ dir });
    const producer = srv.client();
    const waiter = srv.client();
    await waiter.client('SETNAME', 'killw');
    const popped = waiter.blpop('kq', 0);
    await blockedIn(producer, 'killw');
    await producer.rpush('kq', 'k1', 'k2');
    assert.deepEqual(await popped, ['kq', 'k1']);
    const moved = waiter.blmove('kq2', 'kdst', 'RIGHT', 'LEFT', 0);
    await blockedIn(producer, 'killw', 'blmove');
    await producer.rpush('kq2', 'm1', 'm2');
    assert.equal(await moved, 'm2');
    await srv.kill();
    srv = await startServer({ dir });
    const check = srv.client();
    assert.deepEqual(await check.lrange('kq', 0, -1), ['k2']);
    assert.deepEqual(await check.lrange('kq2', 0, -1), ['m1']);
    assert.deepEqual(await check.lrange('kdst', 0, -1), ['m2']);
    await srv.stop();
  } finally {
    cleanup(dir);
  }
});
