/**
 * CLIENT against redis-server 7.0.15: the same scenarios, with several
 * connections, run on FlashCache and on Debian's redis-server, and the
 * replies compared: errors byte for byte; CLIENT LIST and INFO field by
 * field, where the values do not differ by nature (ids, addresses,
 * descriptors and allocation sizes do); CLIENT KILL's counts and which
 * connections it closed; CLIENT REPLY OFF/SKIP/ON as raw pipelined bytes;
 * CLIENT UNBLOCK of BLPOP and BLMOVE with TIMEOUT and ERROR.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sameReplies, serverPair, type Pair } from '../helpers/differential.js';
import { encodeCommand, RawClient } from '../helpers/resp.js';
import { clientRecords, onBoth } from '../helpers/scenario.js';
import { waitFor } from '../helpers/server.js';

let pair: Pair;
serverPair((p) => (pair = p));

test('CLIENT subcommands answer argument errors with redis-server 7.0.15 texts', () =>
  sameReplies(pair.a, pair.b, [
    'CLIENT',
    'CLIENT FOO',
    'CLIENT ID x',
    'CLIENT KILL',
    'CLIENT KILL 1.2.3.4:5',
    'CLIENT KILL 1.2.3.4:5 x',
    'CLIENT KILL ID 10 wrong_arg',
    'CLIENT KILL ID str',
    'CLIENT KILL ID -1',
    'CLIENT KILL ID 0',
    'CLIENT KILL ID 999999',
    'CLIENT KILL TYPE wrong_type',
    'CLIENT KILL TYPE master',
    'CLIENT KILL TYPE slave',
    'CLIENT KILL USER wrong_user',
    'CLIENT KILL SKIPME yes_or_no',
    'CLIENT KILL ADDR 1.2.3.4:5 SKIPME yes',
    'CLIENT KILL LADDR 1.2.3.4:5',
    'CLIENT LIST FOO',
    'CLIENT LIST ID',
    'CLIENT LIST ID 1 x',
    'CLIENT LIST TYPE',
    'CLIENT LIST TYPE foo',
    'CLIENT LIST TYPE master',
    'CLIENT LIST TYPE replica',
    'CLIENT LIST TYPE normal ID 1',
    'CLIENT LIST ID 999999',
    'CLIENT SETNAME',
    ['CLIENT', 'SETNAME', 'a b'],
    ['CLIENT', 'SETNAME', 'caf\xe9'],
    'CLIENT GETNAME',
    'CLIENT SETNAME named',
    'CLIENT GETNAME',
    ['CLIENT', 'SETNAME', ''],
    'CLIENT GETNAME',
    'CLIENT PAUSE',
    'CLIENT PAUSE abc',
    'CLIENT PAUSE -1',
    'CLIENT PAUSE 10 foo',
    'CLIENT PAUSE 10 write x',
    'CLIENT PAUSE 99999999999999999999',
    'CLIENT PAUSE 0',
    'CLIENT PAUSE 0 ALL',
    // The end overflows a 64-bit clock and wraps into the past: nothing is paused.
    'CLIENT PAUSE 9223372036854775807 ALL',
    'PING',
    'CLIENT UNPAUSE',
    'CLIENT UNPAUSE x',
    'CLIENT REPLY',
    'CLIENT REPLY FOO',
    'CLIENT REPLY ON',
    'CLIENT NO-EVICT',
    'CLIENT NO-EVICT FOO',
    'CLIENT NO-EVICT ON',
    'CLIENT NO-EVICT OFF',
    'CLIENT UNBLOCK',
    'CLIENT UNBLOCK abc',
    'CLIENT UNBLOCK 1 FOO',
    'CLIENT UNBLOCK abc FOO',
    'CLIENT UNBLOCK abc TIMEOUT',
    'CLIENT UNBLOCK 1 TIMEOUT x',
    'CLIENT UNBLOCK 999999',
    'CLIENT UNBLOCK 999999 ERROR',
    'CLIENT HELP',
    'CLIENT HELP x',
    'MONITOR x',
    'EXEC x',
    'EXEC',
  ]));

/** The CLIENT LIST fields whose values the two servers must agree on, for connections other than the caller. */
const SAME_FIELDS = ['name', 'flags', 'db', 'sub', 'psub', 'ssub', 'multi', 'qbuf', 'argv-mem', 'multi-mem'];
const SAME_FIELDS_OTHERS = [...SAME_FIELDS, 'events', 'cmd', 'user', 'redir', 'resp'];
/** The caller's own line, whose output buffers are known to be empty, agrees on these too. */
const SAME_FIELDS_SELF = [...SAME_FIELDS_OTHERS, 'obl', 'oll', 'omem'];

