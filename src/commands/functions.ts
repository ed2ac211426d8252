/**
 * FUNCTION: the part of Redis 7.0's function commands that means something
 * before scripting exists (functions.c): FLUSH (there is nothing to delete),
 * LIST (there are no libraries) and HELP. Redis's own test harness sends
 * FUNCTION FLUSH before every block of tests. The scripting work adds LOAD,
 * DELETE, DUMP, RESTORE, KILL and STATS here.
 *
 * Reference: https://redis.io/docs/latest/commands/function-list/
 */
import type { CommandContext, CommandSpec } from './context.js';
import { command, container } from './table.js';
import { isWord, replyHelp } from './util.js';

/** FUNCTION FLUSH [ASYNC | SYNC] */
function functionFlush(c: CommandContext, argv: Buffer[]): void {
  if (argv.length > 3) {
    const sub = argv[1]!.toString('latin1').slice(0, 128);
    return c.reply.error(`ERR unknown subcommand or wrong number of arguments for '${sub}'. Try FUNCTION HELP.`);
  }
  if (argv.length === 3 && !isWord(argv[2]!, 'SYNC') && !isWord(argv[2]!, 'ASYNC')) {
    return c.reply.error('ERR FUNCTION FLUSH only supports SYNC|ASYNC option');
  }
  c.reply.ok();
}

/** FUNCTION LIST [LIBRARYNAME pattern] [WITHCODE]: no libraries. */
function functionList(c: CommandContext, argv: Buffer[]): void {
  let withCode = false;
  let library = false;
  for (let i = 2; i < argv.length; i++) {
    if (!withCode && isWord(argv[i]!, 'WITHCODE')) {
      withCode = true;
      continue;
    }
    if (!library && isWord(argv[i]!, 'LIBRARYNAME')) {
      if (i >= argv.length - 1) return c.reply.error('ERR library name argument was not given');
      library = true;
      i++;
      continue;
    }
    return c.reply.error(`ERR Unknown argument ${argv[i]!.toString('latin1')}`);
  }
  c.reply.arrayLen(0);
}

function functionHelp(c: CommandContext): void {
  replyHelp(c, 'FUNCTION', [
    'LIST [LIBRARYNAME PATTERN] [WITHCODE]',
    '    Return general information on all the libraries:',
    '    * Library name',
    '    * The engine used to run the Library',
    '    * Library description',
    '    * Functions list',
    '    * Library code (if WITHCODE is given)',
    '    It also possible to get only function that matches a pattern using LIBRARYNAME argument.',
    'FLUSH [ASYNC|SYNC]',
    '    Delete all the libraries.',
    '    When called without the optional mode argument, the behavior is determined by the',
    '    lazyfree-lazy-user-flush configuration directive. Valid modes are:',
    '    * ASYNC: Asynchronously flush the libraries.',
    '    * SYNC: Synchronously flush the libraries.',
  ]);
}

/** The FUNCTION container's table entry. */
export const functionCommands: CommandSpec[] = [
  container('function', 'scripting', '7.0.0', 'A container for function commands', [
    command({
      name: 'function|flush',
      arity: -2,
      flags: ['write', 'noscript'],
      group: 'scripting',
      since: '7.0.0',
      complexity: 'O(N) where N is the number of functions deleted',
      summary: 'Deleting all functions',
      handler: functionFlush,
    }),
    command({
      name: 'function|help',
      arity: 2,
      flags: ['loading', 'stale'],
      group: 'scripting',
      since: '7.0.0',
      complexity: 'O(1)',
      summary: 'Show helpful text about the different subcommands',
      handler: functionHelp,
    }),
    command({
      name: 'function|list',
      arity: -2,
      flags: ['noscript'],
      group: 'scripting',
      since: '7.0.0',
      complexity: 'O(N) where N is the number of functions',
      summary: 'List information about all the functions',
      handler: functionList,
    }),
  ]),
];
