/**
 * Running scripts and functions: the checks before a run (script.c
 * `scriptPrepareForRun`), the checks before each redis.call (script.c
 * `scriptCall`), and atomicity.
 *
 * Atomic and durable: a run is synchronous (nothing else runs in the event
 * loop meanwhile), and the effects of the commands it calls are collected
 * into one transaction record (`beginExec`/`endExec`, the MULTI/EXEC path),
 * so that recovery applies all of a script's writes or none. The script text
 * is never logged. Inside a MULTI/EXEC the transaction's record holds them.
 *
 * One {@link Scripting} per keyspace holds the EVAL VM and cache, and the
 * function libraries (./library.ts), so that the WAL replay and the server
 * that starts after it share them.
 */
import { createHash } from 'node:crypto';
import { type LuaState, loadFengari, lua } from './api.js';
import type { Keyspace } from '../../store/keyspace.js';
import type { CommandContext, CommandSpec } from '../context.js';
import { LocalContext } from '../local.js';
import { arityOk } from '../table.js';
import { isWord } from '../util.js';
import { K, pushError, replyFromLua } from './convert.js';
import { LuaVm, type ScriptHost } from './lua.js';

/** Script flags (script.h `SCRIPT_FLAG_*`). */
export const FLAG = {
  noWrites: 1,
  allowOom: 2,
  allowStale: 4,
  noCluster: 8,
  evalCompat: 16,
  allowCrossSlot: 32,
} as const;

/** The flag names of shebangs and `redis.register_function` (script.c `scripts_flags_def`). */
export const FLAG_NAMES: ReadonlyArray<[string, number]> = [
  ['no-writes', FLAG.noWrites],
  ['allow-oom', FLAG.allowOom],
  ['allow-stale', FLAG.allowStale],
  ['no-cluster', FLAG.noCluster],
  ['allow-cross-slot-keys', FLAG.allowCrossSlot],
];

/** A script in the EVAL cache. */
export interface CachedScript {
  readonly body: Buffer;
  readonly flags: number;
}

/** The run in progress (Redis's `scriptRunCtx`). */
export interface RunInfo {
  /** `f_<sha>`'s sha, or the function's name. */
  readonly name: string;
  /** Whether FCALL ran it (FUNCTION KILL vs SCRIPT KILL). */
  readonly isFunction: boolean;
  /** performance.now() at its start. */
  readonly start: number;
  /** Whether it has called a write command (Redis's `SCRIPT_WRITE_DIRTY`). */
  writeDirty: boolean;
  /** SCRIPT KILL / FUNCTION KILL asked it to stop. */
  killed: boolean;
}

/** Scripting state of one keyspace. */
export class Scripting {
  /** The VM of EVAL scripts (SCRIPT FLUSH replaces it). */
  vm = new LuaVm();
  /** EVAL's cache, by lower-case sha1. */
  scripts = new Map<string, CachedScript>();
  /** Bytes of the cached scripts' bodies (INFO `used_memory_scripts_eval`). */
  scriptsBytes = 0;
  /** The run in progress, or null. */
  running: RunInfo | null = null;
  /** The context scripts run commands in, made at the first run. */
  context: LocalContext | null = null;
  /** Libraries and functions (./library.ts), attached by it. */
  functions: unknown = null;

  /** SCRIPT FLUSH: a new VM, an empty cache. */
  flushScripts(): void {
    this.vm = new LuaVm();
    this.scripts.clear();
    this.scriptsBytes = 0;
  }
}

const states = new WeakMap<Keyspace, Scripting>();

/** The scripting state of `c`'s server (one per keyspace). */
export function scriptingOf(c: CommandContext): Scripting {
  loadFengari();
  const ks = c.server.keyspace;
  let s = states.get(ks);
  if (s === undefined) {
    s = new Scripting();
    states.set(ks, s);
  }
  return s;
}

/** What INFO memory reports of scripting (`number_of_cached_scripts`, `used_memory_scripts_eval`...). */
export interface ScriptingFigures {
  /** EVAL scripts cached. */
  scripts: number;
  /** Bytes of their bodies. */
  scriptsBytes: number;
  /** Function libraries, and the functions they register. */
  libraries: number;
  functions: number;
  /** Bytes of the libraries' code. */
  librariesBytes: number;
}

