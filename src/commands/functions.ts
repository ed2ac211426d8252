/**
 * FUNCTION and FCALL, after Redis 7.0's functions.c: libraries of Lua
 * functions (./scripting/library.ts), kept durably in the data directory,
 * called by FCALL and FCALL_RO like scripts (./scripting/engine.ts).
 *
 * Reference: https://redis.io/docs/latest/develop/interact/programmability/functions-intro/
 */
import { resolve } from 'node:path';
import type { CommandContext, CommandSpec } from './context.js';
import { lua } from './scripting/api.js';
import { runLua, scriptingOf } from './scripting/engine.js';
import { scriptKeys } from './scripting/eval.js';
import { Functions, readFunctionsFile, saveFunctionsFile } from './scripting/library.js';
import { command, container } from './table.js';
import { isWord, replyHelp } from './util.js';
import { globMatch } from '../store/glob.js';

/** The libraries of `c`'s keyspace, read from the data directory the first time. */
function functionsOf(c: CommandContext): Functions {
  const st = scriptingOf(c);
  if (st.functions instanceof Functions) return st.functions;
  const fns = new Functions();
  st.functions = fns;
  const payload = readFunctionsFile(resolve(c.server.config.get('dir')));
  if (payload !== null) {
    const codes = Functions.parse(payload);
    if (Array.isArray(codes)) for (const code of codes) fns.load(code, true);
  }
  return fns;
}

/**
 * Makes a change to the libraries durable: rewrites the data directory's
 * functions file, then logs the whole set as an effect for replicas. WAL
 * replay skips it (the file is newer than any logged set).
 */
function persist(c: CommandContext, fns: Functions): void {
  const payload = fns.dump();
  saveFunctionsFile(resolve(c.server.config.get('dir')), payload);
  c.server.propagate(c.dbIndex, ['FUNCTION', 'RESTORE', payload, 'FLUSH']);
}

/** FUNCTION LOAD [REPLACE] code */
function functionLoad(c: CommandContext, argv: Buffer[]): void {
  if (c.server.replaying) return c.reply.ok();
  let replace = false;
  let i = 2;
  while (i < argv.length - 1) {
    const arg = argv[i++]!;
    if (isWord(arg, 'REPLACE')) {
      replace = true;
      continue;
    }
    return c.reply.error(`ERR Unknown option given: ${arg.toString('latin1')}`);
  }
  if (i >= argv.length) return c.reply.error('ERR Function code is missing');
  const fns = functionsOf(c);
  const result = fns.load(argv[i]!, replace);
  if (typeof result !== 'string') return c.reply.error(`ERR ${result.error}`);
  persist(c, fns);
  c.reply.bulkString(result);
}

/** FUNCTION DELETE library-name */
function functionDelete(c: CommandContext, argv: Buffer[]): void {
  if (c.server.replaying) return c.reply.ok();
  const fns = functionsOf(c);
  const lib = fns.libraries.get(argv[2]!.toString('latin1'));
  if (lib === undefined) return c.reply.error('ERR Library not found');
  fns.unlink(lib);
  persist(c, fns);
  c.reply.ok();
}

/** FUNCTION FLUSH [ASYNC | SYNC] */
function functionFlush(c: CommandContext, argv: Buffer[]): void {
  if (argv.length > 3) {
    const sub = argv[1]!.toString('latin1').slice(0, 128);
    return c.reply.error(`ERR unknown subcommand or wrong number of arguments for '${sub}'. Try FUNCTION HELP.`);
  }
  if (argv.length === 3 && !isWord(argv[2]!, 'SYNC') && !isWord(argv[2]!, 'ASYNC')) {
    return c.reply.error('ERR FUNCTION FLUSH only supports SYNC|ASYNC option');
  }
  if (c.server.replaying) return c.reply.ok();
  const fns = functionsOf(c);
  fns.flush();
  persist(c, fns);
  c.reply.ok();
}

/** FUNCTION RESTORE payload [FLUSH | APPEND | REPLACE] */
function functionRestore(c: CommandContext, argv: Buffer[]): void {
  if (argv.length > 4) {
    const sub = argv[1]!.toString('latin1').slice(0, 128);
    return c.reply.error(`ERR unknown subcommand or wrong number of arguments for '${sub}'. Try FUNCTION HELP.`);
  }
  let policy = 'APPEND';
  if (argv.length === 4) {
    policy = argv[3]!.toString('latin1').toUpperCase();
    if (policy !== 'APPEND' && policy !== 'REPLACE' && policy !== 'FLUSH') {
      return c.reply.error('ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.');
    }
  }
  if (c.server.replaying) return c.reply.ok();
  const codes = Functions.parse(argv[2]!);
  if (typeof codes === 'string') return c.reply.error(`ERR ${codes}`);
  // The payload's libraries load into a scratch set first: nothing changes when one fails.
  const scratch = new Functions();
  for (const code of codes) {
    const r = scratch.load(code, false);
    if (typeof r !== 'string') return c.reply.error(`ERR ${r.error}`);
  }
  const fns = functionsOf(c);
  if (policy === 'FLUSH') fns.flush();
  else {
    for (const lib of scratch.libraries.values()) {
      const old = fns.libraries.get(lib.name);
      if (old !== undefined && policy === 'APPEND') return c.reply.error(`ERR Library ${lib.name} already exists`);
      for (const [key, f] of lib.functions) {
        const other = fns.functions.get(key);
        if (other !== undefined && other.library.name !== lib.name) {
          return c.reply.error(`ERR Function ${f.name} already exists`);
        }
      }
    }
  }
  for (const lib of scratch.libraries.values()) fns.load(lib.code, true);
  persist(c, fns);
  c.reply.ok();
}

