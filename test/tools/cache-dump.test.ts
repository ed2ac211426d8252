/**
 * cache-dump against real files written by the server: fixtures/ holds a
 * clean data directory, a WAL with a torn tail, one with a flipped byte
 * mid-segment, and a snapshot with a damaged page, plus the golden output of
 * every command over them. The test runs the built CLI as a user would and
 * fails when the output changes; after an intended change (a format or an
 * output format), regenerate with `FLASHCACHE_REGEN_FIXTURES=1 npm test`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  appendFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLI, cleanup, redisCli, run, startServer, tempDir, waitFor, type RunResult } from '../helpers/server.js';
import { trackChild } from '../helpers/children.js';
import { dumpKeyspace, sorted } from '../helpers/keyspace.js';
import { listManifests, manifestName, readManifest } from '../../src/persistence/snapshot/manifest.js';
import { MANIFEST_VERSION, REC, RECORD_VERSION, SEG, SEGMENT_VERSION } from '../../src/persistence/format.js';
import { scanSegmentFile } from '../../src/persistence/wal/reader.js';
import { listSegments } from '../../src/persistence/wal/segment.js';
import { PAGE_SIZE } from '../../src/store/arena.js';
import { loadSegment } from '../../tools/dump/wal.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const FIXTURES = join(ROOT, 'fixtures', 'data');
const GOLDEN = join(ROOT, 'fixtures', 'golden');
const TOOL = join(ROOT, 'dist', 'tools', 'cache-dump.js');
const REGEN = process.env['FLASHCACHE_REGEN_FIXTURES'] === '1';

/** Runs cache-dump with `args` from the fixtures directory. */
function dump(args: string[], input?: string): Promise<RunResult> {
  return run(process.execPath, [TOOL, ...args], input, {});
}

/** Copies a data directory without its LOCK, trimming pages.dat to the slots the manifests use. */
function copyDataDir(from: string, to: string): void {
  rmSync(to, { recursive: true, force: true });
  mkdirSync(to, { recursive: true });
  cpSync(join(from, 'wal'), join(to, 'wal'), { recursive: true });
  cpSync(join(from, 'snapshot'), join(to, 'snapshot'), { recursive: true });
  const snap = join(to, 'snapshot');
  const slots = listManifests(snap).flatMap((seq) =>
    [...readManifest(snap, seq).pages.values()].flatMap((p) => p.frames),
  );
  truncateSync(join(snap, 'pages.dat'), (Math.max(...slots) + 1) * PAGE_SIZE);
}

/** Writes the fixture data directories with the real server. */
async function generateFixtures(): Promise<void> {
  const srv = await startServer();
  const r = srv.client();
  await r.set('greeting', 'hello');
  await r.set('counter', '41');
  await r.incr('counter');
  await r.set('session:1', '{"user":42}', 'PXAT', 4102444800000);
  await r.select(3);
  await r.set(Buffer.from([0, 1, 2]), Buffer.from([0xff, 0, 0xfe]));
  await r.set('tags', 'a b c');
  await r.select(0);
  await r.set('big', 'x'.repeat(600_000));
  await r.save();
  // A WAL tail after the snapshot.
  await r.append('greeting', ', world');
  await r.pexpireat('counter', 4102444800000);
  await r.del('big');
  await r.rename('session:1', 'session:2');
  await srv.kill();
  const clean = join(FIXTURES, 'clean');
  copyDataDir(srv.dir, clean);
  cleanup(srv.dir);

  const last = (dir: string): string => {
    const segs = listSegments(join(dir, 'wal')).filter((s) => s.bytes > 32);
    return join(dir, 'wal', segs[segs.length - 1]!.name);
  };
  // A torn tail: the last record cut in half.
  const torn = join(FIXTURES, 'wal-torn');
  copyDataDir(clean, torn);
  const tornSeg = last(torn);
  const tornRecs = scanSegmentFile(tornSeg).records;
  const lastRec = tornRecs[tornRecs.length - 1]!;
  truncateSync(tornSeg, lastRec.offset + Math.floor(lastRec.size / 2));
  // A flipped byte in the first record's payload of a segment with records after it.
  const corrupt = join(FIXTURES, 'wal-corrupt');
  copyDataDir(clean, corrupt);
  const seg = last(corrupt);
  const bytes = readFileSync(seg);
  const first = scanSegmentFile(seg).records[0]!;
  bytes[first.offset + 30]! ^= 0x40;
  writeFileSync(seg, bytes);
  // A damaged page in the newest snapshot.
  const snapDamaged = join(FIXTURES, 'snapshot-damaged');
  copyDataDir(clean, snapDamaged);
  const snap = join(snapDamaged, 'snapshot');
  const m = readManifest(snap, listManifests(snap)[0]!);
  const page = [...m.pages.values()][0]!;
  const pages = readFileSync(join(snap, 'pages.dat'));
  pages[page.frames[0]! * PAGE_SIZE + 20]! ^= 0x01;
  writeFileSync(join(snap, 'pages.dat'), pages);
}

