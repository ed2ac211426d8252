/**
 * Redis 7.0's function libraries (functions.c, function_lua.c): `#!lua
 * name=<lib>` code that registers functions with `redis.register_function`,
 * kept in a Lua VM of their own, called by FCALL.
 *
 * Durability (docs/FORMAT.md, "Function libraries"): every change rewrites
 * `functions.rdb` in the data directory atomically (a temporary file,
 * fsync, rename, fsync of the directory) before the command replies; it holds
 * FUNCTION DUMP's payload. Start-up reads it back. The change is also logged
 * as an effect (FUNCTION RESTORE of the whole set, FLUSH), which replicas
 * apply; WAL replay skips those effects, since the file is newer than any.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Crc64 } from '../../persistence/rdb/crc64.js';
import { RdbByteReader, RDB_VERSION } from '../../persistence/rdb/reader.js';
import { RdbByteWriter } from '../../persistence/rdb/writer.js';
import { fsyncDirSync } from '../../persistence/fsutil.js';
import { type LuaState, lauxlib, loadFengari, lua, to_luastring } from './api.js';
import { pushError } from './convert.js';
import { FLAG_NAMES, splitArgs } from './engine.js';
import { LuaVm } from './lua.js';

/** RDB_OPCODE_FUNCTION2 (rdb.h): a library in a DUMP payload or an RDB file. */
const OPCODE_FUNCTION2 = 245;
/** How long a library's code may run at FUNCTION LOAD, ms (function_lua.c `LOAD_TIMEOUT_MS`). */
const LOAD_TIMEOUT_MS = 500;
/** The file the libraries are kept in, in the data directory. */
export const FUNCTIONS_FILE = 'functions.rdb';
const NAME_ERROR =
  'Library names can only contain letters, numbers, or underscores(_) and must be at least one character long';

/** A registered function. */
export interface FunctionInfo {
  readonly name: string;
  readonly desc: Buffer | null;
  readonly flags: number;
  /** Registry reference of the Lua function. */
  readonly ref: number;
  readonly library: Library;
}

/** A loaded library. */
export interface Library {
  readonly name: string;
  readonly code: Buffer;
  /** By lower-case name: function names are matched without case, as Redis's dict of them. */
  readonly functions: Map<string, FunctionInfo>;
}

/** Whether `name` is `[a-zA-Z0-9_]+` (functions.c `functionsVerifyName`). */
function validName(name: string): boolean {
  return /^[a-zA-Z0-9_]+$/.test(name);
}

/** The libraries of one keyspace. */
export class Functions {
  readonly vm: LuaVm;
  readonly libraries = new Map<string, Library>();
  /** Every library's functions, by lower-case name. */
  readonly functions = new Map<string, FunctionInfo>();
  /** The library being loaded, while FUNCTION LOAD runs its code. */
  private loading: Library | null = null;

  constructor() {
    this.vm = new LuaVm((L) => this.registerFunction(L));
  }

  /**
   * Loads `code` (functions.c `functionsCreateWithLibraryCtx`).
   *
   * @returns the library's name, or an error text without its code
   */
  load(code: Buffer, replace: boolean): string | { error: string } {
    if (code[0] !== 35 || code[1] !== 33) return { error: 'Missing library metadata' };
    const end = code.indexOf(10);
    if (end < 0) return { error: 'Invalid library metadata' };
    const parts = splitArgs(code.subarray(0, end).toString('latin1'));
    if (parts === null || parts.length === 0) return { error: 'Invalid library metadata' };
    const engine = parts[0]!.slice(2);
    let name: string | null = null;
    for (const part of parts.slice(1)) {
      if (part.slice(0, 5).toLowerCase() === 'name=') {
        if (name !== null) return { error: 'Invalid metadata value, name argument was given multiple times' };
        name = part.slice(5);
        continue;
      }
      return { error: `Invalid metadata value given: ${part}` };
    }
    if (name === null) return { error: 'Library name was not given' };
    if (!validName(name)) return { error: NAME_ERROR };
    if (engine.toUpperCase() !== 'LUA') return { error: `Engine '${engine}' not found` };
    const old = this.libraries.get(name);
    if (old !== undefined && !replace) return { error: `Library '${name}' already exists` };
    const lib: Library = { name, code: Buffer.from(code), functions: new Map() };
    const L = this.vm.L;
    const err = this.vm.compile(code.subarray(end), to_luastring('@user_function'));
    if (err !== null) return { error: `Error compiling function: ${err}` };
    this.loading = lib;
    this.vm.setLoading(true);
    // function_lua.c `luaEngineLoadHook`: a library's code gets 500 ms to register its functions.
    const start = performance.now();
    const hook = (l: LuaState): void => {
      if (performance.now() - start <= LOAD_TIMEOUT_MS) return;
      lua.lua_sethook(l, hook, lua.LUA_MASKLINE | lua.LUA_MASKCOUNT, 1);
      pushError(l, 'FUNCTION LOAD timeout');
      lua.lua_error(l);
    };
    lua.lua_sethook(L, hook, lua.LUA_MASKCOUNT, 100000);
    const status = lua.lua_pcall(L, 0, 0, 0);
    lua.lua_sethook(L, null, 0, 0);
    this.vm.setLoading(false);
    this.loading = null;
    if (status !== lua.LUA_OK) {
      const msg = errorMessage(L);
      lua.lua_settop(L, 0);
      this.release(lib);
      return { error: `Error registering functions: ${msg}` };
    }
    if (lib.functions.size === 0) return { error: 'No functions registered' };
    for (const [key, f] of lib.functions) {
      const other = this.functions.get(key);
      if (other !== undefined && other.library !== old) {
        this.release(lib);
        return { error: `Function ${f.name} already exists` };
      }
    }
    if (old !== undefined) this.unlink(old);
    this.link(lib);
    return name;
  }

