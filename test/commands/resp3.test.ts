/**
 * RESP3 differential test: for every command in the command table (every
 * name COMMAND LIST gives, and every subcommand), representative calls go to
 * FlashCache and to Debian's redis-server 7.0.15 on raw connections that did
 * `HELLO 3`, and the replies must match byte for byte: maps, sets, doubles,
 * nulls, verbatim strings and nested pairs as Redis sends them. Replies whose
 * order Redis leaves unspecified are sorted first, as in the RESP2 tests; a
 * reply whose values cannot be equal on two servers (ids, clocks, addresses,
 * statistics) is compared by its shape (types and sizes), with the reason
 * beside it. A command in the table without a case here fails the test, so a
 * new command comes with its RESP3 case.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeCommand, RawClient } from '../helpers/resp.js';
import {
  callParsed,
  elements,
  orScan,
  sameReplies,
  serverPair,
  shape,
  sortArray,
  sortPairs,
  type Command,
  type Normalizers,
  type Pair,
  type Value,
} from '../helpers/differential.js';
import { redisCli, waitFor } from '../helpers/server.js';
import { crc64 } from '../../src/persistence/rdb/crc64.js';

/** Several commands as one pipelined write. */
function encodeCommands(commands: string[][]): Buffer {
  return Buffer.concat(commands.map((c) => encodeCommand(c)));
}

let pair: Pair;
serverPair((p) => (pair = p));

let switched: Promise<Pair> | null = null;
/** The server pair, once both raw clients have switched to RESP3 with `HELLO 3`. */
function resp3(): Promise<Pair> {
  switched ??= (async () => {
    const [ha, hb] = await Promise.all([pair.a.call('HELLO', '3'), pair.b.call('HELLO', '3')]);
    assert.match(ha!, /^%7\r\n/);
    assert.match(hb!, /^%7\r\n/);
    return pair;
  })();
  return switched;
}

/** Replaces the values of the named keys of a map reply (RESP2: a flat array of pairs) by their shapes. */
function maskMapValues(reply: string, keys: readonly string[]): string {
  const e = elements(reply);
  if (e === null) return reply;
  let out = e.head;
  for (let i = 0; i < e.items.length; i += 2) {
    const k = e.items[i]!;
    const v = e.items[i + 1]!;
    out += k + (keys.some((name) => k === `$${name.length}\r\n${name}\r\n`) ? shape(v) : v);
  }
  return out;
}

/**
 * HELLO's map with the values of `version` and `id` replaced by their types:
 * FlashCache reports the Redis version it is compatible with (7.0.0), and
 * connection ids differ between the servers.
 */
function helloMap(reply: string): string {
  return maskMapValues(reply, ['version', 'id']);
}

/**
 * A container's HELP: its subcommands differ (FlashCache documents the ones
 * it has), so the reply is compared by shape: an array of simple strings,
 * with Redis's header line and its `HELP`, `    Prints this help.` ending.
 */
function help(reply: string): string {
  const e = elements(reply);
  if (e === null) return reply;
  const allSimple = e.items.every((s) => s.startsWith('+'));
  return `*[${allSimple ? 'simple strings' : 'not all simple strings'}] ${e.items[0]}${e.items.slice(-2).join('')}`;
}

/**
 * One COMMAND INFO entry with the contents of its tips (FlashCache gives
 * none) and, for a
 * container, of its subcommands (FlashCache has fewer; each subcommand is
 * compared on its own) replaced by their shapes' outer type: everything else,
 * sets and maps included, byte for byte.
 */
function infoEntry(entry: string): string {
  const f = elements(entry);
  if (f === null || f.items.length !== 10) return entry;
  const it = f.items;
  const subs = it[9]!.startsWith('*') ? '*' : it[9]!;
  return f.head + [...it.slice(0, 7), it[7]![0], it[8], subs].join('');
}

/** COMMAND INFO's reply: each entry through {@link infoEntry}. */
function commandInfo(reply: string): string {
  const e = elements(reply);
  return e === null ? reply : e.head + e.items.map(infoEntry).join('');
}

/**
 * COMMAND DOCS: FlashCache's entries hold summary, since, group, complexity
 * and subcommands, Redis's also arguments and history, and the texts differ
 * in wording. Each entry is reduced to the fields both have, `group` byte for
 * byte, the others by shape, so the types are what is compared (a map of
 * maps, bulk strings inside).
 */
function commandDocs(reply: string): string {
  const e = elements(reply);
  if (e === null || !reply.startsWith('%')) return reply;
  let out = '%';
  for (let i = 0; i < e.items.length; i += 2) {
    const fields = elements(e.items[i + 1]!);
    out += `${e.items[i]}${e.items[i + 1]![0]}`;
    for (let j = 0; fields !== null && j < fields.items.length; j += 2) {
      const k = fields.items[j]!;
      const v = fields.items[j + 1]!;
      if (k === '$5\r\ngroup\r\n') out += k + v;
      else if (/^\$\d+\r\n(summary|since|complexity)\r\n$/.test(k)) out += k + shape(v);
      else if (k === '$11\r\nsubcommands\r\n') out += k + v[0];
    }
  }
  return out;
}

/** COMMAND (every entry): the servers have different commands, so each entry's outer shape only. */
function everyEntry(reply: string): string {
  const e = elements(reply);
  if (e === null) return reply;
  return `*[${[...new Set(e.items.map((s) => shape(s).replace(/\[.*$/, '')))].join(',')}]`;
}

/**
 * Normalizations by the first character of a command: `~` sorts an array or
 * set, `%` sorts a map's pairs (or a flat array's), `@` and `&` do so to the
 * elements of a one-call *SCAN, `^` compares shapes only (the reason is given
 * at each use), `!` masks HELLO's version and id, `?` compares a HELP, `#`
 * COMMAND INFO, `=` COMMAND DOCS, `$` COMMAND's list of every entry.
 */
const NORMALIZE: Normalizers = {
  '~': sortArray,
  '%': sortPairs,
  '@': orScan(sortArray),
  '&': orScan(sortPairs),
  '^': shape,
  '!': helloMap,
  '?': help,
  '#': commandInfo,
  '=': commandDocs,
  $: everyEntry,
};

/** A case: commands sent to both servers in turn after FLUSHALL, or a check of its own. */
type Case = Command[] | ((a: RawClient, b: RawClient) => Promise<void>);

/** DUMP's payload of the string "1" (an int-encoded RDB string, RDB version 10, then its CRC64), as Redis 7.0 gives it. */
const DUMP_OF_ONE = (() => {
  const body = Buffer.from([0x00, 0xc0, 0x01, 0x0a, 0x00]);
  const crc = Buffer.alloc(8);
  crc.writeBigUInt64LE(crc64(body));
  return Buffer.concat([body, crc]);
})();

/** A fresh pair of raw connections in RESP3, closed after `fn`. */
async function freshPair(fn: (a: RawClient, b: RawClient) => Promise<void>): Promise<void> {
  const [a, b] = await Promise.all([RawClient.connect(pair.fc.port), RawClient.connect(pair.redis.port)]);
  try {
    await Promise.all([a.call('HELLO', '3'), b.call('HELLO', '3')]);
    await fn(a, b);
  } finally {
    a.close();
    b.close();
  }
}

/**
 * The cases, by table name (subcommands as `container|sub`). Random commands
 * are called where the answer is determined: a one-element collection, or a
 * count that takes everything (sorted). Doubles cover integers, fractions,
 * 17 significant digits, -0, huge values and infinities.
 */
/** A function library for the FUNCTION and FCALL cases: one read-only function that replies a RESP3 map. */
const R3_LIB =
  "#!lua name=r3\nredis.register_function{function_name='r3f', " +
  "callback=function(k, a) redis.setresp(3); return redis.call('hgetall', k[1]) end, " +
  "flags={'no-writes'}, description='d'}";

