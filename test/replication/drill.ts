/**
 * The Sentinel failover drill (issue 16): a primary and two replicas, three
 * real Sentinels (Redis 7.0.15 `redis-server --sentinel`, down-after 1000 ms,
 * failover-timeout 6000 ms), an ioredis client in Sentinel mode writing all
 * along; the primary is SIGKILLed, Sentinel promotes a replica, the client
 * follows, the other replica follows the new primary, and the old primary,
 * restarted on its own data directory, is converted to a replica and
 * converges. Runs on FlashCache nodes or on redis-server nodes (`appendonly
 * yes`, `appendfsync always`), so both can be measured the same way: the
 * replication test runs it on FlashCache with synchronous replication
 * (`min-replicas-sync 2`: no acknowledged write may be lost), bench/failover.ts
 * on both without it (what asynchronous replication loses).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { trackChild } from '../helpers/children.js';
import { freePort } from '../helpers/redis.js';
import { cleanup, startServer, tempDir, waitFor, type ServerHandle } from '../helpers/server.js';

/** What the nodes are. */
export type DrillKind = 'flashcache' | 'redis';

/** One data node: a fixed port and data directory, restartable. */
interface DrillNode {
  readonly port: number;
  readonly dir: string;
  start(): Promise<void>;
  /** SIGKILL. */
  kill(): Promise<void>;
  /** SIGTERM (SIGKILL for redis-server) and wait. */
  stop(): Promise<void>;
  client(): Redis;
  /** One client kept for polling the node (it reconnects across restarts). */
  probe(): Redis;
  /** What the node logged in its latest run, for a failed drill's report. */
  logTail(): string[];
}

/** What a drill measured. */
export interface DrillResult {
  kind: DrillKind;
  /** Writes acknowledged to the client (SETs of distinct keys, and INCRs). */
  ackedSets: number;
  ackedIncrs: number;
  /** Acknowledged SETs whose key is missing after the failover, and INCRs missing from the counter. */
  lostSets: number;
  lostIncrs: number;
  /** ms from SIGKILL of the primary to the client's first acknowledged write. */
  failoverMs: number;
  /** ms from SIGKILL to Sentinel's +switch-master. */
  switchMs: number;
  /** ms from the old primary's restart to +convert-to-slave. */
  convertMs: number;
  /** Keys on the new primary, equal on all three nodes at the end. */
  keys: number;
  /** Sentinel events seen, in order (`+switch-master`, `+convert-to-slave`, ...). */
  events: string[];
  totalMs: number;
  /** What the nodes and Sentinels logged (the tails), to read when a check of the result fails. */
  logs: string[];
}

function spawnExit(proc: ChildProcess): Promise<void> {
  return new Promise((r) => (proc.exitCode !== null || proc.signalCode !== null ? r() : proc.once('exit', () => r())));
}

function client(port: number): Redis {
  const c = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1, commandTimeout: 30_000, lazyConnect: false });
  c.on('error', () => {});
  return c;
}

/** The clients a drill opens to one node: closed together when the node is stopped. */
function nodeClients(port: number): { open(): Redis; probe(): Redis; closeAll(): void } {
  const opened: Redis[] = [];
  let probe: Redis | null = null;
  const open = (): Redis => {
    const c = client(port);
    opened.push(c);
    return c;
  };
  return {
    open,
    probe: () => {
      probe ??= open();
      return probe;
    },
    closeAll: () => {
      for (const c of opened) c.disconnect();
    },
  };
}

async function pingable(port: number): Promise<boolean> {
  const c = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null });
  c.on('error', () => {});
  try {
    await c.connect();
    return (await c.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    c.disconnect();
  }
}

/**
 * A FlashCache node started on its config file (`port`, `appendfsync always`, maybe `replicaof`,
 * and with `sync`, `min-replicas-sync 2` with the `degrade` policy).
 */
async function flashcacheNode(port: number, primaryPort: number | null, sync = false): Promise<DrillNode> {
  const dir = tempDir('flashcache-drill-');
  const conf = join(dir, 'node.conf');
  // Both replicas: Sentinel promotes by offsets up to a second old, so any replica it picks must hold every
  // acknowledged write. A primary left with one replica answers after the timeout, degraded.
  const syncLines = ['min-replicas-sync 2', 'min-replicas-sync-policy degrade'];
  const lines = [`port ${port}`, 'appendfsync always', ...(sync ? syncLines : [])];
  if (primaryPort) lines.push(`replicaof 127.0.0.1 ${primaryPort}`);
  writeFileSync(conf, `${lines.join('\n')}\n`);
  let h: ServerHandle | null = null;
  const clients = nodeClients(port);
  return {
    port,
    dir,
    async start() {
      h = await startServer({ dir, args: [conf, '--port', String(port)] });
    },
    async kill() {
      await h?.kill();
    },
    async stop() {
      clients.closeAll();
      await h?.stop();
    },
    client: () => clients.open(),
    probe: () => clients.probe(),
    logTail() {
      return (h?.logs ?? []).slice(-80).map((l) => JSON.stringify(l));
    },
  };
}

