/**
 * A redis.conf written for Redis 7.0 starts FlashCache: Debian's stock file,
 * `include`, `bind` with optional (`-`) addresses, `daemonize`, `pidfile`,
 * `logfile`, `supervised systemd`, and directives with no effect listed once.
 * Config and data-directory mistakes stop start-up with one sentence before
 * the data directory is touched. Real processes throughout.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Redis } from 'ioredis';
import { trackChild } from '../helpers/children.js';
import { cleanup, CLI, run, startServer, tempDir, waitFor } from '../helpers/server.js';

const STOCK = '/etc/redis/redis.conf';

/** Parses the daemonized start's one line: PID and port. */
function background(stdout: string): { pid: number; port: number } {
  const m = /running in the background as PID (\d+), port (\d+)/.exec(stdout);
  assert.ok(m, `no background line in: ${stdout}`);
  return { pid: Number(m[1]), port: Number(m[2]) };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function stopPid(pid: number): Promise<void> {
  process.kill(pid, 'SIGTERM');
  await waitFor(() => !alive(pid), 30_000, `PID ${pid} to exit`);
}

test("Debian's stock redis.conf starts FlashCache in the background, every directive accepted", {
  skip: existsSync(STOCK) ? false : `${STOCK} is missing (Debian's redis-server package installs it)`,
}, async () => {
  const dir = tempDir();
  const log = join(dir, 'flashcache.log');
  const pidfile = join(dir, 'flashcache.pid');
  // dir and port as the task says; logfile and pidfile too, so the test writes nothing outside its directory.
  const r = await run(process.execPath, [
    CLI,
    STOCK,
    '--port',
    '0',
    '--dir',
    join(dir, 'data'),
    '--logfile',
    log,
    '--pidfile',
    pidfile,
  ]);
  assert.equal(r.code, 0, r.stderr);
  const { pid, port } = background(r.stdout);
  try {
    assert.equal(readFileSync(pidfile, 'utf8').trim(), String(pid), 'pidfile holds the server PID');
    const c = new Redis({ port, host: '127.0.0.1', lazyConnect: true });
    try {
      assert.equal(await c.set('k', 'v'), 'OK');
      assert.equal(await c.get('k'), 'v');
      assert.deepEqual(await c.config('GET', 'daemonize'), ['daemonize', 'yes']);
    } finally {
      c.disconnect();
    }
    const lines = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const warned = lines.filter((l) => Array.isArray(l['ignored']));
    assert.equal(warned.length, 1, 'one warning line lists the directives of no effect');
    const names = warned[0]!['ignored'] as string[];
    assert.equal(new Set(names).size, names.length, 'each name once');
    for (const n of ['hz', 'tcp-backlog', 'rdbcompression', 'oom-score-adj']) assert.ok(names.includes(n), n);
    for (const n of ['bind', 'daemonize', 'pidfile', 'logfile', 'port', 'dir', 'loglevel']) {
      assert.ok(!names.includes(n), `${n} is applied, not ignored`);
    }
    // bind 127.0.0.1 -::1: both where ::1 exists, 127.0.0.1 alone otherwise.
    const ready = lines.find((l) => String(l['msg']).startsWith('ready to accept'))!;
    assert.equal((ready['bind'] as string[])[0], '127.0.0.1');
  } finally {
    await stopPid(pid);
  }
  assert.ok(!existsSync(pidfile), 'pidfile removed at exit');
  cleanup(dir);
});

test('include reads other files (relative to the working directory, globs in name order); user and loadmodule are accepted', async () => {
  const dir = tempDir();
  mkdirSync(join(dir, 'conf.d'));
  writeFileSync(join(dir, 'conf.d', '10-a.conf'), 'maxmemory 1mb\nloadmodule /no/such/module.so\n');
  writeFileSync(join(dir, 'conf.d', '20-b.conf'), 'maxmemory 2mb\nuser alice on >pw ~* +@all\n');
  writeFileSync(join(dir, 'other.conf'), 'databases 4\nmymodule.setting 1\n');
  const main = join(dir, 'main.conf');
  writeFileSync(
    main,
    `daemonize yes\ninclude ${relative(process.cwd(), join(dir, 'other.conf'))}\ninclude ${join(dir, 'conf.d')}/*.conf\n` +
      `include ${join(dir, 'empty.d')}/*.conf\nlogfile ${join(dir, 'log')}\nloglevel notice\n`,
  );
  const r = await run(process.execPath, [CLI, main, '--port', '0', '--dir', join(dir, 'data')]);
  assert.equal(r.code, 0, r.stderr);
  const { pid, port } = background(r.stdout);
  try {
    const c = new Redis({ port, host: '127.0.0.1', lazyConnect: true });
    try {
      assert.deepEqual(await c.config('GET', 'maxmemory'), ['maxmemory', String(2 * 1024 * 1024)], 'later wins');
      assert.deepEqual(await c.config('GET', 'databases'), ['databases', '4']);
    } finally {
      c.disconnect();
    }
    const warned = readFileSync(join(dir, 'log'), 'utf8')
      .split('\n')
      .filter((l) => l.includes('"ignored"'));
    assert.equal(warned.length, 1);
    const names = (JSON.parse(warned[0]!) as { ignored: string[] }).ignored;
    for (const n of ['loadmodule', 'user', 'mymodule.setting']) assert.ok(names.includes(n), n);
  } finally {
    await stopPid(pid);
  }
  writeFileSync(main, `include ${join(dir, 'missing.conf')}\n`);
  const bad = await run(process.execPath, [CLI, main, '--port', '0', '--dir', join(dir, 'data2')]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /cannot read config file .*missing\.conf/);
  cleanup(dir);
});

test('bind: a "-" address that is not on this host is skipped; a plain one stops start-up before the data directory', async () => {
  const dir = tempDir();
  // 192.0.2.1 is TEST-NET-1: on no host.
  const srv = await startServer({ dir: join(dir, 'a'), args: ['--bind', '127.0.0.1 -192.0.2.1'] });
  const ready = srv.logs.find((l) => String(l.msg).startsWith('ready to accept'))!;
  assert.deepEqual(ready['bind'], ['127.0.0.1']);
  await srv.stop();
  // Redis 7.0's "every address": * for IPv4, ::* for IPv6, one port for both.
  const all = await startServer({ dir: join(dir, 'c'), args: ['--bind', '* -::*'] });
  const both = all.logs.find((l) => String(l.msg).startsWith('ready to accept'))!;
  assert.equal((both['bind'] as string[])[0], '0.0.0.0');
  assert.equal(await all.client().ping(), 'PONG');
  await all.stop();
  const bad = await startServer({ dir: join(dir, 'b'), args: ['--bind', '127.0.0.1 192.0.2.1'], expectExit: true });
  assert.equal(bad.exitCode, 1);
  assert.match(bad.stderr, /^flashcache: cannot listen on 192\.0\.2\.1 port 0: /);
  assert.equal(bad.stderr.trim().split('\n').length, 1, 'one message');
  assert.ok(!existsSync(join(dir, 'b')), 'data directory not created');
  cleanup(dir);
});

test('a bad directive stops start-up with one message and nothing created in the data directory', async () => {
  const dir = tempDir();
  const conf = join(dir, 'bad.conf');
  writeFileSync(conf, 'daemonize yes\nport 7000\nno-such-directive 1\n');
  const r = await run(process.execPath, [CLI, conf, '--dir', join(dir, 'data')]);
  assert.equal(r.code, 1);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /line 3: .*Bad directive/);
  assert.ok(!existsSync(join(dir, 'data')));
  cleanup(dir);
});