function pick(r: Record<string, string> | undefined, fields: readonly string[]): Record<string, string> {
  assert.ok(r !== undefined, 'connection listed');
  return Object.fromEntries(fields.map((f) => [f, r[f]!]));
}

test('CLIENT LIST and INFO report names, flags, MULTI, subscriptions, blocking, monitors, buffers and commands as Redis', async () => {
  const [mine, ref] = await onBoth(pair, async (s) => {
    const [x, y, z, w, m, t] = await Promise.all([s.open(), s.open(), s.open(), s.open(), s.open(), s.open()]);
    for (const [c, name] of [
      [x, 'x'],
      [y, 'y'],
      [z, 'z'],
      [w, 'w'],
      [m, 'm'],
      [t, 't'],
    ] as const) {
      await s.call(c, 'CLIENT', 'SETNAME', name);
    }
    await s.call(x, 'FLUSHALL');
    await s.call(y, 'WATCH', 'k');
    await s.call(x, 'SET', 'k', '2');
    // Once a watched key is touched, nothing more is queued (multi.c queueMultiCommand).
    for (const cmd of [['MULTI'], ['SET', 'k', 'v'], ['GET', 'k']]) await s.call(y, ...cmd);
    for (const cmd of [['MULTI'], ['SET', 'k', 'v'], ['GET', 'k']]) await s.call(t, ...cmd);
    await s.call(z, 'SUBSCRIBE', 'ch');
    await s.call(z, 'PSUBSCRIBE', 'p*');
    s.send(w, 'BLPOP', 'q', '0');
    await s.blockedClients(x, 1);
    await s.call(m, 'MONITOR');
    await s.call(x, 'CLIENT', 'NO-EVICT', 'ON');
    const all = await s.clients(x);
    const out: Record<string, unknown> = {
      fields: Object.keys(all.get('x')!),
      x: pick(all.get('x'), SAME_FIELDS_SELF),
    };
    for (const name of ['y', 't', 'z', 'w', 'm']) out[name] = pick(all.get(name), SAME_FIELDS_OTHERS);
    out.pubsub = [...(await s.clients(x, 'TYPE', 'pubsub')).keys()];
    out.normal = [...(await s.clients(x, 'TYPE', 'normal')).keys()].sort();
    out.replica = [...(await s.clients(x, 'TYPE', 'replica')).keys()];
    const ids = new Map([...all.values()].map((r) => [r.name!, r.id!]));
    const byId = clientRecords(
      String(await s.call(x, 'CLIENT', 'LIST', 'ID', ids.get('y')!, ids.get('x')!, ids.get('y')!)),
    );
    out.byId = byId.map((r) => r.name);
    out.info = pick(clientRecords(String(await s.call(x, 'CLIENT', 'INFO')))[0], SAME_FIELDS_SELF);
    out.unknownCmd = await s.call(x, 'NOSUCH');
    // What the lookup found: NULL for an unknown command or subcommand, the command for a wrong arity.
    const q = await s.open();
    out.afterUnknown = (await s.clients(q, 'ID', ids.get('x')!)).get('x')!.cmd;
    out.unknownSub = await s.call(x, 'CLIENT', 'NOSUCH');
    out.afterUnknownSub = (await s.clients(q, 'ID', ids.get('x')!)).get('x')!.cmd;
    out.afterArity = await s.call(x, 'GET');
    out.afterArityCmd = (await s.clients(q, 'ID', ids.get('x')!)).get('x')!.cmd;
    return out;
  });
  // FlashCache prints redis-server 7.0's fields in its order, then Redis 7.2's lib-name and lib-ver.
  assert.deepEqual(mine.fields, [...(ref.fields as string[]), 'lib-name', 'lib-ver']);
  assert.deepEqual({ ...mine, fields: null }, { ...ref, fields: null });
  assert.equal((mine.x as Record<string, string>).flags, 'e');
  assert.equal((mine.y as Record<string, string>).flags, 'xd');
  assert.equal((mine.t as Record<string, string>).multi, '2');
  assert.equal((mine.t as Record<string, string>)['multi-mem'], String(3 + 1 + 1 + 24 + 3 + 1 + 16));
  assert.equal((mine.w as Record<string, string>).flags, 'b');
  assert.equal((mine.m as Record<string, string>).flags, 'O');
  assert.equal((mine.x as Record<string, string>).qbuf, '26');
});

