/**
 * A 3-primary FlashCache cluster against a 3-primary redis-server 7.0.15
 * cluster with the same persistence, in the same run: both built by
 * `redis-cli --cluster create`, loaded by `redis-benchmark --cluster`
 * (SET and GET, -P 1 and -P 16, runs alternating between the clusters), then
 * `redis-cli --cluster reshard` of `--slots` slots from the first primary to
 * the second after `--keys` keys were loaded, timed, and checked (every key
 * still there, `--cluster check` clean).
 *
 *   npm run bench:cluster -- --runs 3 --requests 100000 --keys 1000000 --slots 1000
 *
 * Ports: `--base-port` P: FlashCache's nodes on P..P+2, redis-server's on
 * P+10..P+12, each with its cluster bus on port + 10000 (both servers' default).
 * Persistence (`--fsync`): FlashCache `--appendfsync always|no`, redis-server
 * `--appendonly yes --appendfsync always` or `--appendonly no`.
 */
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { promisify } from 'node:util';
import { Command } from 'commander';
import { keyHashSlot } from '../src/cluster/crc16.js';
import {
  CLI,
  bulk,
  command,
  ensureRedisTools,
  environment,
  environmentLine,
  listOption,
  median,
  pipeCommands,
  rateSpread,
  respCommand,
  startTarget,
  stopTarget,
  type Target,
} from './lib.js';

const run = promisify(execFile);

/** One cluster under test. */
interface Cluster {
  kind: Target['name'];
  nodes: Target[];
}

/** The server arguments that put a node in cluster mode with the persistence asked for. */
function clusterArgs(kind: Target['name'], fsync: string): string[] {
  if (kind === 'flashcache') return ['--cluster-enabled', 'yes', '--appendfsync', fsync === 'always' ? 'always' : 'no'];
  const aof = fsync === 'always' ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'];
  return ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--save', '', ...aof];
}

/** Waits until every node reports `cluster_state:ok` and `--cluster check` passes. */
async function waitClusterOk(ports: number[]): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const states = await Promise.all(ports.map((p) => bulk(p, 'CLUSTER INFO').catch(() => '')));
    if (states.every((s) => s.includes('cluster_state:ok'))) {
      const check = await run('redis-cli', ['--cluster', 'check', `127.0.0.1:${ports[0]}`]).then(
        () => true,
        () => false,
      );
      if (check) return;
    }
    if (Date.now() > deadline) throw new Error(`cluster on ${ports.join(',')} not ok after 60 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Starts three nodes on `ports` and joins them with `redis-cli --cluster create`. */
async function createCluster(kind: Target['name'], ports: number[], o: Options): Promise<Cluster> {
  const nodes: Target[] = [];
  for (const port of ports) nodes.push(await startTarget(kind, clusterArgs(kind, o.fsync), undefined, port, o.cli));
  const addrs = ports.map((p) => `127.0.0.1:${p}`);
  await run('redis-cli', ['--cluster', 'create', ...addrs, '--cluster-yes'], { maxBuffer: 1 << 24 });
  await waitClusterOk(ports);
  return { kind, nodes };
}

async function stopCluster(c: Cluster): Promise<void> {
  for (const n of c.nodes) {
    await stopTarget(n, 'kill');
    rmSync(n.dir, { recursive: true, force: true });
  }
}

/** Node id and owned slots of each primary, from CLUSTER NODES on `port`. */
async function primaries(port: number): Promise<{ id: string; port: number; slots: Set<number> }[]> {
  const out: { id: string; port: number; slots: Set<number> }[] = [];
  for (const line of (await bulk(port, 'CLUSTER NODES')).split('\n')) {
    const f = line.trim().split(' ');
    if (f.length < 8 || !f[2]!.includes('master')) continue;
    const slots = new Set<number>();
    for (const r of f.slice(8)) {
      if (r.startsWith('[')) continue;
      const [a, b] = r.split('-').map(Number);
      for (let s = a!; s <= (b ?? a!); s++) slots.add(s);
    }
    out.push({ id: f[0]!, port: Number(f[1]!.split(':')[1]!.split('@')[0]), slots });
  }
  return out.sort((x, y) => x.port - y.port);
}

/** `redis-benchmark --cluster` requests/s of one test. */
async function clusterBench(port: number, test: string, pipeline: number, o: Options): Promise<number> {
  const n = pipeline === 1 ? o.requests : o.requestsPipelined;
  const args = ['--cluster', '-p', String(port), '-t', test, '-c', '50', '-n', n, '-d', '100'];
  const { stdout } = await run('redis-benchmark', [...args, '-r', '100000', '-P', String(pipeline), '-q'], {
    maxBuffer: 1 << 26,
  });
  const m = /([\d.]+) requests per second/.exec(stdout.split('\r').pop() ?? '');
  if (m === null) throw new Error(`no rate in redis-benchmark's output: ${stdout.slice(-300)}`);
  return Number(m[1]);
}

