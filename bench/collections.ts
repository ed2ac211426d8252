/**
 * What a snapshot costs when one large collection changed by one element,
 * against Redis's SAVE of the same dataset (which always writes everything).
 *
 *   node dist/bench/collections.js --elements 100000,1000000
 *
 * For each type and size: load one key of that many elements (100-byte list
 * elements and hash values, 16-byte members) through `redis-cli --pipe` into
 * FlashCache and redis-server, SAVE both (full), change one element, SAVE
 * both again, and report FlashCache's snapshot duration and bytes written
 * (INFO persistence) and the longest event-loop stall during each snapshot
 * (INFO stats `eventloop_stall_max_ms`, reset before it) next to the wall
 * time of Redis's SAVE.
 */
import { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import {
  bulk,
  command,
  infoField,
  pipeCommands,
  removeDir,
  respCommand,
  startTarget,
  stopTarget,
  type Target,
} from './lib.js';

const o = new Command('bench-collections')
  .option('--elements <list>', 'elements in the collection', '100000,1000000')
  .option('--types <list>', 'hash, list, set, zset', 'hash,list,set,zset')
  .option('--out <file>', 'also write the Markdown table here')
  .parse()
  .opts<Record<string, string>>();

const VALUE = 'v'.repeat(100);
const member = (i: number): string => `m:${String(i).padStart(14, '0')}`;

/** Commands adding `n` elements to key `big`, 1000 per command. */
function loader(type: string, n: number): () => Buffer | null {
  let i = 0;
  return () => {
    if (i >= n) return null;
    const args: string[] = [];
    const end = Math.min(n, i + 1000);
    if (type === 'hash') for (args.push('HSET', 'big'); i < end; i++) args.push(member(i), VALUE);
    else if (type === 'list') for (args.push('RPUSH', 'big'); i < end; i++) args.push(VALUE);
    else if (type === 'set') for (args.push('SADD', 'big'); i < end; i++) args.push(member(i));
    else for (args.push('ZADD', 'big'); i < end; i++) args.push(String(i), member(i));
    return respCommand(args);
  };
}

const CHANGE: Record<string, string> = {
  hash: `HSET big ${member(0)} changed`,
  list: 'LSET big 0 changed',
  set: 'SADD big changed',
  zset: `ZADD big -1 ${member(0)}`,
};

/** FlashCache: SAVE and the snapshot's figures, with the longest event-loop stall during it. */
async function flashSave(t: Target): Promise<{ ms: number; bytes: number; stall: number }> {
  await command(t.port, 'CONFIG RESETSTAT');
  const before = Number(infoField(await bulk(t.port, 'INFO persistence'), 'snapshots_completed'));
  await command(t.port, 'SAVE');
  const info = await bulk(t.port, 'INFO persistence');
  if (Number(infoField(info, 'snapshots_completed')) <= before) throw new Error('SAVE did not complete a snapshot');
  return {
    ms: Number(infoField(info, 'snapshot_last_duration_ms')),
    bytes: Number(infoField(info, 'snapshot_last_bytes_written')),
    stall: Number(infoField(await bulk(t.port, 'INFO stats'), 'eventloop_stall_max_ms')),
  };
}

/** Redis: wall time of SAVE, and the RDB size. */
async function redisSave(t: Target): Promise<{ ms: number; bytes: number }> {
  const t0 = performance.now();
  await command(t.port, 'SAVE');
  const ms = performance.now() - t0;
  const { statSync } = await import('node:fs');
  return { ms, bytes: statSync(`${t.dir}/dump.rdb`).size };
}

const mib = (b: number): string => (b / 2 ** 20).toFixed(1);
const rows = [
  '| type | elements | FlashCache full snapshot ms / MiB | after 1 change ms / MiB | Redis SAVE ms / MiB | after 1 change ms | ratio after 1 change (FlashCache/Redis time) | FlashCache max stall full / after 1 change ms |',
  '|---|---|---|---|---|---|---|---|',
];
for (const type of o['types']!.split(',')) {
  for (const n of o['elements']!.split(',').map(Number)) {
    const fc = await startTarget('flashcache', [
      '--appendfsync',
      'everysec',
      '--snapshot-interval',
      '0',
      '--snapshot-wal-bytes',
      '0',
    ]);
    const rd = await startTarget('redis', ['--save', '', '--appendonly', 'no']);
    try {
      await Promise.all([pipeCommands(fc.port, loader(type, n)), pipeCommands(rd.port, loader(type, n))]);
      const f1 = await flashSave(fc);
      const r1 = await redisSave(rd);
      await command(fc.port, CHANGE[type]!);
      await command(rd.port, CHANGE[type]!);
      const f2 = await flashSave(fc);
      const r2 = await redisSave(rd);
      rows.push(
        `| ${type} | ${n} | ${f1.ms.toFixed(0)} / ${mib(f1.bytes)} | ${f2.ms.toFixed(0)} / ${mib(f2.bytes)} | ${r1.ms.toFixed(0)} / ${mib(r1.bytes)} | ${r2.ms.toFixed(0)} | ${(f2.ms / r2.ms).toFixed(2)}x | ${f1.stall} / ${f2.stall} |`,
      );
      process.stderr.write(rows[rows.length - 1] + '\n');
    } finally {
      await Promise.all([stopTarget(fc, 'kill'), stopTarget(rd, 'kill')]);
      removeDir(fc);
      removeDir(rd);
    }
  }
}
const table = [
  `Machine: ${cpus().length} cores, Node ${process.version}. Command: node dist/bench/collections.js --elements ${o['elements']} --types ${o['types']}`,
  '',
  ...rows,
].join('\n');
process.stdout.write(table + '\n');
if (o['out']) writeFileSync(o['out'], table + '\n');
