/**
 * `cmsgpack`, Redis's MessagePack library for Lua (deps/lua/src/lua_cmsgpack.c),
 * in JavaScript over the Lua API: pack, unpack, unpack_one, unpack_limit,
 * with its encodings (the smallest integer form, float32 when exact, str8,
 * arrays for tables with keys 1..n, 16 levels of nesting).
 */
import { type LuaState, lauxlib, lua, to_luastring } from './api.js';
import { pushNumber } from './convert.js';

/** lua_cmsgpack.c `LUACMSGPACK_MAX_NESTING`. */
const MAX_NESTING = 16;

/** A growing output buffer. */
class Out {
  data = Buffer.allocUnsafe(256);
  len = 0;
  private room(n: number): void {
    if (this.len + n <= this.data.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.data.length * 2, this.len + n));
    this.data.copy(next, 0, 0, this.len);
    this.data = next;
  }
  byte(...b: number[]): void {
    this.room(b.length);
    for (const x of b) this.data[this.len++] = x;
  }
  buf(b: Buffer): void {
    this.room(b.length);
    this.len += b.copy(this.data, this.len);
  }
  get parts(): Buffer[] {
    return [this.data.subarray(0, this.len)];
  }
}

function encodeInt(o: Out, n: bigint): void {
  const b = Buffer.alloc(9);
  if (n >= 0n) {
    if (n <= 127n) return o.byte(Number(n));
    if (n <= 0xffn) return o.byte(0xcc, Number(n));
    if (n <= 0xffffn) return (b.writeUInt8(0xcd), b.writeUInt16BE(Number(n), 1), o.buf(b.subarray(0, 3)));
    if (n <= 0xffffffffn) return (b.writeUInt8(0xce), b.writeUInt32BE(Number(n), 1), o.buf(b.subarray(0, 5)));
    return (b.writeUInt8(0xcf), b.writeBigUInt64BE(BigInt.asUintN(64, n), 1), o.buf(b));
  }
  if (n >= -32n) return o.byte(Number(n) & 0xff);
  if (n >= -128n) return o.byte(0xd0, Number(n) & 0xff);
  if (n >= -32768n) return (b.writeUInt8(0xd1), b.writeInt16BE(Number(n), 1), o.buf(b.subarray(0, 3)));
  if (n >= -2147483648n) return (b.writeUInt8(0xd2), b.writeInt32BE(Number(n), 1), o.buf(b.subarray(0, 5)));
  return (b.writeUInt8(0xd3), b.writeBigInt64BE(BigInt.asIntN(64, n), 1), o.buf(b));
}

function encodeLen(o: Out, n: number, fix: number, fixMax: number, c16: number, c32: number): void {
  if (n <= fixMax) return o.byte(fix | n);
  const b = Buffer.alloc(5);
  if (n <= 0xffff) return (b.writeUInt8(c16), b.writeUInt16BE(n, 1), o.buf(b.subarray(0, 3)));
  return (b.writeUInt8(c32), b.writeUInt32BE(n, 1), o.buf(b));
}

