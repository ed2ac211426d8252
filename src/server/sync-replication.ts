/**
 * Synchronous replication (`min-replicas-sync`, beyond Redis; PostgreSQL's
 * `synchronous_standby_names` is the model): replies leave only once the WAL
 * records they may have observed are durable here *and* on disk on N
 * replicas, so a failover to the most advanced replica loses no acknowledged
 * write. ./release.ts asks {@link SyncGate.bound} for the LSN replies may
 * leave through; docs/REPLICATION.md, "Synchronous replication", describes
 * the policy.
 *
 * A reply that waited `min-replicas-sync-timeout` ms past its records'
 * local durability is let go by `min-replicas-sync-policy`: `refuse`
 * replaces the reply of each write among them with a -NOREPLICAS error (the
 * write is durable here, not on N replicas) and sends the rest; `degrade`
 * sends them as they are, logs a warning, and lets every reply go at local
 * durability until N replicas have caught up with the LSN where it gave up.
 */
import type { Config } from '../config/config.js';
import type { Logger } from './logger.js';

/** What the gate reads of replication. */
export interface SyncReplicas {
  /** Whether this server is a replica (the gate applies to a primary only). */
  readonly isReplica: boolean;
  /** The highest LSN at least `n` online replicas have on disk, or -1 when fewer than `n` are online. */
  durableOn(n: number): number;
}

/** What the gate does when replies time out. */
export interface SyncRelease {
  /**
   * Replies through `lsn` waited too long: with `refuse`, the replies of the
   * writes among them become `error`; then they are sent.
   */
  timedOut(lsn: number, error: Buffer | null): void;
}

/** The gate of one primary while `min-replicas-sync` is above 0. */
export class SyncGate {
  /** Replicas that must have a record on disk (`min-replicas-sync`). */
  n: number;
  /** `min-replicas-sync-timeout`, ms. */
  timeoutMs: number;
  /** `min-replicas-sync-policy`. */
  policy: 'refuse' | 'degrade';
  /** LSN through which replies were let go by the policy. */
  private forced = 0;
  /** In a `degrade` episode: replies leave at local durability. */
  private degraded = false;
  /** In a `refuse` episode (logged once). */
  private refusing = false;
  /** Local durable LSNs with the Unix ms they became durable, oldest first, while replicas lag. */
  private readonly stampLsn: number[] = [];
  private readonly stampAt: number[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    config: Config,
    private readonly replicas: SyncReplicas,
    private readonly release: SyncRelease,
    private readonly log: Logger,
  ) {
    this.n = config.get('min-replicas-sync');
    this.timeoutMs = config.get('min-replicas-sync-timeout');
    this.policy = config.get('min-replicas-sync-policy');
  }

  /** Whether a write's reply is sealed on its own, so that a timeout can replace it with an error. */
  get sealsWrites(): boolean {
    return this.policy === 'refuse';
  }

  /** The LSN replies may leave through, given `local`, the LSN the WAL made releasable. */
  bound(local: number): number {
    if (this.replicas.isReplica) return local;
    const onReplicas = this.replicas.durableOn(this.n);
    if (this.degraded) {
      if (onReplicas >= this.forced) {
        this.degraded = false;
        this.log.warn(
          { lsn: onReplicas, replicas: this.n },
          `${this.n} replica(s) caught up at LSN ${onReplicas}: replies wait for min-replicas-sync again`,
        );
      } else {
        this.forced = Math.max(this.forced, local);
      }
    } else if (this.refusing && onReplicas >= this.forced) {
      this.refusing = false;
      this.log.warn(
        { lsn: onReplicas },
        `${this.n} replica(s) caught up at LSN ${onReplicas}: writes acknowledged again`,
      );
    }
    const bound = Math.min(local, Math.max(onReplicas, this.forced));
    const k = this.stampLsn.length;
    if (local > bound && (k === 0 || this.stampLsn[k - 1]! < local)) {
      this.stampLsn.push(local);
      this.stampAt.push(Date.now());
      this.arm();
    }
    return bound;
  }

  /** Stops the timer (the setting went to 0, or shutdown). */
  close(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private arm(): void {
    if (this.timer !== null || this.stampAt.length === 0) return;
    const wait = Math.max(0, this.stampAt[0]! + this.timeoutMs - Date.now());
    this.timer = setTimeout(this.expire, wait);
    this.timer.unref();
  }

  /** The oldest stamps' time is up: the policy lets their replies go. */
  private readonly expire = (): void => {
    this.timer = null;
    const onReplicas = Math.max(this.replicas.durableOn(this.n), this.forced);
    const now = Date.now();
    let through = -1;
    let i = 0;
    while (i < this.stampLsn.length && (this.stampLsn[i]! <= onReplicas || this.stampAt[i]! + this.timeoutMs <= now)) {
      if (this.stampLsn[i]! > onReplicas) through = this.stampLsn[i]!;
      i++;
    }
    this.stampLsn.splice(0, i);
    this.stampAt.splice(0, i);
    if (through >= 0 && !this.replicas.isReplica) {
      this.forced = Math.max(this.forced, through);
      if (this.policy === 'degrade') {
        if (!this.degraded) {
          this.log.warn(
            { lsn: through, replicas: this.n, timeoutMs: this.timeoutMs },
            `fewer than ${this.n} replica(s) acknowledged LSN ${through} within ${this.timeoutMs} ms: ` +
              'replies no longer wait for replicas until they catch up (min-replicas-sync-policy degrade)',
          );
        }
        this.degraded = true;
        this.release.timedOut(through, null);
      } else {
        if (!this.refusing) {
          this.log.warn(
            { lsn: through, replicas: this.n, timeoutMs: this.timeoutMs },
            `fewer than ${this.n} replica(s) acknowledged LSN ${through} within ${this.timeoutMs} ms: ` +
              'answering the writes -NOREPLICAS (min-replicas-sync-policy refuse)',
          );
        }
        this.refusing = true;
        this.release.timedOut(through, Buffer.from(`-${syncTimeoutError(this.n)}\r\n`));
      }
    }
    this.arm();
  };
}

/** The error a write's reply becomes when its records reached too few replicas in time. */
export function syncTimeoutError(n: number): string {
  return (
    `NOREPLICAS Fewer than ${n} replica(s) wrote this write to disk within min-replicas-sync-timeout; ` +
    'it is durable on this primary only.'
  );
}

/**
 * Keeps `install` told of the gate the settings call for: a new one when
 * `min-replicas-sync` becomes positive, null when it becomes 0, and the
 * timeout and policy updated in place.
 */
export function followSyncReplication(
  config: Config,
  replicas: SyncReplicas,
  release: SyncRelease & { setSync(gate: SyncGate | null): void },
  log: Logger,
): void {
  let gate: SyncGate | null = null;
  const apply = (): void => {
    const n = config.get('min-replicas-sync');
    if (n === 0) {
      gate?.close();
      gate = null;
    } else if (gate === null) {
      gate = new SyncGate(config, replicas, release, log);
    } else {
      gate.n = n;
      gate.timeoutMs = config.get('min-replicas-sync-timeout');
      gate.policy = config.get('min-replicas-sync-policy');
    }
    release.setSync(gate);
  };
  apply();
  config.onChange('min-replicas-sync', apply);
  config.onChange('min-replicas-sync-timeout', apply);
  config.onChange('min-replicas-sync-policy', apply);
}