test('the fixtures are in the formats this build writes (regenerate them after a format change)', () => {
  const clean = join(FIXTURES, 'clean');
  for (const seg of listSegments(join(clean, 'wal'))) {
    const buf = readFileSync(join(clean, 'wal', seg.name));
    assert.equal(buf.readUInt16LE(SEG.version), SEGMENT_VERSION, `${seg.name}: segment version`);
    for (const rec of scanSegmentFile(join(clean, 'wal', seg.name)).records) {
      assert.equal(buf[rec.offset + REC.version], RECORD_VERSION, `${seg.name}@${rec.offset}: record version`);
    }
  }
  const snap = join(clean, 'snapshot');
  for (const seq of listManifests(snap)) {
    assert.equal(readFileSync(join(snap, manifestName(seq))).readUInt16LE(8), MANIFEST_VERSION);
  }
});

/** Every command the golden files cover: name → arguments (paths relative to fixtures/data). */
const CASES: [string, string[]][] = [
  ['wal-ls-clean', ['wal', 'ls', 'clean']],
  ['wal-ls-torn', ['wal', 'ls', 'wal-torn']],
  ['wal-ls-corrupt', ['wal', 'ls', 'wal-corrupt']],
  ['wal-cat-clean', ['wal', 'cat', 'clean']],
  ['wal-cat-json-db3', ['wal', 'cat', 'clean', '--json', '--db', '3']],
  ['wal-cat-key-filter', ['wal', 'cat', 'clean', '--key', 'session:*', '--from-lsn', '2']],
  ['wal-verify-clean', ['wal', 'verify', 'clean']],
  ['wal-verify-torn', ['wal', 'verify', 'wal-torn']],
  ['wal-verify-corrupt', ['wal', 'verify', 'wal-corrupt']],
  ['wal-verify-missing', ['wal', 'verify', 'no-such-dir']],
  ['snapshot-info-clean', ['snapshot', 'info', 'clean']],
  ['snapshot-verify-clean', ['snapshot', 'verify', 'clean']],
  ['snapshot-verify-damaged', ['snapshot', 'verify', 'snapshot-damaged']],
  ['keys-clean', ['keys', 'clean']],
  ['keys-db3', ['keys', 'clean', '--db', '3']],
  ['keys-torn', ['keys', 'wal-torn']],
  ['keys-snapshot-damaged', ['keys', 'snapshot-damaged']],
  ['export-json-clean', ['export', 'clean', '--format', 'json']],
  ['export-json-torn', ['export', 'wal-torn', '--format', 'json']],
  ['snapshot-info-damaged', ['snapshot', 'info', 'snapshot-damaged']],
  ['snapshot-info-not-snapshot', ['snapshot', 'info', 'clean/wal']],
  ['wal-ls-segment-file', ['wal', 'ls', 'clean/wal/00000000000000000001.wal']],
  ['wal-ls-not-segment', ['wal', 'ls', 'clean/snapshot/pages.dat']],
  ['wal-verify-device', ['wal', 'verify', '/dev/null']],
];

