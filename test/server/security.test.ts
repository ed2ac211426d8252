/**
 * Authentication, protected mode and connection limits against a real
 * server: replies compared byte for byte with redis-server started with the
 * same password, real clients (ioredis, redis-cli) authenticating, and the
 * limits seen from real sockets.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createConnection, type Socket } from 'node:net';
import { networkInterfaces } from 'node:os';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { cleanup, redisCli, startServer, tempDir, waitFor, type ServerHandle } from '../helpers/server.js';
import { startRedis, type RedisHandle } from '../helpers/redis.js';
import { RawClient } from '../helpers/resp.js';

const PASSWORD = 's3cret-pass';

let srv: ServerHandle;
let ref: RedisHandle;

before(async () => {
  srv = await startServer({ args: ['--requirepass', PASSWORD] });
  ref = await startRedis();
  // Set after start: the helper waits for a PONG, which a password would turn into NOAUTH.
  const c = await RawClient.connect(ref.port);
  assert.equal(await c.call('CONFIG', 'SET', 'requirepass', PASSWORD), '+OK\r\n');
  c.close();
});

after(async () => {
  await srv.stop();
  cleanup(srv.dir);
  await ref.stop();
});

/** Sends `script` on a fresh connection to each server and compares every reply byte for byte. */
async function sameAsRedis(script: string[][]): Promise<void> {
  const a = await RawClient.connect(srv.port);
  const b = await RawClient.connect(ref.port);
  try {
    for (const cmd of script) assert.equal(await a.call(...cmd), await b.call(...cmd), cmd.join(' '));
  } finally {
    a.close();
    b.close();
  }
}

test('requirepass: NOAUTH until AUTH, WRONGPASS for a bad one, as redis-server replies', () =>
  sameAsRedis([
    ['PING'],
    ['GET', 'k'],
    ['SET', 'k', 'v'],
    ['NOSUCHCOMMAND', 'x'],
    ['GET'],
    ['HELLO'],
    ['HELLO', '2'],
    ['HELLO', '2', 'AUTH', 'default', 'wrong'],
    ['HELLO', '2', 'AUTH', 'someone', PASSWORD],
    ['AUTH', 'wrong'],
    ['AUTH', 'default', 'wrong'],
    ['AUTH', 'bob', PASSWORD],
    ['AUTH', 'a', 'b', 'c'],
    ['AUTH'],
    ['GET', 'k'],
    ['AUTH', PASSWORD],
    ['PING'],
    ['DEL', 'k'],
    ['AUTH', 'default', PASSWORD],
    ['GET', 'k'],
  ]));

test('HELLO AUTH authenticates and QUIT needs no password', async () => {
  await sameAsRedis([['GET', 'k'], ['QUIT']]);
  const a = await RawClient.connect(srv.port);
  try {
    const hello = await a.call('HELLO', '2', 'AUTH', 'default', PASSWORD, 'SETNAME', 'app');
    assert.match(hello!, /^\*14\r\n\$6\r\nserver\r\n/);
    assert.equal(await a.call('PING'), '+PONG\r\n');
    assert.match((await a.call('CLIENT', 'GETNAME'))!, /app/);
  } finally {
    a.close();
  }
});

test('ioredis and redis-cli authenticate with the password; failures are counted in INFO', async () => {
  const r = new Redis({ port: srv.port, host: '127.0.0.1', password: PASSWORD, lazyConnect: true });
  try {
    await r.connect();
    assert.equal(await r.set('ok', '1'), 'OK');
    const before = Number(/acl_access_denied_auth:(\d+)/.exec(await r.info('stats'))![1]);
    const bad = await redisCli(srv.port, ['--no-auth-warning', '-a', 'nope', 'GET', 'ok']);
    assert.match(bad.stdout + bad.stderr, /WRONGPASS|NOAUTH/);
    const good = await redisCli(srv.port, ['--no-auth-warning', '-a', PASSWORD, 'GET', 'ok']);
    assert.equal(good.stdout.trim(), '1');
    const after = Number(/acl_access_denied_auth:(\d+)/.exec(await r.info('stats'))![1]);
    assert.equal(after, before + 1);
  } finally {
    r.disconnect();
  }
});