/** Sends `commands` pipelined on a fresh connection and returns every byte received within the replies expected. */
async function pipelined(c: RawClient, commands: string[][], replies: number): Promise<string> {
  for (const cmd of commands) c.write(encodeCommand(cmd));
  let out = '';
  for (let i = 0; i < replies; i++) out += await c.read();
  return out;
}

test('CLIENT REPLY OFF, SKIP and ON silence replies as Redis does, pub/sub pushes and errors included', async () => {
  const [mine, ref] = await onBoth(pair, async (s) => {
    const [c, o] = await Promise.all([s.open(), s.open()]);
    const out: string[] = [];
    out.push(
      await pipelined(
        c,
        [['CLIENT', 'REPLY', 'OFF'], ['PING', 'a'], ['SET', 'x', '1'], ['NOSUCH'], ['CLIENT', 'REPLY', 'ON']],
        1,
      ),
    );
    out.push(
      await pipelined(
        c,
        [
          ['CLIENT', 'REPLY', 'SKIP'],
          ['PING', 'skipped'],
          ['PING', 'shown'],
        ],
        1,
      ),
    );
    out.push(
      await pipelined(
        c,
        [
          ['CLIENT', 'REPLY', 'SKIP'],
          ['CLIENT', 'REPLY', 'SKIP'],
          ['PING', 's'],
          ['PING', 'shown2'],
        ],
        1,
      ),
    );
    out.push(await pipelined(c, [['CLIENT', 'REPLY', 'SKIP'], ['CLIENT', 'REPLY', 'ON'], ['PING']], 2));
    out.push(await pipelined(c, [['CLIENT', 'REPLY', 'OFF'], ['RESET'], ['PING', 'after']], 2));
    out.push(await pipelined(c, [['CLIENT', 'REPLY', 'SKIP'], ['RESET'], ['PING', 'after2']], 1));
    out.push(
      await pipelined(
        c,
        [
          ['CLIENT', 'REPLY', 'OFF'],
          ['CLIENT', 'REPLY', 'SKIP'],
          ['CLIENT', 'REPLY', 'ON'],
        ],
        1,
      ),
    );
    out.push(
      await pipelined(
        c,
        [['MULTI'], ['CLIENT', 'REPLY', 'OFF'], ['EXEC'], ['PING', 'x'], ['CLIENT', 'REPLY', 'ON']],
        3,
      ),
    );
    // A blocked command's reply is dropped when it comes, and SKIP is spent then.
    s.send(c, 'CLIENT', 'REPLY', 'SKIP');
    s.send(c, 'BLPOP', 'q', '0');
    s.send(c, 'PING', 'afterblpop');
    await s.blockedClients(o, 1);
    await s.call(o, 'RPUSH', 'q', 'a');
    out.push((await c.read())!);
    // Under OFF, subscription confirmations and messages are still pushed (pubsub.c's CLIENT_PUSHING).
    s.send(c, 'CLIENT', 'REPLY', 'OFF');
    s.send(c, 'SUBSCRIBE', 'ch');
    out.push((await c.read())!);
    await s.call(o, 'PUBLISH', 'ch', 'm');
    out.push((await c.read())!);
    out.push(await pipelined(c, [['UNSUBSCRIBE'], ['CLIENT', 'REPLY', 'ON']], 2));
    return out;
  });
  assert.deepEqual(mine, ref);
  assert.equal(mine[0], '+OK\r\n');
  assert.equal(mine[1], '$5\r\nshown\r\n');
});

