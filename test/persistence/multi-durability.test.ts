/**
 * Transactions on disk: an EXEC's effects are one WAL record (version 2,
 * docs/FORMAT.md "Transaction payload") that recovery applies whole or not at
 * all, and whose reply leaves only once it is durable. Checked through a
 * restart after SIGKILL, `cache-dump wal cat`, a torn transaction record, a
 * disk that fails during EXEC, and a SIGKILL torture of MULTI/EXEC transfers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { cleanup, run, startServer, tempDir, waitFor, type ServerHandle } from '../helpers/server.js';
import { encodeCommand, RawClient } from '../helpers/resp.js';
import { prng, testSeed } from '../helpers/random.js';
import { listSegments } from '../../src/persistence/wal/segment.js';
import { scanSegmentFile, type WalRecord } from '../../src/persistence/wal/reader.js';
import { RECORD_HEADER_SIZE, RECORD_VERSION_TRANSACTION } from '../../src/persistence/format.js';

const TOOL = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'tools', 'cache-dump.js');

/** Every record of a data directory's WAL, with the path of its segment. */
function walRecords(dir: string): (WalRecord & { path: string })[] {
  const wal = join(dir, 'wal');
  return listSegments(wal).flatMap((s) => {
    const path = join(wal, s.name);
    return scanSegmentFile(path).records.map((r) => ({ ...r, path }));
  });
}

/** Sends each command on `c` and returns the replies. */
async function calls(c: RawClient, commands: string[]): Promise<(string | null)[]> {
  const out: (string | null)[] = [];
  for (const cmd of commands) out.push(await c.call(...cmd.split(' ')));
  return out;
}

/** `INFO persistence` on a fresh connection, or '' when no answer comes within 250 ms (replies held back). */
async function probeInfo(port: number): Promise<string> {
  const probe = await RawClient.connect(port);
  try {
    probe.write(encodeCommand(['INFO', 'persistence']));
    return String(await probe.read(250).catch(() => ''));
  } finally {
    probe.close();
  }
}

test('a transaction survives SIGKILL after its EXEC reply; wal cat shows it between MULTI and EXEC', async (t) => {
  const srv = await startServer();
  let again: ServerHandle | undefined;
  const c = await RawClient.connect(srv.port);
  t.after(async () => {
    c.close();
    await srv.kill();
    await again?.stop();
    cleanup(srv.dir);
  });
  const replies = await calls(c, [
    'SET before 1',
    'MULTI',
    'SET a 1',
    'INCR counter',
    'RPUSH list x y',
    'GET a',
    'DEL nosuch',
    'SELECT 2',
    'HSET h f v',
    'EXEC',
  ]);
  assert.equal(replies.at(-1), '*7\r\n+OK\r\n:1\r\n:2\r\n$1\r\n1\r\n:0\r\n+OK\r\n:1\r\n');
  // The reply above left once the transaction was durable: a SIGKILL now loses none of it.
  await srv.kill();

  const tx = walRecords(srv.dir).filter((r) => r.version === RECORD_VERSION_TRANSACTION);
  assert.equal(tx.length, 1, 'one transaction record');
  const lsn = tx[0]!.lsn;

  const text = await run(process.execPath, [TOOL, 'wal', 'cat', srv.dir]);
  assert.equal(text.code, 0, text.stderr);
  const lines = text.stdout.trimEnd().split('\n');
  const body = lines.map((l) => l.split(/ {2}/));
  // LSN, time, db=N, then the effect: the transaction's effects share its LSN, framed by MULTI and EXEC.
  assert.deepEqual(
    body.map((f) => [Number(f[0]), f[2], f[3]]),
    [
      [lsn - 1, 'db=0', 'SET before 1'],
      [lsn, 'db=2', 'MULTI (4 effects)'],
      [lsn, 'db=0', 'SET a 1'],
      [lsn, 'db=0', 'SET counter 1 KEEPTTL'],
      [lsn, 'db=0', 'RPUSH list x y'],
      [lsn, 'db=2', 'HSET h f v'],
      [lsn, 'db=2', 'EXEC'],
    ],
  );

  const json = await run(process.execPath, [TOOL, 'wal', 'cat', '--json', srv.dir]);
  assert.equal(json.code, 0, json.stderr);
  const rows = json.stdout
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(
    rows.map((r) => [r['lsn'], r['db'], r['command'], r['args'], r['transaction']]),
    [
      [lsn - 1, 0, 'SET', ['before', '1'], undefined],
      [lsn, 0, 'SET', ['a', '1'], { index: 0, effects: 4 }],
      [lsn, 0, 'SET', ['counter', '1', 'KEEPTTL'], { index: 1, effects: 4 }],
      [lsn, 0, 'RPUSH', ['list', 'x', 'y'], { index: 2, effects: 4 }],
      [lsn, 2, 'HSET', ['h', 'f', 'v'], { index: 3, effects: 4 }],
    ],
  );

  again = await startServer({ dir: srv.dir });
  const r = again.client();
  assert.deepEqual(await r.mget('before', 'a', 'counter'), ['1', '1', '1']);
  assert.deepEqual(await r.lrange('list', 0, -1), ['x', 'y']);
  await r.select(2);
  assert.deepEqual(await r.hgetall('h'), { f: 'v' });
});