/** Loads `count` keys `key:<12 digits>` with 100-byte values, each into the primary that owns its slot. */
async function loadKeys(c: Cluster, count: number): Promise<void> {
  const owners = await primaries(c.nodes[0]!.port);
  const value = 'v'.repeat(100);
  await Promise.all(
    owners.map((owner) => {
      let i = 0;
      return pipeCommands(owner.port, () => {
        for (; i < count; i++) {
          const key = `key:${String(i).padStart(12, '0')}`;
          if (!owner.slots.has(keyHashSlot(Buffer.from(key)))) continue;
          i++;
          return respCommand(['SET', key, value]);
        }
        return null;
      });
    }),
  );
}

/** Keys over the cluster's primaries. */
async function totalKeys(c: Cluster): Promise<number> {
  let n = 0;
  for (const p of await primaries(c.nodes[0]!.port)) n += Number((await command(p.port, 'DBSIZE')).slice(1));
  return n;
}

/** Times `redis-cli --cluster reshard` of `slots` slots from the first primary to the second, ms. */
async function reshard(c: Cluster, slots: number): Promise<number> {
  const [from, to] = await primaries(c.nodes[0]!.port);
  const t0 = performance.now();
  await run(
    'redis-cli',
    [
      '--cluster',
      'reshard',
      `127.0.0.1:${c.nodes[0]!.port}`,
      '--cluster-from',
      from!.id,
      '--cluster-to',
      to!.id,
      '--cluster-slots',
      String(slots),
      '--cluster-yes',
    ],
    { maxBuffer: 1 << 28 },
  );
  const ms = performance.now() - t0;
  await waitClusterOk(c.nodes.map((n) => n.port));
  return ms;
}

interface Options {
  runs: string;
  requests: string;
  requestsPipelined: string;
  keys: string;
  slots: string;
  fsync: string;
  pipeline: string;
  tests: string;
  basePort: string;
  cli: string;
}

const o = new Command('bench-cluster')
  .option('--runs <n>', 'redis-benchmark runs per cluster and cell, alternating', '3')
  .option('--requests <n>', 'redis-benchmark -n at -P 1', '200000')
  .option(
    '--requests-pipelined <n>',
    'redis-benchmark -n at deeper pipelines (a run under a second reads coarsely)',
    '1000000',
  )
  .option('--tests <list>', 'redis-benchmark tests', 'set,get')
  .option('--pipeline <list>', 'pipeline depths', '1,16')
  .option('--keys <n>', 'keys loaded before the reshard', '1000000')
  .option('--slots <n>', 'slots the reshard moves', '1000')
  .option('--fsync <mode>', 'always or none', 'always')
  .option('--base-port <port>', 'first port (see the file comment)', '7300')
  .option('--cli <cli.js>', "the FlashCache entry point (another build's dist/src/cli.js)", CLI)
  .parse()
  .opts<Options>();

ensureRedisTools();
const base = Number(o.basePort);
const ports = (first: number): number[] => [first, first + 1, first + 2];
const clusters = [await createCluster('flashcache', ports(base), o), await createCluster('redis', ports(base + 10), o)];
const rates = new Map<string, number[]>();
try {
  for (const test of listOption(o.tests)) {
    for (const pipeline of listOption(o.pipeline).map(Number)) {
      for (let r = 0; r < Number(o.runs); r++) {
        // The cluster that goes first flips every run.
        const order = r % 2 === 0 ? clusters : [...clusters].reverse();
        for (const c of order) {
          const key = `${test} ${pipeline} ${c.kind}`;
          rates.set(key, [...(rates.get(key) ?? []), await clusterBench(c.nodes[0]!.port, test, pipeline, o)]);
        }
      }
    }
  }
  const moved: { kind: string; keys: number; ms: number; after: number }[] = [];
  for (const c of clusters) {
    for (const n of c.nodes) await command(n.port, 'FLUSHALL');
    await loadKeys(c, Number(o.keys));
    const keys = await totalKeys(c);
    const ms = await reshard(c, Number(o.slots));
    moved.push({ kind: c.kind, keys, ms, after: await totalKeys(c) });
  }

  console.log(`\n${environmentLine(environment())}`);
  console.log(
    `\n\`node dist/bench/cluster.js --runs ${o.runs} --requests ${o.requests} --requests-pipelined` +
      ` ${o.requestsPipelined} --keys ${o.keys} --slots ${o.slots} --fsync ${o.fsync}\`: redis-benchmark --cluster` +
      ' -c 50 -d 100 -r 100000 -P {1|16} against node 1 of each 3-primary cluster; k requests/s as median (min-max).\n',
  );
  console.log('| test | -P | FlashCache cluster | redis-server cluster | ratio |\n|---|---|---|---|---|');
  for (const test of listOption(o.tests)) {
    for (const pipeline of listOption(o.pipeline)) {
      const f = rates.get(`${test} ${pipeline} flashcache`)!;
      const r = rates.get(`${test} ${pipeline} redis`)!;
      const ratio = (median([...f]) / median([...r])).toFixed(2);
      console.log(`| ${test} | ${pipeline} | ${rateSpread(f)} | ${rateSpread(r)} | ${ratio}x |`);
    }
  }
  console.log('\n| cluster | keys before | `--cluster reshard` of slots | s | keys after |\n|---|---|---|---|---|');
  for (const m of moved)
    console.log(`| ${m.kind} | ${m.keys} | ${o.slots} | ${(m.ms / 1000).toFixed(1)} | ${m.after} |`);
} finally {
  for (const c of clusters) await stopCluster(c);
}
