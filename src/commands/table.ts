/**
 * The command table: one declarative entry per command, as Redis describes its
 * commands in `src/commands/*.json` (name, arity, flags, key specs), plus the
 * handler. Dispatch, the arity check, COMMAND, the WAL-failure taint logic and
 * the blocked-keys registry all read this table; nothing else knows command
 * names or where a command's keys are.
 *
 * Arity follows Redis's sign convention: `n` means exactly n arguments
 * counting the name, `-n` means at least n.
 *
 * Key specs follow Redis 7's: where the search for keys begins (an argument
 * index, or the argument after a keyword), then how keys are found from there
 * (a range, or a count given by an argument). The legacy first/last/step
 * triple COMMAND INFO still reports, and the `movablekeys` flag, are derived
 * from them as redis-server derives them (server.c
 * `populateCommandLegacyRangeSpec`).
 *
 * Reference: https://redis.io/docs/latest/develop/reference/key-specs/ and
 * https://redis.io/docs/latest/commands/command/
 */
import { ConfigError } from '../config/settings.js';
import type { CommandDef, CommandFlag, CommandGroup, CommandSpec, KeySpec, KeySpecFlag } from './context.js';

/**
 * A key spec for keys at fixed positions: the key at argument `index`, and,
 * with `lastKey`, every `step`-th argument up to `lastKey` after it (negative
 * `lastKey`: counted from the end).
 */
export function keyAt(index: number, flags: readonly KeySpecFlag[], lastKey = 0, step = 1, limit = 0): KeySpec {
  return { flags, begin: { type: 'index', index }, find: { type: 'range', lastKey, step, limit } };
}

/**
 * A key spec for a counted run of keys (ZUNION numkeys key...): argument
 * `index` holds the count, the keys follow it.
 */
export function keysCounted(index: number, flags: readonly KeySpecFlag[], firstKey = 1, step = 1): KeySpec {
  return { flags, begin: { type: 'index', index }, find: { type: 'keynum', keyNumIdx: 0, firstKey, step } };
}

/**
 * Makes a table entry from a family's declaration. Every entry gets the same
 * properties in the same order, absent ones undefined, so that the
 * dispatcher's reads of them stay monomorphic in V8.
 */
export function command(def: CommandDef, subcommands?: ReadonlyMap<string, CommandSpec>): CommandSpec {
  const keys = def.keys ?? [];
  const legacy = legacyRange(keys);
  return {
    stats: { calls: 0, usec: 0, rejected: 0, failed: 0, histogram: null },
    name: def.name,
    arity: def.arity,
    flags: def.flags,
    keys,
    getKeys: def.getKeys,
    otherDbKeys: def.otherDbKeys,
    keyFlags: def.keyFlags,
    allDatabases: def.allDatabases,
    redact: def.redact,
    wholeDbs: def.wholeDbs,
    group: def.group,
    since: def.since,
    complexity: def.complexity,
    summary: def.summary,
    handler: def.handler,
    firstKey: legacy.firstKey,
    lastKey: legacy.lastKey,
    keyStep: legacy.keyStep,
    movableKeys: legacy.movableKeys,
    isWrite: def.flags.includes('write'),
    isDenyOom: def.flags.includes('denyoom'),
    subcommands,
  };
}

/**
 * Makes a container command (CONFIG, CLIENT...) from its subcommands.
 *
 * @param own for a container that also runs alone (COMMAND): its arity (-1),
 *   flags, complexity and handler
 */
export function container(
  name: string,
  group: CommandGroup,
  since: string,
  summary: string,
  subs: readonly CommandSpec[],
  own?: Pick<CommandDef, 'arity' | 'flags' | 'complexity' | 'handler'>,
): CommandSpec {
  const def: CommandDef = {
    name,
    arity: own?.arity ?? -2,
    flags: own?.flags ?? [],
    group,
    since,
    summary,
    complexity: own?.complexity ?? 'Depends on subcommand.',
    handler: own?.handler ?? (() => {}),
  };
  return command(def, new Map(subs.map((s) => [s.name.slice(name.length + 1), s])));
}

/**
 * Makes the entries of one container's subcommands, named `<container>|<name>`
 * as COMMAND INFO names them, in the positional order the command tables use.
 *
 * @param flags every subcommand's flags (those of redis-server 7.0's COMMAND
 *   INFO), unless an entry gives its own as the last argument
 * @returns `(name, arity, since, complexity, summary, handler, flags?) => entry`
 */
export function subcommandsOf(container: string, group: CommandGroup, flags: readonly CommandFlag[]) {
  return (
    name: string,
    arity: number,
    since: string,
    complexity: string,
    summary: string,
    handler: CommandSpec['handler'],
    own: readonly CommandFlag[] = flags,
  ): CommandSpec =>
    command({ name: `${container}|${name}`, arity, flags: [...own], group, since, complexity, summary, handler });
}

