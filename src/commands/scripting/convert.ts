/**
 * Conversions between Lua values and RESP, as Redis 7.0 makes them
 * (script_lua.c `redisProtocolToLuaType_*` and `luaReplyToRedisReply`;
 * https://redis.io/docs/latest/develop/interact/programmability/lua-api/):
 *
 * - a command's reply to Lua: integer → number, bulk → string, null bulk or
 *   null array → false, status → `{ok=...}`, error → `{err=...}`, array →
 *   table; in RESP3 also map → `{map={...}}`, set → `{set={k=true}}`, null →
 *   nil, boolean, double → `{double=n}`, big number → `{big_number=s}`,
 *   verbatim → `{verbatim_string={format=, string=}}`;
 * - a script's result to the client: string → bulk, number → integer
 *   (truncated toward zero), true → 1 (RESP3 `#t`), false → null (RESP3 `#f`),
 *   `{err=}` → error, `{ok=}` → status, table → array up to the first nil, and
 *   the RESP3 tables above.
 */
import { type LuaState, lua, luaBytes } from './api.js';
import type { ReplyBuffer } from '../../protocol/encoder.js';
import { formatDouble } from '../numbers.js';

/** Lua strings used as table keys here, encoded once. */
export const K = {
  ok: luaBytes('ok'),
  err: luaBytes('err'),
  double: luaBytes('double'),
  bigNumber: luaBytes('big_number'),
  map: luaBytes('map'),
  set: luaBytes('set'),
  verbatim: luaBytes('verbatim_string'),
  format: luaBytes('format'),
  string: luaBytes('string'),
  ignoreStats: luaBytes('ignore_error_stats_update'),
  source: luaBytes('source'),
  line: luaBytes('line'),
};

/**
 * Pushes Redis's error table `{err="CODE message"}` (script_lua.c
 * `luaPushErrorBuff`): a message starting with `-` carries its code, else
 * the code is ERR; trailing CR/LF are trimmed.
 */
export function pushError(L: LuaState, message: string | Uint8Array): void {
  let text = typeof message === 'string' ? Buffer.from(message, 'utf8') : Buffer.from(message);
  let code = Buffer.from('ERR');
  if (text[0] === 45) {
    const sp = text.indexOf(32);
    if (sp < 0) text = text.subarray(1);
    else {
      code = text.subarray(1, sp);
      text = text.subarray(sp + 1);
    }
  }
  let start = 0;
  let end = text.length;
  while (start < end && (text[start] === 13 || text[start] === 10)) start++;
  while (end > start && (text[end - 1] === 13 || text[end - 1] === 10)) end--;
  lua.lua_newtable(L);
  lua.lua_pushstring(L, Buffer.concat([code, Buffer.from(' '), text.subarray(start, end)]));
  lua.lua_setfield(L, -2, K.err);
}

/**
 * Pushes an integral number: a Lua integer where fengari's integers (32
 * bits) hold it, else a float, as Lua 5.1's numbers (doubles) were.
 */
export function pushNumber(L: LuaState, n: number): void {
  if (n === (n | 0)) lua.lua_pushinteger(L, n);
  else lua.lua_pushnumber(L, n);
}

/** A cursor over one RESP reply. */
interface Cursor {
  buf: Buffer;
  pos: number;
}

function line(cur: Cursor): Buffer {
  const end = cur.buf.indexOf(13, cur.pos);
  const s = cur.buf.subarray(cur.pos, end);
  cur.pos = end + 2;
  return s;
}

/**
 * Pushes the Lua value of the RESP reply at `cur` (script_lua.c
 * `redisProtocolToLuaType`). Attributes are skipped, as Redis does.
 */
