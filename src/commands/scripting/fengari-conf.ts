/**
 * fengari reads its build options from the environment when it is first
 * loaded; {@link requireFengari} (called by ./api.ts at the first script)
 * asks for Lua 5.1's number printing before it loads fengari:
 * `LUA_COMPAT_FLOATSTRING` (3.0 prints as `3`, not `3.0`) and C's `%.14g`
 * for the rest (fengari's own printing differs past 14 digits:
 * 1.7012345678901e+15 is printed 1701234567890100), which scripts written
 * for Redis's Lua 5.1 depend on when they concatenate numbers.
 */
import { createRequire } from 'node:module';
import type * as Fengari from 'fengari';

/** C's `%.<p>g` (glibc: `nan`, `inf`, exponents of at least two digits). */
export function formatG(d: number, p: number): string {
  if (Number.isNaN(d)) return 'nan';
  if (d === Infinity) return 'inf';
  if (d === -Infinity) return '-inf';
  if (d === 0) return Object.is(d, -0) ? '-0' : '0';
  const [m, x] = d.toExponential(p - 1).split('e') as [string, string];
  const e = Number(x);
  const strip = (s: string): string => (s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s);
  if (e < -4 || e >= p) return `${strip(m)}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  return strip(d.toFixed(p - 1 - e));
}

/**
 * Loads fengari (CommonJS, from node_modules) with the options above and returns it.
 */
export function requireFengari(): typeof Fengari {
  process.env['FENGARICONF'] = JSON.stringify({ LUA_COMPAT_FLOATSTRING: true });
  // lobject.js takes lua_number2str from luaconf.js when it loads: replaced here first (CommonJS modules are
  // shared). defs.js loads first, as fengari loads it: it and luaconf.js require each other.
  const require = createRequire(import.meta.url);
  require('fengari/src/defs.js');
  const luaconf = require('fengari/src/luaconf.js') as { lua_number2str: (n: number) => string };
  luaconf.lua_number2str = (n: number): string => formatG(n, 14);
  return require('fengari') as typeof Fengari;
}
