/**
 * SLOWLOG, LATENCY and the per-command statistics against a running
 * FlashCache, with DEBUG SLEEP as the slow command (it stops the whole
 * server, as in Redis): what gets logged and when, entry shapes and
 * trimming, the latency events and histograms, and INFO commandstats,
 * errorstats and latencystats.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanup, startServer } from '../helpers/server.js';

type Entry = [number, number, number, string[], string, string];

test('SLOWLOG logs commands from the threshold on, newest first, trimmed as Redis trims them', async (t) => {
  const srv = await startServer({ args: ['--enable-debug-command', 'yes', '--slowlog-log-slower-than', '100000'] });
  t.after(async () => {
    await srv.stop();
    cleanup(srv.dir);
  });
  const r = srv.client();
  assert.equal(await r.slowlog('LEN'), 0);
  await r.ping();
  assert.equal(await r.slowlog('LEN'), 0, 'a fast command is not logged');
  await r.client('SETNAME', 'sleeper');
  await r.call('DEBUG', 'SLEEP', '0.15');
  const [e] = (await r.slowlog('GET')) as Entry[];
  assert.equal(e![0], 0, 'ids start at 0');
  assert.ok(Math.abs(e![1] - Date.now() / 1000) < 5, 'unix time');
  assert.ok(e![2] >= 150_000, `duration ${e![2]} µs`);
  assert.deepEqual(e![3], ['DEBUG', 'SLEEP', '0.15']);
  assert.match(e![4], /^127\.0\.0\.1:\d+$/);
  assert.equal(e![5], 'sleeper');

  // EXEC is not logged; the commands it ran are.
  await r.slowlog('RESET');
  const results = (await r.multi([['debug', 'sleep', '0.12']]).exec()) as [Error | null, string][];
  assert.deepEqual(results, [[null, 'OK']]);
  const entries = (await r.slowlog('GET')) as Entry[];
  assert.deepEqual(
    entries.map((x) => x[3].join(' ').toLowerCase()),
    ['debug sleep 0.12'],
  );

  // Everything from 0 µs, at most slowlog-max-len entries, trimmed arguments.
  await r.config('SET', 'slowlog-log-slower-than', '0');
  await r.config('SET', 'slowlog-max-len', '10');
  for (let i = 0; i < 30; i++) await r.ping();
  assert.equal(await r.slowlog('LEN'), 10);
  assert.equal(((await r.slowlog('GET', '5')) as Entry[]).length, 5);
  assert.equal(((await r.slowlog('GET', '-1')) as Entry[]).length, 10);
  await assert.rejects(r.slowlog('GET', '-2'), /count should be greater than or equal to -1/);
  await r.config('SET', 'slowlog-max-len', '128');
  const many = Array.from({ length: 33 }, (_, i) => String(i));
  await r.sadd('set', ...many);
  await r.sadd('set', 'foo', 'A'.repeat(129));
  const [long, trimmed] = (await r.slowlog('GET', '2')) as Entry[];
  assert.deepEqual(long![3], ['sadd', 'set', 'foo', `${'A'.repeat(128)}... (1 more bytes)`]);
  assert.equal(trimmed![3].length, 32);
  assert.equal(trimmed![3][31], '... (4 more arguments)');

  // A blocked command is logged when a write serves it, under its own arguments (blocked.c
  // updateStatsOnUnblock), after the EXEC that served it; one that times out is not logged.
  const blocker = srv.client();
  t.after(() => blocker.disconnect());
  const blocked = async (): Promise<boolean> => /blocked_clients:1/.test(await r.info('clients'));
  const popped = blocker.blpop('l', 0);
  while (!(await blocked())) await new Promise((res) => setImmediate(res));
  await r.multi().lpush('l', 'foo').slowlog('RESET').exec();
  assert.deepEqual(await popped, ['l', 'foo']);
  assert.deepEqual(((await r.slowlog('GET', '1')) as Entry[])[0]![3], ['blpop', 'l', '0']);
  await r.slowlog('RESET');
  assert.equal(await blocker.blpop('none', 0.05), null);
  assert.deepEqual(
    ((await r.slowlog('GET')) as Entry[]).map((x) => x[3][0]!.toLowerCase()),
    ['slowlog'],
    'a timed-out BLPOP is not logged',
  );

  // -1 disables it; RESET empties it.
  await r.config('SET', 'slowlog-log-slower-than', '-1');
  await r.slowlog('RESET');
  await r.call('DEBUG', 'SLEEP', '0.05');
  assert.equal(await r.slowlog('LEN'), 0);
});

test('LATENCY records command events over the threshold and keeps a histogram per command', async (t) => {
  // appendfsync no: no WAL sync can show up as an event of its own.
  const srv = await startServer({ args: ['--enable-debug-command', 'yes', '--appendfsync', 'no'] });
  t.after(async () => {
    await srv.stop();
    cleanup(srv.dir);
  });
  const r = srv.client();
  assert.match(String(await r.call('LATENCY', 'DOCTOR')), /Latency monitoring is disabled/);
  await r.call('DEBUG', 'SLEEP', '0.06');
  assert.deepEqual(await r.call('LATENCY', 'LATEST'), [], 'nothing recorded while the monitor is off');
  await r.config('SET', 'latency-monitor-threshold', '40');
  await r.call('DEBUG', 'SLEEP', '0.06');
  await r.set('fast', 'x');
  const latest = (await r.call('LATENCY', 'LATEST')) as [string, number, number, number][];
  assert.equal(latest.length, 1);
  const [name, time, ms, max] = latest[0]!;
  assert.equal(name, 'command');
  assert.ok(Math.abs(time - Date.now() / 1000) < 5);
  assert.ok(ms >= 60 && max >= ms, `latest ${ms} ms, max ${max} ms`);
  const history = (await r.call('LATENCY', 'HISTORY', 'command')) as [number, number][];
  assert.deepEqual(history, [[time, ms]]);
  assert.match(String(await r.call('LATENCY', 'GRAPH', 'command')), /^command - high \d+ ms, low \d+ ms/);
  assert.match(String(await r.call('LATENCY', 'DOCTOR')), /1\. command: 1 latency spikes/);
  assert.equal(await r.call('LATENCY', 'RESET', 'nosuch'), 0);
  assert.equal(await r.call('LATENCY', 'RESET'), 1);
  assert.deepEqual(await r.call('LATENCY', 'LATEST'), []);

  // Histograms: cleared by CONFIG RESETSTAT, containers' subcommands listed with them.
  await r.config('RESETSTAT');
  await r.set('a', 'b');
  await r.set('c', 'd');
  await r.config('GET', 'maxmemory');
  const all = (await r.call('LATENCY', 'HISTOGRAM')) as unknown[];
  const names = all.filter((_, i) => i % 2 === 0);
  assert.deepEqual(names.sort(), ['config|get', 'config|resetstat', 'set']);
  const [setName, setHist] = (await r.call('LATENCY', 'HISTOGRAM', 'set', 'nosuch')) as [string, unknown[]];
  assert.equal(setName, 'set');
  assert.equal(setHist[0], 'calls');
  assert.equal(setHist[1], 2);
  assert.equal(setHist[2], 'histogram_usec');
  const buckets = setHist[3] as number[];
  assert.equal(buckets[buckets.length - 1], 2, 'cumulative counts end at the calls');
  const viaContainer = (await r.call('LATENCY', 'HISTOGRAM', 'config')) as string[];
  assert.deepEqual(viaContainer.filter((_, i) => i % 2 === 0).sort(), ['config|get', 'config|resetstat']);
  await assert.rejects(r.call('LATENCY', 'HELP', 'x'), /wrong number of arguments for 'latency\|help' command/);
});

test('INFO commandstats, errorstats and latencystats count calls, rejections and failures', async (t) => {
  const srv = await startServer();
  t.after(async () => {
    await srv.stop();
    cleanup(srv.dir);
  });
  const r = srv.client();
  await r.config('RESETSTAT');
  await r.set('k', 'v');
  await assert.rejects(r.lpush('k', 'x'), /WRONGTYPE/);
  await assert.rejects(r.call('GET'), /wrong number of arguments/);
  await r.expire('k', 100);
  const stats = await r.info('commandstats');
  assert.match(stats, /cmdstat_set:calls=1,usec=\d+,usec_per_call=\d+\.\d\d,rejected_calls=0,failed_calls=0/);
  assert.match(stats, /cmdstat_lpush:calls=1,.*rejected_calls=0,failed_calls=1/);
  assert.match(stats, /cmdstat_get:calls=0,.*rejected_calls=1,failed_calls=0/);
  assert.match(stats, /cmdstat_expire:calls=1,/);
  assert.doesNotMatch(stats, /cmdstat_del:/);
  const errors = await r.info('errorstats');
  assert.match(errors, /errorstat_WRONGTYPE:count=1/);
  assert.match(errors, /errorstat_ERR:count=1/);
  assert.match(await r.info('stats'), /total_error_replies:2/);
  assert.match(await r.info('latencystats'), /latency_percentiles_usec_set:p50=[\d.]+,p99=[\d.]+,p99\.9=[\d.]+/);
  const defaults = await r.info();
  assert.doesNotMatch(defaults, /rejected_calls/, 'not in the default sections');
  assert.match(defaults, /# Errorstats/);
  assert.match(await r.info('everything'), /rejected_calls/);
  await r.config('SET', 'latency-tracking', 'no');
  await r.config('RESETSTAT');
  await r.set('k', 'v');
  assert.doesNotMatch(await r.info('latencystats'), /usec_set/);
});
