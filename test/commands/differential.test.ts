/**
 * Differential test: the same command sequences go to FlashCache and to
 * Debian's redis-server, and every reply must match byte for byte. The Redis
 * command reference is our spec; the reference server settles what it leaves
 * unsaid (edge cases, error texts, number formatting).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RawClient } from '../helpers/resp.js';
import { callParsed, sameReplies, serverPair, sortArray, type Command, type Value } from '../helpers/differential.js';

let a: RawClient;
let b: RawClient;
serverPair((p) => ({ a, b } = p));

/** FLUSHALL, then each command on both servers; a command prefixed with `~` has its array reply sorted first. */
const same = (commands: Command[]): Promise<void> => sameReplies(a, b, commands, { '~': sortArray });

test('SET options, conditions and GET', () =>
  same([
    'SET k v',
    'GET k',
    'SET k v2 NX',
    'SET k v2 XX',
    'GET k',
    'SET n v NX GET',
    'SET k v3 GET',
    'SET k v EX 100',
    'TTL k',
    'SET k v KEEPTTL',
    'TTL k',
    'SET k v',
    'TTL k',
    'SET k v EX 0',
    'SET k v EX -1',
    'SET k v PX abc',
    'SET k v EX 10 PX 10',
    'SET k v NX XX',
    'SET k v KEEPTTL EX 10',
    'SET k v FOO',
    'SET k v EX',
    'SET k v ex 100 nx',
    'SET',
    'SET k',
    'SETNX k x',
    'SETNX k2 x',
    'SETEX k3 100 v',
    'TTL k3',
    'SETEX k3 0 v',
    'SETEX k3 abc v',
    'PSETEX k4 100000 v',
    'PSETEX k4 -5 v',
    'GETSET k4 new',
    'TTL k4',
    'GETSET nosuch x',
    'GETDEL k4',
    'GETDEL k4',
    'EXISTS k4',
    'SET k v EXAT 1',
    'GET k',
    'EXISTS k',
  ]));

test('GETEX options', () =>
  same([
    'SET k v',
    'GETEX k',
    'GETEX k EX 100',
    'TTL k',
    'GETEX k PERSIST',
    'TTL k',
    'GETEX k PX 5000 PERSIST',
    'GETEX k EX 0',
    'GETEX k EXAT 1',
    'EXISTS k',
    'GETEX nosuch EX 10',
    'GETEX k FOO',
    'GETEX nokey EX -1',
    'GETEX nokey EX abc',
    'GETEX k PERSIST PERSIST',
    'GETEX k EX 10 EX 20',
    'TTL k',
    'GETEX k EX 10 PERSIST',
    'SET k v EX 10 EX 20',
    'TTL k',
    'SET k v PX 100 EX 10',
    'SET k v EX 9000000000000000',
    'SET k v EX 9300000000000000',
    'SET k v PX 9223372036854775807',
  ]));

test('MGET, MSET, MSETNX', () =>
  same([
    'MSET a 1 b 2 c 3',
    'MGET a b c d',
    'MSET a 1 b',
    'MSETNX a 9 z 9',
    'MGET a z',
    'MSETNX x 1 y 2',
    'MGET x y',
    'MSETNX x',
  ]));

test('APPEND, STRLEN, GETRANGE, SETRANGE', () =>
  same([
    'APPEND s hello',
    'APPEND s " world"',
    ['APPEND', 's', ' world'],
    'STRLEN s',
    'STRLEN nosuch',
    'GET s',
    'GETRANGE s 0 4',
    'GETRANGE s -5 -1',
    'GETRANGE s 5 3',
    'GETRANGE s -1 -5',
    'GETRANGE s 0 100',
    'GETRANGE s -100 2',
    'GETRANGE nosuch 0 10',
    'GETRANGE s a b',
    'SETRANGE s 6 WORLD',
    'GET s',
    'SETRANGE s 20 !',
    'GET s',
    'SETRANGE new 3 abc',
    'GET new',
    'SETRANGE empty 5 ""',
    ['SETRANGE', 'empty', '5', ''],
    'EXISTS empty',
    ['SETRANGE', 's', '2', ''],
    'SETRANGE s -1 x',
    'SETRANGE s 536870912 x',
  ]));