test('CONFIG SET requirepass: new connections need the new password, open ones stay in; "" turns it off', async () => {
  const admin = new Redis({ port: srv.port, host: '127.0.0.1', password: PASSWORD });
  try {
    const waitingOutside = await RawClient.connect(srv.port);
    assert.equal(await waitingOutside.call('GET', 'x'), '-NOAUTH Authentication required.\r\n');
    assert.equal(await admin.config('SET', 'requirepass', 'other'), 'OK');
    assert.equal(await admin.ping(), 'PONG', 'the open connection stays authenticated');
    const a = await RawClient.connect(srv.port);
    assert.equal(await a.call('PING'), '-NOAUTH Authentication required.\r\n');
    assert.equal(await a.call('AUTH', PASSWORD), '-WRONGPASS invalid username-password pair or user is disabled.\r\n');
    assert.equal(await a.call('AUTH', 'other'), '+OK\r\n');
    a.close();
    assert.equal(await admin.config('SET', 'requirepass', ''), 'OK');
    // No password required any more: a connection that never authenticated is let in too, as in Redis.
    assert.equal(await waitingOutside.call('GET', 'x'), '$-1\r\n');
    waitingOutside.close();
    const b = await RawClient.connect(srv.port);
    assert.equal(await b.call('PING'), '+PONG\r\n');
    assert.equal(
      await b.call('AUTH', 'x'),
      '-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?\r\n',
    );
    assert.equal(await b.call('AUTH', 'default', 'anything'), '+OK\r\n');
    b.close();
  } finally {
    await admin.config('SET', 'requirepass', PASSWORD).catch(() => {});
    admin.disconnect();
  }
});

test('unauthenticated clients may send at most 10 arguments of at most 16 KiB, as redis-server enforces', async () => {
  for (const frame of ['*11\r\n', '*2\r\n$3\r\nGET\r\n$16385\r\n']) {
    const replies: (string | null)[] = [];
    for (const port of [srv.port, ref.port]) {
      const c = await RawClient.connect(port);
      c.write(frame);
      replies.push(await c.read());
      assert.equal(await c.read(), null, 'the connection is closed');
      c.close();
    }
    assert.equal(replies[0], replies[1], JSON.stringify(frame));
    assert.match(replies[0]!, /^-ERR Protocol error: unauthenticated (multibulk|bulk) length\r\n$/);
  }
  // Authenticated first, in the same write: the limits are lifted for what follows.
  const a = await RawClient.connect(srv.port);
  const big = 'x'.repeat(20000);
  a.write(
    `*2\r\n$4\r\nAUTH\r\n$${PASSWORD.length}\r\n${PASSWORD}\r\n*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$${big.length}\r\n${big}\r\n`,
  );
  assert.equal(await a.read(), '+OK\r\n');
  assert.equal(await a.read(), '+OK\r\n');
  a.close();
});

test('requirepass from the config file and from FLASHCACHE_REQUIREPASS; requirepass "" in the file means none', async () => {
  const dir = tempDir();
  const none = join(dir, 'none.conf');
  writeFileSync(none, 'requirepass ""\n');
  const open = await startServer({ args: [none] });
  try {
    const c = await RawClient.connect(open.port);
    assert.equal(await c.call('PING'), '+PONG\r\n');
    c.close();
  } finally {
    await open.stop();
    cleanup(open.dir);
  }
  const conf = join(dir, 'flashcache.conf');
  writeFileSync(conf, 'requirepass "from file"\n');
  const fromFile = await startServer({ args: [conf] });
  const fromEnv = await startServer({ env: { FLASHCACHE_REQUIREPASS: 'from-env' } });
  try {
    for (const [s, pass] of [
      [fromFile, 'from file'],
      [fromEnv, 'from-env'],
    ] as const) {
      const c = await RawClient.connect(s.port);
      assert.equal(await c.call('GET', 'x'), '-NOAUTH Authentication required.\r\n');
      assert.equal(await c.call('AUTH', pass), '+OK\r\n');
      c.close();
    }
  } finally {
    await fromFile.stop();
    await fromEnv.stop();
    cleanup(fromFile.dir);
    cleanup(fromEnv.dir);
    cleanup(dir);
  }
});