  /** Adds `lib` and its functions. */
  link(lib: Library): void {
    this.libraries.set(lib.name, lib);
    for (const [n, f] of lib.functions) this.functions.set(n, f);
  }

  /** Removes `lib` and frees its functions (FUNCTION DELETE). */
  unlink(lib: Library): void {
    this.libraries.delete(lib.name);
    for (const n of lib.functions.keys()) this.functions.delete(n);
    this.release(lib);
  }

  /** Frees the Lua functions of `lib`. */
  private release(lib: Library): void {
    for (const f of lib.functions.values()) lauxlib.luaL_unref(this.vm.L, lua.LUA_REGISTRYINDEX, f.ref);
  }

  /** Removes every library (FUNCTION FLUSH). */
  flush(): void {
    for (const lib of [...this.libraries.values()]) this.unlink(lib);
  }

  /** FUNCTION DUMP's payload: each library's code after RDB_OPCODE_FUNCTION2, the RDB version, a CRC-64. */
  dump(): Buffer {
    const w = new RdbByteWriter();
    for (const lib of this.libraries.values()) {
      w.byte(OPCODE_FUNCTION2);
      w.string(lib.code);
    }
    w.ensure(10);
    w.len = w.buf.writeUInt16LE(RDB_VERSION, w.len);
    w.bytes(new Crc64().update(w.view()).digest());
    return Buffer.from(w.view());
  }

  /**
   * The library codes in a DUMP payload.
   *
   * @returns the codes, or an error text
   */
  static parse(payload: Buffer): Buffer[] | string {
    loadFengari();
    if (payload.length < 10) return 'DUMP payload version or checksum are wrong';
    const footer = payload.length - 10;
    const version = payload[footer]! | (payload[footer + 1]! << 8);
    const crc = new Crc64().update(payload.subarray(0, payload.length - 8)).digest();
    if (version > RDB_VERSION || Buffer.compare(crc, payload.subarray(payload.length - 8)) !== 0) {
      return 'DUMP payload version or checksum are wrong';
    }
    const r = new RdbByteReader(payload.subarray(0, footer));
    const codes: Buffer[] = [];
    try {
      while (r.remaining() > 0) {
        const type = r.readByte();
        if (type !== OPCODE_FUNCTION2) return 'given type is not a function';
        codes.push(Buffer.from(r.readString()));
      }
    } catch {
      return 'failed loading the given functions payload';
    }
    return codes;
  }

  /** redis.register_function (function_lua.c `luaRegisterFunction`). */
  private registerFunction(L: LuaState): number {
    const lib = this.loading;
    if (lib === null) {
      pushError(L, 'redis.register_function can only be called on FUNCTION LOAD command');
      return lua.lua_error(L);
    }
    const args = readArgs(L);
    if (typeof args === 'string') {
      pushError(L, args);
      return lua.lua_error(L);
    }
    let err: string | null = null;
    if (!validName(args.name)) err = NAME_ERROR;
    else if (lib.functions.has(args.name.toLowerCase())) err = 'Function already exists in the library';
    if (err !== null) {
      lauxlib.luaL_unref(L, lua.LUA_REGISTRYINDEX, args.ref);
      pushError(L, err);
      return lua.lua_error(L);
    }
    lib.functions.set(args.name.toLowerCase(), { ...args, library: lib });
    return 0;
  }
}

/** An error value's message as Redis's `luaExtractErrorInformation` gives it. */
function errorMessage(L: LuaState): string {
  if (lua.lua_type(L, -1) === lua.LUA_TSTRING) return `ERR ${Buffer.from(lua.lua_tolstring(L, -1)!).toString()}`;
  if (lua.lua_istable(L, -1)) {
    lua.lua_getfield(L, -1, to_luastring('err'));
    const s = lua.lua_isstring(L, -1) ? Buffer.from(lua.lua_tolstring(L, -1)!).toString() : '';
    lua.lua_pop(L, 1);
    return s;
  }
  return '';
}