test('INCR family: integers, overflow, bad values', () =>
  same([
    'INCR n',
    'INCR n',
    'DECR n',
    'INCRBY n 100',
    'DECRBY n 50',
    'INCRBY n -1000',
    'GET n',
    'SET n 9223372036854775806',
    'INCR n',
    'INCR n',
    'SET n -9223372036854775807',
    'DECR n',
    'DECR n',
    'DECRBY n -9223372036854775808',
    'SET n 0',
    'DECRBY n -9223372036854775808',
    'INCRBY n 9223372036854775808',
    'INCRBY n abc',
    'SET s abc',
    'INCR s',
    'SET s " 1"',
    ['SET', 's', ' 1'],
    'INCR s',
    'SET s 01',
    'INCR s',
    'SET s -0',
    'INCR s',
    'SET s +1',
    'INCR s',
    'SET s 123456789012345678901',
    'INCR s',
    'SET s 10',
    'EXPIRE s 100',
    'INCR s',
    'TTL s',
  ]));

test('INCR family across the 15-digit boundary of its number path', () =>
  same([
    'SET n 999999999999999',
    'INCR n',
    'INCR n',
    'SET n -99999999999999',
    'DECR n',
    'DECR n',
    'SET n 999999999999999',
    'INCRBY n 999999999999999',
    'INCRBY n 1000000000000000',
    'SET n -999999999999999',
    'DECRBY n 999999999999999',
    'DECRBY n -1000000000000000',
    'SET n 1',
    'INCRBY n -1',
    'GET n',
    'SET n 9007199254740993',
    'INCR n',
    'SET n 000000000000001',
    'INCR n',
    'SET n -00000000000001',
    'INCR n',
    'SET n 1e5',
    'INCR n',
    'SET n 0x10',
    'INCR n',
  ]));

test('INCRBYFLOAT formats as Redis long double arithmetic does', () =>
  same([
    'INCRBYFLOAT f 0.1',
    'INCRBYFLOAT f 0.2',
    'INCRBYFLOAT f 10.5',
    'INCRBYFLOAT f -10.8',
    'INCRBYFLOAT f 1e10',
    'INCRBYFLOAT f 0.1',
    'INCRBYFLOAT f 3.0e3',
    'INCRBYFLOAT f -1e10',
    'INCRBYFLOAT g 1.2345678901234567',
    'INCRBYFLOAT g 5',
    'INCRBYFLOAT h -0.0',
    'INCRBYFLOAT h 1e-20',
    'INCRBYFLOAT i 0x10',
    'INCRBYFLOAT f inf',
    'INCRBYFLOAT f abc',
    'INCRBYFLOAT f " 1"',
    ['INCRBYFLOAT', 'f', ' 1'],
    'INCRBYFLOAT f nan',
    'SET s hello',
    'INCRBYFLOAT s 1',
    'SET n 5',
    'INCRBYFLOAT n 1.5',
    'SET n 1.5e3',
    'INCRBYFLOAT n 1',
    'INCRBYFLOAT big 1e300',
    'INCRBYFLOAT big 1e300',
  ]));

test('INCRBYFLOAT reads a subnormal long double as strtold rounds it and refuses one read as 0', () =>
  same([
    'INCRBYFLOAT f 3.6e-4951',
    'INCRBYFLOAT f -1.8226e-4951',
    'INCRBYFLOAT f 1.8225997659412374e-4951',
    'INCRBYFLOAT f 1.8225997659412373e-4951',
    'INCRBYFLOAT f 0x1p-16446',
    'INCRBYFLOAT f 0x1.0000000000000001p-16446',
    'INCRBYFLOAT f 0x1.00000000000000000000000001p-16446',
    'INCRBYFLOAT f 0x1.8p-16446',
    'SET g 2e-4951',
    'INCRBYFLOAT g 0',
    'SET g 1.8e-4951',
    'INCRBYFLOAT g 0',
    'HSET h x 3.6e-4951',
    'HINCRBYFLOAT h x 1',
    'HINCRBYFLOAT h x 1e-4951',
  ]));

test('DEL, EXISTS, TYPE, TOUCH, UNLINK', () =>
  same([
    'MSET a 1 b 2 c 3',
    'DEL a b x',
    'EXISTS a b c c c',
    'TYPE c',
    'TYPE nosuch',
    'TOUCH c x c',
    'UNLINK c',
    'EXISTS c',
    'DEL',
  ]));

