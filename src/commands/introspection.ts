/**
 * COMMAND: what the command table says about itself (COUNT, LIST, INFO,
 * DOCS, GETKEYS, GETKEYSANDFLAGS), with the replies' shapes of redis-server
 * 7.0 (server.c `addReplyCommandInfo`, `addReplyCommandKeySpecs`,
 * `getKeysSubcommandImpl`). Key positions come from each command's key specs
 * (./table.ts).
 *
 * Reference: https://redis.io/docs/latest/commands/command/
 */
import type { CommandContext, CommandSpec, KeySpec } from './context.js';
import { aclCategories } from './acl-categories.js';
import { globMatch } from '../store/glob.js';
import { arityOk, container, keyPositions, subcommandsOf } from './table.js';
import { ERR, isWord, replyHelp } from './util.js';

/**
 * Command flags in the order redis-server lists them (server.c
 * `addReplyFlagsForCommand`); `may_replicate` and `sentinel` are hidden there
 * too.
 */
const FLAG_ORDER = [
  'write',
  'readonly',
  'denyoom',
  'admin',
  'pubsub',
  'noscript',
  'blocking',
  'loading',
  'stale',
  'skip_monitor',
  'skip_slowlog',
  'asking',
  'fast',
  'no_auth',
  'no_mandatory_keys',
  'no_async_loading',
  'no_multi',
  'movablekeys',
  'allow_busy',
] as const;

/** The flags COMMAND INFO shows for `spec`: its own, plus `movablekeys` when its keys move. */
function infoFlags(spec: CommandSpec): string[] {
  return FLAG_ORDER.filter((f) => (f === 'movablekeys' ? spec.movableKeys : spec.flags.includes(f)));
}

/**
 * Names as Redis's `addReplyCommandFlags` (server.c) replies them: a set of
 * simple strings (RESP2: an array). Command flags, ACL categories and
 * key-spec flags all take this shape.
 */
function replyFlagSet(c: CommandContext, names: readonly string[]): void {
  c.reply.setLen(names.length);
  for (const f of names) c.reply.simple(f);
}

/**
 * One key spec as COMMAND INFO shows it (server.c `addReplyCommandKeySpecs`):
 * a map of `notes`, `flags` (a set), `begin_search` and `find_keys` (maps of
 * `type` and a `spec` map); RESP2 writes every map as a flat array.
 */
function keySpecInfo(c: CommandContext, ks: KeySpec): void {
  const r = c.reply;
  r.mapLen(ks.notes !== undefined ? 4 : 3);
  if (ks.notes !== undefined) {
    r.bulkAscii('notes');
    r.bulkString(ks.notes);
  }
  r.bulkAscii('flags');
  replyFlagSet(c, ks.flags);
  r.bulkAscii('begin_search');
  r.mapLen(2);
  r.bulkAscii('type');
  const b = ks.begin;
  r.bulkAscii(b.type);
  r.bulkAscii('spec');
  if (b.type === 'unknown') {
    r.mapLen(0);
  } else if (b.type === 'index') {
    r.mapLen(1);
    r.bulkAscii('index');
    r.int(b.index);
  } else {
    r.mapLen(2);
    r.bulkAscii('keyword');
    r.bulkString(b.keyword);
    r.bulkAscii('startfrom');
    r.int(b.startFrom);
  }
  r.bulkAscii('find_keys');
  r.mapLen(2);
  r.bulkAscii('type');
  const f = ks.find;
  r.bulkAscii(f.type);
  r.bulkAscii('spec');
  if (f.type === 'unknown') return r.mapLen(0);
  r.mapLen(3);
  if (f.type === 'range') {
    r.bulkAscii('lastkey');
    r.int(f.lastKey);
    r.bulkAscii('keystep');
    r.int(f.step);
    r.bulkAscii('limit');
    r.int(f.limit);
  } else {
    r.bulkAscii('keynumidx');
    r.int(f.keyNumIdx);
    r.bulkAscii('firstkey');
    r.int(f.firstKey);
    r.bulkAscii('keystep');
    r.int(f.step);
  }
}

/**
 * One COMMAND INFO entry (server.c `addReplyCommandInfo`, Redis 7's shape):
 * an array of name, arity, flags (a set), first key, last key, step, ACL
 * categories (a set), tips (a set), key specs (a set of maps) and
 * subcommands (an array of entries like this one; an empty set when there
 * are none). RESP2 writes sets as arrays and maps as flat arrays.
 */
function commandInfo(c: CommandContext, spec: CommandSpec): void {
  const r = c.reply;
  r.arrayLen(10);
  r.bulkString(spec.name);
  r.int(spec.arity);
  replyFlagSet(c, infoFlags(spec));
  r.int(spec.firstKey);
  r.int(spec.lastKey);
  r.int(spec.keyStep);
  replyFlagSet(
    c,
    aclCategories(spec).map((cat) => `@${cat}`),
  );
  r.setLen(0);
  r.setLen(spec.keys.length);
  for (const ks of spec.keys) keySpecInfo(c, ks);
  if (!spec.subcommands) return r.setLen(0);
  r.arrayLen(spec.subcommands.size);
  for (const s of spec.subcommands.values()) commandInfo(c, s);
}

