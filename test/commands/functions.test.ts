/**
 * FUNCTION and FCALL against Debian's redis-server 7.0.15: library loading
 * and its errors, FUNCTION LIST, DELETE, DUMP/RESTORE, FCALL and FCALL_RO
 * with flags, byte for byte in RESP2 and RESP3; libraries and FCALL writes
 * surviving SIGKILL.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RedisHandle } from '../helpers/redis.js';
import { cleanup, startServer, tempDir } from '../helpers/server.js';
import { encodeCommand, RawClient } from '../helpers/resp.js';
import { serverPair, type Command, sameInBothProtocols } from '../helpers/differential.js';

let redis: RedisHandle;
let fcPort: number;
let a: RawClient;
let b: RawClient;
serverPair((p) => {
  ({ redis, a, b } = p);
  fcPort = p.fc.port;
});

/** FLUSHALL and FUNCTION FLUSH, then each command on both servers, in RESP2 and then in RESP3. */
async function same(commands: Command[]): Promise<void> {
  await sameInBothProtocols(a, b, [fcPort, redis.port], ['FUNCTION FLUSH', ...commands]);
}

const load = (code: string, replace = false): string[] =>
  replace ? ['FUNCTION', 'LOAD', 'REPLACE', code] : ['FUNCTION', 'LOAD', code];

const LIB = [
  '#!lua name=mylib',
  'redis.register_function("echo2", function(keys, args) return {keys[1], args[1]} end)',
  'redis.register_function{function_name="ro", callback=function(keys) return redis.call("get", keys[1]) end,',
  '  flags={"no-writes"}, description="reads"}',
  'redis.register_function{function_name="wr", callback=function(keys, args)',
  '  return redis.call("set", keys[1], args[1]) end, flags={"allow-oom", "allow-stale"}}',
  'redis.register_function("boom", function() error("boom") end)',
  'redis.register_function("global", function() return nosuch end)',
].join('\n');

test('FUNCTION LOAD: metadata, registration and compile errors', () =>
  same([
    load('return 1'),
    load('#!lua\nreturn 1'),
    load('#!lua name=x\nreturn 1'),
    load('#!lua name=x\nreturn x'),
    load('#!lua name=x\nredis.call("ping")'),
    load('#!lua name=x\nerror("boom")'),
    load('#!lua name=x\nreturn +'),
    load('#!lua name=x foo=bar\n'),
    load('#!lua name=x name=y\n'),
    load('#!foo name=x\n'),
    load('#!lua name=x-y\n'),
    load('#!lua name=z\nredis.register_function("bad name", function() end)'),
    load('#!lua name=z\nredis.register_function{function_name="g", callback=function() end, flags={"bad"}}'),
    load('#!lua name=z\nredis.register_function{function_name="g", callback=function() end, other=1}'),
    load('#!lua name=z\nredis.register_function{callback=function() end}'),
    load('#!lua name=z\nredis.register_function{function_name="g"}'),
    load('#!lua name=z\nredis.register_function("g", 5)'),
    load('#!lua name=z\nredis.register_function()'),
    load('#!lua name=z\nredis.register_function(1)'),
    load('#!lua name=z\nredis.register_function("g", function() end) redis.register_function("g", function() end)'),
    load(LIB),
    load(LIB),
    load(LIB, true),
    load('#!lua name=other\nredis.register_function("echo2", function() return 1 end)'),
    ['FUNCTION', 'LOAD', 'FOO', 'x'],
    'FUNCTION LOAD REPLACE',
  ]));

test('FCALL and FCALL_RO: arguments, flags, errors', () =>
  same([
    load(LIB),
    'FCALL echo2 1 k a',
    'FCALL wr 1 k v',
    'FCALL ro 1 k',
    'FCALL_RO ro 1 k',
    'FCALL_RO wr 1 k v',
    'FCALL_RO echo2 1 k a',
    'FCALL boom 0',
    'FCALL global 0',
    'FCALL nosuch 0',
    'FCALL echo2 x',
    'FCALL echo2 3 a',
    'FCALL echo2 -1',
    ['EVAL', 'return redis.call("fcall", "echo2", 0)', '0'],
  ]));

