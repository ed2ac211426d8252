/**
 * MEMORY USAGE | STATS | DOCTOR | MALLOC-STATS | PURGE | HELP, with Redis
 * 7.0's reply shapes (object.c `memoryCommand`) and figures from what
 * FlashCache accounts: arena entries, the collections' heap estimates and
 * the index arrays (INFO `used_memory`, docs/ARCHITECTURE.md "Eviction"),
 * the V8 heap and the process's RSS.
 *
 * Reference: https://redis.io/docs/latest/commands/memory-usage/
 */
import { getHeapStatistics } from 'node:v8';
import { EntryType } from '../store/arena.js';
import type { CommandContext, CommandSpec } from './context.js';
import { formatDouble } from './numbers.js';
import { command, container, keyAt } from './table.js';
import { ERR, isWord, parseLong, replyHelp } from './util.js';

/**
 * MEMORY USAGE key [SAMPLES count]: the bytes of the key's arena entry
 * (header, key, value or collection image), its collection's heap estimate,
 * and its share of the index arrays; null when the key does not exist.
 * Collections keep a running estimate of their size, so SAMPLES is read
 * and checked as Redis checks it but nothing is sampled.
 */
function memoryUsage(c: CommandContext, argv: Buffer[]): void {
  for (let j = 3; j < argv.length; j += 2) {
    if (isWord(argv[j]!, 'SAMPLES') && j + 1 < argv.length) {
      const n = parseLong(argv[j + 1]!);
      if (n === null) return c.reply.error(ERR.notInteger);
      if (n < 0) return c.reply.error(ERR.syntax);
    } else {
      return c.reply.error(ERR.syntax);
    }
  }
  const db = c.db;
  const slot = db.peek(argv[2]!);
  if (slot < 0) return c.reply.nullBulk();
  let bytes = db.entryBytes(slot);
  if (db.type(slot) !== EntryType.String) bytes += db.collection(slot).bytes;
  if (db.size > 0) bytes += Math.round(db.indexBytes / db.size);
  c.reply.int(bytes);
}

/** What MEMORY STATS and DOCTOR read. */
interface MemoryFacts {
  used: number;
  peak: number;
  rss: number;
  heapUsed: number;
  heapTotal: number;
  arenaAllocated: number;
  arenaLive: number;
  collections: number;
  index: number;
  clientsNormal: number;
  clients: number;
  keys: number;
}

function memoryFacts(c: CommandContext): MemoryFacts {
  const ks = c.server.keyspace;
  const mu = process.memoryUsage();
  let index = 0;
  for (const db of ks.dbs) index += db.indexBytes;
  let clientsNormal = 0;
  for (const s of c.server.clients.values()) clientsNormal += s.outputBytes + s.queryBufferBytes;
  const used = ks.dataBytes;
  return {
    used,
    peak: Math.max(c.server.usedMemoryPeak, used),
    rss: mu.rss,
    heapUsed: mu.heapUsed,
    heapTotal: mu.heapTotal,
    arenaAllocated: ks.arena.allocatedBytes,
    arenaLive: ks.arena.liveBytes,
    collections: ks.collections.bytes,
    index,
    clientsNormal,
    clients: c.server.clients.size,
    keys: ks.keyCount,
  };
}

/** Ratio of two byte counts; 0 when the divisor is 0. */
function ratio(a: number, b: number): number {
  return b > 0 ? a / b : 0;
}

/**
 * MEMORY STATS: Redis's map, field for field, where `allocated` is
 * `used_memory` (the data), the allocator is the arena (allocated pages,
 * live entries) and the process is V8's heap and the RSS. Replication,
 * cluster, AOF and script buffers do not exist here: 0.
 */