/** Every file under `dir` (relative path) with its size and SHA-256. */
function fingerprint(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else
        files.set(
          relative(dir, p),
          `${statSync(p).size} ${createHash('sha256').update(readFileSync(p)).digest('hex')}`,
        );
    }
  };
  walk(dir);
  return files;
}

function render(r: { code: number; stdout: string; stderr: string }): string {
  return `${r.stdout}${r.stderr ? `# stderr\n${r.stderr}` : ''}# exit ${r.code}\n`;
}

test('every command prints its golden output over the fixtures', async () => {
  if (REGEN) {
    await generateFixtures();
    mkdirSync(GOLDEN, { recursive: true });
  }
  const before = fingerprint(FIXTURES);
  const cwd = process.cwd();
  process.chdir(FIXTURES);
  try {
    for (const [name, args] of CASES) {
      const got = render(await dump(args));
      const file = join(GOLDEN, `${name}.txt`);
      if (REGEN) writeFileSync(file, got);
      assert.equal(got, readFileSync(file, 'utf8'), `cache-dump ${args.join(' ')} (golden ${name}.txt)`);
    }
  } finally {
    process.chdir(cwd);
  }
  // The read-only commands changed nothing: same files, same sizes, same bytes.
  assert.ok(before.size > 0);
  assert.deepEqual(fingerprint(FIXTURES), before);
});

test('exit codes: 0 clean, 1 damaged, 2 unusable input', async () => {
  assert.equal((await dump(['wal', 'verify', join(FIXTURES, 'clean')])).code, 0);
  assert.equal((await dump(['wal', 'verify', join(FIXTURES, 'wal-torn')])).code, 1);
  assert.equal((await dump(['wal', 'verify', join(FIXTURES, 'wal-corrupt')])).code, 1);
  assert.equal((await dump(['snapshot', 'verify', join(FIXTURES, 'snapshot-damaged')])).code, 1);
  assert.equal((await dump(['wal', 'verify', '/no/such/dir'])).code, 2);
  assert.equal((await dump(['snapshot', 'verify', join(FIXTURES, 'clean', 'wal')])).code, 2);
  assert.equal((await dump(['wal', 'frobnicate'])).code, 2);
});

test('keys and export exit 1 when the load read past damage, 0 when it did not', async () => {
  for (const cmd of [['keys'], ['export', '--format', 'json']]) {
    assert.equal((await dump([...cmd, join(FIXTURES, 'clean')])).code, 0, cmd[0]);
    const torn = await dump([...cmd, join(FIXTURES, 'wal-torn')]);
    assert.equal(torn.code, 1, `${cmd[0]} over a torn tail`);
    assert.match(torn.stderr, /torn WAL tail ignored/);
    const snap = await dump([...cmd, join(FIXTURES, 'snapshot-damaged')]);
    assert.equal(snap.code, 1, `${cmd[0]} over a damaged snapshot`);
    assert.match(snap.stderr, /damaged page/);
  }
  // Damage skipped under skip-corrupt counts too.
  const dir = tempDir();
  copyDataDir(join(FIXTURES, 'clean'), dir);
  const seg = join(dir, 'wal', listSegments(join(dir, 'wal'))[0]!.name);
  const bytes = readFileSync(seg);
  const rec = scanSegmentFile(seg).records.find((r) => r.lsn === 9)!;
  bytes[rec.offset + 30]! ^= 0x40; // a payload byte
  writeFileSync(seg, bytes);
  const skipped = await dump(['keys', dir, '--wal-recovery', 'skip-corrupt']);
  assert.equal(skipped.code, 1, skipped.stderr);
  assert.match(skipped.stderr, /skipping damaged WAL bytes/);
  cleanup(dir);
});

test('snapshot info and snapshot verify both exit 2 when there is no manifest', async () => {
  const dir = tempDir();
  copyDataDir(join(FIXTURES, 'clean'), dir);
  for (const seq of listManifests(join(dir, 'snapshot'))) rmSync(join(dir, 'snapshot', manifestName(seq)));
  for (const cmd of ['info', 'verify']) {
    const r = await dump(['snapshot', cmd, dir]);
    assert.equal(r.code, 2, `snapshot ${cmd}`);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^cache-dump: no snapshot yet in .*snapshot: the server takes its first after /);
    assert.equal(r.stderr.split('\n').length, 2, 'one line');
  }
  cleanup(dir);
});

