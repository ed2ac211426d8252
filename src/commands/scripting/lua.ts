/**
 * The Lua VM scripts run in: fengari (Lua 5.3 in JavaScript, synchronous,
 * strings as bytes; docs/ARCHITECTURE.md, "Scripting", says why), set up as
 * Redis 7.0 sets up its Lua 5.1 (script_lua.c `luaRegisterRedisAPI`,
 * eval.c `scriptingInit`):
 *
 * - the libraries base, table, string, math, coroutine, cjson, bit, struct,
 *   cmsgpack; no io, os, package, debug (kept only for the error handler),
 *   dofile, loadfile or print; Lua 5.1's `unpack`, `table.getn`,
 *   `loadstring`, `gcinfo`, and 5.1's printing of integral floats (`3`);
 * - the `redis` table: call, pcall, error_reply, status_reply, sha1hex, log
 *   and LOG_*, setresp, set_repl and REPL_*, replicate_commands,
 *   breakpoint, debug, acl_check_cmd, REDIS_VERSION and REDIS_VERSION_NUM;
 * - `math.random` as Redis's (its own lrand48, one sequence since start);
 * - globals protection: scripts see the globals through a read-only proxy,
 *   so reading a missing global raises "Script attempted to access
 *   nonexistent global variable" and any assignment "Attempt to modify a
 *   readonly table", as Redis's patched Lua does; the library tables are
 *   read-only proxies too.
 */
import { createHash } from 'node:crypto';
import { type JsFunction, type LuaState, lauxlib, loadFengari, lua, luaBytes, lualib, to_luastring } from './api.js';
import { K, pushError, pushReply } from './convert.js';
import { formatG } from './fengari-conf.js';
import { openLibraries } from './libs.js';

/** What redis.call and friends reach while a script runs (./engine.ts). */
export interface ScriptHost {
  /**
   * Runs a command for the script.
   *
   * @returns the reply's RESP bytes, or the text of an error found before
   *   running it (script.c `scriptCall`'s `err`)
   */
  call(argv: Buffer[]): Buffer | string;
  /** The protocol the script reads replies in (redis.setresp). */
  resp: 2 | 3;
  /** redis.log at a Redis level (0 debug .. 3 warning). */
  log(level: number, message: string): void;
  /** redis.acl_check_cmd: whether the command exists (there are no ACL users to deny it). */
  commandExists(argv: Buffer[]): boolean;
}

/** Redis's version as scripts see it. */
const REDIS_VERSION = '7.0.15';
const REDIS_VERSION_NUM = 0x07000f;

/** Lua strings used as names, encoded once. */
const N = {
  handler: luaBytes('__redis__err__handler'),
  keys: luaBytes('KEYS'),
  argv: luaBytes('ARGV'),
  chunk: luaBytes('@user_script'),
  env: luaBytes('__redis__env'),
  setLoading: luaBytes('__redis__set_loading'),
  register: luaBytes('__redis__register_function'),
};