export function pushReply(L: LuaState, cur: Cursor): void {
  const type = cur.buf[cur.pos++];
  lua.lua_checkstack(L, 5);
  switch (type) {
    case 58: // :
      pushNumber(L, Number(line(cur).toString('latin1')));
      return;
    case 36: {
      // $
      const n = Number(line(cur).toString('latin1'));
      if (n < 0) return lua.lua_pushboolean(L, false);
      lua.lua_pushstring(L, cur.buf.subarray(cur.pos, cur.pos + n));
      cur.pos += n + 2;
      return;
    }
    case 43: // +
      lua.lua_newtable(L);
      lua.lua_pushstring(L, line(cur));
      lua.lua_setfield(L, -2, K.ok);
      return;
    case 45: // -
      pushError(L, Buffer.concat([Buffer.from('-'), line(cur)]));
      lua.lua_pushboolean(L, true);
      lua.lua_setfield(L, -2, K.ignoreStats);
      return;
    case 42: {
      // *
      const n = Number(line(cur).toString('latin1'));
      if (n < 0) return lua.lua_pushboolean(L, false);
      lua.lua_createtable(L, n, 0);
      for (let i = 1; i <= n; i++) {
        pushReply(L, cur);
        lua.lua_rawseti(L, -2, i);
      }
      return;
    }
    case 62: {
      // > (push: as an array)
      const n = Number(line(cur).toString('latin1'));
      lua.lua_createtable(L, n, 0);
      for (let i = 1; i <= n; i++) {
        pushReply(L, cur);
        lua.lua_rawseti(L, -2, i);
      }
      return;
    }
    case 37: {
      // %
      const n = Number(line(cur).toString('latin1'));
      lua.lua_newtable(L);
      lua.lua_createtable(L, 0, n);
      for (let i = 0; i < n; i++) {
        pushReply(L, cur);
        pushReply(L, cur);
        lua.lua_settable(L, -3);
      }
      lua.lua_setfield(L, -2, K.map);
      return;
    }
    case 126: {
      // ~
      const n = Number(line(cur).toString('latin1'));
      lua.lua_newtable(L);
      lua.lua_createtable(L, 0, n);
      for (let i = 0; i < n; i++) {
        pushReply(L, cur);
        lua.lua_pushboolean(L, true);
        lua.lua_settable(L, -3);
      }
      lua.lua_setfield(L, -2, K.set);
      return;
    }
    case 124: {
      // | attribute: skipped, then the reply it describes
      const n = Number(line(cur).toString('latin1'));
      for (let i = 0; i < n * 2; i++) {
        pushReply(L, cur);
        lua.lua_pop(L, 1);
      }
      pushReply(L, cur);
      return;
    }
    case 95: // _
      line(cur);
      lua.lua_pushnil(L);
      return;
    case 35: // #
      lua.lua_pushboolean(L, line(cur)[0] === 116);
      return;
    case 44: {
      // ,
      const s = line(cur).toString('latin1');
      const d = s === 'inf' ? Infinity : s === '-inf' ? -Infinity : Number(s);
      lua.lua_newtable(L);
      lua.lua_pushnumber(L, d);
      lua.lua_setfield(L, -2, K.double);
      return;
    }
    case 40: // (
      lua.lua_newtable(L);
      lua.lua_pushstring(L, line(cur));
      lua.lua_setfield(L, -2, K.bigNumber);
      return;
    case 61: {
      // =
      const n = Number(line(cur).toString('latin1'));
      const body = cur.buf.subarray(cur.pos, cur.pos + n);
      cur.pos += n + 2;
      lua.lua_newtable(L);
      lua.lua_newtable(L);
      lua.lua_pushstring(L, body.subarray(4));
      lua.lua_setfield(L, -2, K.string);
      lua.lua_pushstring(L, body.subarray(0, 3));
      lua.lua_setfield(L, -2, K.format);
      lua.lua_setfield(L, -2, K.verbatim);
      return;
    }
    default:
      throw new Error(`unexpected reply type ${type}`);
  }
}

/**
 * How deep tables nest in a reply before it stops with "reached lua stack
 * limit" (Redis stops where the C stack of its Lua would overflow).
 */
const MAX_DEPTH = 2000;

/** Replaces CR and LF by spaces (Redis's `sdsmapchars(s, "\r\n", "  ")`). */
function mapCrlf(b: Uint8Array): Buffer {
  const out = Buffer.from(b);
  for (let i = 0; i < out.length; i++) if (out[i] === 13 || out[i] === 10) out[i] = 32;
  return out;
}

/** A Lua number as Redis's `(long long)` cast makes it an integer reply. */
export function luaNumberToInteger(L: LuaState, idx: number): number | bigint {
  if (lua.lua_isinteger(L, idx)) return lua.lua_tointeger(L, idx);
  const d = lua.lua_tonumber(L, idx);
  if (!Number.isFinite(d) || d >= 2 ** 63 || d < -(2 ** 63)) return -(2n ** 63n);
  const t = Math.trunc(d);
  return Number.isSafeInteger(t) ? t : BigInt(t);
}

/** A table field's type, the field left on the stack. */
function field(L: LuaState, key: Uint8Array): number {
  lua.lua_pushstring(L, key);
  return lua.lua_rawget(L, -2);
}

/**
 * Appends the Lua value on top of the stack to `out` as a reply and pops it
 * (script_lua.c `luaReplyToRedisReply`).
 *
 * @param scriptResp the protocol the script chose with redis.setresp (booleans differ)
 */
