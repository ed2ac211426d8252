/**
 * Snapshots: restart from snapshot plus WAL tail, a crash at every stage of
 * taking one, damaged manifests and pages, a lost pages.dat, the triggers,
 * and cost proportional to dirty pages.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChainableCommander, Redis } from 'ioredis';
import { cleanup, startServer, waitFor, type ServerHandle } from '../helpers/server.js';
import { dumpKeyspace, sorted, type KeyState } from '../helpers/keyspace.js';
import { listManifests, readManifest } from '../../src/persistence/snapshot/manifest.js';
import { PAGE_SIZE } from '../../src/store/arena.js';

/**
 * A model of what the server should hold: `db:key` → state. Changes are
 * queued on a pipeline and sent by {@link Model.flush}; every reply is
 * checked, so the model holds exactly the acknowledged writes.
 */
class Model {
  readonly keys = new Map<string, KeyState>();
  private queue: ((p: ChainableCommander) => void)[] = [];

  set(db: number, key: string, value: string, expireAt = -1): void {
    this.queue.push((p) => (p.select(db), expireAt > 0 ? p.set(key, value, 'PXAT', expireAt) : p.set(key, value)));
    this.keys.set(`${db}:${key}`, { value, expireAt });
  }

  del(db: number, key: string): void {
    this.queue.push((p) => p.select(db).del(key));
    this.keys.delete(`${db}:${key}`);
  }

  append(db: number, key: string, more: string): void {
    this.queue.push((p) => p.select(db).append(key, more));
    const cur = this.keys.get(`${db}:${key}`);
    this.keys.set(`${db}:${key}`, { value: (cur?.value ?? '') + more, expireAt: cur?.expireAt ?? -1 });
  }

  /** Sends the queued changes; throws if any was not acknowledged. */
  async flush(r: Redis): Promise<void> {
    const p = r.pipeline();
    for (const q of this.queue) q(p);
    this.queue = [];
    for (const [err] of (await p.exec())!) if (err) throw err;
    await r.select(0);
  }

  /** The model as the server should show it at `now` (expired keys gone). */
  live(now = Date.now()): [string, KeyState][] {
    return sorted(new Map([...this.keys].filter(([, s]) => s.expireAt < 0 || s.expireAt > now)));
  }
}

async function check(srv: ServerHandle, model: Model, what: string): Promise<void> {
  const r = srv.client();
  assert.deepEqual(sorted(await dumpKeyspace(r)), model.live(), what);
  r.disconnect();
}

/** Writes a spread of data: every database, small and large values, TTLs. */
async function fill(r: Redis, model: Model, round: number): Promise<void> {
  const far = Date.now() + 3_600_000;
  for (let db = 0; db < 16; db++) {
    for (let i = 0; i < 40; i++) {
      model.set(
        db,
        `k${i}`,
        `r${round}-db${db}-${i}-${'v'.repeat((i * 37 + round) % 300)}`,
        i % 5 === 0 ? far + i : -1,
      );
    }
  }
  model.set(3, `large${round}`, 'L'.repeat(300_000 + round));
  model.set(0, 'huge', 'H'.repeat(PAGE_SIZE + 1000 + round));
  await model.flush(r);
}

/** Changes some of it: overwrites of other sizes, deletes, appends. */
async function churn(r: Redis, model: Model, round: number): Promise<void> {
  for (let db = 0; db < 16; db += 3) {
    for (let i = 0; i < 40; i += 4) model.set(db, `k${i}`, `churn${round}-${'c'.repeat(i * 11)}`);
    model.del(db, 'k1');
    model.append(db, 'k2', `+${round}`);
  }
  await model.flush(r);
}

test('restart loads the snapshot and replays only the WAL after it', async () => {
  const model = new Model();
  let srv = await startServer();
  const dir = srv.dir;
  let r = srv.client();
  await fill(r, model, 1);
  assert.equal(await r.save(), 'OK');
  await churn(r, model, 2);
  const soon = Date.now() + 300;
  model.set(5, 'expires-while-down', 'gone', soon);
  model.set(15, 'ttl-survives', 'kept', Date.now() + 3_600_000);
  await model.flush(r);
  assert.equal(await r.bgsave(), 'Background saving started');
  await waitFor(async () => /snapshots_completed:2/.test(await r.info('persistence')), 10_000, 'BGSAVE');
  await churn(r, model, 3);
  const info = await r.info('persistence');
  const lsn = Number(/wal_last_lsn:(\d+)/.exec(info)![1]);
  const covered = Number(/snapshot_covered_lsn:(\d+)/.exec(info)![1]);
  await srv.kill();
  await waitFor(() => Date.now() > soon + 20, 5000, 'the short TTL to pass');

  srv = await startServer({ dir });
  r = srv.client();
  const after = await r.info('persistence');
  assert.match(after, /recovery_snapshot_seq:2\r/);
  assert.equal(
    Number(/recovery_records_replayed:(\d+)/.exec(after)![1]),
    lsn - covered,
    'only the WAL tail is replayed',
  );
  await check(srv, model, 'after a crash');
  const summary = srv.logs.find((l) => String(l.msg).startsWith('recovered '));
  assert.ok(
    summary &&
      typeof summary.keys === 'number' &&
      typeof summary.pages === 'number' &&
      typeof summary.seconds === 'number',
  );
  await srv.stop();

  // A clean shutdown takes a snapshot: nothing to replay next time.
  srv = await startServer({ dir });
  assert.match(await srv.client().info('persistence'), /recovery_records_replayed:0\r/);
  await check(srv, model, 'after a clean restart');
  await srv.stop();
  cleanup(dir);
});

