/**
 * Running one command for a connection, through the gates of Redis's
 * `processCommand` (server.c) in its order: unknown command, subcommand,
 * arity, NOAUTH, the WAL record size, MISCONF while the WAL cannot be
 * written, OOM at `maxmemory`, then the handler, then the clients blocked on
 * the keys it wrote (`handleClientsBlockedOnKeys`).
 */
import type { BlockingRegistry } from '../commands/blocking.js';
import type { CommandSpec, Stats } from '../commands/context.js';
import { arityOk, type CommandTable } from '../commands/table.js';
import type { Config } from '../config/config.js';
import { MAX_RECORD_PAYLOAD } from '../persistence/format.js';
import type { Wal } from '../persistence/wal/writer.js';
import { EvictResult, type Evictor } from '../store/eviction.js';
import type { Client } from './client.js';
import type { Logger } from './logger.js';
import type { ReplyRelease } from './release.js';

/** Redis's reply to a write that would grow memory past `maxmemory` (server.c `shared.oomerr`). */
export const OOM_ERROR = "OOM command not allowed when used memory > 'maxmemory'.";

/** Largest total argument size of a write: its effect must fit one WAL record, with room for framing. */
const MAX_EFFECT_BYTES = MAX_RECORD_PAYLOAD - 64 * 1024;

/** What the dispatcher runs commands against. */
export interface DispatchDeps {
  /** The commands clients call, after `rename-command`. */
  commands: CommandTable;
  stats: Stats;
  config: Config;
  wal: Wal;
  evictor: Evictor;
  blocking: BlockingRegistry;
  release: ReplyRelease;
  log: Logger;
  /** Continues eviction in the background once a command's own time ran out. */
  evictInBackground(): void;
}

/** Runs commands for connections. */
export class Dispatcher {
  constructor(private readonly d: DispatchDeps) {}

  /**
   * Runs one command for `c`. Replies go to `c.reply`; nothing is sent here.
   *
   * @param argv the command, name first; views into the read buffer
   */
  execute(c: Client, argv: Buffer[]): void {
    const d = this.d;
    const nameBuf = argv[0]!;
    let spec = c.sameCommand(nameBuf);
    if (spec === undefined) {
      spec = d.commands.get(nameBuf.latin1Slice(0, nameBuf.length));
      if (spec !== undefined) c.rememberCommand(nameBuf, spec);
    }
    if (spec === undefined) {
      d.stats.errorReplies++;
      this.replyError(c, unknownCommand(argv));
      return;
    }
    if (spec.subcommands !== undefined) {
      if (argv.length < 2) {
        this.replyError(c, `ERR wrong number of arguments for '${spec.name}' command`);
        return;
      }
      const sub = spec.subcommands.get(argv[1]!.toString('latin1').toLowerCase());
      if (sub === undefined) {
        const name = argv[1]!.toString('latin1').slice(0, 128);
        this.replyError(c, `ERR unknown subcommand '${name}'. Try ${spec.name.toUpperCase()} HELP.`);
        return;
      }
      spec = sub;
    }
    if (!arityOk(spec.arity, argv.length)) {
      d.stats.errorReplies++;
      this.replyError(c, `ERR wrong number of arguments for '${spec.name}' command`);
      return;
    }
    // Redis's processCommand: unknown command and arity errors come before NOAUTH.
    if (!c.authenticated && !spec.flags.includes('no_auth') && d.config.get('requirepass') !== '') {
      d.stats.errorReplies++;
      this.replyError(c, 'NOAUTH Authentication required.');
      return;
    }
    c.lastCommand = spec.name;
    d.stats.totalCommands++;
    if (spec.isWrite && argvBytes(argv) > MAX_EFFECT_BYTES) {
      d.stats.errorReplies++;
      this.replyError(c, `ERR command arguments exceed the ${MAX_EFFECT_BYTES} bytes one WAL record can hold`);
      return;
    }
    const failure = d.wal.failure;
    if (failure !== null) {
      this.executeWhileFailing(c, spec, argv, failure);
      return;
    }
    // maxmemory (Redis's processCommand): make room before a write that can
    // grow memory; refuse it when nothing more can be evicted.
    if (spec.isDenyOom && d.evictor.settings.maxmemory > 0) {
      const result = d.evictor.evict();
      if (result === EvictResult.Fail) {
        d.stats.errorReplies++;
        c.reply.error(OOM_ERROR);
        return;
      }
      if (result === EvictResult.Running) d.evictInBackground();
    }
    this.run(c, spec, argv);
    // Serve clients blocked on keys this write may have filled (Redis calls
    // handleClientsBlockedOnKeys after each command). Free while none is blocked.
    if (spec.isWrite && d.blocking.size > 0) d.blocking.afterWrite(c, spec, argv);
  }

  /**
   * Answers `c` with an error found before any data was read (unknown
   * command, wrong arity, NOAUTH, a protocol error). While the WAL fails the
   * reply is sealed on its own and released at once: sealed with the rest of
   * the read, it would carry the WAL's tail, which stays undurable until the
   * disk recovers, and hold every later reply of the connection with it.
   */
  replyError(c: Client, message: string): void {
    const { wal, release } = this.d;
    if (wal.failure === null) {
      c.reply.error(message);
      return;
    }
    c.seal(release.replyTag());
    c.reply.error(message);
    c.seal(wal.releasableLsn);
  }

  /** Runs a handler; a bug in one answers an error to that client and never takes the server down. */
  private run(c: Client, spec: CommandSpec, argv: Buffer[]): void {
    try {
      spec.handler(c, argv);
    } catch (err) {
      this.d.stats.errorReplies++;
      this.d.log.error({ err, command: spec.name }, 'command handler failed');
      c.reply.error(`ERR internal error in '${spec.name}': ${(err as Error).message}`);
    }
  }

  /**
   * While the WAL cannot be written: writes are refused with MISCONF; reads run
   * and are released at once unless they could see a change that is not yet
   * durable (then they wait with everything else).
   */
  private executeWhileFailing(c: Client, spec: CommandSpec, argv: Buffer[], failure: NodeJS.ErrnoException): void {
    const { wal, release } = this.d;
    c.seal(release.replyTag());
    if (spec.isWrite) {
      this.d.stats.errorReplies++;
      c.reply.error(misconfMessage(failure));
      c.seal(wal.releasableLsn);
      return;
    }
    this.run(c, spec, argv);
    c.seal(release.couldSeeUndurable(c, spec, argv) ? wal.lastLsn : wal.releasableLsn);
  }
}

/** Redis's MISCONF wording for a log that cannot be written (aof.c). */
function misconfMessage(err: NodeJS.ErrnoException): string {
  const what = err.code === 'ENOSPC' ? 'No space left on device' : err.message;
  return `MISCONF Errors writing to the AOF file: ${what}`;
}

/** Total bytes of a command's arguments. */
function argvBytes(argv: Buffer[]): number {
  let n = 0;
  for (const a of argv) n += a.length;
  return n;
}

/** Redis's reply to an unknown command (server.c, `processCommand`). */
function unknownCommand(argv: Buffer[]): string {
  let args = '';
  for (let i = 1; i < argv.length && args.length < 128; i++) {
    args += `'${argv[i]!.toString('latin1').slice(0, 128 - args.length)}' `;
  }
  return `ERR unknown command '${argv[0]!.toString('latin1').slice(0, 128)}', with args beginning with: ${args}`;
}
