/**
 * What the replication commands (./replication.ts) ask of the server's
 * replication (src/replication/service.ts implements it), and the constants
 * they share with it.
 */
import { randomBytes } from 'node:crypto';

/** This process's run id (INFO `run_id`): 40 hex characters, new per process. */
export const RUN_ID = randomBytes(20).toString('hex');

/** Redis's refusal of a write on a read-only replica (server.c `shared.roslaveerr`). */
export const READONLY_ERROR = "READONLY You can't write against a read only replica.";

/** A replica as ROLE lists it on a primary. */
export interface RoleReplica {
  ip: string;
  /** Its listening port (`REPLCONF listening-port`). */
  port: number;
  /** The LSN it last acknowledged. */
  ackLsn: number;
}

/** What ROLE reports (replication.c `roleCommand`). */
export type RoleState =
  | { role: 'master'; offset: number; replicas: RoleReplica[] }
  | { role: 'slave'; host: string; port: number; state: string; offset: number };

/**
 * A replica's connection to its primary as CLIENT LIST shows it: Redis's
 * master client (networking.c, flag `M`, type `master`), present while the
 * link is up.
 */
export interface PrimaryClient {
  readonly id: number;
  /** The primary's address, `ip:port`, and this end's. */
  readonly addr: string;
  readonly laddr: string;
  readonly fd: number;
  /** Unix ms it connected. */
  readonly createdAt: number;
  /** Unix ms of its last bytes. */
  readonly lastInteraction: number;
  /** The database and the command of the last record applied ('NULL' before one). */
  readonly dbIndex: number;
  readonly lastCommand: string;
  /** Closes the link (CLIENT KILL); the replica reconnects and resumes by partial sync. */
  kill(): void;
}

/** Replication as commands see it (implemented by src/replication/service.ts). */
export interface ReplicationService {
  /** Whether this server is a replica refusing writes (`replica-read-only`). */
  readonly readOnly: boolean;
  /** Whether this server is a replica. */
  readonly isReplica: boolean;
  /**
   * Why writes are refused now (`min-replicas-to-write` and the like:
   * `NOREPLICAS ...`), or null; scripts ask it before their first write.
   */
  writeRefusal?(): string | null;
  /**
   * REPLICAOF host port, or REPLICAOF NO ONE with `host` null.
   *
   * @returns 'already' when already replicating from that address
   */
  replicaOf(host: string | null, port: number, by: string): 'ok' | 'already';
  role(): RoleState;
  /**
   * One REPLCONF option from client `clientId`.
   *
   * @param fack the LSN after `FACK` following `ACK <lsn>`: durable on the replica's disk
   * @returns an error text, null for +OK, or 'silent' for no reply (ACK)
   */
  replconf(clientId: number, option: string, value: Buffer, fack?: Buffer): string | null | 'silent';
  /**
   * PSYNC from client `clientId`: a FlashCache replica's sync request when the
   * client declared `capa flashcache`, which takes the connection over.
   *
   * @returns an error text for the client, or null once the connection is the replica's stream
   */
  psync(clientId: number, argv: Buffer[]): string | null;
  /**
   * Calls `done` with how many replicas acknowledged `lsn`, once `count` did
   * or after `timeoutMs` (0: no limit).
   */
  waitAcks(lsn: number, count: number, timeoutMs: number, done: (acked: number) => void): void;
  /**
   * WAITAOF: calls `done` with whether `lsn` is on this server's disk (0/1)
   * and how many replicas have it on theirs, once `numlocal` (0 or 1) and
   * `count` are reached or after `timeoutMs` (0: no limit).
   */
  waitAof(
    lsn: number,
    numlocal: number,
    count: number,
    timeoutMs: number,
    done: (local: number, acked: number) => void,
  ): void;
  /** Replicas whose acknowledged LSN reached `lsn`, now: applied, or on their disk when `onDisk`. */
  countAcks(lsn: number, onDisk?: boolean): number;
  /** The connection to the primary while this replica's link is up, else null. */
  primaryClient(): PrimaryClient | null;
  /** The LSN of the last record logged (the client's last write is at or below it). */
  readonly lastLsn: number;
  /** The last LSN durable on this server's disk (WAITAOF's local count). */
  readonly syncedLsn: number;
}
