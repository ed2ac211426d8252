/**
 * twemproxy (Debian's `nutcracker` 0.5.0) in front of FlashCache or
 * redis-server nodes, for the twemproxy tests and benchmark: writes the
 * pool's YAML configuration (docs/TWEMPROXY.md explains every line), starts
 * nutcracker in the foreground on loopback, and waits until it answers PING
 * (which nutcracker answers itself, without a server).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { trackChild } from './children.js';
import { freePort } from './redis.js';
import { answersPing } from './resp.js';
import { cleanup, tempDir, waitFor } from './server.js';

/** The nutcracker binary (Debian installs it in /usr/sbin, not always on a user's PATH). */
export function nutcrackerBinary(): string | null {
  for (const p of ['nutcracker', '/usr/sbin/nutcracker']) {
    if (spawnSync(p, ['-V'], { stdio: 'ignore' }).status === 0) return p;
  }
  return null;
}

/** One server of the pool: its loopback port and the name ketama hashes (so the ring ignores addresses). */
export interface PoolServer {
  port: number;
  name: string;
}

/** Pool settings; the defaults are those of docs/TWEMPROXY.md's example. */
export interface PoolOptions {
  /** Port nutcracker listens on for clients. */
  port: number;
  servers: PoolServer[];
  /** Consecutive failures after which a server leaves the ring (default 2). */
  failureLimit?: number;
  /** Milliseconds an ejected server stays out of the ring before it is tried again (default 2000). */
  retryTimeoutMs?: number;
  /** Milliseconds nutcracker waits for a server's reply before it counts a failure (default 10000). */
  timeoutMs?: number;
  /** Connections nutcracker opens to each server (default 1). */
  serverConnections?: number;
}

/**
 * The YAML of a pool named `flashcache`: ketama over fnv1a_64 with the
 * `{...}` hash tag, named servers of weight 1, `auto_eject_hosts: true`.
 */
export function nutcrackerConfig(o: PoolOptions): string {
  return [
    'flashcache:',
    `  listen: 127.0.0.1:${o.port}`,
    '  redis: true',
    '  hash: fnv1a_64',
    '  hash_tag: "{}"',
    '  distribution: ketama',
    '  auto_eject_hosts: true',
    `  server_failure_limit: ${o.failureLimit ?? 2}`,
    `  server_retry_timeout: ${o.retryTimeoutMs ?? 2000}`,
    `  timeout: ${o.timeoutMs ?? 10_000}`,
    `  server_connections: ${o.serverConnections ?? 1}`,
    '  servers:',
    ...o.servers.map((s) => `    - 127.0.0.1:${s.port}:1 ${s.name}`),
    '',
  ].join('\n');
}

/** A running nutcracker. */
export interface NutcrackerHandle {
  /** Client port. */
  port: number;
  /** Stats port (JSON on connect). */
  statsPort: number;
  proc: ChildProcess;
  /** Directory with nutcracker.yml and nutcracker.log. */
  dir: string;
  /** The log so far. */
  log(): string;
  /** SIGTERM, then SIGKILL after 5 s; resolves when it exited and its directory is removed. */
  stop(): Promise<void>;
}

/**
 * Writes the pool's configuration into a fresh directory and starts
 * `nutcracker -c conf -a 127.0.0.1 -s statsport -o logfile` in the
 * foreground, then waits until it answers PING.
 *
 * @param o the pool; `port` 0 takes a free port
 * @throws when nutcracker is not installed, refuses its configuration, or exits before answering
 */
export async function startNutcracker(o: PoolOptions): Promise<NutcrackerHandle> {
  const bin = nutcrackerBinary();
  if (bin === null) throw new Error('nutcracker is not installed (apt-get install nutcracker)');
  const dir = tempDir('flashcache-twemproxy-');
  const port = o.port || (await freePort());
  const statsPort = await freePort();
  const conf = join(dir, 'nutcracker.yml');
  const logFile = join(dir, 'nutcracker.log');
  writeFileSync(conf, nutcrackerConfig({ ...o, port }));
  const check = spawnSync(bin, ['-t', '-c', conf], { encoding: 'utf8' });
  if (check.status !== 0) throw new Error(`nutcracker -t refused ${conf}: ${check.stderr}`);
  const proc = trackChild(
    spawn(bin, ['-c', conf, '-a', '127.0.0.1', '-s', String(statsPort), '-i', '1000', '-o', logFile], {
      stdio: 'ignore',
    }),
  );
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  let gone = false;
  void exited.then(() => (gone = true));
  const log = (): string => {
    try {
      return readFileSync(logFile, 'utf8');
    } catch {
      return '';
    }
  };
  await waitFor(
    async () => {
      if (gone) throw new Error(`nutcracker exited before answering PING: ${log()}`);
      return answersPing(port);
    },
    10_000,
    'nutcracker to answer PING',
  );
  return {
    port,
    statsPort,
    proc,
    dir,
    log,
    async stop() {
      if (!gone) proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
      cleanup(dir);
    },
  };
}