/** The Lua that completes the environment once the JavaScript functions are in (runs with the real globals). */
const BOOTSTRAP = `
local G, rawset, rawget, setmetatable, getmetatable, error, type, pairs, next =
  _G, rawset, rawget, setmetatable, getmetatable, error, type, pairs, next
local rawpcall, rawload, tunpack, tostring = pcall, load, table.unpack, tostring
unpack = tunpack
table.getn = function(t) return #t end
gcinfo = function() return collectgarbage('count') end
math.mod = math.fmod
string.gfind = string.gmatch
dofile, loadfile, print, require, utf8 = nil, nil, nil, nil, nil
local dbg = debug
debug = nil
local function handler(err)
  local level = 2
  local i = dbg.getinfo(level, 'nSl')
  if i and (i.what == 'J' or i.what == 'C') then
    level = 3
    i = dbg.getinfo(level, 'nSl')
  end
  while i and (i.source == '=bootstrap' or i.what == 'J') do
    level = level + 1
    i = dbg.getinfo(level, 'nSl')
  end
  if type(err) == 'string' then
    err = err:gsub("attempt to (.-) a (%w+) value %((%w+) '(.-)'%)", "attempt to %1 %3 '%4' (a %2 value)")
  end
  if type(err) ~= 'table' then err = {err = 'ERR ' .. tostring(err)} end
  if i then
    err['source'] = i.source
    err['line'] = i.currentline
  end
  return err
end
local proxies = {}
local function readonly() error('Attempt to modify a readonly table', 2) end
local sealed = {}
setmetatable(sealed, {__index = {}, __newindex = readonly, __metatable = false})
proxies[sealed] = {}
local function protect(t, index)
  local p = {}
  proxies[p] = t
  setmetatable(p, {
    __index = index or t, __newindex = readonly, __metatable = sealed,
    __pairs = function() return next, t, nil end, __len = function() return #t end,
  })
  return p
end
for _, name in pairs({'string', 'table', 'math', 'coroutine', 'redis', 'cjson', 'bit', 'struct', 'cmsgpack'}) do
  if rawget(G, name) then rawset(G, name, protect(rawget(G, name))) end
end
local function strict(t)
  return protect(t, function(_, k)
    local v = t[k]
    if v == nil then
      error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2)
    end
    return v
  end)
end
local loadApi = nil
local register = rawget(G, '__redis__register_function')
if register then
  rawset(G, '__redis__register_function', nil)
  local r = rawget(G, 'redis')
  local api = {register_function = register, log = r.log, REDIS_VERSION = r.REDIS_VERSION,
    REDIS_VERSION_NUM = r.REDIS_VERSION_NUM}
  for _, l in pairs({'LOG_DEBUG', 'LOG_VERBOSE', 'LOG_NOTICE', 'LOG_WARNING'}) do api[l] = r[l] end
  loadApi = {redis = strict(api)}
end
local loading = false
local function setLoading(on) loading = on end
local env = {}
rawset(G, '_G', env)
setmetatable(env, {
  __index = function(_, k)
    local v
    if loading then v = loadApi[k] else v = rawget(G, k) end
    if v == nil then
      error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2)
    end
    return v
  end,
  __newindex = readonly, __metatable = sealed,
  __pairs = function() return next, G, nil end,
})
G.setmetatable = function(t, mt)
  if t == env or proxies[t] then error('Attempt to modify a readonly table', 0) end
  return setmetatable(t, mt)
end
G.rawset = function(t, k, v)
  if t == env or proxies[t] then error('Attempt to modify a readonly table', 0) end
  return rawset(t, k, v)
end
pcall = function(f, ...)
  local r = table.pack(rawpcall(f, ...))
  if not r[1] and type(r[2]) == 'table' and type(rawget(r[2], 'err')) == 'string' then r[2] = r[2].err end
  return tunpack(r, 1, r.n)
end
local function load5(chunk, name, mode, e)
  return rawload(chunk, name, 't', e or env)
end
load = load5
loadstring = load5
return env, handler, setLoading
`;

/** A Lua error for a bad call from a script. */
function raise(L: LuaState, message: string): never {
  pushError(L, message);
  return lua.lua_error(L);
}

/**
 * A Lua number as Redis passes it to a command (script_lua.c
 * `luaArgsToRedisArgv`: `%.17g`; integers as they are).
 */
function numberArg(L: LuaState, idx: number): Buffer {
  if (lua.lua_isinteger(L, idx)) return Buffer.from(String(lua.lua_tointeger(L, idx)), 'latin1');
  return Buffer.from(g17(lua.lua_tonumber(L, idx)), 'latin1');
}

/** C's `%.17g`. */
export function g17(d: number): string {
  return formatG(d, 17);
}

/** Redis's lrand48 (rand.c), one sequence per engine. */
class Lrand48 {
  private x = 0x1234abcd330en;

  next(): number {
    this.x = (0x5deece66dn * this.x + 0xbn) & 0xffffffffffffn;
    return Number(this.x >> 17n);
  }

  seed(v: number): void {
    this.x = ((BigInt(v | 0) & 0xffffffffn) << 16n) | 0x330en;
  }
}

/** One Lua VM with Redis's environment. */
export class LuaVm {
  readonly L: LuaState;
  /** The run in progress, null between scripts. */
  host: ScriptHost | null = null;
  private readonly rand = new Lrand48();