test('RESET ends MONITOR mode, CLIENT REPLY OFF, MULTI and the name, and keeps CLIENT NO-EVICT, as Redis', async () => {
  const [mine, ref] = await onBoth(pair, async (s) => {
    const [c, o] = await Promise.all([s.open(), s.open()]);
    const id = String(await s.call(c, 'CLIENT', 'ID'));
    const fields = async (): Promise<Record<string, string>> => {
      const [r] = clientRecords(String(await s.call(o, 'CLIENT', 'LIST', 'ID', id)));
      return pick(r, ['name', 'flags', 'multi', 'db']);
    };
    for (const cmd of [['SELECT', '3'], ['CLIENT', 'SETNAME', 'r'], ['CLIENT', 'NO-EVICT', 'ON'], ['MONITOR']]) {
      await s.call(c, ...cmd);
    }
    const out: unknown[] = [await fields()];
    out.push(await pipelined(c, [['CLIENT', 'REPLY', 'OFF'], ['MULTI'], ['RESET'], ['PING']], 2));
    out.push(await fields());
    // Out of MONITOR mode: another client's command shows nothing here.
    await s.call(o, 'SET', 'k', 'v');
    out.push(await s.call(c, 'GET', 'k'));
    return out;
  });
  assert.deepEqual(mine, ref);
  assert.deepEqual(mine[2], { name: '', flags: 'e', multi: '-1', db: '0' });
});

test('CLIENT UNBLOCK ends BLPOP and BLMOVE with their timeout reply or -UNBLOCKED, and the client goes on', async () => {
  const [mine, ref] = await onBoth(pair, async (s) => {
    const [x, w] = await Promise.all([s.open(), s.open()]);
    const id = String(await s.call(w, 'CLIENT', 'ID'));
    const out: unknown[] = [];
    out.push(await s.call(x, 'CLIENT', 'UNBLOCK', id));
    s.send(w, 'BLPOP', 'q', '0');
    s.send(w, 'PING', 'next');
    await s.blockedClients(x, 1);
    out.push(await s.call(x, 'CLIENT', 'UNBLOCK', id));
    out.push(await w.read(), await w.read());
    await s.blockedClients(x, 0);
    s.send(w, 'BLPOP', 'q', '0');
    await s.blockedClients(x, 1);
    out.push(await s.call(x, 'CLIENT', 'UNBLOCK', id, 'error'));
    out.push(await w.read());
    out.push(await s.call(x, 'CLIENT', 'UNBLOCK', id, 'ERROR'));
    s.send(w, 'BLMOVE', 'q', 'd', 'LEFT', 'RIGHT', '0');
    await s.blockedClients(x, 1);
    out.push(await s.call(x, 'CLIENT', 'UNBLOCK', id, 'TIMEOUT'));
    out.push(await w.read());
    // Unblocked, it waits no more: a push to its key goes to nobody.
    out.push(await s.call(x, 'RPUSH', 'q', 'v'), await s.call(x, 'LLEN', 'q'));
    await s.call(x, 'DEL', 'q');
    return out;
  });
  assert.deepEqual(mine, ref);
  assert.deepEqual(mine.slice(0, 5), [0, 1, '*-1\r\n', '$4\r\nnext\r\n', 1]);
  assert.equal(mine[5], '-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n');
});

