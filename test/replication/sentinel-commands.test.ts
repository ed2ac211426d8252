/**
 * What Redis Sentinel sends to a FlashCache node and reads back
 * (src/sentinel.c): replica links listed and killed as replicas, never as
 * normal clients; its reconfiguration transaction (MULTI, SLAVEOF, CONFIG
 * REWRITE, CLIENT KILL TYPE normal|pubsub, EXEC) changing the role in the
 * config file; the INFO fields it parses; pub/sub hellos on a replica; and
 * `repl-timeout` marking a silent primary's link down.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanup, startServer, tempDir, waitFor, type ServerHandle } from '../helpers/server.js';
import { converged, info, startReplica } from './helpers.js';

/** CLIENT LIST's lines as field maps. */
async function clientList(
  c: ReturnType<ServerHandle['client']>,
  ...filter: string[]
): Promise<Record<string, string>[]> {
  const text = (await c.call('CLIENT', 'LIST', ...filter)) as string;
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) =>
      Object.fromEntries(l.split(' ').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)])),
    );
}

async function stopAll(...servers: ServerHandle[]): Promise<void> {
  for (const s of servers) {
    await s.stop();
    cleanup(s.dir);
  }
}

test('a replica link is a replica (S) on the primary and a master (M) on the replica, for LIST and KILL', async (t) => {
  const primary = await startServer();
  const replica = await startReplica(primary);
  t.after(() => stopAll(replica, primary));
  const p = primary.client();
  const r = replica.client();
  await p.set('k', '1');
  await converged(p, r);
  const sub = primary.client();
  await sub.subscribe('__sentinel__:hello');
  const other = primary.client({ retryStrategy: () => null });
  await other.ping();

  const replicas = await clientList(p, 'TYPE', 'replica');
  assert.equal(replicas.length, 1);
  assert.equal(replicas[0]!['flags'], 'S');
  assert.deepEqual(
    (await clientList(p, 'TYPE', 'slave')).map((x) => x['id']),
    replicas.map((x) => x['id']),
  );
  assert.ok((await clientList(p, 'TYPE', 'normal')).every((x) => x['flags'] !== 'S'));
  assert.ok((await clientList(p)).some((x) => x['id'] === replicas[0]!['id']));

  // Sentinel's reconfiguration kills normal and pub/sub clients: the replica link survives both.
  const partialBefore = Number((await info(p, 'stats'))['sync_partial_ok']);
  assert.equal(await p.call('CLIENT', 'KILL', 'TYPE', 'normal'), 1);
  assert.equal(await p.call('CLIENT', 'KILL', 'TYPE', 'pubsub'), 1);
  await p.set('k', '2');
  await converged(p, r);
  assert.equal((await info(p))['connected_slaves'], '1');
  assert.equal(Number((await info(p, 'stats'))['sync_partial_ok']), partialBefore);

  const masters = await clientList(r, 'TYPE', 'master');
  assert.equal(masters.length, 1);
  assert.equal(masters[0]!['flags'], 'M');
  assert.equal(masters[0]!['addr'], `127.0.0.1:${primary.port}`);
  assert.equal(masters[0]!['cmd'], 'set');
  assert.deepEqual(
    (await clientList(r, 'ID', masters[0]!['id']!)).map((x) => x['flags']),
    ['M'],
  );
  assert.equal((await clientList(r, 'TYPE', 'normal')).filter((x) => x['flags'] === 'M').length, 0);
  assert.equal(await r.call('CLIENT', 'KILL', 'TYPE', 'normal'), 0);
  assert.equal((await info(r))['master_link_status'], 'up');

  // Killing either end drops the link; the replica comes back by partial sync.
  assert.equal(await r.call('CLIENT', 'KILL', 'TYPE', 'master'), 1);
  await waitFor(
    async () => Number((await info(p, 'stats'))['sync_partial_ok']) === partialBefore + 1,
    10_000,
    'resync',
  );
  assert.equal(await p.call('CLIENT', 'KILL', 'TYPE', 'replica'), 1);
  await waitFor(
    async () => Number((await info(p, 'stats'))['sync_partial_ok']) === partialBefore + 2,
    10_000,
    'resync',
  );
  await p.set('k', '3');
  await converged(p, r);
  assert.equal(await r.get('k'), '3');
});

