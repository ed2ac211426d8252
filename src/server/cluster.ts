/**
 * Wiring cluster mode (src/cluster) into the server when `cluster-enabled`
 * is on: the nodes file in the data directory, the bus port, the keys of a
 * slot, replication for replicas, and the cluster as `c.server.cluster`
 * for the CLUSTER commands. Returns it for the dispatcher's routing check;
 * undefined (and nothing started) when cluster mode is off.
 */
import { isAbsolute, join } from 'node:path';
import type { ClusterService, ServerServices } from '../commands/context.js';
import type { Config } from '../config/config.js';
import type { Wal } from '../persistence/wal/writer.js';
import { Cluster } from '../cluster/service.js';
import { keyHashSlot } from '../cluster/crc16.js';
import { SlotKeyIndex } from '../cluster/slotkeys.js';
import type { Replication } from '../replication/service.js';
import type { Keyspace } from '../store/keyspace.js';
import type { Logger } from './logger.js';

/** The parts of the server the cluster uses (Server has them). */
export interface ClusterParts {
  readonly config: Config;
  readonly log: Logger;
  readonly dir: string;
  readonly keyspace: Keyspace;
  readonly wal: Wal;
  readonly replication: Replication;
  readonly services: ServerServices;
}

/**
 * Starts cluster mode when configured: loads or creates the nodes file and
 * listens on the bus port.
 *
 * @throws the nodes file's or the bus port's error (start-up stops)
 */
export async function startCluster(s: ClusterParts): Promise<ClusterService | undefined> {
  const config = s.config;
  if (!config.get('cluster-enabled')) return undefined;
  const port = config.get('port');
  const busPort = config.get('cluster-port') || port + 10000;
  const file = config.get('cluster-config-file');
  const db0 = () => s.keyspace.dbs[0]!;
  const index = new SlotKeyIndex(db0);
  const cluster = new Cluster(
    {
      config,
      log: s.log,
      nodesFile: isAbsolute(file) ? file : join(s.dir, file),
      port,
      busPort,
      keyCount: () => db0().size,
      countKeysInSlot: (slot) => index.count(slot),
      deleteKeysInSlot: (slot) => {
        for (const key of index.keys(slot, Number.MAX_SAFE_INTEGER)) {
          if (!db0().delete(key)) continue;
          s.services.signalModifiedKey(0, key);
          s.services.propagate(0, ['DEL', key]);
        }
        s.wal.flush();
      },
      deleteAllKeys: () => {
        const db = db0();
        const keys: Buffer[] = [];
        db.forEachSlot((i) => keys.push(Buffer.from(db.key(i))));
        for (const key of keys) {
          if (!db.delete(key)) continue;
          s.services.signalModifiedKey(0, key);
          s.services.propagate(0, ['DEL', key]);
        }
        s.wal.flush();
      },
      replicaOf: (host, p) => {
        s.replication.replicaOf(host, p, 'cluster');
      },
      replOffset: () => s.replication.role().offset,
      blockedClients: () => (s.services.blocking.size > 0 ? (s.services.blocking.waiting?.() ?? []) : []),
      unblockWithError: (id, error) => {
        s.services.blocking.unblock(id, error);
      },
      pauseWrites: (until) => s.services.pause.pause(until, 'write'),
      unpauseWrites: () => s.services.pause.unpause(),
      removeShardChannelsInSlot: (slot) => {
        const inSlot = (ch: string): boolean => keyHashSlot(Buffer.from(ch, 'latin1')) === slot;
        s.services.pubsub.removeShardChannels(inSlot, s.services.replyTag());
      },
      publishLocal: (channel, message) => {
        s.services.pubsub.publish('channel', channel, message, s.services.replyTag());
      },
    },
    { keysInSlot: (slot, max) => index.keys(slot, max) },
  );
  const bind =
    config
      .get('bind')
      .split(' ')
      .find((a) => a !== '') ?? '127.0.0.1';
  await cluster.start(bind === '*' ? '0.0.0.0' : bind);
  setInterval(() => index.expire(), 1000).unref();
  (s.services as { cluster?: ClusterService }).cluster = cluster;
  s.log.info({ id: cluster.state.myself.id, busPort }, 'cluster mode: node ready');
  return cluster;
}
