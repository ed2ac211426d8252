/**
 * Reply release: every reply leaves in LSN order, once the WAL records it may
 * have observed are durable under the current `appendfsync`
 * (docs/ARCHITECTURE.md, "One turn" and "Reply release"), and, while the WAL
 * cannot be written, reads that could see a change that is not durable wait
 * with it ("When the disk fails").
 *
 * Connections seal their replies with {@link ReplyRelease.replyTag} and
 * report themselves with {@link ReplyRelease.needsRelease}; after every read
 * of the turn, {@link ReplyRelease.endOfTurn} starts the WAL's group commit
 * and sends what waits for nothing; the WAL's releasable-LSN callback sends
 * the rest ({@link ReplyRelease.release}). With `min-replicas-sync`, the
 * LSN replies may leave through is also bounded by what N replicas have on
 * disk (./sync-replication.ts).
 */
import type { CommandSpec } from '../commands/context.js';
import { keyPositions, type CommandTable } from '../commands/table.js';
import { recordEffects } from '../persistence/wal/codec.js';
import type { Wal } from '../persistence/wal/writer.js';
import type { Client } from './client.js';
import type { Logger } from './logger.js';
import type { SyncGate, SyncRelease } from './sync-replication.js';

/** Keys a read could see that are not durable, while the WAL is failing. */
interface Taint {
  /** `db:hex(key)` of every key an undurable record writes. */
  keys: Set<string>;
  /** Databases an undurable record changes as a whole (FLUSHDB); -1 for all (FLUSHALL). */
  dbs: Set<number>;
}

/** The reply release of one server. */
export class ReplyRelease implements SyncRelease {
  /** Connections that sealed replies this turn. */
  private readonly pending = new Set<Client>();
  /** Connections with pieces waiting for a later LSN. */
  private readonly waiting = new Set<Client>();
  private turnScheduled = false;
  private taint: Taint | null = null;
  /** Synchronous replication's gate while `min-replicas-sync` is above 0, else null. */
  private sync: SyncGate | null = null;
  /** Whether each write's reply is sealed on its own (`min-replicas-sync` with policy `refuse`). */
  sealsWrites = false;

  /**
   * @param wal the log whose LSNs replies wait for
   * @param effects every command under its real name, to read the keys of logged effects
   * @param log where the WAL's failure and recovery are reported
   */
  constructor(
    private readonly wal: Wal,
    private readonly effects: CommandTable,
    private readonly log: Logger,
  ) {}

  /** The LSN a reply sealed now must wait for: the WAL's tail under `always`, else 0. */
  replyTag(): number {
    return this.wal.appendfsync === 'always' || this.sync !== null ? this.wal.lastLsn : 0;
  }

  /** Whether replies also wait for replicas (`min-replicas-sync` above 0). */
  get waitsForReplicas(): boolean {
    return this.sync !== null;
  }

  /** Installs (or with null, removes) synchronous replication's gate; replies it held may go. */
  setSync(gate: SyncGate | null): void {
    const had = this.sync;
    this.sync = gate;
    this.sealsWrites = gate?.sealsWrites ?? false;
    if (had !== null && gate === null) this.release(this.localReleasable());
  }

  /** A replica acknowledged: replies waiting for replicas may go. */
  acknowledged(): void {
    if (this.sync !== null && this.waiting.size > 0) this.release(this.wal.releasableLsn);
  }

  /** See SyncRelease.timedOut (./sync-replication.ts). */
  timedOut(lsn: number, error: Buffer | null): void {
    if (error !== null) for (const c of this.waiting) c.refuseWrites(lsn, error);
    this.release(this.wal.releasableLsn);
  }

  /** The LSN replies may leave through as far as the WAL is concerned. */
  private localReleasable(): number {
    return this.wal.appendfsync === 'always' ? this.wal.releasableLsn : Number.MAX_SAFE_INTEGER;
  }

  /** Marks `c` as having sealed replies this turn, and schedules the end of the turn. */
  needsRelease(c: Client): void {
    this.pending.add(c);
    if (!this.turnScheduled) {
      this.turnScheduled = true;
      setImmediate(this.endOfTurn);
    }
  }

  /**
   * After every read of this turn: start the group commit of what the turn
   * appended, then send the replies that wait for nothing.
   */
  private readonly endOfTurn = (): void => {
    this.turnScheduled = false;
    this.wal.flush();
    let releasable = this.localReleasable();
    if (this.sync !== null) releasable = this.sync.bound(Math.min(releasable, this.wal.releasableLsn));
    for (const c of this.pending) {
      if (c.release(releasable)) this.waiting.add(c);
    }
    this.pending.clear();
  };

  /** Sends every waiting reply tagged at or below `lsn` (the WAL made it releasable). */
  release(lsn: number): void {
    if (this.sync !== null && lsn !== Number.MAX_SAFE_INTEGER) lsn = this.sync.bound(lsn);
    for (const c of this.waiting) {
      if (!c.release(lsn)) this.waiting.delete(c);
    }
  }

  /** Forgets a closed connection. */
  forget(c: Client): void {
    this.pending.delete(c);
    this.waiting.delete(c);
  }

  /**
   * The WAL started failing (`err`) or works again (null). On failure, the
   * keys the undurable records write are computed once, from the records
   * themselves and the key specs of their effects.
   */
  walFailureChanged(err: NodeJS.ErrnoException | null): void {
    if (err === null) {
      this.taint = null;
      this.log.warn({ durableLsn: this.wal.releasableLsn }, 'WAL writes work again; accepting writes');
      return;
    }
    this.log.error(
      { err: err.message, code: err.code },
      'WAL write failed: refusing writes (MISCONF) and retrying every second',
    );
    const taint: Taint = { keys: new Set(), dbs: new Set() };
    this.wal.forEachUndurable((version, headerDb, payload) => {
      for (const { db, args } of recordEffects(version, headerDb, payload)) {
        const argv = args.map((a) => (typeof a === 'string' ? Buffer.from(a, 'latin1') : a));
        const spec = this.effects.lookup(argv);
        if (spec?.allDatabases === true) {
          taint.dbs.add(-1);
          continue;
        }
        if (spec?.wholeDbs !== undefined) {
          for (const d of spec.wholeDbs(argv)) taint.dbs.add(d);
          continue;
        }
        const positions = spec === undefined ? null : keyPositions(spec, argv);
        if (spec === undefined || positions === null || positions.length === 0) {
          taint.dbs.add(db);
          continue;
        }
        for (const i of positions) taint.keys.add(`${db}:${argv[i]!.toString('hex')}`);
        for (const k of spec.otherDbKeys?.(argv) ?? []) taint.keys.add(`${k.db}:${k.key.toString('hex')}`);
      }
    });
    this.taint = taint;
  }

  /**
   * While the WAL is failing: whether command `spec` of `c` could read a
   * change that is not durable (a key an undurable record writes, or a
   * database one changes as a whole; a read of no particular key, such as
   * KEYS or DBSIZE, whenever anything is undurable).
   */
  couldSeeUndurable(c: Client, spec: CommandSpec, argv: Buffer[]): boolean {
    const taint = this.taint;
    if (taint === null) return false;
    if (taint.dbs.has(-1) || taint.dbs.has(c.dbIndex)) return true;
    const positions = keyPositions(spec, argv);
    if (positions === null || positions.length === 0) return spec.flags.includes('readonly') && taint.keys.size > 0;
    for (const i of positions) if (taint.keys.has(`${c.dbIndex}:${argv[i]!.toString('hex')}`)) return true;
    return false;
  }
}
