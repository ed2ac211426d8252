/**
 * CLIENT PAUSE, after Redis 7.0's networking.c (`pauseClients`,
 * `unpauseClients`, `updateClientPauseTypeAndEndTime`) and server.c
 * `processCommand`: until the pause ends, a command it holds is not run; its
 * client waits (CLIENT LIST flag `b`, INFO `blocked_clients`) and keeps
 * reading, and when the pause ends the command goes through every gate of the
 * dispatcher again, from its lookup. `all` holds every command of every
 * client but monitors; `write` holds those that may write: the `write` and
 * `may_replicate` ones (PUBLISH), and an EXEC that queued one (server.c
 * `is_may_replicate_command`). While any pause lasts, the dataset stays as
 * it is: keys are not expired (a read still finds an expired key gone, as
 * Redis's `expireIfNeeded` answers) and nothing is evicted.
 *
 * Reference: https://redis.io/docs/latest/commands/client-pause/
 */
import type { ClientPause, CommandSpec, PauseMode } from '../commands/context.js';
import type { Monitors } from '../commands/monitor.js';
import type { Evictor } from '../store/eviction.js';
import type { Keyspace } from '../store/keyspace.js';
import type { Client } from './client.js';

/** Longest delay `setTimeout` takes (about 24.8 days); longer pauses re-arm. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Whether `spec` may write or replicate (server.c `is_may_replicate_command`). */
function mayReplicate(spec: CommandSpec): boolean {
  return spec.isWrite || spec.flags.includes('may_replicate');
}

/** The pause of one server and the clients whose command it holds. */
export class ClientPauses implements ClientPause {
  /** The pause in force, or null. */
  private mode: PauseMode | null = null;
  /** Unix ms when it ends. */
  private end = 0;
  private timer: NodeJS.Timeout | null = null;
  /** Clients whose command waits, in the order they were held. */
  private readonly held = new Set<Client>();
  /** An EXEC runs: its writes, which run even after it paused clients, expire keys as usual. */
  private inExec = false;

  constructor(
    private readonly keyspace: Keyspace,
    private readonly evictor: Evictor,
    private readonly monitors: Monitors,
  ) {}

  /** Whether a pause is in force: the dispatcher's cheap check before {@link holds}. */
  get active(): boolean {
    return this.mode !== null;
  }

  /** Clients whose command waits (INFO `blocked_clients` counts them). */
  get heldCount(): number {
    return this.held.size;
  }

  pause(end: number, mode: PauseMode): void {
    if (this.mode === null) {
      this.mode = mode;
      this.end = end;
    } else {
      if (mode === 'all') this.mode = 'all';
      this.end = Math.max(this.end, end);
    }
    this.update();
  }

  unpause(): void {
    this.mode = null;
    this.update();
  }

  /**
   * Whether the pause holds command `spec` of `c` (server.c
   * `processCommand`): every command under `all`, those that may write
   * under `write`; never a monitor's (Redis never pauses its replicas).
   */
  holds(c: Client, spec: CommandSpec): boolean {
    if (this.mode === null || this.monitors.has(c)) return false;
    if (this.mode === 'all') return true;
    if (mayReplicate(spec)) return true;
    return spec.name === 'exec' && c.multi !== null && c.multi.queue.some((q) => mayReplicate(q.spec));
  }

  /** Holds command `argv` of `c` until the pause ends (Redis's `blockPostponeClient`). */
  postpone(c: Client, argv: Buffer[]): void {
    c.postpone(argv);
    this.held.add(c);
  }

  /**
   * An EXEC starts or ends. A CLIENT PAUSE inside a transaction holds what
   * comes after it, not the transaction's own later commands (networking.c
   * `client_pause_in_transaction`); those writes find expired keys removed
   * (and logged) as any write does, where Redis would keep them.
   */
  execRunning(running: boolean): void {
    this.inExec = running;
    this.keyspace.expiryPaused = this.mode !== null && !running;
  }

  /** Forgets a closed client. */
  forget(c: Client): void {
    this.held.delete(c);
  }

  /**
   * Drops a pause whose end has passed, arms the timer for the end of the
   * one in force, keeps expiry and eviction still while one is, and lets the
   * held commands run once none is (`updateClientPauseTypeAndEndTime`).
   */
  private update(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (this.mode !== null && this.end < Date.now()) this.mode = null;
    const paused = this.mode !== null;
    this.keyspace.expiryPaused = paused && !this.inExec;
    this.evictor.paused = paused;
    if (paused) {
      this.timer = setTimeout(() => this.update(), Math.min(MAX_TIMER_MS, Math.max(0, this.end - Date.now() + 1)));
      this.timer.unref();
      return;
    }
    const held = [...this.held];
    this.held.clear();
    // In the order they were held; each may be held again by a pause one of them starts.
    for (const c of held) c.resumePostponed();
  }
}
