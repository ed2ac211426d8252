/**
 * EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT against Debian's
 * redis-server 7.0.15: replies, conversions and error texts byte for byte in
 * RESP2 and RESP3, and a script's writes surviving SIGKILL all together or
 * not at all (one transaction record per script).
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

/** FLUSHALL, then each command on both servers, in RESP2 and then again in RESP3 on fresh connections. */
async function same(commands: Command[]): Promise<void> {
  await sameInBothProtocols(a, b, [fcPort, redis.port], commands);
}

const ev = (script: string, ...rest: string[]): string[] => ['EVAL', script, ...rest];

test('EVAL: return values converted to replies, KEYS and ARGV, numkeys errors', () =>
  same([
    ev('return 1', '0'),
    ev('return {1,2,3.99,"x",false,true,nil,5}', '0'),
    ev('return 3.99', '0'),
    ev('return -3.99', '0'),
    ev('return "hello"', '0'),
    ev('return nil', '0'),
    ev('return false', '0'),
    ev('return true', '0'),
    ev('return {ok="fine"}', '0'),
    ev('return {err="MY error"}', '0'),
    ev('return redis.error_reply("x")', '0'),
    ev('return redis.error_reply("-CODE y")', '0'),
    ev('return redis.status_reply("st")', '0'),
    ev('return {KEYS[1], KEYS[2], ARGV[1], ARGV[2]}', '2', 'k1', 'k2', 'a1', 'a2'),
    ev('return #ARGV', '0', 'a', 'b', 'c'),
    ev('return 1', '-1'),
    ev('return 1', '2', 'a'),
    ev('return 1', 'x'),
    ev('return 1'),
    ev('return {1,{2,{3,"x"}},{}}', '0'),
    ev('return redis.sha1hex("abc")', '0'),
    ev('return tostring(10/2) .. tostring(3)', '0'),
    ev('return unpack({1,2,3})', '0'),
    ev('return table.getn({1,2,3})', '0'),
    ev('return loadstring("return 5")()', '0'),
    ev('return {double=3.5}', '0'),
    ev('return {big_number="123456789012345678901234567890"}', '0'),
    ev('return {map={a=1}}', '0'),
    ev('return {set={a=true}}', '0'),
  ]));

test('EVAL: redis.call and redis.pcall, replies converted to Lua, errors of calls', () =>
  same([
    ev('return redis.call("set", KEYS[1], ARGV[1])', '1', 'k', 'v'),
    ev('return redis.call("get", KEYS[1])', '1', 'k'),
    ev('return redis.call("get", "nokey")', '0'),
    ev('return redis.call("incrby", "n", 5)', '0'),
    ev('return redis.call("set", "f", 3.5)', '0'),
    'GET f',
    ev('return redis.call("set", "f", 1e100)', '0'),
    'GET f',
    ev('redis.call("rpush", "l", "a", "b"); return redis.call("lrange", "l", 0, -1)', '0'),
    ev('redis.call("hset", "h", "f", "v"); return redis.call("hgetall", "h")', '0'),
    ev('return redis.call("lpush", "k", "x")', '0'),
    ev('return redis.pcall("lpush", "k", "x")', '0'),
    ev('return redis.call("nosuch")', '0'),
    ev('return redis.pcall("nosuch")', '0'),
    ev('return redis.call("incr", "a", "b")', '0'),
    ev('return redis.call("multi")', '0'),
    ev('return redis.call()', '0'),
    ev('return redis.call("get", {})', '0'),
    ev('return redis.call("config")', '0'),
    ev('return redis.call("config", "nosuch")', '0'),
    ev('return redis.call("ping")', '0'),
    ev('return type(redis.call("ping"))', '0'),
    ev('local r = redis.pcall("nosuch"); return r.err', '0'),
    ev('return {pcall(function() redis.call("nosuch") end)}', '0'),
    ev('return {pcall(function() error("x") end)}', '0'),
    ev('redis.setresp(3); return redis.call("hgetall", "h")', '0'),
    ev('redis.setresp(3); return redis.call("get", "nokey")', '0'),
    ev('redis.setresp(3); return {redis.call("exists", "h"), redis.call("type", "h")}', '0'),
    ev('return redis.setresp(4)', '0'),
    ev('return redis.call("blpop", "nolist", 0)', '0'),
    ev('redis.call("select", 1); redis.call("set", "db1", "x"); return redis.call("get", "db1")', '0'),
    'GET db1',
  ]));