/** Appends the value at `idx` (lua_cmsgpack.c `mp_encode_lua_type`). */
function encode(L: LuaState, idx: number, o: Out, level: number): void {
  const i = lua.lua_absindex(L, idx);
  let t = lua.lua_type(L, i);
  if (t === lua.LUA_TTABLE && level === MAX_NESTING) t = lua.LUA_TNIL;
  if (t === lua.LUA_TSTRING) {
    const s = Buffer.from(lua.lua_tolstring(L, i)!);
    const n = s.length;
    if (n < 32) o.byte(0xa0 | n);
    else if (n <= 0xff) o.byte(0xd9, n);
    else encodeLen(o, n, 0, -1, 0xda, 0xdb);
    o.buf(s);
  } else if (t === lua.LUA_TBOOLEAN) o.byte(lua.lua_toboolean(L, i) ? 0xc3 : 0xc2);
  else if (t === lua.LUA_TNUMBER) {
    if (lua.lua_isinteger(L, i)) {
      const v = lua.lua_tointeger(L, i);
      if (v >= 0 && v <= 127) return o.byte(v);
      return encodeInt(o, BigInt(v));
    }
    const d = lua.lua_tonumber(L, i);
    if (Number.isInteger(d) && Math.abs(d) < 2 ** 63) return encodeInt(o, BigInt(d));
    const b = Buffer.alloc(9);
    if (Math.fround(d) === d) return (b.writeUInt8(0xca), b.writeFloatBE(d, 1), o.buf(b.subarray(0, 5)));
    b.writeUInt8(0xcb);
    b.writeDoubleBE(d, 1);
    o.buf(b);
  } else if (t === lua.LUA_TTABLE) {
    lua.lua_checkstack(L, 4);
    let count = 0;
    let max = 0;
    let array = true;
    lua.lua_pushnil(L);
    while (lua.lua_next(L, i) !== 0) {
      count++;
      if (lua.lua_isinteger(L, -2) && lua.lua_tointeger(L, -2) > 0) max = Math.max(max, lua.lua_tointeger(L, -2));
      else array = false;
      lua.lua_pop(L, 1);
    }
    if (array && max === count) {
      encodeLen(o, count, 0x90, 15, 0xdc, 0xdd);
      for (let j = 1; j <= count; j++) {
        lua.lua_rawgeti(L, i, j);
        encode(L, -1, o, level + 1);
        lua.lua_pop(L, 1);
      }
      return;
    }
    encodeLen(o, count, 0x80, 15, 0xde, 0xdf);
    lua.lua_pushnil(L);
    while (lua.lua_next(L, i) !== 0) {
      encode(L, -2, o, level + 1);
      encode(L, -1, o, level + 1);
      lua.lua_pop(L, 1);
    }
  } else o.byte(0xc0);
}

/** Decodes one value at `pos` onto the stack; returns the position after it, or throws on bad input. */
function decode(L: LuaState, b: Buffer, pos: number): number {
  lua.lua_checkstack(L, 4);
  const c = b[pos]!;
  if (pos >= b.length) throw new Error('short');
  const str = (start: number, n: number): number => {
    if (start + n > b.length) throw new Error('short');
    lua.lua_pushstring(L, b.subarray(start, start + n));
    return start + n;
  };
  const arr = (start: number, n: number): number => {
    lua.lua_createtable(L, n, 0);
    let p = start;
    for (let j = 1; j <= n; j++) {
      p = decode(L, b, p);
      lua.lua_rawseti(L, -2, j);
    }
    return p;
  };
  const map = (start: number, n: number): number => {
    lua.lua_createtable(L, 0, n);
    let p = start;
    for (let j = 0; j < n; j++) {
      p = decode(L, b, p);
      p = decode(L, b, p);
      if (lua.lua_type(L, -2) === lua.LUA_TNIL) lua.lua_pop(L, 2);
      else lua.lua_settable(L, -3);
    }
    return p;
  };
  const int = (v: bigint | number, next: number): number => {
    pushNumber(L, Number(v));
    return next;
  };
  if (c <= 0x7f) return int(c, pos + 1);
  if (c >= 0xe0) return int(c - 256, pos + 1);
  if ((c & 0xe0) === 0xa0) return str(pos + 1, c & 0x1f);
  if ((c & 0xf0) === 0x90) return arr(pos + 1, c & 0x0f);
  if ((c & 0xf0) === 0x80) return map(pos + 1, c & 0x0f);
  switch (c) {
    case 0xc0:
      lua.lua_pushnil(L);
      return pos + 1;
    case 0xc2:
    case 0xc3:
      lua.lua_pushboolean(L, c === 0xc3);
      return pos + 1;
    case 0xca:
      lua.lua_pushnumber(L, b.readFloatBE(pos + 1));
      return pos + 5;
    case 0xcb:
      lua.lua_pushnumber(L, b.readDoubleBE(pos + 1));
      return pos + 9;
    case 0xcc:
      return int(b.readUInt8(pos + 1), pos + 2);
    case 0xcd:
      return int(b.readUInt16BE(pos + 1), pos + 3);
    case 0xce:
      return int(b.readUInt32BE(pos + 1), pos + 5);
    case 0xcf:
      return int(b.readBigUInt64BE(pos + 1), pos + 9);
    case 0xd0:
      return int(b.readInt8(pos + 1), pos + 2);
    case 0xd1:
      return int(b.readInt16BE(pos + 1), pos + 3);
    case 0xd2:
      return int(b.readInt32BE(pos + 1), pos + 5);
    case 0xd3:
      return int(b.readBigInt64BE(pos + 1), pos + 9);
    case 0xc4:
    case 0xd9:
      return str(pos + 2, b.readUInt8(pos + 1));
    case 0xc5:
    case 0xda:
      return str(pos + 3, b.readUInt16BE(pos + 1));
    case 0xc6:
    case 0xdb:
      return str(pos + 5, b.readUInt32BE(pos + 1));
    case 0xdc:
      return arr(pos + 3, b.readUInt16BE(pos + 1));
    case 0xdd:
      return arr(pos + 5, b.readUInt32BE(pos + 1));
    case 0xde:
      return map(pos + 3, b.readUInt16BE(pos + 1));
    case 0xdf:
      return map(pos + 5, b.readUInt32BE(pos + 1));
    default:
      throw new Error('bad type');
  }
}