test('daemonize: a server that cannot start reports why and the first process exits 1', async () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'file'), 'not a directory');
  const r = await run(process.execPath, [CLI, '--daemonize', 'yes', '--port', '0', '--dir', join(dir, 'file')]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /data directory .*file is a file, not a directory/);
  cleanup(dir);
});

const python = spawnSync('python3', ['--version']).status === 0;
const notify = spawnSync('systemd-notify', ['--version']).status === 0;

test('supervised systemd: READY=1 with the server PID reaches $NOTIFY_SOCKET once listening', {
  skip: python && notify ? false : 'needs python3 (fake NOTIFY_SOCKET listener) and systemd-notify',
}, async () => {
  const dir = tempDir();
  const sock = join(dir, 'notify.sock');
  const listener = trackChild(
    spawn('python3', [
      '-c',
      'import socket,sys\ns=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)\ns.bind(sys.argv[1])\n' +
        'print("bound",flush=True)\nprint(s.recv(4096).decode().replace("\\n"," "),flush=True)',
      sock,
    ]),
  );
  let out = '';
  listener.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  await waitFor(() => out.includes('bound'), 10_000, 'the fake notify socket');
  const srv = await startServer({
    dir: join(dir, 'data'),
    args: ['--supervised', 'systemd'],
    env: { NOTIFY_SOCKET: sock },
  });
  await waitFor(() => out.includes('READY=1'), 10_000, 'READY=1');
  assert.match(out, new RegExp(`MAINPID=${srv.proc.pid}\\b`));
  await srv.stop();
  listener.kill();
  cleanup(dir);
});