/**
 * COMMAND GETKEYS and GETKEYSANDFLAGS (server.c `getKeysSubcommandImpl`):
 * the keys of a full command line, found with its key specs, and with the
 * second, each key's key-spec flags.
 */
function getKeys(c: CommandContext, args: Buffer[], withFlags: boolean): void {
  const spec = c.server.commands.lookup(args);
  if (spec === undefined) return c.reply.error('ERR Invalid command specified');
  if (!spec.keys.some((k) => !k.flags.includes('not_key')))
    return c.reply.error('ERR The command has no key arguments');
  if (!arityOk(spec.arity, args.length)) return c.reply.error('ERR Invalid number of arguments specified for command');
  const positions = keyPositions(spec, args);
  // A command whose keys are optional (EVAL with numkeys 0) has none (server.c `getKeysSubcommandImpl`).
  if ((positions === null || positions.length === 0) && spec.flags.includes('no_mandatory_keys')) {
    return c.reply.arrayLen(0);
  }
  if (positions === null || positions.length === 0) return c.reply.error('ERR Invalid arguments specified for command');
  // A command whose own function found the keys gives their flags too (db.c `sortGetKeys`).
  const refs = spec.getKeys !== undefined && hasUnknownSpec(spec) ? spec.getKeys(args) : null;
  c.reply.arrayLen(positions.length);
  for (const [n, i] of positions.entries()) {
    if (!withFlags) {
      c.reply.bulk(args[i]!);
      continue;
    }
    c.reply.arrayLen(2);
    c.reply.bulk(args[i]!);
    if (refs !== null) {
      replyFlagSet(c, refs[n]?.flags ?? []);
      continue;
    }
    const ks = keySpecOf(spec, args, i);
    const flags =
      ks?.flags.includes('variable_flags') === true && spec.keyFlags ? spec.keyFlags(args) : (ks?.flags ?? []);
    replyFlagSet(c, flags);
  }
}

/** Whether one of the command's key specs is `unknown`, so that its keys function finds its keys. */
function hasUnknownSpec(spec: CommandSpec): boolean {
  return spec.keys.some((k) => k.begin.type === 'unknown' || k.find.type === 'unknown');
}

/** The key spec that found the key at argument `i` (specs are tried in order, as keyPositions walks them). */
function keySpecOf(spec: CommandSpec, args: Buffer[], i: number): KeySpec | undefined {
  for (const ks of spec.keys) {
    const one = { ...spec, keys: [ks] };
    if (keyPositions(one, args)?.includes(i)) return ks;
  }
  return undefined;
}

/**
 * One COMMAND DOCS entry (server.c `addReplyCommandDocs`): the name, then a
 * map of summary, since, group, complexity and, for a container, its
 * subcommands (a map of name to entry). RESP2 writes maps as flat arrays.
 */
function commandDocs(c: CommandContext, spec: CommandSpec): void {
  const r = c.reply;
  r.bulkString(spec.name);
  const subs = spec.subcommands;
  const complexity = spec.complexity !== '';
  r.mapLen(3 + (complexity ? 1 : 0) + (subs ? 1 : 0));
  r.bulkAscii('summary');
  r.bulkString(spec.summary);
  r.bulkAscii('since');
  r.bulkAscii(spec.since);
  r.bulkAscii('group');
  r.bulkAscii(spec.group);
  if (complexity) {
    r.bulkAscii('complexity');
    r.bulkString(spec.complexity);
  }
  if (subs) {
    r.bulkAscii('subcommands');
    r.mapLen(subs.size);
    for (const s of subs.values()) commandDocs(c, s);
  }
}

/** The command or subcommand named `name` (`config|get`), or undefined (server.c `lookupCommandBySds`). */
function lookupByFullName(c: CommandContext, name: Buffer): CommandSpec | undefined {
  const parts = name.toString('latin1').toLowerCase().split('|');
  if (parts.length > 2) return undefined;
  const spec = c.server.commands.get(parts[0]!);
  return parts.length === 1 ? spec : spec?.subcommands?.get(parts[1]!);
}

/** COMMAND: COMMAND INFO of every command. */
function commandAll(c: CommandContext): void {
  const all = c.server.commands.all();
  c.reply.arrayLen(all.length);
  for (const spec of all) commandInfo(c, spec);
}

/** COMMAND COUNT */
function commandCount(c: CommandContext): void {
  c.reply.int(c.server.commands.size);
}

/** COMMAND INFO [name ...]: every command when none is named; an unknown name is a null (RESP3: null). */
function commandInfoCommand(c: CommandContext, argv: Buffer[]): void {
  if (argv.length === 2) return commandAll(c);
  c.reply.arrayLen(argv.length - 2);
  for (let j = 2; j < argv.length; j++) {
    const spec = lookupByFullName(c, argv[j]!);
    if (spec === undefined) c.reply.nullBulk();
    else commandInfo(c, spec);
  }
}

