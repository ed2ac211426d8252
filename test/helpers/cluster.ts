/**
 * Cluster nodes for tests: FlashCache processes with `cluster-enabled yes`
 * on loopback, joined by `redis-cli --cluster create` as an operator would,
 * and the waits every cluster test needs.
 */
import assert from 'node:assert/strict';
import { redisCli, run, startServer, waitFor, type ServerHandle } from './server.js';

/** A FlashCache cluster node: its client port and bus port. */
export interface ClusterNodeHandle {
  server: ServerHandle;
  port: number;
  busPort: number;
}

/**
 * Starts one node on `port` (its data directory: `dir`, or a fresh one).
 * The bus port is `port` + 10000 unless that port is taken (a client
 * socket's ephemeral port can hold it): then a few others are tried.
 */
export async function startNode(
  port: number,
  opts: { dir?: string; busPort?: number; args?: string[] } = {},
): Promise<ClusterNodeHandle> {
  const candidates = opts.busPort !== undefined ? [opts.busPort] : [port + 10000, port + 10500, port + 10700];
  let last: unknown;
  for (const busPort of candidates) {
    try {
      const server = await startServer({
        ...(opts.dir !== undefined ? { dir: opts.dir } : {}),
        args: [
          '--port',
          String(port),
          '--cluster-enabled',
          'yes',
          '--cluster-port',
          String(busPort),
          '--cluster-node-timeout',
          '2000',
          ...(opts.args ?? []),
        ],
      });
      return { server, port, busPort };
    } catch (err) {
      last = err;
      if (!String(err).includes('EADDRINUSE')) throw err;
    }
  }
  throw last;
}

/** Runs `redis-cli <args>` (no `-p`). */
export function cli(args: string[]) {
  return run('redis-cli', args);
}

/** A field of CLUSTER INFO on `port`. */
export async function clusterInfo(port: number, field: string): Promise<string> {
  const r = await redisCli(port, ['cluster', 'info']);
  return /^([a-z_]+):(.*)$/m.test(r.stdout)
    ? (new RegExp(`^${field}:(.*)$`, 'm').exec(r.stdout)?.[1]?.trim() ?? '')
    : '';
}

/** Waits until every port reports `cluster_state:ok`. */
export async function waitClusterOk(ports: number[], timeoutMs = 30_000): Promise<void> {
  await waitFor(
    async () => {
      for (const p of ports) if ((await clusterInfo(p, 'cluster_state')) !== 'ok') return false;
      return true;
    },
    timeoutMs,
    `cluster_state:ok on ${ports.join(',')}`,
  );
}

/** `redis-cli --cluster check` exits 0 (retried while gossip settles). */
export async function waitCheckOk(port: number, timeoutMs = 30_000): Promise<void> {
  let out = '';
  await waitFor(
    async () => {
      const r = await cli(['--cluster', 'check', `127.0.0.1:${port}`]);
      out = r.stdout + r.stderr;
      return r.code === 0 && !out.includes('[ERR]') && !out.includes('[WARNING]');
    },
    timeoutMs,
    `redis-cli --cluster check 127.0.0.1:${port}: ${out}`,
  );
}

/**
 * Starts `count` nodes at `base`+1.. and joins them with `redis-cli
 * --cluster create ... --cluster-replicas <replicas> --cluster-yes` (by
 * default three primaries with a replica each).
 */
export async function createCluster(base: number, count = 6, replicas = 1): Promise<ClusterNodeHandle[]> {
  const nodes: ClusterNodeHandle[] = [];
  for (let i = 1; i <= count; i++) nodes.push(await startNode(base + i));
  const addrs = nodes.map((n) => `127.0.0.1:${n.port}`);
  const r = await cli(['--cluster', 'create', ...addrs, '--cluster-replicas', String(replicas), '--cluster-yes']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /All 16384 slots covered/);
  await waitClusterOk(nodes.map((n) => n.port));
  await waitCheckOk(nodes[0]!.port);
  return nodes;
}

/** Stops every node (SIGTERM). */
export async function stopAll(nodes: ClusterNodeHandle[]): Promise<void> {
  await Promise.all(nodes.map((n) => n.server.stop().catch(() => {})));
}