test('a transaction larger than a WAL segment is one record in one segment and survives whole', async (t) => {
  const args = ['--wal-segment-size', '4096'];
  const srv = await startServer({ args });
  let again: ServerHandle | undefined;
  const c = await RawClient.connect(srv.port);
  t.after(async () => {
    c.close();
    await srv.kill();
    await again?.stop();
    cleanup(srv.dir);
  });
  const value = 'v'.repeat(1000);
  const keys = Array.from({ length: 10 }, (_, i) => `big:${i}`);
  await calls(c, ['SET before 1']);
  const replies = await calls(c, ['MULTI', ...keys.map((k) => `SET ${k} ${value}`), 'EXEC']);
  assert.equal(replies.at(-1), `*10\r\n${'+OK\r\n'.repeat(10)}`);
  await calls(c, ['SET after 2']);
  await srv.kill();
  const records = walRecords(srv.dir);
  const tx = records.filter((r) => r.version === RECORD_VERSION_TRANSACTION);
  assert.equal(tx.length, 1);
  assert.ok(tx[0]!.size > 10_000, `the record holds every effect (${tx[0]!.size} bytes)`);
  assert.ok(new Set(records.map((r) => r.path)).size >= 2, 'the segment rolled around the transaction');
  again = await startServer({ dir: srv.dir, args });
  const r = again.client();
  assert.deepEqual(await r.mget('before', ...keys, 'after'), ['1', ...keys.map(() => value), '2']);
});