/** One function: FUNCTION LIST lists a library's functions in hash order, which differs between the servers. */
const ONE =
  '#!lua name=mylib\nredis.register_function{function_name="wr", callback=function(keys, args)\n' +
  '  return redis.call("set", keys[1], args[1]) end, flags={"allow-oom", "no-writes"}, description="d"}';

test('FUNCTION LIST, DELETE, DUMP/RESTORE, STATS, FLUSH', () =>
  same([
    load(ONE),
    'FUNCTION LIST',
    'FUNCTION LIST WITHCODE',
    'FUNCTION LIST LIBRARYNAME my*',
    'FUNCTION LIST LIBRARYNAME MY*',
    'FUNCTION LIST LIBRARYNAME nomatch',
    'FUNCTION LIST LIBRARYNAME',
    'FUNCTION LIST FOO',
    'FUNCTION STATS',
    'FUNCTION DELETE nosuch',
    'FUNCTION DELETE mylib',
    'FUNCTION LIST',
    'FUNCTION RESTORE bad',
    'FUNCTION RESTORE bad BAD',
    'FUNCTION KILL',
    'FUNCTION FLUSH SYNC',
    'FUNCTION FLUSH BAD',
  ]));

test('FUNCTION DUMP and RESTORE with FLUSH, APPEND and REPLACE', async () => {
  for (const c of [a, b]) {
    await c.call('FUNCTION', 'FLUSH');
    await c.call(...load(LIB));
  }
  for (const [c, port] of [
    [a, fcPort],
    [b, redis.port],
  ] as const) {
    const dump = Buffer.from((await c.call('FUNCTION', 'DUMP'))!, 'latin1');
    const payload = dump.subarray(dump.indexOf('\r\n') + 2, dump.length - 2);
    assert.equal(await c.call('FUNCTION', 'RESTORE', payload), '-ERR Library mylib already exists\r\n', `${port}`);
    assert.equal(await c.call('FUNCTION', 'RESTORE', payload, 'REPLACE'), '+OK\r\n');
    assert.equal(await c.call('FUNCTION', 'FLUSH'), '+OK\r\n');
    assert.equal(await c.call('FUNCTION', 'RESTORE', payload, 'APPEND'), '+OK\r\n');
    assert.equal(await c.call('FUNCTION', 'RESTORE', payload, 'FLUSH'), '+OK\r\n');
    assert.equal(await c.call('FCALL', 'echo2', '1', 'k', 'a'), '*2\r\n$1\r\nk\r\n$1\r\na\r\n');
  }
});

test('libraries and FCALL writes survive SIGKILL', async () => {
  const dir = tempDir();
  try {
    let srv = await startServer({ dir });
    const c = await RawClient.connect(srv.port);
    const lib =
      '#!lua name=counter\nredis.register_function("bump", function(keys, args)\n' +
      '  for i = 1, #keys do redis.call("set", keys[i], args[1]) end return redis.call("incr", "n") end)';
    assert.equal(await c.call('FUNCTION', 'LOAD', lib), '$7\r\ncounter\r\n');
    const probe = await RawClient.connect(srv.port);
    const keys = Array.from({ length: 8 }, (_, i) => `k${i}`);
    for (let round = 1; round <= 3000; round++) c.write(encodeCommand(['FCALL', 'bump', '8', ...keys, String(round)]));
    for (;;) {
      const n = (await probe.call('GET', 'n')) ?? '';
      if (n.startsWith('$') && Number(n.split('\r\n')[1]) >= 50) break;
    }
    await srv.kill();
    c.close();
    probe.close();
    srv = await startServer({ dir });
    try {
      const check = await RawClient.connect(srv.port);
      const n = (await check.call('GET', 'n'))!.split('\r\n')[1]!;
      for (const k of keys) assert.equal(await check.call('GET', k), `$${n.length}\r\n${n}\r\n`);
      const list = (await check.call('FUNCTION', 'LIST'))!;
      assert.ok(list.includes('counter') && list.includes('bump'), list);
      assert.equal(await check.call('FCALL', 'bump', '0', 'x'), `:${Number(n) + 1}\r\n`);
      check.close();
    } finally {
      await srv.stop();
    }
  } finally {
    cleanup(dir);
  }
});
