/**
 * fengari, loaded after ./fengari-conf.ts has set its options: every module
 * of the scripting engine imports the Lua API from here, never from
 * 'fengari' directly.
 */
import './fengari-conf.js';

export { type JsFunction, type LuaState, lauxlib, lua, lualib, to_luastring } from 'fengari';