function memoryStats(c: CommandContext): void {
  const m = memoryFacts(c);
  const dataset = m.arenaLive + m.collections;
  const overhead = m.index + m.clientsNormal;
  const fields: [string, number | 'double', number?][] = [
    ['peak.allocated', m.peak],
    ['total.allocated', m.used],
    ['startup.allocated', 0],
    ['replication.backlog', 0],
    ['clients.slaves', 0],
    ['clients.normal', m.clientsNormal],
    ['cluster.links', 0],
    ['aof.buffer', 0],
    ['lua.caches', 0],
    ['functions.caches', 0],
  ];
  const tail: [string, number, boolean][] = [
    ['overhead.total', overhead, false],
    ['keys.count', m.keys, false],
    ['keys.bytes-per-key', m.keys > 0 ? Math.floor(m.used / m.keys) : 0, false],
    ['dataset.bytes', dataset, false],
    ['dataset.percentage', ratio(dataset, m.used) * 100, true],
    ['peak.percentage', ratio(m.used, m.peak) * 100, true],
    ['allocator.allocated', m.arenaLive, false],
    ['allocator.active', m.arenaAllocated, false],
    ['allocator.resident', m.arenaAllocated, false],
    ['allocator-fragmentation.ratio', ratio(m.arenaAllocated, m.arenaLive), true],
    ['allocator-fragmentation.bytes', m.arenaAllocated - m.arenaLive, false],
    ['allocator-rss.ratio', 1, true],
    ['allocator-rss.bytes', 0, false],
    ['rss-overhead.ratio', ratio(m.rss, m.arenaAllocated + m.heapTotal), true],
    ['rss-overhead.bytes', m.rss - m.arenaAllocated - m.heapTotal, false],
    ['fragmentation', ratio(m.rss, m.used), true],
    ['fragmentation.bytes', m.rss - m.used, false],
  ];
  const dbs = c.server.keyspace.dbs.filter((db) => db.size > 0);
  const r = c.reply;
  r.mapLen(fields.length + dbs.length + tail.length);
  for (const [name, v] of fields) {
    r.bulkString(name);
    r.int(v as number);
  }
  for (const db of dbs) {
    r.bulkString(`db.${db.id}`);
    r.mapLen(3);
    r.bulkString('overhead.hashtable.main');
    r.int(db.indexBytes);
    r.bulkString('overhead.hashtable.expires');
    r.int(0);
    r.bulkString('overhead.hashtable.slot-to-keys');
    r.int(0);
  }
  for (const [name, v, isDouble] of tail) {
    r.bulkString(name);
    if (isDouble) r.double(formatDouble(Math.fround(v)));
    else r.int(Math.round(v));
  }
}

/** MEMORY DOCTOR: Redis's report (object.c `getMemoryDoctorReport`) over the figures above. */
function memoryDoctor(c: CommandContext): void {
  const m = memoryFacts(c);
  const issues: string[] = [];
  let empty = false;
  if (m.used < 5 * 1024 * 1024) empty = true;
  else {
    if (m.peak / m.used > 1.5) {
      issues.push(
        ' * Peak memory: In the past this instance used more than 150% the memory that is currently using. ' +
          'The memory freed since is garbage in arena pages until compaction returns it; MEMORY PURGE compacts ' +
          'every page now.\n\n',
      );
    }
    if (ratio(m.rss, m.used) > 1.4 && m.rss - m.used > 10 << 20) {
      issues.push(
        ' * High total RSS: This instance has a memory fragmentation and RSS overhead greater than 1.4 (this ' +
          'means that the Resident Set Size of the process is much larger than the data it holds). Part of it is ' +
          "the JavaScript runtime's own heap and code; a large peak memory or garbage left in arena pages adds to " +
          'it.\n\n',
      );
    }
    if (ratio(m.arenaAllocated, m.arenaLive) > 1.1 && m.arenaAllocated - m.arenaLive > 10 << 20) {
      issues.push(
        ' * High allocator fragmentation: the arena pages hold more than 10% garbage left by overwrites and ' +
          'deletions. The server cron compacts pages that fall under half live; MEMORY PURGE compacts every ' +
          'page now.\n\n',
      );
    }
    if (m.clients > 0 && m.clientsNormal / m.clients > 1024 * 200) {
      issues.push(
        ' * Big client buffers: The clients output buffers in this instance are greater than 200K per client ' +
          '(on average). This may result from different causes, like Pub/Sub clients subscribed to channels bot ' +
          'not receiving data fast enough, so that data piles on the Redis instance output buffer, or clients ' +
          'sending commands with large replies or very large sequences of commands in the same pipeline. Please ' +
          'use the CLIENT LIST command in order to investigate the issue if it causes problems in your instance, ' +
          'or to understand better why certain clients are using a big amount of memory.\n\n',
      );
    }
  }
  let text: string;
  if (empty) {
    text =
      "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in " +
      'these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I ' +
      'will be back to our programming as soon as I finished rebooting.\n';
  } else if (issues.length === 0) {
    text = "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n";
  } else {
    text =
      'Sam, I detected a few issues in this Redis instance memory implants:\n\n' +
      issues.join('') +
      "I'm here to keep you safe, Sam. I want to help you.\n";
  }
  c.reply.verbatim(text);
}

