/**
 * RDB files (src/rdb.c rdbLoadRioWithLoadingCtx / rdbSaveRio): a streaming
 * reader that reads the file in 1 MiB chunks with bounded memory, updating
 * the CRC-64 as it goes, and a writer that emits ~64 KiB chunks.
 *
 * Layout: `REDIS` + 4-digit version; opcodes AUX (250) key value, SELECTDB
 * (254) db, RESIZEDB (251) keys expires, EXPIRETIME (253, s, 4 bytes LE),
 * EXPIRETIME_MS (252, ms, 8 bytes LE), IDLE (248) s, FREQ (249) byte,
 * MODULE_AUX (247), FUNCTION2 (245) code; otherwise a type byte, key and
 * object; EOF (255) and, from version 5, the CRC-64 of everything before it
 * (8 bytes LE; zero means "not computed").
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { Crc64 } from './crc64.js';
import {
  isEmptyObject,
  RDB_OPCODE_AUX,
  RDB_OPCODE_EOF,
  RDB_OPCODE_EXPIRETIME,
  RDB_OPCODE_EXPIRETIME_MS,
  RDB_OPCODE_FREQ,
  RDB_OPCODE_FUNCTION,
  RDB_OPCODE_FUNCTION2,
  RDB_OPCODE_IDLE,
  RDB_OPCODE_MODULE_AUX,
  RDB_OPCODE_RESIZEDB,
  RDB_OPCODE_SELECTDB,
  RDB_MAX_READ_VERSION,
  RDB_VERSION,
  RdbReader,
  writeObject,
} from './object.js';
import { RdbError, type RdbObject } from './types.js';
import { RdbByteWriter } from './writer.js';

/** What readRdbFile reports, in file order. */
export interface RdbVisitor {
  aux?(key: string, value: Buffer): void;
  selectDb?(db: number): void;
  resizeDb?(keys: number, expires: number): void;
  /** A key: `expireAt` in Unix ms or -1; `lru.idle` in seconds (IDLE opcode), `lru.freq` (FREQ opcode). */
  entry(db: number, key: Buffer, obj: RdbObject, expireAt: number, lru: { idle?: number; freq?: number }): void;
  /** A function library's code (FUNCTION2 opcode). */
  functionLibrary?(code: Buffer): void;
  progress?(bytesRead: number, totalBytes: number): void;
}

/** The outcome of reading a whole file. */
export interface RdbFileSummary {
  version: number;
  /** Keys reported to `entry` (empty collections, which Redis skips, are not). */
  keys: number;
  checksum: 'ok' | 'not computed';
}

export { RDB_MAX_READ_VERSION };

const CHUNK = 1 << 20;

/** An RdbReader over a file descriptor that refills a chunk buffer and checksums what it consumes. */
class FileReader extends RdbReader {
  private storage: Buffer;
  private crcPos = 0;
  readonly crc = new Crc64();

  constructor(
    private readonly fd: number,
    readonly size: number,
    private readonly onFill: (offset: number) => void,
    private readonly chunk: number,
  ) {
    super(Buffer.alloc(0), 0);
    this.storage = Buffer.allocUnsafe(chunk);
  }

  override remaining(): number {
    return this.size - this.offset;
  }

  protected override fill(n: number): void {
    if (n > this.size - this.offset) {
      throw new RdbError(`unexpected end of file (${n} bytes needed, ${this.size - this.offset} left)`, this.offset);
    }
    this.crc.update(this.buf.subarray(this.crcPos, this.pos));
    const keep = this.buf.length - this.pos;
    const cap = Math.max(this.chunk, n, keep);
    if (cap > this.storage.length || (cap === this.chunk && this.storage.length > this.chunk)) {
      const next = Buffer.allocUnsafe(cap);
      this.buf.copy(next, 0, this.pos);
      this.storage = next;
    } else {
      this.buf.copy(this.storage, 0, this.pos);
    }
    this.base += this.pos;
    let have = keep;
    const want = Math.min(this.storage.length, this.size - this.base);
    while (have < want) {
      const got = readSync(this.fd, this.storage, have, want - have, this.base + have);
      if (got === 0) break;
      have += got;
    }
    this.buf = this.storage.subarray(0, have);
    this.pos = 0;
    this.crcPos = 0;
    if (have < n) throw new RdbError('unexpected end of file', this.offset);
    this.onFill(this.base + have);
  }

  /** Checksums everything consumed so far. */
  crcToHere(): void {
    this.crc.update(this.buf.subarray(this.crcPos, this.pos));
    this.crcPos = this.pos;
  }
}

const MODULE_CHARSET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** A module type's 9-character name from its 64-bit id (module.c moduleTypeNameByID). */
function moduleName(id: bigint): string {
  let v = id >> 10n;
  let name = '';
  for (let j = 0; j < 9; j++) {
    name = MODULE_CHARSET[Number(v & 63n)]! + name;
    v >>= 6n;
  }
  return name;
}

function bare(e: RdbError): string {
  return e.message.replace(/ \(at byte \d+\)$/, '');
}

/**
 * Reads the RDB file at `path` (versions 1 to 11), reporting its contents to
 * `visitor`. Reads `chunkSize` bytes at a time (1 MiB; more only for a
 * single larger value). Throws RdbError (with the byte offset, and the key for an
 * object error) on a wrong signature or version, truncation, a malformed
 * object, module data, an old-format function, or a checksum mismatch.
 */
