/**
 * `metrics-port`: /metrics checked by Prometheus's promtool on a scrape taken
 * under load and compared with INFO; Debian's prometheus-redis-exporter
 * pointed at FlashCache exports the families it exports for redis-server;
 * requirepass guards every route; and the dashboard, driven in headless
 * Chromium, updates while redis-benchmark runs.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, startRedis } from '../helpers/redis.js';
import { trackChild } from '../helpers/children.js';
import { cleanup, run, startServer, waitFor, type ServerHandle } from '../helpers/server.js';

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const OUTPUT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'test-output');

const servers: ServerHandle[] = [];
after(async () => {
  for (const s of servers) {
    await s.stop();
    cleanup(s.dir);
  }
});

async function withMetrics(extra: string[] = []): Promise<{ srv: ServerHandle; url: string }> {
  const port = await freePort();
  const srv = await startServer({ args: ['--metrics-port', String(port), ...extra] });
  servers.push(srv);
  await srv.waitForLog((l) => String(l.msg).startsWith('metrics and dashboard on'));
  return { srv, url: `http://127.0.0.1:${port}` };
}

/** `name{labels} value` lines of a scrape, as name+labels → value. */
function samples(text: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    m.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return m;
}

function info(text: string): Map<string, string> {
  return new Map(
    text
      .split('\r\n')
      .filter((l) => l.includes(':') && !l.startsWith('#'))
      .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1)] as [string, string]),
  );
}

test('/metrics passes promtool under load, and the redis_exporter-named metrics agree with INFO', async (t) => {
  const { srv, url } = await withMetrics(['--maxmemory', '64mb']);
  const bench = trackChild(
    spawn('redis-benchmark', ['-p', String(srv.port), '-n', '200000', '-c', '20', '-t', 'set,get,lpush', '-q'], {
      stdio: 'ignore',
    }),
  );
  const benchDone = new Promise((r) => bench.once('exit', r));
  const r = srv.client();
  await waitFor(
    async () => Number(info(await r.info('stats')).get('total_commands_processed')) > 20_000,
    20_000,
    'load',
  );
  const underLoad = await (await fetch(`${url}/metrics`)).text();
  if (has('promtool')) {
    const check = await run('promtool', ['check', 'metrics'], underLoad);
    assert.equal(check.code, 0, check.stdout + check.stderr);
  } else t.diagnostic('promtool not installed: the lint check was skipped (.ci/run installs Debian prometheus)');
  await benchDone;
  await r.set('with-ttl', 'x', 'EX', 100);
  const scrape = samples(await (await fetch(`${url}/metrics`)).text());
  const i = info(await r.info('everything'));
  const keys = /keys=(\d+),expires=(\d+)/.exec(i.get('db0')!)!;
  const cmd = (name: string) => Number(/calls=(\d+)/.exec(i.get(`cmdstat_${name}`)!)![1]);
  assert.equal(scrape.get('redis_up'), 1);
  assert.equal(scrape.get('redis_memory_max_bytes'), 64 * 1024 * 1024);
  assert.equal(scrape.get('redis_db_keys{db="db0"}'), Number(keys[1]));
  assert.equal(scrape.get('redis_db_keys_expiring{db="db0"}'), Number(keys[2]));
  assert.equal(scrape.get('redis_commands_total{cmd="set"}'), cmd('set'));
  assert.equal(scrape.get('redis_commands_total{cmd="lpush"}'), cmd('lpush'));
  assert.equal(scrape.get('redis_keyspace_hits_total'), Number(i.get('keyspace_hits')));
  assert.equal(scrape.get('redis_connected_slaves'), 0);
  assert.equal(scrape.get('flashcache_wal_last_lsn'), Number(i.get('wal_last_lsn')));
  assert.ok(scrape.get('flashcache_wal_group_commit_records_count')! > 0);
  assert.ok(scrape.get('flashcache_command_duration_seconds_count{cmd="get"}')! > 0);
  const connected = scrape.get('redis_connected_clients')!;
  assert.ok(connected >= 1 && connected <= Number(i.get('connected_clients')) + 1);
});