  /**
   * @param register for the VM of functions: `redis.register_function`,
   *   which then is the only way in while a library loads (./library.ts)
   */
  constructor(register?: JsFunction) {
    loadFengari();
    const L = lauxlib.luaL_newstate();
    this.L = L;
    const libs: Array<[string, JsFunction]> = [
      ['_G', lualib.luaopen_base],
      ['table', lualib.luaopen_table],
      ['string', lualib.luaopen_string],
      ['math', lualib.luaopen_math],
      ['coroutine', lualib.luaopen_coroutine],
      ['debug', lualib.luaopen_debug],
    ];
    for (const [name, open] of libs) {
      lauxlib.luaL_requiref(L, to_luastring(name), open, 1);
      lua.lua_pop(L, 1);
    }
    openLibraries(L);
    this.registerRedis();
    if (register !== undefined) {
      lua.lua_pushjsfunction(L, register);
      lua.lua_setglobal(L, N.register);
    }
    const boot = to_luastring(BOOTSTRAP);
    if (lauxlib.luaL_loadbuffer(L, boot, boot.length, to_luastring('=bootstrap')) !== lua.LUA_OK) {
      throw new Error(`Lua bootstrap: ${Buffer.from(lua.lua_tolstring(L, -1)!).toString()}`);
    }
    lua.lua_call(L, 0, 3);
    lua.lua_setfield(L, lua.LUA_REGISTRYINDEX, N.setLoading);
    lua.lua_setfield(L, lua.LUA_REGISTRYINDEX, N.handler);
    lua.lua_setfield(L, lua.LUA_REGISTRYINDEX, N.env);
  }

  /** Pushes the read-only globals proxy scripts run with. */
  pushEnv(): void {
    lua.lua_getfield(this.L, lua.LUA_REGISTRYINDEX, N.env);
  }

  /** Pushes the error handler (eval.c `__redis__err__handler`). */
  pushHandler(): void {
    lua.lua_getfield(this.L, lua.LUA_REGISTRYINDEX, N.handler);
  }

  /**
   * Compiles `body` as chunk `@user_script` with the protected globals as
   * its environment and leaves the function on the stack.
   *
   * @returns null, or the compiler's message
   */
  compile(body: Uint8Array, chunkname: Uint8Array = N.chunk): string | null {
    const L = this.L;
    if (lauxlib.luaL_loadbuffer(L, body, body.length, chunkname) !== lua.LUA_OK) {
      const msg = Buffer.from(lua.lua_tolstring(L, -1) ?? new Uint8Array()).toString('utf8');
      lua.lua_pop(L, 1);
      // Lua 5.1 quotes the end of the input in its syntax errors.
      return msg.replace(/ near <eof>$/, " near '<eof>'");
    }
    this.pushEnv();
    lua.lua_setupvalue(L, -2, 1);
    return null;
  }

  /** Switches the globals scripts see to the library-loading API (FUNCTION LOAD) and back. */
  setLoading(on: boolean): void {
    const L = this.L;
    lua.lua_getfield(L, lua.LUA_REGISTRYINDEX, N.setLoading);
    lua.lua_pushboolean(L, on);
    lua.lua_call(L, 1, 0);
  }

  /** Sets KEYS and ARGV for an EVAL (in the real globals, behind the proxy). */
  setKeysArgv(keys: readonly Buffer[], args: readonly Buffer[]): void {
    const L = this.L;
    pushArray(L, keys);
    lua.lua_setglobal(L, N.keys);
    pushArray(L, args);
    lua.lua_setglobal(L, N.argv);
  }

  /** The memory the VM's objects take, bytes (Redis's `luaMemory`). */
  get memory(): number {
    return lua.lua_gc(this.L, lua.LUA_GCCOUNT, 0) * 1024 + lua.lua_gc(this.L, lua.LUA_GCCOUNTB, 0);
  }