export function replyFromLua(L: LuaState, out: ReplyBuffer, scriptResp: 2 | 3, depth = 0): void {
  if (depth > MAX_DEPTH || !lua.lua_checkstack(L, 4)) {
    out.error('ERR reached lua stack limit');
    lua.lua_pop(L, 1);
    return;
  }
  const t = lua.lua_type(L, -1);
  if (t === lua.LUA_TSTRING) {
    out.bulk(lua.lua_tolstring(L, -1)!);
  } else if (t === lua.LUA_TBOOLEAN) {
    const b = lua.lua_toboolean(L, -1);
    if (scriptResp === 2) {
      if (b) out.int(1);
      else out.nullBulk();
    } else out.bool(b);
  } else if (t === lua.LUA_TNUMBER) {
    out.int(luaNumberToInteger(L, -1));
  } else if (t === lua.LUA_TTABLE) {
    replyFromTable(L, out, scriptResp, depth + 1);
    return;
  } else {
    out.nullBulk();
  }
  lua.lua_pop(L, 1);
}

/** {@link replyFromLua} for a table (popped). */
function replyFromTable(L: LuaState, out: ReplyBuffer, scriptResp: 2 | 3, depth: number): void {
  if (field(L, K.err) === lua.LUA_TSTRING) {
    lua.lua_pop(L, 1);
    lua.lua_getfield(L, -1, K.err);
    const msg = Buffer.from(lua.lua_tolstring(L, -1)!).toString('utf8');
    lua.lua_pop(L, 2);
    out.error(msg);
    return;
  }
  lua.lua_pop(L, 1);
  if (field(L, K.ok) === lua.LUA_TSTRING) {
    const ok = mapCrlf(lua.lua_tolstring(L, -1)!);
    out.raw(Buffer.concat([Buffer.from('+'), ok, Buffer.from('\r\n')]));
    lua.lua_pop(L, 2);
    return;
  }
  lua.lua_pop(L, 1);
  if (field(L, K.double) === lua.LUA_TNUMBER) {
    out.double(formatDouble(lua.lua_tonumber(L, -1)));
    lua.lua_pop(L, 2);
    return;
  }
  lua.lua_pop(L, 1);
  if (field(L, K.bigNumber) === lua.LUA_TSTRING) {
    out.bigNumber(mapCrlf(lua.lua_tolstring(L, -1)!).toString('latin1'));
    lua.lua_pop(L, 2);
    return;
  }
  lua.lua_pop(L, 1);
  if (field(L, K.verbatim) === lua.LUA_TTABLE) {
    if (field(L, K.format) === lua.LUA_TSTRING) {
      const format = Buffer.from(lua.lua_tolstring(L, -1)!).toString('latin1');
      lua.lua_pushstring(L, K.string);
      if (lua.lua_rawget(L, -3) === lua.LUA_TSTRING) {
        const text = Buffer.from(lua.lua_tolstring(L, -1)!).toString('utf8');
        out.verbatim(text, format);
        lua.lua_pop(L, 4);
        return;
      }
      lua.lua_pop(L, 1);
    }
    lua.lua_pop(L, 1);
  }
  lua.lua_pop(L, 1);
  if (field(L, K.map) === lua.LUA_TTABLE) {
    let n = 0;
    lua.lua_pushnil(L);
    while (lua.lua_next(L, -2) !== 0) {
      n++;
      lua.lua_pop(L, 1);
    }
    out.mapLen(n);
    lua.lua_pushnil(L);
    while (lua.lua_next(L, -2) !== 0) {
      // Stack: table, key, value; the key is replied first, from a copy.
      lua.lua_pushvalue(L, -2);
      replyFromLua(L, out, scriptResp, depth);
      replyFromLua(L, out, scriptResp, depth);
    }
    lua.lua_pop(L, 2);
    return;
  }
  lua.lua_pop(L, 1);
  if (field(L, K.set) === lua.LUA_TTABLE) {
    let n = 0;
    lua.lua_pushnil(L);
    while (lua.lua_next(L, -2) !== 0) {
      n++;
      lua.lua_pop(L, 1);
    }
    out.setLen(n);
    lua.lua_pushnil(L);
    while (lua.lua_next(L, -2) !== 0) {
      lua.lua_pop(L, 1);
      lua.lua_pushvalue(L, -1);
      replyFromLua(L, out, scriptResp, depth);
    }
    lua.lua_pop(L, 2);
    return;
  }
  lua.lua_pop(L, 1);
  let n = 0;
  while (lua.lua_rawgeti(L, -1, n + 1) !== lua.LUA_TNIL) {
    n++;
    lua.lua_pop(L, 1);
  }
  lua.lua_pop(L, 1);
  out.arrayLen(n);
  for (let i = 1; i <= n; i++) {
    lua.lua_rawgeti(L, -1, i);
    replyFromLua(L, out, scriptResp, depth);
  }
  lua.lua_pop(L, 1);
}
