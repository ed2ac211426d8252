/**
 * The command table: one declarative entry per command, as Redis describes its
 * commands in `src/commands/*.json` (name, arity, flags, key positions), plus
 * the handler. Dispatch, the arity check, COMMAND and the effect log all read
 * this table; nothing else knows command names.
 *
 * Arity follows Redis's sign convention: `n` means exactly n arguments
 * counting the name, `-n` means at least n.
 * Reference: https://redis.io/docs/latest/commands/command/
 */
import type { Client } from '../server/client.js';

/** Command flags as Redis names them (COMMAND INFO shows them). */
export type CommandFlag =
  | 'write'
  | 'readonly'
  | 'denyoom'
  | 'admin'
  | 'pubsub'
  | 'noscript'
  | 'blocking'
  | 'loading'
  | 'stale'
  | 'skip_monitor'
  | 'fast'
  | 'no_auth'
  | 'may_replicate'
  | 'sentinel'
  | 'no_multi'
  | 'allow_busy';

/**
 * A command handler. It replies through `c.reply` exactly once per call (a
 * multi-element reply counts as one) and logs every change it makes through
 * `c.server.propagate`.
 *
 * @param c the calling connection (or the replay client during recovery)
 * @param argv the arguments, name first; views into the read buffer
 */
export type Handler = (c: Client, argv: Buffer[]) => void;

/** One command, or one subcommand of a container command (CONFIG GET...). */
export interface CommandSpec {
  /** Lower-case name; `container|sub` for subcommands. */
  name: string;
  /** Redis arity convention; for a subcommand it counts the container name too. */
  arity: number;
  flags: readonly CommandFlag[];
  /** Position of the first key argument, 0 when there is none. */
  firstKey: number;
  /** Position of the last key; negative counts from the end (-1: last argument). */
  lastKey: number;
  /** Distance between keys (MSET: 2). */
  keyStep: number;
  /** Command group as in the Redis docs (string, generic, connection, server...). */
  group: string;
  /** One line, as COMMAND DOCS reports. */
  summary: string;
  /** Redis version that introduced it. */
  since: string;
  /** Time complexity, as documented by Redis. */
  complexity: string;
  handler: Handler;
  /** Subcommands of a container command, by lower-case subcommand name. */
  subcommands?: ReadonlyMap<string, CommandSpec>;
  /** Precomputed: has the `write` flag. */
  readonly isWrite?: boolean;
  /** Precomputed: has the `denyoom` flag (may grow memory: refused with -OOM at maxmemory when nothing can be evicted). */
  readonly isDenyOom?: boolean;
}

/** Shorthand for declaring a command; fills key positions and flags. */
export function cmd(
  name: string,
  arity: number,
  flags: readonly CommandFlag[],
  keys: readonly [number, number, number] | null,
  group: string,
  since: string,
  complexity: string,
  summary: string,
  handler: Handler,
): CommandSpec {
  return {
    name,
    arity,
    flags,
    firstKey: keys?.[0] ?? 0,
    lastKey: keys?.[1] ?? 0,
    keyStep: keys?.[2] ?? 0,
    group,
    summary,
    since,
    complexity,
    handler,
    isWrite: flags.includes('write'),
    isDenyOom: flags.includes('denyoom'),
  };
}

/** Makes a container command (CONFIG, CLIENT...) from its subcommands. */
export function container(name: string, group: string, since: string, summary: string, subs: readonly CommandSpec[]): CommandSpec {
  const map = new Map(subs.map((s) => [s.name.slice(name.length + 1), s]));
  return {
    name,
    arity: -2,
    flags: [],
    firstKey: 0,
    lastKey: 0,
    keyStep: 0,
    group,
    summary,
    since,
    complexity: 'Depends on subcommand.',
    handler: () => {},
    subcommands: map,
  };
}

/** Whether `argc` arguments satisfy `arity`. */
export function arityOk(arity: number, argc: number): boolean {
  return arity >= 0 ? argc === arity : argc >= -arity;
}

/**
 * Positions of the key arguments of a call, from the table's key spec.
 *
 * @returns argument indexes into `argv`
 */
export function keyPositions(spec: CommandSpec, argc: number): number[] {
  if (spec.firstKey <= 0) return [];
  const last = spec.lastKey < 0 ? argc + spec.lastKey : spec.lastKey;
  const out: number[] = [];
  for (let i = spec.firstKey; i <= last && i < argc; i += spec.keyStep || 1) out.push(i);
  return out;
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

  /** Every command, in registration order. */
  all(): CommandSpec[] {
    return [...this.byName.values()];
  }

  /** Number of top-level commands. */
  get size(): number {
    return this.byName.size;
  }
}
