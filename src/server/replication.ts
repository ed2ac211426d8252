/**
 * Wiring replication (src/replication/service.ts) into the server: what it
 * reads of the server, how it takes a replica's connection over, and how it
 * turns the logging of applied effects off.
 */
import type { ServerServices } from '../commands/context.js';
import type { CommandTable } from '../commands/table.js';
import type { Config } from '../config/config.js';
import type { Snapshotter } from '../persistence/snapshot/snapshotter.js';
import type { Wal } from '../persistence/wal/writer.js';
import { Replication } from '../replication/service.js';
import type { Keyspace } from '../store/keyspace.js';
import type { Client } from './client.js';
import type { Logger } from './logger.js';

/** The parts of the server replication uses (Server has them). */
export interface ReplicationParts {
  readonly dir: string;
  readonly config: Config;
  readonly log: Logger;
  readonly keyspace: Keyspace;
  readonly effects: CommandTable;
  readonly services: ServerServices;
  readonly clients: ReadonlyMap<number, Client>;
  readonly wal: Wal;
  readonly snapshots: Snapshotter;
  readonly port: number;
  nextClientId(): number;
  /** While true, Server.propagate touches keys but appends nothing (a replica applying a record). */
  applyingRecord: boolean;
}

/**
 * Builds the server's replication.
 *
 * @param releaseAll sends every reply waiting for the WAL
 */
export function createReplication(s: ReplicationParts, releaseAll: () => void): Replication {
  return new Replication({
    dir: s.dir,
    config: s.config,
    log: s.log,
    keyspace: s.keyspace,
    effects: s.effects,
    get services() {
      return s.services;
    },
    wal: () => s.wal,
    snapshots: () => s.snapshots,
    port: () => s.port,
    takeOver: (id) => {
      const c = s.clients.get(id);
      if (c === undefined || c.isClosed) return null;
      c.replicaLink = true;
      return { socket: c.socket, ip: (c.socket.remoteAddress ?? '').replace(/^::ffff:/, '') };
    },
    setApplying: (on) => (s.applyingRecord = on),
    releaseAll,
    nextClientId: () => s.nextClientId(),
  });
}
