/**
 * Clients blocked on keys (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH), after Redis's
 * blocking.c. The registry knows nothing of lists: a blocked command brings
 * its own {@link BlockedCommand.serve}, so other blocking families can use it.
 *
 * Life of a blocked client:
 * 1. its handler finds nothing to take and calls {@link BlockingRegistry.block}:
 *    the client stops running its further (pipelined) commands but keeps
 *    reading, so a disconnect is noticed and the client forgotten;
 * 2. after every write command, {@link BlockingRegistry.afterWrite} marks the
 *    written keys that have waiters as *ready*, then serves them: for each
 *    ready key, its waiters in the order they blocked (FIFO), until one finds
 *    nothing to take. A served command logs its effect and appends its reply;
 *    an effect that fills another waited key (BLMOVE's push) marks that key
 *    ready in turn, and the loop runs until no key is ready;
 * 3. each served client then runs its pending input (`CommandContext.unblock`),
 *    which seals the reply behind the WAL record of the served pop, so the
 *    reply is released only once that pop is durable;
 * 4. on timeout, the command appends its timeout reply and the client resumes.
 *
 * Nothing here runs during WAL replay: no client can be blocked then.
 *
 * Reference: https://redis.io/docs/latest/commands/blpop/ ("Blocking behavior")
 */
import { performance } from 'node:perf_hooks';
import type { BlockedCommand, Blocking, CommandContext, CommandSpec } from './context.js';
import { keyPositions } from './table.js';

interface Waiter {
  readonly client: CommandContext;
  readonly db: number;
  readonly cmd: BlockedCommand;
  /** Registry ids of the keys waited on, deduplicated. */
  readonly ids: string[];
  timer: NodeJS.Timeout | null;
}

interface ReadyKey {
  db: number;
  key: Buffer;
  id: string;
}

/** Longest delay `setTimeout` takes (about 24.8 days); longer timeouts re-arm. */
const MAX_TIMER_MS = 2 ** 31 - 1;

function keyId(db: number, key: Uint8Array): string {
  return `${db}:${Buffer.from(key.buffer, key.byteOffset, key.length).latin1Slice(0, key.length)}`;
}

/** The clients blocked on keys of one server. */
export class BlockingRegistry implements Blocking {
  /** Waiters of each key, in the order they blocked (a Set iterates in insertion order). */
  private readonly byKey = new Map<string, Set<Waiter>>();
  private readonly byClient = new Map<CommandContext, Waiter>();
  /** The same waiters by CLIENT ID (CLIENT UNBLOCK). */
  private readonly byId = new Map<number, Waiter>();
  private ready: ReadyKey[] = [];
  private readonly readyIds = new Set<string>();
  /** Served or timed-out clients whose pending input still has to run. */
  private resume: CommandContext[] = [];
  private handling = false;

  /**
   * @param onServeError reports a blocked command whose `serve` threw (the
   *   client gets an error reply and resumes; the server goes on)
   * @param onServed a blocked command got its reply from a write, in `ms`,
   *   with `errors` error replies (XREADGROUP's NOGROUP, BLMOVE's WRONGTYPE),
   *   or was ended by CLIENT UNBLOCK ... ERROR (blocked.c
   *   `updateStatsOnUnblock`; not on a timeout, as in Redis 7.0)
   */
  constructor(
    private readonly onServeError: (err: unknown, c: CommandContext) => void,
    private readonly onServed: (c: CommandContext, ms: number, errors: number) => void = () => {},
  ) {}

  /** Number of blocked clients (INFO `blocked_clients`). */
  get size(): number {
    return this.byClient.size;
  }

  *waiting(): Iterable<readonly [number, readonly Buffer[]]> {
    for (const [c, w] of this.byClient) yield [c.session.id, w.cmd.keys] as const;
  }

  /** Whether `c` is blocked on keys. */
  has(c: CommandContext): boolean {
    return this.byClient.has(c);
  }

  /**
   * Blocks `c` (which has not replied to the command) on `cmd.keys` in its
   * selected database, until a write lets `cmd.serve` succeed or the deadline
   * passes.
   */
  block(c: CommandContext, cmd: BlockedCommand): void {
    const w: Waiter = { client: c, db: c.dbIndex, cmd, ids: [], timer: null };
    for (const key of cmd.keys) {
      const id = keyId(w.db, key);
      let set = this.byKey.get(id);
      if (set === undefined) this.byKey.set(id, (set = new Set()));
      if (set.has(w)) continue; // BLPOP k k 0 waits once
      set.add(w);
      w.ids.push(id);
    }
    this.byClient.set(c, w);
    this.byId.set(c.session.id, w);
    c.block(false);
    if (cmd.deadline > 0) this.arm(w);
  }