/** MEMORY MALLOC-STATS: the arena's pages and V8's heap spaces, in place of jemalloc's report. */
function memoryMallocStats(c: CommandContext): void {
  const ks = c.server.keyspace;
  const arena = ks.arena;
  const h = getHeapStatistics();
  const mu = process.memoryUsage();
  const lines = [
    '___ Begin FlashCache memory statistics ___',
    `arena.pages: ${arena.pageCount}`,
    `arena.allocated: ${arena.allocatedBytes}`,
    `arena.live: ${arena.liveBytes}`,
    `arena.garbage: ${arena.garbageBytes}`,
    `collections.heap_estimate: ${ks.collections.bytes}`,
    `v8.total_heap_size: ${h.total_heap_size}`,
    `v8.used_heap_size: ${h.used_heap_size}`,
    `v8.heap_size_limit: ${h.heap_size_limit}`,
    `v8.external_memory: ${mu.external}`,
    `v8.array_buffers: ${mu.arrayBuffers}`,
    `process.rss: ${mu.rss}`,
    '--- End FlashCache memory statistics ---',
  ];
  c.reply.verbatim(`${lines.join('\n')}\n`);
}

/** MEMORY PURGE: compacts every arena page holding garbage, returning it (Redis asks jemalloc to purge). */
function memoryPurge(c: CommandContext): void {
  const ks = c.server.keyspace;
  for (let rounds = 0; rounds < 4 && ks.compact(Number.POSITIVE_INFINITY) > 0; rounds++);
  c.reply.ok();
}

function memoryHelp(c: CommandContext): void {
  replyHelp(c, 'MEMORY', [
    'DOCTOR',
    '    Return memory problems reports.',
    'MALLOC-STATS',
    '    Return internal statistics report from the memory allocator.',
    'PURGE',
    '    Attempt to purge dirty pages for reclamation by the allocator.',
    'STATS',
    '    Return information about the memory usage of the server.',
    'USAGE <key> [SAMPLES <count>]',
    '    Return memory in bytes used by <key> and its value. Nested values are',
    '    sampled up to <count> times (default: 5, 0 means sample all).',
  ]);
}

const sub = (
  name: string,
  arity: number,
  flags: CommandSpec['flags'],
  complexity: string,
  summary: string,
  handler: CommandSpec['handler'],
  keys?: CommandSpec['keys'],
): CommandSpec =>
  command({
    name: `memory|${name}`,
    arity,
    flags,
    keys,
    group: 'server',
    since: '4.0.0',
    complexity,
    summary,
    handler,
  });

const MAYBE_SLOW = 'Depends on how much memory is allocated, could be slow';

/** The MEMORY container's table entry. */
export const memoryCommands: CommandSpec[] = [
  container('memory', 'server', '4.0.0', 'A container for memory diagnostics commands', [
    sub('purge', 2, [], MAYBE_SLOW, 'Ask the allocator to release memory', memoryPurge),
    sub('malloc-stats', 2, [], MAYBE_SLOW, 'Show allocator internal stats', memoryMallocStats),
    sub('doctor', 2, [], 'O(1)', 'Outputs memory problems report', memoryDoctor),
    sub(
      'usage',
      -3,
      ['readonly'],
      'O(N) where N is the number of samples.',
      'Estimate the memory usage of a key',
      memoryUsage,
      [keyAt(2, ['RO'])],
    ),
    sub('help', 2, ['loading', 'stale'], 'O(1)', 'Show helpful text about the different subcommands', memoryHelp),
    sub('stats', 2, [], 'O(1)', 'Show memory usage details', memoryStats),
  ]),
];
