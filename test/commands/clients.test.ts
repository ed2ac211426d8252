/**
 * Real clients start cleanly and drive the server: redis-cli, redis-benchmark
 * and ioredis, plus the introspection commands they rely on (COMMAND, INFO,
 * CLIENT, HELLO).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanup, redisCli, run, startServer, type ServerHandle } from '../helpers/server.js';

let srv: ServerHandle;

before(async () => {
  srv = await startServer();
});

after(async () => {
  await srv.stop();
  cleanup(srv.dir);
});

test('a redis-cli session: strings, keys, databases, expiry', async () => {
  const cli = (...args: string[]): Promise<string> => redisCli(srv.port, args).then((r) => r.stdout.trim());
  assert.equal(await cli('SET', 'greeting', 'hello'), 'OK');
  assert.equal(await cli('APPEND', 'greeting', ' world'), '11');
  assert.equal(await cli('GET', 'greeting'), 'hello world');
  assert.equal(await cli('INCRBY', 'visits', '5'), '5');
  assert.equal(await cli('EXPIRE', 'visits', '100'), '1');
  assert.equal(await cli('TTL', 'visits'), '100');
  assert.equal(await cli('-n', '2', 'SET', 'other-db', 'x'), 'OK');
  assert.equal(await cli('-n', '2', 'DBSIZE'), '1');
  assert.equal(await cli('EXISTS', 'other-db'), '0');
  assert.deepEqual((await cli('--scan')).split('\n').sort(), ['greeting', 'visits']);
  assert.equal(await cli('DEL', 'greeting', 'visits'), '2');
  assert.equal(await cli('GET', 'greeting'), '');
  assert.match(await cli('NOSUCH'), /ERR unknown command 'NOSUCH'/);
  assert.match(await cli('INFO', 'server'), new RegExp(`process_id:${srv.proc.pid}`));
});

test('redis-cli in interactive mode reads commands from stdin', async () => {
  const r = await redisCli(srv.port, [], 'SET piped 1\nINCR piped\nGET piped\n');
  assert.equal(r.stdout.trim().split('\n').join(','), 'OK,2,2');
});

test('redis-benchmark completes set, get and incr pipelined without errors', async () => {
  const r = await run('redis-benchmark', [
    '-p',
    String(srv.port),
    '-t',
    'set,get,incr',
    '-n',
    '100000',
    '-P',
    '16',
    '-q',
  ]);
  assert.equal(r.code, 0, r.stderr);
  for (const t of ['SET', 'GET', 'INCR']) assert.match(r.stdout, new RegExp(`${t}: [0-9.]+ requests per second`));
  assert.doesNotMatch(r.stdout + r.stderr, /ERR|error/i);
});

test('ioredis connects (ready check on INFO), pipelines and reads binary replies', async () => {
  const redis = srv.client();
  await new Promise<void>((r) => (redis.status === 'ready' ? r() : redis.once('ready', () => r())));
  const results = await redis.pipeline().set('p1', 'a').get('p1').incr('p2').mget('p1', 'p2', 'p3').exec();
  assert.deepEqual(
    results!.map(([err, v]) => (err ? String(err) : v)),
    ['OK', 'a', 1, ['a', '1', null]],
  );
  redis.disconnect();
});

test('COMMAND answers from the command table', async () => {
  const redis = srv.client();
  const count = (await redis.call('COMMAND', 'COUNT')) as number;
  assert.ok(count >= 50, `COMMAND COUNT is ${count}`);
  const [get] = (await redis.command('INFO', 'get')) as unknown[][];
  assert.deepEqual(get!.slice(0, 6), ['get', 2, ['readonly', 'fast'], 1, 1, 1]);
  const [mset] = (await redis.command('INFO', 'mset')) as unknown[][];
  assert.deepEqual(mset!.slice(0, 6), ['mset', -3, ['write', 'denyoom'], 1, -1, 2]);
  assert.deepEqual(await redis.command('INFO', 'nosuch'), [null]);
  const docs = (await redis.command('DOCS', 'set')) as unknown[];
  assert.equal(docs[0], 'set');
  assert.deepEqual((docs[1] as unknown[]).slice(0, 2), [
    'summary',
    "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.",
  ]);
  assert.deepEqual(await redis.command('GETKEYS', 'MSET', 'a', '1', 'b', '2'), ['a', 'b']);
  const all = (await redis.call('COMMAND')) as unknown[][];
  assert.equal(all.length, count);
  const config = all.find((c) => c[0] === 'config')!;
  assert.ok(
    (config[9] as unknown[][]).some((s) => s[0] === 'config|get'),
    'subcommands are listed',
  );
});

test('CLIENT ID, SETNAME, GETNAME, INFO, LIST, SETINFO and HELLO', async () => {
  const redis = srv.client();
  const id = (await redis.client('ID')) as number;
  assert.equal(await redis.client('SETNAME', 'worker-1'), 'OK');
  assert.equal(await redis.client('GETNAME'), 'worker-1');
  assert.equal(await redis.call('CLIENT', 'SETINFO', 'LIB-NAME', 'mylib'), 'OK');
  const info = (await redis.client('INFO')) as string;
  assert.match(info, new RegExp(`^id=${id} addr=127\\.0\\.0\\.1:\\d+ .*name=worker-1 .*db=0 .*lib-name=mylib`));
  const list = (await redis.client('LIST')) as string;
  assert.ok(list.split('\n').some((l) => l.startsWith(`id=${id} `)));
  // The same line, but for the query buffer and arguments of the command running (qbuf, argv-mem, tot-mem).
  const running = (l: string): string => l.replace(/ (qbuf|argv-mem|tot-mem)=\d+/g, '');
  assert.equal(
    running((await redis.client('LIST', 'ID', String(id))) as string),
    running(list.split('\n').find((l) => l.startsWith(`id=${id} `)) + '\n'),
  );
  const hello = (await redis.call('HELLO', '2', 'SETNAME', 'greeter')) as unknown[];
  assert.deepEqual(hello.slice(0, 6), ['server', 'redis', 'version', '7.0.0', 'proto', 2]);
  assert.equal(hello[7], id);
  assert.equal(await redis.client('GETNAME'), 'greeter');
  const hello3 = (await redis.call('HELLO', '3')) as unknown[];
  assert.deepEqual(hello3.slice(4, 6), ['proto', 3], 'HELLO 3 switches to RESP3');
  await assert.rejects(redis.call('HELLO', '4'), /NOPROTO/);
});

test('INFO sections, FLUSHDB, FLUSHALL, TIME', async () => {
  const redis = srv.client();
  const info = await redis.info();
  for (const section of ['Server', 'Clients', 'Memory', 'Persistence', 'Stats', 'Replication', 'CPU', 'Keyspace']) {
    assert.match(info, new RegExp(`^# ${section}\r$`, 'm'));
  }
  assert.match(info, /^loading:0\r$/m);
  await redis.select(1);
  await redis.mset('x', '1', 'y', '2');
  await redis.select(0);
  await redis.set('z', '3');
  assert.match(await redis.info('keyspace'), /db1:keys=2,expires=0/);
  await redis.select(1);
  assert.equal(await redis.flushdb(), 'OK');
  assert.equal(await redis.dbsize(), 0);
  await redis.select(0);
  assert.ok((await redis.dbsize()) > 0);
  assert.equal(await redis.flushall(), 'OK');
  assert.equal(await redis.dbsize(), 0);
  const [sec, usec] = await redis.time();
  assert.ok(Math.abs(Number(sec) - Date.now() / 1000) < 5);
  assert.ok(Number(usec) >= 0 && Number(usec) < 1e6);
  assert.equal(await redis.config('RESETSTAT'), 'OK');
  assert.match(await redis.info('stats'), /total_commands_processed:[0-2]\r/);
});