interface RegisterArgs {
  name: string;
  desc: Buffer | null;
  flags: number;
  ref: number;
}

/** The arguments of redis.register_function, positional or named (function_lua.c). */
function readArgs(L: LuaState): RegisterArgs | string {
  const argc = lua.lua_gettop(L);
  if (argc < 1 || argc > 2) return 'wrong number of arguments to redis.register_function';
  if (argc === 2) {
    if (!lua.lua_isstring(L, 1)) return 'first argument to redis.register_function must be a string';
    if (!lua.lua_isfunction(L, 2)) return 'second argument to redis.register_function must be a function';
    const name = Buffer.from(lua.lua_tolstring(L, 1)!).toString('latin1');
    const ref = lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX);
    return { name, desc: null, flags: 0, ref };
  }
  if (!lua.lua_istable(L, 1)) {
    return (
      'calling redis.register_function with a single argument is only applicable to Lua table ' +
      '(representing named arguments).'
    );
  }
  let name: string | null = null;
  let desc: Buffer | null = null;
  let flags = 0;
  let ref = -1;
  const fail = (msg: string): string => {
    if (ref >= 0) lauxlib.luaL_unref(L, lua.LUA_REGISTRYINDEX, ref);
    return msg;
  };
  lua.lua_pushnil(L);
  while (lua.lua_next(L, 1) !== 0) {
    if (lua.lua_type(L, -2) !== lua.LUA_TSTRING && lua.lua_type(L, -2) !== lua.LUA_TNUMBER) {
      return fail('named argument key given to redis.register_function is not a string');
    }
    lua.lua_pushvalue(L, -2);
    const key = Buffer.from(lua.lua_tolstring(L, -1)!).toString('latin1').toLowerCase();
    lua.lua_pop(L, 1);
    if (key === 'function_name') {
      if (!lua.lua_isstring(L, -1))
        return fail('function_name argument given to redis.register_function must be a string');
      name = Buffer.from(lua.lua_tolstring(L, -1)!).toString('latin1');
    } else if (key === 'description') {
      if (!lua.lua_isstring(L, -1))
        return fail('description argument given to redis.register_function must be a string');
      desc = Buffer.from(lua.lua_tolstring(L, -1)!);
    } else if (key === 'callback') {
      if (!lua.lua_isfunction(L, -1))
        return fail('callback argument given to redis.register_function must be a function');
      if (ref >= 0) lauxlib.luaL_unref(L, lua.LUA_REGISTRYINDEX, ref);
      ref = lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX);
      continue;
    } else if (key === 'flags') {
      if (!lua.lua_istable(L, -1)) {
        return fail('flags argument to redis.register_function must be a table representing function flags');
      }
      const f = readFlags(L);
      if (f === null) return fail('unknown flag given');
      flags = f;
    } else {
      return fail('unknown argument given to redis.register_function');
    }
    lua.lua_pop(L, 1);
  }
  if (name === null) return fail('redis.register_function must get a function name argument');
  if (ref < 0) return fail('redis.register_function must get a callback argument');
  return { name, desc, flags, ref };
}

/** The flags table on top of the stack (function_lua.c `luaRegisterFunctionReadFlags`), or null. */
function readFlags(L: LuaState): number | null {
  let flags = 0;
  for (let j = 1; ; j++) {
    const t = lua.lua_rawgeti(L, -1, j);
    if (t === lua.LUA_TNIL) {
      lua.lua_pop(L, 1);
      return flags;
    }
    if (!lua.lua_isstring(L, -1)) {
      lua.lua_pop(L, 1);
      return null;
    }
    const s = Buffer.from(lua.lua_tolstring(L, -1)!).toString('latin1').toLowerCase();
    lua.lua_pop(L, 1);
    const f = FLAG_NAMES.find(([n]) => n === s);
    if (f === undefined) return null;
    flags |= f[1];
  }
}

/**
 * Writes `payload` to `<dir>/functions.rdb` atomically and durably: a
 * temporary file, fsynced, renamed over it, then the directory fsynced.
 */
export function saveFunctionsFile(dir: string, payload: Buffer): void {
  const path = join(dir, FUNCTIONS_FILE);
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, payload);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  fsyncDirSync(dir);
}

/** The payload of `<dir>/functions.rdb`, or null when there is none. */
export function readFunctionsFile(dir: string): Buffer | null {
  const path = join(dir, FUNCTIONS_FILE);
  return existsSync(path) ? readFileSync(path) : null;
}