/** The scripting figures of `ks`'s server (zeros before any script ran). */
export function scriptingFigures(ks: Keyspace): ScriptingFigures {
  const s = states.get(ks);
  const fns = s?.functions as
    | { libraries: ReadonlyMap<string, { code: Buffer }>; functions: ReadonlyMap<string, unknown> }
    | null
    | undefined;
  let librariesBytes = 0;
  for (const lib of fns?.libraries.values() ?? []) librariesBytes += lib.code.length;
  return {
    scripts: s?.scripts.size ?? 0,
    scriptsBytes: s?.scriptsBytes ?? 0,
    libraries: fns?.libraries.size ?? 0,
    functions: fns?.functions.size ?? 0,
    librariesBytes,
  };
}

/** Lower-case hex sha1 of `body`. */
export function sha1hex(body: Uint8Array): string {
  return createHash('sha1').update(body).digest('hex');
}

/**
 * Parses the flags of a `#!lua flags=...` first line (eval.c
 * `evalExtractShebangFlags`).
 *
 * @returns the flags (with {@link FLAG.evalCompat} when there is no shebang)
 *   and the shebang's length, or the error text
 */
export function shebangFlags(body: Buffer): { flags: number; length: number } | string {
  if (body[0] !== 35 || body[1] !== 33) return { flags: FLAG.evalCompat, length: 0 };
  const end = body.indexOf(10);
  if (end < 0) return 'Invalid script shebang';
  const parts = splitArgs(body.subarray(0, end).toString('latin1'));
  if (parts === null || parts.length === 0) return 'Invalid engine in script shebang';
  if (parts[0] !== '#!lua') return `Unexpected engine in script shebang: ${parts[0]}`;
  let flags = 0;
  for (const part of parts.slice(1)) {
    if (!part.startsWith('flags=')) return `Unknown lua shebang option: ${part}`;
    const list = part.slice(6);
    for (const name of list === '' ? [] : list.split(',')) {
      const f = FLAG_NAMES.find(([n]) => n === name);
      if (f === undefined) return `Unexpected flag in script shebang: ${name}`;
      flags |= f[1];
    }
  }
  return { flags, length: end };
}

/**
 * Splits a line as Redis's `sdssplitargs` does: words separated by spaces,
 * double-quoted words with backslash escapes, single-quoted words; null for
 * unbalanced quotes.
 */
export function splitArgs(line: string): string[] | null {
  const space = (ch: string | undefined): boolean => ch !== undefined && ' \t\r\n\v\f'.includes(ch);
  const out: string[] = [];
  let i = 0;
  for (;;) {
    while (space(line[i])) i++;
    if (i >= line.length) return out;
    let word = '';
    let quote: string | null = null;
    for (;;) {
      const ch = line[i];
      if (quote !== null) {
        if (ch === undefined) return null;
        if (ch === '\\' && quote === '"' && i + 1 < line.length) {
          const e = line[++i]!;
          word += ({ n: '\n', r: '\r', t: '\t', b: '\b', a: '\x07' } as Record<string, string>)[e] ?? e;
        } else if (ch === '\\' && quote === "'" && line[i + 1] === "'") {
          word += "'";
          i++;
        } else if (ch === quote) {
          // A closing quote must be followed by a space or the end.
          if (i + 1 < line.length && !space(line[i + 1])) return null;
          i++;
          break;
        } else word += ch;
        i++;
        continue;
      }
      if (ch === undefined || space(ch)) break;
      if (ch === '"' || ch === "'") quote = ch;
      else word += ch;
      i++;
    }
    out.push(word);
  }
}

/** What a run needs besides the Lua function on the stack. */
export interface RunOptions {
  readonly name: string;
  readonly flags: number;
  /** Called by EVAL_RO, EVALSHA_RO or FCALL_RO. */
  readonly ro: boolean;
  readonly isFunction: boolean;
  readonly keys: Buffer[];
  readonly args: Buffer[];
}

/** Whether the keyspace's data is over `maxmemory` (Redis's `pre_command_oom_state`; eviction ran before). */
function overMaxmemory(c: CommandContext): boolean {
  const max = Number(c.server.config.get('maxmemory'));
  return max > 0 && c.server.keyspace.dataBytes > max;
}

/**
 * The checks before a run (script.c `scriptPrepareForRun`).
 *
 * @returns an error reply's text, or null
 */
function refusal(c: CommandContext, o: RunOptions): string | null {
  const flags = o.flags;
  if ((flags & FLAG.evalCompat) !== 0) return null;
  if ((flags & FLAG.noWrites) === 0) {
    const repl = c.server.replication;
    if (repl.isReplica && repl.readOnly) return 'READONLY Can not run script with write flag on readonly replica';
    if (o.ro) return 'ERR Can not execute a script with write flag using *_ro command.';
    const refused = repl.writeRefusal?.() ?? null;
    if (refused !== null) return refused;
  }
  if ((flags & (FLAG.allowOom | FLAG.noWrites)) === 0 && overMaxmemory(c)) {
    return "OOM allow-oom flag is not set on the script, can not run it when used memory > 'maxmemory'";
  }
  return null;
}

