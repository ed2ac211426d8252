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
import { word } from './util.js';

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

/** One key spec as COMMAND INFO shows it (server.c `addReplyCommandKeySpecs`, RESP2: maps as flat arrays). */
function keySpecInfo(c: CommandContext, ks: KeySpec): void {
  const r = c.reply;
  r.arrayLen(ks.notes !== undefined ? 8 : 6);
  if (ks.notes !== undefined) {
    r.bulkAscii('notes');
    r.bulkString(ks.notes);
  }
  r.bulkAscii('flags');
  r.arrayLen(ks.flags.length);
  for (const f of ks.flags) r.simple(f);
  r.bulkAscii('begin_search');
  r.arrayLen(4);
  r.bulkAscii('type');
  const b = ks.begin;
  r.bulkAscii(b.type);
  r.bulkAscii('spec');
  if (b.type === 'index') {
    r.arrayLen(2);
    r.bulkAscii('index');
    r.int(b.index);
  } else {
    r.arrayLen(4);
    r.bulkAscii('keyword');
    r.bulkString(b.keyword);
    r.bulkAscii('startfrom');
    r.int(b.startFrom);
  }
  r.bulkAscii('find_keys');
  r.arrayLen(4);
  r.bulkAscii('type');
  const f = ks.find;
  r.bulkAscii(f.type);
  r.bulkAscii('spec');
  r.arrayLen(6);
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
 * One COMMAND INFO entry (server.c `addReplyCommandInfo`, RESP2 shape of
 * Redis 7: name, arity, flags, first key, last key, step, ACL categories,
 * tips, key specs, subcommands).
 */
function commandInfo(c: CommandContext, spec: CommandSpec): void {
  const r = c.reply;
  r.arrayLen(10);
  r.bulkString(spec.name);
  r.int(spec.arity);
  const flags = infoFlags(spec);
  r.arrayLen(flags.length);
  for (const f of flags) r.simple(f);
  r.int(spec.firstKey);
  r.int(spec.lastKey);
  r.int(spec.keyStep);
  const cats = aclCategories(spec);
  r.arrayLen(cats.length);
  for (const cat of cats) r.simple(cat);
  r.arrayLen(0);
  r.arrayLen(spec.keys.length);
  for (const ks of spec.keys) keySpecInfo(c, ks);
  const subs = spec.subcommands ? [...spec.subcommands.values()] : [];
  r.arrayLen(subs.length);
  for (const s of subs) commandInfo(c, s);
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
    c.reply.arrayLen(flags.length);
    for (const f of flags) c.reply.simple(f);
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

/** One COMMAND DOCS entry: name, then a flat map of summary, since, group, complexity. */
function commandDocs(c: CommandContext, spec: CommandSpec): void {
  const r = c.reply;
  r.bulkString(spec.name);
  const subs = spec.subcommands ? [...spec.subcommands.values()] : [];
  r.arrayLen(subs.length > 0 ? 10 : 8);
  r.bulkAscii('summary');
  r.bulkString(spec.summary);
  r.bulkAscii('since');
  r.bulkAscii(spec.since);
  r.bulkAscii('group');
  r.bulkAscii(spec.group);
  r.bulkAscii('complexity');
  r.bulkString(spec.complexity);
  if (subs.length > 0) {
    r.bulkAscii('subcommands');
    r.arrayLen(subs.length * 2);
    for (const s of subs) commandDocs(c, s);
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
        if (s === undefined) c.reply.nullArray();
        else commandInfo(c, s);
      }
      return;
    }
    case 'DOCS': {
      const specs = (argv.length === 2 ? table.all() : argv.slice(2).map(lookup)).filter(
        (s): s is CommandSpec => s !== undefined,
      );
      c.reply.arrayLen(specs.length * 2);
      for (const s of specs) commandDocs(c, s);
      return;
    }
    case 'GETKEYS':
    case 'GETKEYSANDFLAGS':
      // Redis's arity for both is -4: the command and at least one argument.
      if (argv.length < 4) break;
      return getKeys(c, argv.slice(2), subName === 'GETKEYSANDFLAGS');
    case 'HELP':
      return c.reply.bulkArray(
        [
          'COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
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
          'HELP',
          '    Print this help.',
        ].map((s) => Buffer.from(s)),
      );
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
