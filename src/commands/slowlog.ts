/**
 * SLOWLOG GET [count] | LEN | RESET | HELP: the commands that ran longer
 * than `slowlog-log-slower-than` microseconds, newest first, as Redis 7.0's
 * slowlog.c replies them. What is logged, and how arguments are trimmed, is
 * ./monitoring.ts (`SlowLog`); the dispatcher times every command
 * (src/server/timing.ts).
 *
 * Reference: https://redis.io/docs/latest/commands/slowlog/
 */
import type { CommandContext, CommandSpec } from './context.js';
import { container, subcommandsOf } from './table.js';
import { INT64_MAX, rangeLongOrReply, replyHelp } from './util.js';

/** SLOWLOG GET [count]: count 10 by default, -1 for every entry. */
function slowlogGet(c: CommandContext, argv: Buffer[]): void {
  let count = 10;
  if (argv.length > 3) {
    const sub = argv[1]!.toString('latin1').slice(0, 128);
    return c.reply.error(`ERR unknown subcommand or wrong number of arguments for '${sub}'. Try SLOWLOG HELP.`);
  }
  if (argv.length === 3) {
    const n = rangeLongOrReply(c, argv[2]!, -1n, INT64_MAX, 'count should be greater than or equal to -1');
    if (n === null) return;
    count = n === -1 ? c.server.slowlog.length : n;
  }
  const entries = c.server.slowlog.newest(count);
  const r = c.reply;
  r.arrayLen(entries.length);
  for (const e of entries) {
    r.arrayLen(6);
    r.int(e.id);
    r.int(e.time);
    r.int(e.duration);
    r.bulkArray(e.argv);
    r.bulkString(e.addr);
    r.bulkString(e.name);
  }
}

function slowlogLen(c: CommandContext): void {
  c.reply.int(c.server.slowlog.length);
}

function slowlogReset(c: CommandContext): void {
  c.server.slowlog.reset();
  c.reply.ok();
}

function slowlogHelp(c: CommandContext): void {
  replyHelp(c, 'SLOWLOG', [
    'GET [<count>]',
    '    Return top <count> entries from the slowlog (default: 10, -1 mean all).',
    '    Entries are made of:',
    '    id, timestamp, time in microseconds, arguments array, client IP and port,',
    '    client name',
    'LEN',
    '    Return the length of the slowlog.',
    'RESET',
    '    Reset the slowlog.',
  ]);
}

const ADMIN: CommandSpec['flags'] = ['admin', 'loading', 'stale'];
const sub = subcommandsOf('slowlog', 'server', ADMIN);

/** The SLOWLOG container's table entry. */
export const slowlogCommands: CommandSpec[] = [
  container('slowlog', 'server', '2.2.12', 'A container for slow log commands', [
    sub('help', 2, '6.2.0', 'O(1)', 'Show helpful text about the different subcommands', slowlogHelp, [
      'loading',
      'stale',
    ]),
    sub(
      'get',
      -2,
      '2.2.12',
      'O(N) where N is the number of entries returned',
      "Get the slow log's entries",
      slowlogGet,
    ),
    sub('len', 2, '2.2.12', 'O(1)', "Get the slow log's length", slowlogLen),
    sub(
      'reset',
      2,
      '2.2.12',
      'O(N) where N is the number of entries in the slowlog',
      'Clear all entries from the slow log',
      slowlogReset,
    ),
  ]),
];