/**
 * The legacy first/last/step triple and the `movablekeys` flag, as
 * redis-server derives them from key specs (server.c
 * `populateCommandLegacyRangeSpec`, `addReplyCommandInfo`): the union of the
 * leading consecutive plain ranges; any other spec makes the keys movable.
 */
function legacyRange(specs: readonly KeySpec[]): Pick<CommandSpec, 'firstKey' | 'lastKey' | 'keyStep' | 'movableKeys'> {
  const none = { firstKey: 0, lastKey: 0, keyStep: 0 };
  if (specs.length === 0) return { ...none, movableKeys: false };
  const only = specs[0]!;
  if (specs.length === 1 && only.begin.type === 'index' && only.find.type === 'range') {
    const last = only.find.lastKey >= 0 ? only.find.lastKey + only.begin.index : only.find.lastKey;
    return {
      firstKey: only.begin.index,
      lastKey: last,
      keyStep: only.find.step,
      movableKeys: only.flags.includes('incomplete'),
    };
  }
  let movableKeys = false;
  let first = Number.MAX_SAFE_INTEGER;
  // Absolute last key; redis-server compares these as unsigned, so a negative (from the end) one wins.
  let last = 0;
  let prevLast = 0;
  const unsigned = (n: number): number => (n < 0 ? 2 ** 32 + n : n);
  for (const s of specs) {
    if (s.begin.type !== 'index' || s.find.type !== 'range') {
      movableKeys = true;
      continue;
    }
    if (s.find.step !== 1 || (prevLast !== 0 && prevLast !== s.begin.index - 1)) {
      movableKeys = true;
      continue;
    }
    if (s.flags.includes('incomplete')) movableKeys = true;
    first = Math.min(first, s.begin.index);
    const abs = s.find.lastKey >= 0 ? s.find.lastKey + s.begin.index : s.find.lastKey;
    if (unsigned(abs) > unsigned(last)) last = abs;
    prevLast = last;
  }
  if (first === Number.MAX_SAFE_INTEGER) return { ...none, movableKeys: true };
  return { firstKey: first, lastKey: last, keyStep: 1, movableKeys };
}

/**
 * The positions of the key arguments of a call, found with the command's
 * key specs as redis-server's `getKeysUsingKeySpecs` (db.c) finds them.
 *
 * @param argv the call, name first (a subcommand's name counts as an argument)
 * @param written only the keys the call may change (specs flagged RW, OW or RM), not those it only reads
 * @returns argument indexes into `argv`, in key-spec order; null when the
 *   arguments do not fit the specs (a count that is not a number, keys past
 *   the end), as Redis answers `Invalid arguments specified for command`
 */
export function keyPositions(spec: CommandSpec, argv: readonly Uint8Array[], written = false): number[] | null {
  const argc = argv.length;
  const out: number[] = [];
  for (const s of spec.keys) {
    if (s.flags.includes('not_key')) continue;
    // An unknown spec: the command's own function finds every key, as db.c
    // `getKeysFromCommandWithSpecs` falls back to `getkeys_proc`.
    if (s.begin.type === 'unknown' || s.find.type === 'unknown') {
      if (spec.getKeys === undefined) return null;
      const refs = spec.getKeys(argv).filter((k) => !written || isWriteSpec(k));
      return refs.map((k) => k.pos);
    }
    if (written && !isWriteSpec(s)) continue;
    let first = 0;
    if (s.begin.type === 'index') {
      first = s.begin.index;
    } else {
      const from = s.begin.startFrom > 0 ? s.begin.startFrom : argc + s.begin.startFrom;
      const to = s.begin.startFrom > 0 ? argc - 1 : 1;
      for (let i = from; i !== to; i = from <= to ? i + 1 : i - 1) {
        if (i >= argc || i < 1) break;
        if (equalsIgnoreCase(argv[i]!, s.begin.keyword)) {
          first = i + 1;
          break;
        }
      }
      if (first === 0) continue;
    }
    let last: number;
    let step: number;
    if (s.find.type === 'range') {
      step = s.find.step;
      if (s.find.lastKey >= 0) last = first + s.find.lastKey;
      else if (s.find.limit === 0) last = argc + s.find.lastKey;
      else last = first + (Math.floor((argc - first) / s.find.limit) + s.find.lastKey);
    } else {
      step = s.find.step;
      const countAt = first + s.find.keyNumIdx;
      if (countAt >= argc) return null;
      const count = parseCount(argv[countAt]!);
      if (count === null) return null;
      first += s.find.firstKey;
      last = first + count - 1;
    }
    if (last >= argc || last < first || first >= argc) return null;
    for (let i = first; i <= last; i += step) out.push(i);
    if (s.flags.includes('incomplete')) return null;
  }
  return out;
}