test('RENAME, RENAMENX, COPY, MOVE', () =>
  same([
    'SET a 1',
    'EXPIRE a 100',
    'RENAME a b',
    'TTL b',
    'GET a',
    'RENAME nosuch x',
    'RENAME b b',
    'RENAMENX b b',
    'SET c 3',
    'RENAMENX b c',
    'RENAMENX b d',
    'RENAME d c',
    'GET c',
    'COPY c e',
    'COPY c e',
    'COPY c e REPLACE',
    'COPY c c',
    'COPY nosuch e',
    'COPY c e DB 1',
    'COPY c e DB 99',
    'COPY c e DB x',
    'COPY c e FOO',
    'SELECT 1',
    'GET e',
    'SELECT 0',
    'MOVE c 1',
    'MOVE c 1',
    'MOVE e 1',
    'MOVE e 0',
    'MOVE e 99',
    'SELECT 1',
    'GET c',
    'DBSIZE',
    'SELECT 0',
    'DBSIZE',
  ]));

test('EXPIRE family with NX, XX, GT, LT and TTL queries', () =>
  same([
    'SET k v',
    'TTL k',
    'PTTL nosuch',
    'TTL nosuch',
    'EXPIRETIME k',
    'EXPIRE k 100 XX',
    'EXPIRE k 100 NX',
    'EXPIRE k 200 NX',
    'EXPIRE k 50 GT',
    'EXPIRE k 500 GT',
    'TTL k',
    'EXPIRE k 600 LT',
    'EXPIRE k 50 LT',
    'TTL k',
    'EXPIRE k 10 NX XX',
    'EXPIRE k 10 GT LT',
    'EXPIRE k 10 FOO',
    'EXPIRE k abc',
    'EXPIRE k 9223372036854775807',
    'PEXPIRE k 9223372036854775807',
    'EXPIRE k 10000000000000',
    'EXPIRE k -9223372036854775',
    'SET k v',
    'EXPIREAT k 99999999999',
    'EXPIRETIME k',
    'PEXPIREAT k 99999999999000',
    'PEXPIRETIME k',
    'PERSIST k',
    'PERSIST k',
    'TTL k',
    'EXPIRE k -1',
    'EXISTS k',
    'EXPIRE nosuch 10',
    'SET k v',
    'PEXPIREAT k 1',
    'EXISTS k',
    'SET p v',
    'EXPIRE p 100 LT',
    'TTL p',
  ]));

test('KEYS patterns and SCAN options', () =>
  same([
    'MSET hello 1 hallo 2 hxllo 3 hllo 4 heeeello 5 h[llo 6 h*llo 7 foo 8',
    '~KEYS h?llo',
    '~KEYS h*llo',
    '~KEYS h[ae]llo',
    '~KEYS h[^e]llo',
    '~KEYS h[a-b]llo',
    '~KEYS h\\[llo',
    '~KEYS *',
    '~KEYS nomatch*',
    'SCAN abc',
    'SCAN 0 COUNT 0',
    'SCAN 0 COUNT x',
    'SCAN 0 FOO bar',
  ]));

test('errors for unknown commands, arity, SELECT and CONFIG SET', () =>
  same([
    'NOSUCHCOMMAND a b',
    'GET',
    'GET a b',
    'SELECT 16',
    'SELECT -1',
    'SELECT abc',
    'CONFIG SET nosuch 1',
    'CONFIG SET appendfsync sometimes',
    'CONFIG SET databases 8',
    'CONFIG SET hz abc',
    'CONFIG GET nosuch',
    'CONFIG FOO',
    'CONFIG',
    'CLIENT FOO',
    'CLIENT SETNAME "a b"',
    ['CLIENT', 'SETNAME', 'a b'],
    'CLIENT SETNAME ok-name',
    'CLIENT GETNAME',
    'PING',
    'PING hi',
    'PING a b',
    'ECHO x',
    'HELLO 1',
    'HELLO abc',
    'FLUSHDB FOO',
    'DBSIZE',
  ]));