test('a torn transaction record: recovery applies none of it and keeps what came before', async (t) => {
  const source = await startServer();
  const c = await RawClient.connect(source.port);
  const dirs: string[] = [source.dir];
  t.after(async () => {
    c.close();
    await source.kill();
    for (const d of dirs) cleanup(d);
  });
  const before = Array.from({ length: 20 }, (_, i) => `key:${i}`);
  for (const k of before) await c.call('SET', k, `value of ${k}`);
  const replies = await calls(c, [
    'MULTI',
    'SET t:a 1',
    'SET t:b 2',
    'INCR t:c',
    'RPUSH t:l x y z',
    'DEL key:0',
    'SELECT 3',
    'SET t:d 4',
    'EXEC',
  ]);
  assert.match(String(replies.at(-1)), /^\*7\r\n/);
  await source.kill();
  const records = walRecords(source.dir);
  const tx = records.at(-1)!;
  assert.equal(tx.version, RECORD_VERSION_TRANSACTION, 'the transaction is the last record');
  const segName = tx.path.slice(join(source.dir, 'wal').length + 1);

  /** Starts a server on a copy of the source directory after `damage`; returns what it recovered. */
  const recoverAfter = async (
    damage: (seg: string) => void,
  ): Promise<{ tx: unknown[]; before: unknown[]; logs: unknown[] }> => {
    const dir = tempDir();
    dirs.push(dir);
    cpSync(source.dir, dir, { recursive: true });
    rmSync(join(dir, 'LOCK'), { force: true });
    damage(join(dir, 'wal', segName));
    const srv = await startServer({ dir });
    try {
      const r = srv.client();
      const got = [...(await r.mget('t:a', 't:b', 't:c')), await r.exists('t:l'), await r.get('key:0')];
      await r.select(3);
      got.push(await r.get('t:d'));
      await r.select(0);
      return { tx: got, before: await r.mget(...before.slice(1)), logs: srv.logs };
    } finally {
      await srv.stop();
    }
  };
  const none = [null, null, null, 0, 'value of key:0', null];
  const all = ['1', '2', '1', 1, null, '4'];
  const intact = before.slice(1).map((k) => `value of ${k}`);

  const whole = await recoverAfter(() => {});
  assert.deepEqual(whole.tx, all, 'undamaged, the transaction is there whole');

  const cuts = [1, RECORD_HEADER_SIZE - 1, RECORD_HEADER_SIZE, RECORD_HEADER_SIZE + 1, (tx.size >> 1) + 3, tx.size - 1];
  for (const cut of cuts) {
    const got = await recoverAfter((seg) => truncateSync(seg, tx.offset + cut));
    assert.deepEqual(got.tx, none, `cut ${cut} bytes into the ${tx.size}-byte record: none of its effects`);
    assert.deepEqual(got.before, intact, `cut at +${cut}: the records before it are intact`);
    const line = got.logs.find((l) => (l as { msg?: string }).msg === 'truncated torn WAL tail') as
      | Record<string, unknown>
      | undefined;
    assert.ok(line, `cut at +${cut}: the truncation is logged`);
    assert.equal(line['offset'], tx.offset);
    assert.equal(line['bytes'], cut);
  }
  // The second half of the record never reached the disk (zeros), or reached it damaged.
  const zeroed = await recoverAfter((seg) => {
    const buf = readFileSync(seg);
    buf.fill(0, tx.offset + (tx.size >> 1), tx.offset + tx.size);
    writeFileSync(seg, buf);
  });
  assert.deepEqual(zeroed.tx, none, 'half zeros: none of its effects');
  assert.deepEqual(zeroed.before, intact);
  const flipped = await recoverAfter((seg) => {
    const buf = readFileSync(seg);
    buf[tx.offset + tx.size - 3]! ^= 0x5a;
    writeFileSync(seg, buf);
  });
  assert.deepEqual(flipped.tx, none, 'a flipped byte in its last effect: none of its effects');
  assert.deepEqual(flipped.before, intact);
});

/**
 * Snapshot stages `crash-at` can stop the server at (docs/RELIABILITY.md):
 * before anything is copied, copied but not synced, the manifest written but
 * not renamed, and committed before the WAL is trimmed.
 */
const SNAPSHOT_STAGES = ['snapshot-frozen', 'snapshot-copied', 'snapshot-manifest-written', 'snapshot-committed'];