test('snapshot info names a truncated manifest and a short pages.dat', async () => {
  const dir = tempDir();
  copyDataDir(join(FIXTURES, 'clean'), dir);
  const snap = join(dir, 'snapshot');
  const manifest = join(snap, manifestName(listManifests(snap)[0]!));
  const whole = readFileSync(manifest);
  truncateSync(manifest, whole.length - 10);
  let r = await dump(['snapshot', 'info', dir]);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /checksum truncated\)/);
  writeFileSync(manifest, whole);
  truncateSync(join(snap, 'pages.dat'), PAGE_SIZE / 2);
  r = await dump(['snapshot', 'info', dir]);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /slots +2, but pages.dat is short: \d+ bytes hold 0 slots, the manifest uses slots up to 1/);
  cleanup(dir);
});

test('unreadable input exits 2 with one line: a device, a non-segment file, a file too large to hold', async () => {
  const dir = tempDir();
  const big = join(dir, '00000000000000000001.wal');
  writeFileSync(big, readFileSync(join(FIXTURES, 'clean', 'wal', '00000000000000000001.wal')).subarray(0, 32));
  truncateSync(big, 2 ** 32 + 100); // sparse: no disk used
  for (const [args, message] of [
    [['wal', 'verify', '/dev/null'], /\/dev\/null is neither a directory nor a WAL segment file/],
    [['wal', 'ls', join(FIXTURES, 'clean', 'snapshot', 'pages.dat')], /pages.dat is not a WAL segment/],
    [
      ['wal', 'repair', join(FIXTURES, 'clean', 'snapshot', 'pages.dat')],
      /pages.dat is not a WAL segment .* in a WAL directory/,
    ],
    [['snapshot', 'info', '/dev/null'], /\/dev\/null is not a directory/],
    [['wal', 'verify', dir], /is 4294967396 bytes, more than cache-dump can hold in memory/],
  ] as const) {
    const r = await dump([...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.split('\n').length, 2, `one line: ${r.stderr}`);
  }
  cleanup(dir);
});

test('a segment too large to map is read in chunks, to the same bytes', () => {
  const seg = join(FIXTURES, 'wal-torn', 'wal', '00000000000000000001.wal');
  const mapped = loadSegment(seg);
  const read = loadSegment(seg, 0);
  assert.equal(mapped.mapped, true);
  assert.equal(read.mapped, false);
  assert.ok(read.buf.equals(readFileSync(seg)));
  assert.ok(mapped.buf.equals(read.buf));
});

test('repair copies the segment aside, truncates the torn tail, and the server then starts with everything before it', async () => {
  const dir = tempDir();
  copyDataDir(join(FIXTURES, 'wal-torn'), dir);
  const before = fingerprint(join(dir, 'wal'));
  // Without --yes and without a terminal to ask on, nothing changes (exit 2).
  const refused = await dump(['wal', 'repair', dir], '');
  assert.equal(refused.code, 2);
  assert.match(refused.stdout, /Re-run with --yes .*Nothing was changed/);
  assert.deepEqual(fingerprint(join(dir, 'wal')), before);
  const r = await dump(['wal', 'repair', dir, '--yes']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(
    r.stdout,
    /Truncated .* at offset \d+: dropped \d+ bytes \(0 records\)\. The original is saved as .*\.wal\.broken\./,
  );
  assert.ok(readdirSync(join(dir, 'wal')).some((n) => n.endsWith('.broken')));
  assert.equal((await dump(['wal', 'verify', dir])).code, 0);
  const srv = await startServer({ dir, args: ['--wal-recovery', 'strict'] });
  const expected = await dump(['keys', join(FIXTURES, 'wal-torn')]);
  const got = await dump(['keys', dir]);
  assert.equal(got.stdout, expected.stdout, 'the keyspace before the damage is intact');
  assert.equal(await srv.client().get('greeting'), 'hello, world');
  await srv.stop();
  cleanup(dir);
});

test('repair refuses damage in the last segment that is not a torn tail, unless --force', async () => {
  const dir = tempDir();
  copyDataDir(join(FIXTURES, 'wal-corrupt'), dir);
  const before = fingerprint(join(dir, 'wal'));
  for (const target of [dir, join(dir, 'wal'), join(dir, 'wal', '00000000000000000001.wal')]) {
    const r = await dump(['wal', 'repair', target, '--yes']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /is the last segment, but this damage is not a torn tail/);
    assert.match(r.stdout, /--wal-recovery skip-corrupt/);
    assert.match(r.stdout, /restore the data directory from a backup/);
    assert.match(r.stdout, /move 00000000000000000001\.wal aside/);
    assert.match(
      r.stdout,
      /--force to truncate 00000000000000000001\.wal at offset 32 anyway, dropping \d+ bytes and 10 records from the damage on \(LSN 2\.\.11\)/,
    );
    assert.match(r.stdout, /Nothing was changed/);
    assert.deepEqual(fingerprint(join(dir, 'wal')), before, `${target}: nothing changed`);
  }
  const forced = await dump(['wal', 'repair', dir, '--yes', '--force']);
  assert.equal(forced.code, 0, forced.stdout + forced.stderr);
  assert.match(forced.stdout, /Truncated 00000000000000000001\.wal at offset 32: dropped \d+ bytes \(10 records\)/);
  assert.equal(statSync(join(dir, 'wal', '00000000000000000001.wal')).size, 32);
  assert.ok(
    readFileSync(join(dir, 'wal', '00000000000000000001.wal.broken')).equals(
      readFileSync(join(FIXTURES, 'wal-corrupt', 'wal', '00000000000000000001.wal')),
    ),
  );
  cleanup(dir);
});

test('repair refuses an LSN gap in the last segment and counts every record it would lose', async () => {
  const dir = tempDir();
  copyDataDir(join(FIXTURES, 'clean'), dir);
  // A last segment whose records restart at LSN 1: the gap is at its first record.
  cpSync(join(dir, 'wal', '00000000000000000001.wal'), join(dir, 'wal', '00000000000000000012.wal'));
  const r = await dump(['wal', 'repair', dir, '--yes']);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /lsn-gap: expected LSN 12, found 1/);
  assert.match(r.stdout, /records are missing before offset 32/);
  assert.match(r.stdout, /dropping \d+ bytes and 11 records from the damage on \(LSN 1\.\.11\)/);
  assert.equal(
    statSync(join(dir, 'wal', '00000000000000000012.wal')).size,
    statSync(join(dir, 'wal', '00000000000000000001.wal')).size,
  );
  cleanup(dir);
});

test('repair of one segment file judges it by its place in its directory', async () => {
  const dir = tempDir();
  copyDataDir(join(FIXTURES, 'wal-torn'), dir);
  const damaged = join(dir, 'wal', '00000000000000000001.wal');
  // A later (empty) segment makes the torn one no longer the last: its damage is corruption.
  const header = Buffer.from(readFileSync(damaged).subarray(0, 32));
  writeFileSync(join(dir, 'wal', '00000000000000000011.wal'), header);
  const size = statSync(damaged).size;
  const r = await dump(['wal', 'repair', damaged, '--yes']);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /which is not the last segment/);
  assert.match(r.stdout, /Nothing was changed/);
  assert.equal(statSync(damaged).size, size);
  assert.ok(!readdirSync(join(dir, 'wal')).some((n) => n.includes('.broken')));
  // wal ls of that file alone no longer calls its damage a torn tail.
  const ls = await dump(['wal', 'ls', damaged]);
  assert.match(ls.stdout, /corrupt at offset/);
  cleanup(dir);
});

