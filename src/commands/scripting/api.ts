/**
 * fengari, loaded at the first script rather than at start: every module of
 * the scripting engine imports the Lua API from here, never from 'fengari'
 * directly, and every way into it (`scriptingOf`, a new `LuaVm`,
 * `Functions.parse`) calls {@link loadFengari} first. Loading it takes some
 * 60 ms of compiling that a start without scripts does not need
 * (bench/RESULTS.md, "Start-up"); until then the bindings below are
 * undefined. The load is synchronous, so the command that triggers it runs
 * and replies in its turn, as every other command does.
 */
import type * as Fengari from 'fengari';
import { requireFengari } from './fengari-conf.js';

export type { JsFunction, LuaState } from 'fengari';

/** fengari's `lua` (Lua's C API), once {@link loadFengari} has run. */
export let lua: typeof Fengari.lua;
/** fengari's `lauxlib`, once {@link loadFengari} has run. */
export let lauxlib: typeof Fengari.lauxlib;
/** fengari's `lualib`, once {@link loadFengari} has run. */
export let lualib: typeof Fengari.lualib;
/** fengari's `to_luastring`, once {@link loadFengari} has run. */
export let to_luastring: typeof Fengari.to_luastring;

/**
 * A Lua string of an ASCII constant (its bytes, as `to_luastring` makes them), for tables of names made when a
 * module loads, before fengari does.
 */
export function luaBytes(ascii: string): Uint8Array {
  return Buffer.from(ascii, 'latin1');
}

/** Loads fengari with the engine's options (./fengari-conf.ts) and binds the exports above; later calls do nothing. */
export function loadFengari(): void {
  if (lua !== undefined) return;
  const f = requireFengari();
  lauxlib = f.lauxlib;
  lualib = f.lualib;
  to_luastring = f.to_luastring;
  lua = f.lua;
}