/**
 * Decodes up to `limit` values (0: all) from byte `offset` of argument 1
 * (lua_cmsgpack.c `mp_unpack_full`); with `withOffset` the next offset
 * (-1 at the end) comes first.
 */
function unpackFull(L: LuaState, limit: number, offset: number, withOffset: boolean): number {
  const b = Buffer.from(lauxlib.luaL_checklstring(L, 1));
  if (offset < 0 || (offset > b.length && b.length > 0)) {
    return lauxlib.luaL_error(L, to_luastring('Start offset %d greater than input length %d.'), offset, b.length);
  }
  lua.lua_settop(L, 0);
  let pos = offset;
  let n = 0;
  try {
    while (pos < b.length && (limit === 0 || n < limit)) {
      pos = decode(L, b, pos);
      n++;
    }
  } catch {
    return lauxlib.luaL_error(L, to_luastring('Missing bytes in input.'));
  }
  if (!withOffset) return n;
  lua.lua_pushinteger(L, pos >= b.length ? -1 : pos);
  lua.lua_insert(L, 1);
  return n + 1;
}

/** Opens `cmsgpack` as a global. */
export function openCmsgpack(L: LuaState): void {
  lua.lua_newtable(L);
  const fns: Record<string, (l: LuaState) => number> = {
    pack: (l) => {
      const argc = lua.lua_gettop(l);
      if (argc === 0) return lauxlib.luaL_argerror(l, 0, to_luastring('MessagePack pack needs input.'));
      const o = new Out();
      for (let i = 1; i <= argc; i++) encode(l, i, o, 0);
      lua.lua_pushstring(l, Buffer.concat(o.parts));
      return 1;
    },
    unpack: (l) => unpackFull(l, 0, 0, false),
    unpack_one: (l) => unpackFull(l, 1, lauxlib.luaL_optinteger(l, 2, 0), true),
    unpack_limit: (l) => unpackFull(l, lauxlib.luaL_checkinteger(l, 2), lauxlib.luaL_optinteger(l, 3, 0), true),
  };
  for (const [k, f] of Object.entries(fns)) {
    lua.lua_pushjsfunction(L, f);
    lua.lua_setfield(L, -2, to_luastring(k));
  }
  lua.lua_setglobal(L, to_luastring('cmsgpack'));
}