  private registerRedis(): void {
    const L = this.L;
    lua.lua_newtable(L);
    const fn = (name: string, f: JsFunction): void => {
      lua.lua_pushjsfunction(L, f);
      lua.lua_setfield(L, -2, to_luastring(name));
    };
    const num = (name: string, n: number): void => {
      lua.lua_pushinteger(L, n);
      lua.lua_setfield(L, -2, to_luastring(name));
    };
    fn('call', (l) => this.redisCall(l, true));
    fn('pcall', (l) => this.redisCall(l, false));
    fn('sha1hex', (l) => {
      if (lua.lua_gettop(l) !== 1) raise(l, 'wrong number of arguments');
      const s = lua.lua_tolstring(l, 1) ?? new Uint8Array();
      lua.lua_pushstring(l, to_luastring(createHash('sha1').update(s).digest('hex')));
      return 1;
    });
    fn('error_reply', (l) => {
      if (lua.lua_gettop(l) !== 1 || lua.lua_type(l, -1) !== lua.LUA_TSTRING) {
        pushError(l, 'wrong number or type of arguments');
        return 1;
      }
      const s = Buffer.from(lua.lua_tolstring(l, -1)!);
      pushError(l, s[0] === 45 ? s : Buffer.concat([Buffer.from('-'), s]));
      return 1;
    });
    fn('status_reply', (l) => {
      if (lua.lua_gettop(l) !== 1 || lua.lua_type(l, -1) !== lua.LUA_TSTRING) {
        pushError(l, 'wrong number or type of arguments');
        return 1;
      }
      lua.lua_newtable(l);
      lua.lua_pushvalue(l, -2);
      lua.lua_setfield(l, -2, K.ok);
      return 1;
    });
    fn('log', (l) => this.redisLog(l));
    num('LOG_DEBUG', 0);
    num('LOG_VERBOSE', 1);
    num('LOG_NOTICE', 2);
    num('LOG_WARNING', 3);
    lua.lua_pushstring(L, to_luastring(REDIS_VERSION));
    lua.lua_setfield(L, -2, to_luastring('REDIS_VERSION'));
    num('REDIS_VERSION_NUM', REDIS_VERSION_NUM);
    fn('setresp', (l) => {
      if (this.host === null) raise(l, 'redis.setresp can only be called inside a script invocation');
      if (lua.lua_gettop(l) !== 1) raise(l, 'redis.setresp() requires one argument.');
      const resp = Math.trunc(lua.lua_tonumber(l, 1));
      if (resp !== 2 && resp !== 3) raise(l, 'RESP version must be 2 or 3.');
      this.host.resp = resp;
      return 0;
    });
    fn('set_repl', (l) => {
      if (this.host === null) raise(l, 'redis.set_repl can only be called inside a script invocation');
      if (lua.lua_gettop(l) !== 1) raise(l, 'redis.set_repl() requires two arguments.');
      const flags = Math.trunc(lua.lua_tonumber(l, -1));
      if ((flags & ~3) !== 0) raise(l, 'Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.');
      return 0;
    });
    num('REPL_NONE', 0);
    num('REPL_AOF', 1);
    num('REPL_SLAVE', 2);
    num('REPL_REPLICA', 2);
    num('REPL_ALL', 3);
    fn('replicate_commands', (l) => {
      lua.lua_pushboolean(l, true);
      return 1;
    });
    fn('breakpoint', (l) => {
      lua.lua_pushboolean(l, false);
      return 1;
    });
    fn('debug', () => 0);
    fn('acl_check_cmd', (l) => {
      if (this.host === null) raise(l, 'redis.acl_check_cmd can only be called inside a script invocation');
      const argv = this.args(l);
      if (argv === null) return lua.lua_error(l);
      if (!this.host.commandExists(argv)) raise(l, 'Invalid command passed to redis.acl_check_cmd()');
      lua.lua_pushboolean(l, true);
      return 1;
    });
    lua.lua_setglobal(L, to_luastring('redis'));
    // math.random and math.randomseed as Redis's (script_lua.c `redis_math_random`).
    lua.lua_getglobal(L, to_luastring('math'));
    lua.lua_pushjsfunction(L, (l) => this.random(l));
    lua.lua_setfield(L, -2, to_luastring('random'));
    lua.lua_pushjsfunction(L, (l) => {
      if (this.host === null) {
        return lauxlib.luaL_error(l, to_luastring('math.randomseed can only be called inside a script invocation'));
      }
      this.rand.seed(lauxlib.luaL_checkinteger(l, 1));
      return 0;
    });
    lua.lua_setfield(L, -2, to_luastring('randomseed'));
    lua.lua_pop(L, 1);
  }

