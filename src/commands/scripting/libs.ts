/**
 * Libraries Redis adds to its Lua, written here in JavaScript over the Lua
 * API: `bit` (LuaBitOp, deps/lua/src/lua_bit.c: 32-bit operations) and
 * `cjson` (lua_cjson.c: encode, decode, `cjson.null`, and its settings
 * functions, which are accepted and change nothing); cmsgpack is in
 * ./cmsgpack.ts. struct is not provided.
 */
import { type JsFunction, type LuaState, lauxlib, lua, luaBytes, to_luastring } from './api.js';
import { openCmsgpack } from './cmsgpack.js';

/** Opens `bit`, `cjson` and `cmsgpack` as globals. */
export function openLibraries(L: LuaState): void {
  openBit(L);
  openCjson(L);
  openCmsgpack(L);
}

/** Sets the functions of `fns` in a new table, as global `name`. */
function library(L: LuaState, name: string, fns: Record<string, JsFunction>): void {
  lua.lua_newtable(L);
  for (const [k, f] of Object.entries(fns)) {
    lua.lua_pushjsfunction(L, f);
    lua.lua_setfield(L, -2, to_luastring(k));
  }
  lua.lua_setglobal(L, to_luastring(name));
}

/** Argument `i` as LuaBitOp takes it: a number reduced to a signed 32-bit integer. */
function bitArg(L: LuaState, i: number): number {
  const n = lauxlib.luaL_checknumber(L, i);
  if (Number.isInteger(n)) return Number(BigInt.asIntN(32, BigInt(n)));
  // LuaBitOp adds 2^52+2^51 to the double and takes the low word: round half to even, then wrap.
  const r = Math.round(n);
  const even = Math.abs(n % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
  return Number(BigInt.asIntN(32, BigInt(even)));
}

function pushInt(L: LuaState, n: number): number {
  lua.lua_pushinteger(L, n | 0);
  return 1;
}

function openBit(L: LuaState): void {
  const fold = (op: (a: number, b: number) => number): JsFunction => {
    return (l) => {
      let r = bitArg(l, 1);
      for (let i = lua.lua_gettop(l); i > 1; i--) r = op(r, bitArg(l, i));
      return pushInt(l, r);
    };
  };
  library(L, 'bit', {
    tobit: (l) => pushInt(l, bitArg(l, 1)),
    bnot: (l) => pushInt(l, ~bitArg(l, 1)),
    band: fold((a, b) => a & b),
    bor: fold((a, b) => a | b),
    bxor: fold((a, b) => a ^ b),
    lshift: (l) => pushInt(l, bitArg(l, 1) << (bitArg(l, 2) & 31)),
    rshift: (l) => pushInt(l, bitArg(l, 1) >>> (bitArg(l, 2) & 31)),
    arshift: (l) => pushInt(l, bitArg(l, 1) >> (bitArg(l, 2) & 31)),
    rol: (l) => {
      const x = bitArg(l, 1);
      const n = bitArg(l, 2) & 31;
      return pushInt(l, (x << n) | (x >>> (32 - n)));
    },
    ror: (l) => {
      const x = bitArg(l, 1);
      const n = bitArg(l, 2) & 31;
      return pushInt(l, (x >>> n) | (x << (32 - n)));
    },
    bswap: (l) => {
      const x = bitArg(l, 1);
      return pushInt(l, ((x >>> 24) & 0xff) | ((x >>> 8) & 0xff00) | ((x & 0xff00) << 8) | (x << 24));
    },
    tohex: (l) => {
      let x = bitArg(l, 1);
      let n = lua.lua_isnoneornil(l, 2) ? 8 : bitArg(l, 2);
      const upper = n < 0;
      if (upper) n = -n;
      if (n > 8) n = 8;
      let s = '';
      for (let i = 0; i < n; i++) {
        s = '0123456789abcdef'[x & 15] + s;
        x >>>= 4;
      }
      lua.lua_pushstring(l, to_luastring(upper ? s.toUpperCase() : s));
      return 1;
    },
  });
}

/** The key of `cjson.null` in the registry. */
const NULL_KEY = luaBytes('__redis__cjson_null');

/** cjson's settings (lua_cjson.c `json_config_t`), per VM. */
interface CjsonConfig {
  encodeMaxDepth: number;
  decodeMaxDepth: number;
  encodeInvalidNumbers: boolean;
}

function openCjson(L: LuaState): void {
  const cfg: CjsonConfig = { encodeMaxDepth: 1000, decodeMaxDepth: 1000, encodeInvalidNumbers: false };
  const setting = (l: LuaState): number => {
    lua.lua_pushinteger(l, 0);
    return 1;
  };
  const depthSetting =
    (key: 'encodeMaxDepth' | 'decodeMaxDepth') =>
    (l: LuaState): number => {
      if (!lua.lua_isnoneornil(l, 1)) cfg[key] = lauxlib.luaL_checkinteger(l, 1);
      lua.lua_pushinteger(l, cfg[key]);
      return 1;
    };
  library(L, 'cjson', {
    encode: (l) => {
      if (lua.lua_gettop(l) !== 1)
        return lauxlib.luaL_error(l, to_luastring("bad argument #1 to 'encode' (expected 1 argument)"));
      const parts: string[] = [];
      encodeValue(l, 1, parts, 0, cfg);
      lua.lua_pushstring(l, Buffer.from(parts.join(''), 'latin1'));
      return 1;
    },
    decode: (l) => {
      const s = Buffer.from(lauxlib.luaL_checklstring(l, 1)).toString('latin1');
      decodeJson(l, s, cfg.decodeMaxDepth);
      return 1;
    },
    encode_keep_buffer: setting,
    encode_max_depth: depthSetting('encodeMaxDepth'),
    decode_max_depth: depthSetting('decodeMaxDepth'),
    encode_number_precision: setting,
    encode_invalid_numbers: (l) => {
      if (!lua.lua_isnoneornil(l, 1)) cfg.encodeInvalidNumbers = lua.lua_toboolean(l, 1);
      lua.lua_pushboolean(l, cfg.encodeInvalidNumbers);
      return 1;
    },
    decode_invalid_numbers: setting,
    encode_sparse_array: setting,
  });
  lua.lua_getglobal(L, to_luastring('cjson'));
  lua.lua_newtable(L);
  lua.lua_pushvalue(L, -1);
  lua.lua_setfield(L, lua.LUA_REGISTRYINDEX, NULL_KEY);
  lua.lua_setfield(L, -2, to_luastring('null'));
  lua.lua_pop(L, 1);
}

function isNull(L: LuaState, idx: number): boolean {
  const i = lua.lua_absindex(L, idx);
  lua.lua_getfield(L, lua.LUA_REGISTRYINDEX, NULL_KEY);
  const eq = lua.lua_rawequal(L, i, -1);
  lua.lua_pop(L, 1);
  return eq;
}

/** JSON string escapes as lua_cjson writes them (latin1 text: one character per byte). */
function escapeString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 34) out += '\\"';
    else if (c === 92) out += '\\\\';
    else if (c === 47) out += '\\/';
    else if (c === 8) out += '\\b';
    else if (c === 12) out += '\\f';
    else if (c === 10) out += '\\n';
    else if (c === 13) out += '\\r';
    else if (c === 9) out += '\\t';
    else if (c < 32 || c === 127) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += s[i];
  }
  return `${out}"`;
}