/** This machine's first non-loopback IPv4 address, if it has one. */
function externalAddress(): string | undefined {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return undefined;
}

/** Everything a server sends on a connection from `host` before it closes. */
function readUntilClosed(port: number, host: string, send = ''): Promise<string> {
  return new Promise((resolve, reject) => {
    const s: Socket = createConnection({ port, host }, () => s.write(send));
    let data = '';
    s.on('data', (d) => (data += d.toString('latin1')));
    s.on('close', () => resolve(data));
    s.on('error', reject);
    s.setTimeout(10_000, () => s.destroy(new Error(`no close; got ${JSON.stringify(data)}`)));
  });
}

test('protected mode: with no password, a remote client gets -DENIED and is closed; loopback is served', async (t) => {
  const ip = externalAddress();
  if (ip === undefined) return t.skip('no non-loopback address on this machine');
  const s = await startServer({ args: ['--bind', `127.0.0.1 ${ip}`] });
  try {
    const denied = await readUntilClosed(s.port, ip, 'PING\r\n');
    assert.match(
      denied,
      /^-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user\. .*from the outside\.\r\n$/,
    );
    const local = await RawClient.connect(s.port);
    assert.equal(await local.call('PING'), '+PONG\r\n');
    assert.match((await local.call('INFO', 'stats'))!, /rejected_connections:1\r/);
    // Turning protected mode off, or setting a password, lets remote clients in.
    await local.call('CONFIG', 'SET', 'protected-mode', 'no');
    const remote = await RawClient.connect(s.port, ip);
    assert.equal(await remote.call('PING'), '+PONG\r\n');
    remote.close();
    await local.call('CONFIG', 'SET', 'protected-mode', 'yes', 'requirepass', 'pw');
    const remote2 = await RawClient.connect(s.port, ip);
    assert.equal(await remote2.call('PING'), '-NOAUTH Authentication required.\r\n');
    remote2.close();
    local.close();
  } finally {
    await s.stop();
    cleanup(s.dir);
  }
});

test('maxclients: the next client gets -ERR max number of clients reached; a freed place is taken again', async () => {
  const s = await startServer({ args: ['--maxclients', '5'] });
  const open: RawClient[] = [];
  try {
    for (let i = 0; i < 5; i++) {
      const c = await RawClient.connect(s.port);
      assert.equal(await c.call('PING'), '+PONG\r\n');
      open.push(c);
    }
    assert.equal(await readUntilClosed(s.port, '127.0.0.1', 'PING\r\n'), '-ERR max number of clients reached\r\n');
    // Refused connections are closed on the server's side too: its descriptors come back.
    const fds = (): number => readdirSync(`/proc/${s.proc.pid}/fd`).length;
    const baseline = fds();
    for (let i = 0; i < 20; i++) await readUntilClosed(s.port, '127.0.0.1', 'PING\r\n');
    await waitFor(() => fds() <= baseline + 1, 5000, 'the refused connections to be closed by the server');
    assert.match((await open[0]!.call('INFO', 'clients'))!, /maxclients:5\r/);
    assert.match((await open[0]!.call('INFO', 'stats'))!, /rejected_connections:21\r/);
    open.pop()!.close();
    await waitFor(
      async () => /connected_clients:4\r/.test((await open[0]!.call('INFO', 'clients'))!),
      5000,
      'the closed client to be forgotten',
    );
    const again = await RawClient.connect(s.port);
    assert.equal(await again.call('PING'), '+PONG\r\n');
    open.push(again);
  } finally {
    for (const c of open) c.close();
    await s.stop();
    cleanup(s.dir);
  }
});

