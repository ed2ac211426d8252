/**
 * packaging/prometheus/flashcache-alerts.yml: valid for promtool, its unit
 * tests pass, and every metric it names is in a real scrape of /metrics.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../helpers/redis.js';
import { cleanup, run, startServer } from '../helpers/server.js';

const DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'packaging', 'prometheus');
const hasPromtool = spawnSync('sh', ['-c', 'command -v promtool']).status === 0;

test('the alerting rules pass promtool check rules and their unit tests', {
  skip: !hasPromtool && 'promtool not installed (.ci/run installs Debian prometheus)',
}, async () => {
  const check = await run('promtool', ['check', 'rules', resolve(DIR, 'flashcache-alerts.yml')]);
  assert.equal(check.code, 0, check.stdout + check.stderr);
  const unit = await run('promtool', ['test', 'rules', resolve(DIR, 'flashcache-alerts.test.yml')]);
  assert.equal(unit.code, 0, unit.stdout + unit.stderr);
});

test('every metric the alerting rules name is served by /metrics', async () => {
  const rules = readFileSync(resolve(DIR, 'flashcache-alerts.yml'), 'utf8');
  const named = new Set(
    [...rules.matchAll(/\b((?:redis|flashcache)_[a-z0-9_]+)/g)].map((m) => m[1]!.replace(/_bucket$/, '')),
  );
  const port = await freePort();
  const srv = await startServer({ args: ['--metrics-port', String(port)] });
  await srv.waitForLog((l) => String(l.msg).startsWith('metrics and dashboard on'));
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const served = new Set([...text.matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1]!));
  for (const name of named) assert.ok(served.has(name), `${name} is not in /metrics`);
  await srv.stop();
  cleanup(srv.dir);
});