  private arm(w: Waiter): void {
    const delay = Math.max(0, w.cmd.deadline - Date.now());
    w.timer = setTimeout(
      () => {
        w.timer = null;
        if (this.byClient.get(w.client) !== w) return;
        if (Date.now() < w.cmd.deadline) return this.arm(w);
        this.timeout(w);
      },
      Math.min(delay, MAX_TIMER_MS),
    );
    w.timer.unref();
  }

  private timeout(w: Waiter): void {
    this.remove(w);
    w.cmd.timedOut();
    w.client.unblock();
  }

  /** Forgets `c` if it is blocked (it disconnected). */
  forget(c: CommandContext): void {
    const w = this.byClient.get(c);
    if (w !== undefined) this.remove(w);
  }

  /**
   * CLIENT UNBLOCK (networking.c `clientCommand`): ends the wait of client
   * `id` with its command's timeout reply, or with `error` as an error reply;
   * it runs its pending input after the current command, as Redis runs
   * unblocked clients before it sleeps.
   *
   * @returns false when no client with that id waits here
   */
  unblock(id: number, error: string | null): boolean {
    const w = this.byId.get(id);
    if (w === undefined) return false;
    this.remove(w);
    if (error === null) w.cmd.timedOut();
    else {
      w.client.reply.error(error);
      this.onServed(w.client, 0, 1);
    }
    setImmediate(() => w.client.unblock());
    return true;
  }

  private remove(w: Waiter): void {
    this.byClient.delete(w.client);
    this.byId.delete(w.client.session.id);
    for (const id of w.ids) {
      const set = this.byKey.get(id);
      if (set === undefined) continue;
      set.delete(w);
      if (set.size === 0) this.byKey.delete(id);
    }
    if (w.timer !== null) clearTimeout(w.timer);
    w.timer = null;
  }

  /**
   * Marks `key` of database `db` as possibly filled, if a client waits on it
   * (Redis's `signalKeyAsReady`). Served at the next {@link handleReady}.
   */
  signal(db: number, key: Uint8Array): void {
    const id = keyId(db, key);
    if (!this.byKey.has(id) || this.readyIds.has(id)) return;
    this.readyIds.add(id);
    this.ready.push({ db, key: Buffer.from(key), id });
  }

  signalDb(db: number): void {
    const prefix = `${db}:`;
    for (const id of this.byKey.keys()) {
      if (id.startsWith(prefix)) this.signal(db, Buffer.from(id.slice(prefix.length), 'latin1'));
    }
  }

  /**
   * After write command `spec` of `c` ran: signals every key it names (its
   * key specs, plus the keys it writes in other databases: MOVE's, COPY ...
   * DB's), then serves the ready keys. Only called while some client is blocked.
   */
  afterWrite(c: CommandContext, spec: CommandSpec, argv: Buffer[]): void {
    this.signalWrite(c, spec, argv);
    this.handleReady();
  }

  /**
   * Signals every key write command `spec` of `c` names, without serving
   * them yet (a transaction's commands: the waiters are served after EXEC).
   */
  signalWrite(c: CommandContext, spec: CommandSpec, argv: Buffer[]): void {
    for (const i of keyPositions(spec, argv) ?? []) this.signal(c.dbIndex, argv[i]!);
    if (spec.otherDbKeys !== undefined) for (const k of spec.otherDbKeys(argv)) this.signal(k.db, k.key);
  }

  /**
   * Serves the waiters of every ready key (Redis's
   * `handleClientsBlockedOnKeys`), then lets the served clients run their
   * pending input; repeats while that input or a served BLMOVE readied more
   * keys. Re-entrant calls (from a resumed client's commands) return at
   * once: the outer loop picks up what they readied.
   */
  handleReady(): void {
    if (this.handling || (this.ready.length === 0 && this.resume.length === 0)) return;
    this.handling = true;
    try {
      while (this.ready.length > 0 || this.resume.length > 0) {
        const batch = this.ready;
        this.ready = [];
        this.readyIds.clear();
        for (const r of batch) this.serveKey(r);
        const resume = this.resume;
        this.resume = [];
        for (const c of resume) c.unblock();
      }
    } finally {
      this.handling = false;
    }
  }

  /** Serves the clients waiting on one ready key, first blocked first, while each finds something to take. */
  private serveKey(r: ReadyKey): void {
    const set = this.byKey.get(r.id);
    if (set === undefined) return;
    // Only the clients waiting now: one that blocks meanwhile waits for the next signal.
    for (const w of [...set]) {
      if (this.byClient.get(w.client) !== w) continue;
      let done: boolean;
      const errors = w.client.reply.errors;
      const start = performance.now();
      try {
        done = w.cmd.serve(r.key);
      } catch (err) {
        this.onServeError(err, w.client);
        w.client.reply.error(`ERR internal error serving a blocked command: ${(err as Error).message}`);
        done = true;
      }
      if (!done) break;
      this.onServed(w.client, performance.now() - start, w.client.reply.errors - errors);
      this.remove(w);
      this.resume.push(w.client);
    }
  }
}