test('repair sets aside a last segment with a damaged header and no records, and the server then starts', async () => {
  const dir = tempDir();
  copyDataDir(join(FIXTURES, 'clean'), dir);
  const empty = join(dir, 'wal', '00000000000000000012.wal');
  writeFileSync(empty, '');
  assert.equal((await dump(['wal', 'verify', dir])).code, 1);
  const before = await run(process.execPath, [CLI, '--port', '0', '--dir', dir]);
  assert.equal(before.code, 1, 'the server refuses the empty segment');
  assert.match(before.stdout + before.stderr, /file is 0 bytes, shorter than a segment header/);
  const r = await dump(['wal', 'repair', dir, '--yes']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /bad-segment-header/);
  assert.match(
    r.stdout,
    /Moved 00000000000000000012\.wal aside as 00000000000000000012\.wal\.broken \(0 bytes, 0 records\)/,
  );
  assert.ok(!existsSync(empty));
  assert.ok(existsSync(empty + '.broken'));
  assert.equal((await dump(['wal', 'verify', dir])).code, 0);
  assert.equal((await dump(['keys', dir])).stdout, (await dump(['keys', join(FIXTURES, 'clean')])).stdout);
  const srv = await startServer({ dir, args: ['--wal-recovery', 'strict'] });
  assert.equal(await srv.client().get('greeting'), 'hello, world');
  await srv.stop();
  // A damaged header over valid records is refused.
  const dir2 = tempDir();
  copyDataDir(join(FIXTURES, 'clean'), dir2);
  const seg = join(dir2, 'wal', '00000000000000000001.wal');
  const bytes = readFileSync(seg);
  bytes[0] = 0x58;
  writeFileSync(seg, bytes);
  const refused = await dump(['wal', 'repair', dir2, '--yes']);
  assert.equal(refused.code, 1, refused.stdout + refused.stderr);
  assert.match(refused.stdout, /its header is damaged and it still holds 11 valid records \(LSN 1\.\.11\)/);
  assert.ok(existsSync(seg));
  cleanup(dir);
  cleanup(dir2);
});