export function readRdbFile(path: string, visitor: RdbVisitor, opts: { chunkSize?: number } = {}): RdbFileSummary {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const r = new FileReader(fd, size, (off) => visitor.progress?.(off, size), Math.max(1, opts.chunkSize ?? CHUNK));
    r.need(9);
    const magic = r.buf.toString('latin1', 0, 9);
    if (!magic.startsWith('REDIS') || !/^\d{4}$/.test(magic.slice(5)))
      throw new RdbError('wrong signature trying to load DB from file', 0);
    const version = Number(magic.slice(5));
    if (version < 1 || version > RDB_MAX_READ_VERSION)
      throw new RdbError(`can't handle RDB format version ${version}`, 5);
    r.pos = 9;
    r.rdbVersion = version;
    let db = 0;
    let keys = 0;
    let expireAt = -1;
    let lru: { idle?: number; freq?: number } = {};
    for (;;) {
      const at = r.offset;
      const type = r.readByte();
      if (type === RDB_OPCODE_EOF) break;
      switch (type) {
        case RDB_OPCODE_EXPIRETIME: {
          r.need(4);
          expireAt = r.buf.readInt32LE(r.pos) * 1000;
          r.pos += 4;
          continue;
        }
        case RDB_OPCODE_EXPIRETIME_MS:
          expireAt = r.readMillisecondTime();
          continue;
        case RDB_OPCODE_FREQ:
          lru.freq = r.readByte();
          continue;
        case RDB_OPCODE_IDLE:
          lru.idle = r.readLength();
          continue;
        case RDB_OPCODE_SELECTDB:
          db = r.readLength();
          visitor.selectDb?.(db);
          continue;
        case RDB_OPCODE_RESIZEDB: {
          const k = r.readLength();
          const e = r.readLength();
          visitor.resizeDb?.(k, e);
          continue;
        }
        case RDB_OPCODE_AUX: {
          const k = r.readLatin1();
          const v = r.readString();
          visitor.aux?.(k, v);
          continue;
        }
        case RDB_OPCODE_MODULE_AUX: {
          const id = r.readLength64();
          throw new RdbError(`unsupported module data (module type ${moduleName(id)})`, at);
        }
        case RDB_OPCODE_FUNCTION:
          throw new RdbError('pre-release function format not supported', at);
        case RDB_OPCODE_FUNCTION2:
          visitor.functionLibrary?.(r.readString());
          continue;
      }
      const key = r.readString();
      let obj: RdbObject;
      try {
        obj = r.readObject(type);
      } catch (e) {
        if (e instanceof RdbError)
          throw new RdbError(`key ${JSON.stringify(key.toString('latin1'))}: ${bare(e)}`, e.offset);
        throw e;
      }
      if (!isEmptyObject(obj)) {
        visitor.entry(db, key, obj, expireAt, lru);
        keys++;
      }
      expireAt = -1;
      lru = {};
    }
    let checksum: RdbFileSummary['checksum'] = 'not computed';
    if (version >= 5) {
      r.crcToHere();
      const at = r.offset;
      const stored = r.readBytes(8);
      if (!stored.equals(Buffer.alloc(8))) {
        const computed = r.crc.digest();
        if (!stored.equals(computed)) {
          const hex = (b: Buffer) => b.readBigUInt64LE(0).toString(16);
          throw new RdbError(`checksum mismatch: file says ${hex(stored)}, computed ${hex(computed)}`, at);
        }
        checksum = 'ok';
      }
    }
    visitor.progress?.(r.offset, size);
    return { version, keys, checksum };
  } finally {
    closeSync(fd);
  }
}

const OUT_CHUNK = 64 * 1024;

/**
 * Writes an RDB file (version 10) through `write`, in chunks of about
 * 64 KiB: `begin`, then per database `selectDb` and its `entry`s, then `end`.
 */
export class RdbFileWriter {
  private readonly w = new RdbByteWriter(OUT_CHUNK * 2);
  private readonly crc = new Crc64();

  constructor(private readonly write: (chunk: Buffer) => void) {}

  private flush(): void {
    if (this.w.len === 0) return;
    const chunk = Buffer.from(this.w.view());
    this.crc.update(chunk);
    this.w.reset();
    this.write(chunk);
  }

  /** The header `REDIS0010` and the AUX fields. */
  begin(aux: [string, string][]): void {
    this.w.bytes(Buffer.from(`REDIS${String(RDB_VERSION).padStart(4, '0')}`, 'latin1'));
    for (const [k, v] of aux) {
      this.w.byte(RDB_OPCODE_AUX);
      this.w.string(k);
      this.w.string(v);
    }
  }

  /** Starts database `db` with its RESIZEDB hint (key and expire counts). */
  selectDb(db: number, keys: number, expires: number): void {
    this.w.byte(RDB_OPCODE_SELECTDB);
    this.w.length(db);
    this.w.byte(RDB_OPCODE_RESIZEDB);
    this.w.length(keys);
    this.w.length(expires);
  }

  /** A key with its value and its expiry (Unix ms, -1 none). */
  entry(key: Buffer, obj: RdbObject, expireAt: number): void {
    if (expireAt >= 0) {
      this.w.byte(RDB_OPCODE_EXPIRETIME_MS);
      this.w.millisecondTime(expireAt);
    }
    const typeAt = this.w.len;
    this.w.byte(0);
    this.w.string(key);
    this.w.buf[typeAt] = writeObject(this.w, obj);
    if (this.w.len >= OUT_CHUNK) this.flush();
  }

  /** EOF and the CRC-64; flushes everything. */
  end(): void {
    this.w.byte(RDB_OPCODE_EOF);
    this.flush();
    this.write(this.crc.digest());
  }
}
