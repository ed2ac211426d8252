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
import { arityOk, command, keyPositions } from './table.js';
import { replyHelp, word } from './util.js';

/** ACL categories COMMAND reports, derived from the table entry. */
function aclCategories(spec: CommandSpec): string[] {
  const cats: string[] = [];
  if (spec.flags.includes('write')) cats.push('@write');
  if (spec.flags.includes('readonly')) cats.push('@read');
  const CATEGORY: Partial<Record<CommandSpec['group'], string>> = { generic: 'keyspace', transactions: 'transaction' };
  const group = CATEGORY[spec.group] ?? spec.group;
  cats.push(`@${group}`);
  cats.push(spec.flags.includes('fast') ? '@fast' : '@slow');
  if (spec.flags.includes('admin')) cats.push('@admin', '@dangerous');
  return cats;
}

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
  'fast',
  'no_auth',
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
  if (b.type === 'index') {
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
  replyFlagSet(c, aclCategories(spec));
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
  if (positions === null || positions.length === 0) return c.reply.error('ERR Invalid arguments specified for command');
  c.reply.arrayLen(positions.length);
  for (const i of positions) {
    if (!withFlags) {
      c.reply.bulk(args[i]!);
      continue;
    }
    c.reply.arrayLen(2);
    c.reply.bulk(args[i]!);
    const ks = keySpecOf(spec, args, i);
    const flags =
      ks?.flags.includes('variable_flags') === true && spec.keyFlags ? spec.keyFlags(args) : (ks?.flags ?? []);
    replyFlagSet(c, flags);
  }
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
  r.mapLen(subs ? 5 : 4);
  r.bulkAscii('summary');
  r.bulkString(spec.summary);
  r.bulkAscii('since');
  r.bulkAscii(spec.since);
  r.bulkAscii('group');
  r.bulkAscii(spec.group);
  r.bulkAscii('complexity');
  r.bulkString(spec.complexity);
  if (subs) {
    r.bulkAscii('subcommands');
    r.mapLen(subs.size);
    for (const s of subs.values()) commandDocs(c, s);
  }
}

/** COMMAND [COUNT | INFO name... | DOCS name... | LIST | GETKEYS cmd args... | HELP] */
function commandCommand(c: CommandContext, argv: Buffer[]): void {
  const table = c.server.commands;
  if (argv.length === 1) {
    const all = table.all();
    c.reply.arrayLen(all.length);
    for (const spec of all) commandInfo(c, spec);
    return;
  }
  const subName = word(argv[1]!);
  const lookup = (name: Buffer): CommandSpec | undefined => {
    const text = name.toString('latin1').toLowerCase();
    const bar = text.indexOf('|');
    if (bar < 0) return table.get(text);
    return table.get(text.slice(0, bar))?.subcommands?.get(text.slice(bar + 1));
  };
  switch (subName) {
    case 'COUNT':
      if (argv.length !== 2) break;
      return c.reply.int(table.size);
    case 'LIST': {
      const names = table.all().map((s) => Buffer.from(s.name));
      return c.reply.bulkArray(names);
    }
    case 'INFO': {
      const specs = argv.length === 2 ? table.all() : argv.slice(2).map(lookup);
      c.reply.arrayLen(specs.length);
      for (const s of specs) {
        // An unknown name is a null bulk (RESP3: null), server.c `addReplyCommandInfo`'s addReplyNull.
        if (s === undefined) c.reply.nullBulk();
        else commandInfo(c, s);
      }
      return;
    }
    case 'DOCS': {
      const specs = (argv.length === 2 ? table.all() : argv.slice(2).map(lookup)).filter(
        (s): s is CommandSpec => s !== undefined,
      );
      c.reply.mapLen(specs.length);
      for (const s of specs) commandDocs(c, s);
      return;
    }
    case 'GETKEYS':
    case 'GETKEYSANDFLAGS':
      // Redis's arity for both is -4: the command and at least one argument.
      if (argv.length < 4) break;
      return getKeys(c, argv.slice(2), subName === 'GETKEYSANDFLAGS');
    case 'HELP':
      return replyHelp(c, 'COMMAND', [
        '(no subcommand)',
        '    Return details about all commands.',
        'COUNT',
        '    Return the total number of commands in this server.',
        'LIST',
        '    Return a list of all commands in this server.',
        'INFO [<command-name> ...]',
        '    Return details about multiple commands.',
        'DOCS [<command-name> ...]',
        '    Return documentation details about multiple commands.',
        'GETKEYS <full-command>',
        '    Return the keys from a full command.',
        'GETKEYSANDFLAGS <full-command>',
        '    Return the keys and the access flags from a full command.',
      ]);
    default:
      return c.reply.error(`ERR unknown subcommand '${argv[1]!.toString('latin1').slice(0, 128)}'. Try COMMAND HELP.`);
  }
  c.reply.error(`ERR wrong number of arguments for 'command|${subName.toLowerCase()}' command`);
}

/** The introspection commands' table entries. */
export const introspectionCommands: CommandSpec[] = [
  command({
    name: 'command',
    arity: -1,
    flags: ['loading', 'stale'],
    group: 'server',
    since: '2.8.13',
    complexity: 'O(N) where N is the total number of Redis commands',
    summary: 'Returns detailed information about all commands.',
    handler: commandCommand,
  }),
];
