/**
 * MONITOR, after Redis 7.0 (server.c `monitorCommand`, replication.c
 * `replicationFeedMonitors`): a connection in MONITOR mode receives a line
 * for every command any connection runs, once it has run:
 *
 *     +1733560000.123456 [0 127.0.0.1:50312] "set" "k" "v"
 *
 * Unix time with microseconds, the database the command left selected, the
 * client's address, and the arguments as `sdscatrepr` quotes them. What is
 * fed, as server.c `call()` feeds it: every command that runs, the commands
 * an EXEC runs (between the MULTI and the EXEC lines: queued commands are fed
 * when they run), not a command refused before it ran (except EXEC, whose
 * refusal ends the transaction), and never an `admin` command or one flagged
 * `skip_monitor`. Secrets are `(redacted)`: the table entry's `redact`
 * (AUTH's and HELLO AUTH's user and password).
 *
 * A line reaches a monitor as an out-of-band message (`Session.deliver`), in
 * order with its other replies, released with the WAL record of the command
 * it shows. A monitor with CLIENT REPLY OFF or SKIP gets none, as Redis adds
 * them as ordinary replies. A monitoring connection may not touch the
 * keyspace afterwards (src/server/dispatch.ts); RESET ends MONITOR mode.
 *
 * Reference: https://redis.io/docs/latest/commands/monitor/
 */
import type { CommandContext, CommandSpec, MonitorRegistry, Session } from './context.js';
import { command } from './table.js';

/** `c` in C's `isprint` (the C locale Redis runs its `sdscatrepr` in). */
function isPrint(c: number): boolean {
  return c >= 0x20 && c <= 0x7e;
}

/**
 * Appends `arg` quoted as Redis's `sdscatrepr` (sds.c) quotes it: between
 * double quotes, `\\` and `"` escaped, `\n \r \t \a \b` as such, any other
 * byte outside printable ASCII as `\xhh`.
 */
export function catRepr(out: string, arg: Uint8Array): string {
  out += '"';
  for (const c of arg) {
    if (c === 0x5c || c === 0x22) out += `\\${String.fromCharCode(c)}`;
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x09) out += '\\t';
    else if (c === 0x07) out += '\\a';
    else if (c === 0x08) out += '\\b';
    else if (isPrint(c)) out += String.fromCharCode(c);
    else out += `\\x${c.toString(16).padStart(2, '0')}`;
  }
  return `${out}"`;
}

const REDACTED = Buffer.from('(redacted)');

/** The connections in MONITOR mode of one server, in the order they started. */
export class Monitors implements MonitorRegistry {
  private readonly sessions = new Set<Session>();

  add(s: Session): void {
    this.sessions.add(s);
  }

  delete(s: Session): void {
    this.sessions.delete(s);
  }

  has(s: Session): boolean {
    return this.sessions.has(s);
  }

  get size(): number {
    return this.sessions.size;
  }

  /**
   * Feeds command `argv` of `c`, which has just run (or an EXEC refused), to
   * every monitor, unless `spec` is `admin` or `skip_monitor` (server.c `call`).
   *
   * @param force feed even an admin command (the EXEC of a refused transaction: multi.c `execCommandAbort`)
   * @param tag the WAL record the line waits for (see `Session.deliver`)
   */
  feed(c: CommandContext, spec: CommandSpec, argv: readonly Buffer[], tag: number, force = false): void {
    if (!force && (spec.flags.includes('admin') || spec.flags.includes('skip_monitor'))) return;
    const redacted = spec.redact?.(argv) ?? [];
    const us = Math.floor((performance.timeOrigin + performance.now()) * 1000);
    const sec = Math.floor(us / 1e6);
    let line = `+${sec}.${String(us - sec * 1e6).padStart(6, '0')} [${c.dbIndex} ${c.session.addr}] `;
    for (let j = 0; j < argv.length; j++) {
      if (j > 0) line += ' ';
      line = catRepr(line, redacted.includes(j) ? REDACTED : argv[j]!);
    }
    const bytes = Buffer.from(`${line}\r\n`, 'latin1');
    for (const s of this.sessions) {
      // An ordinary reply to the monitor: CLIENT REPLY OFF or SKIP drops it (networking.c prepareClientToWrite).
      if (s.replyOff || s.replySkip) continue;
      s.deliver((r) => r.raw(bytes), tag);
    }
  }
}

/**
 * MONITOR: puts the connection in MONITOR mode and replies +OK; a second
 * MONITOR is ignored without a reply, as Redis ignores it; refused inside
 * EXEC (`ERR MONITOR isn't allowed for DENY BLOCKING client`).
 */
function monitorCommand(c: CommandContext): void {
  if (!c.canBlock) return c.reply.error("ERR MONITOR isn't allowed for DENY BLOCKING client");
  const monitors = c.server.monitors;
  if (monitors.has(c.session)) return;
  monitors.add(c.session);
  c.reply.ok();
}

/** MONITOR's table entry (flags as redis-server 7.0's COMMAND INFO; COMMAND DOCS gives it no complexity). */
export const monitorCommands: CommandSpec[] = [
  command({
    name: 'monitor',
    arity: 1,
    flags: ['admin', 'noscript', 'loading', 'stale'],
    group: 'server',
    since: '1.0.0',
    complexity: '',
    summary: 'Listen for all requests received by the server in real time',
    handler: monitorCommand,
  }),
];