/**
 * Runs the Lua function on top of `vm`'s stack (pushed by the caller) for
 * `c` and appends its result, or its error, to `c.reply` (script_lua.c
 * `luaCallFunction`). EVAL mode sets KEYS and ARGV as globals; a function
 * gets them as its two arguments.
 */
export function runLua(c: CommandContext, st: Scripting, vm: LuaVm, o: RunOptions): void {
  const L = vm.L;
  const refused = refusal(c, o);
  if (refused !== null) {
    lua.lua_settop(L, 0);
    return c.reply.error(refused);
  }
  const services = c.server;
  // The context redis.call runs commands in (Redis's Lua client), one per keyspace, kept between runs.
  if (st.context === null || st.context.server !== services) st.context = new LocalContext(services);
  const ctx = st.context;
  ctx.reply.discard();
  ctx.select(c.dbIndex);
  const info: RunInfo = {
    name: o.name,
    isFunction: o.isFunction,
    start: performance.now(),
    writeDirty: false,
    killed: false,
  };
  const readOnly = o.ro || (o.flags & FLAG.noWrites) !== 0;
  const allowOom = (o.flags & FLAG.allowOom) !== 0 || (o.flags & FLAG.noWrites) !== 0;
  const preOom = !allowOom && overMaxmemory(c);
  const host: ScriptHost = {
    resp: 2,
    call(argv) {
      const spec = services.commands.lookup(argv);
      const refused = spec === undefined ? null : callRefusal(spec, argv);
      if (refused !== null) {
        // script.c `scriptCall`: a command refused before it runs counts as rejected (COMMANDSTATS).
        if (spec !== undefined && typeof refused === 'string') spec.stats.rejected++;
        return refused;
      }
      if (spec === undefined) return 'Unknown Redis command called from script';
      if (spec.isWrite) info.writeDirty = true;
      ctx.reply.resp = host.resp;
      services.call(ctx, spec, argv);
      // A read inside a script makes a tracking caller remember the script's declared keys (server.c `call`).
      if (c.session.tracking !== null && spec.flags.includes('readonly')) {
        services.tracking.rememberKeyList(c.session, o.keys);
      }
      const out = ctx.reply.take();
      if (out === null) return Buffer.from('+OK\r\n');
      return Array.isArray(out) ? Buffer.concat(out) : Buffer.from(out);
    },
    log() {},
    commandExists(argv) {
      return services.commands.lookup(argv) !== undefined;
    },
  };
  /** The checks of script.c `scriptCall` before a command runs: an error text, an error reply, or null. */
  function callRefusal(spec: CommandSpec, argv: Buffer[]): string | Buffer | null {
    if (spec.subcommands !== undefined || !arityOk(spec.arity, argv.length)) {
      if (spec.subcommands === undefined || argv.length < 2) {
        return 'Wrong number of args calling Redis command from script';
      }
      return 'Unknown Redis command called from script';
    }
    if (spec.flags.includes('noscript')) return 'This Redis command is not allowed from script';
    if ((spec.name === 'xread' || spec.name === 'xreadgroup') && argv.some((a) => isWord(a, 'BLOCK'))) {
      // t_stream.c xreadCommand: no blocking from scripts.
      return Buffer.from(`-ERR ${spec.name} command is not allowed with BLOCK option from scripts\r\n`);
    }
    const writes = spec.isWrite || spec.flags.includes('may_replicate');
    if (readOnly && writes) return 'Write commands are not allowed from read-only scripts.';
    if (spec.isWrite && !info.writeDirty) {
      const repl = services.replication;
      if (repl.isReplica && repl.readOnly) return "-READONLY You can't write against a read only replica.";
      const refused = repl.writeRefusal?.() ?? null;
      if (refused !== null) return `-${refused}`;
    }
    if (preOom && !info.writeDirty && spec.isDenyOom) {
      return "-OOM command not allowed when used memory > 'maxmemory'.";
    }
    // Cluster mode (script.c `scriptVerifyClusterState`): only keys this node serves.
    const refusal = services.cluster?.route(c, spec, argv) ?? null;
    if (refusal !== null) {
      // What cluster mode forbids outright (SELECT 1...) is answered as the command itself answers it.
      if (refusal.startsWith('ERR ')) return Buffer.from(`-${refusal}\r\n`);
      if (refusal.startsWith('CLUSTERDOWN The cluster is down and only')) {
        return 'Script attempted to execute a write command while the cluster is down and readonly';
      }
      if (refusal.startsWith('CLUSTERDOWN The cluster is down')) {
        return 'Script attempted to execute a command while the cluster is down';
      }
      return 'Script attempted to access a non local key in a cluster node';
    }
    return null;
  }
  const nargs = o.isFunction ? 2 : 0;
  // Stack: handler, function [, KEYS, ARGV].
  vm.pushHandler();
  lua.lua_insert(L, -2);
  if (o.isFunction) {
    pushStrings(L, o.keys);
    pushStrings(L, o.args);
  } else vm.setKeysArgv(o.keys, o.args);
  const outer = services.inExec;
  if (!outer) services.beginExec();
  st.running = info;
  vm.host = host;
  const threshold = busyThreshold(c);
  if (threshold > 0) {
    lua.lua_sethook(L, (l) => timeLimitHook(l, info, threshold), lua.LUA_MASKCOUNT, 100000);
  }
  try {
    const status = lua.lua_pcall(L, nargs, 1, -(nargs + 2));
    if (status !== lua.LUA_OK) replyRunError(c, L, o.name);
    else replyFromLua(L, c.reply, host.resp);
  } finally {
    if (threshold > 0) lua.lua_sethook(L, null, 0, 0);
    vm.host = null;
    st.running = null;
    lua.lua_settop(L, 0);
    if (!outer) services.endExec(c.dbIndex);
  }
}