test('timeout: an idle client is closed, an active one and a blocked one are not', async () => {
  const s = await startServer({ args: ['--timeout', '1'] });
  try {
    const idle = await RawClient.connect(s.port);
    const idleClosed = new Promise<void>((resolve) => idle.socket.once('close', () => resolve()));
    const blocked = await RawClient.connect(s.port);
    const blockedReply = blocked.call('BLPOP', 'never', '0');
    const active = await RawClient.connect(s.port);
    const deadline = Date.now() + 10_000;
    let closed = false;
    void idleClosed.then(() => (closed = true));
    while (!closed && Date.now() < deadline) {
      assert.equal(await active.call('PING'), '+PONG\r\n');
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(closed, 'the idle client was closed');
    assert.equal(await active.call('PING'), '+PONG\r\n');
    assert.equal(await active.call('RPUSH', 'never', 'x'), ':1\r\n');
    assert.equal(await blockedReply, '*2\r\n$5\r\nnever\r\n$1\r\nx\r\n', 'the blocked client was still there');
    // Just served after waiting longer than the timeout: that was no idleness, it stays connected.
    assert.equal(await blocked.call('PING'), '+PONG\r\n');
    active.close();
    blocked.close();
  } finally {
    await s.stop();
    cleanup(s.dir);
  }
});

test('rename-command: a disabled command is unknown, a renamed one answers to its new name only, and the WAL still replays', async () => {
  const dir = tempDir();
  const conf = join(dir, 'flashcache.conf');
  writeFileSync(conf, 'rename-command FLUSHALL ""\nrename-command CONFIG admin-config\n');
  const data = join(dir, 'data');
  const s = await startServer({
    dir: data,
    args: [conf, '--rename-command', 'SET myset', '--rename-command', 'INCR ""'],
  });
  try {
    const c = await RawClient.connect(s.port);
    assert.equal(await c.call('SET', 'k', 'v'), "-ERR unknown command 'SET', with args beginning with: 'k' 'v' \r\n");
    assert.equal(await c.call('myset', 'k', 'v'), '+OK\r\n');
    assert.equal(await c.call('MYSET', 'n', '41'), '+OK\r\n');
    assert.match((await c.call('INCR', 'n'))!, /^-ERR unknown command 'INCR'/);
    // Flags win over the file, as for every setting: the file's renames are not in force.
    assert.match((await c.call('CONFIG', 'GET', 'port'))!, /^\*2\r\n\$4\r\nport\r\n/);
    // The new names are not given away.
    assert.equal(await c.call('CONFIG', 'GET', 'rename-command'), '*0\r\n');
    assert.doesNotMatch((await c.call('CONFIG', 'GET', '*'))!, /myset/);
    c.close();
  } finally {
    await s.kill();
  }
  // Effects are logged under the commands' own names: replay needs no rename.
  const again = await startServer({ dir: data, args: [conf] });
  try {
    const c = await RawClient.connect(again.port);
    assert.equal(await c.call('GET', 'k'), '$1\r\nv\r\n');
    assert.equal(await c.call('FLUSHALL'), "-ERR unknown command 'FLUSHALL', with args beginning with: \r\n");
    assert.match((await c.call('CONFIG', 'GET', 'port'))!, /^-ERR unknown command 'CONFIG'/);
    assert.match((await c.call('admin-config', 'GET', 'port'))!, /^\*2\r\n/);
    c.close();
  } finally {
    await again.stop();
    cleanup(dir);
  }
});

test('rename-command naming no command, or onto an existing one, stops start-up with the reason', async () => {
  const s = await startServer({ args: ['--rename-command', 'NOSUCH other'], expectExit: true });
  assert.equal(s.exitCode, 1);
  assert.match(s.stderr, /invalid rename-command 'NOSUCH': no such command/);
  cleanup(s.dir);
  const t = await startServer({ args: ['--rename-command', 'GET SET'], expectExit: true });
  assert.equal(t.exitCode, 1);
  assert.match(t.stderr, /Target command name already exists/);
  cleanup(t.dir);
});
