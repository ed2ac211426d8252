/**
 * The part of fengari's API (Lua 5.3 in JavaScript, https://github.com/fengari-lua/fengari)
 * the scripting engine uses. Lua strings are byte arrays (`Uint8Array`); a
 * `LuaState` is opaque.
 */
declare module 'fengari' {
  /** A Lua thread (lua_State). */
  export interface LuaState {
    readonly __luaState: unique symbol;
  }
  /** A function Lua can call: arguments on the stack, returns how many results it pushed. */
  export type JsFunction = (L: LuaState) => number;
  /** A debug hook (lua_Hook). */
  export type LuaHook = (L: LuaState, ar: unknown) => void;
  export type LuaString = Uint8Array;

  export interface LuaApi {
    readonly LUA_OK: number;
    readonly LUA_TNIL: number;
    readonly LUA_TBOOLEAN: number;
    readonly LUA_TNUMBER: number;
    readonly LUA_TSTRING: number;
    readonly LUA_TTABLE: number;
    readonly LUA_TFUNCTION: number;
    readonly LUA_REGISTRYINDEX: number;
    readonly LUA_RIDX_GLOBALS: number;
    readonly LUA_MULTRET: number;
    readonly LUA_MASKCOUNT: number;
    readonly LUA_MASKLINE: number;
    readonly LUA_GCCOUNT: number;
    readonly LUA_GCCOUNTB: number;
    readonly LUA_GCCOLLECT: number;
    readonly LUA_GCSTEP: number;
    lua_gettop(L: LuaState): number;
    lua_settop(L: LuaState, idx: number): void;
    lua_pop(L: LuaState, n: number): void;
    lua_type(L: LuaState, idx: number): number;
    lua_isinteger(L: LuaState, idx: number): boolean;
    lua_isnumber(L: LuaState, idx: number): boolean;
    lua_isstring(L: LuaState, idx: number): boolean;
    lua_istable(L: LuaState, idx: number): boolean;
    lua_isfunction(L: LuaState, idx: number): boolean;
    lua_tointeger(L: LuaState, idx: number): number;
    lua_tointegerx(L: LuaState, idx: number): number | false;
    lua_tonumber(L: LuaState, idx: number): number;
    lua_tolstring(L: LuaState, idx: number): LuaString | null;
    lua_toboolean(L: LuaState, idx: number): boolean;
    lua_pushnil(L: LuaState): void;
    lua_pushboolean(L: LuaState, b: boolean | number): void;
    lua_pushinteger(L: LuaState, n: number): void;
    lua_pushnumber(L: LuaState, n: number): void;
    lua_pushstring(L: LuaState, s: LuaString): LuaString;
    lua_pushliteral(L: LuaState, s: string): LuaString;
    lua_pushjsfunction(L: LuaState, f: JsFunction): void;
    lua_pushvalue(L: LuaState, idx: number): void;
    lua_newtable(L: LuaState): void;
    lua_createtable(L: LuaState, narr: number, nrec: number): void;
    lua_setfield(L: LuaState, idx: number, k: LuaString): void;
    lua_getfield(L: LuaState, idx: number, k: LuaString): number;
    lua_rawseti(L: LuaState, idx: number, n: number): void;
    lua_rawgeti(L: LuaState, idx: number, n: number): number;
    lua_rawget(L: LuaState, idx: number): number;
    lua_rawset(L: LuaState, idx: number): void;
    lua_rawlen(L: LuaState, idx: number): number;
    lua_settable(L: LuaState, idx: number): void;
    lua_gettable(L: LuaState, idx: number): number;
    lua_next(L: LuaState, idx: number): number;
    lua_setglobal(L: LuaState, name: LuaString): void;
    lua_getglobal(L: LuaState, name: LuaString): number;
    lua_pcall(L: LuaState, nargs: number, nresults: number, msgh: number): number;
    lua_call(L: LuaState, nargs: number, nresults: number): void;
    lua_error(L: LuaState): never;
    lua_setmetatable(L: LuaState, idx: number): void;
    lua_getmetatable(L: LuaState, idx: number): number;
    lua_insert(L: LuaState, idx: number): void;
    lua_remove(L: LuaState, idx: number): void;
    lua_replace(L: LuaState, idx: number): void;
    lua_checkstack(L: LuaState, n: number): boolean;
    lua_sethook(L: LuaState, f: LuaHook | null, mask: number, count: number): void;
    lua_setupvalue(L: LuaState, funcindex: number, n: number): LuaString | null;
    lua_gc(L: LuaState, what: number, data: number): number;
    lua_absindex(L: LuaState, idx: number): number;
    lua_isnoneornil(L: LuaState, idx: number): boolean;
    lua_rawequal(L: LuaState, a: number, b: number): boolean;
  }

  export interface LauxLib {
    luaL_newstate(): LuaState;
    luaL_loadbuffer(L: LuaState, buff: LuaString, size: number | null, name: LuaString): number;
    luaL_requiref(L: LuaState, modname: LuaString, openf: JsFunction, glb: number): void;
    luaL_error(L: LuaState, fmt: LuaString, ...args: unknown[]): never;
    luaL_checkinteger(L: LuaState, arg: number): number;
    luaL_checknumber(L: LuaState, arg: number): number;
    luaL_checklstring(L: LuaState, arg: number): LuaString;
    luaL_optinteger(L: LuaState, arg: number, def: number): number;
    luaL_argerror(L: LuaState, arg: number, msg: LuaString): never;
    luaL_tolstring(L: LuaState, idx: number): LuaString;
    luaL_ref(L: LuaState, t: number): number;
    luaL_unref(L: LuaState, t: number, ref: number): void;
  }

  export interface LuaLib {
    luaopen_base: JsFunction;
    luaopen_table: JsFunction;
    luaopen_string: JsFunction;
    luaopen_math: JsFunction;
    luaopen_debug: JsFunction;
    luaopen_coroutine: JsFunction;
  }

  export const lua: LuaApi;
  export const lauxlib: LauxLib;
  export const lualib: LuaLib;
  export function to_luastring(s: string, cache?: boolean): LuaString;
  export function to_jsstring(s: LuaString): string;
}
