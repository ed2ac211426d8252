/**
 * Throughput of the bitmap, HyperLogLog, geo and stream commands against
 * redis-server in the same run, and the memory each HyperLogLog, geo member
 * and stream entry takes on either server:
 *
 *   npm run bench:types -- --fsync always --runs 3 --out bench/RESULTS.md
 *
 * Throughput: `redis-benchmark -c 50 -n <requests> -r 100000 -P {1|16} --csv
 * <command>` with the commands below (`__rand_int__` is redis-benchmark's
 * random 12-digit number below -r), alternating the servers A B A B with a
 * fresh server and data directory per run, medians of the runs and the
 * FlashCache/Redis ratio. Each read runs right after the write that fills
 * its key, on the same server:
 * - setbit: `SETBIT bits:__rand_int__ 1000 1` (up to 100,000 bitmaps of 126
 *   bytes; an offset cannot be random, as SETBIT refuses the leading zeros of
 *   `__rand_int__` on either server), then bitcount: `BITCOUNT bits:__rand_int__`;
 * - pfadd: `PFADD hll __rand_int__` (one HyperLogLog, sparse then dense), then
 *   pfcount: `PFCOUNT hll`;
 * - geoadd: `GEOADD points 1.__rand_int__ 45.__rand_int__ __rand_int__` (the
 *   12-digit fractions put new members within 0.0000001 degree of 1, 45),
 *   after 100,000 members spread evenly over longitude 1-2 and latitude 45-46
 *   were loaded with redis-cli --pipe, then geosearch: `GEOSEARCH points
 *   FROMLONLAT 1.5 45.5 BYRADIUS 2 km ASC COUNT 10` (about 140 of the loaded
 *   members within the radius, the 10 nearest returned).
 *
 * - xadd: `XADD events * field __rand_int__` (a consumer group `g` created
 *   first), then xreadgroup: `XREADGROUP GROUP g c COUNT 1 STREAMS events >`
 *   (each call delivers the next new entry and adds it to the pending list).
 *
 * Memory (`--memory`, on by default): INFO `used_memory` before and after
 * `--hlls` HyperLogLogs of 100 elements each (sparse) and as many of 5,000
 * elements (dense, 12 KiB each in Redis), 100,000 geo members in one sorted
 * set, and 100,000 stream entries (`XADD stream * field <12 digits>`) in
 * one stream, loaded with `redis-cli --pipe`; bytes per HyperLogLog, per
 * member and per entry on each server.
 *
 * Persistence (`--fsync`): FlashCache `--appendfsync always|everysec|no`
 * (`none` runs as `no`); redis-server `--appendonly yes --appendfsync
 * <mode>` or `--appendonly no`, always `--save ""`.
 */
import { execFile } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { Command } from 'commander';
import {
  bulk,
  ensureRedisTools,
  environment,
  environmentLine,
  fsyncModes,
  infoField,
  listOption,
  median,
  pipeCommands,
  rateSpread,
  removeDir,
  respCommand,
  startTarget,
  stopTarget,
  type Fsync,
  type Target,
} from './lib.js';

/** A write benchmark and the read that follows it on the same server. */
interface Pair {
  write: { name: string; command: string[] };
  read: { name: string; command: string[] };
  /** Commands loaded with redis-cli --pipe before the write runs. */
  preload?: () => Iterable<string[]>;
}

/** 100,000 geo members spread evenly over longitude 1-2 and latitude 45-46, 100 per GEOADD. */
function* geoPoints(): Iterable<string[]> {
  for (let i = 0; i < 100_000; i += 100) {
    const args = ['GEOADD', 'points'];
    for (let j = i; j < i + 100; j++)
      args.push(String(1 + (j % 316) / 316), String(45 + Math.floor(j / 316) / 316), `p${j}`);
    yield args;
  }
}

