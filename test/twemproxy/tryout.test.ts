/**
 * The try-out launcher of docs/TWEMPROXY.md (scripts/twemproxy-tryout.sh):
 * two FlashCache nodes and nutcracker on loopback answer through the proxy,
 * it prints how to connect, and SIGINT (Ctrl-C) stops every process it
 * started and removes its temporary directory. Skipped, saying so, when the
 * nutcracker binary is missing.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { trackChild } from '../helpers/children.js';
import { freePort } from '../helpers/redis.js';
import { RawClient } from '../helpers/resp.js';
import { waitFor } from '../helpers/server.js';
import { nutcrackerBinary } from '../helpers/twemproxy.js';

const SCRIPT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'scripts', 'twemproxy-tryout.sh');
const skip =
  nutcrackerBinary() === null
    ? 'nutcracker is not installed: apt-get install nutcracker (.ci/run installs it); launcher test skipped'
    : false;

let launcher: ChildProcess | undefined;
after(() => {
  // Its own process group: whatever is left of it goes if the test failed half-way.
  if (launcher?.pid !== undefined && launcher.exitCode === null) process.kill(-launcher.pid, 'SIGKILL');
});

test('npm run tryout:twemproxy starts nodes and nutcracker, and Ctrl-C stops them all', { skip }, async () => {
  const proxyPort = await freePort();
  const statsPort = await freePort();
  const firstNode = await freePort();
  launcher = trackChild(
    spawn('bash', [SCRIPT, '-n', '2', '-p', String(proxyPort), '-b', String(firstNode - 1), '-s', String(statsPort)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    }),
  );
  let out = '';
  launcher.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  launcher.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => launcher!.once('exit', (code) => r(code)));
  await waitFor(() => out.includes('Ctrl-C stops everything'), 60_000, `the launcher's banner (output: ${out})`);
  assert.match(out, new RegExp(`redis-cli -p ${proxyPort} SET greeting hello`));
  const dir = /Configuration: (\S+)\/nutcracker\.yml/.exec(out)?.[1];
  assert.ok(dir && existsSync(dir), `the data directory in: ${out}`);

  const c = await RawClient.connect(proxyPort);
  for (let i = 0; i < 20; i++) assert.equal(await c.call('SET', `k${i}`, `v${i}`), '+OK\r\n');
  assert.equal(await c.call('MGET', 'k0', 'k19', 'none'), '*3\r\n$2\r\nv0\r\n$3\r\nv19\r\n$-1\r\n');
  c.close();
  let total = 0;
  for (const port of [firstNode, firstNode + 1]) {
    const n = await RawClient.connect(port);
    total += Number(/^:(\d+)/.exec((await n.call('DBSIZE')) ?? '')?.[1]);
    n.close();
  }
  assert.equal(total, 20, 'the keys are on the two nodes');

  launcher.kill('SIGINT');
  assert.equal(await exited, 130);
  assert.match(out, /stopping nutcracker and 2 nodes/);
  assert.ok(!existsSync(dir), 'the temporary directory is removed');
  for (const port of [proxyPort, firstNode, firstNode + 1]) {
    await assert.rejects(RawClient.connect(port), `nothing listens on ${port} any more`);
  }
});