test('a crash at a stage of a snapshot taken among transactions leaves each transaction whole or absent', async (t) => {
  const dirs: string[] = [];
  t.after(() => {
    for (const d of dirs) cleanup(d);
  });
  for (const stage of SNAPSHOT_STAGES) {
    const srv = await startServer({ env: { FLASHCACHE_FAULTS: `crash-at=${stage}` } });
    dirs.push(srv.dir);
    const [c, c2] = await Promise.all([RawClient.connect(srv.port), RawClient.connect(srv.port)]);
    let again: ServerHandle | undefined;
    try {
      await calls(c, ['MSET acct:a 100 acct:b 100']);
      const a = await calls(c, ['MULTI', 'DECRBY acct:a 10', 'INCRBY acct:b 10', 'SET m:A 10', 'EXEC']);
      assert.equal(a.at(-1), '*3\r\n:90\r\n:110\r\n+OK\r\n', stage);
      // The snapshot covers transaction A; five more are sent right behind BGSAVE, before or during the snapshot.
      c.write(encodeCommand(['BGSAVE']));
      const tx = (i: number): string[][] => [
        ['MULTI'],
        ['DECRBY', 'acct:a', '5'],
        ['INCRBY', 'acct:b', '5'],
        ['SET', `m:B${i}`, '5'],
        ['EXEC'],
      ];
      for (let i = 0; i < 5; i++) for (const cmd of tx(i)) c2.write(encodeCommand(cmd));
      const acked: string[] = [];
      for (let i = 0; i < 5; i++) {
        const replies = [];
        for (let j = 0; j < 5; j++) replies.push(await c2.read(20_000));
        if (replies.at(-1) === null) break;
        assert.match(String(replies.at(-1)), /^\*3\r\n:\d+\r\n:\d+\r\n\+OK\r\n$/, `${stage}: transaction B${i}`);
        acked.push(`m:B${i}`);
      }
      assert.equal(await srv.exited, 128, `${stage}: the server crashed there`);
      again = await startServer({ dir: srv.dir });
      const r = again.client();
      const [balanceA, balanceB] = await r.mget('acct:a', 'acct:b');
      const present = (await r.keys('m:*')).sort();
      const moved = present.reduce((s, m) => s + (m === 'm:A' ? 10 : 5), 0);
      assert.ok(present.includes('m:A'), `${stage}: transaction A, acknowledged before the snapshot, is there`);
      for (const m of acked) assert.ok(present.includes(m), `${stage}: acknowledged ${m} is there`);
      assert.deepEqual(
        [Number(balanceA), Number(balanceB)],
        [100 - moved, 100 + moved],
        `${stage}: ${present.join(' ')}`,
      );
      t.diagnostic(
        `${stage}: ${acked.length} of 5 transactions sent behind BGSAVE acknowledged, ${present.length - 1} recovered`,
      );
    } finally {
      c.close();
      c2.close();
      await srv.kill();
      await again?.stop();
    }
  }
});

test('BGSAVE inside EXEC snapshots after the transaction: a restart applies it exactly once', async (t) => {
  const srv = await startServer();
  let again: ServerHandle | undefined;
  const c = await RawClient.connect(srv.port);
  t.after(async () => {
    c.close();
    await srv.kill();
    await again?.stop();
    cleanup(srv.dir);
  });
  const r = await calls(c, ['RPUSH l a', 'MULTI', 'INCR n', 'RPUSH l b', 'BGSAVE', 'INCR n', 'RPUSH l c', 'EXEC']);
  assert.equal(r.at(-1), '*5\r\n:1\r\n:2\r\n+Background saving scheduled\r\n:2\r\n:3\r\n');
  const lastLsn = Math.max(...walRecords(srv.dir).map((x) => x.lsn));
  await waitFor(
    async () => new RegExp(`snapshot_covered_lsn:${lastLsn}\r`).test(await probeInfo(srv.port)),
    10_000,
    'the scheduled snapshot to cover the transaction',
  );
  await srv.kill();
  again = await startServer({ dir: srv.dir });
  const client = again.client();
  assert.equal(await client.get('n'), '2');
  assert.deepEqual(await client.lrange('l', 0, -1), ['a', 'b', 'c']);
});

/** A server whose WAL writes fail with ENOSPC while `flag` exists, and the flag's path. */
async function failingDisk(t: { after(fn: () => Promise<void>): void }): Promise<{ srv: ServerHandle; flag: string }> {
  const switchDir = tempDir();
  const flag = join(switchDir, 'disk-full');
  const srv = await startServer({ env: { FLASHCACHE_FAULTS: `wal-write=ENOSPC@${flag}` } });
  t.after(async () => {
    await srv.kill();
    cleanup(srv.dir);
    cleanup(switchDir);
  });
  return { srv, flag };
}

/** Waits until the server reports the WAL failure (asked on fresh connections). */
async function waitForFailure(port: number): Promise<void> {
  await waitFor(async () => /wal_write_status:err/.test(await probeInfo(port)), 5000, 'the WAL to report the failure');
}