test('COMMAND INFO: arity, flags, legacy key range, ACL categories and key specs of every command as redis-server reports them', async () => {
  const names = ((await callParsed(a, 'COMMAND', 'LIST')) as string[]).filter((n) => !n.includes('|'));
  const all: string[] = [];
  for (const name of names) {
    const [info] = (await callParsed(a, 'COMMAND', 'INFO', name)) as Value[][];
    all.push(name, ...(info![9] as Value[][]).map((sub) => sub[0] as string));
  }
  // CLIENT SETINFO and WAITAOF are Redis 7.2's; 7.0 does not know them.
  const compared = all.filter((n) => n !== 'client|setinfo' && n !== 'waitaof');
  assert.ok(compared.length > 100, `${compared.length} commands compared`);
  for (const name of compared) {
    const replies = await Promise.all([callParsed(a, 'COMMAND', 'INFO', name), callParsed(b, 'COMMAND', 'INFO', name)]);
    const [[mine], [ref]] = replies as [Value[][], Value[][]];
    assert.ok(ref !== null, `redis-server knows ${name}`);
    assert.deepEqual([...mine!.slice(0, 7), mine![8]], [...ref!.slice(0, 7), ref![8]], `COMMAND INFO ${name}`);
  }
});

test('administration commands: SLOWLOG, LATENCY, MEMORY, SWAPDB, WAIT, FUNCTION, COMMAND LIST, DEBUG', () =>
  same([
    'SLOWLOG',
    'SLOWLOG LEN x',
    'SLOWLOG GET x',
    'SLOWLOG GET -2',
    'SLOWLOG GET 1 2',
    'SLOWLOG RESET',
    'LATENCY RESET',
    'LATENCY LATEST',
    'LATENCY HISTORY command',
    'LATENCY GRAPH command',
    'LATENCY DOCTOR',
    'LATENCY HISTOGRAM nosuch',
    'LATENCY HELP x',
    'MEMORY USAGE nokey',
    'MEMORY USAGE k SAMPLES x',
    'MEMORY USAGE k BAD',
    'MEMORY DOCTOR',
    'MEMORY PURGE',
    'MSET a 1 b 2',
    'SELECT 3',
    'SET c 3',
    'SWAPDB 0 3',
    'MGET a b c',
    'SELECT 0',
    'MGET a b c',
    'SWAPDB 3 0',
    'MGET a b c',
    'SWAPDB 2 2',
    'SWAPDB -1 0',
    'SWAPDB 0 abc',
    'SWAPDB 9999999999 0',
    'WAIT 0 0',
    'WAIT 0 -5',
    'WAIT abc 0',
    'FUNCTION FLUSH',
    'FUNCTION FLUSH SYNC',
    'FUNCTION FLUSH NOW',
    'FUNCTION LIST',
    'FUNCTION LIST LIBRARYNAME',
    'FUNCTION LIST FOO',
    '~COMMAND LIST FILTERBY PATTERN config|*',
    '~COMMAND LIST FILTERBY PATTERN slowlog*',
    'COMMAND LIST FILTERBY ACLCAT nosuch',
    'COMMAND LIST FILTERBY MODULE nosuch',
    'COMMAND LIST FILTERBY PATTERN',
    'COMMAND LIST FOO',
    'COMMAND INFO get|key config|get|key',
    'COMMAND GETKEYS MEMORY USAGE k',
    'COMMAND GETKEYS SWAPDB 0 1',
    'CONFIG REWRITE',
    'DEBUG SLEEP 0',
    'DEBUG',
  ]));

test('COMMAND INFO answers an unknown name with a null bulk', () =>
  same(['COMMAND INFO nosuch', 'COMMAND INFO nosuch other']));

test('COMMAND GETKEYS and GETKEYSANDFLAGS find keys with key specs, movable keys included', () =>
  same([
    'COMMAND GETKEYS MSET a 1 b 2',
    'COMMAND GETKEYS ZUNIONSTORE d 2 a b WEIGHTS 1 2',
    'COMMAND GETKEYS ZINTER 3 a b c',
    'COMMAND GETKEYS SINTERCARD 2 a b LIMIT 1',
    'COMMAND GETKEYS ZMPOP 2 a b MIN',
    'COMMAND GETKEYS SINTERSTORE d a b c',
    'COMMAND GETKEYS BLPOP a b 0',
    'COMMAND GETKEYS COPY a b DB 2',
    'COMMAND GETKEYSANDFLAGS LMOVE a b LEFT RIGHT',
    'COMMAND GETKEYSANDFLAGS SET a b GET',
    'COMMAND GETKEYSANDFLAGS ZUNIONSTORE d 2 a b',
    'COMMAND GETKEYS ZUNION x a',
    'COMMAND GETKEYS ZUNION 3 a',
    'COMMAND GETKEYS GET',
    'COMMAND GETKEYS PING',
    'COMMAND GETKEYS CONFIG GET maxmemory',
    'COMMAND GETKEYS NOSUCH a',
    'COMMAND GETKEYS',
  ]));