const HAVE_SCRIPT = spawnSync('script', ['--version']).status === 0;

test('repair asks on a terminal, holds the lock while it asks, and a "no" exits 1 changing nothing', {
  skip: !HAVE_SCRIPT && 'needs script(1) for a terminal',
}, async () => {
  const dir = tempDir();
  copyDataDir(join(FIXTURES, 'wal-torn'), dir);
  assert.ok(!existsSync(join(dir, 'LOCK')), 'no server has run here');
  const before = fingerprint(join(dir, 'wal'));
  // script(1) gives the tool a terminal; -e passes its exit code on.
  const child = trackChild(
    spawn('script', ['-qec', `"${process.execPath}" "${TOOL}" wal repair "${dir}"`, '/dev/null'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    }),
  );
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number>((r) => child.on('exit', (code) => r(code ?? -1)));
  const deadline = Date.now() + 20_000;
  while (!output.includes('[y/N]')) {
    assert.ok(Date.now() < deadline, `no prompt: ${output}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.match(output, /Truncate 00000000000000000001\.wal at offset \d+, dropping \d+ bytes\? \[y\/N\]/);
  // While it waits for the answer, the directory is locked.
  const second = await dump(['wal', 'repair', dir, '--yes']);
  assert.equal(second.code, 2, second.stdout + second.stderr);
  assert.match(second.stderr, /is in use .*stop the server before repairing/);
  child.stdin.write('n\n');
  assert.equal(await exited, 1, output);
  assert.match(output, /Nothing was changed/);
  assert.deepEqual(fingerprint(join(dir, 'wal')), before);
  cleanup(dir);
});

test('repair refuses to touch the WAL of a running server', async () => {
  const srv = await startServer();
  await srv.client().set('k', 'v');
  const segs = listSegments(join(srv.dir, 'wal'));
  const last = join(srv.dir, 'wal', segs[segs.length - 1]!.name);
  // The server preallocates zeros ahead of its records after a write: let that finish first.
  await waitFor(() => statSync(last).size >= 2 << 20, 10_000, 'WAL preallocation');
  appendFileSync(last, Buffer.alloc(40, 0xee));
  const size = statSync(last).size;
  const r = await dump(['wal', 'repair', srv.dir, '--yes']);
  assert.equal(r.code, 2, r.stdout + r.stderr);
  assert.match(r.stderr, /in use by another FlashCache server .*stop the server before repairing/);
  assert.equal(statSync(last).size, size);
  assert.ok(!readdirSync(join(srv.dir, 'wal')).some((n) => n.endsWith('.broken')));
  await srv.kill();
  cleanup(srv.dir);
});

test('repair refuses damage before the last segment and explains the choices', async () => {
  const dir = tempDir();
  copyDataDir(join(FIXTURES, 'wal-corrupt'), dir);
  // A later segment makes the damaged one no longer the last.
  const segs = listSegments(join(dir, 'wal'));
  const lastSeg = segs[segs.length - 1]!;
  const next = String(lastSeg.firstLsn + 1000).padStart(20, '0') + '.wal';
  cpSync(join(dir, 'wal', segs[0]!.name), join(dir, 'wal', next));
  const before = fingerprint(join(dir, 'wal'));
  // The same through the data directory, its wal/ directory, and the damaged segment itself.
  for (const target of [dir, join(dir, 'wal'), join(dir, 'wal', segs[0]!.name)]) {
    const r = await dump(['wal', 'repair', target, '--yes']);
    assert.equal(r.code, 1, `${target}: ${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /not the last segment/);
    assert.match(r.stdout, /--wal-recovery skip-corrupt/);
    assert.match(r.stdout, /Nothing was changed/);
    assert.deepEqual(fingerprint(join(dir, 'wal')), before);
  }
  cleanup(dir);
});

test('export | redis-cli --pipe into a fresh server gives an identical keyspace', async () => {
  const source = await startServer();
  const r = source.client();
  const p = r.pipeline();
  for (let i = 0; i < 2000; i++) p.set(`k${i}`, `v${i}`);
  p.set(Buffer.from([0, 0xff, 10]), Buffer.from([13, 10, 0]));
  p.set('ttl', 'soon', 'PXAT', Date.now() + 3_600_000);
  p.select(5);
  p.set('elsewhere', 'db5');
  // Collections: some from the snapshot's images, some from the WAL after it.
  p.hset('h', 'f1', 'v1', Buffer.from([0xff]), Buffer.from([0, 1]));
  p.rpush('l', ...Array.from({ length: 2500 }, (_, i) => `e${i}`));
  p.save();
  p.lpush('l', 'head');
  p.sadd('s', 'a', 'b', '1');
  p.zadd('z', '-inf', 'low', '1.5', 'mid', 'inf', 'high');
  p.pexpireat('z', Date.now() + 3_600_000);
  await p.exec();
  await r.select(0);
  await source.kill();
  const exported = await run(process.execPath, [TOOL, 'export', source.dir]);
  assert.equal(exported.code, 0, exported.stderr);
  const target = await startServer();
  const piped = await redisCli(target.port, ['--pipe'], exported.raw);
  // SELECT 0, 2002 SETs, SELECT 5, one SET, and per collection DEL, its adds (1000 elements each), PEXPIREAT for z.
  assert.match(piped.stdout, /errors: 0, replies: 2016/);
  const fromSource = await startServer({ dir: source.dir });
  assert.deepEqual(sorted(await dumpKeyspace(target.client())), sorted(await dumpKeyspace(fromSource.client())));
  await Promise.all([target.stop(), fromSource.stop()]);
  cleanup(source.dir);
  cleanup(target.dir);
});

test('a reader that stops early ends the run quietly', async () => {
  const r = await run('sh', ['-c', `"${process.execPath}" "${TOOL}" wal cat "${join(FIXTURES, 'clean')}" | head -n 1`]);
  assert.equal(r.code, 0);
  assert.equal(r.stdout.split('\n').length, 2);
  assert.equal(r.stderr, '');
});

test('progress bars never reach a pipe', async () => {
  const r = await dump(['wal', 'verify', join(FIXTURES, 'clean')]);
  assert.doesNotMatch(r.stderr, /\u001b|\[=|%/);
});