test('disk full: EXECABORT MISCONF once the failure is known; an EXEC in the failing batch waits', async (t) => {
  const { srv, flag } = await failingDisk(t);
  const [inBatch, queuedBefore, queuedDuring, readOnly, after] = await Promise.all(
    Array.from({ length: 5 }, () => RawClient.connect(srv.port)),
  );
  t.after(() => {
    for (const c of [inBatch, queuedBefore, queuedDuring, readOnly, after]) c?.close();
  });
  assert.equal(await inBatch!.call('SET', 'before', '1'), '+OK\r\n');
  // Queued while the disk is fine, to be sent once its failure is known.
  assert.deepEqual(await calls(queuedBefore!, ['MULTI', 'SET x 1', 'INCR n']), [
    '+OK\r\n',
    '+QUEUED\r\n',
    '+QUEUED\r\n',
  ]);
  assert.deepEqual(await calls(readOnly!, ['MULTI', 'GET before']), ['+OK\r\n', '+QUEUED\r\n']);
  assert.deepEqual(await calls(inBatch!, ['MULTI', 'SET a 1', 'SET b 2']), ['+OK\r\n', '+QUEUED\r\n', '+QUEUED\r\n']);

  writeFileSync(flag, '');
  inBatch!.write(encodeCommand(['EXEC']));
  let execReply: string | null = null;
  const execRead = inBatch!.read(30_000).then((r) => (execReply = r));
  execRead.catch(() => {});
  await waitForFailure(srv.port);
  assert.equal(execReply, null, 'the EXEC whose record the disk refused is not acknowledged');

  // EXEC of a transaction with writes, queued before the failure was known: refused whole.
  assert.equal(
    await queuedBefore!.call('EXEC'),
    '-EXECABORT Transaction discarded because of: MISCONF Errors writing to the AOF file: No space left on device\r\n',
  );
  assert.equal(await queuedBefore!.call('PING'), '+PONG\r\n', 'out of MULTI');
  // A write queued while the failure is known is refused at once, and EXEC then aborts.
  assert.deepEqual(await calls(queuedDuring!, ['MULTI', 'SET y 1', 'GET before', 'EXEC']), [
    '+OK\r\n',
    '-MISCONF Errors writing to the AOF file: No space left on device\r\n',
    '+QUEUED\r\n',
    '-EXECABORT Transaction discarded because of previous errors.\r\n',
  ]);
  // An EXEC of reads only is not refused.
  readOnly!.write(encodeCommand(['EXEC']));
  const readOnlyReply = readOnly!.read(30_000);
  readOnlyReply.catch(() => {});
  assert.equal(execReply, null, 'still not acknowledged');

  rmSync(flag);
  assert.equal(await execRead, '*2\r\n+OK\r\n+OK\r\n', 'acknowledged once the disk takes its record');
  assert.equal(await readOnlyReply, '*1\r\n$1\r\n1\r\n');
  await waitFor(async () => /wal_write_status:ok/.test(await probeInfo(srv.port)), 5000, 'the WAL to recover');
  assert.deepEqual(await calls(after!, ['MULTI', 'SET c 3', 'INCR n', 'EXEC']), [
    '+OK\r\n',
    '+QUEUED\r\n',
    '+QUEUED\r\n',
    '*2\r\n+OK\r\n:1\r\n',
  ]);

  await srv.kill();
  const again = await startServer({ dir: srv.dir });
  t.after(() => again.stop().then(() => {}));
  const r = again.client();
  assert.deepEqual(await r.mget('before', 'a', 'b', 'c', 'n', 'x', 'y'), ['1', '1', '2', '3', '1', null, null]);
});

