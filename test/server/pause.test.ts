/**
 * CLIENT PAUSE against redis-server 7.0.15: the same scenarios on both
 * servers, waiting on conditions (INFO `blocked_clients`, a key read as
 * expired) rather than on time: WRITE holds writes, PUBLISH and an EXEC that
 * queued a write, and lets reads and read-only transactions through; ALL
 * holds everything, CLIENT UNPAUSE included, until the timeout; a pause
 * begun inside a transaction holds what comes after it; keys neither expire
 * nor are removed meanwhile.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverPair, type Pair } from '../helpers/differential.js';
import { clientRecords, onBoth } from '../helpers/scenario.js';
import { waitFor } from '../helpers/server.js';

let pair: Pair;
serverPair((p) => (pair = p));

test('CLIENT PAUSE WRITE holds writes, PUBLISH and EXECs with writes until UNPAUSE, and lets reads through', async () => {
  const [mine, ref] = await onBoth(pair, async (s) => {
    const [admin, w, p, r, e, ro] = await Promise.all([s.open(), s.open(), s.open(), s.open(), s.open(), s.open()]);
    await s.call(admin, 'FLUSHALL');
    await s.call(admin, 'SET', 'k', 'old');
    const out: unknown[] = [];
    for (const cmd of [['MULTI'], ['SET', 'z', '1']]) out.push(await s.call(e, ...cmd));
    out.push(await s.call(admin, 'CLIENT', 'PAUSE', '100000', 'WRITE'));
    s.send(w, 'SET', 'k', 'new');
    s.send(w, 'GET', 'k');
    s.send(p, 'PUBLISH', 'ch', 'm');
    s.send(e, 'EXEC');
    await s.blockedClients(admin, 3);
    // Reads, read-only transactions and arity errors are answered meanwhile.
    out.push(await s.call(r, 'GET', 'k'), await s.call(r, 'SET', 'k'), await s.call(r, 'PING'));
    for (const cmd of [['MULTI'], ['GET', 'k'], ['PING'], ['EXEC']]) out.push(await s.call(ro, ...cmd));
    const held = clientRecords(String(await s.call(admin, 'CLIENT', 'LIST')));
    out.push(
      held
        .filter((c) => c.flags!.includes('b'))
        .map((c) => c.cmd)
        .sort(),
    );
    out.push(await s.call(admin, 'CLIENT', 'UNPAUSE'));
    out.push(await w.read(), await w.read(), await p.read(), await e.read());
    await s.blockedClients(admin, 0);
    return out;
  });
  assert.deepEqual(mine, ref);
  assert.deepEqual(mine.at(-6), ['exec', 'publish', 'set']);
  assert.deepEqual(mine.slice(-4), ['+OK\r\n', '$3\r\nnew\r\n', ':0\r\n', '*1\r\n+OK\r\n']);
});

test('CLIENT PAUSE ALL holds every command, CLIENT UNPAUSE too, until its timeout', async () => {
  const [mine, ref] = await onBoth(pair, async (s) => {
    const [admin, r, u] = await Promise.all([s.open(), s.open(), s.open()]);
    const out: unknown[] = [await s.call(admin, 'CLIENT', 'PAUSE', '400', 'ALL')];
    const t0 = Date.now();
    s.send(u, 'CLIENT', 'UNPAUSE');
    out.push(await s.call(r, 'PING'));
    out.push(Date.now() - t0 >= 300);
    out.push(await u.read());
    // A shorter pause does not shorten the one in force; a WRITE pause does not weaken an ALL one.
    out.push(await s.call(admin, 'CLIENT', 'PAUSE', '400', 'ALL'));
    const t1 = Date.now();
    out.push(await s.call(u, 'CLIENT', 'PAUSE', '10', 'WRITE'));
    out.push(Date.now() - t1 >= 300);
    return out;
  });
  assert.deepEqual(mine, ref);
  assert.deepEqual(mine, ['OK', 'PONG', true, '+OK\r\n', 'OK', 'OK', true]);
});

test('a CLIENT PAUSE inside a transaction holds what comes after the EXEC, not the rest of it', async () => {
  const [mine, ref] = await onBoth(pair, async (s) => {
    const [c, d, x] = await Promise.all([s.open(), s.open(), s.open()]);
    await s.call(c, 'FLUSHALL');
    const out: unknown[] = [];
    for (const cmd of [['MULTI'], ['SET', 'f1', 'a'], ['CLIENT', 'PAUSE', '100000', 'WRITE'], ['SET', 'f2', 'b']]) {
      out.push(await s.call(c, ...cmd));
    }
    out.push(await s.call(c, 'EXEC'));
    s.send(d, 'SET', 'f3', 'c');
    await s.blockedClients(x, 1);
    out.push(await s.call(x, 'MGET', 'f1', 'f2', 'f3'));
    out.push(await s.call(x, 'CLIENT', 'UNPAUSE'), await d.read(), await s.call(x, 'GET', 'f3'));
    return out;
  });
  assert.deepEqual(mine, ref);
  assert.deepEqual(mine.at(-4), ['a', 'b', null]);
});

test('while clients are paused, expired keys read as gone but are neither removed nor counted until the pause ends', async () => {
  const [mine, ref] = await onBoth(pair, async (s) => {
    const c = await s.open();
    await s.call(c, 'FLUSHALL');
    const expired = async (): Promise<number> =>
      Number(/expired_keys:(\d+)/.exec(String(await s.call(c, 'INFO', 'stats')))![1]);
    const before = await expired();
    for (const cmd of [['MULTI'], ['SET', 'a', '1', 'PX', '30'], ['SET', 'b', '1', 'PX', '30']])
      await s.call(c, ...cmd);
    await s.call(c, 'CLIENT', 'PAUSE', '100000', 'WRITE');
    await s.call(c, 'EXEC');
    await waitFor(async () => (await s.call(c, 'PTTL', 'a')) === -2, 5000, 'key a to expire');
    await waitFor(async () => (await s.call(c, 'EXISTS', 'b')) === 0, 5000, 'key b to expire');
    // A few cron cycles of active expiry pass, and nothing is removed.
    await new Promise((r) => setTimeout(r, 300));
    const out: unknown[] = [await s.call(c, 'GET', 'a'), await s.call(c, 'DBSIZE'), (await expired()) - before];
    await s.call(c, 'CLIENT', 'UNPAUSE');
    out.push(await s.call(c, 'GET', 'a'), await s.call(c, 'GET', 'b'), (await expired()) - before);
    return out;
  });
  assert.deepEqual(mine, ref);
  assert.deepEqual(mine, [null, 2, 0, null, null, 2]);
});

test('while clients are paused nothing is evicted, however far over maxmemory; eviction resumes after', async () => {
  const [mine, ref] = await onBoth(pair, async (s) => {
    const c = await s.open();
    await s.call(c, 'FLUSHALL');
    for (let i = 0; i < 50; i++) await s.call(c, 'SET', `key:${i}`, 'x'.repeat(100));
    await s.call(c, 'CLIENT', 'PAUSE', '100000', 'WRITE');
    await s.call(c, 'CONFIG', 'SET', 'maxmemory-policy', 'allkeys-random');
    await s.call(c, 'CONFIG', 'SET', 'maxmemory', '1');
    // A few cron cycles pass, and nothing is evicted.
    await new Promise((r) => setTimeout(r, 300));
    const out: unknown[] = [await s.call(c, 'DBSIZE'), await s.call(c, 'GET', 'key:7')];
    await s.call(c, 'CLIENT', 'UNPAUSE');
    await waitFor(async () => (await s.call(c, 'DBSIZE')) === 0, 5000, 'every key to be evicted');
    await s.call(c, 'CONFIG', 'SET', 'maxmemory', '0');
    await s.call(c, 'CONFIG', 'SET', 'maxmemory-policy', 'noeviction');
    return out;
  });
  assert.deepEqual(mine, ref);
  assert.deepEqual(mine, [50, 'x'.repeat(100)]);
});