test('CLIENT KILL MAXAGE (Redis 7.4, not in 7.0) kills connections at least that many seconds old', async () => {
  const x = pair.a;
  assert.equal(await x.call('CLIENT', 'KILL', 'MAXAGE', '0'), '-ERR maxage should be greater than 0\r\n');
  assert.equal(await x.call('CLIENT', 'KILL', 'MAXAGE', 'x'), '-ERR maxage is not an integer or out of range\r\n');
  const young = await RawClient.connect(pair.fc.port);
  try {
    const id = (await young.call('CLIENT', 'ID'))!.slice(1, -2);
    assert.equal(await x.call('CLIENT', 'KILL', 'ID', id, 'MAXAGE', '1'), ':0\r\n');
    await waitFor(async () => / age=[1-9]/.test((await x.call('CLIENT', 'LIST', 'ID', id))!), 5000, 'a second of age');
    assert.equal(await x.call('CLIENT', 'KILL', 'ID', id, 'MAXAGE', '1'), ':1\r\n');
    await young.waitClosed();
  } finally {
    young.close();
  }
});

test('CLIENT KILL by TYPE, ADDR, ID, USER, SKIPME and LADDR, and the old ip:port form, close what Redis closes', async () => {
  const [mine, ref] = await onBoth(pair, async (s) => {
    const [x, y, z, w, v] = await Promise.all([s.open(), s.open(), s.open(), s.open(), s.open()]);
    // The other tests' connections are gone: with the pair's own, six are left.
    await waitFor(async () => /connected_clients:6\r/.test(String(await s.call(x, 'INFO', 'clients'))), 5000, 'six');
    for (const [c, name] of [
      [x, 'x'],
      [y, 'y'],
      [z, 'z'],
      [w, 'w'],
      [v, 'v'],
    ] as const) {
      await s.call(c, 'CLIENT', 'SETNAME', name);
    }
    await s.call(z, 'SUBSCRIBE', 'ch');
    const all = await s.clients(x);
    const out: unknown[] = [];
    out.push(await s.call(x, 'CLIENT', 'KILL', 'TYPE', 'pubsub'));
    await z.waitClosed();
    out.push(await s.call(x, 'CLIENT', 'KILL', 'ADDR', all.get('y')!.addr!));
    await y.waitClosed();
    out.push(await s.call(x, 'CLIENT', 'KILL', 'ID', all.get('w')!.id!, 'USER', 'default'));
    await w.waitClosed();
    out.push(await s.call(x, 'CLIENT', 'KILL', all.get('v')!.addr!));
    await v.waitClosed();
    out.push(await s.call(x, 'CLIENT', 'KILL', all.get('v')!.addr!));
    out.push(await s.call(x, 'CLIENT', 'KILL', 'ADDR', all.get('x')!.addr!, 'SKIPME', 'yes'));
    // Every other connection to this address, the pair's own included (this test runs last).
    out.push(await s.call(x, 'CLIENT', 'KILL', 'LADDR', all.get('x')!.laddr!));
    // Killing itself: the reply comes, then the connection closes.
    out.push(await s.call(x, 'CLIENT', 'KILL', 'ADDR', all.get('x')!.addr!, 'SKIPME', 'no'));
    await x.waitClosed();
    const [u, t] = await Promise.all([s.open(), s.open()]);
    out.push(await s.call(u, 'CLIENT', 'KILL', 'LADDR', all.get('x')!.laddr!, 'SKIPME', 'no'));
    await Promise.all([u.waitClosed(), t.waitClosed()]);
    return out;
  });
  assert.deepEqual(mine, ref);
  assert.deepEqual(mine, [1, 1, 1, 'OK', { err: 'ERR No such client' }, 0, 1, 1, 2]);
});