const STAGES = [
  'snapshot-frozen',
  'snapshot-copying',
  'snapshot-copied',
  'snapshot-pages-synced',
  'snapshot-manifest-written',
  'snapshot-committed',
  'snapshot-wal-trimmed',
];

test('a crash at any stage of a snapshot loses no acknowledged write', async () => {
  for (const stage of STAGES) {
    const model = new Model();
    // Small segments so that snapshots also delete WAL segments.
    const args = ['--wal-segment-size', '64kb'];
    let srv = await startServer({ args });
    const dir = srv.dir;
    let r = srv.client();
    await fill(r, model, 1);
    await r.save();
    await churn(r, model, 2);
    await r.save();
    await churn(r, model, 3);
    await srv.kill();

    srv = await startServer({ dir, args, env: { FLASHCACHE_FAULTS: `crash-at=${stage}` } });
    r = srv.client({ retryStrategy: () => null });
    await churn(r, model, 4);
    await fill(r, model, 5);
    // The earliest stages are reached inside BGSAVE itself, before its reply.
    await r.bgsave().catch(() => {});
    assert.equal(await srv.exited, 128, `${stage}: the fault hook killed the server`);

    srv = await startServer({ dir, args });
    await check(srv, model, `after a crash at ${stage}`);
    // And the directory is healthy for the snapshots that follow.
    r = srv.client();
    await churn(r, model, 6);
    await r.save();
    await srv.kill();
    srv = await startServer({ dir, args });
    await check(srv, model, `after a crash at ${stage}, one more snapshot and a crash`);
    await srv.stop();
    cleanup(dir);
  }
});

/** A data directory with two snapshots and WAL after them. */
async function twoSnapshots(args: string[] = []): Promise<{ dir: string; model: Model }> {
  const model = new Model();
  const srv = await startServer({ args });
  const r = srv.client();
  await fill(r, model, 1);
  await r.save();
  await churn(r, model, 2);
  await r.save();
  await churn(r, model, 3);
  await srv.kill();
  return { dir: srv.dir, model };
}

test('a damaged newest MANIFEST falls back to the previous snapshot', async () => {
  const { dir, model } = await twoSnapshots();
  const snap = join(dir, 'snapshot');
  const [newest] = listManifests(snap);
  const path = join(snap, `MANIFEST-${String(newest).padStart(20, '0')}`);
  const bytes = readFileSync(path);
  bytes[60]! ^= 0xff;
  writeFileSync(path, bytes);
  const srv = await startServer({ dir });
  await check(srv, model, 'after falling back');
  assert.ok(srv.logs.some((l) => /is damaged: checksum mismatch/.test(String(l.msg))));
  assert.ok(srv.logs.some((l) => /fell back to the older snapshot/.test(String(l.msg))));
  assert.ok(
    readdirSync(snap).some((n) => n.endsWith('.damaged')),
    'the damaged manifest is set aside',
  );
  await srv.stop();
  cleanup(dir);
});

test('a damaged page is reported with its slot and checksum, and the older snapshot is used', async () => {
  const { dir, model } = await twoSnapshots();
  const snap = join(dir, 'snapshot');
  const [newest] = listManifests(snap);
  const m = readManifest(snap, newest!);
  // A page written by the newest snapshot only: its slot is not shared with the older one.
  const older = readManifest(snap, listManifests(snap)[1]!);
  const olderSlots = new Set([...older.pages.values()].flatMap((p) => p.frames));
  const page = [...m.pages.values()].find((p) => p.used > 100 && !olderSlots.has(p.frames[0]!))!;
  const pages = readFileSync(join(snap, 'pages.dat'));
  pages[page.frames[0]! * PAGE_SIZE + 50]! ^= 0x01;
  writeFileSync(join(snap, 'pages.dat'), pages);
  const srv = await startServer({ dir });
  await check(srv, model, 'after a damaged page');
  const line = srv.logs.find((l) => /has a damaged page/.test(String(l.msg)));
  assert.ok(line, 'the damaged page is logged');
  assert.equal(line.page, page.id);
  assert.deepEqual(line.slots, page.frames);
  assert.equal(line.expected, page.crc.toString(16).padStart(8, '0'));
  await srv.stop();
  cleanup(dir);
});

test('a lost pages.dat falls back to the WAL alone while it reaches back to LSN 1', async () => {
  const { dir, model } = await twoSnapshots();
  rmSync(join(dir, 'snapshot', 'pages.dat'));
  const srv = await startServer({ dir });
  await check(srv, model, 'from the WAL alone');
  assert.ok(srv.logs.some((l) => /pages.dat is missing/.test(String(l.msg))));
  assert.ok(srv.logs.some((l) => /falling back to the WAL alone/.test(String(l.msg))));
  await srv.stop();
  cleanup(dir);
});

