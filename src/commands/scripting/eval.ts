/**
 * EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT, after Redis 7.0's eval.c.
 * Scripts are cached by sha1 as compiled Lua functions in the EVAL VM
 * (./engine.ts); SCRIPT FLUSH drops the VM with them.
 *
 * Reference: https://redis.io/docs/latest/develop/interact/programmability/eval-intro/
 */
import { lua, to_luastring } from './api.js';
import type { CommandContext, CommandSpec } from '../context.js';
import { command, container, keysCounted } from '../table.js';
import { isWord, replyHelp } from '../util.js';
import { type CachedScript, runLua, type Scripting, scriptingOf, sha1hex, shebangFlags } from './engine.js';

/** Redis's reply to EVALSHA of an unknown script (server.c `shared.noscripterr`). */
const NOSCRIPT = 'NOSCRIPT No matching script. Please use EVAL.';

/**
 * Compiles and caches `body` (eval.c `luaCreateFunction`).
 *
 * @returns the sha, or null after replying the error
 */
function createScript(c: CommandContext | null, st: Scripting, body: Buffer): string | null {
  const sha = sha1hex(body);
  if (st.scripts.has(sha)) return sha;
  const shebang = shebangFlags(body);
  if (typeof shebang === 'string') {
    c?.reply.error(`ERR ${shebang}`);
    return null;
  }
  // The shebang line is skipped, its line feed kept so that line numbers stay right.
  const err = st.vm.compile(body.subarray(shebang.length));
  if (err !== null) {
    c?.reply.error(`ERR Error compiling script (new function): ${err}`);
    return null;
  }
  lua.lua_setfield(st.vm.L, lua.LUA_REGISTRYINDEX, to_luastring(`f_${sha}`));
  const script: CachedScript = { body: Buffer.from(body), flags: shebang.flags };
  st.scripts.set(sha, script);
  st.scriptsBytes += body.length + 40;
  return sha;
}

/** EVAL, EVALSHA and their _RO forms (eval.c `evalGenericCommand`). */
function evalGeneric(c: CommandContext, argv: Buffer[], evalsha: boolean, ro: boolean): void {
  const s = argv[2]!.toString('latin1');
  if (!/^-?\d+$/.test(s) || !Number.isSafeInteger(Number(s))) {
    return c.reply.error('ERR value is not an integer or out of range');
  }
  const numkeys = Number(s);
  if (numkeys > argv.length - 3) return c.reply.error("ERR Number of keys can't be greater than number of args");
  if (numkeys < 0) return c.reply.error("ERR Number of keys can't be negative");
  const st = scriptingOf(c);
  let sha: string | null;
  if (evalsha) {
    sha = argv[1]!.toString('latin1').toLowerCase();
    if (!st.scripts.has(sha)) return c.reply.error(NOSCRIPT);
  } else {
    sha = createScript(c, st, argv[1]!);
    if (sha === null) return;
  }
  const script = st.scripts.get(sha)!;
  const vm = st.vm;
  lua.lua_settop(vm.L, 0);
  lua.lua_getfield(vm.L, lua.LUA_REGISTRYINDEX, to_luastring(`f_${sha}`));
  runLua(c, st, vm, {
    name: sha,
    flags: script.flags,
    ro,
    isFunction: false,
    keys: argv.slice(3, 3 + numkeys),
    args: argv.slice(3 + numkeys),
  });
}

/** SCRIPT LOAD script */
function scriptLoad(c: CommandContext, argv: Buffer[]): void {
  const sha = createScript(c, scriptingOf(c), argv[2]!);
  if (sha !== null) c.reply.bulkAscii(sha);
}

/** SCRIPT EXISTS sha1 [sha1 ...] */
function scriptExists(c: CommandContext, argv: Buffer[]): void {
  const st = scriptingOf(c);
  c.reply.arrayLen(argv.length - 2);
  for (let j = 2; j < argv.length; j++) c.reply.int(st.scripts.has(argv[j]!.toString('latin1').toLowerCase()) ? 1 : 0);
}

/** SCRIPT FLUSH [ASYNC | SYNC] */
function scriptFlush(c: CommandContext, argv: Buffer[]): void {
  if (argv.length > 3 || (argv.length === 3 && !isWord(argv[2]!, 'SYNC') && !isWord(argv[2]!, 'ASYNC'))) {
    return c.reply.error('ERR SCRIPT FLUSH only support SYNC|ASYNC option');
  }
  scriptingOf(c).flushScripts();
  c.reply.ok();
}

/**
 * SCRIPT KILL: a script runs to its end before any other command is read
 * here, so there is never one to kill when this arrives (docs/ARCHITECTURE.md,
 * "Scripting").
 */
function scriptKill(c: CommandContext): void {
  c.reply.error('NOTBUSY No scripts in execution right now.');
}