/** FUNCTION DUMP */
function functionDump(c: CommandContext): void {
  c.reply.bulk(functionsOf(c).dump());
}

/** ASCII lower case (the pattern matches library names without case, as Redis's `stringmatchlen(..., 1)`). */
function lower(b: Buffer): Buffer {
  return Buffer.from(b.toString('latin1').toLowerCase(), 'latin1');
}

/** FUNCTION LIST [LIBRARYNAME pattern] [WITHCODE] */
function functionList(c: CommandContext, argv: Buffer[]): void {
  let withCode = false;
  let pattern: Buffer | null = null;
  for (let i = 2; i < argv.length; i++) {
    if (!withCode && isWord(argv[i]!, 'WITHCODE')) {
      withCode = true;
      continue;
    }
    if (pattern === null && isWord(argv[i]!, 'LIBRARYNAME')) {
      if (i >= argv.length - 1) return c.reply.error('ERR library name argument was not given');
      pattern = argv[++i]!;
      continue;
    }
    return c.reply.error(`ERR Unknown argument ${argv[i]!.toString('latin1')}`);
  }
  const libs = [...functionsOf(c).libraries.values()].filter(
    (l) => pattern === null || globMatch(lower(pattern), Buffer.from(l.name.toLowerCase(), 'latin1')),
  );
  const r = c.reply;
  r.arrayLen(libs.length);
  for (const lib of libs) {
    r.mapLen(withCode ? 4 : 3);
    r.bulkString('library_name');
    r.bulkString(lib.name);
    r.bulkString('engine');
    r.bulkString('LUA');
    r.bulkString('functions');
    r.arrayLen(lib.functions.size);
    for (const f of lib.functions.values()) {
      r.mapLen(3);
      r.bulkString('name');
      r.bulkString(f.name);
      r.bulkString('description');
      if (f.desc === null) r.nullBulk();
      else r.bulk(f.desc);
      r.bulkString('flags');
      const names = (['no-writes', 'allow-oom', 'allow-stale', 'no-cluster', 'allow-cross-slot-keys'] as const).filter(
        (_, i) => (f.flags & (1 << i)) !== 0,
      );
      r.setLen(names.length);
      for (const n of names) r.simple(n);
    }
    if (withCode) {
      r.bulkString('library_code');
      r.bulk(lib.code);
    }
  }
}

/** FUNCTION STATS: no function is ever running when it is read (docs/ARCHITECTURE.md, "Scripting"). */
function functionStats(c: CommandContext): void {
  const fns = functionsOf(c);
  const r = c.reply;
  r.mapLen(2);
  r.bulkString('running_script');
  r.nullBulk();
  r.bulkString('engines');
  r.mapLen(1);
  r.bulkString('LUA');
  r.mapLen(2);
  r.bulkString('libraries_count');
  r.int(fns.libraries.size);
  r.bulkString('functions_count');
  r.int(fns.functions.size);
}

/** FUNCTION KILL: see SCRIPT KILL (./scripting/eval.ts). */
function functionKill(c: CommandContext): void {
  c.reply.error('NOTBUSY No scripts in execution right now.');
}

/** FCALL and FCALL_RO (functions.c `fcallCommandGeneric`). */
function fcall(c: CommandContext, argv: Buffer[], ro: boolean): void {
  const fns = functionsOf(c);
  const f = fns.functions.get(argv[1]!.toString('latin1').toLowerCase());
  if (f === undefined) return c.reply.error('ERR Function not found');
  const s = argv[2]!.toString('latin1');
  if (!/^-?\d+$/.test(s) || !Number.isSafeInteger(Number(s))) return c.reply.error('ERR Bad number of keys provided');
  const numkeys = Number(s);
  if (numkeys > argv.length - 3) return c.reply.error("ERR Number of keys can't be greater than number of args");
  if (numkeys < 0) return c.reply.error("ERR Number of keys can't be negative");
  const L = fns.vm.L;
  lua.lua_settop(L, 0);
  lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, f.ref);
  runLua(c, scriptingOf(c), fns.vm, {
    name: f.name,
    flags: f.flags,
    ro,
    isFunction: true,
    keys: argv.slice(3, 3 + numkeys),
    args: argv.slice(3 + numkeys),
  });
}

