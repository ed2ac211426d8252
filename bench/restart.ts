/**
 * Restart time and memory per key, FlashCache against redis-server in the
 * same run.
 *
 *   node dist/bench/restart.js --keys 1000000,5000000 --value 100 --restarts 3
 *
 * For each key count: load the keys (`key:<12 digits>`, 100-byte values)
 * through redis-cli --pipe; read resident memory; SAVE and SHUTDOWN (Redis
 * writes an RDB, FlashCache a snapshot); then restart several times and time
 * each from spawn until PING answers PONG. Page cache is warm for both.
 *
 * With `--kill`, each server is stopped by SIGKILL instead: after the SAVE,
 * `--tail` more keys are written (FlashCache replays them from its WAL;
 * Redis, without an AOF, loses them and loads its RDB), and every restart
 * is itself ended by SIGKILL, so each one recovers from a crash:
 *
 *   node dist/bench/restart.js --keys 1000000 --kill --tail 100000 --restarts 5
 */
import { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { CLI, command, load, median, removeDir, rss, startTarget, stopTarget, type Target } from './lib.js';

const o = new Command('bench-restart')
  .option('--keys <list>', 'key counts', '1000000,5000000')
  .option('--value <bytes>', 'value size', '100')
  .option('--restarts <n>', 'restarts per target', '3')
  .option('--out <file>', 'also write the Markdown table here')
  .option('--flashcache <entry>', "FlashCache entry point (another build's, for a before/after)", CLI)
  .option('--kill', 'stop with SIGKILL instead of SHUTDOWN (a crash), after writing --tail keys past the SAVE')
  .option('--tail <n>', 'with --kill: keys written after the SAVE (FlashCache replays them from its WAL)', '0')
  .parse()
  .opts<Record<string, string | boolean>>();
const kill = o['kill'] === true;
const tail = kill ? Number(o['tail']) : 0;
const how = kill ? 'kill' : 'shutdown';

const ARGS: Record<Target['name'], string[]> = {
  flashcache: ['--appendfsync', 'everysec'],
  redis: ['--save', '', '--appendonly', 'no'],
};

interface Row {
  keys: number;
  name: string;
  restartMs: number[];
  rssEmpty: number;
  /** RSS right after loading through the protocol (includes what loading left behind). */
  rssLoaded: number;
  /** RSS after a restart from the RDB or snapshot: the steady state. */
  rssRestarted: number;
}

const rows: Row[] = [];
for (const keys of String(o['keys']).split(',').map(Number)) {
  for (const name of ['redis', 'flashcache'] as const) {
    const cli = String(o['flashcache']);
    let t = await startTarget(name, ARGS[name], undefined, undefined, cli);
    const rssEmpty = rss(t.proc.pid!);
    await load(t.port, keys, Number(o['value']));
    const dbsize = await command(t.port, 'DBSIZE');
    if (dbsize !== `:${keys}`) throw new Error(`${name} holds ${dbsize} keys, expected ${keys}`);
    const rssLoaded = rss(t.proc.pid!);
    await command(t.port, 'SAVE');
    if (tail > 0) {
      await load(t.port, tail, Number(o['value']), keys);
      // everysec: let the last second's writes reach the disk before the crash.
      await new Promise((r) => setTimeout(r, 1500));
    }
    await stopTarget(t, how);
    // Redis without an AOF keeps only what its SAVE wrote; FlashCache keeps the tail too.
    const expected = name === 'flashcache' ? keys + tail : keys;
    const restartMs: number[] = [];
    let rssRestarted = 0;
    for (let r = 0; r < Number(o['restarts']); r++) {
      const t0 = performance.now();
      t = await startTarget(name, ARGS[name], t.dir, t.port, cli);
      restartMs.push(performance.now() - t0);
      const size = await command(t.port, 'DBSIZE');
      if (size !== `:${expected}`) throw new Error(`${name} holds ${size} keys after a restart, expected ${expected}`);
      rssRestarted = rss(t.proc.pid!);
      await stopTarget(t, how);
    }
    removeDir(t);
    rows.push({ keys, name, restartMs, rssEmpty, rssLoaded, rssRestarted });
    process.stderr.write(
      `${name} ${keys}: restart ${restartMs.map((x) => x.toFixed(0)).join(', ')} ms; RSS ${(rssLoaded / 2 ** 20).toFixed(0)} MiB\n`,
    );
  }
}

const lines = [
  `Machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}); Node ${process.version}. Values of ${o['value']} bytes, keys \`key:<12 digits>\`, loaded with redis-cli --pipe.`,
  kill
    ? `Restart: spawn to first PONG after SIGKILL (median of ${o['restarts']}; warm page cache): SAVE, then ${tail} more keys, then SIGKILL; every restart is also ended by SIGKILL. FlashCache ${ARGS.flashcache.join(' ')} recovers its snapshot and replays the tail from its WAL; redis-server ${ARGS.redis.join(' ')} loads the RDB its SAVE wrote (the tail is lost).`
    : `Restart: spawn to first PONG after SAVE and SHUTDOWN (median of ${o['restarts']}; warm page cache). FlashCache ${ARGS.flashcache.join(' ')}; redis-server ${ARGS.redis.join(' ')} (SAVE writes the RDB).`,
  '',
  'RSS per key: resident memory divided by keys, after a restart (steady state) and right after loading through the protocol.',
  '',
  '| keys | Redis restart s | FlashCache restart s | ratio | Redis RSS B/key (restarted) | FlashCache RSS B/key (restarted) | ratio | Redis RSS B/key (after load) | FlashCache RSS B/key (after load) |',
  '|---|---|---|---|---|---|---|---|---|',
];
for (const keys of [...new Set(rows.map((r) => r.keys))]) {
  const r = rows.find((x) => x.keys === keys && x.name === 'redis')!;
  const f = rows.find((x) => x.keys === keys && x.name === 'flashcache')!;
  const rr = median(r.restartMs) / 1000;
  const fr = median(f.restartMs) / 1000;
  const steady = (x: Row): number => x.rssRestarted / keys;
  const loaded = (x: Row): number => x.rssLoaded / keys;
  lines.push(
    `| ${keys} | ${rr.toFixed(2)} | ${fr.toFixed(2)} | ${(fr / rr).toFixed(2)}x | ${steady(r).toFixed(0)} | ${steady(f).toFixed(0)} | ${(steady(f) / steady(r)).toFixed(2)}x | ${loaded(r).toFixed(0)} | ${loaded(f).toFixed(0)} |`,
  );
}
const table = lines.join('\n');
process.stdout.write(table + '\n');
if (o['out']) writeFileSync(String(o['out']), table + '\n');