const CASES: Record<string, Case> = {
  // -- connection ----------------------------------------------------------
  ping: ['PING', 'PING hi', 'PING a b'],
  echo: ['ECHO hi', ['ECHO', ''], 'ECHO'],
  auth: ['AUTH foo', 'AUTH default anything', 'AUTH nobody x', 'AUTH a b c'],
  quit: () =>
    freshPair(async (a, b) => {
      const [ra, rb] = await Promise.all([a.call('QUIT'), b.call('QUIT')]);
      assert.equal(ra, rb);
      await Promise.all([a.waitClosed(), b.waitClosed()]);
    }),
  select: ['SELECT 1', 'SET k v', 'SELECT 0', 'GET k', 'SELECT 16', 'SELECT abc'],
  // On connections of its own: HELLO 2 switches them back to RESP2.
  hello: () =>
    freshPair((a, b) =>
      sameReplies(
        a,
        b,
        [
          '!HELLO',
          '!HELLO 3',
          '!HELLO 3 SETNAME resp3-client',
          'CLIENT GETNAME',
          '!HELLO 3 AUTH default anything',
          'HELLO 4',
          'HELLO abc',
          'HELLO 3 FOO',
          // HELLO 2 answers in RESP2 (a flat array), and the next HELLO 3 in RESP3 again.
          '!HELLO 2',
          'ZADD z 1.5 a',
          'ZSCORE z a',
          '!HELLO 3',
          'ZSCORE z a',
        ],
        NORMALIZE,
      ),
    ),
  client: ['CLIENT', 'CLIENT FOO'],
  // CLIENT ID: the servers number their connections differently.
  'client|id': ['^CLIENT ID', 'CLIENT ID x'],
  'client|setname': ['CLIENT SETNAME resp3', 'CLIENT SETNAME', ['CLIENT', 'SETNAME', 'a b']],
  'client|getname': ['CLIENT GETNAME', 'CLIENT SETNAME named', 'CLIENT GETNAME', 'CLIENT GETNAME x'],
  // CLIENT INFO and LIST: ids, addresses, ages and buffer sizes differ; the shape is a verbatim `txt` string.
  'client|info': ['^CLIENT INFO', 'CLIENT INFO x'],
  'client|list': [
    '^CLIENT LIST',
    '^CLIENT LIST TYPE normal',
    'CLIENT LIST TYPE pubsub',
    'CLIENT LIST TYPE foo',
    'CLIENT LIST ID abc',
    'CLIENT LIST ID 999999',
    'CLIENT LIST FOO',
  ],
  // CLIENT SETINFO is Redis 7.2's: 7.0.15 answers it with an unknown-subcommand error, so FlashCache's
  // replies are checked against 7.2's: +OK, in either protocol.
  'client|setinfo': (a) =>
    freshPair(async (fa) => {
      assert.equal(await fa.call('CLIENT', 'SETINFO', 'LIB-NAME', 'resp3'), '+OK\r\n');
      assert.equal(await fa.call('CLIENT', 'SETINFO', 'LIB-VER', '1.0'), '+OK\r\n');
      assert.match((await a.call('CLIENT', 'INFO'))!, /^=\d+\r\ntxt:id=\d+ /);
      assert.match((await fa.call('CLIENT', 'INFO'))!, / lib-name=resp3 lib-ver=1\.0\n\r\n$/);
    }),
  'client|kill': [
    'CLIENT KILL 1.2.3.4:5',
    'CLIENT KILL ID 999999',
    'CLIENT KILL ADDR 1.2.3.4:5 SKIPME yes',
    'CLIENT KILL ID abc',
    'CLIENT KILL FOO bar',
    'CLIENT KILL',
  ],
  // Redis 7.0.15's text, byte for byte.
  'client|help': ['CLIENT HELP', 'CLIENT HELP x'],
  'client|pause': ['CLIENT PAUSE abc', 'CLIENT PAUSE -1', 'CLIENT PAUSE 10 FOO', 'CLIENT PAUSE 0 WRITE', 'PING'],
  'client|unpause': ['CLIENT UNPAUSE', 'CLIENT UNPAUSE x'],
  // OFF and SKIP send nothing back: pipelined, only CLIENT REPLY ON's +OK and the last PING answer.
  'client|reply': () =>
    freshPair(async (a, b) => {
      const script = encodeCommands([
        ['CLIENT', 'REPLY', 'OFF'],
        ['PING', 'off'],
        ['CLIENT', 'REPLY', 'ON'],
        ['CLIENT', 'REPLY', 'SKIP'],
        ['PING', 'skipped'],
        ['CLIENT', 'REPLY', 'FOO'],
      ]);
      a.write(script);
      b.write(script);
      for (let i = 0; i < 2; i++) assert.equal(await a.read(), await b.read());
    }),
  'client|no-evict': ['CLIENT NO-EVICT ON', 'CLIENT NO-EVICT OFF', 'CLIENT NO-EVICT FOO', 'CLIENT NO-EVICT'],
  // A BLPOP ended by CLIENT UNBLOCK ... TIMEOUT answers RESP3's null; ERROR an -UNBLOCKED error.
  'client|unblock': (a, b) =>
    freshPair(async (wa, wb) => {
      await sameReplies(a, b, ['CLIENT UNBLOCK 999999', 'CLIENT UNBLOCK abc', 'CLIENT UNBLOCK 1 FOO']);
      const ids = await Promise.all([wa.call('CLIENT', 'ID'), wb.call('CLIENT', 'ID')]);
      for (const reason of ['TIMEOUT', 'ERROR']) {
        wa.write(encodeCommands([['BLPOP', 'q', '0']]));
        wb.write(encodeCommands([['BLPOP', 'q', '0']]));
        for (const [c, id] of [
          [a, ids[0]!],
          [b, ids[1]!],
        ] as const) {
          await waitFor(async () => (await c.call('CLIENT', 'UNBLOCK', id.slice(1, -2), reason)) === ':1\r\n');
        }
        assert.equal(await wa.read(), await wb.read());
      }
    }),
  // A monitor: +OK, its keyspace refused, RESET ends it (the lines themselves: test/commands/monitor.test.ts).
  monitor: () => freshPair((a, b) => sameReplies(a, b, ['MONITOR', 'GET k', 'RESET', 'GET k'], NORMALIZE)),
  // Client-side caching: each case ends with tracking off, so that no invalidation reaches later cases.
  'client|tracking': [
    'CLIENT TRACKING on',
    'CLIENT TRACKINGINFO',
    'CLIENT TRACKING on BCAST',
    'CLIENT TRACKING on OPTIN',
    'CLIENT TRACKING on OPTOUT',
    'CLIENT TRACKING off',
    'CLIENT TRACKING on BCAST PREFIX a PREFIX ab',
    'CLIENT TRACKING on BCAST PREFIX ab PREFIX a',
    'CLIENT TRACKING on PREFIX a',
    'CLIENT TRACKING on OPTIN OPTOUT',
    'CLIENT TRACKING on BCAST OPTIN',
    'CLIENT TRACKING on REDIRECT 999999',
    'CLIENT TRACKING on REDIRECT abc',
    'CLIENT TRACKING on REDIRECT',
    'CLIENT TRACKING maybe',
    'CLIENT TRACKING on FOO',
    'CLIENT TRACKING off BCAST',
    'CLIENT TRACKING on BCAST PREFIX b: PREFIX a:',
    'CLIENT TRACKING on BCAST PREFIX a:x',
    'CLIENT TRACKING on BCAST PREFIX c:',
    'CLIENT TRACKINGINFO',
    'CLIENT TRACKING on',
    'CLIENT TRACKING off',
    'CLIENT TRACKING on BCAST NOLOOP',
    'CLIENT TRACKINGINFO',
    'CLIENT TRACKING off',
    'CLIENT TRACKING',
  ],
  'client|caching': [
    'CLIENT CACHING yes',
    'CLIENT TRACKING on OPTIN',
    'CLIENT CACHING no',
    'CLIENT CACHING maybe',
    'CLIENT CACHING yes',
    'CLIENT TRACKINGINFO',
    'CLIENT TRACKING off',
    'CLIENT TRACKING on OPTOUT',
    'CLIENT CACHING yes',
    'CLIENT CACHING no',
    'CLIENT TRACKINGINFO',
    'PING',
    'CLIENT TRACKINGINFO',
    'CLIENT TRACKING off',
    'CLIENT CACHING',
  ],
  'client|getredir': [
    'CLIENT GETREDIR',
    'CLIENT TRACKING on',
    'CLIENT GETREDIR',
    'CLIENT TRACKING off',
    'CLIENT GETREDIR x',
  ],
  'client|trackinginfo': [
    'CLIENT TRACKINGINFO',
    'CLIENT TRACKING on NOLOOP',
    'CLIENT TRACKINGINFO',
    'CLIENT TRACKING off',
    'CLIENT TRACKINGINFO x',
  ],

  // -- administration ------------------------------------------------------
  // A whole INFO holds each server's own statistics (compared by shape); the keyspace section of one
  // key and an unknown section are the same text on both.
  info: ['^INFO keyspace', 'INFO nosuch', 'SET k v', 'INFO keyspace'],
  dbsize: ['DBSIZE', 'MSET a 1 b 2', 'DBSIZE', 'DBSIZE x'],
  flushdb: ['SET k v', 'FLUSHDB', 'FLUSHDB ASYNC', 'FLUSHDB SYNC', 'FLUSHDB FOO', 'DBSIZE'],
  flushall: ['SET k v', 'FLUSHALL', 'FLUSHALL SYNC', 'FLUSHALL FOO', 'DBSIZE'],
  // TIME: the clocks are read at different instants.
  time: ['^TIME', 'TIME x'],
  shutdown: ['SHUTDOWN ABORT', 'SHUTDOWN FOO', 'SHUTDOWN NOSAVE SAVE', 'SHUTDOWN ABORT NOW'],
  save: ['SET k v', 'SAVE', 'SAVE x'],
  bgsave: ['BGSAVE FOO', 'BGSAVE SCHEDULE x', 'BGSAVE'],
  // LASTSAVE: the servers saved at different instants.
  lastsave: ['^LASTSAVE', 'LASTSAVE x'],
  config: ['CONFIG', 'CONFIG FOO'],
  'config|get': [
    'CONFIG GET maxmemory',
    '%CONFIG GET maxmemory maxmemory-policy',
    '%CONFIG GET maxmemory maxmemory',
    'CONFIG GET nosuch',
    'CONFIG GET',
  ],
  'config|set': ['CONFIG SET maxmemory 0', 'CONFIG SET nosuch 1', 'CONFIG SET hz abc', 'CONFIG SET maxmemory'],
  'config|resetstat': ['CONFIG RESETSTAT', 'CONFIG RESETSTAT x'],
  'config|help': ['?CONFIG HELP', 'CONFIG HELP x'],
  command: ['$COMMAND', 'COMMAND FOO'],
  // COUNT and LIST: the servers have different commands.
  'command|count': ['^COMMAND COUNT', 'COMMAND COUNT x'],
  'command|list': [
    '~COMMAND LIST FILTERBY PATTERN config*',
    'COMMAND LIST FILTERBY MODULE nosuch',
    'COMMAND LIST FILTERBY ACLCAT nosuch',
    'COMMAND LIST FILTERBY nosuch x',
    'COMMAND LIST x',
  ],
  'command|info': [
    '#COMMAND INFO get',
    '#COMMAND INFO zadd zrange nosuch',
    '#COMMAND INFO config',
    '#COMMAND INFO config|get get|key config|get|key',
  ],
  'command|docs': ['=COMMAND DOCS get', '=COMMAND DOCS config', 'COMMAND DOCS nosuch'],
  'command|getkeys': [
    'COMMAND GETKEYS MSET a 1 b 2',
    'COMMAND GETKEYS ZUNIONSTORE d 2 a b',
    'COMMAND GETKEYS MEMORY USAGE k',
    'COMMAND GETKEYS PING',
    'COMMAND GETKEYS',
    'COMMAND GETKEYS EVAL return 0',
    'COMMAND GETKEYS EVAL return x',
    'COMMAND GETKEYS FCALL f 1 k',
  ],
  'command|getkeysandflags': ['COMMAND GETKEYSANDFLAGS SET a b GET', 'COMMAND GETKEYSANDFLAGS LMOVE a b LEFT RIGHT'],
  'command|help': ['?COMMAND HELP', 'COMMAND HELP x'],
  'config|rewrite': ['CONFIG REWRITE', 'CONFIG REWRITE x'],
  // SLOWLOG and LATENCY: entries hold times, clocks and addresses, so filled logs are compared by shape.
  slowlog: ['SLOWLOG', 'SLOWLOG FOO'],
  'slowlog|help': ['?SLOWLOG HELP', 'SLOWLOG HELP x'],
  'slowlog|reset': ['SLOWLOG RESET', 'SLOWLOG RESET x'],
  'slowlog|len': ['CONFIG SET slowlog-log-slower-than -1', 'SLOWLOG RESET', 'SLOWLOG LEN', 'SLOWLOG LEN x'],
  'slowlog|get': [
    'CONFIG SET slowlog-log-slower-than 0',
    'SLOWLOG RESET',
    'SET k v',
    'CONFIG SET slowlog-log-slower-than -1',
    '^SLOWLOG GET',
    '^SLOWLOG GET 1',
    'SLOWLOG GET 0',
    'SLOWLOG GET -2',
    'SLOWLOG GET x',
    'SLOWLOG GET 1 2',
    'CONFIG SET slowlog-log-slower-than 10000',
  ],
  latency: ['LATENCY', 'LATENCY FOO'],
  'latency|help': ['?LATENCY HELP', 'LATENCY HELP x'],
  'latency|reset': ['LATENCY RESET', 'LATENCY RESET nosuch other'],
  'latency|latest': ['LATENCY RESET', 'LATENCY LATEST', 'LATENCY LATEST x'],
  'latency|history': ['LATENCY HISTORY command', 'LATENCY HISTORY'],
  'latency|graph': ['LATENCY GRAPH nosuch', 'LATENCY GRAPH'],
  'latency|doctor': ['LATENCY RESET', 'LATENCY DOCTOR', 'LATENCY DOCTOR x'],
  'latency|histogram': [
    'CONFIG RESETSTAT',
    'SET a b',
    '^LATENCY HISTOGRAM set',
    'LATENCY HISTOGRAM nosuch',
    // Every command with calls: Redis lists them in its hash table's order, so only one is asked for.
    '^LATENCY HISTOGRAM nosuch config|resetstat',
  ],
  // DEBUG: both servers refuse it by default (enable-debug-command no).
  debug: ['DEBUG HELP', 'DEBUG FOO', 'DEBUG'],
  memory: ['MEMORY', 'MEMORY FOO'],
  'memory|help': ['?MEMORY HELP', 'MEMORY HELP x'],
  // Sizes differ: FlashCache counts its arena entry and index share, Redis its allocations.
  'memory|usage': [
    'SET k v',
    '^MEMORY USAGE k',
    'MEMORY USAGE nokey',
    'MEMORY USAGE k SAMPLES x',
    'MEMORY USAGE k SAMPLES -1',
    'MEMORY USAGE k FOO 1',
    '^MEMORY USAGE k SAMPLES 0',
  ],
  'memory|stats': ['^MEMORY STATS', 'MEMORY STATS x'],
  'memory|doctor': ['MEMORY DOCTOR', 'MEMORY DOCTOR x'],
  'memory|malloc-stats': ['^MEMORY MALLOC-STATS', 'MEMORY MALLOC-STATS x'],
  'memory|purge': ['MEMORY PURGE', 'MEMORY PURGE x'],
  eval: [
    ['EVAL', 'redis.call("hset", "h", "a", "1"); return redis.call("hgetall", "h")', '0'],
    ['EVAL', 'redis.setresp(3); return redis.call("hgetall", "h")', '0'],
    ['EVAL', 'return {true, false, {double=1.5}, {map={x=1}}, {set={y=true}}}', '0'],
    ['EVAL', 'return {big_number="12345678901234567890"}', '0'],
    ['EVAL', 'redis.setresp(3); return redis.call("get", "nokey")', '0'],
    ['EVAL', 'return x', '0'],
  ],
  evalsha: [
    ['SCRIPT', 'LOAD', 'return {1, "a", {ok="s"}}'],
    ['EVALSHA', 'c3d8d8b6e5c7e08796f0a88b6a4d3b8a4f1bf5d8', '0'],
    ['EVALSHA', 'nosuch', '0'],
  ],
  eval_ro: [
    ['EVAL_RO', 'return redis.call("get", KEYS[1])', '1', 'k'],
    ['EVAL_RO', 'return redis.call("set", KEYS[1], "v")', '1', 'k'],
  ],
  evalsha_ro: [
    ['SCRIPT', 'LOAD', 'return redis.call("exists", KEYS[1])'],
    ['EVALSHA_RO', 'nosuch', '0'],
  ],
  script: ['SCRIPT', 'SCRIPT FOO'],
  'script|load': [['SCRIPT', 'LOAD', 'return 1'], ['SCRIPT', 'LOAD', 'return +'], 'SCRIPT LOAD'],
  'script|exists': [['SCRIPT', 'EXISTS', 'e0e1f9fabfc9d4800c877a703b823ac0578ff8db', 'x'], 'SCRIPT EXISTS'],
  'script|flush': ['SCRIPT FLUSH', 'SCRIPT FLUSH ASYNC', 'SCRIPT FLUSH x'],
  'script|kill': ['SCRIPT KILL', 'SCRIPT KILL x'],
  'script|debug': ['SCRIPT DEBUG NO', 'SCRIPT DEBUG x'],
  'script|help': ['?SCRIPT HELP', 'SCRIPT HELP x'],
  function: ['FUNCTION', 'FUNCTION FOO'],
  'function|flush': ['FUNCTION FLUSH', 'FUNCTION FLUSH ASYNC', 'FUNCTION FLUSH x', 'FUNCTION FLUSH a b'],
  'function|list': [
    'FUNCTION FLUSH',
    ['FUNCTION', 'LOAD', R3_LIB],
    'FUNCTION LIST',
    'FUNCTION LIST WITHCODE LIBRARYNAME r*',
    'FUNCTION LIST WITHCODE LIBRARYNAME x',
    'FUNCTION LIST LIBRARYNAME',
    'FUNCTION LIST x',
  ],
  'function|load': [
    'FUNCTION FLUSH',
    ['FUNCTION', 'LOAD', R3_LIB],
    ['FUNCTION', 'LOAD', R3_LIB],
    ['FUNCTION', 'LOAD', 'REPLACE', R3_LIB],
    ['FUNCTION', 'LOAD', '#!lua name=x\nreturn 1'],
    'FUNCTION LOAD',
  ],
  'function|delete': ['FUNCTION FLUSH', ['FUNCTION', 'LOAD', R3_LIB], 'FUNCTION DELETE r3', 'FUNCTION DELETE r3'],
  'function|dump': ['FUNCTION FLUSH', 'FUNCTION DUMP', 'FUNCTION DUMP x'],
  'function|restore': ['FUNCTION RESTORE x', 'FUNCTION RESTORE x FOO', 'FUNCTION RESTORE'],
  'function|stats': ['FUNCTION FLUSH', ['FUNCTION', 'LOAD', R3_LIB], 'FUNCTION STATS', 'FUNCTION STATS x'],
  'function|kill': ['FUNCTION KILL', 'FUNCTION KILL x'],
  fcall: [
    'FUNCTION FLUSH',
    ['FUNCTION', 'LOAD', R3_LIB],
    'HSET h a 1',
    'FCALL r3f 1 h',
    'FCALL nosuch 0',
    'FCALL r3f x',
  ],
  fcall_ro: ['FUNCTION FLUSH', ['FUNCTION', 'LOAD', R3_LIB], 'HSET h a 1', 'FCALL_RO r3f 1 h', 'FCALL_RO r3f -1'],
  'function|help': ['?FUNCTION HELP', 'FUNCTION HELP x'],
  swapdb: [
    'SET k v',
    'SWAPDB 0 1',
    'GET k',
    'SELECT 1',
    'GET k',
    'SWAPDB 1 0',
    'SELECT 0',
    'GET k',
    'SWAPDB 0 0',
    'SWAPDB 0 16',
    'SWAPDB x 0',
    'SWAPDB 0 x',
    'SWAPDB 0',
  ],
  wait: ['WAIT 0 0', 'WAIT 1 1', 'WAIT x 0', 'WAIT 0 x', 'WAIT 0 -1', 'WAIT 0'],
  // WAITAOF is Redis 7.2's (redis-server 7.0.15 does not know it): FlashCache's replies, as 7.2 gives them.
  waitaof: async (a) => {
    assert.equal(await a.call('SET', 'k', 'v'), '+OK\r\n');
    assert.equal(await a.call('WAITAOF', '1', '0', '0'), '*2\r\n:1\r\n:0\r\n');
    assert.equal(await a.call('WAITAOF', '0', '1', '1'), '*2\r\n:1\r\n:0\r\n');
    assert.equal(await a.call('WAITAOF', '2', '0', '0'), '-ERR value is out of range, value must between 0 and 1\r\n');
    assert.equal(await a.call('WAITAOF', '0', '-1', '0'), '-ERR value is out of range, must be positive\r\n');
    assert.equal(await a.call('WAITAOF', '0', '0', '-1'), '-ERR timeout is negative\r\n');
    assert.equal(await a.call('WAITAOF', '0', '0'), "-ERR wrong number of arguments for 'waitaof' command\r\n");
  },
  // Replication: a lone primary, and arguments refused before anything connects.
  replicaof: ['REPLICAOF no one', 'REPLICAOF 127.0.0.1 abc', 'REPLICAOF 127.0.0.1 99999', 'REPLICAOF a'],
  slaveof: ['SLAVEOF NO ONE', 'SLAVEOF 127.0.0.1 -1', 'SLAVEOF a'],
  // ROLE: the offset differs between the servers.
  role: ['^ROLE', 'ROLE x'],
  replconf: ['REPLCONF', 'REPLCONF a', 'REPLCONF foo bar', 'REPLCONF listening-port 5', 'REPLCONF listening-port x'],
  psync: ['PSYNC a', 'PSYNC'],
  sync: ['SYNC x'],
  // LOLWUT: FlashCache reports the Redis version it is compatible with.
  lolwut: ['^LOLWUT', '^LOLWUT VERSION 7', 'LOLWUT VERSION x'],

  // -- strings -------------------------------------------------------------
  get: ['GET k', 'SET k v', 'GET k', 'HSET h f v', 'GET h'],
  set: ['SET k v', 'SET k v NX', 'SET k w XX GET', 'SET n v XX GET', 'SET k v EX 0', 'SET k v FOO', 'GET k'],
  setnx: ['SETNX k v', 'SETNX k w', 'GET k'],
  setex: ['SETEX k 100 v', 'TTL k', 'SETEX k 0 v', 'SETEX k abc v'],
  psetex: ['PSETEX k 100000 v', 'PSETEX k -1 v', 'GET k'],
  getset: ['GETSET k v', 'GETSET k w', 'HSET h f v', 'GETSET h v'],
  getdel: ['SET k v', 'GETDEL k', 'GETDEL k'],
  getex: ['SET k v', 'GETEX k EX 100', 'TTL k', 'GETEX k PERSIST', 'GETEX nokey', 'GETEX k FOO'],
  mget: ['MSET a 1 b 2', 'MGET a nokey b', 'HSET h f v', 'MGET h'],
  mset: ['MSET a 1 b 2', 'MSET a', 'MGET a b'],
  msetnx: ['MSETNX a 1 b 2', 'MSETNX b 3 c 4', 'MGET a b c'],
  append: ['APPEND k hello', 'APPEND k " world"', 'GET k'],
  strlen: ['STRLEN k', 'SET k hello', 'STRLEN k'],
  getrange: ['SET k hello', 'GETRANGE k 1 3', 'GETRANGE k 5 1', 'GETRANGE nokey 0 -1', 'GETRANGE k a b'],
  setrange: ['SETRANGE k 3 abc', 'GET k', 'SETRANGE k -1 x'],
  substr: ['SET k hello', 'SUBSTR k 1 3', 'SUBSTR nokey 0 -1', 'SUBSTR k a b'],
  lcs: [
    'MSET a ohmytext b mynewtext',
    'LCS a b',
    'LCS a b LEN',
    'LCS a b IDX WITHMATCHLEN',
    'LCS a b IDX MINMATCHLEN 4',
  ],
  setbit: ['SETBIT k 7 1', 'SETBIT k 7 0', 'GET k', 'SETBIT k -1 1', 'SETBIT k 1 2'],
  getbit: ['SET k a', 'GETBIT k 1', 'GETBIT k 100', 'GETBIT nokey 0', 'GETBIT k x'],
  bitcount: ['SET k foobar', 'BITCOUNT k', 'BITCOUNT k 1 1', 'BITCOUNT k 5 30 BIT', 'BITCOUNT k 0 1 FOO'],
  bitpos: ['SET k foobar', 'BITPOS k 1', 'BITPOS k 0 2 -1', 'BITPOS k 1 7 15 BIT', 'BITPOS nokey 1', 'BITPOS k 2'],
  bitop: ['MSET a foo b bar', 'BITOP AND d a b', 'GET d', 'BITOP NOT d a b', 'BITOP FOO d a'],
  bitfield: [
    'BITFIELD k SET i8 0 100 INCRBY i8 0 100 GET u4 0',
    'BITFIELD k OVERFLOW FAIL INCRBY i8 0 100',
    'BITFIELD k GET u64 0',
  ],
  bitfield_ro: ['SET k hello', 'BITFIELD_RO k GET i8 0 GET u4 #3', 'BITFIELD_RO k SET i8 0 1'],
  pfadd: ['PFADD k', 'PFADD k a b c', 'PFADD k a', 'GET k', 'SET s x', 'PFADD s a', 'LPUSH l a', 'PFADD l a'],
  pfcount: ['PFADD k a b c', 'PFCOUNT k', 'GET k', 'PFCOUNT k nokey', 'PFCOUNT nokey', 'SET s x', 'PFCOUNT s'],
  pfmerge: ['PFADD a x y', 'PFADD b y z', 'PFMERGE d a b', 'GET d', 'PFCOUNT d', 'SET s x', 'PFMERGE d s'],
  pfdebug: [
    'PFADD k a b c',
    'PFDEBUG ENCODING k',
    'PFDEBUG DECODE k',
    'PFDEBUG TODENSE k',
    'PFDEBUG GETREG k',
    'PFDEBUG DECODE k',
    'PFDEBUG FOO k',
    'PFDEBUG GETREG nokey',
  ],
  pfselftest: ['PFSELFTEST x'],
  incr: ['INCR n', 'INCR n', 'SET s abc', 'INCR s'],
  decr: ['DECR n', 'SET n -9223372036854775808', 'DECR n'],
  incrby: ['INCRBY n 10', 'INCRBY n abc'],
  decrby: ['DECRBY n 10', 'DECRBY n abc'],
  // Redis 7.0 replies INCRBYFLOAT with a bulk string in RESP3 too.
  incrbyfloat: [
    'INCRBYFLOAT f 1.5',
    'INCRBYFLOAT f 0.1',
    'INCRBYFLOAT f 1e300',
    'INCRBYFLOAT f abc',
    'SET s x',
    'INCRBYFLOAT s 1',
  ],

  // -- keys ----------------------------------------------------------------
  del: ['MSET a 1 b 2', 'DEL a b c', 'DEL a'],
  unlink: ['MSET a 1 b 2', 'UNLINK a b c'],
  exists: ['SET a 1', 'EXISTS a a nokey'],
  touch: ['SET a 1', 'TOUCH a nokey'],
  type: [
    'SET s v',
    'HSET h f v',
    'LPUSH l v',
    'SADD t v',
    'ZADD z 1 v',
    'TYPE s',
    'TYPE h',
    'TYPE l',
    'TYPE t',
    'TYPE z',
    'TYPE nokey',
  ],
  keys: ['KEYS *', 'MSET a 1 b 2 ab 3', '~KEYS *', '~KEYS a*', 'KEYS nomatch'],
  scan: [
    'SCAN 0',
    'MSET a 1 b 2 c 3',
    '@SCAN 0',
    '@SCAN 0 MATCH a*',
    '@SCAN 0 TYPE string',
    'SCAN 0 COUNT 0',
    'SCAN abc',
  ],
  randomkey: ['RANDOMKEY', 'SET only v', 'RANDOMKEY'],
  rename: ['SET a 1', 'RENAME a b', 'RENAME a b', 'GET b'],
  renamenx: ['MSET a 1 b 2', 'RENAMENX a b', 'RENAMENX a c', 'RENAMENX nokey d'],
  copy: ['SET a 1', 'COPY a b', 'COPY a b', 'COPY a b REPLACE', 'COPY a b DB 99', 'COPY nokey x'],
  move: ['SET a 1', 'MOVE a 1', 'MOVE a 1', 'MOVE a 99'],
  dump: ['SET a 1', 'DUMP a', 'SET b hello', 'DUMP b', 'RPUSH l x 2', 'DUMP l', 'DUMP nokey'],
  restore: [
    ['RESTORE', 'a', '0', DUMP_OF_ONE],
    'GET a',
    ['RESTORE', 'a', '0', DUMP_OF_ONE],
    ['RESTORE', 'a', '0', DUMP_OF_ONE, 'REPLACE', 'ABSTTL'],
    'RESTORE b 0 bad',
    'RESTORE b -1 bad',
    'RESTORE b 0 bad FOO',
  ],
  // -- cluster: redis-server runs without cluster-enabled here, so both answer that cluster support is off;
  // test/cluster/shape.test.ts compares the replies of clusters of each.
  cluster: ['CLUSTER', 'CLUSTER FOO'],
  'cluster|addslots': ['CLUSTER ADDSLOTS 1', 'CLUSTER ADDSLOTS'],
  'cluster|addslotsrange': ['CLUSTER ADDSLOTSRANGE 1 2', 'CLUSTER ADDSLOTSRANGE 1'],
  'cluster|bumpepoch': ['CLUSTER BUMPEPOCH', 'CLUSTER BUMPEPOCH x'],
  'cluster|count-failure-reports': ['CLUSTER COUNT-FAILURE-REPORTS x', 'CLUSTER COUNT-FAILURE-REPORTS'],
  'cluster|countkeysinslot': ['CLUSTER COUNTKEYSINSLOT 1', 'CLUSTER COUNTKEYSINSLOT'],
  'cluster|delslots': ['CLUSTER DELSLOTS 1', 'CLUSTER DELSLOTS'],
  'cluster|delslotsrange': ['CLUSTER DELSLOTSRANGE 1 2', 'CLUSTER DELSLOTSRANGE 1'],
  'cluster|failover': ['CLUSTER FAILOVER', 'CLUSTER FAILOVER FORCE'],
  'cluster|flushslots': ['CLUSTER FLUSHSLOTS', 'CLUSTER FLUSHSLOTS x'],
  'cluster|forget': ['CLUSTER FORGET x', 'CLUSTER FORGET'],
  'cluster|getkeysinslot': ['CLUSTER GETKEYSINSLOT 1 1', 'CLUSTER GETKEYSINSLOT 1'],
  'cluster|help': ['CLUSTER HELP', 'CLUSTER HELP x'],
  'cluster|info': ['CLUSTER INFO', 'CLUSTER INFO x'],
  'cluster|keyslot': ['CLUSTER KEYSLOT foo', 'CLUSTER KEYSLOT'],
  'cluster|links': ['CLUSTER LINKS', 'CLUSTER LINKS x'],
  'cluster|meet': ['CLUSTER MEET 127.0.0.1 1', 'CLUSTER MEET 127.0.0.1'],
  'cluster|myid': ['CLUSTER MYID', 'CLUSTER MYID x'],
  'cluster|nodes': ['CLUSTER NODES', 'CLUSTER NODES x'],
  'cluster|replicas': ['CLUSTER REPLICAS x', 'CLUSTER REPLICAS'],
  'cluster|replicate': ['CLUSTER REPLICATE x', 'CLUSTER REPLICATE'],
  'cluster|reset': ['CLUSTER RESET', 'CLUSTER RESET HARD'],
  'cluster|saveconfig': ['CLUSTER SAVECONFIG', 'CLUSTER SAVECONFIG x'],
  'cluster|set-config-epoch': ['CLUSTER SET-CONFIG-EPOCH 1', 'CLUSTER SET-CONFIG-EPOCH'],
  'cluster|setslot': ['CLUSTER SETSLOT 1 STABLE', 'CLUSTER SETSLOT 1'],
  'cluster|shards': ['CLUSTER SHARDS', 'CLUSTER SHARDS x'],
  'cluster|slaves': ['CLUSTER SLAVES x', 'CLUSTER SLAVES'],
  'cluster|slots': ['CLUSTER SLOTS', 'CLUSTER SLOTS x'],
  asking: ['ASKING', 'ASKING x'],
  readonly: ['READONLY', 'READONLY x'],
  readwrite: ['READWRITE', 'READWRITE x'],
  'restore-asking': [['RESTORE-ASKING', 'a', '0', DUMP_OF_ONE], 'GET a', 'RESTORE-ASKING b 0 bad'],
  migrate: ['MIGRATE 127.0.0.1 1 nokey 0 100', 'MIGRATE 127.0.0.1 1 k x 100', 'MIGRATE 127.0.0.1 1 k 0 100 FOO'],
  object: ['OBJECT', 'OBJECT FOO'],
  'object|encoding': [
    'SET i 12345',
    'SET s hello',
    'HSET h f v',
    'ZADD z 1 m',
    'SADD t 1 2',
    'OBJECT ENCODING i',
    'OBJECT ENCODING s',
    'OBJECT ENCODING h',
    'OBJECT ENCODING z',
    'OBJECT ENCODING t',
    'OBJECT ENCODING nokey',
  ],
  'object|freq': ['SET s hello', 'OBJECT FREQ s', 'OBJECT FREQ nokey'],
  // OBJECT IDLETIME of a key: the seconds since its last access could straddle a second on one server only.
  'object|idletime': ['SET s hello', '^OBJECT IDLETIME s', 'OBJECT IDLETIME nokey'],
  'object|refcount': ['SET s hello', 'OBJECT REFCOUNT s', 'OBJECT REFCOUNT nokey'],
  'object|help': ['OBJECT HELP', 'OBJECT HELP x'],

  // -- expiry --------------------------------------------------------------
  expire: ['SET k v', 'EXPIRE k 100', 'EXPIRE k 50 GT', 'EXPIRE nokey 10', 'EXPIRE k abc', 'TTL k'],
  pexpire: ['SET k v', 'PEXPIRE k 100000', 'PEXPIRE k 10 NX', 'PTTL nokey'],
  expireat: ['SET k v', 'EXPIREAT k 99999999999', 'EXPIRETIME k', 'EXPIREAT k 1', 'EXISTS k'],
  pexpireat: ['SET k v', 'PEXPIREAT k 99999999999000', 'PEXPIRETIME k'],
  ttl: ['SET k v', 'TTL k', 'TTL nokey', 'SETEX e 100 v', 'TTL e'],
  pttl: ['SET k v', 'PTTL k', 'PTTL nokey'],
  expiretime: ['SET k v', 'EXPIRETIME k', 'EXPIRETIME nokey'],
  pexpiretime: ['SET k v', 'PEXPIREAT k 99999999999000', 'PEXPIRETIME k', 'PEXPIRETIME nokey'],
  persist: ['SETEX k 100 v', 'PERSIST k', 'PERSIST k', 'PERSIST nokey'],
  sort: [
    'RPUSH l 3 1 2',
    'MSET w_1 9 w_2 8 o_1 one',
    'HSET h_3 f x',
    'SORT l',
    'SORT l DESC LIMIT 1 5 GET # GET o_* GET h_*->f',
    'SORT l BY w_* ALPHA',
    'SORT l BY nosort STORE d',
    'LRANGE d 0 -1',
    'SORT l LIMIT 0 0 STORE d',
    'SORT nokey',
    'SORT o_1',
    'SORT l BY o_*',
    'SORT l FOO',
  ],
  sort_ro: ['ZADD z 2 a 1 b', 'SORT_RO z ALPHA', 'SORT_RO z BY nosort GET nokey_*', 'SORT_RO z STORE d', 'SORT_RO'],

  // -- hashes --------------------------------------------------------------
  hset: ['HSET h a 1 b 2', 'HSET h a 3', 'HSET h a', 'SET s v', 'HSET s a 1'],
  hsetnx: ['HSETNX h a 1', 'HSETNX h a 2', 'HGET h a'],
  hget: ['HSET h a 1', 'HGET h a', 'HGET h nofield', 'HGET nokey a'],
  hmget: ['HSET h a 1', 'HMGET h a nofield', 'HMGET nokey a b'],
  hmset: ['HMSET h a 1 b 2', 'HMSET h a', '%HGETALL h'],
  hgetall: ['HGETALL nokey', 'HSET h a 1 b 2 c 3', '%HGETALL h', 'SET s v', 'HGETALL s'],
  hdel: ['HSET h a 1 b 2', 'HDEL h a nofield', 'HDEL h b', 'EXISTS h'],
  hexists: ['HSET h a 1', 'HEXISTS h a', 'HEXISTS h b', 'HEXISTS nokey a'],
  hlen: ['HSET h a 1 b 2', 'HLEN h', 'HLEN nokey'],
  hkeys: ['HKEYS nokey', 'HSET h a 1 b 2', '~HKEYS h'],
  hvals: ['HVALS nokey', 'HSET h a 1 b 2', '~HVALS h'],
  hstrlen: ['HSET h a hello', 'HSTRLEN h a', 'HSTRLEN h b'],
  hincrby: ['HINCRBY h n 5', 'HINCRBY h n -7', 'HSET h s x', 'HINCRBY h s 1', 'HINCRBY h n abc'],
  // Redis 7.0 replies HINCRBYFLOAT with a bulk string in RESP3 too.
  hincrbyfloat: ['HINCRBYFLOAT h f 1.5', 'HINCRBYFLOAT h f 0.1', 'HINCRBYFLOAT h f abc', 'HINCRBYFLOAT h f inf'],
  hrandfield: [
    'HRANDFIELD nokey',
    'HRANDFIELD nokey 3',
    'HRANDFIELD nokey 3 WITHVALUES',
    'HSET one f v',
    'HRANDFIELD one',
    'HRANDFIELD one 1',
    'HRANDFIELD one 1 WITHVALUES',
    'HRANDFIELD one -3 WITHVALUES',
    'HRANDFIELD one 0 WITHVALUES',
    'HSET h a 1 b 2 c 3',
    '~HRANDFIELD h 10',
    '~HRANDFIELD h 10 WITHVALUES',
    'HRANDFIELD h 1 FOO',
    'HRANDFIELD h -9223372036854775807 WITHVALUES',
  ],
  hscan: ['HSCAN nokey 0', 'HSET h a 1 b 2', '&HSCAN h 0', '&HSCAN h 0 MATCH a*', 'HSCAN h abc'],

  // -- lists ---------------------------------------------------------------
  lpush: ['LPUSH l a b c', 'LRANGE l 0 -1', 'SET s v', 'LPUSH s a'],
  rpush: ['RPUSH l a b c', 'LRANGE l 0 -1'],
  lpushx: ['LPUSHX l a', 'RPUSH l x', 'LPUSHX l a b'],
  rpushx: ['RPUSHX l a', 'RPUSH l x', 'RPUSHX l a b'],
  lpop: ['LPOP nokey', 'LPOP nokey 2', 'RPUSH l a b c', 'LPOP l', 'LPOP l 0', 'LPOP l 5', 'LPOP l -1'],
  rpop: ['RPOP nokey', 'RPOP nokey 2', 'RPUSH l a b c', 'RPOP l', 'RPOP l 5'],
  llen: ['LLEN nokey', 'RPUSH l a b', 'LLEN l'],
  lrange: ['LRANGE nokey 0 -1', 'RPUSH l a b c', 'LRANGE l 1 -1', 'LRANGE l 5 10'],
  lindex: ['RPUSH l a b', 'LINDEX l 0', 'LINDEX l 5', 'LINDEX nokey 0'],
  lset: ['RPUSH l a b', 'LSET l 0 x', 'LSET l 5 x', 'LSET nokey 0 x'],
  linsert: ['RPUSH l a c', 'LINSERT l BEFORE c b', 'LINSERT l AFTER z x', 'LINSERT nokey BEFORE a b', 'LRANGE l 0 -1'],
  lrem: ['RPUSH l a b a', 'LREM l 0 a', 'LREM nokey 0 a'],
  ltrim: ['RPUSH l a b c', 'LTRIM l 1 1', 'LRANGE l 0 -1'],
  lpos: [
    'LPOS nokey a',
    'LPOS nokey a COUNT 0',
    'RPUSH l a b a',
    'LPOS l a',
    'LPOS l a COUNT 0',
    'LPOS l z',
    'LPOS l z COUNT 2',
  ],
  lmove: ['RPUSH l a b', 'LMOVE l m LEFT RIGHT', 'LMOVE nokey m LEFT LEFT', 'LRANGE m 0 -1'],
  rpoplpush: ['RPUSH l a b', 'RPOPLPUSH l m', 'RPOPLPUSH nokey m'],
  // A blocking pop that times out answers RESP3's null.
  blpop: ['BLPOP nokey 0.01', 'RPUSH l a', 'BLPOP nokey l 0'],
  brpop: ['BRPOP nokey 0.01', 'RPUSH l a', 'BRPOP l 0'],
  blmove: ['BLMOVE nokey m LEFT LEFT 0.01', 'RPUSH l a', 'BLMOVE l m LEFT RIGHT 0'],
  brpoplpush: ['BRPOPLPUSH nokey m 0.01', 'RPUSH l a', 'BRPOPLPUSH l m 0'],
  lmpop: ['LMPOP 1 nokey LEFT', 'RPUSH l a b c', 'LMPOP 2 nokey l RIGHT COUNT 2', 'LMPOP 0 l LEFT'],
  blmpop: ['BLMPOP 0.01 1 nokey LEFT', 'RPUSH l a b c', 'BLMPOP 0 2 nokey l LEFT COUNT 2', 'BLMPOP 0 1 l UP'],

  // -- sets ----------------------------------------------------------------
  sadd: ['SADD s a b a', 'SADD s c', 'SET k v', 'SADD k a'],
  srem: ['SADD s a b', 'SREM s a z', 'SREM nokey a'],
  smembers: ['SMEMBERS nokey', 'SADD s a b c', '~SMEMBERS s', 'SADD i 3 1 2', '~SMEMBERS i', 'SET k v', 'SMEMBERS k'],
  sismember: ['SADD s a', 'SISMEMBER s a', 'SISMEMBER s z', 'SISMEMBER nokey a'],
  smismember: ['SADD s a', 'SMISMEMBER s a z', 'SMISMEMBER nokey a'],
  scard: ['SADD s a b', 'SCARD s', 'SCARD nokey'],
  spop: [
    'SPOP nokey',
    'SPOP nokey 2',
    'SADD one m',
    'SPOP one',
    'SADD s a b c',
    'SPOP s 0',
    '~SPOP s 10',
    'EXISTS s',
    'SADD two x y',
    'SPOP two -1',
  ],
  srandmember: [
    'SRANDMEMBER nokey',
    'SRANDMEMBER nokey 2',
    'SADD one m',
    'SRANDMEMBER one',
    'SRANDMEMBER one -3',
    'SADD s a b c',
    '~SRANDMEMBER s 10',
    'SRANDMEMBER s 0',
  ],
  smove: ['SADD s a', 'SMOVE s t a', 'SMOVE s t a', '~SMEMBERS t'],
  sinter: ['SADD s a b c', 'SADD t b c d', '~SINTER s t', 'SINTER s nokey', 'SINTER nokey'],
  sintercard: ['SADD s a b c', 'SADD t b c d', 'SINTERCARD 2 s t', 'SINTERCARD 2 s t LIMIT 1', 'SINTERCARD 0 s'],
  sunion: ['SADD s a b', 'SADD t b c', '~SUNION s t', 'SUNION nokey'],
  sdiff: ['SADD s a b', 'SADD t b c', '~SDIFF s t', 'SDIFF nokey s', 'SDIFF s s'],
  sinterstore: ['SADD s a b', 'SADD t b c', 'SINTERSTORE d s t', '~SMEMBERS d'],
  sunionstore: ['SADD s a b', 'SADD t b c', 'SUNIONSTORE d s t', '~SMEMBERS d'],
  sdiffstore: ['SADD s a b', 'SADD t b c', 'SDIFFSTORE d s t', '~SMEMBERS d'],
  sscan: ['SSCAN nokey 0', 'SADD s a b c', '@SSCAN s 0', '@SSCAN s 0 MATCH a*', 'SSCAN s 0 COUNT 0'],

  // -- sorted sets ---------------------------------------------------------
  zadd: [
    'ZADD z 1 a 2.5 b 3.0000000000000004 c',
    'ZADD z INCR 1.5 a',
    'ZADD z NX INCR 1 a',
    'ZADD z XX INCR 1 nomember',
    'ZADD z INCR -inf a',
    'ZADD z INCR 1e300 b',
    'ZADD z 1 a 2',
    'ZADD z INCR 1 a 2 b',
    'ZADD z nan a',
    'ZADD z CH 5 a 6 d',
  ],
  zincrby: ['ZINCRBY z 1.5 a', 'ZINCRBY z 0.1 a', 'ZINCRBY z inf a', 'ZINCRBY z -inf a', 'ZINCRBY z abc a'],
  zrem: ['ZADD z 1 a 2 b', 'ZREM z a z', 'ZREM nokey a'],
  zcard: ['ZADD z 1 a 2 b', 'ZCARD z', 'ZCARD nokey'],
  zscore: [
    'ZADD z 1 a 0.1 b -0 c 1e300 d inf e -inf f 123456789012345678 g',
    'ZSCORE z a',
    'ZSCORE z b',
    'ZSCORE z c',
    'ZSCORE z d',
    'ZSCORE z e',
    'ZSCORE z f',
    'ZSCORE z g',
    'ZSCORE z nomember',
    'ZSCORE nokey a',
  ],
  zmscore: ['ZADD z 1 a 2.5 b', 'ZMSCORE z a nomember b', 'ZMSCORE nokey a b', 'ZMSCORE z'],
  zrank: ['ZADD z 1 a 2 b', 'ZRANK z b', 'ZRANK z nomember', 'ZRANK nokey a'],
  zrevrank: ['ZADD z 1 a 2 b', 'ZREVRANK z b', 'ZREVRANK z nomember'],
  zcount: ['ZADD z 1 a 2 b 3 c', 'ZCOUNT z 2 +inf', 'ZCOUNT z (1 (3', 'ZCOUNT nokey 0 1'],
  zlexcount: ['ZADD z 0 a 0 b 0 c', 'ZLEXCOUNT z [b +', 'ZLEXCOUNT nokey - +'],
  zrange: [
    'ZRANGE nokey 0 -1 WITHSCORES',
    'ZADD z 1 a 2.5 b 3 c -0 d inf e',
    'ZRANGE z 0 -1',
    'ZRANGE z 0 -1 WITHSCORES',
    'ZRANGE z 0 1 REV WITHSCORES',
    'ZRANGE z (1 +inf BYSCORE WITHSCORES',
    'ZRANGE z 0 +inf BYSCORE LIMIT 1 2 WITHSCORES',
    'ZRANGE z 5 10 WITHSCORES',
    'ZRANGE z [a [c BYLEX',
    'ZRANGE z [a [c BYLEX WITHSCORES',
  ],
  zrangestore: ['ZADD z 1 a 2 b', 'ZRANGESTORE d z 0 -1', 'ZRANGE d 0 -1 WITHSCORES', 'ZRANGESTORE d nokey 0 -1'],
  zrevrange: ['ZADD z 1 a 2.5 b', 'ZREVRANGE z 0 -1 WITHSCORES', 'ZREVRANGE z 0 -1', 'ZREVRANGE nokey 0 -1 WITHSCORES'],
  zrangebyscore: [
    'ZADD z 1 a 2.5 b 3 c',
    'ZRANGEBYSCORE z -inf +inf WITHSCORES',
    'ZRANGEBYSCORE z (1 3 WITHSCORES LIMIT 1 1',
    'ZRANGEBYSCORE z 5 6 WITHSCORES',
  ],
  zrevrangebyscore: ['ZADD z 1 a 2.5 b', 'ZREVRANGEBYSCORE z +inf -inf WITHSCORES', 'ZREVRANGEBYSCORE z 2 1'],
  zrangebylex: ['ZADD z 0 a 0 b 0 c', 'ZRANGEBYLEX z - +', 'ZRANGEBYLEX z (a [c LIMIT 0 1', 'ZRANGEBYLEX z a b'],
  zrevrangebylex: ['ZADD z 0 a 0 b 0 c', 'ZREVRANGEBYLEX z + -', 'ZREVRANGEBYLEX nokey + -'],
  zremrangebyrank: ['ZADD z 1 a 2 b 3 c', 'ZREMRANGEBYRANK z 0 1', 'ZRANGE z 0 -1 WITHSCORES'],
  zremrangebyscore: ['ZADD z 1 a 2 b 3 c', 'ZREMRANGEBYSCORE z 1 2', 'ZREMRANGEBYSCORE nokey 1 2'],
  zremrangebylex: ['ZADD z 0 a 0 b 0 c', 'ZREMRANGEBYLEX z [a [b', 'ZRANGE z 0 -1 WITHSCORES'],
  zpopmin: [
    'ZPOPMIN nokey',
    'ZPOPMIN nokey 2',
    'ZADD z 1 a 2.5 b 3 c',
    'ZPOPMIN z',
    'ZPOPMIN z 0',
    'ZPOPMIN z 1',
    'ZPOPMIN z 5',
    'ZPOPMIN z -1',
  ],
  zpopmax: ['ZADD z 1 a 2.5 b 3 c', 'ZPOPMAX z', 'ZPOPMAX z 5', 'ZPOPMAX z'],
  bzpopmin: ['BZPOPMIN nokey 0.01', 'ZADD z 1 a 2.5 b', 'BZPOPMIN nokey z 0', 'BZPOPMIN z x'],
  bzpopmax: ['BZPOPMAX nokey 0.01', 'ZADD z 1 a 2.5 b', 'BZPOPMAX nokey z 0', 'BZPOPMAX z -1'],
  bzmpop: ['BZMPOP 0.01 1 nokey MIN', 'ZADD z 1 a 2.5 b 3 c', 'BZMPOP 0 2 nokey z MAX COUNT 2', 'BZMPOP 0 0 z MIN'],
  zmpop: [
    'ZMPOP 1 nokey MIN',
    'ZADD z 1 a 2.5 b 3 c',
    'ZMPOP 2 nokey z MIN',
    'ZMPOP 1 z MAX COUNT 5',
    'ZMPOP 0 z MIN',
    'ZMPOP 1 z FOO',
  ],
  zrandmember: [
    'ZRANDMEMBER nokey',
    'ZRANDMEMBER nokey 2 WITHSCORES',
    'ZADD one 1.5 m',
    'ZRANDMEMBER one',
    'ZRANDMEMBER one 1 WITHSCORES',
    'ZRANDMEMBER one -3 WITHSCORES',
    'ZRANDMEMBER one -3',
    'ZRANDMEMBER one 0 WITHSCORES',
    'ZADD z 1 a 2.5 b -0 c',
    '~ZRANDMEMBER z 10 WITHSCORES',
    '~ZRANDMEMBER z 10',
  ],
  // ZSCAN's scores stay bulk strings in RESP3 (db.c scanGenericCommand makes them strings).
  zscan: ['ZSCAN nokey 0', 'ZADD z 1 a 2.5 b', '&ZSCAN z 0', '&ZSCAN z 0 MATCH a*', 'ZSCAN z abc'],
  zunionstore: ['ZADD a 1 x', 'ZADD b 2 x 3 y', 'ZUNIONSTORE d 2 a b', 'ZRANGE d 0 -1 WITHSCORES'],
  zinterstore: ['ZADD a 1 x', 'ZADD b 2 x 3 y', 'ZINTERSTORE d 2 a b WEIGHTS 2 0.5', 'ZRANGE d 0 -1 WITHSCORES'],
  zdiffstore: ['ZADD a 1 x 2 y', 'ZADD b 2 x', 'ZDIFFSTORE d 2 a b', 'ZRANGE d 0 -1 WITHSCORES'],
  zunion: [
    'ZADD a 1 x 0.5 z',
    'ZADD b 2 x 3 y',
    'ZUNION 2 a b',
    'ZUNION 2 a b WITHSCORES',
    'ZUNION 2 a b AGGREGATE MAX WITHSCORES',
    'ZUNION 1 nokey WITHSCORES',
  ],
  zinter: ['ZADD a 1 x', 'ZADD b 2 x 3 y', 'ZINTER 2 a b WITHSCORES', 'ZINTER 2 a nokey WITHSCORES'],
  zdiff: ['ZADD a 1 x 2.5 y', 'ZADD b 2 x', 'ZDIFF 2 a b WITHSCORES', 'ZDIFF 2 a b', 'ZDIFF 1 nokey WITHSCORES'],
  zintercard: ['ZADD a 1 x 2 y', 'ZADD b 2 x', 'ZINTERCARD 2 a b', 'ZINTERCARD 2 a b LIMIT 1'],
  // -- geo: coordinates are RESP3 doubles, distances bulk strings ----------
  geoadd: ['GEOADD g 13.361389 38.115556 Palermo', 'GEOADD g CH 13.5 38 Palermo', 'GEOADD g 200 0 x', 'GEOADD g 1'],
  geodist: [
    'GEOADD g 13.361389 38.115556 Palermo 15.087269 37.502669 Catania',
    'GEODIST g Palermo Catania km',
    'GEODIST g Palermo nomember',
    'GEODIST nokey a b',
  ],
  geohash: ['GEOADD g 13.361389 38.115556 Palermo', 'GEOHASH g Palermo nomember', 'GEOHASH nokey a'],
  geopos: ['GEOADD g 13.361389 38.115556 Palermo', 'GEOPOS g Palermo nomember', 'GEOPOS nokey a'],
  geosearch: [
    'GEOADD g 13.361389 38.115556 Palermo 15.087269 37.502669 Catania',
    'GEOSEARCH g FROMLONLAT 15 37 BYRADIUS 200 km ASC WITHCOORD WITHDIST WITHHASH',
    'GEOSEARCH g FROMMEMBER Palermo BYBOX 400 400 km DESC COUNT 1',
    'GEOSEARCH nokey FROMLONLAT 15 37 BYRADIUS 200 km',
  ],
  geosearchstore: [
    'GEOADD g 13.361389 38.115556 Palermo 15.087269 37.502669 Catania',
    'GEOSEARCHSTORE d g FROMLONLAT 15 37 BYRADIUS 200 km STOREDIST',
    'ZRANGE d 0 -1 WITHSCORES',
    'GEOSEARCHSTORE d nokey FROMLONLAT 15 37 BYRADIUS 200 km',
  ],
  georadius: [
    'GEOADD g 13.361389 38.115556 Palermo 15.087269 37.502669 Catania',
    'GEORADIUS g 15 37 200 km WITHCOORD WITHDIST ASC',
    'GEORADIUS g 15 37 200 km STORE d',
    'ZRANGE d 0 -1 WITHSCORES',
  ],
  georadius_ro: [
    'GEOADD g 13.361389 38.115556 Palermo 15.087269 37.502669 Catania',
    'GEORADIUS_RO g 15 37 200 km WITHCOORD WITHHASH',
    'GEORADIUS_RO g 15 37 200 km STORE d',
  ],
  xadd: ['XADD s 1-1 f v', '^XADD s * a b', 'XADD s 1-1 f v', 'XADD s NOMKSTREAM x', 'XADD nokey NOMKSTREAM * f v'],
  xlen: ['XADD s 1 f v', 'XLEN s', 'XLEN nokey'],
  xrange: ['XADD s 1 f v', 'XADD s 2 g w', 'XRANGE s - +', 'XRANGE s (1 + COUNT 1', 'XRANGE s - + COUNT 0'],
  xrevrange: ['XADD s 1 f v', 'XADD s 2 g w', 'XREVRANGE s + -', 'XREVRANGE nokey + -'],
  xdel: ['XADD s 1 f v', 'XDEL s 1 2', 'XDEL s x'],
  xtrim: ['XADD s 1 f v', 'XADD s 2 f v', 'XTRIM s MAXLEN 1', 'XTRIM s MINID ~ 5', 'XTRIM s'],
  xsetid: ['XADD s 5 f v', 'XSETID s 7 ENTRIESADDED 3 MAXDELETEDID 6', 'XSETID s 1', 'XSETID nokey 1'],
  xread: ['XADD s 1 f v', 'XREAD STREAMS s nokey 0 0', 'XREAD COUNT 1 BLOCK 1 STREAMS s $', 'XREAD STREAMS s'],
  xinfo: ['XINFO', 'XINFO FOO'],
  'xinfo|stream': ['XADD s 1 f v', 'XINFO STREAM s', 'XINFO STREAM s FULL', 'XINFO STREAM nokey'],
  xgroup: ['XGROUP', 'XGROUP FOO'],
  'xgroup|create': [
    'XGROUP CREATE s g $',
    'XGROUP CREATE s g $ MKSTREAM',
    'XGROUP CREATE s g $ MKSTREAM',
    'XGROUP CREATE s h 0 ENTRIESREAD -2',
  ],
  'xgroup|setid': ['XADD s 1 f v', 'XGROUP CREATE s g 0', 'XGROUP SETID s g $ ENTRIESREAD 1', 'XGROUP SETID s x 0'],
  'xgroup|destroy': ['XGROUP CREATE s g $ MKSTREAM', 'XGROUP DESTROY s g', 'XGROUP DESTROY s g'],
  'xgroup|createconsumer': [
    'XGROUP CREATE s g $ MKSTREAM',
    'XGROUP CREATECONSUMER s g c',
    'XGROUP CREATECONSUMER s g c',
    'XGROUP CREATECONSUMER s x c',
  ],
  'xgroup|delconsumer': ['XGROUP CREATE s g $ MKSTREAM', 'XGROUP CREATECONSUMER s g c', 'XGROUP DELCONSUMER s g c'],
  'xgroup|help': ['XGROUP HELP', 'XGROUP HELP x'],
  xreadgroup: [
    'XADD s 1 f v',
    'XGROUP CREATE s g 0',
    'XREADGROUP GROUP g c STREAMS s >',
    'XREADGROUP GROUP g c STREAMS s 0',
    'XREADGROUP GROUP g c COUNT 1 BLOCK 1 STREAMS s >',
    'XREADGROUP GROUP x c STREAMS s >',
  ],
  xack: ['XADD s 1 f v', 'XGROUP CREATE s g 0', 'XREADGROUP GROUP g c STREAMS s >', 'XACK s g 1 2', 'XACK s g x'],
  xpending: [
    'XADD s 1 f v',
    'XGROUP CREATE s g 0',
    'XPENDING s g',
    'XREADGROUP GROUP g c STREAMS s >',
    'XPENDING s g',
    '^XPENDING s g - + 10',
    'XPENDING s x',
  ],
  xclaim: [
    'XADD s 1 f v',
    'XGROUP CREATE s g 0',
    'XREADGROUP GROUP g c STREAMS s >',
    'XCLAIM s g d 0 1',
    'XCLAIM s g d 0 1 JUSTID',
    'XCLAIM s g d x 1',
    'XCLAIM s x d 0 1',
  ],
  xautoclaim: [
    'XADD s 1 f v',
    'XGROUP CREATE s g 0',
    'XREADGROUP GROUP g c STREAMS s >',
    'XAUTOCLAIM s g d 0 - COUNT 1',
    'XAUTOCLAIM s g d 0 - JUSTID',
    'XAUTOCLAIM s g d 0 - COUNT 0',
  ],
  'xinfo|groups': [
    'XADD s 1 f v',
    'XGROUP CREATE s g 0',
    'XINFO GROUPS s',
    'XREADGROUP GROUP g c STREAMS s >',
    'XINFO GROUPS s',
    'XINFO GROUPS nokey',
  ],
  'xinfo|consumers': [
    'XGROUP CREATE s g $ MKSTREAM',
    'XINFO CONSUMERS s g',
    'XINFO CONSUMERS s x',
    'XINFO CONSUMERS nokey g',
  ],
  'xinfo|help': ['XINFO HELP', 'XINFO HELP x'],
  georadiusbymember: [
    'GEOADD g 13.361389 38.115556 Palermo 15.087269 37.502669 Catania',
    'GEORADIUSBYMEMBER g Palermo 200 km WITHDIST WITHCOORD',
    'GEORADIUSBYMEMBER g Palermo 200 km STOREDIST d',
    'ZRANGE d 0 -1 WITHSCORES',
  ],
  georadiusbymember_ro: [
    'GEOADD g 13.361389 38.115556 Palermo 15.087269 37.502669 Catania',
    'GEORADIUSBYMEMBER_RO g Palermo 200 km WITHCOORD COUNT 1',
    'GEORADIUSBYMEMBER_RO nokey Palermo 200 km',
  ],
  // -- transactions ----------------------------------------------------------
  multi: ['MULTI', 'MULTI', 'DISCARD'],
  exec: [
    'EXEC',
    'MULTI',
    'SET k 1',
    'ZADD z 1.5 a',
    'ZSCORE z a',
    'HGETALL nokey',
    'EXEC',
    'WATCH k',
    'SET k 2',
    'MULTI',
    'GET k',
    'EXEC',
  ],
  discard: ['DISCARD', 'MULTI', 'DISCARD', 'DISCARD'],
  watch: ['WATCH a b', 'MULTI', 'WATCH a', 'DISCARD'],
  unwatch: ['UNWATCH', 'WATCH a', 'UNWATCH'],
  reset: () => freshPair((a, b) => sameReplies(a, b, ['SELECT 1', 'RESET', 'ZADD z 1.5 a', 'ZSCORE z a'], NORMALIZE)),
  // -- pub/sub: one channel per SUBSCRIBE, one reply per call ----------------
  subscribe: () =>
    freshPair((a, b) => sameReplies(a, b, ['SUBSCRIBE ch', 'SUBSCRIBE ch2', 'PING', 'GET k', 'SUBSCRIBE'], NORMALIZE)),
  unsubscribe: () =>
    freshPair((a, b) =>
      sameReplies(a, b, ['UNSUBSCRIBE', 'SUBSCRIBE ch', 'UNSUBSCRIBE ch', 'UNSUBSCRIBE ch'], NORMALIZE),
    ),
  psubscribe: () => freshPair((a, b) => sameReplies(a, b, ['PSUBSCRIBE h*', 'PSUBSCRIBE h*', 'PSUBSCRIBE'], NORMALIZE)),
  punsubscribe: () =>
    freshPair((a, b) => sameReplies(a, b, ['PUNSUBSCRIBE', 'PSUBSCRIBE h*', 'PUNSUBSCRIBE h*'], NORMALIZE)),
  publish: ['PUBLISH nobody hi', 'PUBLISH x'],
  ssubscribe: () => freshPair((a, b) => sameReplies(a, b, ['SSUBSCRIBE s1', 'SSUBSCRIBE s1', 'SSUBSCRIBE'], NORMALIZE)),
  sunsubscribe: () =>
    freshPair((a, b) => sameReplies(a, b, ['SUNSUBSCRIBE', 'SSUBSCRIBE s1', 'SUNSUBSCRIBE s1'], NORMALIZE)),
  spublish: ['SPUBLISH nobody hi', 'SPUBLISH x'],
  pubsub: ['PUBSUB', 'PUBSUB FOO'],
  'pubsub|channels': ['PUBSUB CHANNELS', 'PUBSUB CHANNELS a*', 'PUBSUB CHANNELS a b'],
  'pubsub|numsub': ['PUBSUB NUMSUB', 'PUBSUB NUMSUB a b'],
  'pubsub|numpat': ['PUBSUB NUMPAT', 'PUBSUB NUMPAT x'],
  'pubsub|shardchannels': ['PUBSUB SHARDCHANNELS', 'PUBSUB SHARDCHANNELS s*'],
  'pubsub|shardnumsub': ['PUBSUB SHARDNUMSUB', 'PUBSUB SHARDNUMSUB s1'],
  'pubsub|help': ['?PUBSUB HELP', 'PUBSUB HELP x'],
};