/** SCRIPT DEBUG: the Lua debugger is not available. */
function scriptDebug(c: CommandContext, argv: Buffer[]): void {
  if (isWord(argv[2]!, 'NO')) return c.reply.ok();
  if (isWord(argv[2]!, 'YES') || isWord(argv[2]!, 'SYNC')) {
    return c.reply.error('ERR The Lua debugger is not supported by this server');
  }
  c.reply.error('ERR Use SCRIPT DEBUG YES/SYNC/NO');
}

function scriptHelp(c: CommandContext): void {
  replyHelp(c, 'SCRIPT', [
    'DEBUG (YES|SYNC|NO)',
    '    Set the debug mode for subsequent scripts executed.',
    'EXISTS <sha1> [<sha1> ...]',
    '    Return information about the existence of the scripts in the script cache.',
    'FLUSH [ASYNC|SYNC]',
    '    Flush the Lua scripts cache. Very dangerous on replicas.',
    '    When called without the optional mode argument, the behavior is determined by the',
    '    lazyfree-lazy-user-flush configuration directive. Valid modes are:',
    '    * ASYNC: Asynchronously flush the scripts cache.',
    '    * SYNC: Synchronously flush the scripts cache.',
    'KILL',
    '    Kill the currently executing Lua script.',
    'LOAD <script>',
    '    Load a script into the scripts cache without executing it.',
  ]);
}

const EVAL_FLAGS = ['noscript', 'skip_monitor', 'may_replicate', 'no_mandatory_keys', 'stale'] as const;
const EVAL_RO_FLAGS = ['noscript', 'skip_monitor', 'no_mandatory_keys', 'stale', 'readonly'] as const;
const RW_NOTES = 'We cannot tell how the keys will be used so we assume the worst, RW and UPDATE';
const RO_NOTES = 'We cannot tell how the keys will be used so we assume the worst, RO and ACCESS';

/** The key spec of EVAL-like commands: numkeys at 2, the keys after it; `notes` as Redis gives them. */
export function scriptKeys(ro: boolean, notes: boolean): CommandSpec['keys'] {
  const spec = keysCounted(2, ro ? ['RO', 'access'] : ['RW', 'access', 'update']);
  return [notes ? { ...spec, notes: ro ? RO_NOTES : RW_NOTES } : spec];
}

/** The EVAL family and SCRIPT's table entries (flags and key specs as redis-server 7.0's COMMAND INFO). */
export const evalCommands: CommandSpec[] = [
  ...(
    [
      ['eval', false, false, true, 'Execute a Lua script server side', '2.6.0'],
      ['evalsha', true, false, false, 'Execute a Lua script server side', '2.6.0'],
      ['eval_ro', false, true, true, 'Execute a read-only Lua script server side', '7.0.0'],
      ['evalsha_ro', true, true, false, 'Execute a read-only Lua script server side', '7.0.0'],
    ] as const
  ).map(([name, sha, ro, notes, summary, since]) =>
    command({
      name,
      arity: -3,
      flags: ro ? [...EVAL_RO_FLAGS] : [...EVAL_FLAGS],
      keys: scriptKeys(ro, notes),
      group: 'scripting',
      since,
      complexity: 'Depends on the script that is executed.',
      summary,
      handler: (c, argv) => evalGeneric(c, argv, sha, ro),
    }),
  ),
  container('script', 'scripting', '2.6.0', 'A container for Lua scripts management commands', [
    command({
      name: 'script|debug',
      arity: 3,
      flags: ['noscript'],
      group: 'scripting',
      since: '3.2.0',
      complexity: 'O(1)',
      summary: 'Set the debug mode for executed scripts.',
      handler: scriptDebug,
    }),
    command({
      name: 'script|exists',
      arity: -3,
      flags: ['noscript'],
      group: 'scripting',
      since: '2.6.0',
      complexity:
        'O(N) with N being the number of scripts to check (so checking a single script is an O(1) operation).',
      summary: 'Check existence of scripts in the script cache.',
      handler: scriptExists,
    }),
    command({
      name: 'script|flush',
      arity: -2,
      flags: ['noscript'],
      group: 'scripting',
      since: '2.6.0',
      complexity: 'O(N) with N being the number of scripts in cache',
      summary: 'Remove all the scripts from the script cache.',
      handler: scriptFlush,
    }),
    command({
      name: 'script|help',
      arity: 2,
      flags: ['loading', 'stale'],
      group: 'scripting',
      since: '5.0.0',
      complexity: 'O(1)',
      summary: 'Show helpful text about the different subcommands',
      handler: scriptHelp,
    }),
    command({
      name: 'script|kill',
      arity: 2,
      flags: ['noscript', 'allow_busy'],
      group: 'scripting',
      since: '2.6.0',
      complexity: 'O(1)',
      summary: 'Kill the script currently in execution.',
      handler: scriptKill,
    }),
    command({
      name: 'script|load',
      arity: 3,
      flags: ['noscript', 'stale'],
      group: 'scripting',
      since: '2.6.0',
      complexity: 'O(N) with N being the length in bytes of the script body.',
      summary: 'Load the specified Lua script into the script cache.',
      handler: scriptLoad,
    }),
  ]),
];