const PAIRS: Record<string, Pair> = {
  bitmap: {
    write: { name: 'setbit', command: ['SETBIT', 'bits:__rand_int__', '1000', '1'] },
    read: { name: 'bitcount', command: ['BITCOUNT', 'bits:__rand_int__'] },
  },
  hll: {
    write: { name: 'pfadd', command: ['PFADD', 'hll', '__rand_int__'] },
    read: { name: 'pfcount', command: ['PFCOUNT', 'hll'] },
  },
  geo: {
    write: { name: 'geoadd', command: ['GEOADD', 'points', '1.__rand_int__', '45.__rand_int__', '__rand_int__'] },
    read: {
      name: 'geosearch',
      command: ['GEOSEARCH', 'points', 'FROMLONLAT', '1.5', '45.5', 'BYRADIUS', '2', 'km', 'ASC', 'COUNT', '10'],
    },
    preload: geoPoints,
  },
  stream: {
    write: { name: 'xadd', command: ['XADD', 'events', '*', 'field', '__rand_int__'] },
    // Each call takes the next entry no consumer of the group has seen, and adds it to the pending list.
    read: { name: 'xreadgroup', command: ['XREADGROUP', 'GROUP', 'g', 'c', 'COUNT', '1', 'STREAMS', 'events', '>'] },
    preload: function* () {
      yield ['XGROUP', 'CREATE', 'events', 'g', '$', 'MKSTREAM'];
    },
  },
};

const o = new Command('bench-types')
  .option('--types <list>', `command pairs: ${Object.keys(PAIRS).join(', ')}`, Object.keys(PAIRS).join(','))
  .option('--fsync <list>', 'persistence modes: always, everysec, none', 'always')
  .option('--pipeline <list>', 'pipeline depths', '1,16')
  .option('--clients <n>', 'connections', '50')
  .option('--requests <n>', 'requests per run', '200000')
  .option('--runs <n>', 'runs per server and cell, alternating', '3')
  .option('--hlls <n>', 'HyperLogLogs of each size in the memory measure', '1000')
  .option('--no-memory', 'skip the memory measure')
  .option('--out <file>', 'append the Markdown section to this file')
  .parse()
  .opts<Record<string, string | boolean>>();

const runs = Number(o['runs']);
const pairs = listOption(String(o['types'])).map((t) => {
  const p = PAIRS[t];
  if (p === undefined) throw new Error(`unknown type ${t}`);
  return p;
});

/** Server arguments for a persistence mode. */
function serverArgs(name: Target['name'], fsync: Fsync): string[] {
  if (name === 'flashcache') return ['--appendfsync', fsync === 'none' ? 'no' : fsync];
  return [
    '--save',
    '',
    ...(fsync === 'none' ? ['--appendonly', 'no'] : ['--appendonly', 'yes', '--appendfsync', fsync]),
  ];
}

/** Requests per second of one redis-benchmark run of `command` (its --csv line). */
function benchmark(port: number, pipeline: number, command: string[]): Promise<number> {
  const argv = ['-p', String(port), '-c', String(o['clients']), '-n', String(o['requests'])];
  argv.push('-r', '100000', '-P', String(pipeline), '--csv', ...command);
  return new Promise((res, rej) => {
    execFile('redis-benchmark', argv, { maxBuffer: 1 << 24 }, (err, stdout, stderr) => {
      const line = stdout.trim().split('\n').at(-1) ?? '';
      const rps = Number(/^"[^"]*","([\d.]+)"/.exec(line)?.[1]);
      if (err !== null || !Number.isFinite(rps) || rps === 0) {
        rej(new Error(`redis-benchmark ${argv.join(' ')}: ${err?.message ?? ''} ${stderr} ${stdout.slice(-500)}`));
      } else res(rps);
    });
  });
}

/** Rates of one pair at one depth: `runs` rounds of both servers, the first of each round alternating. */
async function runPair(p: Pair, fsync: Fsync, pipeline: number): Promise<Record<string, number[]>> {
  const rates: Record<string, number[]> = {};
  for (const n of ['flashcache', 'redis']) {
    rates[`${n}:write`] = [];
    rates[`${n}:read`] = [];
  }
  for (let run = 0; run < runs; run++) {
    for (const name of run % 2 === 0 ? (['flashcache', 'redis'] as const) : (['redis', 'flashcache'] as const)) {
      const t = await startTarget(name, serverArgs(name, fsync));
      try {
        if (p.preload !== undefined) await pipe(t.port, p.preload());
        rates[`${name}:write`]!.push(await benchmark(t.port, pipeline, p.write.command));
        rates[`${name}:read`]!.push(await benchmark(t.port, pipeline, p.read.command));
      } finally {
        await stopTarget(t, 'kill');
        removeDir(t);
      }
    }
  }
  return rates;
}

/** Sends the commands `gen` yields through `redis-cli --pipe`. */
function pipe(port: number, gen: Iterable<string[]>): Promise<void> {
  const it = gen[Symbol.iterator]();
  return pipeCommands(port, () => {
    const r = it.next();
    return r.done === true ? null : respCommand(r.value);
  });
}