/** Every name in the command table: COMMAND LIST, and each container's subcommands from COMMAND INFO. */
async function tableNames(): Promise<string[]> {
  const c = await RawClient.connect(pair.fc.port);
  try {
    // COMMAND LIST names subcommands too; they are taken from their container's COMMAND INFO.
    const names = ((await callParsed(c, 'COMMAND', 'LIST')) as string[]).filter((n) => !n.includes('|'));
    const all: string[] = [];
    for (const name of names) {
      const [info] = (await callParsed(c, 'COMMAND', 'INFO', name)) as Value[][];
      all.push(name, ...(info![9] as Value[][]).map((sub) => sub[0] as string));
    }
    return all;
  } finally {
    c.close();
  }
}

test('every command in the table has a RESP3 case, and every case names a command in the table', async () => {
  const names = await tableNames();
  assert.ok(names.length > 150, `${names.length} commands in the table`);
  assert.deepEqual(Object.keys(CASES).sort(), [...names].sort());
});

for (const [name, c] of Object.entries(CASES)) {
  test(`RESP3: ${name}`, async () => {
    await resp3();
    if (typeof c === 'function') {
      await Promise.all([pair.a.call('FLUSHALL'), pair.b.call('FLUSHALL')]);
      return c(pair.a, pair.b);
    }
    await sameReplies(pair.a, pair.b, c, NORMALIZE);
  });
}

