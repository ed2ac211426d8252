/**
 * What /metrics costs the command path: redis-benchmark SET and GET at
 * -P 16 (and -P 1) against FlashCache with `metrics-port` off, and with it on
 * and /metrics scraped every second, alternating off/on in the same run,
 * a fresh server per run, medians:
 *
 *   npm run bench:metrics -- --runs 3 --out bench/RESULTS.md
 */
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { Command } from 'commander';
import {
  ensureRedisTools,
  environment,
  environmentLine,
  freePort,
  median,
  rateSpread,
  removeDir,
  startTarget,
  stopTarget,
} from './lib.js';

const o = new Command('bench-metrics')
  .option('--runs <n>', 'runs per setting, alternating', '3')
  .option('--requests <n>', 'requests per redis-benchmark test', '500000')
  .option('--pipelines <list>', 'redis-benchmark -P values', '16,1')
  .option('--out <file>', 'append the Markdown section to this file')
  .parse()
  .opts<Record<string, string>>();

/** requests/s per test of one redis-benchmark run (its --csv output). */
function benchmark(port: number, pipeline: number): Record<string, number> {
  const args = ['-p', String(port), '-t', 'set,get', '-c', '50', '-d', '100', '-r', '100000'];
  args.push('-n', o['requests']!, '-P', String(pipeline), '--csv');
  const res = spawnSync('redis-benchmark', args, { encoding: 'utf8' });
  const out: Record<string, number> = {};
  for (const line of res.stdout.split('\n')) {
    const m = /^"(\w+)","([\d.]+)"/.exec(line);
    if (m) out[m[1]!] = Number(m[2]);
  }
  return out;
}

async function runOnce(scraped: boolean, pipeline: number): Promise<Record<string, number>> {
  const metricsPort = scraped ? await freePort() : 0;
  const t = await startTarget('flashcache', ['--appendfsync', 'always', '--metrics-port', String(metricsPort)]);
  const r = scraped ? benchmarkWithScraper(t.port, metricsPort, pipeline) : benchmark(t.port, pipeline);
  await stopTarget(t, 'kill');
  removeDir(t);
  return r;
}

/** redis-benchmark (which blocks this process) while a separate Node process scrapes /metrics every second. */
function benchmarkWithScraper(port: number, metricsPort: number, pipeline: number): Record<string, number> {
  const scraper = spawn(
    process.execPath,
    [
      '-e',
      `setInterval(() => fetch('http://127.0.0.1:${metricsPort}/metrics').then((r) => r.text()).catch(() => {}), 1000);`,
    ],
    { stdio: 'ignore' },
  );
  try {
    return benchmark(port, pipeline);
  } finally {
    scraper.kill();
  }
}

ensureRedisTools();
const env = environment();
const runs = Number(o['runs']);
const rows: string[] = [];
for (const p of o['pipelines']!.split(',').map(Number)) {
  const off: Record<string, number>[] = [];
  const on: Record<string, number>[] = [];
  for (let i = 0; i < runs; i++) {
    for (const scraped of i % 2 ? [true, false] : [false, true]) (scraped ? on : off).push(await runOnce(scraped, p));
  }
  for (const test of ['SET', 'GET']) {
    const a = off.map((r) => r[test] ?? 0);
    const b = on.map((r) => r[test] ?? 0);
    const row = `| ${test} | -P ${p} | ${rateSpread(a)} | ${rateSpread(b)} | ${(median(b) / median(a)).toFixed(3)} |`;
    process.stderr.write(`${row}\n`);
    rows.push(row);
  }
}
const markdown = [
  `## ${env.date}: the cost of metrics (metrics-port on, /metrics scraped every second, against off)`,
  '',
  `\`${['node dist/bench/metrics.js', ...process.argv.slice(2)].join(' ')}\``,
  '',
  environmentLine(env),
  `redis-benchmark -c 50 -d 100 -r 100000 -n ${o['requests']} against FlashCache (appendfsync always), ${runs} runs ` +
    'per setting alternating off/on, a fresh server per run; the scraper is a separate Node process. Thousand ' +
    'requests/s as median (min-max).',
  '',
  '| test | pipeline | off | on, scraped every second | on/off |',
  '|---|---|---|---|---|',
  ...rows,
].join('\n');
process.stdout.write(`${markdown}\n`);
if (o['out']) appendFileSync(o['out'], `\n${markdown}\n`);