test('data directory problems are one sentence naming the path and the fix', async () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'file'), 'x');
  let r = await startServer({ dir: join(dir, 'file'), expectExit: true });
  assert.equal(r.exitCode, 1);
  assert.equal(
    r.stderr,
    `flashcache: data directory ${join(dir, 'file')} is a file, not a directory: ` +
      'set dir to a directory, or move that file away\n',
  );
  r = await startServer({ dir: join(dir, 'file', 'data'), expectExit: true });
  assert.equal(r.exitCode, 1);
  assert.match(r.stderr, /^flashcache: data directory .*file\/data cannot be created: a part of that path is a file/);
  assert.equal(r.stderr.split('\n').length, 2, 'one line');
  cleanup(dir);
});

test('a data directory the server cannot write is one sentence naming the path and the fix', async (t) => {
  const dir = tempDir();
  const ro = join(dir, 'ro');
  mkdirSync(ro);
  // As root only an immutable directory refuses writes; as anyone else, mode 0555 does.
  const root = process.getuid?.() === 0;
  if (root) {
    if (spawnSync('chattr', ['+i', ro]).status !== 0) {
      t.skip('running as root and chattr +i is not available on this file system');
      cleanup(dir);
      return;
    }
  } else chmodSync(ro, 0o555);
  try {
    const r = await startServer({ dir: ro, expectExit: true });
    assert.equal(r.exitCode, 1);
    assert.match(
      r.stderr,
      new RegExp(`^flashcache: data directory ${ro} is not writable by this user \\(uid \\d+\\): `),
    );
    assert.match(r.stderr, /chown or chmod/);
    assert.equal(r.stderr.split('\n').length, 2, 'one line');
    assert.deepEqual(readdirSync(ro), [], 'nothing left in it');
  } finally {
    if (root) spawnSync('chattr', ['-i', ro]);
    else chmodSync(ro, 0o755);
    cleanup(dir);
  }
});

test('a data directory on a full disk is one sentence naming the path and the fix', async (t) => {
  const dir = tempDir();
  const mnt = join(dir, 'small');
  mkdirSync(mnt);
  // A 256 KiB tmpfs filled to the last block: needs root and permission to mount.
  if (spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mnt]).status !== 0) {
    t.skip('cannot mount a small tmpfs here (needs root, and a container that allows mount)');
    cleanup(dir);
    return;
  }
  try {
    spawnSync('dd', ['if=/dev/zero', `of=${join(mnt, 'fill')}`, 'bs=4k']);
    const r = await startServer({ dir: join(mnt, 'data'), expectExit: true });
    assert.equal(r.exitCode, 1);
    assert.equal(
      r.stderr,
      `flashcache: the disk holding data directory ${join(mnt, 'data')} is full: ` +
        'free space on it, or set dir to a directory on another disk\n',
    );
  } finally {
    spawnSync('umount', [mnt]);
    cleanup(dir);
  }
});