test('RESP3: COMMAND INFO of every command in the table, sets and maps included', async () => {
  await resp3();
  // Redis 7.2's commands: redis-server 7.0.15 has no COMMAND INFO for them.
  const names = (await tableNames()).filter((n) => n !== 'client|setinfo' && n !== 'waitaof');
  for (const name of names) {
    const [ra, rb] = await Promise.all([pair.a.call('COMMAND', 'INFO', name), pair.b.call('COMMAND', 'INFO', name)]);
    assert.equal(commandInfo(ra!), commandInfo(rb!), `COMMAND INFO ${name}`);
  }
});

test('redis-cli -3 prints FlashCache replies as it prints redis-server 7.0 replies', async () => {
  const script = [
    'HSET h a 1 b 2',
    'HGETALL h',
    'ZADD z 1.5 a 2 b',
    'ZSCORE z a',
    'ZRANGE z 0 -1 WITHSCORES',
    'ZINCRBY z 1 a',
    'SADD s x',
    'SMEMBERS s',
    'GET nokey',
    'CONFIG GET maxmemory',
    'HRANDFIELD h 5 WITHVALUES',
    'ZPOPMIN z 1',
  ];
  await resp3();
  await Promise.all([pair.a.call('FLUSHALL'), pair.b.call('FLUSHALL')]);
  for (const line of script) {
    const args = ['-3', '--no-raw', ...line.split(' ')];
    const [mine, ref] = await Promise.all([redisCli(pair.fc.port, args), redisCli(pair.redis.port, args)]);
    assert.equal(mine.stderr, '', line);
    assert.equal(mine.stdout, ref.stdout, `redis-cli -3 ${line}`);
  }
  // The same commands in one interactive session, which sends HELLO 3 once.
  await Promise.all([pair.a.call('FLUSHALL'), pair.b.call('FLUSHALL')]);
  const input = script.filter((l) => !l.startsWith('HRANDFIELD')).join('\n') + '\n';
  const [mine, ref] = await Promise.all([
    redisCli(pair.fc.port, ['-3', '--no-raw'], input),
    redisCli(pair.redis.port, ['-3', '--no-raw'], input),
  ]);
  assert.equal(mine.stdout, ref.stdout);
  assert.match(mine.stdout, /\(double\) 1\.5/);
});