/** `busy-reply-threshold` (`lua-time-limit`), ms; 0 for none. */
function busyThreshold(c: CommandContext): number {
  const get = c.server.config.get as (name: string) => unknown;
  const v = Number(get.call(c.server.config, 'busy-reply-threshold'));
  return Number.isFinite(v) && v > 0 ? v : 0;
}

/** The text a script stopped by {@link timeLimitHook} raises. */
const TIME_LIMIT_ERROR =
  'Script killed by the server: it ran past busy-reply-threshold without writing ' +
  '(no other client, nor SCRIPT KILL, is served while a script runs here)';

/**
 * The count hook of a run (script_lua.c `luaMaskCountHook`): a script that
 * has run past `busy-reply-threshold` and has not written is stopped, as
 * SCRIPT KILL would stop it in Redis (here no client can send SCRIPT KILL
 * while it runs: docs/ARCHITECTURE.md, "Scripting"). Once stopped, the hook
 * fires at every line, so that pcall cannot keep the script going. A script
 * that wrote runs on, as Redis's does.
 */
function timeLimitHook(L: LuaState, info: RunInfo, threshold: number): void {
  if (!info.killed) {
    if (info.writeDirty || performance.now() - info.start < threshold) return;
    info.killed = true;
    lua.lua_sethook(L, (l) => timeLimitHook(l, info, threshold), lua.LUA_MASKLINE | lua.LUA_MASKCOUNT, 1);
  }
  pushError(L, TIME_LIMIT_ERROR);
  lua.lua_error(L);
}

function pushStrings(L: LuaState, items: readonly Buffer[]): void {
  lua.lua_createtable(L, items.length, 0);
  for (let j = 0; j < items.length; j++) {
    lua.lua_pushstring(L, items[j]!);
    lua.lua_rawseti(L, -2, j + 1);
  }
}

/** The error reply of a run that raised an error (script_lua.c `luaCallFunction`). */
function replyRunError(c: CommandContext, L: LuaState, name: string): void {
  if (!lua.lua_istable(L, -1)) {
    const s = lua.lua_isstring(L, -1) ? Buffer.from(lua.lua_tolstring(L, -1)!).toString('utf8') : 'execution failure';
    return c.reply.error(`ERR Error running script ${name}, ${s.slice(0, 100)}\n`);
  }
  const get = (k: Uint8Array): string | null => {
    lua.lua_getfield(L, -1, k);
    const v = lua.lua_isstring(L, -1) ? Buffer.from(lua.lua_tolstring(L, -1)!).toString('utf8') : null;
    lua.lua_pop(L, 1);
    return v;
  };
  const msg = get(K.err) ?? '';
  const source = get(K.source);
  const line = get(K.line);
  let text = msg;
  if (source !== null && line !== null) text += ` script: ${name}, on ${source}:${line}.`;
  c.reply.error(text);
}