test('EVAL: script errors, compile errors, globals protection, read-only scripts and shebangs', () =>
  same([
    ev('return a', '0'),
    ev('a = 1', '0'),
    ev('redis.call = 1', '0'),
    ev('function f() end', '0'),
    ev('setmetatable(_G, {})', '0'),
    ev('local x = nil; return x.y', '0'),
    ev('return 1 +', '0'),
    ev('error("boom")', '0'),
    ev('error({err="MY boom"})', '0'),
    ev('return print', '0'),
    ev('return dofile', '0'),
    ['EVAL_RO', 'return redis.call("set", "a", "b")', '0'],
    ['EVAL_RO', 'return redis.call("get", "a")', '0'],
    ev('#!lua flags=no-writes\nreturn redis.call("set","a","b")', '0'),
    ev('#!lua flags=no-writes,allow-oom\nreturn redis.call("get","a")', '0'),
    ev('#!lua flags=bad\nreturn 1', '0'),
    ev('#!lua foo\nreturn 1', '0'),
    ev('#!perl\nreturn 1', '0'),
    ev('#!lua', '0'),
    ev('#!lua\nreturn redis.call("set","a","b")', '0'),
    ['EVAL_RO', '#!lua\nreturn 1', '0'],
    ['EVAL_RO', '#!lua flags=no-writes\nreturn 1', '0'],
  ]));

test('EVALSHA and SCRIPT LOAD, EXISTS, FLUSH, KILL, DEBUG', () =>
  same([
    ['SCRIPT', 'LOAD', 'return "loaded"'],
    ['EVALSHA', 'b534286061d4b9e4026607613b95c06c06015ae8', '0'],
    ['EVALSHA', 'B534286061D4B9E4026607613B95C06C06015AE8', '0'],
    ['EVALSHA_RO', 'b534286061d4b9e4026607613b95c06c06015ae8', '0'],
    ['EVALSHA', 'ffffffffffffffffffffffffffffffffffffffff', '0'],
    ['EVALSHA', 'short', '0'],
    ['SCRIPT', 'EXISTS', 'b534286061d4b9e4026607613b95c06c06015ae8', 'nosuch'],
    ['SCRIPT', 'LOAD', 'return +'],
    'SCRIPT FLUSH',
    ['SCRIPT', 'EXISTS', 'b534286061d4b9e4026607613b95c06c06015ae8'],
    'SCRIPT FLUSH ASYNC',
    'SCRIPT FLUSH SYNC',
    'SCRIPT FLUSH x',
    'SCRIPT KILL',
    'SCRIPT DEBUG x',
    'SCRIPT DEBUG NO',
    'SCRIPT NOSUCH',
  ]));

test('EVAL inside MULTI/EXEC, and its writes in one transaction', () =>
  same(['MULTI', ev('return redis.call("incr", "c")', '0'), ev('return redis.call("incr", "c")', '0'), 'EXEC']));

test("a script's writes survive SIGKILL all together or not at all", async () => {
  const dir = tempDir();
  try {
    let srv = await startServer({ dir });
    const c = await RawClient.connect(srv.port);
    const probe = await RawClient.connect(srv.port);
    const script = 'for i = 1, 10 do redis.call("set", KEYS[i], ARGV[1]) end return redis.call("incr", "n")';
    const keys = Array.from({ length: 10 }, (_, i) => `k${i}`);
    // A stream of scripts without waiting for replies, and SIGKILL in the middle of it.
    for (let round = 1; round <= 3000; round++) c.write(encodeCommand(['EVAL', script, '10', ...keys, String(round)]));
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
      const values = await Promise.all(keys.map((k) => check.call('GET', k)));
      const n = (await check.call('GET', 'n'))!.split('\r\n')[1]!;
      assert.ok(Number(n) >= 50, `scripts before the kill: ${n}`);
      // Every key holds the round of the last script that ran, which is the counter's value.
      for (const v of values) assert.equal(v, `$${n.length}\r\n${n}\r\n`);
      check.close();
    } finally {
      await srv.stop();
    }
  } finally {
    cleanup(dir);
  }
});