/** A redis-server node with the same durability (`appendonly yes`, `appendfsync always`). */
async function redisNode(port: number, primaryPort: number | null): Promise<DrillNode> {
  const dir = tempDir('flashcache-drill-redis-');
  const conf = join(dir, 'redis.conf');
  writeFileSync(
    conf,
    `port ${port}\nbind 127.0.0.1\ndir ${dir}\nsave ""\nappendonly yes\nappendfsync always\n` +
      `${primaryPort ? `replicaof 127.0.0.1 ${primaryPort}\n` : ''}`,
  );
  let proc: ChildProcess | null = null;
  const clients = nodeClients(port);
  return {
    port,
    dir,
    async start() {
      proc = trackChild(spawn('redis-server', [conf], { stdio: 'ignore' }));
      await waitFor(() => pingable(port), 10_000, `redis-server on ${port}`);
    },
    async kill() {
      proc?.kill('SIGKILL');
      if (proc) await spawnExit(proc);
    },
    async stop() {
      clients.closeAll();
      proc?.kill('SIGKILL');
      if (proc) await spawnExit(proc);
    },
    client: () => clients.open(),
    probe: () => clients.probe(),
    logTail() {
      return [];
    },
  };
}

/** The last `n` lines of a log file, or none when it does not exist. */
function fileTail(path: string, n: number): string[] {
  return existsSync(path) ? readFileSync(path, 'utf8').trimEnd().split('\n').slice(-n) : [];
}

/** A Sentinel process (Redis 7.0.15 `redis-server <conf> --sentinel`) with its own writable config. */
async function startSentinel(
  primaryPort: number,
): Promise<{ port: number; proc: ChildProcess; dir: string; exited: Promise<void> }> {
  const port = await freePort();
  const dir = tempDir('flashcache-sentinel-');
  const conf = join(dir, 'sentinel.conf');
  writeFileSync(
    conf,
    `port ${port}\nbind 127.0.0.1\ndir ${dir}\nlogfile ${join(dir, 'sentinel.log')}\n` +
      `sentinel monitor m 127.0.0.1 ${primaryPort} 2\nsentinel down-after-milliseconds m 1000\n` +
      'sentinel failover-timeout m 6000\n',
  );
  const proc = trackChild(spawn('redis-server', [conf, '--sentinel'], { stdio: 'ignore' }));
  const exited = spawnExit(proc);
  await waitFor(() => pingable(port), 10_000, `sentinel on ${port}`);
  return { port, proc, dir, exited };
}

/** ROLE as [role, host, port, state] on a replica, [role] on a primary. */
async function role(c: Redis): Promise<string[]> {
  const r = (await c.call('ROLE')) as unknown[];
  return r[0] === 'slave' ? [String(r[0]), String(r[1]), String(r[2]), String(r[3])] : [String(r[0])];
}

/** Waits until `replica`'s link to the node on `primaryPort` is up. */
async function following(replica: Redis, primaryPort: number, timeoutMs: number): Promise<void> {
  await waitFor(
    async () => {
      const r = await role(replica);
      return r[0] === 'slave' && r[2] === String(primaryPort) && r[3] === 'connected';
    },
    timeoutMs,
    `the replica to follow ${primaryPort}`,
  );
}

/**
 * Waits until every node of `nodes` but the one Sentinel (`sentinel`) names
 * as primary is its connected replica; returns that primary's port.
 */
async function allFollow(sentinel: Redis, nodes: DrillNode[], timeoutMs: number, what: string): Promise<number> {
  let current = 0;
  await waitFor(
    async () => {
      const addr = (await sentinel.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'm')) as string[];
      current = Number(addr[1]);
      for (const n of nodes) {
        if (n.port === current) continue;
        const r = await role(n.probe()).catch(() => []);
        if (r[0] !== 'slave' || r[2] !== String(current) || r[3] !== 'connected') return false;
      }
      return true;
    },
    timeoutMs,
    what,
  );
  return current;
}