/** INFO used_memory, bytes. */
async function usedMemory(port: number): Promise<number> {
  return Number(infoField(await bulk(port, 'INFO memory'), 'used_memory'));
}

/** Bytes per item on one server: HyperLogLogs of 100 and 5,000 elements, geo members. */
async function memory(name: Target['name']): Promise<Record<string, number>> {
  const hlls = Number(o['hlls']);
  const t = await startTarget(name, serverArgs(name, 'none'));
  const out: Record<string, number> = {};
  try {
    const measure = async (label: string, count: number, gen: Iterable<string[]>): Promise<void> => {
      const before = await usedMemory(t.port);
      await pipe(t.port, gen);
      out[label] = ((await usedMemory(t.port)) - before) / count;
    };
    const hll = function* (prefix: string, elements: number): Iterable<string[]> {
      for (let k = 0; k < hlls; k++) {
        for (let e = 0; e < elements; e += 100) {
          const batch = Array.from({ length: Math.min(100, elements - e) }, (_, i) => `e${e + i}`);
          yield ['PFADD', `${prefix}:${k}`, ...batch];
        }
      }
    };
    await measure('hll-sparse', hlls, hll('sparse', 100));
    await measure('hll-dense', hlls, hll('dense', 5000));
    await measure('geo', 100_000, geoPoints());
    await measure(
      'stream',
      100_000,
      (function* () {
        for (let i = 0; i < 100_000; i++) yield ['XADD', 'stream', '*', 'field', String(i).padStart(12, '0')];
      })(),
    );
  } finally {
    await stopTarget(t, 'kill');
    removeDir(t);
  }
  return out;
}

async function main(): Promise<void> {
  ensureRedisTools();
  const env = environment();
  const lines = [
    `## Bitmaps, HyperLogLog, geo and streams against redis-server (${new Date().toISOString().slice(0, 10)})`,
    '',
    `\`node dist/bench/types.js ${process.argv.slice(2).join(' ')}\``.replace(/ `$/, '`'),
    '',
    `${environmentLine(env)}`,
    `Each cell: ${runs} runs per server, alternating (the server started first flips every run), a fresh server ` +
      'and data directory per run; k requests/s as median (min-max); ratio is FlashCache/Redis of the medians. ' +
      `\`redis-benchmark -c ${o['clients']} -n ${o['requests']} -r 100000 -P <depth> --csv <command>\`; ` +
      'each read runs after its write on the same server.',
    '',
  ];
  for (const fsync of fsyncModes(String(o['fsync']))) {
    lines.push(`### persistence ${fsync}`, '');
    lines.push('| command | -P | FlashCache k ops/s | Redis k ops/s | ratio |', '|---|---|---|---|---|');
    for (const p of pairs) {
      for (const pipeline of listOption(String(o['pipeline'])).map(Number)) {
        const r = await runPair(p, fsync, pipeline);
        for (const side of ['write', 'read'] as const) {
          const f = r[`flashcache:${side}`]!;
          const x = r[`redis:${side}`]!;
          const row = `| \`${p[side].command.join(' ')}\` | ${pipeline} | ${rateSpread(f)} | ${rateSpread(x)} | ${(median(f) / median(x)).toFixed(2)}x |`;
          lines.push(row);
          console.error(row);
        }
      }
    }
    lines.push('');
  }
  if (o['memory'] !== false) {
    const f = await memory('flashcache');
    const x = await memory('redis');
    lines.push('### memory', '', '`used_memory` growth per item, loaded with redis-cli --pipe.', '');
    lines.push('| item | FlashCache bytes | Redis bytes | ratio |', '|---|---|---|---|');
    const names: Record<string, string> = {
      'hll-sparse': `HyperLogLog of 100 elements (${o['hlls']} keys)`,
      'hll-dense': `HyperLogLog of 5,000 elements (${o['hlls']} keys)`,
      geo: 'geo member (100,000 in one key)',
      stream: 'stream entry of one field (100,000 in one stream)',
    };
    for (const key of Object.keys(names)) {
      lines.push(
        `| ${names[key]} | ${f[key]!.toFixed(0)} | ${x[key]!.toFixed(0)} | ${(f[key]! / x[key]!).toFixed(2)}x |`,
      );
    }
    lines.push('');
  }
  const text = lines.join('\n');
  console.log(text);
  if (typeof o['out'] === 'string') appendFileSync(o['out'], `\n${text}\n`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