  private random(l: LuaState): number {
    if (this.host === null) {
      return lauxlib.luaL_error(l, to_luastring('math.random can only be called inside a script invocation'));
    }
    const max = 2147483647;
    const r = (this.rand.next() % max) / max;
    switch (lua.lua_gettop(l)) {
      case 0:
        lua.lua_pushnumber(l, r);
        break;
      case 1: {
        const u = lauxlib.luaL_checkinteger(l, 1) | 0;
        if (u < 1) lauxlib.luaL_argerror(l, 1, to_luastring('interval is empty'));
        lua.lua_pushinteger(l, Math.floor(r * u) + 1);
        break;
      }
      case 2: {
        const lo = lauxlib.luaL_checkinteger(l, 1) | 0;
        const u = lauxlib.luaL_checkinteger(l, 2) | 0;
        if (lo > u) lauxlib.luaL_argerror(l, 2, to_luastring('interval is empty'));
        lua.lua_pushinteger(l, Math.floor(r * (u - lo + 1)) + lo);
        break;
      }
      default:
        return lauxlib.luaL_error(l, to_luastring('wrong number of arguments'));
    }
    return 1;
  }

  /** The arguments of a redis.call as a command (null with an error table pushed). */
  private args(L: LuaState): Buffer[] | null {
    const argc = lua.lua_gettop(L);
    if (argc === 0) {
      pushError(L, 'Please specify at least one argument for this redis lib call');
      return null;
    }
    const argv: Buffer[] = [];
    for (let j = 1; j <= argc; j++) {
      const t = lua.lua_type(L, j);
      if (t === lua.LUA_TNUMBER) argv.push(numberArg(L, j));
      else if (t === lua.LUA_TSTRING) argv.push(Buffer.from(lua.lua_tolstring(L, j)!));
      else break;
    }
    lua.lua_pop(L, argc);
    if (argv.length !== argc) {
      pushError(L, 'Lua redis lib command arguments must be strings or integers');
      return null;
    }
    return argv;
  }

  /** redis.call (raise) and redis.pcall (script_lua.c `luaRedisGenericCommand`). */
  private redisCall(L: LuaState, raiseError: boolean): number {
    const host = this.host;
    if (host === null) raise(L, 'redis.call/pcall can only be called inside a script invocation');
    const argv = this.args(L);
    if (argv === null) return raiseError ? lua.lua_error(L) : 1;
    const reply = host.call(argv);
    if (typeof reply === 'string') {
      pushError(L, reply);
      lua.lua_pushboolean(L, true);
      lua.lua_setfield(L, -2, K.ignoreStats);
      return raiseError ? lua.lua_error(L) : 1;
    }
    pushReply(L, { buf: reply, pos: 0 });
    if (raiseError && reply[0] === 45) return lua.lua_error(L);
    return 1;
  }

  /** redis.log (script_lua.c `luaLogCommand`). */
  private redisLog(L: LuaState): number {
    const argc = lua.lua_gettop(L);
    if (argc < 2) raise(L, 'redis.log() requires two arguments or more.');
    if (!lua.lua_isnumber(L, 1)) raise(L, 'First argument must be a number (log level).');
    const level = Math.trunc(lua.lua_tonumber(L, 1));
    if (level < 0 || level > 3) raise(L, 'Invalid debug level.');
    const parts: string[] = [];
    for (let j = 2; j <= argc; j++) {
      const s = lua.lua_tolstring(L, j);
      if (s !== null) parts.push(Buffer.from(s).toString('utf8'));
    }
    this.host?.log(level, parts.join(' '));
    return 0;
  }
}

/** Pushes a Lua array of strings. */
export function pushArray(L: LuaState, items: readonly Uint8Array[]): void {
  lua.lua_createtable(L, items.length, 0);
  for (let j = 0; j < items.length; j++) {
    lua.lua_pushstring(L, items[j]!);
    lua.lua_rawseti(L, -2, j + 1);
  }
}