function functionHelp(c: CommandContext): void {
  replyHelp(c, 'FUNCTION', [
    'LOAD [REPLACE] <FUNCTION CODE>',
    '    Create a new library with the given library name and code.',
    'DELETE <LIBRARY NAME>',
    '    Delete the given library.',
    'LIST [LIBRARYNAME PATTERN] [WITHCODE]',
    '    Return general information on all the libraries:',
    '    * Library name',
    '    * The engine used to run the Library',
    '    * Library description',
    '    * Functions list',
    '    * Library code (if WITHCODE is given)',
    '    It also possible to get only function that matches a pattern using LIBRARYNAME argument.',
    'STATS',
    '    Return information about the current function running:',
    '    * Function name',
    '    * Command used to run the function',
    '    * Duration in MS that the function is running',
    '    If no function is running, return nil',
    '    In addition, returns a list of available engines.',
    'KILL',
    '    Kill the current running function.',
    'FLUSH [ASYNC|SYNC]',
    '    Delete all the libraries.',
    '    When called without the optional mode argument, the behavior is determined by the',
    '    lazyfree-lazy-user-flush configuration directive. Valid modes are:',
    '    * ASYNC: Asynchronously flush the libraries.',
    '    * SYNC: Synchronously flush the libraries.',
    'DUMP',
    '    Return a serialized payload representing the current libraries, ' +
      'can be restored using FUNCTION RESTORE command',
    'RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]',
    '    Restore the libraries represented by the given payload, it is possible to give a restore policy to',
    '    control how to handle existing libraries (default APPEND):',
    '    * FLUSH: delete all existing libraries.',
    '    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.',
    '    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old',
    '      libraries with the new libraries (notice that even on this option there is a chance of failure',
    '      in case of functions name collision with another library).',
  ]);
}

/** A FUNCTION subcommand's table entry. */
function sub(
  name: string,
  arity: number,
  flags: CommandSpec['flags'],
  complexity: string,
  summary: string,
  handler: CommandSpec['handler'],
): CommandSpec {
  return command({
    name: `function|${name}`,
    arity,
    flags,
    group: 'scripting',
    since: '7.0.0',
    complexity,
    summary,
    handler,
  });
}

/** FUNCTION's and FCALL's table entries (flags as redis-server 7.0's COMMAND INFO). */
export const functionCommands: CommandSpec[] = [
  container('function', 'scripting', '7.0.0', 'A container for function commands', [
    sub('delete', 3, ['noscript', 'write'], 'O(1)', 'Delete a function by name', functionDelete),
    sub(
      'dump',
      2,
      ['noscript'],
      'O(N) where N is the number of functions',
      'Dump all functions into a serialized binary payload',
      functionDump,
    ),
    sub(
      'flush',
      -2,
      ['write', 'noscript'],
      'O(N) where N is the number of functions deleted',
      'Deleting all functions',
      functionFlush,
    ),
    sub('help', 2, ['loading', 'stale'], 'O(1)', 'Show helpful text about the different subcommands', functionHelp),
    sub('kill', 2, ['noscript', 'allow_busy'], 'O(1)', 'Kill the function currently in execution.', functionKill),
    sub(
      'list',
      -2,
      ['noscript'],
      'O(N) where N is the number of functions',
      'List information about all the functions',
      functionList,
    ),
    sub(
      'load',
      -3,
      ['noscript', 'write', 'denyoom'],
      'O(1) (considering compilation time is redundant)',
      'Create a function with the given arguments (name, code, description)',
      functionLoad,
    ),
    sub(
      'restore',
      -3,
      ['noscript', 'write', 'denyoom'],
      'O(N) where N is the number of functions on the payload',
      'Restore all the functions on the given payload',
      functionRestore,
    ),
    sub(
      'stats',
      2,
      ['noscript', 'allow_busy'],
      'O(1)',
      'Return information about the function currently running (name, description, duration)',
      functionStats,
    ),
  ]),
  command({
    name: 'fcall',
    arity: -3,
    flags: ['noscript', 'skip_monitor', 'may_replicate', 'no_mandatory_keys', 'stale'],
    keys: scriptKeys(false, true),
    group: 'scripting',
    since: '7.0.0',
    complexity: 'Depends on the function that is executed.',
    summary: 'Invoke a function',
    handler: (c, argv) => fcall(c, argv, false),
  }),
  command({
    name: 'fcall_ro',
    arity: -3,
    flags: ['noscript', 'skip_monitor', 'no_mandatory_keys', 'stale', 'readonly'],
    keys: scriptKeys(true, true),
    group: 'scripting',
    since: '7.0.0',
    complexity: 'Depends on the function that is executed.',
    summary: 'Invoke a read-only function',
    handler: (c, argv) => fcall(c, argv, true),
  }),
];