/** A number as lua_cjson prints it (`%.14g`). */
function formatNumber(L: LuaState, idx: number, invalidOk = false): string {
  if (lua.lua_isinteger(L, idx)) return String(lua.lua_tointeger(L, idx));
  const d = lua.lua_tonumber(L, idx);
  if (!Number.isFinite(d)) {
    if (invalidOk) return Number.isNaN(d) ? 'nan' : d > 0 ? 'inf' : '-inf';
    return lauxlib.luaL_error(L, to_luastring('Cannot serialise number: must not be NaN or Inf'));
  }
  if (Number.isInteger(d) && Math.abs(d) < 1e15) return String(d);
  const p = Number(d.toPrecision(14));
  const e = Math.floor(Math.log10(Math.abs(p)));
  if (e < -4 || e >= 14) {
    const [m, x] = p.toExponential().split('e') as [string, string];
    const n = Number(x);
    return `${m}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
  }
  return String(p);
}

/** Appends the JSON of the value at `idx` (lua_cjson.c `json_append_data`). */
function encodeValue(L: LuaState, idx: number, out: string[], depth: number, cfg: CjsonConfig): void {
  const i = lua.lua_absindex(L, idx);
  const t = lua.lua_type(L, i);
  if (t === lua.LUA_TSTRING) out.push(escapeString(Buffer.from(lua.lua_tolstring(L, i)!).toString('latin1')));
  else if (t === lua.LUA_TNUMBER) out.push(formatNumber(L, i, cfg.encodeInvalidNumbers));
  else if (t === lua.LUA_TBOOLEAN) out.push(lua.lua_toboolean(L, i) ? 'true' : 'false');
  else if (t === lua.LUA_TNIL) out.push('null');
  else if (t === lua.LUA_TTABLE) {
    if (isNull(L, i)) return void out.push('null');
    if (depth + 1 > cfg.encodeMaxDepth) {
      return void lauxlib.luaL_error(L, to_luastring(`Cannot serialise, excessive nesting (${depth + 1})`));
    }
    lua.lua_checkstack(L, 4);
    const len = arrayLength(L, i);
    if (len > 0) {
      out.push('[');
      for (let j = 1; j <= len; j++) {
        if (j > 1) out.push(',');
        lua.lua_rawgeti(L, i, j);
        encodeValue(L, -1, out, depth + 1, cfg);
        lua.lua_pop(L, 1);
      }
      out.push(']');
      return;
    }
    out.push('{');
    let first = true;
    lua.lua_pushnil(L);
    while (lua.lua_next(L, i) !== 0) {
      const kt = lua.lua_type(L, -2);
      let key: string;
      if (kt === lua.LUA_TSTRING) key = Buffer.from(lua.lua_tolstring(L, -2)!).toString('latin1');
      else if (kt === lua.LUA_TNUMBER) key = formatNumber(L, -2);
      else
        return void lauxlib.luaL_error(L, to_luastring('Cannot serialise table: table key must be a number or string'));
      if (!first) out.push(',');
      first = false;
      out.push(escapeString(key), ':');
      encodeValue(L, -1, out, depth + 1, cfg);
      lua.lua_pop(L, 1);
    }
    out.push('}');
  } else {
    const tn = t === lua.LUA_TFUNCTION ? 'function' : 'userdata';
    lauxlib.luaL_error(L, to_luastring(`Cannot serialise ${tn}: type not supported`));
  }
}

/**
 * The array length of a table when every key is a positive integer
 * (lua_cjson.c `lua_array_length`; sparse arrays up to twice their count
 * are arrays too), 0 when it is an object or empty.
 */
function arrayLength(L: LuaState, i: number): number {
  let max = 0;
  let items = 0;
  lua.lua_pushnil(L);
  while (lua.lua_next(L, i) !== 0) {
    if (lua.lua_type(L, -2) === lua.LUA_TNUMBER && lua.lua_isinteger(L, -2) && lua.lua_tointeger(L, -2) >= 1) {
      const k = lua.lua_tointeger(L, -2);
      if (k > max) max = k;
      items++;
      lua.lua_pop(L, 1);
      continue;
    }
    lua.lua_pop(L, 2);
    return 0;
  }
  if (max > 10 && max > items * 2) {
    return lauxlib.luaL_error(L, to_luastring('Cannot serialise table: excessively sparse array'));
  }
  return max;
}

/** Pushes the Lua value of JSON text `s` (lua_cjson.c `json_decode`). */
function decodeJson(L: LuaState, s: string, maxDepth: number): void {
  let pos = 0;
  const fail = (what: string): never =>
    lauxlib.luaL_error(L, to_luastring(`Expected ${what} but found invalid token at character ${pos + 1}`));
  const ws = (): void => {
    while (pos < s.length && ' \t\n\r'.includes(s[pos]!)) pos++;
  };
  const value = (depth: number): void => {
    ws();
    if ((s[pos] === '{' || s[pos] === '[') && depth + 1 > maxDepth)
      lauxlib.luaL_error(
        L,
        to_luastring(`Found too many nested data structures (${depth + 1}) at character ${pos + 1}`),
      );
    lua.lua_checkstack(L, 4);
    const c = s[pos];
    if (c === '{') {
      pos++;
      lua.lua_newtable(L);
      ws();
      if (s[pos] === '}') return void pos++;
      for (;;) {
        ws();
        if (s[pos] !== '"') fail('object key string');
        value(depth + 1);
        ws();
        if (s[pos] !== ':') fail('colon');
        pos++;
        value(depth + 1);
        lua.lua_rawset(L, -3);
        ws();
        if (s[pos] === ',') {
          pos++;
          continue;
        }
        if (s[pos] === '}') return void pos++;
        fail('comma or object end');
      }
    }
    if (c === '[') {
      pos++;
      lua.lua_newtable(L);
      ws();
      if (s[pos] === ']') return void pos++;
      for (let j = 1; ; j++) {
        value(depth + 1);
        lua.lua_rawseti(L, -2, j);
        ws();
        if (s[pos] === ',') {
          pos++;
          continue;
        }
        if (s[pos] === ']') return void pos++;
        fail('comma or array end');
      }
    }
    if (c === '"') return stringValue();
    const m = /^-?(?:\d+)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(s.slice(pos, pos + 400));
    if (m !== null && m[0] !== '-') {
      pos += m[0].length;
      const n = Number(m[0]);
      if (/^-?\d+$/.test(m[0]) && n === (n | 0)) lua.lua_pushinteger(L, n);
      else lua.lua_pushnumber(L, n);
      return;
    }
    for (const [word, push] of [
      ['true', () => lua.lua_pushboolean(L, true)],
      ['false', () => lua.lua_pushboolean(L, false)],
      ['null', () => lua.lua_getfield(L, lua.LUA_REGISTRYINDEX, NULL_KEY)],
    ] as const) {
      if (s.startsWith(word, pos)) {
        pos += word.length;
        push();
        return;
      }
    }
    fail('value');
  };
  const stringValue = (): void => {
    pos++;
    let out = '';
    for (;;) {
      if (pos >= s.length) fail('string end');
      const ch = s[pos++]!;
      if (ch === '"') break;
      if (ch !== '\\') {
        out += ch;
        continue;
      }
      const e = s[pos++];
      const map: Record<string, string> = {
        '"': '"',
        '\\': '\\',
        '/': '/',
        b: '\b',
        f: '\f',
        n: '\n',
        r: '\r',
        t: '\t',
      };
      if (e !== undefined && map[e] !== undefined) out += map[e];
      else if (e === 'u') {
        const code = Number.parseInt(s.slice(pos, pos + 4), 16);
        pos += 4;
        out += Buffer.from(String.fromCharCode(code), 'utf8').toString('latin1');
      } else fail('valid escape');
    }
    lua.lua_pushstring(L, Buffer.from(out, 'latin1'));
  };
  value(0);
  ws();
  if (pos < s.length) fail('the end');
}