/** COMMAND DOCS [name ...]: a map of name to docs, every command when none is named; unknown names skipped. */
function commandDocsCommand(c: CommandContext, argv: Buffer[]): void {
  const specs =
    argv.length === 2
      ? c.server.commands.all()
      : argv
          .slice(2)
          .map((a) => lookupByFullName(c, a))
          .filter((s): s is CommandSpec => s !== undefined);
  c.reply.mapLen(specs.length);
  for (const s of specs) commandDocs(c, s);
}

/** COMMAND GETKEYS command [arg ...] */
function commandGetkeys(c: CommandContext, argv: Buffer[]): void {
  getKeys(c, argv.slice(2), false);
}

/** COMMAND GETKEYSANDFLAGS command [arg ...] */
function commandGetkeysandflags(c: CommandContext, argv: Buffer[]): void {
  getKeys(c, argv.slice(2), true);
}

/**
 * COMMAND LIST [FILTERBY MODULE name | ACLCAT category | PATTERN pattern]:
 * full names of the commands and their subcommands that pass the filter
 * (server.c `commandListCommand`); there are no modules.
 */
function commandList(c: CommandContext, argv: Buffer[]): void {
  let filter: (spec: CommandSpec) => boolean = () => true;
  for (let i = 2; i < argv.length; i++) {
    if (!isWord(argv[i]!, 'FILTERBY') || argv.length - 1 - i !== 2) return c.reply.error(ERR.syntax);
    const arg = argv[i + 2]!;
    if (isWord(argv[i + 1]!, 'MODULE')) filter = () => false;
    else if (isWord(argv[i + 1]!, 'ACLCAT')) {
      const cat = arg.toString('latin1').toLowerCase();
      filter = (spec) => aclCategories(spec).includes(cat);
    } else if (isWord(argv[i + 1]!, 'PATTERN')) {
      const pattern = Buffer.from(arg.toString('latin1').toLowerCase(), 'latin1');
      filter = (spec) => globMatch(pattern, Buffer.from(spec.name, 'latin1'));
    } else return c.reply.error(ERR.syntax);
    i += 2;
  }
  const names: Buffer[] = [];
  for (const spec of c.server.commands.all()) {
    if (filter(spec)) names.push(Buffer.from(spec.name, 'latin1'));
    for (const sub of spec.subcommands?.values() ?? []) {
      if (filter(sub)) names.push(Buffer.from(sub.name, 'latin1'));
    }
  }
  c.reply.bulkArray(names);
}

function commandHelp(c: CommandContext): void {
  replyHelp(c, 'COMMAND', [
    '(no subcommand)',
    '    Return details about all Redis commands.',
    'COUNT',
    '    Return the total number of commands in this Redis server.',
    'LIST',
    '    Return a list of all commands in this Redis server.',
    'INFO [<command-name> ...]',
    '    Return details about multiple Redis commands.',
    '    If no command names are given, documentation details for all',
    '    commands are returned.',
    'DOCS [<command-name> ...]',
    '    Return documentation details about multiple Redis commands.',
    '    If no command names are given, documentation details for all',
    '    commands are returned.',
    'GETKEYS <full-command>',
    '    Return the keys from a full Redis command.',
    'GETKEYSANDFLAGS <full-command>',
    '    Return the keys and the access flags from a full Redis command.',
  ]);
}

const sub = subcommandsOf('command', 'server', ['loading', 'stale']);

/** The introspection commands' table entries: COMMAND and its subcommands. */
export const introspectionCommands: CommandSpec[] = [
  container(
    'command',
    'server',
    '2.8.13',
    'Get array of Redis command details',
    [
      sub('help', 2, '5.0.0', 'O(1)', 'Show helpful text about the different subcommands', commandHelp),
      sub(
        'info',
        -2,
        '2.8.13',
        'O(N) where N is the number of commands to look up',
        'Get array of specific Redis command details, or all when no argument is given.',
        commandInfoCommand,
      ),
      sub(
        'getkeysandflags',
        -4,
        '7.0.0',
        'O(N) where N is the number of arguments to the command',
        'Extract keys and access flags given a full Redis command',
        commandGetkeysandflags,
      ),
      sub(
        'docs',
        -2,
        '7.0.0',
        'O(N) where N is the number of commands to look up',
        'Get array of specific Redis command documentation',
        commandDocsCommand,
      ),
      sub(
        'getkeys',
        -4,
        '2.8.13',
        'O(N) where N is the number of arguments to the command',
        'Extract keys given a full Redis command',
        commandGetkeys,
      ),
      sub(
        'list',
        -2,
        '7.0.0',
        'O(N) where N is the total number of Redis commands',
        'Get an array of Redis command names',
        commandList,
      ),
      sub('count', 2, '2.8.13', 'O(1)', 'Get total number of Redis commands', commandCount),
    ],
    {
      arity: -1,
      flags: ['loading', 'stale'],
      complexity: 'O(N) where N is the total number of Redis commands',
      handler: commandAll,
    },
  ),
];