test('a lost pages.dat after the WAL was trimmed stops start-up with a clear message', async () => {
  const { dir } = await twoSnapshots(['--wal-segment-size', '16kb']);
  // A third snapshot trims the WAL up to the second one.
  const srv0 = await startServer({ dir, args: ['--wal-segment-size', '16kb'] });
  await srv0.client().set('x', 'y');
  await srv0.client().save();
  await srv0.kill();
  assert.ok(!readdirSync(join(dir, 'wal')).includes('00000000000000000001.wal'), 'the first segment was deleted');
  rmSync(join(dir, 'snapshot', 'pages.dat'));
  const srv = await startServer({ dir, expectExit: true });
  assert.equal(srv.exitCode, 1);
  const fatal = srv.logs.find((l) => l.level === 60);
  assert.match(
    String(fatal?.msg),
    /no usable snapshot .*pages.dat is missing.* the WAL no longer reaches back to LSN 1/,
  );
  cleanup(dir);
});

test('a snapshot writes only the pages changed since the last one', async () => {
  const srv = await startServer();
  const r = srv.client();
  const value = 'x'.repeat(1000);
  for (let i = 0; i < 20_000; i += 500) {
    await r.mset(...Array.from({ length: 500 }, (_, j) => [`key:${i + j}`, value]).flat());
  }
  await r.save();
  const first = await r.info('persistence');
  const total = Number(/snapshot_pages:(\d+)/.exec(first)![1]);
  assert.ok(total >= 19, `${total} pages`);
  await r.set('key:7', 'y'.repeat(1000));
  await r.set('key:8', 'z');
  await r.save();
  const second = await r.info('persistence');
  const written = Number(/snapshot_last_pages_written:(\d+)/.exec(second)![1]);
  assert.ok(written >= 1 && written <= 3, `second snapshot wrote ${written} of ${total} pages`);
  await srv.stop();
  cleanup(srv.dir);
});

test('snapshot-wal-bytes and snapshot-interval trigger snapshots; LASTSAVE moves', async () => {
  const srv = await startServer({ args: ['--snapshot-wal-bytes', '256kb', '--snapshot-interval', '0'] });
  const r = srv.client();
  const before = await r.lastsave();
  await r.mset(...Array.from({ length: 400 }, (_, i) => [`w${i}`, 'v'.repeat(1000)]).flat());
  await waitFor(async () => /snapshots_completed:1\r/.test(await r.info('persistence')), 5000, 'the WAL-size trigger');
  await srv.waitForLog((l) => l.reason === 'snapshot-wal-bytes', 5000);
  assert.equal(await r.config('SET', 'snapshot-wal-bytes', '0', 'snapshot-interval', '1'), 'OK');
  await r.set('after', '1');
  await waitFor(async () => /snapshots_completed:2\r/.test(await r.info('persistence')), 5000, 'the interval trigger');
  await srv.waitForLog((l) => l.reason === 'snapshot-interval', 5000);
  assert.ok((await r.lastsave()) >= before);
  await srv.stop();
  cleanup(srv.dir);
});

test('a clean shutdown saves the index with its snapshot; the next start adopts it, a damaged one is rebuilt', async () => {
  const model = new Model();
  let srv = await startServer();
  const dir = srv.dir;
  await fill(srv.client(), model, 1);
  await srv.stop();
  const snap = join(dir, 'snapshot');
  const indexFile = readdirSync(snap).find((n) => n.startsWith('INDEX-'));
  assert.ok(indexFile, 'INDEX file written at shutdown');

  srv = await startServer({ dir });
  assert.equal(srv.logs.find((l) => String(l.msg).startsWith('recovered '))?.index, 'saved');
  await check(srv, model, 'with the saved index');
  await churn(srv.client(), model, 2);
  await srv.kill();

  // A crash after more writes: the saved index still matches its snapshot; the WAL tail replays on top.
  srv = await startServer({ dir });
  assert.equal(srv.logs.find((l) => String(l.msg).startsWith('recovered '))?.index, 'saved');
  await check(srv, model, 'saved index plus WAL tail');
  await srv.client().save();
  assert.ok(!readdirSync(snap).some((n) => n.startsWith('INDEX-')), 'a new snapshot removes the stale index');
  await srv.stop();

  const fresh = readdirSync(snap).find((n) => n.startsWith('INDEX-'))!;
  const bytes = readFileSync(join(snap, fresh));
  bytes[bytes.length - 5]! ^= 0xff;
  writeFileSync(join(snap, fresh), bytes);
  srv = await startServer({ dir });
  assert.ok(srv.logs.some((l) => l.msg === 'saved index unusable; rebuilding it from the snapshot'));
  assert.equal(srv.logs.find((l) => String(l.msg).startsWith('recovered '))?.index, 'rebuilt');
  await check(srv, model, 'with a rebuilt index');
  await srv.stop();
  cleanup(dir);
});