/** Waits until `replica` follows the node on `primaryPort` and has everything it logged (writes stopped). */
async function caughtUp(primary: Redis, replica: Redis, primaryPort: number, timeoutMs: number): Promise<void> {
  await following(replica, primaryPort, timeoutMs);
  await waitFor(
    async () => {
      const [p, s] = await Promise.all([primary.info('replication'), replica.info('replication')]);
      const off = (text: string, f: string): string | undefined => new RegExp(`^${f}:(\\d+)`, 'm').exec(text)?.[1];
      return off(p, 'master_repl_offset') === off(s, 'slave_repl_offset');
    },
    timeoutMs,
    `the replica to follow ${primaryPort} and catch up`,
  );
}

/** Every key of database 0 (the drill writes only strings there) with its value, sorted. */
async function strings(c: Redis): Promise<string[]> {
  const keys = ((await c.keys('*')) as string[]).sort();
  const values = keys.length > 0 ? await c.mget(keys) : [];
  return keys.map((k, i) => `${k}=${values[i]}`);
}

/**
 * Runs the drill; everything it started is stopped and removed before it
 * returns or throws.
 *
 * @param log progress lines (the bench prints them)
 */
export async function runDrill(
  kind: DrillKind,
  log: (line: string) => void = () => {},
  opts: { sync?: boolean } = {},
): Promise<DrillResult> {
  const t0 = Date.now();
  const make =
    kind === 'flashcache'
      ? (port: number, primary: number | null) => flashcacheNode(port, primary, opts.sync === true)
      : redisNode;
  const primaryPort = await freePort();
  const primary = await make(primaryPort, null);
  const replicas = [await make(await freePort(), primaryPort), await make(await freePort(), primaryPort)];
  const nodes = [primary, ...replicas];
  const sentinels: Awaited<ReturnType<typeof startSentinel>>[] = [];
  const conns: Redis[] = [];
  let writer: Redis | null = null;
  let writing = false;
  let writeLoop: Promise<void> = Promise.resolve();
  const logTails = (): string[] => [
    ...nodes.flatMap((n) => n.logTail().map((line) => `node ${n.port}: ${line}`)),
    ...sentinels.flatMap((s) => fileTail(join(s.dir, 'sentinel.log'), 60).map((line) => `sentinel ${s.port}: ${line}`)),
  ];
  try {
    for (const n of nodes) await n.start();
    const p = primary.client();
    for (let i = 0; i < 200; i++) await p.set(`seed:${i}`, String(i));
    for (const r of replicas) await caughtUp(p, r.client(), primaryPort, 20_000);
    log(`${kind}: primary ${primaryPort}, replicas ${replicas.map((r) => r.port).join(', ')}`);

    for (let i = 0; i < 3; i++) sentinels.push(await startSentinel(primaryPort));
    const s0 = client(sentinels[0]!.port);
    conns.push(s0);
    await waitFor(
      async () => {
        const reps = (await s0.call('SENTINEL', 'REPLICAS', 'm')) as unknown[];
        const sens = (await s0.call('SENTINEL', 'SENTINELS', 'm')) as unknown[];
        return reps.length === 2 && sens.length === 2;
      },
      30_000,
      'Sentinel to list 2 replicas and 2 other sentinels',
    );
    log(`${kind}: sentinels ${sentinels.map((s) => s.port).join(', ')} see 2 replicas and each other`);

    const events: string[] = [];
    const eventAt = new Map<string, number>();
    for (const s of sentinels) {
      const sub = client(s.port);
      conns.push(sub);
      sub.on('pmessage', (_pat: string, ch: string, msg: string) => {
        if (ch !== '+switch-master' && ch !== '+convert-to-slave' && ch !== '+odown' && ch !== '+promoted-slave')
          return;
        if (!eventAt.has(ch)) eventAt.set(ch, Date.now());
        events.push(`${ch} ${msg}`);
      });
      await sub.psubscribe('*');
    }

    // The client under test: Sentinel mode, writes one at a time, records every acknowledgement.
    writer = new Redis({
      sentinels: sentinels.map((s) => ({ host: '127.0.0.1', port: s.port })),
      name: 'm',
      maxRetriesPerRequest: 1,
      retryStrategy: () => 50,
      sentinelRetryStrategy: () => 50,
      commandTimeout: 2000,
    });
    writer.on('error', () => {});
    const w = writer;
    const ackedSets: number[] = [];
    let ackedIncrs = 0;
    // When each acknowledgement came and from which port (a reply already on its way before the kill is the old one's).
    const acks: { at: number; port: number }[] = [];
    const ackedFrom = (): void => {
      acks.push({
        at: Date.now(),
        port: (w as unknown as { stream?: { remotePort?: number } }).stream?.remotePort ?? 0,
      });
    };
    writing = true;
    writeLoop = (async () => {
      for (let i = 0; writing; i++) {
        try {
          await w.set(`w:${i}`, String(i));
          ackedSets.push(i);
          ackedFrom();
          await w.incr('ctr');
          ackedIncrs++;
          ackedFrom();
        } catch {
          await new Promise((r) => setTimeout(r, 20));
        }
        await new Promise((r) => setTimeout(r, 1));
      }
    })();
    await waitFor(() => ackedSets.length >= 300, 20_000, 'writes before the kill');

    const killAt = Date.now();
    await primary.kill();
    log(`${kind}: primary SIGKILLed after ${ackedSets.length} acknowledged SETs`);
    const newAddr: number = await waitFor(
      async () => {
        const a = (await s0.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'm')) as string[];
        return a[1] !== String(primaryPort) ? Number(a[1]) : 0;
      },
      30_000,
      'Sentinel to name a new primary',
    );
    await waitFor(() => eventAt.has('+switch-master'), 10_000, '+switch-master');
    const first = await waitFor(
      () => acks.find((a) => a.at > killAt && a.port !== primaryPort),
      20_000,
      'a write acknowledged by the new primary',
    );
    const failoverMs = first!.at - killAt;
    const switchMs = eventAt.get('+switch-master')! - killAt;
    log(`${kind}: new primary ${newAddr}; first write after ${failoverMs} ms, +switch-master after ${switchMs} ms`);

    // Sentinel may fail over again (a promoted node that answers late looks down to it): the nodes must
    // follow whichever primary Sentinel names when they are looked at, and each failover is logged.
    await allFollow(s0, replicas, 30_000, 'the other replica to follow the new primary');
    log(`${kind}: the other replica follows ${newAddr}`);

    const restartAt = Date.now();
    await primary.start();
    await waitFor(() => eventAt.has('+convert-to-slave'), 40_000, '+convert-to-slave');
    const convertMs = eventAt.get('+convert-to-slave')! - restartAt;
    const current = await allFollow(s0, nodes, 30_000, 'the old primary to follow the new primary');
    log(`${kind}: the old primary is a replica of ${current} after ${convertMs} ms`);

    writing = false;
    await writeLoop;
    const last = await allFollow(s0, nodes, 30_000, 'every node to follow the last primary');
    const switches = events.filter((e) => e.startsWith('+switch-master')).length;
    if (last !== newAddr) log(`${kind}: Sentinel failed over again (${switches} +switch-master events), to ${last}`);
    const top = nodes.find((n) => n.port === last)!;
    const np = top.client();
    const rest = nodes.filter((n) => n !== top);
    for (const n of rest) await caughtUp(np, n.client(), last, 30_000);
    const dumps = await Promise.all([top, ...rest].map((n) => strings(n.client())));
    if (
      JSON.stringify(dumps[1]) !== JSON.stringify(dumps[0]) ||
      JSON.stringify(dumps[2]) !== JSON.stringify(dumps[0])
    ) {
      throw new Error(`${kind}: the three nodes' keyspaces differ after the failover`);
    }
    const present = new Set(dumps[0]!.map((l) => l.slice(0, l.indexOf('='))));
    const lostSets = ackedSets.filter((i) => !present.has(`w:${i}`)).length;
    const ctr = Number(await np.get('ctr'));
    return {
      kind,
      ackedSets: ackedSets.length,
      ackedIncrs,
      lostSets,
      lostIncrs: Math.max(0, ackedIncrs - ctr),
      failoverMs,
      switchMs,
      convertMs,
      keys: dumps[0]!.length,
      events,
      totalMs: Date.now() - t0,
      logs: logTails(),
    };
  } catch (err) {
    // What each process logged, so a drill that fails on a loaded machine can be read afterwards.
    for (const line of logTails()) log(line);
    throw err;
  } finally {
    writing = false;
    await writeLoop;
    writer?.disconnect();
    for (const c of conns) c.disconnect();
    for (const s of sentinels) {
      s.proc.kill('SIGKILL');
      await s.exited;
      cleanup(s.dir);
    }
    for (const n of nodes) {
      await n.stop();
      cleanup(n.dir);
    }
  }
}