test("Sentinel's reconfiguration transaction changes the role, and CONFIG REWRITE keeps it across a restart", async (t) => {
  const a = await startServer();
  const bDir = tempDir();
  const conf = join(bDir, 'node.conf');
  // `slaveof` is the old name of `replicaof`.
  writeFileSync(conf, `# a replica\nslaveof 127.0.0.1 ${a.port}\nreplica-priority 7\n`);
  let b = await startServer({ dir: bDir, args: [conf] });
  t.after(async () => {
    await b.stop();
    await stopAll(a);
    cleanup(bDir);
  });
  const ca = a.client();
  await ca.set('x', '1');
  let cb = b.client();
  await converged(ca, cb);
  assert.equal((await info(cb))['slave_priority'], '7');
  assert.deepEqual(await cb.call('CONFIG', 'GET', 'replicaof'), ['replicaof', `127.0.0.1 ${a.port}`]);

  // sentinel.c sentinelSendSlaveOf, promotion: its replies are those Redis gives.
  const promote = (await cb
    .multi()
    .call('SLAVEOF', 'NO', 'ONE')
    .call('CONFIG', 'REWRITE')
    .call('CLIENT', 'KILL', 'TYPE', 'normal')
    .call('CLIENT', 'KILL', 'TYPE', 'pubsub')
    .exec())!;
  assert.deepEqual(
    promote.map(([err, v]) => err ?? v),
    ['OK', 'OK', 0, 0],
  );
  assert.equal((await info(cb))['role'], 'master');
  const text = readFileSync(conf, 'utf8');
  assert.doesNotMatch(text, /slaveof|replicaof/);
  assert.match(text, /^# a replica$/m);
  await cb.set('y', '2');

  // Demotion of the other node toward it, as Sentinel sends it.
  const demote = (await ca
    .multi()
    .call('SLAVEOF', '127.0.0.1', String(b.port))
    .call('CONFIG', 'REWRITE')
    .call('CLIENT', 'KILL', 'TYPE', 'normal')
    .call('CLIENT', 'KILL', 'TYPE', 'pubsub')
    .exec())!;
  // `a` runs without a config file: CONFIG REWRITE fails inside EXEC, the rest applies.
  assert.equal(demote[0]![1], 'OK');
  assert.match(String(demote[1]![0]), /without a config file/);
  await waitFor(async () => (await ca.get('y')) === '2', 10_000, 'a to follow b');

  // b, demoted in turn and restarted on the same config file, is a replica again.
  assert.deepEqual(
    (await cb.multi().call('REPLICAOF', '127.0.0.1', String(a.port)).call('CONFIG', 'REWRITE').exec())!.map(
      ([e, v]) => e ?? v,
    ),
    ['OK', 'OK'],
  );
  assert.match(readFileSync(conf, 'utf8'), new RegExp(`^replicaof 127\\.0\\.0\\.1 ${a.port}$`, 'm'));
  assert.doesNotMatch(readFileSync(conf, 'utf8'), /slaveof/);
  await b.stop();
  b = await startServer({ dir: bDir, args: [conf] });
  cb = b.client();
  const ri = await info(cb);
  assert.equal(ri['role'], 'slave');
  assert.equal(ri['master_host'], '127.0.0.1');
  assert.equal(ri['master_port'], String(a.port));
});

test('INFO as Sentinel parses it, announced addresses, and hellos published on a replica', async (t) => {
  const primary = await startServer();
  const replica = await startReplica(primary, {
    args: ['--replica-announce-ip', '10.1.2.3', '--replica-announce-port', '17001', '--replica-priority', '0'],
  });
  t.after(() => stopAll(replica, primary));
  const p = primary.client();
  const r = replica.client();
  await p.set('a', '1');
  await converged(p, r);

  const pi = await info(p, 'default');
  assert.match(pi['run_id']!, /^[0-9a-f]{40}$/);
  assert.equal(pi['role'], 'master');
  assert.equal(pi['connected_slaves'], '1');
  assert.match(
    pi['slave0']!,
    new RegExp(`^ip=10\\.1\\.2\\.3,port=17001,state=online,offset=${pi['master_repl_offset']},lag=[01]$`),
  );

  const ri = await info(r, 'default');
  assert.match(ri['run_id']!, /^[0-9a-f]{40}$/);
  assert.notEqual(ri['run_id'], pi['run_id']);
  assert.equal(ri['role'], 'slave');
  assert.equal(ri['master_host'], '127.0.0.1');
  assert.equal(ri['master_port'], String(primary.port));
  assert.equal(ri['master_link_status'], 'up');
  assert.equal(ri['master_link_down_since_seconds'], undefined);
  assert.equal(ri['slave_priority'], '0');
  assert.equal(ri['slave_repl_offset'], pi['master_repl_offset']);
  assert.equal(ri['replica_announced'], '1');
  assert.equal(ri['slave_read_only'], '1');

  // Sentinels find each other by hellos on every node, replicas included.
  const sub = replica.client();
  const got = new Promise<string>((resolve) => sub.on('message', (_ch: string, msg: string) => resolve(msg)));
  await sub.subscribe('__sentinel__:hello');
  assert.equal(await r.publish('__sentinel__:hello', '127.0.0.1,26379,abc,0,m,127.0.0.1,6379,0'), 1);
  assert.equal(await got, '127.0.0.1,26379,abc,0,m,127.0.0.1,6379,0');

  await primary.kill();
  await waitFor(async () => (await info(r))['master_link_status'] === 'down', 10_000, 'the link to go down');
  const down = await info(r);
  assert.match(down['master_link_down_since_seconds']!, /^\d+$/);
  assert.equal(down['master_host'], '127.0.0.1');
});

test('repl-timeout: a replica whose primary goes silent without closing marks the link down', async (t) => {
  const primary = await startServer();
  const replica = await startReplica(primary, { args: ['--repl-timeout', '2'] });
  t.after(async () => {
    if (primary.exitCode === null) primary.proc.kill('SIGCONT');
    await stopAll(replica, primary);
  });
  const p = primary.client();
  const r = replica.client();
  await p.set('a', '1');
  await converged(p, r);
  assert.deepEqual(await r.call('CONFIG', 'GET', 'repl-timeout'), ['repl-timeout', '2']);

  primary.proc.kill('SIGSTOP');
  const t0 = Date.now();
  await replica.waitForLog((l) => /MASTER timeout: no data nor PING received/.test(String(l.msg)), 10_000);
  const waited = Date.now() - t0;
  assert.ok(waited >= 1500, `marked down after ${waited} ms`);
  const ri = await info(r);
  assert.equal(ri['master_link_status'], 'down');
  assert.match(ri['master_link_down_since_seconds']!, /^\d+$/);

  primary.proc.kill('SIGCONT');
  await waitFor(async () => (await info(r))['master_link_status'] === 'up', 15_000, 'the link to come back');
  await p.set('a', '2');
  await converged(p, r);
});