/** Whether a key spec's keys may be changed by the command: flagged RW, OW or RM. */
function isWriteSpec(s: Pick<KeySpec, 'flags'>): boolean {
  return s.flags.includes('RW') || s.flags.includes('OW') || s.flags.includes('RM');
}

/** The key arguments of a call (views into `argv`), or [] when its arguments do not fit its key specs. */
export function keysOf(spec: CommandSpec, argv: readonly Buffer[]): Buffer[] {
  const positions = keyPositions(spec, argv);
  return positions === null ? [] : positions.map((i) => argv[i]!);
}

/** A non-negative decimal count as Redis's `string2ll` reads it, or null. */
function parseCount(arg: Uint8Array): number | null {
  const n = arg.length;
  if (n === 0 || n > 10) return null;
  if (n > 1 && arg[0] === 48) return null;
  let v = 0;
  for (let i = 0; i < n; i++) {
    const d = arg[i]! - 48;
    if (d < 0 || d > 9) return null;
    v = v * 10 + d;
  }
  return v;
}

/** Whether `arg` equals the ASCII `word`, ignoring case. */
function equalsIgnoreCase(arg: Uint8Array, word: string): boolean {
  if (arg.length !== word.length) return false;
  const upper = (ch: number): number => (ch >= 97 && ch <= 122 ? ch - 32 : ch);
  for (let i = 0; i < arg.length; i++) if (upper(arg[i]!) !== upper(word.charCodeAt(i))) return false;
  return true;
}

/** Whether `argc` arguments satisfy `arity`. */
export function arityOk(arity: number, argc: number): boolean {
  return arity >= 0 ? argc === arity : argc >= -arity;
}

/** All commands, by lower-case name. */
export class CommandTable {
  private readonly byName = new Map<string, CommandSpec>();
  /**
   * The same commands by upper-case name: clients send `SET` and `set`
   * alike, and a hit in either map spares the per-command lower-casing (a
   * string allocation) on the hot path.
   */
  private readonly byUpper = new Map<string, CommandSpec>();

  /** Adds commands; a later entry with the same name replaces the earlier. */
  add(specs: readonly CommandSpec[]): void {
    for (const s of specs) {
      this.byName.set(s.name, s);
      this.byUpper.set(s.name.toUpperCase(), s);
    }
  }

  /** The command named `name` (any case), or undefined. */
  get(name: string): CommandSpec | undefined {
    return this.byName.get(name) ?? this.byUpper.get(name) ?? this.byName.get(name.toLowerCase());
  }

  /**
   * The command or subcommand a call names (`CONFIG GET ...` finds
   * `config|get`; `CONFIG` alone the container), or undefined when either is
   * unknown (server.c `lookupCommand`).
   */
  lookup(argv: readonly Uint8Array[]): CommandSpec | undefined {
    const first = argv[0];
    if (first === undefined) return undefined;
    const spec = this.get(Buffer.from(first.buffer, first.byteOffset, first.length).toString('latin1'));
    const sub = argv[1];
    if (spec?.subcommands === undefined || sub === undefined) return spec;
    return spec.subcommands.get(Buffer.from(sub.buffer, sub.byteOffset, sub.length).toString('latin1').toLowerCase());
  }

  /** Removes a command (`rename-command name ""`). */
  delete(name: string): boolean {
    this.byUpper.delete(name.toUpperCase());
    return this.byName.delete(name.toLowerCase());
  }

  /** Registers a command under another name (`rename-command`). */
  rename(from: string, to: string): boolean {
    const spec = this.byName.get(from.toLowerCase());
    if (spec === undefined) return false;
    this.delete(from);
    this.byName.set(to.toLowerCase(), spec);
    this.byUpper.set(to.toUpperCase(), spec);
    return true;
  }

  /**
   * Applies `rename-command` pairs in order: `[from, '']` removes a command,
   * `[from, to]` gives it another name.
   *
   * @throws ConfigError for a pair that names no command, or a target name already taken
   */
  applyRenames(pairs: readonly (readonly [string, string])[]): void {
    for (const [from, to] of pairs) {
      if (to !== '' && this.get(to) !== undefined) {
        throw new ConfigError(`invalid rename-command '${from}' '${to}': Target command name already exists`);
      }
      const ok = to === '' ? this.delete(from) : this.rename(from, to);
      if (!ok) throw new ConfigError(`invalid rename-command '${from}': no such command`);
    }
  }

  /** Every command, in registration order. */
  all(): CommandSpec[] {
    return [...this.byName.values()];
  }

  /** Number of top-level commands. */
  get size(): number {
    return this.byName.size;
  }
}