test('disk full during EXEC, SIGKILL before it recovers: the unacknowledged EXEC is all or nothing', async (t) => {
  const { srv, flag } = await failingDisk(t);
  const c = await RawClient.connect(srv.port);
  t.after(() => c.close());
  assert.equal(await c.call('SET', 'before', '1'), '+OK\r\n');
  assert.deepEqual(await calls(c, ['MULTI', 'SET a 1', 'SET b 2', 'RPUSH l x']), [
    '+OK\r\n',
    '+QUEUED\r\n',
    '+QUEUED\r\n',
    '+QUEUED\r\n',
  ]);
  writeFileSync(flag, '');
  c.write(encodeCommand(['EXEC']));
  let execReply: string | null = null;
  c.read(30_000).then(
    (r) => (execReply = r),
    () => {},
  );
  await waitForFailure(srv.port);
  await srv.kill();
  assert.equal(execReply, null, 'never acknowledged');
  const again = await startServer({ dir: srv.dir });
  t.after(() => again.stop().then(() => {}));
  const r = again.client();
  const got = [...(await r.mget('before', 'a', 'b')), await r.llen('l')];
  t.diagnostic(`after the restart: ${JSON.stringify(got)}`);
  assert.equal(got[0], '1');
  assert.ok(
    JSON.stringify(got.slice(1)) === JSON.stringify([null, null, 0]) ||
      JSON.stringify(got.slice(1)) === JSON.stringify(['1', '2', 1]),
    `all or nothing: ${JSON.stringify(got)}`,
  );
});

const ACCOUNTS = 10;
const INITIAL = 1000;
const KILLS = 20;
const CLIENTS = 4;
const LANES = 3;

/** One transfer: `amount` from account `from` to account `to`, with its marker key written in the same EXEC. */
interface Transfer {
  from: number;
  to: number;
  amount: number;
}

/** What the torture knows: every transfer sent, by marker, and those whose EXEC was acknowledged. */
interface Ledger {
  sent: Map<string, Transfer>;
  acked: Set<string>;
  inFlight: number;
}

const account = (i: number): string => `acct:${i}`;

/**
 * One client sending transfers on LANES lanes of one connection, each lane a
 * MULTI/EXEC after the other (ioredis's multi(): MULTI, the commands and
 * EXEC written at once), until the connection dies.
 */