test('prometheus-redis-exporter pointed at FlashCache exports at least 90% of the families it does for redis-server', async (t) => {
  if (!has('prometheus-redis-exporter')) {
    t.skip('prometheus-redis-exporter not installed (.ci/run installs it)');
    return;
  }
  const srv = await startServer();
  servers.push(srv);
  const redis = await startRedis();
  const families = async (port: number): Promise<{ names: Set<string>; log: string }> => {
    const web = await freePort();
    let log = '';
    const p = trackChild(
      spawn('prometheus-redis-exporter', [
        `--redis.addr=redis://127.0.0.1:${port}`,
        `--web.listen-address=127.0.0.1:${web}`,
      ]),
    );
    p.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    p.stdout!.on('data', (d: Buffer) => (log += d.toString()));
    const text = await waitFor(
      async () => {
        try {
          const res = await fetch(`http://127.0.0.1:${web}/metrics`);
          const body = await res.text();
          return body.includes('redis_up 1') ? body : '';
        } catch {
          return '';
        }
      },
      15_000,
      'the exporter to scrape',
    );
    p.kill();
    const names = new Set([...text.matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1]!));
    return { names, log };
  };
  await srv.client().set('a', '1');
  const fc = await families(srv.port);
  const rs = await families(redis.port);
  await redis.stop();
  const missing = [...rs.names].filter((n) => !fc.names.has(n));
  const share = (rs.names.size - missing.length) / rs.names.size;
  t.diagnostic(
    `FlashCache: ${rs.names.size - missing.length} of ${rs.names.size} families; missing: ${missing.join(' ')}`,
  );
  assert.ok(share >= 0.9, `${(share * 100).toFixed(1)}%`);
  assert.doesNotMatch(fc.log, /level=(error|warning)/, fc.log);
});

test('with requirepass every route needs it (basic auth or bearer), compared in constant time; only GET', async () => {
  const { url } = await withMetrics(['--requirepass', 's3cret']);
  assert.equal((await fetch(`${url}/metrics`)).status, 401);
  assert.match((await fetch(`${url}/`)).headers.get('www-authenticate') ?? '', /^Basic realm="FlashCache"/);
  assert.equal((await fetch(`${url}/events`, { headers: { authorization: 'Bearer wrong' } })).status, 401);
  const basic = `Basic ${Buffer.from('any:s3cret').toString('base64')}`;
  assert.equal((await fetch(`${url}/metrics`, { headers: { authorization: basic } })).status, 200);
  assert.equal((await fetch(`${url}/metrics`, { headers: { authorization: 'Bearer s3cret' } })).status, 200);
  const post = await fetch(`${url}/metrics`, { method: 'POST', headers: { authorization: basic } });
  assert.equal(post.status, 405);
  assert.equal((await fetch(`${url}/nope`, { headers: { authorization: basic } })).status, 404);
});

test('the dashboard in headless Chromium updates while redis-benchmark runs, without console errors', async (t) => {
  if (!has('chromium')) {
    t.skip('chromium not installed (.ci/run installs Debian chromium)');
    return;
  }
  const { chromium } = await import('playwright-core');
  const { srv, url } = await withMetrics();
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${url}/`);
    // Page-side expressions as strings: this file is compiled without the DOM's types.
    await page.waitForFunction('window.__dashboard.samples >= 1');
    const bench = trackChild(
      spawn('redis-benchmark', ['-p', String(srv.port), '-n', '150000', '-c', '20', '-t', 'set,get', '-q'], {
        stdio: 'ignore',
      }),
    );
    await page.waitForFunction("Number(document.getElementById('ops').textContent.replace(/,/g, '')) > 0", null, {
      timeout: 15_000,
    });
    const series = (await page.evaluate('window.__dashboard.data.ops')) as number[];
    assert.ok(
      series.some((v) => v > 0),
      `ops series ${series.join(',')}`,
    );
    const rows = await page.locator('#commands tbody tr').count();
    assert.ok(rows >= 1);
    mkdirSync(OUTPUT, { recursive: true });
    await page.screenshot({ path: join(OUTPUT, 'dashboard.png') });
    await new Promise((r) => bench.once('exit', r));
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});