async function transferClient(
  port: number,
  id: number,
  round: number,
  rand: () => number,
  ledger: Ledger,
): Promise<number> {
  const redis = new Redis({
    port,
    host: '127.0.0.1',
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  redis.on('error', () => {});
  await new Promise<void>((r, reject) => {
    redis.once('ready', () => r());
    redis.once('end', () => reject(new Error('connection ended before ready')));
  }).catch(() => {});
  let seq = 0;
  let acked = 0;
  const lane = async (): Promise<void> => {
    for (;;) {
      const from = Math.floor(rand() * ACCOUNTS);
      const to = (from + 1 + Math.floor(rand() * (ACCOUNTS - 1))) % ACCOUNTS;
      const amount = 1 + Math.floor(rand() * 50);
      const marker = `m:${round}:${id}:${seq++}`;
      ledger.sent.set(marker, { from, to, amount });
      ledger.inFlight++;
      try {
        const res = await redis
          .multi()
          .decrby(account(from), amount)
          .incrby(account(to), amount)
          .set(marker, `${from}>${to}:${amount}`)
          .exec();
        assert.ok(res !== null, 'no WATCH, so EXEC never fails');
        for (const [err] of res) assert.equal(err, null);
        ledger.acked.add(marker);
        acked++;
      } finally {
        ledger.inFlight--;
      }
    }
  };
  await Promise.allSettled(Array.from({ length: LANES }, lane));
  redis.disconnect();
  return acked;
}

/**
 * Checks a restarted server against the ledger: the total is unchanged;
 * every acknowledged marker exists; every marker that exists was sent; and
 * each balance is exactly what the transfers whose markers exist make it, so
 * no transfer is there in part.
 *
 * @returns how many markers exist
 */
async function checkLedger(r: Redis, ledger: Ledger, when: string): Promise<number> {
  const balances = (await r.mget(...Array.from({ length: ACCOUNTS }, (_, i) => account(i)))).map(Number);
  assert.equal(
    balances.reduce((s, b) => s + b, 0),
    ACCOUNTS * INITIAL,
    `${when}: the total is unchanged (${balances.join(' ')})`,
  );
  const markers = await r.keys('m:*');
  const expected = Array.from({ length: ACCOUNTS }, () => INITIAL);
  for (let i = 0; i < markers.length; i += 1000) {
    const batch = markers.slice(i, i + 1000);
    const values = await r.mget(...batch);
    batch.forEach((m, j) => {
      const tr = ledger.sent.get(m);
      assert.ok(tr, `${when}: marker ${m} was sent`);
      assert.equal(values[j], `${tr.from}>${tr.to}:${tr.amount}`);
      expected[tr.from]! -= tr.amount;
      expected[tr.to]! += tr.amount;
    });
  }
  const present = new Set(markers);
  const lost = [...ledger.acked].filter((m) => !present.has(m));
  assert.deepEqual(lost, [], `${when}: every acknowledged transfer is there`);
  assert.deepEqual(balances, expected, `${when}: the balances are those of the transfers whose markers exist`);
  return markers.length;
}

test('SIGKILL torture: MULTI/EXEC transfers never show half a transaction and lose nothing acknowledged', async (t) => {
  const started = Date.now();
  const seed = testSeed('multi torture');
  const rand = prng(seed);
  const dir = tempDir();
  // Small segments and snapshots every 16 KiB of WAL (about 100 transfers, so even a loaded machine's
  // slowest run takes several): kills land on segment rolls and snapshots too.
  const args = ['--appendfsync', 'always', '--wal-segment-size', '65536', '--snapshot-wal-bytes', '16384'];
  let srv: ServerHandle | undefined;
  t.after(async () => {
    await srv?.kill();
    cleanup(dir);
  });
  const ledger: Ledger = { sent: new Map(), acked: new Set(), inFlight: 0 };
  const inFlightAtKill: number[] = [];
  let snapshotsSeen = 0;
  let committedUnacked = 0;
  for (let round = 0; round <= KILLS; round++) {
    srv = await startServer({ dir, args });
    const r = srv.client();
    if (round === 0) {
      await r.mset(Object.fromEntries(Array.from({ length: ACCOUNTS }, (_, i) => [account(i), String(INITIAL)])));
    } else {
      const markers = await checkLedger(r, ledger, `after kill ${round}`);
      committedUnacked = markers - ledger.acked.size;
    }
    const info = await r.info('persistence');
    snapshotsSeen = Math.max(snapshotsSeen, Number(/snapshot_seq:(\d+)/.exec(info)?.[1] ?? 0));
    r.disconnect();
    if (round === KILLS) break;
    const clients = Array.from({ length: CLIENTS }, (_, id) => transferClient(srv!.port, id, round, rand, ledger));
    // Kill once traffic is flowing, at a random moment after it started.
    const ackedBefore = ledger.acked.size;
    await waitFor(() => ledger.acked.size > ackedBefore, 10_000, 'the first acknowledged transfer');
    await new Promise((res) => setTimeout(res, 50 + rand() * 400));
    inFlightAtKill.push(ledger.inFlight);
    await srv.kill();
    await Promise.all(clients);
  }
  await srv?.stop();
  srv = undefined;
  const seconds = (Date.now() - started) / 1000;
  process.stdout.write(
    `# multi torture: ${KILLS} kills, ${ledger.sent.size} transfers sent, ${ledger.acked.size} acknowledged, ` +
      `${committedUnacked} committed without acknowledgement, in flight at the kills: ${inFlightAtKill.join(' ')}, ` +
      `snapshot seq ${snapshotsSeen}, ${seconds.toFixed(1)} s\n`,
  );
  assert.ok(ledger.acked.size > KILLS * 20, `${ledger.acked.size} transfers acknowledged`);
  assert.ok(
    inFlightAtKill.filter((n) => n > 0).length >= KILLS * 0.8,
    `most kills hit transfers in flight: ${inFlightAtKill.join(' ')}`,
  );
  assert.ok(snapshotsSeen > 0, 'snapshots were taken during the torture');
});
